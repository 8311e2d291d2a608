"""Customer snapshots: one row per active customer and as-of date, with what was known then.

The churn early warning, its evaluation and the contact-effect study all read this
one table.  A *snapshot* is a customer on an as-of date: the covariates are computed
from what happened up to the end of that day, the outcomes (did the customer leave
in the next 30 / 90 days) from what followed.  A customer *leaves* on the day their
last open holding closes (every holding closed); a customer is *active* when they
made a transaction of their own (payroll credits do not count) in the 180 days
before, or opened in that time: already-dormant customers are not warned about
churn, they are the dormancy analysis's business.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..bank import Bank
from ..period import Period

#: Covariates of the hazard model (see :func:`snapshots` for their definitions).
COVARIATES = (
    "log_balance",
    "balance_trend",
    "last_move",
    "tp_share",
    "tp_change",
    "salary_stop",
    "recency",
    "activity",
    "owner_left",
)
#: The naive baseline a banker would use: how long since the customer was last seen, and where balances go.
BASELINE = ("recency", "balance_trend")
#: A customer idle this long is dormant, not a churn prospect (source 001/003: 180 days).
ACTIVE_DAYS = 180


def month_ends(period: Period, *, lead: int = 89, tail: int = 90) -> list[date]:
    """Month ends at least ``lead`` days after the period's start and ``tail`` days before its end."""
    first, last = period.start + timedelta(days=lead), period.end - timedelta(days=tail)
    ends = pd.date_range(pd.Timestamp(period.start), pd.Timestamp(period.end), freq="ME")
    return [d.date() for d in ends if first <= d.date() <= last]


def known_by(as_of: pd.Series, days: int, limit: date) -> np.ndarray:
    """Whether each as-of date plus ``days`` falls on or before ``limit`` (its outcome is known by then).

    One comparison per distinct date: a panel of a million customers has a dozen.

    Examples
    --------
    >>> known_by(pd.Series([date(2025, 1, 31), date(2025, 2, 28)]), 30, date(2025, 3, 15)).tolist()
    [True, False]
    """
    codes, dates = pd.factorize(as_of)
    ok = np.array([d + timedelta(days=days) <= limit for d in dates], dtype=bool)
    return ok[codes] if len(dates) else np.zeros(len(as_of), dtype=bool)


# One as-of date per query: a range join of every month end with the transactions compared each
# transaction with each of a customer's dates (8 dates x 55M rows on a million customers, 6 min);
# a date's windows are plain filters, so each month end is one scan, grouped by customer.
_SQL = """
WITH s AS (SELECT TIMESTAMP '{t0}' AS t0, DATE '{as_of}' AS as_of),
gone AS (
    SELECT customer_id, CASE WHEN COUNT(*) = COUNT(close_date) THEN MAX(close_date) END AS left_date
    FROM holdings GROUP BY customer_id
),
base AS (
    SELECT s.t0, s.as_of, c.customer_id, c.branch_id, c.open_date, st.leave_date AS owner_leave, g.left_date
    FROM s CROSS JOIN customers c
    LEFT JOIN staff st ON st.staff_id = c.owner_staff_id
    LEFT JOIN gone g ON g.customer_id = c.customer_id
    WHERE c.open_date <= s.t0 - INTERVAL 30 DAY AND (g.left_date IS NULL OR g.left_date >= s.t0)
),
tx AS (
    SELECT t.customer_id,
        MAX(t.ts) FILTER (WHERE t.merchant_category <> 'payroll_in') AS last_ts,
        COUNT(*) FILTER (WHERE t.ts >= s.t0 - INTERVAL 30 DAY AND t.merchant_category <> 'payroll_in') AS n30,
        SUM(t.amount) FILTER (WHERE t.ts >= s.t0 - INTERVAL 30 DAY AND t.direction = 'out') AS out30,
        SUM(t.amount) FILTER (WHERE t.ts >= s.t0 - INTERVAL 30 DAY
                              AND t.merchant_category = 'third_party_transfer') AS tp30,
        SUM(t.amount) FILTER (WHERE t.ts < s.t0 - INTERVAL 30 DAY AND t.direction = 'out') AS out_prev,
        SUM(t.amount) FILTER (WHERE t.ts < s.t0 - INTERVAL 30 DAY
                              AND t.merchant_category = 'third_party_transfer') AS tp_prev,
        COUNT(*) FILTER (WHERE t.ts >= s.t0 - INTERVAL 45 DAY AND t.merchant_category = 'payroll_in') AS pay_recent,
        COUNT(*) FILTER (WHERE t.ts < s.t0 - INTERVAL 45 DAY AND t.ts >= s.t0 - INTERVAL 120 DAY
                         AND t.merchant_category = 'payroll_in') AS pay_before
    FROM transactions t CROSS JOIN s
    WHERE t.ts < s.t0 AND t.ts >= s.t0 - INTERVAL {active} DAY
    GROUP BY t.customer_id
),
bal AS (
    SELECT x.customer_id,
        SUM(x.balance * GREATEST(0, date_diff('day', GREATEST(x.valid_from, s.t0 - INTERVAL 30 DAY),
                                                  LEAST(x.valid_to, s.t0)))) / 30.0 AS ada30,
        SUM(x.balance * GREATEST(0, date_diff('day', GREATEST(x.valid_from, s.t0 - INTERVAL 90 DAY),
                                                  LEAST(x.valid_to, s.t0 - INTERVAL 30 DAY)))) / 60.0 AS ada_prev,
        SUM(x.balance) FILTER (WHERE x.valid_from < s.t0 AND x.valid_to >= s.t0) AS bal_now
    FROM balances x CROSS JOIN s
    WHERE x.valid_to > s.t0 - INTERVAL 90 DAY AND x.valid_from < s.t0
    GROUP BY x.customer_id
)
SELECT b.as_of, b.customer_id, b.branch_id, b.open_date, b.owner_leave, b.left_date,
       date_diff('day', b.open_date, b.t0) AS tenure_days,
       tx.last_ts, COALESCE(tx.n30, 0) AS n30, COALESCE(tx.out30, 0) AS out30, COALESCE(tx.tp30, 0) AS tp30,
       COALESCE(tx.out_prev, 0) AS out_prev, COALESCE(tx.tp_prev, 0) AS tp_prev,
       COALESCE(tx.pay_recent, 0) AS pay_recent, COALESCE(tx.pay_before, 0) AS pay_before,
       COALESCE(bal.ada30, 0) AS ada30, COALESCE(bal.ada_prev, 0) AS ada_prev, COALESCE(bal.bal_now, 0) AS bal_now,
       CAST(date_diff('day', b.t0, b.left_date) AS INTEGER) AS days_to_leave,
       CAST(date_diff('day', COALESCE(tx.last_ts, b.open_date), b.t0) AS INTEGER) AS idle_days
FROM base b
LEFT JOIN tx ON tx.customer_id = b.customer_id
LEFT JOIN bal ON bal.customer_id = b.customer_id
ORDER BY b.customer_id
"""
#: The query's columns and types, no rows (no as-of date asked).
_EMPTY = "SELECT * FROM (" + _SQL.format(t0="1900-01-02", as_of="1900-01-01", active="{active}") + ") LIMIT 0"


