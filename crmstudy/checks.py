"""Checking a bank's data: every problem found, grouped, counted, with its first examples.

``crmstudy validate`` and ``crmstudy report`` run the same checks
(:func:`check_bank`): what the report needs of the data is exactly what
``validate`` asks for, so a bank that passes never crashes the report.  A
problem is one :class:`Problem` line naming the file, the table, the column
and what was expected; every problem of every table is collected before any is
reported (:class:`~crmstudy.errors.DataProblems`).

Type coercion is done here rather than left to pandera, because pandera's own
coercion reads a compact integer date (``20250131``) as nanoseconds after 1970
and cannot say what it found; pandera then checks the coerced values (ranges,
codes, uniqueness, the tables' row checks) and its failure cases are grouped
into problems.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandera.errors import SchemaError, SchemaErrors

from .errors import DataProblems
from .schema import SCHEMAS, column_kind

__all__ = ["EXAMPLES", "Problem", "coerce_table", "parts_of", "raise_problems", "read_raw", "validate_frame"]

#: How many examples a problem line shows.
EXAMPLES = 3
_INT_TYPES = {"int16": ("Int16", 32767), "int32": ("Int32", 2**31 - 1), "int64": ("Int64", 2**63 - 1)}
_COMPACT_DATE = re.compile(r"^\d{6}(\d{2})?$")
_SEPARATORS = {";": "';'", "\t": "a tab", "|": "'|'"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data: where, what was expected, how many rows, the first examples."""

    source: str
    table: str
    column: str | None
    what: str
    rows: int = 0
    examples: tuple = ()
    unit: str = "row(s)"

    def line(self) -> str:
        """The problem as the one line an analyst reads."""
        where = (f"table '{self.table}'" if self.table else "") + (
            (", " if self.table else "") + f"column '{self.column}'" if self.column else ""
        )
        extra = []
        if self.rows:
            extra.append(f"{self.rows:,} {self.unit}")
        if self.examples:
            extra.append("e.g. " + ", ".join(_show(v) for v in self.examples))
        tail = f" ({'; '.join(extra)})" if extra else ""
        return f"{self.source}: {where + ': ' if where else ''}{self.what}{tail}"


