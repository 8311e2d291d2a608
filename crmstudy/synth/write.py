"""Writing a synthetic bank: validated, deterministic Parquet, one block at a time.

A bank of one block (up to :data:`~crmstudy.synth.blocks.BLOCK_SIZE`
customers) is written as ``<out>/<table>.parquet``.  A larger bank writes the
bank-level tables the same way and every per-customer table as a folder of
parts, ``<out>/<table>/part-<block:05d>.parquet``, one per block; each part is
checked against its table's schema before it is written.  Blocks are written
``chunk`` at a time by as many worker processes, so memory stays bounded by
the chunk, not by the bank, and every part is byte-identical whatever the chunk.

A bank is written whole or not at all: :func:`synthesize` writes into a hidden
sibling folder and switches it in with one rename, so an interrupted or failed
synth (Ctrl-C, ``kill -9``, a full disk) over an existing bank leaves the old
bank intact, and nothing of the new one behind.  ``bank.json`` records the
fingerprint of every table (:mod:`crmstudy.synth.generation`), so that
``crmstudy validate`` refuses a bank whose tables come from different runs.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..atomic import atomic_path, exchange, write_text_atomic
from ..errors import ParamsError
from ..schema import SCHEMAS, validate_table
from .blocks import BANK_TABLES, BLOCK_SIZE, PER_CUSTOMER_TABLES, BankLevel, generate_block, make_bank, n_blocks
from .generation import record_generation
from .presets import BankSpec

_PART = re.compile(r"part-(\d+)\.parquet")


def write_table(df: pd.DataFrame, path: Path, table: str) -> Path:
    """Validate ``df`` and write it as deterministic Parquet, atomically."""
    df = validate_table(df, table, source=path) if table != "truth" else df
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    text = [f.name for f in arrow.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    with atomic_path(path) as tmp:
        # dictionary pages only where they pay (text); numbers are written plain
        pq.write_table(arrow, tmp, compression="zstd", row_group_size=1_000_000, use_dictionary=text)
    return path


def _meta(spec: BankSpec, rows: dict[str, int]) -> dict:
    return {
        "generator": "crmstudy.synth",
        "crmstudy_version": __version__,
        "preset": spec.preset,
        "seed": spec.seed,
        "null": spec.null,
        "n_branches": spec.n_branches,
        "n_customers": spec.n_customers,
        "period_start": spec.start.isoformat(),
        "period_end": spec.end.isoformat(),
        "block_size": BLOCK_SIZE,
        "blocks": n_blocks(spec),
        "rows": rows,
    }


def write_bank(tables: dict[str, pd.DataFrame], out: str | Path, spec: BankSpec) -> dict:
    """Write tables as ``<out>/<table>.parquet`` plus ``bank.json`` metadata."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        write_table(df, out / f"{name}.parquet", name)
        _remove_parts(out / name, keep=0)
    meta = _meta(spec, {name: len(df) for name, df in tables.items()})
    _write_meta(out, meta)
    return meta


def _write_meta(out: Path, meta: dict) -> None:
    """``bank.json``: the spec, the rows, and each table's fingerprint (written last)."""
    meta = record_generation(out, meta)
    write_text_atomic(out / "bank.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")


def part_path(out: Path, table: str, block: int) -> Path:
    """Where block ``block`` of a per-customer table is written."""
    return out / table / f"part-{block:05d}.parquet"


def write_block(spec: BankSpec, bank: BankLevel, block: int, out: str | Path) -> dict[str, int]:
    """Generate one block and write its parts; return the rows of each table."""
    out = Path(out)
    tables = generate_block(spec, bank, block)
    for name, df in tables.items():
        write_table(df, part_path(out, name, block), name)
    return {name: len(df) for name, df in tables.items()}


