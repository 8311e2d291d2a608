"""The churn early warning judged at rolling origins: fitted before each origin, judged on the window after it.

:func:`crmstudy.lifecycle.churn.evaluate` judges the warning once, on the months
after one split.  A single split can flatter or wrong a model by the luck of
that window (a manager who left that month, a quiet summer).  A *rolling-origin*
judgement (Tashman 2000, "out-of-sample tests of forecasting accuracy") repeats
it at consecutive origins: at each origin ``o`` (the first of a month) the
hazards and the baseline are fitted on the month ends before ``o`` with the
outcomes known by the end of ``o``'s eve, and judged on the month ends of the
window ``[o, o + step)`` whose 90-day outcome lies inside the data.  Nothing on
or after ``o`` enters that origin's fit (``tests/lifecycle/test_rolling.py``
alters the data from the origin on and finds the same model).  One exception, of
the panel's: who has left is read from the whole ``holdings`` table
(:mod:`~crmstudy.lifecycle.panel`), so a customer who closed everything before the
origin and opened again after it counts as still there; in the synthetic bank a
departure is final (docs/generative_model.md), in a bank's own data it may not be.

Each origin's metrics (AUC at 90 days, Brier score, calibration slope and
intercept, and the paired AUC gain over the baseline) carry a percentile
interval from a bootstrap of *customers*, the same resamples for the model and
the baseline (:func:`crmstudy.lifecycle.metrics.cluster_resamples`, applied as row weights).
:func:`rolling_origin` returns them as one tidy row per origin and model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..bank import Bank
from ..errors import DataError
from ..period import Period
from ..results import Result
from . import churn, metrics
from .panel import BASELINE, COVARIATES

__all__ = ["METRICS", "RollingOrigin", "default_origins", "fit_at_origin", "judge", "rolling_origin"]

#: The metrics of each row; each has ``<metric>_low`` and ``<metric>_high`` beside it.
METRICS = ("auc_90", "brier", "calibration_slope", "calibration_intercept", "auc_gain")
#: The two models of each origin: the hazard on every covariate, and the naive baseline (recency, balance trend).
MODELS = {"hazard": COVARIATES, "baseline": BASELINE}


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def default_origins(period: Period, *, step_months: int = 1) -> list[date]:
    """Firsts of months, every ``step_months``, at which the warning can be fitted and judged.

    The first origin is the first of a month by whose eve a month end of the snapshots
    (:func:`~crmstudy.lifecycle.panel.month_ends`, 89 days into the data) has its 30-day outcome;
    the last is the latest whose window holds a month end with its 90-day outcome inside the data.
    A calendar year gives 1 May to 1 September monthly (5 origins), 1 May and 1 August quarterly.

    Examples
    --------
    >>> [o.isoformat() for o in default_origins(Period(date(2025, 1, 1), date(2025, 12, 31)))]
    ['2025-05-01', '2025-06-01', '2025-07-01', '2025-08-01', '2025-09-01']
    """
    if step_months < 1:
        raise DataError(f"rolling origins: 'step_months' must be at least 1, got {step_months}")
    from .panel import month_ends

    ends = month_ends(period, tail=0)
    if not ends:
        return []
    d = ends[0] + timedelta(days=31)  # the first month end's 30-day outcome is known by d's eve
    o = d if d.day == 1 else _add_months(d, 1)
    out = []
    while True:
        window = [e for e in ends if o <= e < _add_months(o, step_months) and e + timedelta(days=90) <= period.end]
        if not window:
            break
        out.append(o)
        o = _add_months(o, step_months)
    return out


def fit_at_origin(snaps: pd.DataFrame, origin: date, covariates=COVARIATES) -> churn.ChurnModel:
    """The warning as it could be fitted on ``origin``'s eve: month ends before it, outcomes known by then.

    :func:`~crmstudy.lifecycle.churn.fit_churn` with the cut-off on the day before ``origin``, so
    a departure on the origin itself is not read.  Raises DataError when too few departures are known.
    """
    return churn.fit_churn(snaps[snaps["as_of"] < origin], origin - timedelta(days=1), covariates)


def judge(
    y: np.ndarray, p: np.ndarray, q: np.ndarray, customers, *, n_boot: int = 200, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Metrics of the model's scores ``p`` and the baseline's ``q`` against outcomes ``y``, with intervals.

    Parameters
    ----------
    y : array of 0/1
        Left within 90 days.
    p, q : arrays of probabilities
        The model's and the baseline's P(leave within 90 days).
    customers : array-like
        Each row's customer: the bootstrap resamples customers, so a customer's rows move together.
    n_boot : int
        Resamples, the same for both models (the AUC gain's interval is paired); 0 skips the intervals.
    level : float
        Coverage of the percentile intervals.

    Returns
    -------
    pd.DataFrame
        Two rows (``model`` ``hazard``, ``baseline``) with each of :data:`METRICS` and its
        ``_low`` / ``_high``; ``auc_gain`` (model minus baseline) is on the hazard's row only.
    """
    y, p, q = np.asarray(y), np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    point = _both(y, p, q)
    # the customer resamples as row weights: the numbers of the resampled rows (a test holds them
    # equal), ranked once and refitted from the sample's fit (test_rolling's null-bank test 38.7 -> 20.0 s)
    weights = metrics.cluster_weights(np.asarray(customers), n_boot, seed)
    boot = pd.DataFrame(
        metrics.weighted_metrics(y, p, q, weights, baseline_calibration=True) if n_boot else [], columns=list(point)
    )
    a = (1 - level) / 2
    rows = []
    for model in MODELS:
        row: dict = {"model": model}
        for m in METRICS:
            key = m if model == "hazard" else f"baseline_{m}"
            est = point.get(key, np.nan)
            col = boot[key] if key in boot else pd.Series(dtype=float)
            row[m] = est
            row[f"{m}_low"] = col.quantile(a) if n_boot and col.notna().any() else np.nan
            row[f"{m}_high"] = col.quantile(1 - a) if n_boot and col.notna().any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _both(y: np.ndarray, p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """:func:`.metrics.metrics` and the baseline's calibration (the baseline is a fitted hazard too)."""
    m = metrics.metrics(y, p, q)
    slope, intercept = metrics.calibration(y, q) if y.min() != y.max() else (np.nan, np.nan)
    m["baseline_calibration_slope"], m["baseline_calibration_intercept"] = slope, intercept
    return m


def _blank() -> pd.DataFrame:
    cols = {f"{m}{s}": np.nan for m in METRICS for s in ("", "_low", "_high")}
    return pd.DataFrame([{"model": name, **cols} for name in MODELS])


@dataclass(frozen=True)
class RollingOrigin(Result):
    """The warning judged at each origin: ``table`` (tidy), and the models fitted at each origin.

    ``table`` has one row per origin and model (``hazard``, ``baseline``): ``origin``,
    ``fit_through`` (the last day the fit reads), ``judge_from`` / ``judge_to``, ``fit_months``
    (month ends whose next month is known by then), ``n_fit`` / ``n_fit_left`` (next month's
    hazard's rows and departures), ``n_judged`` / ``n_left``, ``level``, ``status`` (``ok``,
    ``too_few_departures`` to fit, ``none_left`` in the window), each of :data:`METRICS` with
    ``_low`` / ``_high`` (intervals at ``level``), and ``beats_baseline`` (the hazard's paired
    AUC-gain interval above 0).  ``models[origin]`` is ``{"hazard": ChurnModel, "baseline": ...}``,
    absent where the fit was not possible (present when nobody left in the window to judge it by).
    """

    table: pd.DataFrame
    models: dict
    n_boot: int
    _frame = "table"

    def hazard(self) -> pd.DataFrame:
        """The hazard's rows, one per origin."""
        return self.table[self.table["model"] == "hazard"].reset_index(drop=True)

    @property
    def share_beating(self) -> float:
        """Share of the judged origins (status ``ok``) where the paired gain's interval is above 0."""
        h = self.hazard()
        ok = h[h["status"] == "ok"]
        return float(ok["beats_baseline"].mean()) if len(ok) else float("nan")


def rolling_origin(
    data,
    *,
    origins: list[date] | None = None,
    step_months: int = 1,
    snaps: pd.DataFrame | None = None,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> RollingOrigin:
    """Fit the warning and the baseline before each origin and judge both on the window after it.

    Parameters
    ----------
    data : Bank or path
    origins : list of date, optional
        Default: :func:`default_origins` of the bank's period every ``step_months``.  Origin ``k``'s
        window runs to the next origin (the last one's, ``step_months`` on).
    step_months : int
        Months between default origins (1 monthly, 3 quarterly).
    snaps : pd.DataFrame, optional
        :func:`~crmstudy.lifecycle.panel.snapshots` of the month ends, if already computed.
    n_boot, seed, level
        The customer bootstrap of :func:`judge` (the same ``seed`` at every origin).

    Returns
    -------
    RollingOrigin
        ``.to_frame()``: one row per origin and model.

    Examples
    --------
    >>> r = rolling_origin("data_synthetic/demo")  # doctest: +SKIP
    >>> r.hazard()[["origin", "auc_90", "auc_90_low", "auc_90_high", "beats_baseline"]]  # doctest: +SKIP
    """
    bank = Bank.of(data)
    period = bank.period
    origins = sorted(origins) if origins is not None else default_origins(period, step_months=step_months)
    snaps = churn.month_end_snapshots(bank) if snaps is None else snaps
    rows, models = [], {}
    for k, o in enumerate(origins):
        until = origins[k + 1] if k + 1 < len(origins) else _add_months(o, step_months)
        window = snaps[(snaps["as_of"] >= o) & (snaps["as_of"] < until) & snaps["known_90"]].reset_index(drop=True)
        fit = snaps[snaps["as_of"] < o]
        first = churn._step(fit, 0, o - timedelta(days=1))  # next month's hazard's rows
        about = {
            "origin": o,
            "fit_through": o - timedelta(days=1),
            "judge_from": o,
            "judge_to": until - timedelta(days=1),
            "fit_months": int(first["as_of"].nunique()),
            "n_fit": len(first),
            "n_fit_left": int(first["left_30"].sum()),
            "n_judged": len(window),
            "n_left": int(window["left_90"].sum()),
            "level": level,
        }
        try:
            fitted = {name: fit_at_origin(snaps, o, cov) for name, cov in MODELS.items()}
        except DataError:
            fitted = None
        if fitted is not None:
            models[o] = fitted
        y = window["left_90"].to_numpy()
        if fitted is None or len(window) == 0 or y.min() == y.max():
            status = "too_few_departures" if fitted is None else "none_left"
            rows.append(_blank().assign(**about, status=status))
        else:
            p, q = (fitted[m].p_within(window, 90) for m in MODELS)
            judged = judge(y, p, q, window["customer_id"].to_numpy(), n_boot=n_boot, seed=seed, level=level)
            rows.append(judged.assign(**about, status="ok"))
    table = pd.concat(rows, ignore_index=True) if rows else _blank().iloc[0:0].assign(origin=None, status=None)
    table["beats_baseline"] = (table["model"] == "hazard") & (table["auc_gain_low"] > 0)
    lead = ["origin", "model", "status", *(c for c in table.columns if c not in ("origin", "model", "status"))]
    return RollingOrigin(table[lead].reset_index(drop=True), models, n_boot)
