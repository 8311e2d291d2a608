"""Writing a synthetic bank: validated, deterministic Parquet, one block at a time.

A bank of one block (up to :data:`~crmstudy.synth.blocks.BLOCK_SIZE`
customers) is written as ``<out>/<table>.parquet``.  A larger bank writes the
bank-level tables the same way and every per-customer table as a folder of
parts, ``<out>/<table>/part-<block:05d>.parquet``, one per block; each part is
checked against its table's schema before it is written.  Blocks are written
``chunk`` at a time by as many worker processes, so memory stays bounded by
the chunk, not by the bank, and every part is byte-identical whatever the chunk.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..atomic import atomic_path, write_text_atomic
from ..errors import ParamsError
from ..schema import validate_table
from .blocks import BLOCK_SIZE, PER_CUSTOMER_TABLES, BankLevel, generate_block, make_bank, n_blocks
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
    write_text_atomic(out / "bank.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


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
    out = Path(out)
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
    write_text_atomic(out / "bank.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


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
