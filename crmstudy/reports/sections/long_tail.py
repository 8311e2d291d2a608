"""The long tail: the head of the branch by assets against the rest (source 001)."""

from __future__ import annotations

import functools

from ... import i18n, plots
from ...tiers import long_tail_profile
from ..context import BranchContext
from ._common import labels
from .base import Section

_COLUMNS = [
    "part",
    "customers",
    "assets_share",
    "transactions_share",
    "products_share",
    "mean_products",
    "dormant_share",
]

#: What this section needs besides customers with assets (checked centrally, ``sections._requires``).
REQUIRES = ("transactions",)


def build(ctx: BranchContext) -> Section:
    """The head/tail chart and table; ``data["profile"]`` unformatted."""
    lang, head_share = ctx.lang, ctx.params.long_tail.head_share
    prof = long_tail_profile(ctx.features, head_share=head_share)
    s = Section("long_tail", data={"profile": prof})
    s.heading(i18n.t("long_tail.heading", lang))
    ax = plots.long_tail_plot(prof, lang=lang)
    s.figure(ax.figure, alt=i18n.t("long_tail.alt", lang))
    names = labels("long_tail", lang, _COLUMNS)
    show = prof[_COLUMNS].rename(columns=names)
    show[names["part"]] = show[names["part"]].map(
        {
            "head": i18n.t("long_tail.head", lang, share=i18n.percent(head_share, lang, digits=0)),
            "tail": i18n.t("long_tail.tail", lang),
        }
    )
    pct = functools.partial(i18n.percent, lang=lang)
    s.table(
        show,
        formats={
            names["customers"]: functools.partial(i18n.integer, lang=lang),
            names["assets_share"]: pct,
            names["transactions_share"]: pct,
            names["products_share"]: pct,
            names["dormant_share"]: pct,
            names["mean_products"]: functools.partial(i18n.number, lang=lang),
        },
    )
    tail = prof.set_index("part").loc["tail"]
    s.summary = {k: float(tail[k]) for k in ("assets_share", "transactions_share", "dormant_share")}
    return s.say(
        i18n.t(
            "long_tail.reading",
            lang,
            transactions=pct(tail["transactions_share"]),
            assets=pct(tail["assets_share"]),
            dormant=pct(tail["dormant_share"]),
        )
    )