def snapshots(data, as_of: list[date] | date, *, branch: str | None = None) -> pd.DataFrame:
    """One row per active customer and as-of date: covariates, and outcomes where known.

    Parameters
    ----------
    data : Bank or path
    as_of : date or list of date
        Each snapshot sees everything up to the end of that day.
    branch : str, optional
        Keep this branch's customers only.

    Returns
    -------
    pd.DataFrame
        ``as_of``, ``customer_id``, ``branch_id`` and the :data:`COVARIATES`:
        ``log_balance`` (log of 1 + average daily assets of the last 30 days),
        ``balance_trend`` (log ratio of that average to the 60 days before, +100 CNY each),
        ``last_move`` (log ratio of the balance at the day's end to that 30-day average),
        ``tp_share`` (third-party transfers' share of the last 30 days' outflows),
        ``tp_change`` (that share minus the share of the 150 days before),
        ``salary_stop`` (a payroll credit 45-120 days ago and none since),
        ``recency`` (log of 1 + days since the customer's last own transaction),
        ``activity`` (log of 1 + own transactions in the last 30 days),
        ``owner_left`` (the owner's leave date has passed); then the outcomes
        ``left_30`` / ``left_90`` (left within 30 / 90 days) and ``known_30`` /
        ``known_90`` (the bank's data reach that far), ``days_to_leave`` (from the
        day after ``as_of``; NaN for customers who stay).
    """
    bank = Bank.of(data)
    dates = sorted({as_of} if isinstance(as_of, date) else set(as_of))
    return derive(_raw(bank, dates), bank.period.end, branch=branch)


def _raw(bank: Bank, dates: list[date]) -> pd.DataFrame:
    """The query's rows for each date, in date then customer order."""
    parts = [bank.con.execute(_SQL.format(t0=d + timedelta(days=1), as_of=d, active=ACTIVE_DAYS)).df() for d in dates]
    return pd.concat(parts, ignore_index=True) if parts else bank.con.execute(_EMPTY.format(active=ACTIVE_DAYS)).df()


def derive(df: pd.DataFrame, end: date, *, branch: str | None = None) -> pd.DataFrame:
    """The snapshots from the query's rows (sums and dates per customer and as-of date); ``end``: the data's end."""
    if branch is not None:
        df = df[df["branch_id"] == branch].reset_index(drop=True)
    df["as_of"] = pd.to_datetime(df["as_of"]).dt.date
    active = (df["idle_days"] < ACTIVE_DAYS) | (df["tenure_days"] < ACTIVE_DAYS)
    df = df[active].reset_index(drop=True)
    out = pd.DataFrame({"as_of": df["as_of"], "customer_id": df["customer_id"], "branch_id": df["branch_id"]})
    out["days_to_leave"] = df["days_to_leave"].astype("float64")  # NaN: still here at the data's end
    out["log_balance"] = np.log1p(df["ada30"])
    out["balance_trend"] = np.log((df["ada30"] + 100) / (df["ada_prev"] + 100))
    share = np.where(df["out30"] > 0, df["tp30"] / df["out30"].where(df["out30"] > 0, 1), 0.0)
    prev = np.where(df["out_prev"] > 0, df["tp_prev"] / df["out_prev"].where(df["out_prev"] > 0, 1), 0.0)
    out["last_move"] = np.log((df["bal_now"] + 100) / (df["ada30"] + 100))
    out["tp_share"] = share
    out["tp_change"] = share - prev
    out["salary_stop"] = ((df["pay_before"] > 0) & (df["pay_recent"] == 0)).astype(float)
    out["recency"] = np.log1p(df["idle_days"].clip(lower=0))
    out["activity"] = np.log1p(df["n30"])
    leave = pd.to_datetime(df["owner_leave"])
    out["owner_left"] = (leave.notna() & (leave <= pd.to_datetime(df["as_of"]))).astype(float)
    to_leave = df["days_to_leave"]
    for h in (30, 90):
        out[f"left_{h}"] = (to_leave.notna() & (to_leave < h)).astype(int)
        out[f"known_{h}"] = known_by(df["as_of"], h, end)
    return out
