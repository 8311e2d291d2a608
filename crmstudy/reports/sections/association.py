"""Who holds what: customer groups × products, and whom to offer what next (sources 000, 003).

The context holds the branch's own customers only and the holdings are read
for this branch alone; the knobs are ``ctx.params.association``.
"""

from __future__ import annotations

import numpy as np

from ... import i18n
from ...association import GroupProductAssociation, group_product_association, read_holding_matrix
from ...bank import Bank
from ...plots import most_different_plot
from ..context import BranchContext
from . import _offers
from .base import Section


def REQUIRES(ctx) -> tuple[str, ...]:
    """Holdings, the products catalogue and the grouping column ``association.by`` (checked centrally)."""
    by = ctx.params.association.by
    return ("holdings", "products", f"customers.{by}", f"varied:{by}")


def _product_names(bank, lang: str = "en") -> dict[str, str]:
    """product_id -> its name in ``lang`` (``product_name_zh`` for Chinese; the English name where that is empty)."""
    column = "product_name_zh" if lang == "zh" else "product_name"
    names = (
        Bank.of(bank)
        .con.execute(f"SELECT product_id, COALESCE(NULLIF(TRIM({column}), ''), product_name) AS name FROM products")
        .df()
    )
    return dict(zip(names["product_id"], names["name"]))


def _group_names(by: str, groups, lang: str) -> dict[str, str]:
    """Group code -> its reader-facing name ``group.<by>.<code>``; the code with spaces where there is none."""

    def name(g) -> str:
        key = f"group.{by}.{g}"
        return i18n.t(key, lang) if i18n.has(key, lang) else str(g).replace("_", " ")

    return {g: name(g) for g in dict.fromkeys(groups)}


def _grouping_name(by: str, lang: str) -> str:
    key = f"grouping.{by}"
    return i18n.t(key, lang) if i18n.has(key, lang) else by.replace("_", " ")


def _reading(
    assoc: GroupProductAssociation, names: dict[str, str], lang: str = "en", *, groups: dict[str, str] | None = None
) -> str:
    cells = assoc.cells
    sig = cells[cells["significant"]]
    level = i18n.t(f"association.level.{'bh' if assoc.correction == 'bh' else 'holm'}", lang)
    alpha = i18n.percent(assoc.alpha, lang, digits=0)
    adjusted = bool(assoc.adjusted_for)  # the wording says what the cells were compared with
    suffix = "_adjusted" if adjusted else ""
    if sig.empty:
        return i18n.t(f"association.none{suffix}", lang, level=level, alpha=alpha)
    groups = groups or {}
    pct = lambda x: i18n.percent(x, lang, digits=0)  # noqa: E731

    def phrase(row) -> str:
        who = groups.get(row["group"], str(row["group"]).replace("_", " "))
        what = names.get(row["product_id"], row["product_id"])
        what = what[:1].lower() + what[1:] if what[1:2].islower() else what  # "Mobile banking" mid-sentence
        ratio = row["odds_ratio_mh"] if adjusted else row["rate_ratio"]
        key = f"association.{'more' if ratio >= 1 else 'less'}{suffix}"
        return i18n.t(
            key,
            lang,
            group=who,
            product=what,
            ratio=i18n.number(ratio, lang, digits=1),
            rate=pct(row["rate"]),
            rate_rest=pct(row["rate_rest"]),
        )

    # the strongest cell each way: by the adjusted odds ratio when adjusted, else by the residual
    strength = np.log(sig["odds_ratio_mh"].clip(1e-9, 1e9)) if adjusted else sig["residual"]
    top = sig.loc[strength.idxmax()] if (strength > 0).any() else None
    low = sig.loc[strength.idxmin()] if (strength < 0).any() else None
    findings = i18n.t("association.finding_sep", lang).join(phrase(r) for r in (top, low) if r is not None)
    return i18n.t(
        f"association.reading{suffix}",
        lang,
        n=i18n.integer(len(sig), lang),
        total=i18n.integer(len(cells), lang),
        level=level,
        alpha=alpha,
        findings=findings,
    )


