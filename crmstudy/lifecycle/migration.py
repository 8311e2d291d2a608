"""Tier migration between two consecutive periods: who moved up, who slid down, who left.

The bank's period is split into two halves (or any two periods given); each customer's
tier is assigned on each half's average daily assets and point-in-time peak
(:func:`crmstudy.tiers.assign_tiers`, source 001's bars).  A customer who opened during
the second half enters as ``new``; one who left (every holding closed) before its end
exits as ``left``.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from ..bank import Bank
from ..features import customer_features
from ..period import Period
from ..runcache import bankwide
from ..tiers import TIERS, TierThresholds, assign_tiers

__all__ = ["halves", "migration", "transition_matrix"]


def halves(period: Period) -> tuple[Period, Period]:
    """The two halves of ``period`` (the first takes the extra day of an odd length)."""
    mid = period.start + timedelta(days=(period.days + 1) // 2 - 1)
    return Period(period.start, mid), Period(mid + timedelta(days=1), period.end)


def migration(
    data,
    periods: tuple[Period, Period] | None = None,
    *,
    thresholds: TierThresholds = TierThresholds(),
    branch: str | None = None,
) -> pd.DataFrame:
    """One row per customer: ``branch_id``, ``tier_before``, ``tier_after`` (``new`` / ``left`` outside a tier)."""
    bank = Bank.of(data)
    first, second = periods or halves(bank.period)
    a, b = _tier_inputs(bank, first), _tier_inputs(bank, second)
    if branch is not None:
        a = a[a["branch_id"] == branch].reset_index(drop=True)
        b = b[b["branch_id"] == branch].reset_index(drop=True)
    left = _left_dates(bank)
    gone_before = set(left.loc[left["left_date"] <= first.end, "customer_id"])
    gone_after = set(left.loc[left["left_date"] <= second.end, "customer_id"])
    opened_a = pd.to_datetime(a["open_date"]).dt.date <= first.end
    ta = assign_tiers(a, thresholds).astype(str).where(opened_a.to_numpy(), "new")
    tb = assign_tiers(b, thresholds).astype(str)
    out = pd.DataFrame({"customer_id": a["customer_id"], "branch_id": a["branch_id"], "tier_before": ta})
    out = out.merge(pd.DataFrame({"customer_id": b["customer_id"], "tier_after": tb}), on="customer_id", how="left")
    out.loc[out["customer_id"].isin(gone_after), "tier_after"] = "left"
    return out[~out["customer_id"].isin(gone_before)].reset_index(drop=True)


@bankwide()
def _tier_inputs(bank: Bank, period: Period) -> pd.DataFrame:
    """What a tier needs, of every customer over ``period``: the whole bank once per report run.

    Each branch's section slices its customers from it, instead of two feature passes of its own.
    """
    return customer_features(bank, period)[["customer_id", "branch_id", "open_date", "ada", "peak_assets"]]


@bankwide()
def _left_dates(bank: Bank) -> pd.DataFrame:
    """Customers whose every holding is closed, with the last closing date (``left_date``, a date)."""
    left = bank.sql(
        "SELECT customer_id, MAX(close_date) AS left_date FROM holdings GROUP BY customer_id "
        "HAVING COUNT(*) = COUNT(close_date)"
    )
    return left.assign(left_date=pd.to_datetime(left["left_date"]).dt.date)


def transition_matrix(moves: pd.DataFrame, *, shares: bool = False) -> pd.DataFrame:
    """Counts (or row shares) of ``tier_before`` × ``tier_after``, tiers in their order, new and left last."""
    rows = [*TIERS, "new"]
    cols = [*TIERS, "left"]
    m = pd.crosstab(moves["tier_before"], moves["tier_after"]).reindex(index=rows, columns=cols, fill_value=0)
    if shares:
        m = m.div(m.sum(axis=1).where(m.sum(axis=1) > 0), axis=0).fillna(0.0)
    m.index.name, m.columns.name = "tier_before", "tier_after"
    return m
