"""Does a timely contact keep a customer whose balances drop?  Contacted in time vs the rest.

A *drain event* is a day on which a customer's total balance falls by at least
``min_drop`` from a level it had held for ``min_days`` (a short spike that goes away
does not count) while every product still holds money: a product closing or maturing
is an event of its own kind, not a drain.  The event is *contacted in time* when a visit, call or message is
logged within ``deadline_days`` of it (source 004: staff must act within 24-48 hours);
the other events form the comparison group: never contacted, or too late.  The outcome
is whether the customer left within ``horizon`` days.  The comparison is only causal
when who is contacted in time does not depend on the customer's prospects: the
synthetic bank draws the contact arm at random (docs/generative_model.md), a bank's own
data needs a random share of events held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from ..bank import Bank
from ..results import Result

__all__ = ["ContactEffect", "contact_effect", "drain_events"]

_EVENTS_SQL = """
WITH pts AS (SELECT DISTINCT customer_id, valid_from AS t FROM balances),
lvl AS (
    SELECT p.customer_id, p.t, SUM(b.balance) AS total, COUNT(DISTINCT b.product_id) AS n_products
    FROM pts p JOIN balances b ON b.customer_id = p.customer_id AND b.valid_from <= p.t AND b.valid_to > p.t
    GROUP BY p.customer_id, p.t
),
steps AS (
    SELECT customer_id, t, total, n_products,
           LAG(total) OVER w AS before, LAG(t) OVER w AS since, LAG(n_products) OVER w AS n_before
    FROM lvl WINDOW w AS (PARTITION BY customer_id ORDER BY t)
)
SELECT customer_id, CAST(t AS DATE) AS event_date, before, total
FROM steps
WHERE before >= {floor} AND total <= (1 - {drop}) * before AND date_diff('day', since, t) >= {held}
  AND n_products >= n_before
ORDER BY customer_id, t
"""


def drain_events(data, *, min_drop: float = 0.35, min_days: int = 14, floor: float = 1_000.0) -> pd.DataFrame:
    """Days on which a customer's total balance fell by ``min_drop`` or more from a level held ``min_days``.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``event_date``, ``before`` and ``after`` (total balances, currency units),
        the first such day of each customer only.
    """
    bank = Bank.of(data)
    sql = _EVENTS_SQL.format(floor=float(floor), drop=float(min_drop), held=int(min_days))
    ev = bank.con.execute(sql).df().rename(columns={"total": "after"})
    ev["event_date"] = pd.to_datetime(ev["event_date"]).dt.date
    return ev.groupby("customer_id", sort=True).head(1).reset_index(drop=True)


@dataclass(frozen=True)
class ContactEffect(Result):
    """Departures within the horizon: contacted in time vs the comparison group.

    ``difference`` (in time minus comparison, Newcombe interval) and ``ratio`` (relative
    risk, log interval) each with ``low`` and ``high``; ``events`` one row per event.
    """

    n_in_time: int
    n_comparison: int
    left_in_time: int
    left_comparison: int
    difference: float
    diff_low: float
    diff_high: float
    ratio: float
    ratio_low: float
    ratio_high: float
    events: pd.DataFrame

    @property
    def rate_in_time(self) -> float:
        """Share of contacted-in-time events followed by a departure."""
        return self.left_in_time / self.n_in_time if self.n_in_time else np.nan

    @property
    def rate_comparison(self) -> float:
        """Share of comparison events followed by a departure."""
        return self.left_comparison / self.n_comparison if self.n_comparison else np.nan

    @property
    def significant(self) -> bool:
        """Whether the difference's interval excludes 0."""
        return bool(self.diff_high < 0 or self.diff_low > 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: events, departures, rate."""
        return pd.DataFrame(
            {
                "group": ["in_time", "comparison"],
                "events": [self.n_in_time, self.n_comparison],
                "left": [self.left_in_time, self.left_comparison],
                "rate": [self.rate_in_time, self.rate_comparison],
            }
        )


def contact_effect(
    data,
    events: pd.DataFrame | None = None,
    *,
    deadline_days: int = 2,
    horizon: int = 90,
    branch: str | None = None,
    alpha: float = 0.05,
) -> ContactEffect:
    """Departures after drain events, contacted within the deadline or not.

    Parameters
    ----------
    data : Bank or path
    events : pd.DataFrame, optional
        ``customer_id`` and ``event_date``; default :func:`drain_events`.  Events
        whose horizon runs past the data's end are left out.
    deadline_days : int
        A contact on the event's day up to this many days after counts as in time.
    horizon : int
        Days after the event in which a departure counts.
    """
    bank = Bank.of(data)
    ev = drain_events(bank) if events is None else events[["customer_id", "event_date"]].copy()
    end = bank.period.end
    # a boolean Series, not a list: an empty list would select no columns, not no rows
    ev = ev[pd.Series([d + timedelta(days=horizon) <= end for d in ev["event_date"]], index=ev.index, dtype=bool)]
    cust = bank.sql("SELECT customer_id, branch_id FROM customers")
    ev = ev.merge(cust, on="customer_id")
    if branch is not None:
        ev = ev[ev["branch_id"] == branch]
    left = bank.sql(
        "SELECT customer_id, CAST(MAX(close_date) AS DATE) AS left_date FROM holdings GROUP BY customer_id "
        "HAVING COUNT(*) = COUNT(close_date)"
    )
    left["left_date"] = pd.to_datetime(left["left_date"]).dt.date
    ev = ev.merge(left, on="customer_id", how="left")
    ev = ev[ev["left_date"].isna() | (ev["left_date"] > ev["event_date"])].reset_index(drop=True)
    if bank.has("visits") and len(ev):
        v = bank.sql("SELECT customer_id, CAST(visit_date AS DATE) AS d FROM visits")
        v["d"] = pd.to_datetime(v["d"]).dt.date
        m = ev[["customer_id", "event_date"]].merge(v, on="customer_id")
        lag = np.array([(a - b).days for a, b in zip(m["d"], m["event_date"])], dtype=int)
        hit = m[(lag >= 0) & (lag <= deadline_days)]
        contacted = set(zip(hit["customer_id"], hit["event_date"]))
    else:
        contacted = set()
    ev["in_time"] = [(c, d) in contacted for c, d in zip(ev["customer_id"], ev["event_date"])]
    ev["left"] = [pd.notna(ld) and (ld - d).days <= horizon for ld, d in zip(ev["left_date"], ev["event_date"])]
    a, n1 = int(ev.loc[ev["in_time"], "left"].sum()), int(ev["in_time"].sum())
    b, n0 = int(ev.loc[~ev["in_time"], "left"].sum()), int((~ev["in_time"]).sum())
    if n1 and n0:
        d_lo, d_hi = confint_proportions_2indep(a, n1, b, n0, method="newcomb", compare="diff", alpha=alpha)
        # +0.5 to each cell when one is empty keeps the log interval finite
        aa, bb, nn1, nn0 = (a, b, n1, n0) if a and b else (a + 0.5, b + 0.5, n1 + 1, n0 + 1)
        ratio = (aa / nn1) / (bb / nn0)
        se = np.sqrt(1 / aa - 1 / nn1 + 1 / bb - 1 / nn0)
        r_lo, r_hi = ratio * np.exp(-1.96 * se), ratio * np.exp(1.96 * se)
        diff = a / n1 - b / n0
    else:
        diff = d_lo = d_hi = ratio = r_lo = r_hi = np.nan
    return ContactEffect(n1, n0, a, b, diff, float(d_lo), float(d_hi), ratio, float(r_lo), float(r_hi), ev)
