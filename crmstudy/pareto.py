"""How value is spread across customers: the 80/20 rule and the long tail.

Concentration: Lorenz curve, Gini, top shares, and the same per group
(:func:`concentration_by_group`).  The Theil decomposition by group is in
:mod:`crmstudy.pareto_groups` and importable from here; tiers and ownership
are in :mod:`crmstudy.tiers`.

Every function takes one non-negative value per customer, typically average
daily assets (日均资产), optionally with frequency weights, and raises
:class:`~crmstudy.errors.DataError` for empty, missing, infinite or negative
input.  All statistics are computed on the Lorenz curve drawn through the
sorted values, so they agree with one another exactly: ``top_share``,
``customers_holding_share`` and ``gini`` read the same piecewise-linear curve
that ``lorenz_curve`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError
from .pareto_groups import TheilResult, _groups, theil_decomposition
from .pareto_intervals import (
    DEFAULT_METHOD,
    METHODS,
    GiniComparison,
    check_interval_method,
    compare_sorted,
    gini_intervals,
)
from .results import Result
from .stats import nonnegative_array

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "GiniComparison",
    "GiniResult",
    "ParetoSummary",
    "TheilResult",
    "compare_gini",
    "concentration_by_group",
    "customers_holding_share",
    "gini",
    "lorenz_curve",
    "pareto_summary",
    "theil_decomposition",
    "top_share",
]

# --- concentration ---


@dataclass(frozen=True)
class GiniResult(Result):
    """A Gini coefficient with its confidence interval.

    Attributes
    ----------
    estimate : float
        The sample Gini coefficient, in [0, 1).
    low, high : float
        Bounds of the interval; NaN when no interval was asked for.
    n : int
        Number of customers (rows) the estimate is based on.
    """

    estimate: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class ParetoSummary(Result):
    """The headline numbers of a concentration analysis.

    Attributes
    ----------
    n : int
        Number of customers.
    total : float
        Sum of the values.
    gini : float
        Sample Gini coefficient (no interval; see :func:`gini`).
    top1_share, top10_share, top20_share : float
        Share of the total held by the top 1%, 10% and 20% of customers.
    customers_for_80 : float
        Smallest fraction of customers, largest first, holding 80% of the total.
    """

    n: int
    total: float
    gini: float
    top1_share: float
    top10_share: float
    top20_share: float
    customers_for_80: float


def _clean(values, weights, *, caller: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Validated values and weights, sorted ascending, zero-weight rows dropped."""
    x = nonnegative_array(values, caller=caller, what="values")
    if weights is None:
        return np.sort(x), None
    if isinstance(values, pd.Series) and isinstance(weights, pd.Series):
        if not values.index.equals(weights.index):
            raise DataError(f"{caller}: weights are not aligned with values (different index)")
    w = nonnegative_array(weights, caller=caller, what="weights")
    if w.size != x.size:
        raise DataError(f"{caller}: {w.size} weights for {x.size} values; need one per customer")
    keep = w > 0
    if not keep.any():
        raise DataError(f"{caller}: weights sum to 0; need at least one positive weight")
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    return x[order], w[order]


def _require_positive_total(x: np.ndarray, w: np.ndarray | None, *, caller: str) -> None:
    if not (x if w is None else x * w).sum() > 0:
        raise DataError(f"{caller}: values sum to 0, so their concentration is undefined")


