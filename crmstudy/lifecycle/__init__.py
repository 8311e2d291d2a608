"""The customer lifecycle: churn early warning, dormancy and wake-up, tier migration, contact effect.

>>> from crmstudy.lifecycle import churn
>>> churn.score  # doctest: +ELLIPSIS
<function score at ...>
"""

from __future__ import annotations

from . import churn, contact_effect, dormancy, migration, panel
from .churn import ChurnEvaluation, ChurnModel, HazardModel, evaluate, fit_churn, score
from .panel import BASELINE, COVARIATES, snapshots

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
    "panel",
    "score",
    "snapshots",
]
