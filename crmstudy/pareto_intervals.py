"""Confidence intervals of the Gini coefficient, and branch against the rest of the bank as a test.

The Gini's sampling distribution is skewed and, for asset data, heavy-tailed, so
the percentile bootstrap under-covers at branch size (80% for a nominal 95% at
200 customers of a lognormal with sigma 1.38, benchmarks/README.md).  This module holds the
interval methods :func:`crmstudy.pareto.gini` offers and :func:`compare_gini`,
the two-sample test.  Every method works on values sorted once, with frequency
weights; the bootstrap resamples rows as multinomial counts
(:func:`crmstudy.stats.bootstrap_counts`), so a resample costs O(n).

Methods (``method=``):

``"percentile"``
    Quantiles of the bootstrap Ginis.
``"bca"``
    Bias-corrected and accelerated percentile interval; the acceleration comes
    from the exact leave-one-out (jackknife) Ginis, computed in O(n) together.
``"normal"``, ``"logit"``
    Asymptotic normal interval with the influence-function (linearisation)
    standard error, on the Gini scale or on the logit scale (then mapped back
    into (0, 1)).
``"studentized"``, ``"studentized_logit"``
    Bootstrap-t: each resample's Gini standardised by its own
    influence-function standard error, on the Gini or the logit scale.
``"semiparametric"``
    Bootstrap-t on the semi-parametric law of :mod:`crmstudy.pareto_tail`
    (the top ~sqrt(n) values replaced by a fitted Pareto tail, Davidson and
    Flachaire 2007), each resample with its own tail index drawn as uncertain
    as the Hill estimate and centred on the Gini of its law.  With frequency
    weights, or too few rows for a tail, it is the plain ``"studentized"``
    interval.
``"semiparametric_fixed_tail"``
    The same with the tail index fixed at the Hill estimate (Davidson and
    Flachaire's law as they give it; the default until it was measured to
    under-cover heavy tails at branch size).

``benchmarks/gini_coverage.py`` measures their coverage; the default
(:data:`DEFAULT_METHOD`) is the one that kept it best.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from .errors import DataError
from .pareto_tail import semiparametric_gini, semiparametric_resamples, tail_size
from .results import Result
from .stats import bootstrap_counts

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "GiniComparison",
    "gini_intervals",
    "gini_jackknife",
    "gini_se",
]

IntervalMethod = Literal[
    "percentile",
    "bca",
    "normal",
    "logit",
    "studentized",
    "studentized_logit",
    "semiparametric",
    "semiparametric_fixed_tail",
]

#: Every interval method of :func:`crmstudy.pareto.gini`.
METHODS: tuple[str, ...] = typing.get_args(IntervalMethod)
#: The default, chosen by measured coverage (benchmarks/README.md, "Gini intervals").
DEFAULT_METHOD = "semiparametric"

_SEMI = {"semiparametric": True, "semiparametric_fixed_tail": False}  # method -> tail index drawn per resample
_BOOTSTRAP = frozenset(("percentile", "bca", "studentized", "studentized_logit", *_SEMI))


def check_interval_method(method: str, *, caller: str) -> str:
    """``method`` when it is one of :data:`METHODS`, else a one-line DataError."""
    if method not in METHODS:
        raise DataError(f"{caller}: unknown interval method {method!r}; valid: {', '.join(METHODS)}")
    return method


# --------------------------------------------------------------------------- batch statistics


def _moments(x: np.ndarray, m: np.ndarray):
    """Per row of weights ``m`` (b x n) over ascending ``x``: Gini, mean, mean absolute difference, d_k.

    ``d_k`` is the weighted mean of ``|x_k - X|``: ``(x_k (2 C_k - W) - 2 S_k + T) / W``
    with C, S the cumulative weight and weighted sum up to and including k.
    """
    cum_w = np.cumsum(m, axis=1)
    total_w = cum_w[:, -1:]
    mx = m * x
    cum_x = np.cumsum(mx, axis=1)
    total = cum_x[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (x * (2.0 * cum_w - total_w) - 2.0 * cum_x + total) / total_w
        mad = (m * d).sum(axis=1, keepdims=True) / total_w
        mean = total / total_w
        g = mad / (2.0 * mean)
    return g[:, 0], mean[:, 0], mad[:, 0], d


def _influence(x: np.ndarray, m: np.ndarray):
    """Gini and its influence-function values per row of weights ``m``.

    For G = D / (2 mu), D = E|X - X'|: IF(y) = (E|y - X| - D - G (y - mu)) / mu.
    """
    g, mean, mad, d = _moments(x, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        infl = (d - mad[:, None] - g[:, None] * (x - mean[:, None])) / mean[:, None]
    return g, infl


def _se_batch(x: np.ndarray, counts: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Gini and influence-function standard error under each row of resample counts.

    Rows are the units (a row keeps its frequency weight w): with m = counts * w,
    var = sum_k counts_k (w_k IF_k)^2 / (sum m)^2.
    """
    m = counts if w is None else counts * w
    g, infl = _influence(x, m)
    wi = infl if w is None else infl * w
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((counts * wi**2).sum(axis=1)) / m.sum(axis=1)
    return g, se


