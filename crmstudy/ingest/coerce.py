"""Coercions: one export column in, one typed column out, and the rows that could not be read.

Each function returns ``(values, bad)``: the coerced series and a boolean mask
of the rows whose value was present but unreadable.  Empty cells are missing
(``<NA>`` / ``NaN`` / ``NaT``), never bad: whether a missing value is allowed
is the schema's business (:mod:`crmstudy.ingest.build` decides to drop or keep).

Examples
--------
>>> to_text(pd.Series([1001, 1002.0, " C7 ", None]))[0].tolist()
['1001', '1002', 'C7', <NA>]
>>> to_number(pd.Series(["1.234,50", "-7", "x"]), decimal=",", thousands=".")[0].tolist()
[1234.5, -7.0, nan]
>>> to_date(pd.Series(["20250131", "20250229"]), "%Y%m%d")[1].tolist()
[False, True]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["age_at", "apply_codes", "split_signed", "to_date", "to_number", "to_text"]

#: Excel's day 0 (serial 1 is 1900-01-01; Excel's phantom 1900-02-29 makes 1899-12-30 the right origin after it).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Dates outside these years are typing errors or placeholders (00000000, 99991231), not days.
YEARS = (1900, 2100)
_COMPACT = re.compile(r"^(%[YymdHMS])+$")
_WIDTH = {"%Y": 4, "%y": 2, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2}


def _blank(s: pd.Series) -> pd.Series:
    """Missing cells: NaN/None, and text that is empty or only spaces."""
    text = s.astype("string")
    return s.isna() | text.str.strip().fillna("").eq("")


def to_text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids and labels as text: whole numbers without ``.0``, surrounding spaces removed; nothing is bad."""
    blank = _blank(s)
    if pd.api.types.is_float_dtype(s):
        whole = s.notna() & np.isfinite(s) & (s == np.floor(s))
        out = s.astype("string")
        out[whole] = s[whole].astype("int64").astype("string")
    elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_integer_dtype(s):
        out = s.astype("string")
    else:
        out = s.map(_cell_text, na_action="ignore").astype("string")
    out = out.str.strip()
    out[blank] = pd.NA
    return out.astype(object).where(~blank, pd.NA), pd.Series(False, index=s.index)


def _cell_text(v) -> str:
    # a float cell of an Excel or Parquet column of mixed ids
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def to_number(s: pd.Series, *, decimal: str = ".", thousands: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Amounts as float64: a decimal comma, thousands separators and spaces handled; inf is bad."""
    blank = _blank(s)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.astype("float64")
    else:
        text = s.astype("string").str.strip().str.replace(r"[\s\u00a0']", "", regex=True)
        if thousands:
            text = text.str.replace(thousands, "", regex=False)
        if decimal == ",":
            text = text.str.replace(",", ".", regex=False)
        text = text.str.replace(r"^(.*)-$", r"-\1", regex=True)  # a trailing minus (1234.50-)
        out = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = ~blank & ~np.isfinite(out.fillna(0.0)) | (~blank & out.isna())
    out = out.where(~bad)
    return out, bad


def to_date(s: pd.Series, fmt: str = "auto") -> tuple[pd.Series, pd.Series]:
    """Dates and timestamps as ``datetime64[ms]`` from text, compact numbers, Excel serials or datetime cells.

    ``fmt`` is a strftime pattern (``%Y%m%d``, ``%y%m%d``, ``%d.%m.%Y``, ``%Y-%m-%d %H:%M:%S``),
    ``excel`` (serial day numbers), ``epoch_s`` / ``epoch_ms`` or ``auto`` (ISO 8601 text, datetime
    cells, and eight-digit ``YYYYMMDD`` numbers). Impossible days (2025-02-29) and years outside
    1900–2100 are bad.
    """
    blank = _blank(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
    elif fmt in ("excel", "epoch_s", "epoch_ms"):
        num, _ = to_number(s)
        if fmt == "excel":
            out = EXCEL_EPOCH + pd.to_timedelta(num, unit="D")
        else:
            out = pd.to_datetime(num, unit="s" if fmt == "epoch_s" else "ms", errors="coerce")
    else:
        out = _parse_text(s, fmt)
    out = pd.to_datetime(out, errors="coerce")
    years = out.dt.year
    out = out.where(years.between(*YEARS))
    out = out.astype("datetime64[ms]")
    return out, ~blank & out.isna()


def _parse_text(s: pd.Series, fmt: str) -> pd.Series:
    if s.dtype == object:  # a mixed Excel column: datetime cells stay, the rest is text
        cells = s.map(lambda v: isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "isoformat"))
        if cells.all():
            return pd.to_datetime(s, errors="coerce")
    text = to_text(s)[0].astype("string")
    if fmt == "auto":
        compact = text.str.fullmatch(r"\d{8}").fillna(False)
        out = pd.to_datetime(text.where(~compact), format="ISO8601", errors="coerce")
        out[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
        return out
    if _COMPACT.match(fmt):  # a compact date read as a number lost its leading zero (050131 -> 50131)
        width = sum(_WIDTH[p] for p in re.findall(r"%[YymdHMS]", fmt))
        text = text.str.zfill(width)
    return pd.to_datetime(text, format=fmt, errors="coerce")


def apply_codes(s: pd.Series, codes: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Recode values (``男: M``); ``'*'`` maps every other value, ``''`` empty cells; the unmapped are kept, flagged.

    Examples
    --------
    >>> out, unmapped = apply_codes(pd.Series(["男", "女", "未知"]), {"男": "M", "女": "F"})
    >>> out.tolist(), unmapped.tolist()
    (['M', 'F', '未知'], [False, False, True])
    """
    text, _ = to_text(s)
    blank = text.isna()
    mapped = text.map(lambda v: codes.get(v, codes.get("*")) if v in codes or "*" in codes else None)
    unmapped = ~blank & mapped.isna()
    out = mapped.where(~unmapped, text)
    return out.where(~blank, codes.get("", pd.NA)), unmapped


def split_signed(amount: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A signed amount as (absolute amount, direction): positive is money in, negative money out."""
    direction = pd.Series(np.where(amount < 0, "out", "in"), index=amount.index, dtype=object)
    return amount.abs(), direction.where(amount.notna(), pd.NA)


def age_at(birth: pd.Series, when) -> tuple[pd.Series, pd.Series]:
    """Whole years from ``birth`` to ``when``; a two-digit year read into the future is moved back a century.

    Returns the ages and the mask of births that were moved (``%y`` reads ``55`` as 2055).
    """
    when = pd.Timestamp(when)
    future = birth > when
    birth = birth.where(~future, birth - pd.DateOffset(years=100))
    had_birthday = (birth.dt.month < when.month) | ((birth.dt.month == when.month) & (birth.dt.day <= when.day))
    age = when.year - birth.dt.year - (~had_birthday).astype("int64")
    return age.astype("Int64"), future.fillna(False)