def build(ctx: BranchContext) -> Section:
    """Heatmap of group × product residuals with a reading, then the branch's cross-sell list.

    Every reader-facing string comes from the catalogue in the report's language,
    ``ctx.params.language``; product names in Chinese from ``products.product_name_zh``.
    The knobs are ``ctx.params.association``: ``by`` (grouping shown), ``alpha`` and
    ``correction`` (:func:`crmstudy.association.group_product_association`), ``top_n``
    (customers in the cross-sell list), ``horizon_months``, ``not_offered`` (by tier),
    ``fit_customers`` and ``seed`` (:mod:`._offers`).

    The list offers the propensity model's products, with the chance of opening each within the
    horizon, only when the bank's time hold-out puts the paired 95% interval of its hit-rate gain
    over popularity within group and tenure above 0
    (:attr:`~crmstudy.association.PropensityEvaluation.beats_baseline`); otherwise it offers that
    baseline and the caption and the reading say so.  ``summary``: the cells, ``offered_by``
    (model | baseline), the hit rates, ``gain``, ``gain_low``, ``gain_high``, ``beats_baseline``,
    ``status`` (finding: the model beats the baseline; no_finding: it does not; not_applicable:
    too few openings to check), ``total`` (customers with an offer) and ``listed``.

    Returns
    -------
    Section
        ``data``: ``association`` (:class:`~crmstudy.association.GroupProductAssociation`),
        ``cross_sell`` (the list as shown, masked), ``offers`` (every offer, unmasked) and
        ``evaluation`` (:class:`~crmstudy.association.PropensityEvaluation`, or None).
    """
    lang, knobs = ctx.lang, ctx.params.association
    by, alpha = knobs.by, knobs.alpha
    holding = read_holding_matrix(ctx.bank, as_of=ctx.period.end, branch=ctx.branch_id)
    names = _product_names(ctx.bank, lang)
    assoc = group_product_association(
        ctx.features, holding, by=by, alpha=alpha, correction=knobs.correction, adjust_for=knobs.adjust_for or None
    )
    assoc = assoc.named(names)
    groups = _group_names(by, assoc.cells["group"], lang)
    s = Section("association")
    s.heading(i18n.t("association.heading", lang))
    ax = most_different_plot(assoc.cells, labels=names, group_labels=groups, alpha=alpha, lang=lang)
    s.figure(ax.figure, alt=i18n.t("association.alt", lang, grouping=_grouping_name(by, lang)))
    s.say(_reading(assoc, names, lang, groups=groups))

    judged = _offers.branch_offers(ctx)
    evaluation, offers, used = judged["evaluation"], judged["offers"], judged["model_used"]
    total = int(offers["customer_id"].nunique())
    months = knobs.horizon_months
    shown = _offers.cross_sell_list(ctx, offers, names, top_n=knobs.top_n, lang=lang)
    s.heading(i18n.t("association.cross_sell.heading", lang), level=3)
    caption = "offers.caption_model" if used else "offers.caption_baseline"
    n_shown, n_total = i18n.integer(len(shown), lang), i18n.integer(total, lang)
    s.table(shown, caption=i18n.t(caption, lang, n=n_shown, total=n_total, months=i18n.integer(months, lang)))
    s.say(_offers.reading(evaluation, months, lang))
    s.data = {"association": assoc, "cross_sell": shown, "evaluation": evaluation, "offers": offers}
    ev = evaluation
    s.summary = {
        "significant_cells": int(assoc.cells["significant"].sum()),
        "cells": int(len(assoc.cells)),
        "cross_sell": int(len(shown)),
        "offered_by": "model" if used else "baseline",
        "horizon_months": int(months),
        "hit_model": None if ev is None else float(ev.hit_model),
        "hit_baseline": None if ev is None else float(ev.hit_group),
        "hit_popularity": None if ev is None else float(ev.hit_popularity),
        "baseline": "popularity within group and tenure",
        "gain": None if ev is None else float(ev.gain),
        "gain_low": None if ev is None else float(ev.gain_low),
        "gain_high": None if ev is None else float(ev.gain_high),
        "beats_baseline": bool(used),
        "status": "not_applicable" if ev is None else ("finding" if used else "no_finding"),
        "total": total,
        "listed": int(len(shown)),
    }
    return s
