"""Concentration: the branch's Lorenz curve against the whole bank's, and whether it differs (source 001)."""

from __future__ import annotations

from ... import i18n, plots
from ...pareto import customers_holding_share, lorenz_curve
from ..context import BranchContext
from .base import Section


def build(ctx: BranchContext) -> Section:
    """The Lorenz curves and a reading that says "more", "less" or "about as" concentrated as the bank.

    The branch differs only when the bank's Gini lies outside the branch's bootstrap interval.
    """
    lang = ctx.lang
    ada = ctx.features["ada"].to_numpy()
    s = Section("concentration")
    s.heading(i18n.t("concentration.heading", lang))
    curves = {
        f"{ctx.branch_id}": lorenz_curve(ada, points=201),
        i18n.t("concentration.whole_bank", lang): lorenz_curve(ctx.bank_ada, points=201),
    }
    ax = plots.lorenz_plot(curves, lang=lang)
    s.figure(ax.figure, alt=i18n.t("concentration.alt", lang))
    gb, gi = ctx.bank_gini, ctx.gini
    if gi.low <= gb <= gi.high:
        verdict = "similar"
    else:
        verdict = "more" if gi.estimate > gb else "less"
    share = customers_holding_share(ada, 0.8)
    s.summary = {
        "gini": gi.estimate,
        "gini_low": gi.low,
        "gini_high": gi.high,
        "bank_gini": gb,
        "verdict": verdict,
        "customers_for_80": share,
    }

    def num(x):
        return i18n.number(x, lang)

    return s.say(
        i18n.t(
            f"concentration.{verdict}",
            lang,
            gini=num(gi.estimate),
            low=num(gi.low),
            high=num(gi.high),
            bank=num(gb),
            share=i18n.percent(share, lang, digits=0),
        )
    )
