"""``ingest``: a bank's export, through its mapping, to a crmstudy bank folder and a data-quality report.

The folder is written atomically: every table, ``bank.json``, ``quality.json``
and ``quality.html`` go to a hidden staging folder beside ``out``, which is
renamed onto ``out`` in one step at the end; a refusal (exit 2) leaves
``out`` as it was.  Only the tables the mapping maps are written: ingest never
invents a table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import __version__
from ..errors import DataError, IngestRefused
from ..schema import SCHEMAS, BankFiles, data_fingerprint, validate_table
from . import derive
from .mapping import Mapping, load_mapping
from .quality import Quality
from .tables import build_table

__all__ = ["IngestResult", "ingest"]

#: Tables in the order they are built: parents before the tables that refer to them.
ORDER = ("branches", "staff", "products", "customers", "holdings", "transactions", "visits")
#: child table, column -> parent table, key (the links ``crmstudy validate`` checks, and balances').
LINKS = (
    ("customers", "branch_id", "branches", "branch_id"),
    ("staff", "branch_id", "branches", "branch_id"),
    ("customers", "owner_staff_id", "staff", "staff_id"),
    ("holdings", "customer_id", "customers", "customer_id"),
    ("holdings", "product_id", "products", "product_id"),
    ("balances", "customer_id", "customers", "customer_id"),
    ("transactions", "customer_id", "customers", "customer_id"),
    ("visits", "customer_id", "customers", "customer_id"),
)
GENERATOR = "crmstudy.ingest"


@dataclass(frozen=True)
class IngestResult:
    """What one ingest wrote: the bank folder, rows per table, the quality report."""

    out: Path
    rows: dict[str, int]
    quality: Quality
    fingerprint: str


def ingest(mapping: Mapping | str | Path, out: str | Path, *, lang: str = "en") -> IngestResult:
    """Read the export a mapping describes and write a bank folder to ``out``.

    Parameters
    ----------
    mapping : Mapping or path
        The mapping (:func:`crmstudy.ingest.load_mapping`), or its YAML file.
    out : path
        The bank folder to write: new, empty, or the output of an earlier ingest (replaced whole).
    lang : str
        Language of ``quality.html``.

    Raises
    ------
    IngestRefused
        One line naming the file, table, column and what was expected; nothing is written.
    """
    path = None
    if not isinstance(mapping, Mapping):
        path = Path(mapping)
        mapping = load_mapping(path)
    out = Path(out)
    _check_out(out)
    q = Quality(str(path) if path else "<mapping>")
    tables: dict[str, pd.DataFrame] = {}
    balances = [(src, build_table(mapping, "balances", src, q)) for src in mapping.sources("balances")]
    start, end = _period(mapping, [rows for _, rows in balances], q)
    # parents first, then any other table the mapping maps (accounts, campaigns ...), in its order
    for name in [*ORDER, *(t for t in mapping.tables if t not in ORDER and t != "balances")]:
        parts = [build_table(mapping, name, src, q, period_start=start) for src in mapping.sources(name)]
        if parts:
            tables[name] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if balances:
        segments = [_balances(mapping, src, rows, pd.Timestamp(end), q) for src, rows in balances]
        tables["balances"] = pd.concat(segments, ignore_index=True) if len(segments) > 1 else segments[0]
    _links(tables, q)
    _schema_defaults(tables, q)
    tables = {t: df[[c for c in SCHEMAS[t].columns if c in df]] for t, df in tables.items()}
    _refuse_if_too_much_dropped(mapping, tables, q)
    for name, df in tables.items():
        q.tables[name].rows_written = len(df)
        if name == "customers":
            late = df["open_date"] > pd.Timestamp(end) if "open_date" in df else pd.Series(dtype=bool)
            q.add(name, "open_date", "kept", "opened_after_period", df.loc[late, "customer_id"], end=str(end))
    q.bank = {"currency": mapping.bank.currency, "period_start": str(start), "period_end": str(end)}
    return _publish(mapping, path, tables, q, out, start, end, lang)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise IngestRefused(f"{out}: --out is a file; expected a folder (new, empty, or an earlier ingest's)")
    if out.is_dir() and any(out.iterdir()):
        meta = out / "bank.json"
        try:
            ours = json.loads(meta.read_text()).get("generator") == GENERATOR
        except (OSError, ValueError):
            ours = False
        if not ours:
            raise IngestRefused(
                f"{out}: folder is not empty and not an earlier ingest's; expected a new or empty folder "
                f"(ingest replaces only its own output)"
            )


def _period(mapping: Mapping, parts: list[pd.DataFrame], q: Quality):
    if mapping.bank.period_start:
        return mapping.bank.period_start, mapping.bank.period_end
    lows, highs = [], []
    for rows in parts:
        if {"valid_from", "valid_to"} <= set(rows):
            lows.append(rows["valid_from"].min())
            highs.append(rows["valid_to"].max() - pd.Timedelta(days=1))
        else:
            day = rows["month"] if "month" in rows else rows["date"]
            lows.append(day.min())
            highs.append(day.max())
    lows, highs = [d for d in lows if pd.notna(d)], [d for d in highs if pd.notna(d)]
    if not lows:
        raise IngestRefused(
            "bank.period_start: the mapping gives no period and there are no balances to infer it from; "
            "expected bank.period_start and bank.period_end"
        )
    lo, hi = min(lows), max(highs)
    start = lo.to_period("M").start_time.date()
    end = hi.to_period("M").end_time.date()
    q.add("balances", None, "noted", "period_inferred", count=1, start=str(start), end=str(end))
    return start, end


def _balances(mapping: Mapping, src, rows: pd.DataFrame, end: pd.Timestamp, q: Quality) -> pd.DataFrame:
    if src.derive == "running_balance":
        seg = derive.from_running_balance(rows, end=end, resolution=src.resolution)
    elif src.derive == "snapshots":
        seg = derive.from_snapshots(rows, end=end)
    elif src.derive == "daily":
        seg = derive.from_daily(rows, end=end)
    else:
        seg = rows
    if src.derive != "none":
        q.add("balances", None, "noted", f"derived_{src.derive}", count=len(seg), rows=len(rows))
    neg = seg["balance"] < 0
    if neg.any() and mapping.bank.negative_balances == "refuse":
        raise IngestRefused(
            f"{src.file}: table 'balances', column 'balance': {int(neg.sum())} negative balance(s) "
            f"(e.g. {', '.join(map(str, seg.loc[neg, 'balance'].head(3)))}); expected >= 0, "
            f"or bank.negative_balances: clip"
        )
    q.add("balances", "balance", "clipped", "negative_balance", seg.loc[neg, "balance"])
    seg = seg.assign(balance=seg["balance"].clip(lower=0))
    return seg[[c for c in SCHEMAS["balances"].columns if c in seg]].reset_index(drop=True)


def _links(tables: dict[str, pd.DataFrame], q: Quality) -> None:
    """Drop rows that refer to a parent the export does not have (when it has that table)."""
    for child, col, parent, key in LINKS:
        if child in tables and parent in tables and col in tables[child] and key in tables[parent]:
            df = tables[child]
            orphan = ~df[col].isin(set(tables[parent][key]))
            q.add(child, col, "dropped", "orphan", df.loc[orphan, col], parent=parent)
            tables[child] = df[~orphan].reset_index(drop=True)


def _schema_defaults(tables: dict[str, pd.DataFrame], q: Quality) -> None:
    """Add nullable columns the export lacks as empty; refuse a required column the mapping does not give."""
    for name, df in tables.items():
        for col, spec in SCHEMAS[name].columns.items():
            if col in df or not spec.required:
                continue
            if spec.nullable:
                dtype = str(spec.dtype).lower()
                if "datetime" in dtype:
                    df[col] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ms]")
                elif "float" in dtype:
                    df[col] = pd.Series(float("nan"), index=df.index, dtype="float64")
                elif "int" in dtype:
                    df[col] = pd.Series(pd.NA, index=df.index, dtype="Int16")
                else:
                    df[col] = pd.Series(None, index=df.index, dtype=object)
                q.add(name, col, "noted", "added_empty", count=1)
            else:
                raise IngestRefused(
                    f"{q.mapping_path}: table '{name}', column '{col}': the mapping gives no source; expected "
                    f"tables.{name}.columns.{col} (an export column) or tables.{name}.constants.{col}"
                )


def _refuse_if_too_much_dropped(mapping: Mapping, tables: dict, q: Quality) -> None:
    limit = mapping.bank.max_dropped_share
    for name in tables:
        read = q.tables[name].rows_read if name != "balances" else None
        if not read:
            continue
        dropped = q.dropped(name)
        if dropped / read > limit:
            worst = max((i for i in q.issues if i.table == name and i.action == "dropped"), key=lambda i: i.count)
            eg = f" (e.g. {', '.join(worst.examples[:3])})" if worst.examples else ""
            raise IngestRefused(
                f"{mapping.sources(name)[0].file}: table '{name}', column '{worst.column}': {dropped:,} of {read:,} "
                f"rows would be dropped, most because {worst.message('en')}{eg}; "
                f"expected at most {limit:.0%} (bank.max_dropped_share)"
            )


def _publish(mapping, path, tables, q: Quality, out: Path, start, end, lang) -> IngestResult:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.ingest-", dir=out.parent))
    try:
        files = {}
        for name, df in tables.items():
            try:
                df = validate_table(df, name, source=", ".join(s.file for s in mapping.sources(name)))
            except DataError as e:
                raise IngestRefused(str(e)) from None
            files[name] = staging / f"{name}.parquet"
            df.to_parquet(files[name], index=False)
        fingerprint = data_fingerprint(BankFiles(root=staging, files=files, meta={}))
        meta = {
            "generator": GENERATOR,
            "crmstudy_version": __version__,
            "name": mapping.bank.name,
            "currency": mapping.bank.currency,
            "period_start": str(start),
            "period_end": str(end),
            "mapping": str(path) if path else None,
            "source_fingerprint": _source_fingerprint(mapping, path, q),
            "fingerprint": fingerprint,
            "rows": {t: len(df) for t, df in tables.items()},
        }
        (staging / "bank.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (staging / "quality.json").write_text(q.to_json() + "\n", encoding="utf-8")
        (staging / "quality.html").write_text(q.to_html(lang), encoding="utf-8")
        os.chmod(staging, 0o777 & ~_umask())
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return IngestResult(out=out, rows=meta["rows"], quality=q, fingerprint=fingerprint)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap(staging: Path, out: Path) -> None:
    """Rename ``staging`` onto ``out``; an earlier ingest's folder is moved aside first, then removed."""
    if out.is_dir() and any(out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / "bank")
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            out.rmdir()
        os.replace(staging, out)


def _source_fingerprint(mapping: Mapping, path, q: Quality) -> str:
    """sha256 of the mapping and of every source file's bytes: the same export gives the same value."""
    h = hashlib.sha256()
    if path:
        h.update(Path(path).read_bytes())
    for p in sorted(set(q.files_read)):
        h.update(p.name.encode())
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]
