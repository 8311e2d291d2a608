"""Probabilities the next window confirms: recalibration on the latest window out of time, and its check.

A scorecard fitted on earlier months ranks customers well out of time but its probabilities
drift: the event rate of the latest months is not the training rate, and a card that chose
its signals on the same outcome is a little over-confident.  :func:`recalibrate` maps the
card's log-odds to probabilities on a *later* window than the card saw (logistic
recalibration, Platt 1999, with statsmodels; or isotonic, scikit-learn);
:func:`calibration_check` says how well probabilities match outcomes (calibration slope,
calibration-in-the-large, reliability table); :func:`out_of_time_calibration` does both on
four consecutive windows: develop on the first pair, recalibrate on the next, check on the
last, so that the check is on months neither step saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..errors import DataError, ParamsError
from ..results import Result
from .binning import _as_binary
from .validation import calibration_table

Method = Literal["auto", "intercept", "logistic", "isotonic"]
_METHODS = ("auto", "intercept", "logistic", "isotonic")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def _check(y, z, caller: str) -> tuple[np.ndarray, np.ndarray]:
    y = _as_binary(y, caller)
    z = np.asarray(z, dtype=float)
    if len(z) != len(y):
        raise DataError(f"{caller}: {len(z)} scores for {len(y)} outcomes")
    if not np.isfinite(z).all():
        raise DataError(f"{caller}: scores must be finite numbers")
    if y.sum() in (0, len(y)):
        raise DataError(f"{caller}: the outcome has a single class in {len(y)} rows; nothing to calibrate on")
    return y.astype(float), z


@dataclass(frozen=True, eq=False)
class Recalibration(Result):
    """A map from a card's log-odds ``z`` to a probability, learned on a later window.

    Attributes
    ----------
    method : str
        ``'intercept'``: p = σ(a + z), the card's ranking and spread kept, its level moved to
        the window's event rate; ``'logistic'``: p = σ(a + b·z) (Platt); ``'isotonic'``:
        a monotone step function of z (no ``intercept``/``slope``).
    intercept, slope : float
        ``a`` and ``b`` (``slope`` 1 for ``'intercept'``; NaN for ``'isotonic'``).
    p_slope : float
        Likelihood-ratio test that the slope on this window is 1 (NaN when not tested).
    n, events : int
        Rows and events of the window it was learned on.
    event_rate : float
        The window's event rate: the bank's rate now, the reference of a flag rule.
    """

    method: str
    intercept: float
    slope: float
    p_slope: float
    n: int
    events: int
    event_rate: float
    isotonic: object = None

    def predict(self, log_odds) -> np.ndarray:
        """Calibrated probability of the event for each log-odds of the card."""
        z = np.asarray(log_odds, dtype=float)
        if self.method == "isotonic":
            return np.clip(self.isotonic.predict(z), 1e-6, 1 - 1e-6)
        return _sigmoid(self.intercept + self.slope * z)


def recalibrate(log_odds, y, *, method: Method = "auto", level: float = 0.05) -> Recalibration:
    """Learn calibrated probabilities of a card's log-odds on a window the card did not see.

    Parameters
    ----------
    log_odds : array-like
        The card's log-odds of the event for each customer of the window.
    y : array-like of 0/1
        What happened in the window.
    method : {'auto', 'intercept', 'logistic', 'isotonic'}
        ``'auto'`` (the default) is the closed test of Vergouwe et al. (2017): the
        intercept is always updated; the slope too only when a likelihood-ratio test
        rejects "slope 1" at ``level``.  An estimated slope at a few hundred events is
        noisy (its standard error is about 0.15), and a slope fitted to noise moves the
        next window's probabilities further from the truth than the card's own spread.
    level : float
        Level of the slope test.

    Examples
    --------
    >>> z = np.linspace(-3, 1, 400)
    >>> y = (np.random.default_rng(0).random(400) < 1 / (1 + np.exp(-(z - 1)))).astype(int)
    >>> r = recalibrate(z, y)
    >>> r.method, round(r.slope, 1), -1.6 < r.intercept < -0.4
    ('intercept', 1.0, True)
    """
    if method not in _METHODS:
        raise ParamsError(f"recalibrate: 'method' must be one of {', '.join(_METHODS)}, got {method!r}")
    if not 0 < level < 1:
        raise ParamsError(f"recalibrate: 'level' must be between 0 and 1, got {level!r}")
    y, z = _check(y, log_odds, "recalibrate")
    common = {"n": len(y), "events": int(y.sum()), "event_rate": float(y.mean())}
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(z, y)
        return Recalibration("isotonic", float("nan"), float("nan"), float("nan"), isotonic=iso, **common)
    ones = np.ones((len(y), 1))
    shift = sm.GLM(y, ones, family=sm.families.Binomial(), offset=z).fit()
    a1 = float(shift.params[0])
    if method == "intercept":
        return Recalibration("intercept", a1, 1.0, float("nan"), **common)
    platt = sm.GLM(y, np.column_stack([ones, z]), family=sm.families.Binomial()).fit()
    p = float(stats.chi2.sf(max(2 * (platt.llf - shift.llf), 0.0), 1))
    if method == "logistic" or p < level:
        return Recalibration("logistic", float(platt.params[0]), float(platt.params[1]), p, **common)
    return Recalibration("intercept", a1, 1.0, p, **common)


@dataclass(frozen=True, eq=False)
class CalibrationCheck(Result):
    """How well probabilities ``p`` match outcomes ``y``.

    Attributes
    ----------
    slope, slope_low, slope_high : float
        Calibration slope: the coefficient of logit(p) in a logistic regression of ``y`` on
        it, with its Wald interval.  1 is right; below 1 the probabilities are too extreme.
    intercept : float
        Calibration-in-the-large as a log-odds shift: the intercept of that regression with
        the slope held at 1 (0 is right; above 0, too low on average).
    predicted, observed : float
        Mean probability and observed event rate.
    relative : float
        ``predicted / observed − 1``: the relative error of calibration-in-the-large.
    reliability : pd.DataFrame
        :func:`~crmstudy.footprint.validation.calibration_table`: predicted against observed
        rate by decile of ``p``, with Wilson intervals.
    n, events : int
    """

    slope: float
    slope_low: float
    slope_high: float
    intercept: float
    predicted: float
    observed: float
    relative: float
    reliability: pd.DataFrame
    n: int
    events: int

    def within(self, *, slope: tuple[float, float] = (0.8, 1.2), relative: float = 0.2) -> bool:
        """True when the slope lies in ``slope`` and ``|relative|`` is at most ``relative``."""
        return bool(slope[0] <= self.slope <= slope[1] and abs(self.relative) <= relative)


def calibration_check(y, p, *, bins: int = 10, ci: float = 0.95) -> CalibrationCheck:
    """Calibration slope, calibration-in-the-large and the reliability table of probabilities ``p``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.01, 0.3, 20_000)
    >>> c = calibration_check((rng.random(20_000) < p).astype(int), p)
    >>> 0.9 < c.slope < 1.1, abs(c.relative) < 0.05
    (True, True)
    """
    y, _ = _check(y, np.zeros(len(np.asarray(y))), "calibration_check")
    p = np.asarray(p, dtype=float)
    if len(p) != len(y) or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise DataError(f"calibration_check: need {len(y)} probabilities between 0 and 1")
    z = _logit(p)
    ones = np.ones((len(y), 1))
    fit = sm.GLM(y, np.column_stack([ones, z]), family=sm.families.Binomial()).fit()
    low, high = fit.conf_int(1 - ci)[1]
    citl = sm.GLM(y, ones, family=sm.families.Binomial(), offset=z).fit()
    predicted, observed = float(p.mean()), float(y.mean())
    return CalibrationCheck(
        slope=float(fit.params[1]),
        slope_low=float(low),
        slope_high=float(high),
        intercept=float(citl.params[0]),
        predicted=predicted,
        observed=observed,
        relative=predicted / observed - 1,
        reliability=calibration_table(y, p, bins=bins, ci=ci),
        n=len(y),
        events=int(y.sum()),
    )
