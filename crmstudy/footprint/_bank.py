"""Reading a bank for the footprint modules.

Its connection, its columns, a window's query parameters and a fast test of which ids are
among many.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from ..features import Period, connect


def _connection(data) -> duckdb.DuckDBPyConnection:
    return data if isinstance(data, duckdb.DuckDBPyConnection) else connect(data)


def _columns(con) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def _window_params(window: Period) -> dict:
    months = window.days / (365.25 / 12)
    n_months = (window.end.year - window.start.year) * 12 + window.end.month - window.start.month + 1
    return {"start": datetime.combine(window.start, datetime.min.time()),
            "end_excl": datetime.combine(window.end_exclusive, datetime.min.time()),
            "months": months, "weeks": window.days / 7.0, "n_months": n_months}


def _ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def _is_in(ids: pd.Series, among) -> np.ndarray:
    """``ids.isin(among)`` for hundreds of thousands of ids.

    Our own because pandas 3's Arrow-backed strings convert ``among`` to Arrow one value
    at a time (3 s for 500,000 ids); Arrow's ``is_in`` over the whole array takes 0.3 s.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(list(among), type=pa.string()) if isinstance(among, (set, frozenset)) else pa.array(
        pd.Series(among, dtype="object").to_numpy(), type=pa.string())
    return pc.is_in(pa.array(ids.to_numpy(dtype=object), type=pa.string()), value_set=values).to_numpy(
        zero_copy_only=False)
