"""Churn early warning: a discrete-time hazard on customer-months, judged out of time.

Why a pooled logit (statsmodels) and not lifelines' Cox model: the covariates change
month to month (balances drain, salaries stop, an owner leaves), the bank's data come
as monthly snapshots, and what staff need is a *probability* of leaving within 90 days,
calibrated, for each customer today.  A discrete-time hazard gives that directly
(the probability of leaving within 90 days from monthly hazards), its coefficients
are odds ratios a banker can read, and statsmodels gives cluster-robust standard errors
by customer (each customer appears in several months), which the selection of drivers
needs.  The 90-day probability chains three monthly hazards, one per month ahead
(h_k: leaving in month k + 1 after the snapshot, given still there after k months, from
the covariates known at the snapshot), P = 1 - (1 - h_0)(1 - h_1)(1 - h_2): a single
hazard held constant over-states the risk of a customer whose drain has just begun
and who leaves a month or two later.  A Cox model with time-varying covariates would need the data reshaped into
start-stop intervals and gives a relative risk, not a 90-day probability, without a
baseline-hazard estimate on top.

The model is fitted on the months whose 30-day outcomes are known by a cut-off and
judged on the months after it (:func:`evaluate`), against the naive baseline of
recency and balance trend (:data:`~crmstudy.lifecycle.panel.BASELINE`); at several
consecutive cut-offs by :func:`crmstudy.lifecycle.rolling.rolling_origin`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..bank import Bank
from ..errors import DataError
from ..results import Result
from ..runcache import bankwide
from ..stats import adjust_pvalues, fit_logit
from .metrics import cluster_resamples, cluster_weights, metrics, weighted_metrics
from .panel import BASELINE, COVARIATES, known_by, month_ends, snapshots

__all__ = [
    "HazardModel",
    "ChurnModel",
    "fit_hazard",
    "fit_churn",
    "score",
    "cached_score",
    "month_end_snapshots",
    "ChurnEvaluation",
    "cluster_resamples",
    "evaluate",
]

#: Fewest departures in a fitting window; with fewer the model is not fitted (scores are empty).
MIN_EVENTS = 10
#: Departures needed per covariate before a driver may be declared selected (the usual events-per-variable rule).
EVENTS_PER_DRIVER = 10


@dataclass(frozen=True)
class HazardModel(Result):
    """A fitted monthly churn hazard: ``coef`` (log-odds per unit), ``se`` (cluster-robust), ``p`` (Holm)."""

    covariates: tuple[str, ...]
    params: pd.Series
    se: pd.Series
    pvalues: pd.Series
    n_rows: int
    n_events: int
    cutoff: date | None = None
    mean: pd.Series = field(default_factory=pd.Series)
    scale: pd.Series = field(default_factory=pd.Series)

    def hazard(self, snaps: pd.DataFrame) -> np.ndarray:
        """Monthly hazard of each snapshot."""
        x = (snaps[list(self.covariates)] - self.mean) / self.scale
        lin = self.params["const"] + x.to_numpy() @ self.params[list(self.covariates)].to_numpy()
        return 1 / (1 + np.exp(-lin))

    def p_within(self, snaps: pd.DataFrame, days: int = 90) -> np.ndarray:
        """P(leave within ``days``): the monthly hazard held for days / 30 months."""
        return 1 - (1 - self.hazard(snaps)) ** (days / 30)

    def drivers(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """One row per covariate: odds ratio per SD with its 95 % interval, Holm p-value, selected."""
        cov = list(self.covariates)
        b, se = self.params[cov], self.se[cov]
        return pd.DataFrame(
            {
                "covariate": cov,
                "coef_per_sd": b.to_numpy(),
                "odds_ratio": np.exp(b).to_numpy(),
                "or_low": np.exp(b - 1.96 * se).to_numpy(),
                "or_high": np.exp(b + 1.96 * se).to_numpy(),
                "p_holm": self.pvalues[cov].to_numpy(),
                "selected": (self.pvalues[cov] < alpha).to_numpy(),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The drivers table."""
        return self.drivers()


def _holm(p: np.ndarray) -> np.ndarray:
    # the package's adjustment (checked against statsmodels'): statsmodels' Holm runs a full
    # gc.collect() per call, 0.75 s in a report kernel holding a bank's frames
    return adjust_pvalues(p, method="holm")


