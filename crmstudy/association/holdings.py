"""The holding matrix: customer × product 0/1 on a day.

The one definition of "holds a product on day *t*" of the association
analyses: ``open_date <= t`` and (``close_date`` is missing or
``close_date > t``), the same rule as :func:`crmstudy.features.product_summary`.
A customer who holds nothing on that day is no longer a customer and has no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from .. import feature_defs as defs
from ..bank import Bank
from ..errors import ParamsError
from ..schema import BankFiles
from ._checks import _need


def holding_matrix(
    holdings: pd.DataFrame,
    *,
    as_of,
    customer_ids: Sequence[str] | None = None,
    product_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Customer × product 0/1: who holds what at the end of day ``as_of``.

    Parameters
    ----------
    holdings : pd.DataFrame
        ``customer_id``, ``product_id``, ``open_date``, ``close_date`` (missing
        while open), one row per holding.
    as_of : date-like
        The day; a holding counts when ``open_date <= as_of`` and
        ``close_date`` is missing or later than ``as_of``.
    customer_ids : sequence of str, optional
        Rows to return (customers holding nothing get zeros).  By default the
        customers holding at least one product on ``as_of``.
    product_ids : sequence of str, optional
        Columns to return, in this order (the catalogue).  By default the
        products held by someone, sorted.

    Returns
    -------
    pd.DataFrame
        Index ``customer_id``, columns ``product_id``, int64 values 0/1.

    Examples
    --------
    >>> h = pd.DataFrame({"customer_id": ["C1", "C1"], "product_id": ["A", "B"],
    ...                   "open_date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                   "close_date": pd.to_datetime([None, "2025-06-01"])})
    >>> holding_matrix(h, as_of="2025-12-31").to_dict("records")
    [{'A': 1}]
    """
    _need(holdings, ["customer_id", "product_id", "open_date", "close_date"], "holding_matrix")
    day = pd.Timestamp(as_of).normalize()
    opened = pd.to_datetime(holdings["open_date"]).dt.normalize()
    closed = pd.to_datetime(holdings["close_date"]).dt.normalize()
    held = holdings.loc[(opened <= day) & (closed.isna() | (closed > day)), ["customer_id", "product_id"]]
    held = held.drop_duplicates()
    m = held.assign(v=1).pivot(index="customer_id", columns="product_id", values="v").fillna(0).astype("int64")
    if product_ids is not None:
        m = m.reindex(columns=list(product_ids), fill_value=0)
    else:
        m = m.reindex(columns=sorted(m.columns))
    if customer_ids is not None:
        m = m.reindex(list(customer_ids), fill_value=0)
    m.index.name, m.columns.name = "customer_id", "product_id"
    return m


def read_holding_matrix(
    data: Bank | BankFiles | str | Path | duckdb.DuckDBPyConnection | defs.Engine,
    *,
    as_of=None,
    branch: str | None = None,
) -> pd.DataFrame:
    """:func:`holding_matrix` of a bank, optionally for one branch's customers.

    Parameters
    ----------
    data : Bank, BankFiles, path, duckdb connection or Engine
        A bank in crmstudy's schema (run on its one DuckDB connection), a connection with
        one view per table, or an :class:`~crmstudy.feature_defs.Engine` (e.g.
        ``feature_defs.backend("spark", bank)``).
    as_of : date-like, optional
        Defaults to the last day of the bank's period (required with a connection or an Engine).
    branch : str, optional
        Keep only this branch's customers (the engine filters before reading).

    Returns
    -------
    pd.DataFrame
        Customers holding at least one product on ``as_of`` × every product of
        the catalogue, in catalogue order.
    """
    bank = None if isinstance(data, (defs.Engine, duckdb.DuckDBPyConnection)) else Bank.of(data)
    if as_of is None:
        if bank is None:
            raise ParamsError("read_holding_matrix: give 'as_of' with a connection or an Engine (it has no period)")
        as_of = bank.period.end
    eng = defs.engine_of(bank or data)
    h = defs._scoped(eng.tables["holdings"], eng.tables, branch)
    rows = eng.to_pandas(h.select("customer_id", "product_id", "open_date", "close_date"))
    products = eng.to_pandas(eng.tables["products"].select("product_id"))["product_id"].tolist()
    return holding_matrix(rows, as_of=as_of, product_ids=products)
