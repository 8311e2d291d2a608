"""Channel productivity and capacity per branch: counter transactions per staffed hour, and the peak hours.

Source 004 asks for "channel capacity and productivity".  The counter is the
channel with staff behind it: its productivity is counter transactions per
staffed teller-hour (``branch_operations``), its load the teller minutes the
transactions take (``channel_costs.teller_minutes``) over the minutes staffed,
and its capacity problem the peak hour, when the queue forms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..bank import Bank
from ..errors import DataError
from ..period import Period

__all__ = ["counter_productivity", "hourly_profile"]

#: Channels served by a teller.
COUNTER = ("counter",)


def _where(period: Period) -> str:
    return f"ts >= TIMESTAMP '{period.start}' AND ts < TIMESTAMP '{period.end_exclusive}'"


def hourly_profile(data, period: Period | None = None, *, channels=COUNTER) -> pd.DataFrame:
    """Transactions per branch and hour of the day in ``channels``: ``branch_id, hour, n_txn, share``."""
    bank = Bank.of(data)
    period = period or bank.period
    chans = ", ".join(f"'{c}'" for c in channels)
    df = bank.sql(
        f"""
        SELECT c.branch_id, CAST(EXTRACT(hour FROM t.ts) AS INTEGER) AS hour, COUNT(*) AS n_txn
        FROM transactions t JOIN customers c USING (customer_id)
        WHERE t.channel IN ({chans}) AND {_where(period)}
        GROUP BY 1, 2 ORDER BY 1, 2
        """
    )
    df["share"] = df["n_txn"] / df.groupby("branch_id")["n_txn"].transform("sum")
    return df


def counter_productivity(data, period: Period | None = None) -> pd.DataFrame:
    """Per branch: counter transactions, staffed hours, transactions per staffed hour, load and the peak hour.

    Returns
    -------
    pd.DataFrame
        ``branch_id, counter_txns, staff_hours, txns_per_staff_hour, load`` (teller minutes
        used over minutes staffed), ``peak_hour``, ``peak_share`` (of the day's counter
        transactions) and ``peak_load`` (teller minutes needed in the peak hour over the
        teller minutes a fully staffed hour offers).
    """
    bank = Bank.of(data)
    if not bank.has("branch_operations"):
        raise DataError(f"{bank.root}: counter productivity needs table 'branch_operations' (counter staff hours)")
    period = period or bank.period
    ops = bank.sql(
        f"""
        SELECT branch_id, SUM(counter_staff_hours) AS staff_hours, MAX(counter_staff) AS counter_staff
        FROM branch_operations
        WHERE month >= TIMESTAMP '{period.start.replace(day=1)}' AND month < TIMESTAMP '{period.end_exclusive}'
        GROUP BY 1
        """
    )
    hours = hourly_profile(bank, period)
    n = hours.groupby("branch_id")["n_txn"].sum().rename("counter_txns")
    peak = hours.loc[hours.groupby("branch_id")["n_txn"].idxmax(), ["branch_id", "hour", "n_txn", "share"]]
    peak = peak.rename(columns={"hour": "peak_hour", "share": "peak_share", "n_txn": "peak_txns"})
    minutes = 0.0
    if bank.has("channel_costs"):
        cc = bank.read("channel_costs").set_index("channel")
        minutes = float(cc["teller_minutes"].get("counter", np.nan)) if "teller_minutes" in cc else np.nan
    out = ops.merge(n.reset_index(), on="branch_id", how="left").merge(peak, on="branch_id", how="left")
    out["counter_txns"] = out["counter_txns"].fillna(0).astype(int)
    out["txns_per_staff_hour"] = out["counter_txns"] / out["staff_hours"].where(out["staff_hours"] > 0)
    out["load"] = out["counter_txns"] * minutes / (60 * out["staff_hours"].where(out["staff_hours"] > 0))
    workdays = np.busday_count(period.start, period.end_exclusive)
    # the peak hour of an average working day against one hour of every teller
    out["peak_load"] = (
        out["peak_txns"] / workdays * minutes / (60 * out["counter_staff"].where(out["counter_staff"] > 0))
    )
    cols = [
        "branch_id",
        "counter_txns",
        "staff_hours",
        "txns_per_staff_hour",
        "load",
        "peak_hour",
        "peak_share",
        "peak_load",
    ]
    return out[cols].sort_values("branch_id", ignore_index=True)
