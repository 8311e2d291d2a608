"""Dormancy: who is sliding into it, who wakes up after a contact, and the dormant book (sources 001, 003).

A customer is *dormant* after 180 days without a transaction of their own (payroll
credits do not count; :data:`crmstudy.feature_defs.DORMANT_DAYS`).  Three questions:

- :func:`sliding`: of the customers active today, who is likely to go quiet for the
  next 90 days (a logit on the month-end snapshots of :mod:`crmstudy.lifecycle.panel`,
  fitted on outcomes known today);
- :func:`wake_up`: how often a dormant customer makes a transaction within 30 days of a
  contact, against dormant customer-months without one;
- :func:`dormant_book`: the dormant customers by branch and tier at the period's end,
  customers who have left (every holding closed) excluded.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep

from ..bank import Bank
from ..features import customer_features
from ..results import Result
from ..tiers import TierThresholds, assign_tiers
from .panel import month_ends, snapshots

__all__ = ["SLIDE_COVARIATES", "WakeUp", "dormant_book", "sliding", "wake_up"]

#: Covariates of the sliding model.
SLIDE_COVARIATES = ("activity", "recency", "balance_trend", "log_balance", "salary_stop")
QUIET_DAYS = 90
WAKE_DAYS = 30

_OWN = "merchant_category <> 'payroll_in'"


def _quiet(bank: Bank, snaps: pd.DataFrame) -> pd.Series:
    """Whether each snapshot's customer made no own transaction in the 90 days after it (and did not leave)."""
    tx = bank.sql(f"SELECT customer_id, CAST(ts AS DATE) AS d FROM transactions WHERE {_OWN}")
    tx["d"] = pd.to_datetime(tx["d"])
    out = np.ones(len(snaps), dtype=bool)
    asof = pd.to_datetime(snaps["as_of"])
    for when in sorted(set(asof)):
        rows = np.flatnonzero(asof == when)
        seen = tx[(tx["d"] > when) & (tx["d"] <= when + pd.Timedelta(days=QUIET_DAYS))]["customer_id"].unique()
        out[rows] = ~snaps["customer_id"].iloc[rows].isin(seen).to_numpy()
    stayed = snaps["days_to_leave"].isna() | (snaps["days_to_leave"] >= QUIET_DAYS)
    return pd.Series(out & stayed.to_numpy(), index=snaps.index)


def sliding(data, as_of: date | None = None, *, branch: str | None = None) -> pd.DataFrame:
    """Each active customer's probability of making no transaction of their own in the next 90 days.

    Fitted on the month ends whose 90 days had passed by ``as_of`` (default: the period's
    end); ``p_quiet_90d`` is NaN when there is nothing to fit on yet.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``branch_id``, ``p_quiet_90d``, sorted by the probability, highest first.
    """
    bank = Bank.of(data)
    as_of = as_of or bank.period.end
    fit_dates = [d for d in month_ends(bank.period, tail=0) if d + timedelta(days=QUIET_DAYS) <= as_of]
    now = snapshots(bank, [as_of], branch=branch)
    p = np.full(len(now), np.nan)
    if fit_dates:
        fit = snapshots(bank, fit_dates)
        y = _quiet(bank, fit).to_numpy().astype(int)
        if 5 <= y.sum() < len(y):
            cov = [c for c in SLIDE_COVARIATES if fit[c].std() > 0]
            x = sm.add_constant(fit[cov], has_constant="add")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.Logit(y, x).fit(disp=0, method="bfgs", maxiter=500)
            p = res.predict(sm.add_constant(now[cov], has_constant="add")).to_numpy()
    out = pd.DataFrame({"customer_id": now["customer_id"], "branch_id": now["branch_id"], "p_quiet_90d": p})
    return out.sort_values(["p_quiet_90d", "customer_id"], ascending=[False, True], ignore_index=True)


