"""Asset tiers, ownership by tier, RM workload, upgrade candidates, long tail.

Kept apart from :mod:`crmstudy.pareto` (concentration statistics) because
these functions apply a bank's *rules* (thresholds, roles) rather than
measure a distribution.  Thresholds come from source 001 via params/.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, ParamsError
from .params import OwnershipParams, TierParams

#: Tier names from highest to lowest (source 001: 重点, 次重点, 一般, 潜在, long tail).
TIERS = ("key", "sub_key", "general", "potential", "mass")


@dataclass(frozen=True)
class TierThresholds:
    """Average-daily-asset bars of each tier, in CNY.

    source 001 prints the key bar as 200k, the same as sub-key; the evident
    intent is a higher bar, so the default is 500k (DOMAIN.md).
    """

    key: float = TierParams().key
    sub_key: float = TierParams().sub_key
    general: float = TierParams().general
    potential: float = TierParams().potential
    potential_point_in_time: float = TierParams().potential_point_in_time

    @classmethod
    def from_params(cls, tiers: TierParams) -> TierThresholds:
        """The bars of ``params.tiers`` (:class:`crmstudy.params.TierParams`)."""
        return cls(**tiers.model_dump())

    def __post_init__(self):
        bars = [self.key, self.sub_key, self.general, self.potential]
        if any(b <= 0 for b in bars) or any(hi <= lo for hi, lo in zip(bars, bars[1:])):
            raise ParamsError(
                f"tiers: thresholds must be positive and decreasing (key > sub_key > general > potential), got {bars}"
            )

    def bar(self, tier: str) -> float:
        """The bar of ``tier`` (key, sub_key, general, potential), CNY."""
        return getattr(self, tier)


@dataclass(frozen=True)
class OwnershipRule:
    """Who must own a customer, by average daily assets (source 001)."""

    president: float = OwnershipParams().president
    vice_president: float = OwnershipParams().vice_president

    @classmethod
    def from_params(cls, ownership: OwnershipParams) -> OwnershipRule:
        """The bars of ``params.ownership`` (:class:`crmstudy.params.OwnershipParams`)."""
        return cls(**ownership.model_dump())


def _need(df: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def assign_tiers(
    features: pd.DataFrame,
    thresholds: TierThresholds = TierThresholds(),
    *,
    ada: str = "ada",
    peak: str = "peak_assets",
) -> pd.Series:
    """Tier of each customer (ordered categorical, highest first).

    ``potential`` also takes customers below its average bar whose assets
    reached ``potential_point_in_time`` on some day (source 001: "≥ 20k average
    **or** ≥ 50k at a point in time").
    """
    _need(features, [ada, peak], "assign_tiers")
    a = features[ada].to_numpy(dtype=float)
    p = features[peak].to_numpy(dtype=float)
    t = thresholds
    tier = np.select(
        [a >= t.key, a >= t.sub_key, a >= t.general, (a >= t.potential) | (p >= t.potential_point_in_time)],
        list(TIERS[:4]),
        default="mass",
    )
    return pd.Series(pd.Categorical(tier, categories=list(TIERS), ordered=True), index=features.index, name="tier")


def tier_table(features: pd.DataFrame, tiers: pd.Series, *, ada: str = "ada") -> pd.DataFrame:
    """Customers and assets per tier, with shares and mean ADA."""
    g = features.assign(tier=tiers).groupby("tier", observed=False)[ada]
    out = pd.DataFrame({"customers": g.size(), "assets": g.sum(), "mean_ada": g.mean()})
    out["customer_share"] = out["customers"] / max(out["customers"].sum(), 1)
    out["asset_share"] = out["assets"] / (out["assets"].sum() or 1.0)
    return out.reset_index()


def required_owner_role(
    features: pd.DataFrame, rule: OwnershipRule = OwnershipRule(), *, ada: str = "ada"
) -> pd.Series:
    """The role that must own each customer: president, vice_president or staff."""
    a = features[ada].to_numpy(dtype=float)
    role = np.select([a >= rule.president, a >= rule.vice_president], ["president", "vice_president"], "staff")
    return pd.Series(role, index=features.index, name="required_owner")


def ownership_table(
    features: pd.DataFrame, staff: pd.DataFrame, rule: OwnershipRule = OwnershipRule(), *, as_of=None, ada: str = "ada"
) -> pd.DataFrame:
    """Per required owner role: customers, assets, how many sit with the right role, orphans.

    A customer is an *orphan* when their owner has left the bank by ``as_of``
    (source 001: an RM leaving takes customers with them).
    """
    _need(features, ["owner_staff_id", ada], "ownership_table")
    st = staff.set_index("staff_id")
    role = features["owner_staff_id"].map(st["role"])
    leave = pd.to_datetime(features["owner_staff_id"].map(st["leave_date"]))
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max
    orphan = leave.notna() & (leave <= as_of)
    need = required_owner_role(features, rule, ada=ada)
    ok = np.where(need == "staff", role.notna() & ~role.isin(["president", "vice_president"]), role == need)
    df = pd.DataFrame({"required_owner": need, "ok": ok & ~orphan, "orphan": orphan, "assets": features[ada]})
    out = df.groupby("required_owner").agg(
        customers=("ok", "size"), assets=("assets", "sum"), correctly_owned=("ok", "sum"), orphaned=("orphan", "sum")
    )
    order = ["president", "vice_president", "staff"]
    out = out.reindex(order).fillna(0)
    out[["customers", "correctly_owned", "orphaned"]] = out[["customers", "correctly_owned", "orphaned"]].astype(int)
    out["correct_share"] = out["correctly_owned"] / out["customers"].where(out["customers"] > 0)
    return out.reset_index()


def rm_workload(
    features: pd.DataFrame,
    staff: pd.DataFrame,
    *,
    band: tuple[int, int] = (250, 400),
    role: str = "customer_manager",
    ada: str = "ada",
    as_of=None,
) -> pd.DataFrame:
    """Customers and assets per customer manager, against the 250–400 band (source 000)."""
    lo, hi = band
    if lo > hi:
        raise ParamsError(f"rm_band: 'min' ({lo}) must not exceed 'max' ({hi})")
    rms = staff[staff["role"] == role]
    counts = features.groupby("owner_staff_id").agg(customers=(ada, "size"), assets=(ada, "sum"))
    out = rms[["staff_id", "branch_id", "leave_date"]].merge(counts, left_on="staff_id", right_index=True, how="left")
    out[["customers", "assets"]] = out[["customers", "assets"]].fillna(0)
    out["customers"] = out["customers"].astype(int)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max
    left = pd.to_datetime(out["leave_date"]).notna() & (pd.to_datetime(out["leave_date"]) <= as_of)
    out["status"] = np.select([left, out["customers"] < lo, out["customers"] > hi], ["left", "under", "over"], "within")
    return out.drop(columns="leave_date").sort_values("customers", ascending=False).reset_index(drop=True)


#: Why a customer within the window is not an upgrade candidate (:func:`upgrade_candidates`, ``excluded``).
UPGRADE_EXCLUSIONS = ("above_at_end", "closed")


def upgrade_candidates(
    features: pd.DataFrame,
    thresholds: TierThresholds = TierThresholds(),
    *,
    window: float = 0.10,
    top_n: int | None = 20,
    ada: str = "ada",
    peak: str = "peak_assets",
    end: str | None = "end_assets",
    held: str | None = "n_products",
    drop_excluded: bool = True,
) -> pd.DataFrame:
    """Customers just below the bar of the tier above their own (临界点待提升客户).

    A customer is within reach when their ADA is below the bar of the next
    tier up from their *current* tier (see :func:`assign_tiers`) but within
    ``window`` (a fraction of that bar) of it.  Customers of the top tier are
    never candidates.  Two kinds of customer within reach are not candidates,
    since a call cannot lift them: those whose assets on the period's last day
    (``end``) are already at or above the bar (they are crossing without help),
    and those who hold no product on that day (``held`` is 0: they have closed
    their relationship).  ``None`` for ``end`` or ``held`` skips that check.

    Ranking: smallest gap as a share of the bar first, then the larger ADA.

    Parameters
    ----------
    features : pd.DataFrame
        One row per customer with ``ada``, ``peak`` and, unless None, ``end`` and ``held``.
    thresholds : TierThresholds
        The tiers' bars.
    window : float
        How far below the bar counts as just below, a fraction of the bar (0 to 1).
    top_n : int, optional
        Keep the first ``top_n`` (None: all).
    ada, peak, end, held : str
        Column names.
    drop_excluded : bool
        False keeps the excluded customers too, with their reason in ``excluded``.

    Returns
    -------
    pd.DataFrame
        The candidates' feature rows with ``tier``, ``next_tier``, ``bar``, ``gap``
        (CNY of ADA to the bar), ``gap_share`` (gap / bar) and ``excluded``
        (None for a candidate, else one of :data:`UPGRADE_EXCLUSIONS`).
    """
    if not 0 < window < 1:
        raise ParamsError(f"upgrade.window must be a fraction between 0 and 1, got {window!r}")
    _need(features, [c for c in (ada, peak, end, held) if c is not None], "upgrade_candidates")
    a = features[ada].to_numpy(dtype=float)
    current = assign_tiers(features, thresholds, ada=ada, peak=peak).astype(str).to_numpy()
    above = {TIERS[i + 1]: TIERS[i] for i in range(len(TIERS) - 1)}
    next_tier = np.array([above.get(t) for t in current], dtype=object)
    bar = np.array([thresholds.bar(t) if t else np.nan for t in next_tier], dtype=float)
    gap = bar - a
    cand = (gap > 0) & (gap <= window * bar)
    out = features.loc[cand].copy()
    out["tier"] = current[cand]
    out["next_tier"] = next_tier[cand]
    out["bar"] = bar[cand]
    out["gap"] = gap[cand]
    out["gap_share"] = out["gap"] / out["bar"]
    excluded = pd.Series(None, index=out.index, dtype=object)
    if end is not None:
        excluded[out[end].fillna(0.0).to_numpy() >= out["bar"].to_numpy()] = "above_at_end"
    if held is not None:
        excluded[out[held].fillna(0).to_numpy() <= 0] = "closed"
    out["excluded"] = excluded
    if drop_excluded:
        out = out[out["excluded"].isna()]
    out = out.sort_values(["gap_share", ada], ascending=[True, False])
    out = (out.head(top_n) if top_n else out).reset_index(drop=True)
    out["excluded"] = out["excluded"].astype(object).where(out["excluded"].notna(), None)
    return out


def long_tail_profile(
    features: pd.DataFrame,
    *,
    head_share: float = 0.2,
    ada: str = "ada",
    txn: str = "n_txn",
    products: str = "n_products",
) -> pd.DataFrame:
    """The head (top ``head_share`` by ADA) against the long tail (the rest).

    Returns one row per part with its share of customers, assets, transactions
    and products held, mean ADA, mean product count and dormant share.
    """
    if not 0 < head_share < 1:
        raise ParamsError(f"long_tail.head_share must be between 0 and 1, got {head_share!r}")
    n = len(features)
    if n == 0:
        raise DataError("long_tail_profile: no customers")
    rank = features[ada].rank(method="first", ascending=False)
    part = np.where(rank <= np.ceil(head_share * n), "head", "tail")
    df = features.assign(part=part)
    agg = {
        "customers": (ada, "size"),
        "assets": (ada, "sum"),
        "transactions": (txn, "sum"),
        "products": (products, "sum"),
        "mean_ada": (ada, "mean"),
        "mean_products": (products, "mean"),
    }
    if "dormant" in df:
        agg["dormant_share"] = ("dormant", "mean")
    out = df.groupby("part").agg(**agg).reindex(["head", "tail"])
    for c in ("customers", "assets", "transactions", "products"):
        out[f"{c}_share"] = out[c] / (out[c].sum() or 1)
    return out.reset_index()


@dataclass(frozen=True)
class CrossingRate:
    """How many customers just below a bar crossed it in the next period by themselves.

    Attributes
    ----------
    candidates : int
        Customers within the window below the next tier's bar in the earlier period.
    crossed : int
        Of them, those whose ADA of the later period reached that bar.
    rate, low, high : float
        ``crossed / candidates`` and its 95 % Wilson interval (NaN without candidates).
    """

    candidates: int
    crossed: int
    rate: float
    low: float
    high: float


def crossing_rate(
    before: pd.DataFrame,
    after: pd.DataFrame,
    thresholds: TierThresholds = TierThresholds(),
    *,
    window: float = 0.10,
    id_col: str = "customer_id",
) -> CrossingRate:
    """The base rate of an upgrade list: the share of an earlier period's candidates who crossed anyway.

    A list of customers just below a bar is worth a call only for what the call adds: some of
    them cross in the next months whatever the bank does.  The earlier period's candidates
    (:func:`upgrade_candidates` on ``before``'s ``ada`` and ``peak_assets``, every customer
    within reach) are followed into the later one; a customer crosses when their ADA there
    is at or above the bar they were below (no balance in ``after``: did not cross).

    Parameters
    ----------
    before, after : pd.DataFrame
        ``customer_id``, ``ada`` and ``peak_assets`` of two consecutive periods.
    thresholds, window
        As :func:`upgrade_candidates`.

    Examples
    --------
    >>> t = TierThresholds()
    >>> bar = t.bar("potential")
    >>> b = pd.DataFrame({"customer_id": ["a", "b"], "ada": [0.95 * bar] * 2, "peak_assets": [0.95 * bar] * 2})
    >>> a = pd.DataFrame({"customer_id": ["a", "b"], "ada": [bar, 0.5 * bar], "peak_assets": [bar, 0.5 * bar]})
    >>> r = crossing_rate(b, a, t)
    >>> (r.candidates, r.crossed, r.rate)
    (2, 1, 0.5)
    """
    cand = upgrade_candidates(before, thresholds, window=window, top_n=None, end=None, held=None)
    later = after.set_index(id_col)["ada"]
    ada_after = cand[id_col].map(later).fillna(0.0).to_numpy(dtype=float)
    n, k = len(cand), int((ada_after >= cand["bar"].to_numpy(dtype=float)).sum())
    if n == 0:
        return CrossingRate(0, 0, float("nan"), float("nan"), float("nan"))
    z, p = 1.959963984540054, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return CrossingRate(n, k, p, float(centre - half), float(centre + half))
