"""The out-of-time judgement's measures of a churn warning and their customer bootstrap.

:func:`crmstudy.lifecycle.churn.evaluate` judges the warning against the naive baseline
with these: the AUC (Mann-Whitney, ties one half), the Brier score and the logistic
recalibration's slope and intercept, each with a bootstrap interval over *customers*
(a customer's month ends move together).  The resamples are drawn once
(:func:`cluster_resamples`) and, for speed at bank scale, applied as row weights
(:func:`cluster_weights`, :func:`weighted_metrics`): the same numbers as the resampled rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["auc", "calibration", "cluster_resamples", "cluster_weights", "metrics", "weighted_metrics"]


def calibration(
    y: np.ndarray, p: np.ndarray, weights: np.ndarray | None = None, *, start: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Slope and intercept of the logistic recalibration of ``y`` on logit(p).

    The same maximum-likelihood fit as statsmodels' binomial GLM (a test holds them equal), by
    Newton's method on the two parameters: the bootstrap of
    :func:`~crmstudy.lifecycle.churn.evaluate` refits it 200 times, where building a GLM model
    object each time cost more than the fit.  ``weights`` (frequency weights: a row weighing k
    counts as k rows) give the fit of a resample without its rows;
    ``start`` (slope, intercept) starts Newton's steps there (a resample's fit lies near the sample's).
    """
    q = np.clip(p, 1e-6, 1 - 1e-6)
    x = np.log(q / (1 - q))
    y = np.asarray(y, dtype=float)
    f = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(2) if start is None or not np.all(np.isfinite(start)) else np.array([start[1], start[0]])
    for _ in range(50):
        with np.errstate(over="ignore"):  # exp overflows to inf for a far-off logit: mu is then 0, as it should be
            mu = 1.0 / (1.0 + np.exp(-(beta[0] + beta[1] * x)))
        r, w = f * (y - mu), f * mu * (1.0 - mu)
        wx = w * x
        grad = np.array([r.sum(), r @ x])
        hess = np.array([[w.sum(), wx.sum()], [wx.sum(), wx @ x]])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:  # a constant score: no slope to estimate
            return float("nan"), float("nan")
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(beta[1]), float(beta[0])


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """The area under the ROC curve as the Mann-Whitney statistic (ties count one half).

    Equal to :func:`sklearn.metrics.roc_auc_score` (a test holds them equal), without its input
    checks, which cost more than the ranking in the 200 resamples of :func:`~crmstudy.lifecycle.churn.evaluate`.
    """
    from scipy.stats import rankdata

    pos = np.asarray(y) == 1
    n1 = int(pos.sum())
    n0 = len(pos) - n1
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def metrics(y, p, q) -> dict[str, float]:
    """The warning's measures on outcomes ``y``: AUC, Brier and recalibration of ``p``; AUC and Brier of ``q``.

    ``auc_gain`` is the model's AUC minus the baseline's; every measure is NaN with one class only.
    """
    if y.min() == y.max():
        return dict.fromkeys(
            (
                "auc_90",
                "baseline_auc_90",
                "auc_gain",
                "brier",
                "baseline_brier",
                "calibration_slope",
                "calibration_intercept",
            ),
            np.nan,
        )
    a, b = auc(y, p), auc(y, q)
    slope, intercept = calibration(y, p)
    return {
        "auc_90": a,
        "baseline_auc_90": b,
        "auc_gain": a - b,
        "brier": float(np.mean((p - y) ** 2)),
        "baseline_brier": float(np.mean((q - y) ** 2)),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
    }


def weighted_metrics(
    y: np.ndarray, p: np.ndarray, q: np.ndarray, weights, *, baseline_calibration: bool = False
) -> list[dict[str, float]]:
    """:func:`metrics` of each resample given as row weights (a row drawn k times weighs k).

    The same numbers as :func:`metrics` on the resampled rows (a test holds them equal to 1e-10):
    the AUC sums each resample's weights per tie group of the scores, ranked once (the
    Mann-Whitney count of :func:`auc`), and the recalibration is the weighted fit started from
    the whole sample's.  Ranking and refitting 200 resamples of a million rows from scratch was
    most of the judgement's time.  ``baseline_calibration`` adds the recalibration of ``q`` too
    (``baseline_calibration_slope`` / ``_intercept``), started from the whole sample's.
    """
    y = np.asarray(y, dtype=float)
    groups = [np.unique(np.asarray(s, dtype=float), return_inverse=True)[1] for s in (p, q)]
    start = calibration(y, p)
    start_q = calibration(y, q) if baseline_calibration else None
    keys = ("baseline_calibration_slope", "baseline_calibration_intercept") if baseline_calibration else ()
    blank = dict.fromkeys(keys, np.nan)
    out = []
    for w in weights:
        pos = float(w @ y)
        if pos == 0 or pos == w.sum():  # one class only: every metric NaN
            out.append({**metrics(y[:1], p[:1], q[:1]), **blank})
            continue
        wy, wn = w * y, w - w * y
        a, b = (_grouped_auc(np.bincount(g, weights=wy), np.bincount(g, weights=wn)) for g in groups)
        slope, intercept = calibration(y, p, w, start=start)
        total = w.sum()
        row = {
            "auc_90": a,
            "baseline_auc_90": b,
            "auc_gain": a - b,
            "brier": float(w @ (p - y) ** 2 / total),
            "baseline_brier": float(w @ (q - y) ** 2 / total),
            "calibration_slope": slope,
            "calibration_intercept": intercept,
        }
        if baseline_calibration:
            row.update(zip(keys, calibration(y, q, w, start=start_q), strict=True))
        out.append(row)
    return out


def _grouped_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """The AUC from the weights of events and non-events per tie group, groups in ascending score."""
    below = np.cumsum(neg) - neg
    return float(pos @ (below + 0.5 * neg) / (pos.sum() * neg.sum()))


def cluster_weights(customers: np.ndarray, n_boot: int, seed: int = 0):
    """The resamples of :func:`cluster_resamples` (the same draws) as row weights: yields float arrays.

    A row's weight is how many times its customer was drawn.
    """
    rng = np.random.default_rng(seed)
    codes, uniq = pd.factorize(customers)
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), size=len(uniq))
        yield np.bincount(pick, minlength=len(uniq)).astype(float)[codes]


def cluster_resamples(customers: np.ndarray, n_boot: int, seed: int = 0):
    """``n_boot`` bootstrap resamples of the rows, drawn by customer: yields row-index arrays.

    Each resample draws as many customers as there are, with replacement, and takes all the
    rows of each draw, so that a customer's months move together (they are not independent).
    """
    rng = np.random.default_rng(seed)
    codes, uniq = pd.factorize(customers)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(uniq)))
    sizes = np.bincount(codes, minlength=len(uniq))
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), size=len(uniq))
        yield order[np.repeat(starts[pick], sizes[pick]) + _ranges(sizes[pick])]


def _ranges(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ..., n - 1 for each n in ``sizes``, concatenated."""
    ends = np.cumsum(sizes)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - sizes, sizes)