def _lorenz(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the Lorenz curve of ascending ``x``: (customer share, value share)."""
    cum_w = np.arange(1, x.size + 1, dtype="float64") if w is None else np.cumsum(w)
    cum_v = np.cumsum(x if w is None else x * w)
    customer_share = np.concatenate(([0.0], cum_w / cum_w[-1]))
    value_share = np.concatenate(([0.0], cum_v / cum_v[-1]))
    return customer_share, value_share


def _gini_sorted(x: np.ndarray, w: np.ndarray | None) -> float:
    """Sample Gini of ascending ``x`` with frequency weights; NaN for a zero total."""
    if w is None:
        w = np.ones_like(x)
    return float(_gini_batch(x, w[np.newaxis, :])[0])


def _gini_batch(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Gini of ascending ``x`` under each row of weights ``w`` (shape b x n).

    Uses sum_ij w_i w_j |x_i - x_j| = 2 sum_i w_i x_i (2 C_i - w_i - W), where
    C_i is the cumulative weight up to and including i and W the total
    weight; tied values contribute nothing, whatever their order.
    """
    cum_w = np.cumsum(w, axis=1)
    total_w = cum_w[:, -1]
    wx = w * x
    total = wx.sum(axis=1)
    pair_sum = (wx * (2.0 * cum_w - w - total_w[:, np.newaxis])).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pair_sum / (total_w * total)


def _top_share(customer_share: np.ndarray, value_share: np.ndarray, k: float) -> float:
    return float(1.0 - np.interp(1.0 - k, customer_share, value_share))


def _customers_for(customer_share: np.ndarray, value_share: np.ndarray, share: float) -> float:
    """Smallest top fraction p with 1 - L(1 - p) >= share, read off the curve.

    The Lorenz curve can be flat (customers holding 0), so it is inverted by
    taking the last vertex at or below 1 - share rather than by ``np.interp``.
    """
    target = 1.0 - share
    j = int(np.searchsorted(value_share, target, side="right"))
    if j == value_share.size:
        return 0.0
    lo, hi = value_share[j - 1], value_share[j]
    step = customer_share[j] - customer_share[j - 1]
    return float(1.0 - (customer_share[j - 1] + (target - lo) / (hi - lo) * step))


def _check_fraction(v: float, *, caller: str, name: str) -> None:
    if not 0.0 <= v <= 1.0:
        raise DataError(f"{caller}: '{name}' must be a fraction between 0 and 1, got {v!r}")


def lorenz_curve(values, *, weights=None, points: int | None = None) -> pd.DataFrame:
    """Lorenz curve: share of the total held by the poorest share of customers.

    Parameters
    ----------
    values : pd.Series or array-like
        One value per customer, e.g. average daily assets. Must be >= 0 with a
        positive total.
    weights : pd.Series or array-like, optional
        Frequency weights aligned with ``values``; ``customer_share`` is then
        the share of total weight.
    points : int, optional
        Return this many evenly spaced customer shares from 0 to 1 (at least
        2), with value shares interpolated on the curve, e.g. 201 rows to plot
        a million customers. By default every customer is a vertex.

    Returns
    -------
    pd.DataFrame
        Columns ``customer_share`` and ``value_share``, ascending, from (0, 0)
        to (1, 1).

    Examples
    --------
    >>> lorenz_curve(pd.Series([0, 0, 0, 4])).value_share.tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0]
    """
    x, w = _clean(values, weights, caller="lorenz_curve")
    _require_positive_total(x, w, caller="lorenz_curve")
    customer_share, value_share = _lorenz(x, w)
    if points is not None:
        if int(points) != points or points < 2:
            raise DataError(f"lorenz_curve: 'points' must be an integer >= 2, got {points!r}")
        grid = np.linspace(0.0, 1.0, int(points))
        customer_share, value_share = grid, np.interp(grid, customer_share, value_share)
    return pd.DataFrame({"customer_share": customer_share, "value_share": value_share})


def gini(
    values, *, weights=None, ci: float | None = 0.95, n_boot: int = 1000, seed: int = 0, method: str = DEFAULT_METHOD
) -> GiniResult:
    r"""Gini coefficient of a non-negative quantity, with a confidence interval.

    Parameters
    ----------
    values : pd.Series or array-like
        One value per customer, e.g. average daily assets. Must be >= 0 with a
        positive total.
    weights : pd.Series or array-like, optional
        Frequency weights aligned with ``values``: a weight of 3 counts as the
        row repeated three times.
    ci : float or None
        Confidence level of the interval; None skips it.
    n_boot : int
        Number of bootstrap resamples (bootstrap methods only).
    seed : int
        Seed of the bootstrap's random generator; the same seed gives the same
        interval.
    method : str
        One of :data:`METHODS` (see :mod:`crmstudy.pareto_intervals`). The
        default, the semi-parametric (Pareto-tail) bootstrap-t
        (``"semiparametric"``, Davidson and Flachaire 2007) with the tail
        index drawn per resample, covered best at branch and bank size in
        ``benchmarks/gini_coverage.py`` (nominal 95%; 500 samples, 300 at
        20,000): at 200 / 1,400 / 20,000 customers lognormal(1.38) 93.6% /
        95.0% / 94.3%, lognormal(2) 91.8% / 95.0% / 94.3%, the generator's
        asset law 94.8% / 93.2% / 96.0%; the tail index fixed
        (``"semiparametric_fixed_tail"``) 91.4% and 85.4% at 1,400 for
        lognormal(2) and the asset law (benchmarks/README.md).

    Returns
    -------
    GiniResult
        ``estimate``, ``low``, ``high`` and ``n`` (number of rows).

    Notes
    -----
    The estimate is the plug-in (sample) Gini

    .. math:: G = \frac{\sum_i \sum_j |x_i - x_j|}{2 n^2 \bar{x}},

    twice the area between the equality line and the Lorenz curve, so that
    all-equal values give 0 and one holder of everything gives (n-1)/n. It is
    not the bias-corrected n/(n-1) version, which would give 1 in that case
    but disagrees with the Lorenz curve and the top shares. Computed in
    O(n log n) from the sorted values.

    The bootstrap resamples rows with replacement (rows keep their weights).
    Values are sorted once; each resample is a vector of multinomial counts
    over the sorted values used as extra weights, so a resample costs O(n):
    a million customers with ``n_boot=200`` take a few seconds (the
    studentised methods about twice the percentile's time).

    Examples
    --------
    >>> gini(pd.Series([1, 1, 1, 1])).estimate
    0.0
    >>> gini(pd.Series([0, 0, 0, 8]), ci=None).estimate
    0.75
    """
    x, w = _clean(values, weights, caller="gini")
    _require_positive_total(x, w, caller="gini")
    estimate = _gini_sorted(x, w)
    if ci is None:
        return GiniResult(estimate, float("nan"), float("nan"), int(x.size))
    _check_interval_args(ci, n_boot, method, caller="gini")
    (low, high) = gini_intervals(x, w, methods=[method], ci=ci, n_boot=int(n_boot), seed=seed)[method]
    return GiniResult(estimate, low, high, int(x.size))


def _check_interval_args(ci, n_boot, method, *, caller: str) -> None:
    if not 0.0 < ci < 1.0:
        raise DataError(f"{caller}: 'ci' must be a confidence level between 0 and 1, got {ci!r}")
    if int(n_boot) != n_boot or n_boot < 1:
        raise DataError(f"{caller}: 'n_boot' must be a positive integer, got {n_boot!r}")
    check_interval_method(method, caller=caller)


def compare_gini(
    values, rest, *, weights=None, rest_weights=None, ci: float = 0.95, n_perm: int = 1000, seed: int = 0
) -> GiniComparison:
    """Is one group (a branch) more or less concentrated than another (the rest of the bank)? A permutation test.

    Parameters
    ----------
    values, rest : pd.Series or array-like
        One non-negative value per customer of each group, each with a positive total.
    weights, rest_weights : pd.Series or array-like, optional
        Frequency weights of each group's rows (a row keeps its weight when permuted).
    ci : float
        Confidence level of the interval of the difference.
    n_perm : int
        Random permutations of the group labels.
    seed : int
        Seed of the permutations (and of the subsample of a large ``rest``).

    Returns
    -------
    GiniComparison
        ``difference = gini - rest_gini``, its interval (``low``, ``high``) and the two-sided
        permutation p-value.

    Notes
    -----
    The labels "branch" and "rest" are shuffled over the pooled customers, group sizes kept,
    and the difference in Gini recomputed: under "the labels do not matter" the observed
    difference is one draw of that distribution. The test is exact at any size and whatever the
    tail, where a bootstrap of the difference is not: with asset data the largest customer of
    the bank decides both Ginis, and a bootstrap never moves it into the other group (on the
    null bank it called 11 of 30 branches more or less concentrated). It tests "same
    distribution" with a statistic that reads concentration. A ``rest`` of more than
    :data:`crmstudy.pareto_intervals.MAX_REST` rows is subsampled first. Cost: O(n n_perm) for
    n pooled rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = compare_gini(rng.lognormal(0, 2, 500), rng.lognormal(0, 1, 5000), n_perm=200)
    >>> r.difference > 0, r.p_value < 0.05
    (True, True)
    """
    x, wx = _clean(values, weights, caller="compare_gini")
    y, wy = _clean(rest, rest_weights, caller="compare_gini")
    _require_positive_total(x, wx, caller="compare_gini")
    _require_positive_total(y, wy, caller="compare_gini")
    _check_interval_args(ci, n_perm, DEFAULT_METHOD, caller="compare_gini")
    return compare_sorted(x, wx, y, wy, ci=ci, n_perm=int(n_perm), seed=seed)


def top_share(values, k: float = 0.2, *, weights=None) -> float:
    """Share of the total held by the top ``k`` fraction of customers.

    Parameters
    ----------
    values : pd.Series or array-like
        One value per customer, >= 0 with a positive total.
    k : float
        Fraction of customers, largest first, e.g. 0.2 for the "20" of 80/20.
    weights : pd.Series or array-like, optional
        Frequency weights aligned with ``values``.

    Returns
    -------
    float
        ``1 - L(1 - k)`` on the Lorenz curve ``L``. When ``k * n`` is not a
        whole number the marginal customer counts in part, e.g. the top 10%
        of 5 customers is half of the largest one.

    Examples
    --------
    >>> top_share(pd.Series([0, 0, 0, 0, 10]), 0.1)
    0.5
    """
    _check_fraction(k, caller="top_share", name="k")
    x, w = _clean(values, weights, caller="top_share")
    _require_positive_total(x, w, caller="top_share")
    return _top_share(*_lorenz(x, w), k)


def customers_holding_share(values, share: float = 0.8, *, weights=None) -> float:
    """Smallest fraction of customers, largest first, that hold ``share`` of the total.

    Parameters
    ----------
    values : pd.Series or array-like
        One value per customer, >= 0 with a positive total.
    share : float
        Share of the total, e.g. 0.8 for the "80" of 80/20.
    weights : pd.Series or array-like, optional
        Frequency weights aligned with ``values``.

    Returns
    -------
    float
        The inverse of :func:`top_share`, interpolated on the Lorenz curve, so
        it can fall between two customers. Customers holding 0 are never
        needed: with ``share=1`` it is the fraction holding anything.

    Examples
    --------
    >>> customers_holding_share(pd.Series([1, 1, 1, 1, 1]), 0.8)
    0.8
    """
    _check_fraction(share, caller="customers_holding_share", name="share")
    x, w = _clean(values, weights, caller="customers_holding_share")
    _require_positive_total(x, w, caller="customers_holding_share")
    return _customers_for(*_lorenz(x, w), share)


def concentration_by_group(df: pd.DataFrame, *, value: str, group: str) -> pd.DataFrame:
    """Concentration of ``value`` inside each group, e.g. per branch or per tier.

    Parameters
    ----------
    df : pd.DataFrame
        One row per customer.
    value : str
        Column of non-negative values, e.g. average daily assets.
    group : str
        Column naming each customer's group; it may not have missing values.

    Returns
    -------
    pd.DataFrame
        Indexed by group, sorted: ``n``, ``total``, ``mean``, ``median``,
        ``gini``, ``top20_share``, ``customers_for_80`` (see
        :func:`customers_holding_share`) and ``share_of_bank_total`` (the
        group's share of the grand total). No bootstrap intervals; the
        concentration columns are NaN for a group whose total is 0.
    """
    x, groups = _groups(df, value=value, group=group, caller="concentration_by_group")
    grand_total = x.sum()
    rows = []
    for _, idx in groups:
        xg = np.sort(x[idx])
        total = xg.sum()
        row = {
            "n": xg.size,
            "total": total,
            "mean": total / xg.size,
            "median": float(np.median(xg)),
            "gini": np.nan,
            "top20_share": np.nan,
            "customers_for_80": np.nan,
        }
        if total > 0:
            curve = _lorenz(xg, None)
            row.update(
                gini=_gini_sorted(xg, None),
                top20_share=_top_share(*curve, 0.2),
                customers_for_80=_customers_for(*curve, 0.8),
            )
        row["share_of_bank_total"] = total / grand_total if grand_total > 0 else np.nan
        rows.append(row)
    index = pd.Index([key for key, _ in groups], name=group)
    return pd.DataFrame(rows, index=index)


def pareto_summary(values) -> ParetoSummary:
    """The 80/20 headline numbers of one set of customers, from one sort.

    Parameters
    ----------
    values : pd.Series or array-like
        One value per customer, >= 0 with a positive total.

    Returns
    -------
    ParetoSummary
        ``n``, ``total``, ``gini`` (no interval), ``top1_share``,
        ``top10_share``, ``top20_share`` and ``customers_for_80``.

    Examples
    --------
    Eight customers with 1 and two with 16: the top 20% hold 80%.

    >>> pareto_summary(pd.Series([1] * 8 + [16, 16])).top20_share
    0.8
    """
    x, _ = _clean(values, None, caller="pareto_summary")
    _require_positive_total(x, None, caller="pareto_summary")
    curve = _lorenz(x, None)
    return ParetoSummary(
        n=int(x.size),
        total=float(x.sum()),
        gini=_gini_sorted(x, None),
        top1_share=_top_share(*curve, 0.01),
        top10_share=_top_share(*curve, 0.1),
        top20_share=_top_share(*curve, 0.2),
        customers_for_80=_customers_for(*curve, 0.8),
    )
