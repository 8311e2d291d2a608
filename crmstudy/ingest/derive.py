"""Balances derived from what exports hold: a running balance, month-end snapshots, daily balances.

crmstudy's ``balances`` are piecewise-constant segments: from ``valid_from``
(inclusive) to ``valid_to`` (exclusive) the end-of-day balance was ``balance``
(docs/data_dictionary.md).  Each function here takes one row per observation
with ``account_id`` (an account, or the customer × product when there is no
account number), ``customer_id``, ``product_id``, a day and a balance, and
returns those segments.  Several accounts of one customer and product give
overlapping segments, which the asset sums add together, as they should.

Examples
--------
>>> rows = pd.DataFrame({
...     "account_id": ["A", "A", "A"], "customer_id": "C1", "product_id": "DEMAND_DEPOSIT",
...     "date": pd.to_datetime(["2025-01-03", "2025-01-03", "2025-01-20"]), "balance": [100.0, 80.0, 50.0]})
>>> seg = from_running_balance(rows, end=pd.Timestamp("2025-01-31"))
>>> seg[["valid_from", "valid_to", "balance"]].astype(str).values.tolist()
[['2025-01-03', '2025-01-20', '80.0'], ['2025-01-20', '2025-02-01', '50.0']]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["from_daily", "from_running_balance", "from_snapshots", "month_end"]

SEGMENT_COLUMNS = ["customer_id", "product_id", "valid_from", "valid_to", "balance"]
_ONE_DAY = pd.Timedelta(days=1)


def _key(rows: pd.DataFrame) -> list[str]:
    return ["account_id", "customer_id", "product_id"] if "account_id" in rows else ["customer_id", "product_id"]


def _segments(days: pd.DataFrame, key: list[str], *, end: pd.Timestamp) -> pd.DataFrame:
    """One segment per run of equal balances: from each day to the account's next day (or past ``end``)."""
    days = days.sort_values([*key, "date"], kind="stable")
    nxt = days.groupby(key, sort=False)["date"].shift(-1)
    days = days.assign(valid_from=days["date"], valid_to=nxt.fillna(end + _ONE_DAY))
    days = days[days["valid_to"] > days["valid_from"]]
    # merge consecutive segments of one account with the same balance
    run = (
        (
            (days["balance"] != days.groupby(key, sort=False)["balance"].shift())
            | (days["valid_from"] != days.groupby(key, sort=False)["valid_to"].shift())
        )
        .cumsum()
        .rename("_run")
    )
    merged = days.groupby([*key, run], sort=False).agg(
        valid_from=("valid_from", "first"), valid_to=("valid_to", "last"), balance=("balance", "first")
    )
    merged = merged.reset_index()[SEGMENT_COLUMNS]
    return merged.astype({"valid_from": "datetime64[ms]", "valid_to": "datetime64[ms]"}).reset_index(drop=True)


def from_running_balance(rows: pd.DataFrame, *, end: pd.Timestamp, resolution: str = "day") -> pd.DataFrame:
    """Segments from a transaction log's balance-after-transaction column.

    The last transaction of a day (by ``sequence`` when given, else file order)
    sets that day's end-of-day balance, which holds until the account's next
    transaction day; the last one holds to ``end``.  ``resolution="month"``
    keeps only each month's closing balance, as a month-end snapshot would.
    """
    key = _key(rows)
    order = [*key, "date", "sequence"] if "sequence" in rows else [*key, "date"]
    rows = rows.assign(date=rows["date"].dt.normalize()).sort_values(order, kind="stable")
    days = rows.groupby([*key, "date"], sort=False, as_index=False).last()
    if resolution == "month":
        return from_snapshots(month_end(days, key), end=end)
    return _segments(days[[*key, "date", "balance"]], key, end=end)


def month_end(days: pd.DataFrame, key: list[str] | None = None) -> pd.DataFrame:
    """Each account's last balance of each month, dated the month's first day (``month`` column)."""
    key = key or _key(days)
    month = days["date"].dt.to_period("M").dt.to_timestamp()
    last = days.assign(month=month).sort_values([*key, "date"], kind="stable")
    return last.groupby([*key, "month"], sort=False, as_index=False).last()[[*key, "month", "balance"]]


def from_snapshots(rows: pd.DataFrame, *, end: pd.Timestamp) -> pd.DataFrame:
    """Month-end snapshots: each month's balance holds for the whole of that month.

    ``month`` (or ``date``) names the month; a month without a snapshot between
    two snapshots of an account has no segment (the account held nothing then,
    or the export lacks it: the quality report counts such gaps). The last
    month is clipped to ``end``.
    """
    key = _key(rows)
    month = rows["month"] if "month" in rows else rows["date"]
    start = month.dt.to_period("M").dt.to_timestamp()
    seg = rows.assign(valid_from=start, valid_to=start + pd.offsets.MonthBegin(1))
    seg = seg.assign(valid_to=seg["valid_to"].clip(upper=end + _ONE_DAY))
    seg = seg[seg["valid_to"] > seg["valid_from"]]
    seg = seg.sort_values([*key, "valid_from"], kind="stable").drop_duplicates([*key, "valid_from"], keep="last")
    return (
        seg[SEGMENT_COLUMNS]
        .astype({"valid_from": "datetime64[ms]", "valid_to": "datetime64[ms]"})
        .reset_index(drop=True)
    )


def from_daily(rows: pd.DataFrame, *, end: pd.Timestamp) -> pd.DataFrame:
    """Daily end-of-day balances: runs of equal balances on consecutive days merged into one segment.

    A day missing from an account's series ends its segment there: it counts as 0, as the data
    dictionary says of any day no segment covers.
    """
    key = _key(rows)
    rows = rows.assign(date=rows["date"].dt.normalize())
    days = rows.sort_values([*key, "date"], kind="stable").drop_duplicates([*key, "date"], keep="last")
    days = days.assign(valid_from=days["date"], valid_to=days["date"] + _ONE_DAY)
    days = days[days["valid_from"] <= end]
    run = (
        (
            (days["balance"] != days.groupby(key, sort=False)["balance"].shift())
            | (days["valid_from"] != days.groupby(key, sort=False)["valid_to"].shift())
        )
        .cumsum()
        .rename("_run")
    )
    merged = days.groupby([*key, run], sort=False).agg(
        valid_from=("valid_from", "first"), valid_to=("valid_to", "last"), balance=("balance", "first")
    )
    return (
        merged.reset_index()[SEGMENT_COLUMNS]
        .astype({"valid_from": "datetime64[ms]", "valid_to": "datetime64[ms]"})
        .reset_index(drop=True)
    )
