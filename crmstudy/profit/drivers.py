"""What an account did each month, as engine-neutral Ibis expressions (DuckDB by default, Spark for clusters).

The profit model prices *drivers*: for every account (customer × product) and
calendar month of the period, the balance-days it carried, the days it was
open and its amount; for every customer, month and channel, the transactions.
These are the heavy scans (balances and transactions), written once in Ibis
so that they run on DuckDB and on Spark alike (``tests/test_engines.py``);
pricing them (:mod:`crmstudy.profit.contribution`) is arithmetic on a few
columns and is a pure function of the drivers and the price list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..feature_defs import _scoped
from ..period import Period, add_months

__all__ = ["account_months", "channel_months", "month_table", "transactions_in"]


def month_table(period: Period) -> pd.DataFrame:
    """The calendar months of ``period``, clipped to it: ``month``, ``m_start``, ``m_end`` (exclusive), ``days``.

    Examples
    --------
    >>> m = month_table(Period.of("2025-01-15", "2025-03-31"))
    >>> m["days"].tolist()
    [17, 28, 31]
    """
    rows = []
    first = period.start.replace(day=1)
    while first < period.end_exclusive:
        nxt = add_months(first, 1)
        lo, hi = max(first, period.start), min(nxt, period.end_exclusive)
        rows.append((first, lo, hi, (hi - lo).days))
        first = nxt
    df = pd.DataFrame(rows, columns=["month", "m_start", "m_end", "days"])
    for c in ("month", "m_start", "m_end"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    df["days"] = df["days"].astype("int64")
    return df


def _ts(d: date):
    return ibis.timestamp(datetime.combine(d, datetime.min.time()))


def _months(tables: Mapping[str, ir.Table], period: Period) -> ir.Table:
    # one literal row per month, unioned, each from one row of a small table of the bank: engine-neutral
    # (an in-memory table would have to be uploaded to each engine; the DuckDB engine runs compiled SQL)
    one = tables["products"].limit(1)
    rows = [
        one.select(
            month=_ts(r.month.date()),
            m_start=_ts(r.m_start.date()),
            m_end=_ts(r.m_end.date()),
            days=ibis.literal(r.days),
        )
        for r in month_table(period).itertuples()
    ]
    out = rows[0]
    for r in rows[1:]:
        out = out.union(r, distinct=False)
    return out


def account_months(tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None) -> ir.Table:
    """One row per account and month it was open in ``period``.

    Returns
    -------
    ibis.Table
        ``customer_id, product_id, month, days`` (of the month inside the
        period), ``held_days`` (days the account was open), ``amount``
        (principal or limit of credit, 0 otherwise), ``balance_days``
        (Σ end-of-day balance × days, CNY-days; 0 for accounts without balances).
    """
    m = _months(tables, period)
    h = _scoped(tables["holdings"], tables, branch)
    hm = h.join(m, [h.open_date < m.m_end, h.close_date.isnull() | (h.close_date > m.m_start)])
    f = ibis.greatest(hm.open_date.cast("timestamp"), hm.m_start)
    t = ibis.least(hm.close_date.cast("timestamp").fill_null(hm.m_end), hm.m_end)
    hm = hm.select("customer_id", "product_id", "month", "days", "amount", held_days=t.delta(f, unit="day"))
    b = _scoped(tables["balances"], tables, branch)
    bm = b.join(m, [b.valid_from < m.m_end, b.valid_to > m.m_start])
    bf = ibis.greatest(bm.valid_from.cast("timestamp"), bm.m_start)
    bt = ibis.least(bm.valid_to.cast("timestamp"), bm.m_end)
    bm = bm.group_by(["customer_id", "product_id", "month"]).aggregate(
        balance_days=(bm.balance * bt.delta(bf, unit="day")).sum()
    )
    out = hm.left_join(bm, ["customer_id", "product_id", "month"])
    return out.select(
        "customer_id",
        "product_id",
        "month",
        "days",
        out.held_days.cast("int64").name("held_days"),
        "amount",
        out.balance_days.fill_null(0.0).name("balance_days"),
    ).filter(lambda r: r.held_days > 0)


def transactions_in(
    tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None, customer_initiated: bool = False
) -> ir.Table:
    """The transactions of ``period`` that :func:`channel_months` counts.

    Of ``branch``'s customers only when given; without payroll credits when ``customer_initiated``.
    """
    tx = _scoped(tables["transactions"], tables, branch)
    tx = tx.filter(tx.ts >= _ts(period.start), tx.ts < _ts(period.end_exclusive))
    if customer_initiated:
        tx = tx.filter(tx.merchant_category != "payroll_in")
    return tx


def channel_months(
    tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None, customer_initiated: bool = False
) -> ir.Table:
    """Transactions per customer, month and channel in ``period``: ``customer_id, month, channel, n_txn``.

    ``customer_initiated`` leaves payroll credits out (the employer, not the customer, chose their
    channel): for channel behaviour; the cost model counts every transaction.
    """
    tx = transactions_in(tables, period, branch=branch, customer_initiated=customer_initiated)
    tx = tx.mutate(month=tx.ts.truncate("M"))
    return tx.group_by(["customer_id", "month", "channel"]).aggregate(n_txn=tx.count().cast("int64"))
