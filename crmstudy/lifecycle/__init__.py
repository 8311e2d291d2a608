"""The customer lifecycle: churn early warning (and its rolling-origin judgement), dormancy, migration, contact.

>>> from crmstudy.lifecycle import churn
>>> churn.score  # doctest: +ELLIPSIS
<function score at ...>
"""

from __future__ import annotations

from . import churn, contact_effect, dormancy, metrics, migration, panel, rolling
from .churn import ChurnEvaluation, ChurnModel, HazardModel, evaluate, fit_churn, score
from .panel import BASELINE, COVARIATES, snapshots
from .rolling import RollingOrigin, rolling_origin

__all__ = [
    "BASELINE",
    "COVARIATES",
    "ChurnEvaluation",
    "ChurnModel",
    "HazardModel",
    "churn",
    "contact_effect",
    "dormancy",
    "migration",
    "evaluate",
    "fit_churn",
    "metrics",
    "panel",
    "rolling",
    "rolling_origin",
    "RollingOrigin",
    "score",
    "snapshots",
]
