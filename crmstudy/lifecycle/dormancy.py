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

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep

from ..bank import Bank
from ..features import customer_features
from ..results import Result
from ..stats import fit_logit
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
            res = fit_logit(y, x)
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


# Each point (a contact, or a month start with no contact in the 30 days after it) meets its
# customer's last own transaction day before it and first one from it by ASOF joins (one sort-merge
# each); the EXISTS range joins they replace, and a Python grid of customers x months, took 6.6 min
# and 17 GB on a million customers.
_WAKE_SQL = """
WITH own AS (SELECT DISTINCT customer_id, CAST(ts AS DATE) AS d FROM transactions WHERE {own}),
vis AS ({visits}),
months AS (SELECT CAST(m AS DATE) AS d0 FROM (VALUES {months}) AS t(m)),
grid AS (
    SELECT g.customer_id, g.d0
    FROM (SELECT c.customer_id, m.d0 FROM customers c CROSS JOIN months m) g
    ASOF LEFT JOIN vis v ON v.customer_id = g.customer_id AND g.d0 <= v.d0
    WHERE v.d0 IS NULL OR v.d0 >= g.d0 + INTERVAL {wake} DAY
),
points AS (SELECT customer_id, d0, TRUE AS contacted FROM vis UNION ALL SELECT customer_id, d0, FALSE FROM grid),
gone AS (SELECT customer_id FROM holdings GROUP BY customer_id HAVING COUNT(*) = COUNT(close_date)),
cand AS (
    SELECT p.customer_id, p.d0, p.contacted
    FROM points p JOIN customers c ON c.customer_id = p.customer_id
    WHERE CAST(c.open_date AS DATE) <= p.d0 - INTERVAL 180 DAY {branch}
      AND p.customer_id NOT IN (SELECT customer_id FROM gone)
),
before AS (
    SELECT cand.*, o.d AS last_own
    FROM cand ASOF LEFT JOIN own o ON o.customer_id = cand.customer_id AND cand.d0 > o.d
),
after AS (
    SELECT before.*, o.d AS next_own
    FROM before ASOF LEFT JOIN own o ON o.customer_id = before.customer_id AND before.d0 <= o.d
)
SELECT contacted, COUNT(*) AS n, COUNT(*) FILTER (WHERE next_own < d0 + INTERVAL {wake} DAY) AS woke
FROM after
WHERE last_own IS NULL OR last_own < d0 - INTERVAL 180 DAY
GROUP BY contacted
"""


def wake_up(data, *, branch: str | None = None, alpha: float = 0.05) -> WakeUp:
    """Wake-up rate after a contact to a dormant customer, against dormant months without a contact.

    A contact counts when the customer had made no transaction of their own in the 180
    days before it (or since the period's start, when that is at least 90 days back) and
    opened at least 180 days before; it *wakes* them if they make one within 30 days.
    The comparison: the same customers' month starts with no contact in the 30 days after.
    Customers who have left (every holding closed) are out.  Contacts are not assigned at
    random in a bank's own data: read the difference as an association unless the contacts were.
    """
    bank = Bank.of(data)
    start, end = bank.period.start, bank.period.end
    first = start + timedelta(days=90)
    last = end - timedelta(days=WAKE_DAYS)
    months = [d.date() for d in pd.date_range(first, last, freq="MS")]
    if bank.has("visits"):
        visits = (
            "SELECT DISTINCT customer_id, CAST(visit_date AS DATE) AS d0 FROM visits "
            f"WHERE CAST(visit_date AS DATE) BETWEEN DATE '{first}' AND DATE '{last}'"
        )
    else:
        visits = "SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS DATE) AS d0 WHERE FALSE"
    sql = _WAKE_SQL.format(
        own=_OWN,
        visits=visits,
        months=", ".join(f"(DATE '{m}')" for m in months) or "(CAST(NULL AS DATE))",
        wake=WAKE_DAYS,
        branch="AND c.branch_id = $branch" if branch is not None else "",
    )
    counts = bank.con.execute(sql, {"branch": branch} if branch is not None else None).df()
    got = {bool(r.contacted): (int(r.n), int(r.woke)) for r in counts.itertuples()}
    (n1, a), (n0, b) = got.get(True, (0, 0)), got.get(False, (0, 0))
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
