"""Footprint thinking (足迹思维, source 002): value and risk scores from behavioural traces.

The articles claim that what a customer *does* — what they spend on, where, how often, how
much, what an RM noted after a visit — reveals value and risk better than what they
*declare*.  This package turns traces into two bank-standard scorecards and measures the
claim out of time, one step per module:

1. :mod:`~crmstudy.footprint.catalogue`: the documented registry :data:`SIGNALS` of
   :class:`~crmstudy.footprint.signal.Signal`; :mod:`~crmstudy.footprint.signals`:
   :func:`compute_signals`, engine-neutral (Ibis) aggregates inside a window of days that never see past
   its end; a signal the data cannot give is skipped with a :class:`SignalSkipped` warning.
2. :mod:`~crmstudy.footprint.outcomes`: :func:`value_outcome`, :func:`risk_outcome` (what
   happens in the window *after* the signals) and :func:`declared_attributes`.
3. :mod:`~crmstudy.footprint.binning`: monotonic weight-of-evidence bins
   (:class:`WoEBinner`) and :func:`information_value`.
4. :mod:`~crmstudy.footprint.scorecard`: :class:`Scorecard`, a statsmodels logistic
   regression on the WoE values, points (:func:`points_of_odds`) and each customer's top
   reasons.
5. :mod:`~crmstudy.footprint.validation`: AUC, KS, Brier score and calibration by decile,
   each with an interval (:func:`validate`).
6. :mod:`~crmstudy.footprint.design`: :func:`out_of_time`, fitted on earlier months and
   tested on later ones (:class:`Design`), against a baseline fitted on the declared
   attributes (age, gender, occupation, income band) in the same run.
7. :mod:`~crmstudy.footprint.calibration`: :func:`recalibrate` (on a later window than the
   card saw) and :func:`calibration_check` (slope, calibration-in-the-large, reliability).
8. :mod:`~crmstudy.footprint.evidence`: what footprints add to balances and declared
   attributes (:func:`fit_evidence_card`, DeLong :func:`auc_difference`) and
   :func:`evidence_out_of_time`, the deployed procedure checked one step back.
9. :mod:`~crmstudy.footprint.scoring`: :func:`score_customers`, the deployed scorecards
   for reports (listed only where footprints add to what the bank knows, in recalibrated
   probabilities), and :func:`customer_footprint`.

:class:`TooFewEvents` and :class:`SignalSkipped` live in :mod:`crmstudy.errors`.
docs/footprint_signals.md is the registry as a table; docs/generative_model.md says what
the synthetic bank plants.
"""

from __future__ import annotations

from ..errors import SignalSkipped, TooFewEvents
from .binning import WoEBinner, information_value
from .calibration import CalibrationCheck, Recalibration, calibration_check, recalibrate
from .catalogue import SIGNALS
from .design import Design, OutOfTime, active_customers, consecutive_windows, default_design, out_of_time
from .evidence import BALANCES, EvidenceCard, EvidenceStudy, auc_difference, evidence_out_of_time, fit_evidence_card
from .outcomes import DECLARED, WEALTH_LINES, declared_attributes, risk_outcome, value_outcome
from .scorecard import Scorecard, points_of_odds
from .scoring import REASON_COLUMNS, FootprintScores, customer_footprint, score_customers
from .signal import Signal, Window
from .signals import compute_signals, registry_markdown, signal_registry, signal_table
from .validation import Metric, Validation, auc, brier, calibration_table, ks, validate

__all__ = [
    "Signal",
    "SIGNALS",
    "SignalSkipped",
    "signal_registry",
    "registry_markdown",
    "compute_signals",
    "signal_table",
    "Window",
    "TooFewEvents",
    "value_outcome",
    "risk_outcome",
    "declared_attributes",
    "DECLARED",
    "WEALTH_LINES",
    "WoEBinner",
    "information_value",
    "Scorecard",
    "points_of_odds",
    "Metric",
    "Validation",
    "auc",
    "ks",
    "brier",
    "calibration_table",
    "validate",
    "active_customers",
    "Design",
    "default_design",
    "OutOfTime",
    "out_of_time",
    "consecutive_windows",
    "Recalibration",
    "recalibrate",
    "CalibrationCheck",
    "calibration_check",
    "BALANCES",
    "EvidenceCard",
    "EvidenceStudy",
    "auc_difference",
    "evidence_out_of_time",
    "fit_evidence_card",
    "FootprintScores",
    "score_customers",
    "customer_footprint",
    "REASON_COLUMNS",
]
