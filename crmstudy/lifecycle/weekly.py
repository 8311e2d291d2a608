"""The lifecycle work a report's This week needs for the whole bank, once per report run.

The churn warning is fitted and judged on the whole bank (its metrics and the
scores at the period's end), the wake-up effect is a bank-wide estimate, and
the week's events are one detection over every branch.  :func:`cached_bankwide`
computes them once per run and shares them between the branch processes
(:func:`crmstudy.runcache.bankwide`: the first branch computes, the others
read), instead of every branch kernel detecting the whole bank's week again.

The warning's scores are kept only when the warning passes its out-of-time
checks (:func:`warning_reasons` empty: AUC interval above 0.5, paired gain over
the naive baseline above 0, calibration slope inside ``retention.slope_band``),
so nothing downstream can list customers from a warning that failed (the null
bank's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from .. import runcache
from ..bank import Bank
from ..errors import DataError
from ..params import ReportParams
from . import churn, contact_effect, dormancy

__all__ = ["Bankwide", "bankwide", "cached_bankwide", "judged", "warning_reasons"]

#: Days of the report's week: the period's last day and the six before it.
WEEK_DAYS = 7


@dataclass(frozen=True)
class Bankwide:
    """The bank-wide lifecycle results of one period end.

    ``scores`` (``customer_id``, ``p_churn_90d`` at ``end``) is None unless the warning passed;
    ``week_events`` is every branch's events of the week to ``end`` (None when not computed).
    """

    end: date
    evaluation: churn.ChurnEvaluation | None
    reasons: tuple[str, ...]
    contact: contact_effect.ContactEffect
    wake: dormancy.WakeUp
    scores: pd.DataFrame | None
    week_events: pd.DataFrame | None

    @property
    def warning_passes(self) -> bool:
        """Whether the churn warning may list customers (fitted, and no reason against it)."""
        return self.evaluation is not None and not self.reasons

    @property
    def wake_up_works(self) -> bool:
        """Whether a contact is shown to wake dormant customers (the difference's interval above 0)."""
        return bool(self.wake.low > 0)


def warning_reasons(ev: churn.ChurnEvaluation | None, slope_band: tuple[float, float]) -> tuple[str, ...]:
    """Why the churn warning may not list customers: ``not_fitted``, ``chance``, ``baseline``, ``calibration``."""
    if ev is None:
        return ("not_fitted",)
    reasons = []
    if not ev.value("auc_90")[1] > 0.5:
        reasons.append("chance")
    if not ev.value("auc_gain")[1] > 0:
        reasons.append("baseline")
    slope = ev.value("calibration_slope")[0]
    if not slope_band[0] <= slope <= slope_band[1]:
        reasons.append("calibration")
    return tuple(reasons)


@runcache.bankwide(maxsize=4)  # once per run: This week and Retention both read it
def _judged(root: str, fingerprint: str, n_boot: int, min_drop: float, deadline: int, horizon: int):
    bank = Bank.open(root)
    try:
        ev = churn.evaluate(bank, n_boot=n_boot)
    except DataError:  # too few departures before the split to fit: the sections say so
        ev = None
    drains = contact_effect.drain_events(bank, min_drop=min_drop)
    ce = contact_effect.contact_effect(bank, drains, deadline_days=deadline, horizon=horizon)
    return ev, ce, dormancy.wake_up(bank)


def judged(
    bank: Bank, params: ReportParams
) -> tuple[churn.ChurnEvaluation | None, contact_effect.ContactEffect, dormancy.WakeUp]:
    """The bank's churn warning judged out of time (None when it cannot be fitted), contact effect and wake-up.

    Computed once per report run for the retention knobs (``retention.n_boot``, ``min_drop``,
    ``deadline_days``, ``horizon_days``) and shared by every section and branch that needs them.
    """
    rp = params.retention
    return _judged(str(bank.root), bank.fingerprint, rp.n_boot, rp.min_drop, rp.deadline_days, rp.horizon_days)


def bankwide(bank: Bank, end: date, params: ReportParams, *, week: bool = True) -> Bankwide:
    """Compute the bank-wide lifecycle results for the period ending ``end`` (see the module's note)."""
    rp = params.retention
    ev, ce, wake = judged(bank, params)
    reasons = warning_reasons(ev, tuple(rp.slope_band))
    scores = churn.cached_score(bank, end) if not reasons else None
    events = None
    if week and bank.available("transactions") and bank.available("staff"):
        from ..events import detect

        start = max(bank.period.start, end - timedelta(days=WEEK_DAYS - 1))
        events = detect(bank, start, end, params=params)
    return Bankwide(end, ev, reasons, ce, wake, scores, events)


@runcache.bankwide(maxsize=4)  # once per run, shared by every branch's process
def _cached(root: str, fingerprint: str, end: date, params_json: str) -> Bankwide:
    return bankwide(Bank.open(root), end, ReportParams.model_validate_json(params_json))


def cached_bankwide(bank: Bank, end: date, params: ReportParams) -> Bankwide:
    """:func:`bankwide`, once per bank, period end and lifecycle parameters in a report run."""
    knobs = ReportParams(retention=params.retention, events=params.events, tiers=params.tiers)
    return _cached(str(bank.root), bank.fingerprint, end, knobs.model_dump_json())
