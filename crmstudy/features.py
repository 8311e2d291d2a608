"""Customer-level features, aggregated by DuckDB over the bank's files.

All aggregation over balances, holdings and transactions is SQL run by DuckDB
directly on the Parquet (or CSV) files: no Python loops over rows.  The SQL is
plain ANSI-style (CTEs, window sums, ``CASE``), so that the same definitions
can later be moved to a distributed engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from .errors import DataError, ParamsError
from .schema import BankFiles, find_bank

#: Channels counted as digital in the channel mix.
DIGITAL_CHANNELS = ("mobile_app", "online_banking", "wechat", "third_party", "phone_banking")
#: No customer-initiated transaction for this many days -> dormant (seed 001/003).
DORMANT_DAYS = 180


@dataclass(frozen=True)
class Period:
    """A closed interval of days ``[start, end]``."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ParamsError(f"period: 'end' ({self.end}) must not be before 'start' ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    @classmethod
    def of(cls, start, end) -> "Period":
        return cls(_as_date(start, "period.start"), _as_date(end, "period.end"))


def _as_date(value, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ParamsError(f"'{name}' must be a date like 2025-12-31, got {value!r}") from None


def connect(bank: BankFiles | str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table of the bank."""
    if not isinstance(bank, BankFiles):
        bank = find_bank(bank)
    con = duckdb.connect(":memory:")
    for table, path in bank.files.items():
        if path.is_dir():
            src = f"read_parquet('{path.as_posix()}/*.parquet')"
        elif path.suffix == ".csv":
            src = f"read_csv_auto('{path.as_posix()}', header=true)"
        else:
            src = f"read_parquet('{path.as_posix()}')"
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM {src}")
    return con


def default_period(bank: BankFiles) -> Period:
    """The bank's own period from ``bank.json``, else the span of its balances."""
    if "period_start" in bank.meta:
        return Period.of(bank.meta["period_start"], bank.meta["period_end"])
    con = connect(bank)
    # CAST: Parquet gives TIMESTAMP, CSV gives DATE; valid_to is exclusive in both
    lo, hi = con.execute("SELECT CAST(MIN(valid_from) AS DATE), CAST(MAX(valid_to) AS DATE) FROM balances").fetchone()
    if lo is None:
        raise DataError(f"{bank.path('balances')}: table 'balances' is empty; cannot infer the period")
    return Period(lo, hi - timedelta(days=1))


_ASSETS_SQL = """
WITH seg AS (
    SELECT b.customer_id,
           GREATEST(b.valid_from, CAST($start AS TIMESTAMP)) AS f,
           LEAST(b.valid_to, CAST($end_excl AS TIMESTAMP)) AS t,
           b.balance
    FROM balances b
    WHERE b.valid_to > CAST($start AS TIMESTAMP) AND b.valid_from < CAST($end_excl AS TIMESTAMP) {scope}
), ada AS (
    SELECT customer_id, SUM(balance * date_diff('day', f, t)) / $days AS ada
    FROM seg GROUP BY customer_id
), ev AS (
    SELECT customer_id, f AS d, balance AS delta FROM seg
    UNION ALL
    SELECT customer_id, t AS d, -balance AS delta FROM seg
), net AS (
    SELECT customer_id, d, SUM(delta) AS delta FROM ev GROUP BY customer_id, d
), lvl AS (
    SELECT customer_id, d,
           SUM(delta) OVER (PARTITION BY customer_id ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level
    FROM net
), peak AS (
    SELECT customer_id,
           MAX(level) AS peak_assets
    FROM lvl WHERE d < CAST($end_excl AS TIMESTAMP) GROUP BY customer_id
), closing AS (
    SELECT customer_id, SUM(balance) AS end_assets FROM seg
    WHERE t = CAST($end_excl AS TIMESTAMP) GROUP BY customer_id
)
SELECT ada.customer_id, ada.ada, peak.peak_assets, COALESCE(closing.end_assets, 0) AS end_assets
FROM ada JOIN peak USING (customer_id) LEFT JOIN closing USING (customer_id)
"""

_TXN_SQL = """
SELECT customer_id,
       COUNT(*) AS n_txn,
       SUM(CASE WHEN direction = 'in' THEN amount ELSE 0 END) AS amount_in,
       SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END) AS amount_out,
       COUNT(DISTINCT merchant_category) AS n_categories,
       SUM(CASE WHEN channel IN {digital} THEN 1 ELSE 0 END) * 1.0 / COUNT(*) AS digital_share,
       SUM(CASE WHEN channel IN ('counter', 'smart_counter') THEN 1 ELSE 0 END) * 1.0 / COUNT(*) AS counter_share,
       SUM(CASE WHEN merchant_category = 'third_party_transfer' THEN amount ELSE 0 END)
           / NULLIF(SUM(CASE WHEN direction = 'out' THEN amount ELSE 0 END), 0) AS third_party_out_share,
       MAX(CASE WHEN merchant_category <> 'payroll_in' THEN ts END) AS last_active_ts
FROM transactions
WHERE ts >= CAST($start AS TIMESTAMP) AND ts < CAST($end_excl AS TIMESTAMP) {scope}
GROUP BY customer_id
"""

_PRODUCTS_SQL = """
SELECT h.customer_id,
       COUNT(DISTINCT h.product_id) AS n_products,
       COUNT(DISTINCT p.product_line) AS n_product_lines
FROM holdings h JOIN products p USING (product_id)
WHERE h.open_date < CAST($end_excl AS TIMESTAMP)
  AND (h.close_date IS NULL OR h.close_date >= CAST($end_excl AS TIMESTAMP)) {scope}
GROUP BY h.customer_id
"""


def _params(period: Period, branch: str | None = None) -> dict:
    p = {"start": datetime.combine(period.start, datetime.min.time()),
         "end_excl": datetime.combine(period.end_exclusive, datetime.min.time()),
         "days": period.days}
    if branch is not None:
        p["branch"] = branch
    return p


def _scope(alias: str, branch: str | None) -> str:
    """SQL restricting a query to one branch's customers (empty for all)."""
    if branch is None:
        return ""
    return f"AND {alias}customer_id IN (SELECT customer_id FROM customers WHERE branch_id = $branch)"


def _run(con, sql: str, period: Period, branch: str | None, alias: str, keep=("start", "end_excl", "days")):
    params = {k: v for k, v in _params(period, branch).items() if k in keep or k == "branch"}
    return con.execute(sql.replace("{scope}", _scope(alias, branch)), params).df()


def customer_assets(con: duckdb.DuckDBPyConnection, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Average daily assets, peak point-in-time assets and closing assets.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``ada`` (CNY averaged over every day of the period,
        days before opening count as zero), ``peak_assets`` (highest end-of-day
        total), ``end_assets`` (total on the last day).
    """
    return _run(con, _ASSETS_SQL, period, branch, "b.")


def transaction_summary(con: duckdb.DuckDBPyConnection, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Per customer: count, amounts in/out, variety, channel mix, last activity."""
    sql = _TXN_SQL.replace("{digital}", "(" + ", ".join(f"'{c}'" for c in DIGITAL_CHANNELS) + ")")
    return _run(con, sql, period, branch, "", keep=("start", "end_excl"))


def product_summary(con: duckdb.DuckDBPyConnection, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Per customer: products and product lines held on the period's last day."""
    return _run(con, _PRODUCTS_SQL, period, branch, "h.", keep=("end_excl",))


def customer_features(data: BankFiles | str | Path, period: Period | None = None, *,
                      branch: str | None = None) -> pd.DataFrame:
    """One row per customer: who they are, their assets, activity and products.

    Parameters
    ----------
    data : BankFiles or path
        A bank folder (synthetic or the user's own files in crmstudy's schema).
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
        ``n_product_lines``, ``coverage`` (lines held / lines offered).
    """
    bank = data if isinstance(data, BankFiles) else find_bank(data)
    period = period or default_period(bank)
    con = connect(bank)
    where = "WHERE branch_id = $branch" if branch else ""
    cust = con.execute(f"SELECT * FROM customers {where} ORDER BY customer_id",
                       {"branch": branch} if branch else {}).df()
    assets = customer_assets(con, period, branch=branch)
    txn = transaction_summary(con, period, branch=branch)
    prods = product_summary(con, period, branch=branch)
    n_lines = con.execute("SELECT COUNT(DISTINCT product_line) FROM products").fetchone()[0]
    out = (cust.merge(assets, on="customer_id", how="left")
               .merge(txn, on="customer_id", how="left")
               .merge(prods, on="customer_id", how="left"))
    for c in ("ada", "peak_assets", "end_assets", "amount_in", "amount_out"):
        out[c] = out[c].fillna(0.0)
    for c in ("n_txn", "n_categories", "n_products", "n_product_lines"):
        out[c] = out[c].fillna(0).astype("int64")
    end_ts = pd.Timestamp(period.end_exclusive)
    since_open = (end_ts - pd.to_datetime(out["open_date"])).dt.days
    last = pd.to_datetime(out["last_active_ts"])
    out["days_since_active"] = (end_ts - last).dt.days.where(last.notna(), since_open.clip(upper=period.days))
    out["dormant"] = (out["days_since_active"] >= DORMANT_DAYS) & (since_open >= DORMANT_DAYS)
    out["coverage"] = out["n_product_lines"] / max(int(n_lines), 1)
    return out