def _show(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "empty"
    return str(value)


def raise_problems(problems: list[Problem], where) -> None:
    """Raise :class:`DataProblems` listing ``problems`` (one line when there is one); nothing when empty."""
    if not problems:
        return
    lines = list(dict.fromkeys(p.line() for p in problems))
    if len(lines) == 1:
        raise DataProblems(lines[0], problems)
    raise DataProblems(
        f"{where}: {len(lines)} problems in the bank's data; fix them and run again:\n"
        + "\n".join(f"  - {line}" for line in lines),
        problems,
    )


# --- reading a file as it is ------------------------------------------------------------------


def read_raw(path: Path, table: str, columns=None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one file (CSV or Parquet) without changing its values; the problems that stop it being read.

    ``columns``: of a Parquet file, decode only those of these columns the file has (a CSV is
    read whole); the caller checks for the ones it lacks.
    """
    if path.suffix == ".csv":
        return _read_csv(path, table)
    try:
        if columns is not None:
            import pyarrow.parquet as pq

            present = set(pq.read_schema(path).names)
            return pd.read_parquet(path, columns=[c for c in dict.fromkeys(columns) if c in present]), []
        return pd.read_parquet(path), []
    except Exception as e:  # pyarrow raises many kinds; report one line
        return None, [Problem(str(path), table, None, f"could not be read as Parquet: {_first(e)}")]


def _first(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _read_csv(path: Path, table: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    raw = path.read_bytes()
    if not raw.strip():
        return None, [
            Problem(
                str(path),
                table,
                None,
                f"the file is empty; expected a header row ({', '.join(SCHEMAS[table].columns)})",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        guess = ""
        try:
            raw.decode("gb18030")
            guess = " (it reads as GBK/GB18030, Chinese Windows' encoding)"
        except UnicodeDecodeError:
            pass
        return None, [
            Problem(
                str(path),
                table,
                None,
                f"the file is not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start}{guess}; "
                "expected UTF-8 (save it as UTF-8, or map it with `crmstudy ingest`, which reads any encoding)",
            )
        ]
    header = text.splitlines()[0]
    if "," not in header:
        found = next((name for sep, name in _SEPARATORS.items() if sep in header), None)
        if found:
            return None, [
                Problem(
                    str(path),
                    table,
                    None,
                    f"the columns are separated by {found}; expected commas "
                    "(save it as comma-separated CSV, or map it with `crmstudy ingest`)",
                )
            ]
    as_text = {c: str for c in SCHEMAS[table].columns if column_kind(table, c) in ("text", "date")}
    try:
        df = pd.read_csv(io.StringIO(text), dtype=as_text, keep_default_na=False, na_values=[""])
    except Exception as e:  # pandas' parser errors: bad quoting, ragged rows
        return None, [Problem(str(path), table, None, f"could not be read as CSV: {_first(e)}")]
    return df, []


# --- one table: columns, types, values ----------------------------------------------------------


def coerce_table(df: pd.DataFrame, table: str, source, *, checked: bool = False) -> tuple[pd.DataFrame, list[Problem]]:
    """``df`` in the types of ``table``'s schema, with every problem found on the way.

    Columns the schema does not know are dropped; optional columns the file
    left out are added as typed empty columns.  With ``checked`` (these bytes passed every
    check before, :func:`crmstudy.bank_checks.passed_checks`) pandera only coerces the types
    (the same frame as its validation gives, a tenth of the time) instead of checking the values again.
    """
    schema, src = SCHEMAS[table], str(source)
    problems: list[Problem] = []
    missing = [c for c, col in schema.columns.items() if col.required and c not in df.columns]
    for c in missing:
        near = _near(c, [x for x in df.columns if x not in schema.columns])
        hint = f"; is '{near}' this column renamed?" if near else ""
        problems.append(
            Problem(
                src,
                table,
                c,
                f"column missing; expected it among the file's columns ({', '.join(map(str, df.columns))}){hint}",
            )
        )
    out = {}
    bad_cols = set(missing)
    for c, col in schema.columns.items():
        if c not in df.columns:
            out[c] = _empty(table, c, len(df))
            continue
        s = df[c].reset_index(drop=True)
        values, found = _coerce(s, table, c, src)
        problems += found
        if found:
            bad_cols.add(c)
        if not col.nullable:
            null = s.isna()
            if null.any():
                rows = (np.flatnonzero(null.to_numpy())[:EXAMPLES] + 1).tolist()
                problems.append(
                    Problem(
                        src,
                        table,
                        c,
                        "empty; expected a value in every row",
                        int(null.sum()),
                        tuple(f"row {r}" for r in rows),
                    )
                )
                bad_cols.add(c)
        out[c] = values
    extra = [c for c in df.columns if c not in schema.columns]
    frame = pd.DataFrame(out)
    if schema.strict is False:  # truth keeps its other columns
        frame = pd.concat([frame, df[extra].reset_index(drop=True)], axis=1)
    if not problems and checked:
        return schema.coerce_dtype(frame), problems
    if not problems:
        frame, found = _pandera(frame, table, src, skip=bad_cols)
        problems += found
    elif bad_cols <= set(missing):  # only columns missing: the values present are still worth checking
        problems += _pandera(frame, table, src, skip=bad_cols)[1]
    return frame, problems


def pick_rows(df: pd.DataFrame, table: str, rows, source) -> pd.DataFrame:
    """The rows of a file's raw frame whose ``rows[0]`` column, typed as the schema types it, is in ``rows[1]``."""
    column, values = rows
    if column not in df.columns:
        return df.iloc[:0]
    typed, _ = _coerce(df[column].reset_index(drop=True), table, column, str(source))
    typed = pd.Series(typed)
    if column_kind(table, column) in ("text", "key") and pd.api.types.is_string_dtype(typed.dtype):
        # pandas' isin on Arrow-backed strings: 2.5 s on 1M rows; Arrow's is_in: a few ms
        import pyarrow as pa
        import pyarrow.compute as pc

        wanted = pa.array([str(v) for v in values], type=pa.string())
        arr = pa.array(typed.astype(object).where(typed.notna(), None), type=pa.string())
        keep = pc.fill_null(pc.is_in(arr, value_set=wanted), False).to_numpy(zero_copy_only=False)
    else:
        keep = typed.isin(list(values)).to_numpy()
    return df[keep].reset_index(drop=True)


def _names(df: pd.DataFrame) -> str:
    return ", ".join(map(str, df.columns)) or "none"


def _near(name: str, candidates) -> str | None:
    import difflib

    hit = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.6)
    return hit[0] if hit else None


def _empty(table: str, column: str, n: int) -> pd.Series:
    kind = column_kind(table, column)
    if kind == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ms]")
    if kind == "float":
        return pd.Series(np.nan, index=range(n), dtype="float64")
    if kind == "int":
        return pd.Series(pd.NA, index=range(n), dtype="Int16")
    return pd.Series(None, index=range(n), dtype=object)


