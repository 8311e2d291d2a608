"""One target table from its source: read, filter, look up, rename, recode, coerce, check.

Every value that cannot be read, and every row that breaks a schema check, is
counted in the :class:`~crmstudy.ingest.quality.Quality` report with examples:
a row is dropped when the column may not be empty, the value emptied when it
may.  A column the schema needs and the mapping does not give, or a source
column the export lacks, is refused with one line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import IngestRefused
from ..schema import SCHEMAS
from .coerce import age_at, apply_codes, split_signed, to_date, to_number, to_text
from .mapping import Mapping, TableSource
from .quality import Quality, TableReport
from .readers import read_source

__all__ = ["build_table", "column_kind"]

#: Kinds of the extra columns a mapping may fill (mapping.EXTRA_COLUMNS).
_EXTRA_KINDS = {
    "birth_date": "date",
    "signed_amount": "number",
    "account_id": "text",
    "date": "date",
    "month": "date",
    "sequence": "sequence",
}


def column_kind(table: str, column: str) -> str:
    """``date``, ``number``, ``whole`` (an integer column), ``text`` or ``sequence`` for a target column."""
    if column in _EXTRA_KINDS and column not in SCHEMAS[table].columns:
        return _EXTRA_KINDS[column]
    dtype = str(SCHEMAS[table].columns[column].dtype).lower()
    if "datetime" in dtype:
        return "date"
    if "int" in dtype:
        return "whole"
    if "float" in dtype:
        return "number"
    return "text"


def _nullable(table: str, column: str) -> bool:
    col = SCHEMAS[table].columns.get(column)
    if col is None:  # an extra column: an account number or a sequence may be empty, a day or an amount not
        return column in ("account_id", "sequence")
    return col.nullable


def build_table(mapping: Mapping, table: str, src: TableSource, q: Quality, *, period_start=None) -> pd.DataFrame:
    """The rows of one source of ``table`` as typed canonical columns (and the extra columns derivation reads)."""
    sf = read_source(mapping.base, src.file, src.read, table=table)
    q.files_read += sf.files
    df = sf.frame
    files = [str(_rel(p, mapping.base)) for p in sf.files]
    read = {"encoding": sf.encoding, "sep": sf.sep, "decimal": src.read.decimal if sf.sep else None}
    if table in q.tables:  # a further source of the same table
        report = q.tables[table]
        report.files += files
        report.rows_read += len(df)
        report.read = {k: v if report.read.get(k) in (None, v) else f"{report.read[k]}, {v}" for k, v in read.items()}
    else:
        q.tables[table] = TableReport(table, files, rows_read=len(df), read=read)
    for what in sf.detected:
        q.add(table, None, "noted", f"detected_{what}", count=1, value=sf.encoding if what == "encoding" else sf.sep)
    where = files[0] if len(files) == 1 else src.file
    df = _filter(df, src.filter, table, where, q)
    for lk in src.lookups:
        df = _lookup(mapping, df, lk, table, where, q)
    if src.currency_column:
        cur = to_text(_source(df, src.currency_column, table, where, "currency_column"))[0]
        other = cur.notna() & (cur != mapping.bank.currency)
        q.add(table, src.currency_column, "dropped", "other_currency", cur[other], currency=mapping.bank.currency)
        df = df[~other]
    df = df.reset_index(drop=True)

    cols: dict[str, pd.Series] = {}
    drop = pd.Series(False, index=df.index)
    for target, source in src.columns.items():
        raw = _source(df, source, table, where, target)
        value, bad, unmapped = _coerce(raw, table, target, src)
        if unmapped is not None and unmapped.any() and not _closed_set(table, target):
            q.add(table, target, "kept", "unmapped_code", raw[unmapped])
        if bad.any():
            action = "emptied" if _nullable(table, target) else "dropped"
            q.add(table, target, action, "unreadable", raw[bad], kind=_kind_words(table, target, src))
            if action == "dropped":
                drop |= bad
        missing = value.isna() & ~bad
        if missing.any() and not _nullable(table, target):
            q.add(table, target, "dropped", "missing", count=int(missing.sum()))
            drop |= missing
        cols[target] = value
    for target, const in src.constants.items():
        value, bad, _ = _coerce(pd.Series([const] * max(len(df), 1), dtype=object), table, target, src)
        if bad.any() or (value.isna().any() and not _nullable(table, target)):
            raise IngestRefused(
                f"{where}: table '{table}', column '{target}': constant {const!r} is not "
                f"{_kind_words(table, target, src)}; expected tables.{table}.constants.{target} to be one"
            )
        cols[target] = pd.Series(value.iloc[0], index=df.index, dtype=value.dtype)
    cols, drop = _derived_columns(cols, table, q, period_start, drop)
    out = pd.DataFrame(cols, index=df.index)[~drop]
    out = _check(out, table, q)
    return out.reset_index(drop=True)


def _rel(path, base):
    try:
        return path.relative_to(base)
    except ValueError:
        return path


def _source(df: pd.DataFrame, source: str, table: str, where: str, target: str) -> pd.Series:
    if source not in df.columns:
        shown = ", ".join(map(str, list(df.columns)[:12])) + (" …" if len(df.columns) > 12 else "")
        raise IngestRefused(
            f"{where}: table '{table}', column '{target}': the export has no column {source!r}; its columns: {shown}"
        )
    return df[source]


def _coerce(raw: pd.Series, table: str, target: str, src: TableSource):
    unmapped = None
    if target in src.codes:
        raw, unmapped = apply_codes(raw, src.codes[target])
    kind = column_kind(table, target)
    if kind == "date":
        value, bad = to_date(raw, src.dates.get(target, "auto"))
    elif kind in ("number", "whole"):
        value, bad = to_number(raw, decimal=src.read.decimal, thousands=src.read.thousands)
        if kind == "whole":
            frac = value.notna() & (value != np.floor(value.fillna(0)))
            bad = bad | frac
            value = value.where(~frac).round().astype("Int64")
    elif kind == "sequence":  # ordering within a day: numbers when they all are, else text
        num, nbad = to_number(raw)
        value, bad = (num, nbad) if not nbad.any() else to_text(raw)
    else:
        value, bad = to_text(raw)
    return value, bad, unmapped


def _kind_words(table: str, target: str, src: TableSource) -> str:
    kind = column_kind(table, target)
    if kind == "date":
        return f"dates ({src.dates.get(target, 'auto')})"
    return {"number": "numbers", "whole": "whole numbers"}.get(kind, "text")


def _closed_set(table: str, column: str) -> bool:
    col = SCHEMAS[table].columns.get(column)
    return bool(col is not None and any("allowed_values" in (c.statistics or {}) for c in col.checks))


def _filter(df: pd.DataFrame, filters: dict, table: str, where: str, q: Quality) -> pd.DataFrame:
    for column, keep in filters.items():
        text = to_text(_source(df, column, table, where, f"filter.{column}"))[0]
        out = ~text.isin(keep)
        q.add(table, column, "noted", "filtered", text[out], keep=", ".join(keep))
        df = df[~out]
    return df


def _lookup(mapping: Mapping, df: pd.DataFrame, lk, table: str, where: str, q: Quality) -> pd.DataFrame:
    read = read_source(mapping.base, lk.file, lk.read, table=table)
    q.files_read += read.files
    other = read.frame
    key = lk.key or lk.on
    other = _filter(other, lk.filter, table, lk.file, Quality())
    missing = [c for c in [key, *lk.take] if c not in other.columns]
    if missing:
        raise IngestRefused(f"{lk.file}: table '{table}', lookup column {missing[0]!r}: not in the file")
    clash = [c for c in lk.take if c in df.columns]
    if clash:
        raise IngestRefused(f"{lk.file}: table '{table}', lookup column {clash[0]!r}: already a column of {where}")
    right = other[[key, *lk.take]].assign(_key=to_text(other[key])[0]).drop(columns=[key] if key not in lk.take else [])
    dup = right["_key"].duplicated(keep=False) & right["_key"].notna()
    if dup.any():
        raise IngestRefused(
            f"{lk.file}: table '{table}', lookup key {key!r}: {int(dup.sum())} rows share a key "
            f"(e.g. {', '.join(right.loc[dup, '_key'].astype(str).head(3))}); expected one row per key "
            f"(add a filter to the lookup)"
        )
    left = df.assign(_key=to_text(_source(df, lk.on, table, where, f"lookup.{lk.on}"))[0])
    merged = left.merge(right, on="_key", how="left", validate="many_to_one", indicator=True)
    unmatched = merged["_merge"] == "left_only"
    q.add(table, lk.on, "noted", "no_lookup_match", merged.loc[unmatched, "_key"], file=lk.file)
    return merged.drop(columns=["_key", "_merge"])


def _derived_columns(cols: dict, table: str, q: Quality, period_start, drop: pd.Series) -> dict:
    if table == "customers" and "birth_date" in cols and "age" not in cols and period_start is not None:
        age, moved = age_at(cols.pop("birth_date"), period_start)
        q.add(table, "age", "coerced", "century", count=int((moved & ~drop).sum()))
        cols["age"] = age
    cols.pop("birth_date", None)
    if table == "transactions" and "signed_amount" in cols:
        amount, direction = split_signed(cols.pop("signed_amount"))
        cols.setdefault("amount", amount)
        cols.setdefault("direction", direction)
    return cols, drop


def _check(df: pd.DataFrame, table: str, q: Quality) -> pd.DataFrame:
    """Drop the rows that break a column check or a key's uniqueness; count each reason."""
    schema = SCHEMAS[table]
    for name, col in schema.columns.items():
        if name not in df.columns:
            continue
        for check in col.checks:
            if table == "balances" and name == "balance":  # negative balances: build.py's rule
                continue
            present = df[name].notna()
            ok = check(df.loc[present, name]).check_output
            if not isinstance(ok, pd.Series):  # a check of the whole column (ids: whole numbers or text)
                ok = pd.Series(bool(ok), index=df.index[present])
            ok = ok.reindex(df.index, fill_value=True)
            bad = present & ~ok.astype(bool)
            q.add(table, name, "dropped", "fails_check", df.loc[bad, name], check=_check_words(check))
            df = df[~bad]
        if col.unique:
            dup = df[name].duplicated(keep="first")
            q.add(table, name, "dropped", "duplicate", df.loc[dup, name])
            df = df[~dup]
    for check in schema.checks:
        if all(c in df.columns for c in ("valid_from", "valid_to")) and table == "balances":
            bad = ~check(df).check_output.astype(bool)
            q.add(table, "valid_to", "dropped", "fails_check", df.loc[bad, "valid_from"], check=check.error)
            df = df[~bad]
    return df


def _check_words(check) -> str:
    stats = check.statistics or {}
    if "allowed_values" in stats:
        return "one of " + ", ".join(map(str, stats["allowed_values"]))
    if "min_value" in stats and "max_value" in stats:
        return f"between {stats['min_value']} and {stats['max_value']}"
    if "min_value" in stats:
        return f">= {stats['min_value']}"
    return check.error or check.name
