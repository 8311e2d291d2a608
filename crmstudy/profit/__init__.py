"""Profit contribution: what each account, customer, product, channel, branch and RM earns (source 004, stage 2).

>>> import crmstudy.profit as pf                                   # doctest: +SKIP
>>> profit = pf.profit_model("data_synthetic/demo")                # doctest: +SKIP
>>> pf.rollup(profit, "branch")                                    # doctest: +SKIP
>>> pf.whale_curve(pf.customer_profit(profit)["contribution"])     # doctest: +SKIP

The model (:mod:`~crmstudy.profit.contribution`) prices the drivers of every
account-month (:mod:`~crmstudy.profit.drivers`, Ibis: DuckDB or Spark) with the
bank's price list and costs (``pricing``, ``channel_costs``, ``staff_costs``), in
whole cents, so that every roll-up (:mod:`~crmstudy.profit.rollup`) adds up to
the total to the cent.  docs/profit.md explains each line.
"""

from __future__ import annotations

from .allocation import allocate, allocate_groups
from .campaign import CampaignEffect, campaign_effect, campaign_effects
from .contribution import MEASURES, Profit, Scenario, contribution
from .inputs import ProfitInputs, has_economics, profit_inputs
from .rollup import LEVELS, check_additive, rollup, rollup_expr, rollups
from .whale import WhaleCurve, customer_profit, value_destroyers, whale_curve
from .whatif import WhatIf, offer_profit, what_if

__all__ = [
    "CampaignEffect",
    "WhatIf",
    "campaign_effect",
    "campaign_effects",
    "offer_profit",
    "what_if",
    "LEVELS",
    "MEASURES",
    "Profit",
    "ProfitInputs",
    "Scenario",
    "allocate",
    "allocate_groups",
    "check_additive",
    "contribution",
    "customer_profit",
    "has_economics",
    "profit_inputs",
    "profit_model",
    "rollup",
    "rollup_expr",
    "rollups",
    "value_destroyers",
    "whale_curve",
    "WhaleCurve",
]


def profit_model(data, period=None, *, scenario: Scenario | None = None, **kw) -> Profit:
    """The profit lines of a bank: :func:`profit_inputs` priced by :func:`contribution`."""
    return contribution(profit_inputs(data, period, **kw), scenario)
