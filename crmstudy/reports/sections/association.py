"""Who holds what: customer groups × products, and whom to offer what next (sources 000, 003).

The context holds the branch's own customers only and the holdings are read
for this branch alone; the knobs are ``ctx.params.association``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import i18n
from ...association import (
    GroupProductAssociation,
    NextBestEvaluation,
    SimilarCustomers,
    evaluate_next_best,
    group_product_association,
    read_holding_matrix,
)
from ...bank import Bank
from ...plots import most_different_plot
from ...privacy import mask_customers
from ...tiers import assign_tiers
from ..context import BranchContext
from .base import Section

#: Customers per look-alike group: about this many members each, at most 12 groups.
_CUSTOMERS_PER_CLUSTER = 200
#: Columns of the cross-sell list and their messages ``association.cross_sell.<key>``.
_CROSS_SELL_COLUMNS = {
    "customer_id": "customer",
    "masked_name": "name",
    "tier": "tier",
    "owner_staff_id": "owner",
    1: "offer_1",
    2: "offer_2",
    3: "offer_3",
}


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


def _evaluation_reading(evaluation: NextBestEvaluation, lang: str = "en") -> str:
    """The hidden-product check in words: the list beats popularity only when the gain's interval excludes 0."""
    if evaluation.beats_baseline:
        key = "association.evaluation.better"
    elif evaluation.loses_to_baseline:
        key = "association.evaluation.worse"
    else:
        key = "association.evaluation.same"
    points = lambda x: i18n.number(100 * x, lang, digits=1)  # noqa: E731
    return i18n.t(
        key,
        lang,
        n_test=i18n.integer(evaluation.n_test, lang),
        recall=i18n.percent(evaluation.recall_at_k, lang, digits=0),
        baseline=i18n.percent(evaluation.baseline_recall_at_k, lang, digits=0),
        gain=points(evaluation.recall_difference),
        low=points(evaluation.gain_low),
        high=points(evaluation.gain_high),
        level=i18n.percent(evaluation.ci, lang, digits=0),
    )


def cross_sell_list(
    features: pd.DataFrame,
    holding: pd.DataFrame,
    model: SimilarCustomers,
    *,
    thresholds,
    names: dict[str, str],
    top_n: int = 20,
    lang: str = "en",
    tiers: pd.Series | None = None,
    recs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The branch's cross-sell list: highest tiers first, then the surest first offer; ids masked.

    Column labels, tier names and offers are in ``lang``; ``names`` are the product names to show;
    ``tiers`` the customers' tiers when the caller has them (else assigned from ``thresholds``);
    ``recs`` the model's top-3 recommendations when the caller has them (else computed here).
    """
    recs = model.recommend(features, holding, top_n=3) if recs is None else recs
    wide = recs.assign(
        offer=[
            i18n.t(
                "association.cross_sell.offer", lang, product=names.get(p, p), take_up=i18n.percent(t, lang, digits=0)
            )
            for p, t in zip(recs["product_id"], recs["expected_take_up"])
        ]
    )
    offers = wide.pivot(index="customer_id", columns="rank", values="offer")
    first = recs[recs["rank"] == 1].set_index("customer_id")["expected_take_up"].rename("first_take_up")
    f = features.assign(tier=assign_tiers(features, thresholds) if tiers is None else tiers).set_index("customer_id")
    cols = [c for c in ("masked_name", "tier", "owner_staff_id") if c in f]
    out = f[cols].join(first, how="inner").join(offers, how="left")
    out = out.sort_values(["tier", "first_take_up"], ascending=[True, False]).head(top_n)
    out = out.drop(columns="first_take_up").reset_index()
    out["tier"] = [i18n.t(f"tier.{t}", lang) for t in out["tier"].astype(str)]
    out = mask_customers(out)
    return out.rename(columns={c: i18n.t(f"association.cross_sell.{k}", lang) for c, k in _CROSS_SELL_COLUMNS.items()})


def build(ctx: BranchContext) -> Section:
    """Heatmap of group × product residuals with a reading, then the branch's cross-sell list.

    Every reader-facing string comes from the catalogue in the report's language,
    ``ctx.params.language``; product names in Chinese from ``products.product_name_zh``.
    The knobs are ``ctx.params.association``: ``by`` (grouping shown), ``alpha`` and
    ``correction`` (:func:`crmstudy.association.group_product_association`), ``top_n``
    (customers in the cross-sell list), ``seed`` (look-alike groups and the hidden-product check).

    The list is said to beat offering everyone the most popular products only when the
    95% paired-bootstrap interval of the recall gain lies above 0
    (:attr:`~crmstudy.association.NextBestEvaluation.beats_baseline`); otherwise the
    reading says it does not (or that popularity does better) and the list's caption
    labels it as not shown to beat popularity.  ``summary``: the cells and recalls as
    before, ``gain``, ``gain_low``, ``gain_high``, ``beats_baseline``, ``status``
    (finding: the list beats popularity; no_finding: it does not; not_applicable: too few
    customers to check), ``total`` (customers with an offer) and ``listed``.

    Returns
    -------
    Section
        ``data``: ``association`` (:class:`~crmstudy.association.GroupProductAssociation`),
        ``cross_sell`` (the list as shown, masked) and ``evaluation``
        (:class:`~crmstudy.association.NextBestEvaluation`, or None for too few customers).
    """
    lang, knobs = ctx.lang, ctx.params.association
    by, alpha, seed = knobs.by, knobs.alpha, knobs.seed
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

    n = int(ctx.features["customer_id"].isin(holding.index).sum())
    k = max(2, min(12, n // _CUSTOMERS_PER_CLUSTER))
    model = SimilarCustomers(n_clusters=k, seed=seed).fit(ctx.features, holding)
    recs = model.recommend(ctx.features, holding, top_n=3)
    total = int(recs["customer_id"].isin(ctx.features["customer_id"]).groupby(recs["customer_id"]).any().sum())
    shown = cross_sell_list(
        ctx.features,
        holding,
        model,
        thresholds=ctx.thresholds,
        names=names,
        top_n=knobs.top_n,
        lang=lang,
        tiers=ctx.tiers,
        recs=recs,
    )
    evaluation = evaluate_next_best(ctx.features, holding, n_clusters=k, seed=seed) if n >= 10 * k else None
    beats = evaluation is not None and evaluation.beats_baseline
    s.heading(i18n.t("association.cross_sell.heading", lang), level=3)
    caption = "association.cross_sell.caption" if beats else "association.cross_sell.caption_unproven"
    s.table(shown, caption=i18n.t(caption, lang, n=i18n.integer(len(shown), lang), total=i18n.integer(total, lang)))
    if evaluation is not None:
        s.say(_evaluation_reading(evaluation, lang))
    s.data = {"association": assoc, "cross_sell": shown, "evaluation": evaluation}
    s.summary = {
        "significant_cells": int(assoc.cells["significant"].sum()),
        "cells": int(len(assoc.cells)),
        "cross_sell": int(len(shown)),
        "recall_at_k": None if evaluation is None else float(evaluation.recall_at_k),
        "baseline_recall_at_k": None if evaluation is None else float(evaluation.baseline_recall_at_k),
        "gain": None if evaluation is None else float(evaluation.recall_difference),
        "gain_low": None if evaluation is None else float(evaluation.gain_low),
        "gain_high": None if evaluation is None else float(evaluation.gain_high),
        "beats_baseline": bool(beats),
        "status": "not_applicable" if evaluation is None else ("finding" if beats else "no_finding"),
        "total": total,
        "listed": int(len(shown)),
    }
    return s