def fit_hazard(snaps: pd.DataFrame, covariates=COVARIATES, *, cutoff: date | None = None) -> HazardModel:
    """Fit the monthly hazard on snapshots whose 30-day outcome is known.

    Covariates are standardised (so coefficients are per SD and comparable); standard
    errors are clustered by customer.  Raises DataError when the window has fewer than
    :data:`MIN_EVENTS` departures.
    """
    cov = list(covariates)
    d = snaps[snaps["known_30"]]
    events = int(d["left_30"].sum())
    if events < MIN_EVENTS:
        raise DataError(f"churn model: {events} departures in the fitting window; at least {MIN_EVENTS} are needed")
    mean, scale = d[cov].mean(), d[cov].std(ddof=0)
    live = [c for c in cov if scale[c] > 0]  # a covariate constant in the window (nobody's owner left yet) is out
    scale = scale.replace(0, 1.0)
    x = sm.add_constant((d[live] - mean[live]) / scale[live], has_constant="add")
    groups = pd.factorize(d["customer_id"])[0]
    res = fit_logit(d["left_30"].to_numpy(), x, cov_type="cluster", cov_kwds={"groups": groups})
    index = ["const", *cov]
    params = res.params.reindex(index).fillna(0.0)
    se = res.bse.reindex(index).fillna(np.inf)
    raw = res.pvalues.reindex(index).fillna(1.0)
    p = pd.Series(np.nan, index=index)
    p[cov] = _holm(raw[cov].to_numpy())
    if events < EVENTS_PER_DRIVER * len(live):
        # too few departures to judge drivers (cluster-robust errors are far too small with a
        # handful of events: 12 of 20 tiny null banks "selected" one); the fit still scores
        p[cov] = 1.0
    return HazardModel(tuple(cov), params, se, p, len(d), events, cutoff, mean, scale)


def _step(snaps: pd.DataFrame, k: int, cutoff: date) -> pd.DataFrame:
    """Snapshots for the hazard of month ``k`` ahead: still there after ``30 k`` days, outcome known by ``cutoff``."""
    known = known_by(snaps["as_of"], 30 * (k + 1), cutoff)
    here = snaps["days_to_leave"].isna() | (snaps["days_to_leave"] >= 30 * k)
    d = snaps[known & here.to_numpy()]
    left = d["days_to_leave"].notna() & (d["days_to_leave"] < 30 * (k + 1))
    return d.assign(left_30=left.astype(int), known_30=True)


