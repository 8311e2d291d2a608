"""crmstudy: retail-bank customer relationship analytics.

Data flows one way: ``synth`` or a bank's own files -> :class:`Bank` (opened
once) -> ``features`` -> the analyses (``pareto``, ``tiers``, ``footprint``,
``association``) -> ``plots`` -> report ``sections`` -> notebooks -> ``reports``.

Examples
--------
>>> import crmstudy as crm
>>> crm.params.load().tiers.key
500000
>>> bank = crm.Bank.open("data_synthetic/demo")  # doctest: +SKIP
>>> features = crm.features.customer_features(bank)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

#: Submodules loaded on first use (``crm.footprint``), so that ``import crmstudy`` stays light.
_SUBMODULES = (
    "association",
    "atomic",
    "bank",
    "cli",
    "errors",
    "feature_defs",
    "features",
    "fonts",
    "footprint",
    "i18n",
    "pareto",
    "pareto_groups",
    "pareto_intervals",
    "params",
    "period",
    "plots",
    "privacy",
    "reports",
    "results",
    "schema",
    "stats",
    "synth",
    "tiers",
)

#: ``crm.Bank`` and ``crm.Period`` are :class:`crmstudy.bank.Bank` and :class:`crmstudy.period.Period`.
__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "Bank":
        from .bank import Bank

        return Bank
    if name == "Period":
        from .period import Period

        return Period
    raise AttributeError(f"module 'crmstudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "Bank", "Period"])
