"""Customer-level features, aggregated by DuckDB over the bank's files.

The aggregations over balances, holdings and transactions are defined once,
engine-neutral, as Ibis expressions in :mod:`crmstudy.feature_defs`; here they
run on DuckDB directly over the Parquet (or CSV) files, with no Python loops
over rows.  The same definitions run on Spark (``docs/spark.md``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from . import feature_defs as defs
from .bank import Bank
from .feature_defs import DIGITAL_CHANNELS, DORMANT_DAYS, Period
from .schema import BankFiles

__all__ = [
    "DIGITAL_CHANNELS",
    "DORMANT_DAYS",
    "Period",
    "connect",
    "customer_assets",
    "customer_features",
    "default_period",
    "product_summary",
    "transaction_summary",
]


def connect(bank: Bank | BankFiles | str | Path) -> duckdb.DuckDBPyConnection:
    """The bank's DuckDB connection with one view per table (a Bank's own; a path is opened afresh)."""
    return Bank.of(bank).con


def default_period(bank: Bank | BankFiles | str | Path) -> Period:
    """The bank's own period from ``bank.json``, else the span of its balances (:attr:`Bank.period`)."""
    return Bank.of(bank).period


def _engine(con: duckdb.DuckDBPyConnection) -> defs.Engine:
    return defs.backend("duckdb", con=con)


def customer_assets(con: duckdb.DuckDBPyConnection, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Average daily assets, peak point-in-time assets and closing assets.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``ada`` (CNY averaged over every day of the period,
        days before opening count as zero), ``peak_assets`` (highest end-of-day
        total), ``end_assets`` (total on the last day).
    """
    eng = _engine(con)
    return eng.to_pandas(defs.customer_assets(eng.tables, period, branch=branch))


def transaction_summary(con: duckdb.DuckDBPyConnection, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Per customer: count, amounts in/out, variety, channel mix, last activity."""
    eng = _engine(con)
    return eng.to_pandas(defs.transaction_summary(eng.tables, period, branch=branch))


def product_summary(con: duckdb.DuckDBPyConnection, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Per customer: products and product lines held on the period's last day."""
    eng = _engine(con)
    return eng.to_pandas(defs.product_summary(eng.tables, period, branch=branch))


def customer_features(
    data: Bank | BankFiles | str | Path, period: Period | None = None, *, branch: str | None = None
) -> pd.DataFrame:
    """One row per customer: who they are, their assets, activity and products.

    Parameters
    ----------
    data : Bank, BankFiles or path
        A bank (synthetic or the user's own files in crmstudy's schema).
    period : Period, optional
        Defaults to the bank's own period.
    branch : str, optional
        Keep only this branch's customers.

    Returns
    -------
    pd.DataFrame
        Customer attributes plus ``ada``, ``peak_assets``, ``end_assets``,
        ``n_txn``, ``amount_in``, ``amount_out``, ``n_categories``,
        ``digital_share``, ``counter_share``, ``third_party_out_share``,
        ``last_active_ts``, ``days_since_active``, ``dormant``, ``n_products``,
        ``n_product_lines``, ``coverage`` (lines held / lines offered): see
        :func:`crmstudy.feature_defs.customer_features`, which runs here as one query.
    """
    bank = Bank.of(data)
    period = period or bank.period
    eng = _engine(bank.con)
    return eng.to_pandas(defs.customer_features(eng.tables, period, branch=branch))