@dataclass(frozen=True)
class WakeUp(Result):
    """Wake-up within 30 days: dormant customers contacted vs dormant customer-months without a contact."""

    n_contacted: int
    woke_contacted: int
    n_other: int
    woke_other: int
    difference: float
    low: float
    high: float

    @property
    def rate_contacted(self) -> float:
        """Share of contacts to dormant customers followed by a transaction within 30 days."""
        return self.woke_contacted / self.n_contacted if self.n_contacted else np.nan

    @property
    def rate_other(self) -> float:
        """The same share for dormant customer-months without a contact."""
        return self.woke_other / self.n_other if self.n_other else np.nan

    @property
    def significant(self) -> bool:
        """Whether the interval of the difference excludes 0."""
        return bool(self.low > 0 or self.high < 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per group."""
        return pd.DataFrame(
            {
                "group": ["contacted", "not_contacted"],
                "dormant": [self.n_contacted, self.n_other],
                "woke": [self.woke_contacted, self.woke_other],
                "rate": [self.rate_contacted, self.rate_other],
            }
        )


_WAKE_SQL = """
WITH own AS (SELECT customer_id, CAST(ts AS DATE) AS d FROM transactions WHERE {own}),
cand AS (
    SELECT c.customer_id, c.branch_id, s.d0, s.contacted
    FROM customers c JOIN {points} s ON s.customer_id = c.customer_id
    WHERE CAST(c.open_date AS DATE) <= s.d0 - INTERVAL 180 DAY
)
SELECT cand.*,
    EXISTS (SELECT 1 FROM own o WHERE o.customer_id = cand.customer_id
            AND o.d < cand.d0 AND o.d >= cand.d0 - INTERVAL 180 DAY) AS active_before,
    EXISTS (SELECT 1 FROM own o WHERE o.customer_id = cand.customer_id
            AND o.d >= cand.d0 AND o.d < cand.d0 + INTERVAL {wake} DAY) AS woke
FROM cand
"""


def wake_up(data, *, branch: str | None = None, alpha: float = 0.05) -> WakeUp:
    """Wake-up rate after a contact to a dormant customer, against dormant months without a contact.

    A contact counts when the customer had made no transaction of their own in the 180
    days before it (or since the period's start, when that is at least 90 days back) and
    opened at least 180 days before; it *wakes* them if they make one within 30 days.
    The comparison: the same customers' month starts with no contact in the 30 days after.
    Contacts are not assigned at random in a bank's own data: read the difference as an
    association unless the contacts were.
    """
    bank = Bank.of(data)
    start, end = bank.period.start, bank.period.end
    first = start + timedelta(days=90)
    last = end - timedelta(days=WAKE_DAYS)
    visits = bank.sql("SELECT customer_id, CAST(visit_date AS DATE) AS d0 FROM visits") if bank.has("visits") else None
    if visits is None:
        visits = pd.DataFrame({"customer_id": pd.Series(dtype=str), "d0": pd.Series(dtype="datetime64[ns]")})
    visits["d0"] = pd.to_datetime(visits["d0"]).dt.date
    visits = visits[(visits["d0"] >= first) & (visits["d0"] <= last)].drop_duplicates()
    months = [d.date() for d in pd.date_range(first, last, freq="MS")]
    cust = bank.sql("SELECT customer_id FROM customers")["customer_id"]
    grid = pd.DataFrame([(c, m) for m in months for c in cust], columns=["customer_id", "d0"])
    # a month start counts as "not contacted" when no contact falls in the 30 days after it
    vv = visits.rename(columns={"d0": "v"})
    hit = grid.merge(vv, on="customer_id")
    gap = np.array([(v - d).days for v, d in zip(hit["v"], hit["d0"])], dtype=int)
    touched = set(zip(hit["customer_id"][(gap >= 0) & (gap < WAKE_DAYS)], hit["d0"][(gap >= 0) & (gap < WAKE_DAYS)]))
    grid = grid[[(c, d) not in touched for c, d in zip(grid["customer_id"], grid["d0"])]]
    points = pd.concat([visits.assign(contacted=True), grid.assign(contacted=False)], ignore_index=True)
    points["d0"] = pd.to_datetime(points["d0"])
    name = "_wake_points"
    bank.con.register(name, points)
    try:
        df = bank.con.execute(_WAKE_SQL.format(own=_OWN, points=name, wake=WAKE_DAYS)).df()
    finally:
        bank.con.unregister(name)
    df = df[~df["active_before"]]
    left = bank.sql(
        "SELECT customer_id, CAST(MAX(close_date) AS DATE) AS left_date FROM holdings GROUP BY customer_id "
        "HAVING COUNT(*) = COUNT(close_date)"
    )
    df = df[~df["customer_id"].isin(left["customer_id"])]
    if branch is not None:
        df = df[df["branch_id"] == branch]
    c, o = df[df["contacted"]], df[~df["contacted"]]
    a, n1, b, n0 = int(c["woke"].sum()), len(c), int(o["woke"].sum()), len(o)
    if n1 and n0:
        lo, hi = confint_proportions_2indep(a, n1, b, n0, method="newcomb", compare="diff", alpha=alpha)
        diff = a / n1 - b / n0
    else:
        diff = lo = hi = np.nan
    return WakeUp(n1, a, n0, b, float(diff), float(lo), float(hi))


def dormant_book(
    data, *, thresholds: TierThresholds = TierThresholds(), branch: str | None = None, features=None
) -> pd.DataFrame:
    """Dormant customers at the period's end by branch and tier, customers who have left excluded.

    Returns
    -------
    pd.DataFrame
        ``branch_id``, ``tier``, ``customers`` (all who have not left), ``dormant``,
        ``dormant_share``, ``dormant_assets`` (their ADA).
    """
    bank = Bank.of(data)
    f = customer_features(bank, branch=branch) if features is None else features
    left = bank.sql("SELECT customer_id FROM holdings GROUP BY customer_id HAVING COUNT(*) = COUNT(close_date)")[
        "customer_id"
    ]
    f = f[~f["customer_id"].isin(left)].assign(tier=lambda d: assign_tiers(d, thresholds))
    f = f.assign(dormant_ada=f["ada"].where(f["dormant"], 0.0))
    g = f.groupby(["branch_id", "tier"], observed=False)
    out = pd.DataFrame(
        {"customers": g.size(), "dormant": g["dormant"].sum().astype(int), "dormant_assets": g["dormant_ada"].sum()}
    ).reset_index()
    out["dormant_share"] = (out["dormant"] / out["customers"].where(out["customers"] > 0)).fillna(0.0)
    return out[["branch_id", "tier", "customers", "dormant", "dormant_share", "dormant_assets"]]
