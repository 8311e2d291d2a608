"""Concentration: the branch's Lorenz curve against the whole bank's, and whether it differs (source 001)."""

from __future__ import annotations

import math

from ... import i18n, plots
from ...pareto import DEFAULT_METHOD, compare_gini, customers_holding_share, lorenz_curve, top_share
from ..context import BranchContext
from .base import Section

#: Permutations of the test when the parameters ask for no interval (``bootstrap.n_boot = 0``).
TEST_N_PERM = 500


def build(ctx: BranchContext) -> Section:
    """The Lorenz curves and a reading that says "more", "less" or "about as" concentrated as the rest of the bank.

    "More" or "less" is said only when a permutation test of the difference in Gini, branch against
    the rest of the bank (the bank without the branch's customers), rejects at ``concentration.alpha``
    (:func:`crmstudy.pareto.compare_gini`); the sentence gives the difference, its interval and the p-value.
    """
    lang, knobs = ctx.lang, ctx.params.concentration
    alpha, pareto_top20 = knobs.alpha, knobs.pareto_top20
    ada = ctx.features["ada"].to_numpy()
    s = Section("concentration")
    s.heading(i18n.t("concentration.heading", lang))
    curves = {
        f"{ctx.branch_id}": lorenz_curve(ada, points=201),
        i18n.t("concentration.whole_bank", lang): lorenz_curve(ctx.bank_ada, points=201),
    }
    ax = plots.lorenz_plot(curves, lang=lang)
    s.figure(ax.figure, alt=i18n.t("concentration.alt", lang))
    gi = ctx.gini
    b = ctx.params.bootstrap
    test = compare_gini(ada, ctx.rest_ada, ci=1.0 - alpha, n_perm=b.n_boot or TEST_N_PERM, seed=b.seed)
    if test.p_value < alpha:
        verdict = "more" if test.difference > 0 else "less"
    else:
        verdict = "similar"
    share = customers_holding_share(ada, 0.8)
    top20 = top_share(ada, 0.2)
    s.summary = {
        "status": "finding" if verdict != "similar" else "no_finding",
        "p_value": test.p_value,
        "difference": test.difference,
        "low": test.low,
        "high": test.high,
        "gini": gi.estimate,
        "gini_low": gi.low,
        "gini_high": gi.high,
        "gini_method": DEFAULT_METHOD,
        "rest_gini": test.rest_gini,
        "bank_gini": ctx.bank_gini,
        "verdict": verdict,
        "customers_for_80": share,
        "top20_share": top20,
        "pareto": bool(top20 >= pareto_top20),
        "alpha": alpha,
    }

    def num(x):
        return i18n.number(x, lang)

    s.say(
        i18n.t(
            f"concentration.{verdict}",
            lang,
            gini=num(gi.estimate),
            low=num(gi.low),
            high=num(gi.high),
            rest=num(test.rest_gini),
            difference=_signed(test.difference, lang),
            diff_low=_signed(test.low, lang),
            diff_high=_signed(test.high, lang),
            p=_p(test.p_value, lang),
            diff_ci=i18n.percent(1.0 - alpha, lang, digits=0),
            level=i18n.percent(alpha, lang, digits=0),
        )
    )
    story = "pareto" if top20 >= pareto_top20 else "flat"
    return s.say(
        i18n.t(
            f"concentration.{story}",
            lang,
            share=i18n.percent(share, lang, digits=0),
            top20=i18n.percent(top20, lang, digits=0),
        )
    )


def _signed(x: float, lang: str) -> str:
    """A difference in Gini with its sign, e.g. ``+0.04`` or ``−0.02``."""
    if not math.isfinite(x):
        return i18n.number(x, lang)
    return ("+" if x >= 0 else "−") + i18n.number(abs(x), lang)


def _p(p: float, lang: str) -> str:
    """A p-value as readers quote it: ``p = 0.030``, or ``p < 0.001``."""
    return "p < " + i18n.number(0.001, lang, digits=3) if p < 0.001 else "p = " + i18n.number(p, lang, digits=3)