def gini_se(x: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """The Gini of ascending ``x`` and its influence-function (linearisation) standard error.

    Parameters
    ----------
    x : np.ndarray
        Values sorted ascending, >= 0 with a positive total.
    w : np.ndarray, optional
        Frequency weights of the rows (rows are the sampling units).

    Returns
    -------
    (float, float)
        The plug-in Gini and its asymptotic standard error.

    Examples
    --------
    >>> g, se = gini_se(np.array([1.0, 2.0, 3.0, 4.0]))
    >>> round(g, 3), round(se, 3)
    (0.25, 0.075)
    """
    g, se = _se_batch(x, np.ones((1, x.size)), w)
    return float(g[0]), float(se[0])


def gini_jackknife(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """The Gini of ascending ``x`` with each row left out in turn, in O(n).

    With H = sum_i w_i x_i (2 C_i - w_i - W), G = H / (W T); removing row k (weight w_k)
    changes H by ``-w_k x_k (2 C_k - w_k - W) + w_k (S_{<k} - S_{>k})``: rows below
    k lose w_k from W, rows above it lose w_k from their cumulative weight too.

    Parameters
    ----------
    x : np.ndarray
        Values sorted ascending.
    w : np.ndarray, optional
        Frequency weights.

    Returns
    -------
    np.ndarray
        Leave-one-out Ginis, NaN where the remaining total is 0.

    Examples
    --------
    >>> gini_jackknife(np.array([1.0, 1.0, 4.0])).round(4).tolist()
    [0.3, 0.3, 0.0]
    """
    w = np.ones_like(x) if w is None else w
    cum_w = np.cumsum(w)
    total_w = cum_w[-1]
    wx = w * x
    cum_x = np.cumsum(wx)
    total = cum_x[-1]
    half = (wx * (2.0 * cum_w - w - total_w)).sum()
    below = cum_x - wx
    above = total - cum_x
    half_k = half - wx * (2.0 * cum_w - w - total_w) + w * (below - above)
    with np.errstate(invalid="ignore", divide="ignore"):
        return half_k / ((total_w - w) * (total - wx))


# --------------------------------------------------------------------------- intervals


def _bootstrap(x, w, *, n_boot: int, seed, studentize: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Bootstrap Ginis (and their influence-function SEs when ``studentize``), batch by batch."""
    boot = np.empty(n_boot)
    ses = np.empty(n_boot) if studentize else None
    for start, counts in bootstrap_counts(x.size, n_boot, seed=seed):
        stop = start + len(counts)
        if studentize:
            boot[start:stop], ses[start:stop] = _se_batch(x, counts, w)
        else:
            m = counts if w is None else counts * w
            boot[start:stop] = _moments(x, m)[0]
    return boot, ses


def _semiparametric_t(x, estimate, se, alphas, *, n_boot: int, seed, tail_uncertainty: bool):
    """Bootstrap-t interval on the semi-parametric (Pareto-tail) law; None when the sample is too small.

    Parameters
    ----------
    x : np.ndarray
        Values sorted ascending (unweighted rows).
    estimate, se : float
        The sample's plug-in Gini and its influence-function standard error.
    alphas : np.ndarray
        The two tail levels of the interval, e.g. (0.025, 0.975).
    n_boot : int
        Resamples.
    seed : int or np.random.Generator
        Seed of the resamples (and of the drawn tail indices).
    tail_uncertainty : bool
        Draw each resample's tail index (:func:`crmstudy.pareto_tail.tail_index_draws`) rather
        than fixing it at the Hill estimate.

    Returns
    -------
    (float, float) or None
        ``estimate - q_hi * se, estimate - q_lo * se`` with q the quantiles of the resamples'
        t statistics; None with too few rows for a tail (the caller falls back on the plain
        bootstrap-t).

    Notes
    -----
    The law: the sample below the top k = ceil(sqrt n) values, each with mass 1/n, and a
    Pareto tail of mass k/n above the k+1-th largest value (Davidson and Flachaire 2007).
    A resample's t statistic is its plug-in Gini minus the Gini of the law it was drawn from
    (closed form, :func:`crmstudy.pareto_tail.semiparametric_gini`), over its own
    influence-function standard error.  With ``tail_uncertainty`` every resample's law has its
    own tail index, drawn from the Gamma(k, sum of log excesses) law of the index given the
    top k, so the t statistic's spread includes the tail-index term of the semi-parametric
    estimator's variance (Cowell and Flachaire 2007) and the bootstrap world is not surer of
    the tail than the sample is.  ``benchmarks/gini_coverage.py`` measures both variants.

    References
    ----------
    R. Davidson and E. Flachaire (2007), "Asymptotic and bootstrap inference for inequality
    and poverty measures", *Journal of Econometrics* 141(1), 141-166.

    F. A. Cowell and E. Flachaire (2007), "Income distribution and inequality measurement:
    the problem of extreme values", *Journal of Econometrics* 141(2), 1044-1072.
    """
    k = tail_size(x.size)
    if k == 0 or x[-k - 1] <= 0:
        return None
    body, threshold = x[: x.size - k], float(x[-k - 1])
    t = np.empty(n_boot)
    for start, values, weights, tail_alpha in semiparametric_resamples(
        x, k, n_boot, seed=seed, tail_uncertainty=tail_uncertainty
    ):
        centre = semiparametric_gini(body, x.size, tail_alpha, threshold)
        g, infl = _influence(values, weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.sqrt((weights * infl**2).sum(axis=1)) / weights.sum(axis=1)
            t[start : start + len(g)] = (g - centre) / s
    t = t[np.isfinite(t)]
    if t.size == 0:
        return None
    q = np.quantile(t, alphas[::-1])
    return tuple(estimate - q * se)


def _logit(g):
    with np.errstate(divide="ignore", invalid="ignore"):
        return special.logit(g)


def _bca(boot: np.ndarray, estimate: float, jack: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """BCa quantiles of ``boot`` at levels ``alphas`` (Efron and Tibshirani 1993, 14.3)."""
    below = np.mean(boot < estimate) + 0.5 * np.mean(boot == estimate)
    z0 = stats.norm.ppf(np.clip(below, 1.0 / (boot.size + 1), 1.0 - 1.0 / (boot.size + 1)))
    jack = jack[np.isfinite(jack)]
    u = jack.mean() - jack
    denom = (u**2).sum() ** 1.5
    accel = (u**3).sum() / (6.0 * denom) if denom > 0 else 0.0
    z = stats.norm.ppf(alphas)
    adjusted = stats.norm.cdf(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))
    return np.nanquantile(boot, adjusted)


def gini_intervals(
    x: np.ndarray,
    w: np.ndarray | None = None,
    *,
    methods=METHODS,
    ci: float = 0.95,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
) -> dict[str, tuple[float, float]]:
    """Intervals of the Gini of ascending ``x`` by several methods, from one set of resamples.

    Parameters
    ----------
    x : np.ndarray
        Values sorted ascending, >= 0 with a positive total.
    w : np.ndarray, optional
        Frequency weights of the rows.
    methods : iterable of str
        Any of :data:`METHODS`.
    ci : float
        Confidence level.
    n_boot : int
        Bootstrap resamples (the bootstrap methods share them).
    seed : int or np.random.Generator
        Seed of the resamples.

    Returns
    -------
    dict
        ``method -> (low, high)``; NaN bounds when the data cannot give one
        (e.g. every resample has a zero total).
    """
    methods = [check_interval_method(m, caller="gini") for m in methods]
    alphas = np.array([(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    estimate, se = gini_se(x, w)
    if se == 0:  # all values equal (or one row): nothing varies
        return {m: (estimate, estimate) for m in methods}
    out: dict[str, tuple[float, float]] = {}
    semi: dict[str, tuple[float, float] | None] = {}
    for m in _SEMI.keys() & set(methods) if w is None else ():
        semi[m] = _semiparametric_t(x, estimate, se, alphas, n_boot=n_boot, seed=seed, tail_uncertainty=_SEMI[m])
    plain = {m for m in methods if semi.get(m) is None}
    boot = ses = None
    if _BOOTSTRAP.intersection(plain):
        studentize = any(m.startswith("studentized") or m in _SEMI for m in plain)
        boot, ses = _bootstrap(x, w, n_boot=n_boot, seed=seed, studentize=studentize)
    z = stats.norm.ppf(alphas[1])
    nan = (float("nan"), float("nan"))
    for m in methods:
        if semi.get(m) is not None:
            bounds = semi[m]
        elif m == "normal":
            bounds = (estimate - z * se, estimate + z * se)
        elif m == "logit":
            half = z * se / (estimate * (1.0 - estimate)) if 0 < estimate < 1 else np.nan
            bounds = tuple(special.expit(_logit(estimate) + np.array([-half, half])))
        elif np.isnan(boot).all():
            bounds = nan
        elif m == "percentile":
            bounds = tuple(np.nanquantile(boot, alphas))
        elif m == "bca":
            bounds = tuple(_bca(boot[np.isfinite(boot)], estimate, gini_jackknife(x, w), alphas))
        elif m == "studentized" or m in _SEMI:
            t = (boot - estimate) / ses
            q = np.nanquantile(t[np.isfinite(t)], alphas[::-1])
            bounds = tuple(estimate - q * se)
        else:  # studentized_logit
            theta, theta_se = _logit(estimate), se / (estimate * (1.0 - estimate))
            t = (_logit(boot) - theta) / (ses / (boot * (1.0 - boot)))
            t = t[np.isfinite(t)]
            bounds = tuple(special.expit(theta - np.quantile(t, alphas[::-1]) * theta_se)) if t.size else nan
        low, high = (float(b) for b in bounds)
        out[m] = (max(low, 0.0) if np.isfinite(low) else low, min(high, 1.0) if np.isfinite(high) else high)
    return out


# --------------------------------------------------------------------------- two samples


@dataclass(frozen=True)
class GiniComparison(Result):
    """Branch against the rest of the bank: the difference in Gini, its interval and a permutation test.

    Attributes
    ----------
    gini, rest_gini : float
        The Gini of the branch and of the rest of the bank.
    difference : float
        ``gini - rest_gini``: positive when the branch is more concentrated.
    low, high : float
        Interval of the difference at level ``ci``: the observed difference minus the quantiles of
        the differences the permuted labels give (their spread when the labels do not matter).
        It excludes 0 when ``p_value < 1 - ci``, up to resampling ties.
    p_value : float
        Two-sided permutation p-value of "the labels do not matter" with the difference in Gini as
        the statistic: ``2 min(P(D* >= D), P(D* <= D))``, each counted as (1 + hits) / (1 + n_perm).
    ci : float
        Confidence level of the interval.
    n, rest_n : int
        Rows in each sample (``rest_n`` after the subsample of a large rest, see :data:`MAX_REST`).
    """

    gini: float
    rest_gini: float
    difference: float
    low: float
    high: float
    p_value: float
    ci: float
    n: int
    rest_n: int


#: A rest of more rows is replaced by a random subsample of this many (seeded) before the permutations:
#: each permutation costs O(rows), and the test stays exact (the subsample is exchangeable too).
MAX_REST = 50_000


class _GiniSplit:
    """Gini of the rows a 0/1 mask selects and of the rest, per mask, over ascending ``x`` with weights ``w``.

    With ``m`` a row's weights, ``C`` their running sum, ``W`` and ``T`` the total weight and weighted
    sum, the plug-in Gini is ``sum_k m_k x_k (2 C_k - m_k - W) / (W T)`` (the pair sum of
    :func:`_moments` in one running sum). The rest's weights are ``w - m`` and its running sum
    ``cumsum(w) - C``, so both groups' Ginis come from one running sum per mask and a few
    mask-vector products: a permutation costs a fifth to a tenth of two :func:`_moments` calls (measured).
    """

    def __init__(self, x: np.ndarray, w: np.ndarray):
        self.w = w
        self.unit = bool(np.all(w == 1.0))
        self.wx = w * x
        self.w2x = w * self.wx
        cw = np.cumsum(w)
        self.wx_cw = self.wx * cw
        self.total_w, self.total_x = float(cw[-1]), float(self.wx.sum())
        self.total_w2x, self.total_wx_cw = float(self.w2x.sum()), float(self.wx_cw.sum())

    def __call__(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cum = np.cumsum(masks if self.unit else masks * self.w, axis=1)
        w_in = cum[:, -1]
        t_in = masks @ self.wx
        sq_in = masks @ self.w2x
        a_in = np.einsum("ij,ij->i", masks * self.wx, cum)  # sum_k m_k x_k C_k
        s_in = 2.0 * a_in - sq_in - w_in * t_in
        w_out, t_out = self.total_w - w_in, self.total_x - t_in
        # sum_k (w_k - m_k) x_k (Cw_k - C_k), expanded: every term is a sum already at hand
        a_out = self.total_wx_cw - cum @ self.wx - masks @ self.wx_cw + a_in
        s_out = 2.0 * a_out - (self.total_w2x - sq_in) - w_out * t_out
        with np.errstate(invalid="ignore", divide="ignore"):
            return s_in / (w_in * t_in), s_out / (w_out * t_out)


def compare_sorted(x, wx, y, wy, *, ci: float, n_perm: int, seed, max_cells: int = 1 << 21) -> GiniComparison:
    """:func:`crmstudy.pareto.compare_gini` on validated, ascending samples (see there)."""
    rng = np.random.default_rng(seed)
    if y.size > MAX_REST:
        keep = np.sort(rng.choice(y.size, size=MAX_REST, replace=False))
        y, wy = y[keep], None if wy is None else wy[keep]
    wx = np.ones_like(x) if wx is None else wx
    wy = np.ones_like(y) if wy is None else wy
    values = np.concatenate([x, y])
    order = np.argsort(values, kind="stable")
    values, weights = values[order], np.concatenate([wx, wy])[order]
    label = (order < x.size).astype("float64")
    split = _GiniSplit(values, weights)
    (gx,), (gy,) = split(label[None, :])
    gx, gy = float(gx), float(gy)
    diff = gx - gy
    perm = np.empty(n_perm)
    batch = max(1, min(n_perm, max_cells // values.size))
    for start in range(0, n_perm, batch):
        b = min(batch, n_perm - start)
        masks = rng.permuted(np.broadcast_to(label, (b, values.size)), axis=1)
        g_in, g_out = split(masks)
        perm[start : start + b] = g_in - g_out
    perm = perm[np.isfinite(perm)]
    alphas = np.array([(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    if perm.size == 0:
        low = high = p = float("nan")
    else:
        q_lo, q_hi = np.quantile(perm, alphas)
        low, high = diff - q_hi, diff - q_lo
        upper = (1 + np.sum(perm >= diff)) / (1 + perm.size)
        lower = (1 + np.sum(perm <= diff)) / (1 + perm.size)
        p = min(1.0, 2.0 * min(upper, lower))
    return GiniComparison(
        gini=gx,
        rest_gini=gy,
        difference=diff,
        low=float(low),
        high=float(high),
        p_value=float(p),
        ci=ci,
        n=int(x.size),
        rest_n=int(y.size),
    )