@dataclass(frozen=True)
class ChurnModel(Result):
    """Three monthly hazards, one per month ahead; ``steps[0]`` is the hazard of the next month."""

    steps: tuple[HazardModel, ...]
    cutoff: date

    def p_within(self, snaps: pd.DataFrame, days: int = 90) -> np.ndarray:
        """P(leave within ``days``) = 1 - prod over months ahead of (1 - h_k); ``days`` a multiple of 30, at most 90."""
        surv = np.ones(len(snaps))
        for k in range(max(1, days // 30)):
            surv *= 1 - self.steps[min(k, len(self.steps) - 1)].hazard(snaps)
        return 1 - surv

    def drivers(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """The drivers of next month's hazard (:meth:`HazardModel.drivers`)."""
        return self.steps[0].drivers(alpha=alpha)

    def to_frame(self) -> pd.DataFrame:
        """The drivers table."""
        return self.drivers()


def fit_churn(snaps: pd.DataFrame, cutoff: date, covariates=COVARIATES) -> ChurnModel:
    """Fit the hazards of months 1-3 ahead on the snapshots whose outcomes are known by ``cutoff``.

    A month ahead with fewer than :data:`MIN_EVENTS` departures reuses the month before's hazard;
    the first month needs them (DataError otherwise).
    """
    steps: list[HazardModel] = []
    for k in range(3):
        try:
            steps.append(fit_hazard(_step(snaps, k, cutoff), covariates, cutoff=cutoff))
        except DataError:
            if not steps:
                raise
            steps.append(steps[-1])
    return ChurnModel(tuple(steps), cutoff)


def _all_snapshots(bank: Bank) -> pd.DataFrame:
    return snapshots(bank, month_ends(bank.period, tail=0))


@functools.lru_cache(maxsize=2)  # a million customers' month ends are 1.3 GB: the evaluation and the fits share them
def _cached_snapshots(root: str, fingerprint: str) -> pd.DataFrame:
    return _all_snapshots(Bank.open(root))


def month_end_snapshots(bank: Bank) -> pd.DataFrame:
    """Every month end's snapshots of the bank, computed once per bank's bytes (do not modify the frame)."""
    return _cached_snapshots(str(bank.root), bank.fingerprint)


@bankwide(maxsize=32)  # once per run, shared by every branch's process (crmstudy.runcache)
def _cached_fit(root: str, fingerprint: str, cutoff: date) -> ChurnModel | None:
    snaps = _cached_snapshots(root, fingerprint)
    try:
        return fit_churn(snaps[snaps["as_of"] < cutoff], cutoff)
    except DataError:
        return None


def score(data, as_of: date) -> pd.DataFrame:
    """Each active customer's probability of leaving within 90 days, as known on ``as_of``.

    The hazards are fitted on the month ends whose outcomes were known on the first of
    ``as_of``'s month (nothing later is read), then applied to the customers' snapshot of
    ``as_of``.  Fits are cached per bank and month, so calling this day after day refits
    once a month.

    Parameters
    ----------
    data : Bank or path
    as_of : datetime.date

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``p_churn_90d`` (NaN for every customer while the bank's data
        before ``as_of`` hold fewer than :data:`MIN_EVENTS` departures), sorted by
        customer; only customers active on ``as_of`` (see :mod:`crmstudy.lifecycle.panel`).

    Examples
    --------
    >>> score("/data/bank", date(2025, 9, 30)).head()  # doctest: +SKIP
    """
    bank = Bank.of(data)
    model = _cached_fit(str(bank.root), bank.fingerprint, as_of.replace(day=1))
    snaps = snapshots(bank, [as_of])
    p = model.p_within(snaps, 90) if model is not None else np.full(len(snaps), np.nan)
    out = pd.DataFrame({"customer_id": snaps["customer_id"], "p_churn_90d": p})
    return out.sort_values("customer_id", ignore_index=True)


#: :func:`score` once per run and day, shared by every section and branch process of a report run
#: (This week's bank-wide lifecycle and Retention ask for the same day's scores).
cached_score = bankwide(maxsize=2)(score)


@dataclass(frozen=True)
class ChurnEvaluation(Result):
    """The early warning judged out of time: each metric with its bootstrap interval.

    ``metrics`` has one row per metric (``auc_90``, ``baseline_auc_90``, ``auc_gain``
    (model minus baseline, paired), ``brier``, ``baseline_brier``, ``calibration_slope``,
    ``calibration_intercept``) with ``estimate``, ``low``, ``high``.
    """

    metrics: pd.DataFrame
    model: ChurnModel
    baseline: ChurnModel
    fit_months: tuple[date, ...]
    judge_months: tuple[date, ...]
    n_judged: int
    n_left: int
    scored: pd.DataFrame

    def value(self, metric: str) -> tuple[float, float, float]:
        """``(estimate, low, high)`` of one metric."""
        r = self.metrics.set_index("metric").loc[metric]
        return float(r["estimate"]), float(r["low"]), float(r["high"])

    @property
    def beats_baseline(self) -> bool:
        """Whether the paired interval of the AUC gain lies above 0."""
        return self.value("auc_gain")[1] > 0

    def to_frame(self) -> pd.DataFrame:
        """The metrics table."""
        return self.metrics


def evaluate(
    data, *, split: date | None = None, snaps: pd.DataFrame | None = None, n_boot: int = 200, seed: int = 0
) -> ChurnEvaluation:
    """Fit on the months before ``split``, judge 90-day warnings on the months after it.

    Parameters
    ----------
    data : Bank or path
    split : date, optional
        Default: :func:`default_split` (1 September for a calendar year).  The model sees
        only outcomes known by ``split``; it is judged on month ends from ``split`` on
        whose 90-day outcome lies inside the data.
    snaps : pd.DataFrame, optional
        :func:`~crmstudy.lifecycle.panel.snapshots` of the month ends, if already computed.
    n_boot : int
        Bootstrap resamples of *customers* (a customer's months move together), the same
        resamples for model and baseline, so the AUC gain's interval is paired.

    Returns
    -------
    ChurnEvaluation
    """
    bank = Bank.of(data)
    period = bank.period
    split = split or default_split(period)
    snaps = month_end_snapshots(bank) if snaps is None else snaps
    fit = snaps[snaps["as_of"] < split]
    model, base = fit_churn(fit, split, COVARIATES), fit_churn(fit, split, BASELINE)
    judge = snaps[(snaps["as_of"] >= split) & snaps["known_90"]].reset_index(drop=True)
    y = judge["left_90"].to_numpy()
    p, q = model.p_within(judge, 90), base.p_within(judge, 90)
    point = metrics(y, p, q)
    boots = weighted_metrics(y, p, q, cluster_weights(judge["customer_id"].to_numpy(), n_boot, seed))
    boot = pd.DataFrame(boots, columns=list(point))
    table = pd.DataFrame(
        {
            "metric": list(point),
            "estimate": list(point.values()),
            "low": [boot[k].quantile(0.025) if n_boot else np.nan for k in point],
            "high": [boot[k].quantile(0.975) if n_boot else np.nan for k in point],
        }
    )
    scored = judge[["as_of", "customer_id", "branch_id", "left_90"]].assign(p_churn_90d=p, p_baseline=q)
    fit_months = tuple(sorted(set(fit["as_of"])))
    judge_months = tuple(sorted(set(judge["as_of"])))
    return ChurnEvaluation(table, model, base, fit_months, judge_months, len(judge), int(y.sum()), scored)


def default_split(period) -> date:
    """The first of the month four months before the period's end: fit before, judge after.

    In a one-year ledger that leaves one judged month end (30 September, whose 90 days end
    inside the year) and gives the fit the months to July, so that a manager who left in the
    summer is in the fitted data.  Judged from 1 August instead, the demo bank's owner-left
    churn of July and September is mostly unseen by the fit and the warning under-predicts it
    (calibration slope 1.23).
    """
    d = period.end - timedelta(days=120)
    return d.replace(day=1)
