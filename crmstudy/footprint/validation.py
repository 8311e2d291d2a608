"""How well probabilities rank and match outcomes.

AUC, KS, Brier score and calibration by decile, with percentile-bootstrap intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..results import Result
from ..stats import bootstrap_counts
from .binning import _as_binary


@dataclass(frozen=True)
class Metric(Result):
    """An estimate with its interval (NaN bounds when no interval was asked for)."""

    estimate: float
    low: float
    high: float


@dataclass(frozen=True, eq=False)
class Validation(Result):
    """How well probabilities ``p`` rank and match outcomes ``y``.

    Attributes
    ----------
    auc, ks, brier : Metric
        Area under the ROC curve, Kolmogorov–Smirnov distance between the scores of events
        and non-events, mean squared error of the probabilities; percentile-bootstrap intervals.
    calibration : pd.DataFrame
        :func:`calibration_table`.
    n, events : int

    Notes
    -----
    KS is a maximum, so resampling adds spurious separation: when a score separates nothing
    (KS near 0) the percentile interval can sit above the estimate.  Read it then as "KS is
    no larger than the upper bound".
    """

    auc: Metric
    ks: Metric
    brier: Metric
    calibration: pd.DataFrame
    n: int
    events: int

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: ``metric`` (auc, ks, brier), ``estimate``, ``low``, ``high``, ``n``, ``events``."""
        return pd.DataFrame(
            [
                {
                    "metric": name,
                    "estimate": m.estimate,
                    "low": m.low,
                    "high": m.high,
                    "n": self.n,
                    "events": self.events,
                }
                for name, m in (("auc", self.auc), ("ks", self.ks), ("brier", self.brier))
            ]
        )

    def _repr_html_(self) -> str:
        from ..results import _frame_html

        return "<p><b>Validation</b></p>\n" + _frame_html(self.to_frame())


def _check_scores(y, score, caller) -> tuple[np.ndarray, np.ndarray]:
    y = _as_binary(y, caller)
    s = pd.Series(score).to_numpy(dtype="float64", na_value=np.nan)
    if len(s) != len(y):
        raise DataError(f"{caller}: {len(s)} scores for {len(y)} outcomes")
    if np.isnan(s).any():
        raise DataError(f"{caller}: scores must not be missing")
    return y, s


def _ranked(score):
    """Sort order and tie-group starts of the scores (ascending)."""
    order = np.argsort(score, kind="stable")
    s = score[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts


def _auc_ks_weighted(W1: np.ndarray, W0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUC and KS from weights of events / non-events per tie group (rows: resamples)."""
    t1, t0 = W1.sum(axis=1, keepdims=True), W0.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        below0 = np.cumsum(W0, axis=1) - W0
        auc_ = ((W1 * (below0 + 0.5 * W0)).sum(axis=1, keepdims=True) / (t1 * t0)).ravel()
        ks_ = np.abs(np.cumsum(W1, axis=1) / t1 - np.cumsum(W0, axis=1) / t0).max(axis=1)
    return auc_, ks_


def _auc_ks(y, score, caller: str) -> tuple[float, float]:
    """AUC and KS of one set of scores (no resampling)."""
    y, s = _check_scores(y, score, caller)
    order, starts = _ranked(s)
    W1 = np.add.reduceat(y[order], starts)[None, :]
    W0 = np.add.reduceat(1 - y[order], starts)[None, :]
    auc_, ks_ = _auc_ks_weighted(W1, W0)
    return float(auc_[0]), float(ks_[0])


def auc(y, score) -> float:
    """Area under the ROC curve (ties count one half): P(score of an event > score of a non-event).

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    return _auc_ks(y, score, "auc")[0]


def ks(y, score) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between the score distributions of events and non-events.

    The two-sample KS of :func:`scipy.stats.ks_2samp`.
    """
    return _auc_ks(y, score, "ks")[1]


def brier(y, p) -> float:
    """Brier score: mean of (p − y)², 0 for perfect probabilities."""
    y, p = _check_scores(y, p, "brier")
    return float(np.mean((p - y) ** 2))


def calibration_table(y, p, *, bins: int = 10, ci: float = 0.95) -> pd.DataFrame:
    """Predicted against observed event rates by decile of the prediction.

    Deciles hold equal numbers of customers (ties split by order).  The interval is the
    Wilson score interval of the observed rate.

    Returns
    -------
    pd.DataFrame
        ``decile`` (1 = lowest predicted), ``n``, ``events``, ``predicted`` (mean), ``observed``,
        ``low``, ``high``.
    """
    y, p = _check_scores(y, p, "calibration_table")
    rank = pd.Series(p).rank(method="first").to_numpy()
    dec = np.minimum((rank - 1) * bins // len(p), bins - 1).astype(int) + 1
    df = (
        pd.DataFrame({"decile": dec, "y": y, "p": p})
        .groupby("decile")
        .agg(n=("y", "size"), events=("y", "sum"), predicted=("p", "mean"), observed=("y", "mean"))
        .reset_index()
    )
    z = stats.norm.ppf(0.5 + ci / 2)
    n, ph = df["n"].to_numpy(float), df["observed"].to_numpy(float)
    centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    df["low"], df["high"] = centre - half, centre + half
    df["events"] = df["events"].astype(int)
    return df


def _bootstrap(y: np.ndarray, scores: dict[str, np.ndarray], *, n_boot: int, seed: int) -> dict[str, dict]:
    """Paired bootstrap of AUC, KS and Brier for several scores (the same resamples for all)."""
    n = len(y)
    ranked = {k: _ranked(s) for k, s in scores.items()}
    out = {k: {"auc": [], "ks": [], "brier": []} for k in scores}
    for _, counts in bootstrap_counts(n, n_boot, seed=seed):
        for k, s in scores.items():
            order, starts = ranked[k]
            c = counts[:, order]
            yo = y[order]
            W1 = np.add.reduceat(c * yo, starts, axis=1)
            W0 = np.add.reduceat(c * (1 - yo), starts, axis=1)
            a, d = _auc_ks_weighted(W1, W0)
            out[k]["auc"].append(a)
            out[k]["ks"].append(d)
            out[k]["brier"].append((counts * (s - y) ** 2).sum(axis=1) / n)
    return {k: {m: np.concatenate(v) for m, v in d.items()} for k, d in out.items()}


def _interval(samples: np.ndarray, ci: float) -> tuple[float, float]:
    s = samples[np.isfinite(samples)]
    if len(s) == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(s, [(1 - ci) / 2, (1 + ci) / 2])
    return float(lo), float(hi)


def validate(y, p, *, ci: float | None = 0.95, n_boot: int = 1000, seed: int = 0, bins: int = 10) -> Validation:
    """AUC, KS, Brier score (percentile bootstrap over customers) and calibration by decile.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of float
        Predicted probabilities of the event.
    ci : float or None
        Confidence level; None skips the intervals.
    n_boot : int
        Bootstrap resamples.
    """
    y, p = _check_scores(y, p, "validate")
    est = {"auc": auc(y, p), "ks": ks(y, p), "brier": brier(y, p)}
    if ci is None or n_boot < 1:
        m = {k: Metric(v, float("nan"), float("nan")) for k, v in est.items()}
    else:
        boot = _bootstrap(y, {"p": p}, n_boot=n_boot, seed=seed)["p"]
        m = {k: Metric(est[k], *_interval(boot[k], ci)) for k in est}
    return Validation(
        m["auc"], m["ks"], m["brier"], calibration_table(y, p, bins=bins, ci=ci or 0.95), len(y), int(y.sum())
    )