def default_chunk() -> int:
    """One block at a time per usable core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def synthesize(spec: BankSpec, out: str | Path, *, chunk: int | None = None) -> dict:
    """Generate a bank block by block and write it; return its metadata.

    Parameters
    ----------
    chunk : int, optional
        Blocks generated at the same time, each in its own worker process
        (default: one per core).  Only speed and memory depend on it: the
        files are byte-identical whatever its value.  Peak memory is about
        ``chunk`` × 0.6 GB at 64 transactions per customer.  With ``chunk``
        above 1 the workers are spawned processes, so a script that calls
        this must do so under ``if __name__ == "__main__":``.
    """
    if chunk is not None and chunk < 1:
        raise ParamsError(f"synth: 'chunk' must be a positive integer, got {chunk!r}")
    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise ParamsError(f"{out}: --out must be a folder; this is a file")
    with _fresh_folder(out) as tmp:
        return _synthesize_into(spec, tmp, chunk)


def _synthesize_into(spec: BankSpec, out: Path, chunk: int | None) -> dict:
    bank = make_bank(spec)
    k = n_blocks(spec)
    if k == 1:
        return write_bank({**bank.tables(), **generate_block(spec, bank, 0)}, out, spec)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in bank.tables().items():
        write_table(df, out / f"{name}.parquet", name)
    workers = min(chunk or default_chunk(), k)
    if workers == 1:
        counts = [write_block(spec, bank, b, out) for b in range(k)]
    else:
        # spawn, not fork: the parent may hold threads (DuckDB, Arrow) that fork would copy mid-lock
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            counts = list(pool.map(write_block, [spec] * k, [bank] * k, range(k), [out] * k))
    for name in PER_CUSTOMER_TABLES:
        _remove_parts(out / name, keep=k)  # left over from an earlier, larger bank
        (out / f"{name}.parquet").unlink(missing_ok=True)  # an earlier one-block bank
    rows = {name: len(df) for name, df in bank.tables().items()}
    rows.update({name: sum(c[name] for c in counts) for name in PER_CUSTOMER_TABLES})
    meta = _meta(spec, rows)
    _write_meta(out, meta)
    return meta


#: Hidden sibling a bank is written into before it is switched in: ``.<name>.synth-XXXX``.
_TMP_INFIX = ".synth-"
#: Where the bank it replaces goes for the moment before it is removed.
_OLD_INFIX = ".synth-old-"


@contextlib.contextmanager
def _fresh_folder(out: Path) -> Iterator[Path]:
    """Yield an empty hidden sibling of ``out``; on success switch it in for ``out`` in one rename.

    On any failure (an exception, Ctrl-C) the sibling is removed and ``out`` is untouched; a sibling
    left by a ``kill -9`` is removed by the next synth to the same folder.  Files in an existing
    ``out`` that are not a bank's own (a README, a notes folder) are carried into the new bank.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}{_TMP_INFIX}*"):  # left by a kill -9 (the old bank's too)
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_TMP_INFIX}", dir=out.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700 folders; a bank follows the umask
        if out.is_dir():
            _carry_over(out, tmp)
        _switch_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _own_names() -> set[str]:
    """Names in a bank folder that belong to the bank: its tables (files or folders of parts), bank.json."""
    tables = {*SCHEMAS, *PER_CUSTOMER_TABLES, *BANK_TABLES}
    return {"bank.json", *tables, *(f"{t}.parquet" for t in tables), *(f"{t}.csv" for t in tables)}


def _carry_over(old: Path, new: Path) -> None:
    """Hard-link (or copy) into ``new`` whatever in ``old`` is not a bank's own; the originals stay until the switch."""
    own = _own_names()
    for p in old.iterdir():
        if p.name in own or (new / p.name).exists():
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.copytree(p, new / p.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(p, new / p.name)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _switch_in(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` onto ``out``: exchanged in one step with an existing bank where Linux allows; the old removed."""
    if not out.exists():
        os.rename(tmp, out)
        return
    old = out.with_name(tmp.name.replace(_TMP_INFIX, _OLD_INFIX, 1))
    if exchange(tmp, out):
        os.rename(tmp, old)  # tmp's name now holds the old bank
    else:  # no renameat2: a moment without the folder
        os.rename(out, old)
        os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def _remove_parts(folder: Path, *, keep: int) -> None:
    """Delete ``part-NNNNN.parquet`` files numbered ``keep`` or above, and the folder if it ends up empty."""
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        m = _PART.fullmatch(p.name)
        if m and int(m.group(1)) >= keep:
            p.unlink()
    if not any(folder.iterdir()):
        folder.rmdir()
