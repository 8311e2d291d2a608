"""Relationship depth: product coverage per group, and customers with few product lines for their tier."""

from __future__ import annotations

import pandas as pd

from ..errors import ParamsError
from ..tiers import TIERS, TierThresholds, assign_tiers
from ._checks import _need


def relationship_depth(features: pd.DataFrame, *, by: str = "life_group") -> pd.DataFrame:
    """Product coverage (source 001: 产品覆盖率) per group, RM or branch.

    Parameters
    ----------
    features : pd.DataFrame
        :func:`crmstudy.features.customer_features` (``n_products``,
        ``n_product_lines``, ``coverage``) with the ``by`` column.
    by : str
        e.g. ``"life_group"``, ``"owner_staff_id"``, ``"branch_id"`` or a
        tier column added by the caller.

    Returns
    -------
    pd.DataFrame
        ``by``, ``customers``, ``mean_products``, ``mean_lines``,
        ``mean_coverage``, ``single_line_share`` (customers with one product
        line or none); deepest relationships first.
    """
    _need(features, [by, "n_products", "n_product_lines", "coverage"], "relationship_depth")
    f = features.assign(_single=features["n_product_lines"] <= 1)
    out = f.groupby(by, observed=True, dropna=False).agg(
        customers=("coverage", "size"),
        mean_products=("n_products", "mean"),
        mean_lines=("n_product_lines", "mean"),
        mean_coverage=("coverage", "mean"),
        single_line_share=("_single", "mean"),
    )
    return out.sort_values("mean_coverage", ascending=False).reset_index()


def low_coverage_customers(
    features: pd.DataFrame,
    *,
    tiers: pd.Series | None = None,
    thresholds: TierThresholds = TierThresholds(),
    min_gap: int = 2,
) -> pd.DataFrame:
    """Customers holding clearly fewer product lines than is usual in their tier.

    A customer is flagged when their product lines are at least ``min_gap``
    below their tier's median: a key customer with deposits only is a
    relationship at risk and the plainest cross-sell target.

    Parameters
    ----------
    features : pd.DataFrame
        :func:`crmstudy.features.customer_features`.
    tiers : pd.Series, optional
        Tier of each row of ``features``; by default
        :func:`crmstudy.tiers.assign_tiers` with ``thresholds``.
    thresholds : TierThresholds
        Used only when ``tiers`` is not given.
    min_gap : int
        Product lines below the tier median that count as low.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``tier``, ``ada``, ``n_product_lines``,
        ``coverage``, ``tier_median_lines``, ``gap_lines`` (and
        ``owner_staff_id`` when present); highest tier, widest gap, largest
        assets first.
    """
    if min_gap < 1:
        raise ParamsError(f"'min_gap' must be a whole number of product lines >= 1, got {min_gap!r}")
    _need(features, ["customer_id", "ada", "n_product_lines", "coverage"], "low_coverage_customers")
    tier = assign_tiers(features, thresholds) if tiers is None else tiers
    f = features.assign(tier=pd.Categorical(tier, categories=list(TIERS), ordered=True))
    f["tier_median_lines"] = f.groupby("tier", observed=True)["n_product_lines"].transform("median")
    f["gap_lines"] = f["tier_median_lines"] - f["n_product_lines"]
    cols = ["customer_id", "tier", "ada", "n_product_lines", "coverage", "tier_median_lines", "gap_lines"]
    cols += ["owner_staff_id"] if "owner_staff_id" in f else []
    low = f.loc[f["gap_lines"] >= min_gap, cols]
    return low.sort_values(["tier", "gap_lines", "ada"], ascending=[True, False, False]).reset_index(drop=True)