def _coerce(s: pd.Series, table: str, c: str, src: str) -> tuple[pd.Series, list[Problem]]:
    kind = column_kind(table, c)
    p = []

    def problem(what, bad: pd.Series):
        vals = tuple(pd.unique(s[bad])[:EXAMPLES].tolist())
        p.append(Problem(src, table, c, what, int(bad.sum()), vals))

    present = s.notna()
    if kind in ("text", "key"):
        if pd.api.types.is_float_dtype(s):
            frac = present & (s.fillna(0) % 1 != 0)
            if frac.any() or kind == "key":
                problem("decimal numbers; expected whole numbers or text", frac if frac.any() else present)
                return s, p
            s = s.astype("Int64")
        if kind == "key":
            return s, p
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            return s.astype(str).where(present, None), p
        if pd.api.types.is_integer_dtype(s):
            return s.astype("string").astype(object).where(present, None), p
        if isinstance(s.dtype, pd.StringDtype) or pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
            return s, p
        text = s.map(lambda v: v if isinstance(v, str) else str(v), na_action="ignore")
        return text.astype(object).where(present, None), p
    if kind == "date":
        return _coerce_date(s, present, problem), p
    if kind in ("float", "int"):
        if pd.api.types.is_bool_dtype(s):
            problem("true/false values; expected numbers", present)
            return s, p
        num = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_numeric_dtype(s) else s
        bad = present & num.isna()
        if bad.any():
            comma = s[bad].astype(str).str.fullmatch(r"-?\d+,\d+").any()
            hint = " (a decimal comma? write 1.5, or map the file with `crmstudy ingest`)" if comma else ""
            problem(f"not a number; expected {'an amount' if kind == 'float' else 'a whole number'}{hint}", bad)
            return s, p
        num = num.astype("float64")
        inf = np.isinf(num)
        if inf.any():
            problem("infinite; expected a finite number", inf)
            return s, p
        if kind == "float":
            return num, p
        frac = present & (num.fillna(0) % 1 != 0)
        if frac.any():
            problem("decimals; expected a whole number", frac)
            return s, p
        target = _INT_TYPES.get(str(SCHEMAS[table].columns[c].dtype).lower(), ("Int64", 2**63 - 1))
        big = present & (num.abs() > target[1])
        if big.any():
            problem(f"too large; expected a whole number of at most {target[1]:,}", big)
            return s, p
        return num.astype(target[0]), p
    return s, p


def _coerce_date(s: pd.Series, present: pd.Series, problem) -> pd.Series:
    compact = "compact dates (YYYYMMDD or YYMMDD); expected dates like 2025-12-31 (`crmstudy ingest` converts them)"
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.astype("datetime64[ms]")
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        whole = present & ~pd.api.types.is_bool_dtype(s)
        looks = s[whole].astype("float64").map(lambda v: v % 1 == 0 and _COMPACT_DATE.match(str(int(v))) is not None)
        problem(compact if looks.all() and whole.any() else "numbers; expected dates like 2025-12-31", present)
        return s
    text = s.astype("string").str.strip()
    digits = present & text.str.fullmatch(r"\d{6}|\d{8}").fillna(False).astype(bool)
    if digits.any():
        problem(compact, digits)
        return s
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    bad = present & parsed.isna()
    if bad.any():
        problem("not a date; expected dates like 2025-12-31", bad)
        return s
    return parsed.astype("datetime64[ms]")


_CHECK_WORDS = (
    (re.compile(r"isin\((.*)\)"), lambda m: "expected one of " + m.group(1).strip("[]").replace("'", "")),
    (re.compile(r"in_range\((.*), (.*)\)"), lambda m: f"expected from {m.group(1)} to {m.group(2)}"),
    (re.compile(r"greater_than_or_equal_to\((.*)\)"), lambda m: f"expected {m.group(1)} or more"),
    (re.compile(r"field_uniqueness"), lambda m: "the same value in more than one row; expected each once"),
)


def _words(check: str) -> str:
    for pattern, say in _CHECK_WORDS:
        m = pattern.fullmatch(check) or pattern.match(check)
        if m:
            return say(m)
    return check


def _pandera(frame: pd.DataFrame, table: str, src: str, *, skip: set) -> tuple[pd.DataFrame, list[Problem]]:
    """Pandera's checks (codes, ranges, uniqueness, row checks): the frame validated, or its failures grouped."""
    schema = SCHEMAS[table]
    try:
        return schema.validate(frame, lazy=True), []
    except SchemaErrors as err:
        cases = err.failure_cases
    except SchemaError as err:  # pragma: no cover - lazy validation gathers them
        return frame, [Problem(src, table, getattr(err, "column_name", None), _first(err))]
    out = []
    cases = cases[cases["check"].astype(str) != "not_nullable"]
    for (context, column, check), g in cases.groupby(["schema_context", "column", "check"], dropna=False, sort=False):
        row_check = context == "DataFrameSchema"
        column = None if row_check or pd.isna(column) else str(column)
        if column in skip:
            continue
        rows = g["index"].nunique() if "index" in g and g["index"].notna().any() else len(g)
        examples = () if row_check else tuple(pd.unique(g["failure_case"])[:EXAMPLES].tolist())
        if row_check:
            idx = sorted(pd.unique(g["index"].dropna()))[:EXAMPLES]
            examples = tuple(f"row {int(i) + 1}" for i in idx)
        out.append(Problem(src, table, column, _words(str(check)), int(rows), examples))
    seen, unique = set(), []
    for p in out:  # a row check fails once per column of the row: say it once
        key = (p.column, p.what)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return frame, unique


def validate_frame(df: pd.DataFrame, table: str, *, source="<memory>") -> pd.DataFrame:
    """``df`` checked and coerced to ``table``'s schema; :class:`DataProblems` listing every problem."""
    frame, problems = coerce_table(df, table, source)
    raise_problems(problems, source)
    return frame


def parts_of(path: Path) -> list[Path]:
    """The files of a table: the file itself, or every part of its folder."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".parquet", ".csv"))
    return [path]
