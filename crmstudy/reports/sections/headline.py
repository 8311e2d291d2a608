"""The branch's headline figures as cards, and the one sentence that reads them."""

from __future__ import annotations

import functools

from ... import i18n
from ..context import BranchContext
from .base import Section
from .upgrades import period_word


def build(ctx: BranchContext) -> Section:
    """Customers, assets, concentration, key customers, dormancy, upgrade candidates.

    ``summary`` is the headline itself (:attr:`BranchContext.headline`, also the index's row), without
    ``status``, ``total`` or ``listed``: a ``status`` key would overwrite the index's run status, and
    the headline restates counts whose finding is the upgrades section's; findings.json reads the
    headline as not_applicable.  The reading's count of upgrade candidates is the true total
    (:attr:`BranchContext.upgrade_candidates`) and its period word follows the period's length
    (:func:`.upgrades.period_word`).
    """
    lang, h = ctx.lang, ctx.headline
    n = int(h["upgrade_candidates"])
    s = Section("headline", summary=h)
    s.heading(
        i18n.t(
            "headline.heading",
            lang,
            branch_name=ctx.branch_name,
            branch_id=ctx.branch_id,
            period=i18n.period(ctx.period.start, ctx.period.end, lang),
        )
    )
    pct = functools.partial(i18n.percent, lang=lang)
    s.metrics(
        {
            i18n.t("headline.customers", lang): i18n.integer(h["customers"], lang),
            i18n.t("headline.total_ada", lang): i18n.money(h["total_ada"], lang),
            i18n.t(
                "headline.gini", lang, low=i18n.number(h["gini_low"], lang), high=i18n.number(h["gini_high"], lang)
            ): i18n.number(h["gini"], lang, digits=3),
            i18n.t("headline.top20_share", lang): pct(h["top20_share"]),
            i18n.t("headline.customers_for_80", lang): pct(h["customers_for_80"]),
            i18n.t("headline.key_customers", lang): i18n.integer(h["key_customers"], lang),
            i18n.t("headline.dormant_share", lang): pct(h["dormant_share"]),
            i18n.t("headline.upgrade_candidates", lang): i18n.integer(h["upgrade_candidates"], lang),
        }
    )
    if not n:
        s.say(i18n.t("headline.reading_no_upgrades", lang, top20=pct(h["top20_share"])))
    else:
        s.say(
            i18n.tn(
                "headline.reading",
                n,
                lang,
                top20=pct(h["top20_share"]),
                n=i18n.integer(n, lang),
                when=period_word(ctx.period, lang),
            )
        )
    return _population(s, ctx)


def _population(s: Section, ctx: BranchContext) -> Section:
    """Who was not counted and why, overdrafts floored, dormancy unknown: said, never silent (issue 14)."""
    lang, pop = ctx.lang, ctx.population
    after, before = pop.get("opened_after", 0), pop.get("closed_before", 0)
    if after or before:
        s.markdown(
            i18n.t(
                "data.population",
                lang,
                n=i18n.integer(after + before, lang),
                opened_after=i18n.integer(after, lang),
                closed_before=i18n.integer(before, lang),
            )
        )
    if pop.get("overdrawn"):
        s.markdown(i18n.t("data.overdrawn", lang, n=i18n.integer(pop["overdrawn"], lang)))
    if pop and not pop.get("dormancy_known", True):
        s.markdown(i18n.t("data.dormancy_unknown", lang))
    return s
