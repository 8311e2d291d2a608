"""Asset tiers: customers and assets per tier, and the point-in-time entrants to the potential tier (source 001)."""

from __future__ import annotations

import functools

from ... import i18n, plots
from ...tiers import tier_table
from ..context import BranchContext
from ._common import labels
from .base import Section


def build(ctx: BranchContext) -> Section:
    """The tier table and chart; ``data["table"]`` is the unformatted table."""
    lang, f, t = ctx.lang, ctx.features, ctx.thresholds
    table = tier_table(f, ctx.tiers)
    s = Section("tiers", data={"table": table})
    s.heading(i18n.t("tiers.heading", lang))
    bars = {"key": t.key, "sub_key": t.sub_key, "general": t.general, "potential": t.potential}
    shown = table.assign(
        tier=[
            i18n.t("tier.with_bar", lang, tier=i18n.t(f"tier.{c}", lang), bar=i18n.money(bars[c], lang, compact=False))
            if c in bars
            else i18n.t(f"tier.{c}", lang)
            for c in table["tier"].astype(str)
        ]
    )
    names = labels("tiers", lang, ["tier", "customers", "assets", "mean_ada", "customer_share", "asset_share"])
    amount, pct = i18n.money_cell(lang), functools.partial(i18n.percent, lang=lang)
    s.table(
        shown.rename(columns=names),
        caption=i18n.t("tiers.caption", lang),
        formats={
            names["customers"]: functools.partial(i18n.integer, lang=lang),
            names["assets"]: amount,
            names["mean_ada"]: amount,
            names["customer_share"]: pct,
            names["asset_share"]: pct,
        },
    )
    ax = plots.tier_plot(table, lang=lang)
    s.figure(ax.figure, alt=i18n.t("tiers.alt", lang))
    mass = table.set_index("tier").loc["mass"]
    pit = int(((f["ada"] < t.potential) & (f["peak_assets"] >= t.potential_point_in_time)).sum())
    s.summary = {
        "mass_customer_share": float(mass["customer_share"]),
        "mass_asset_share": float(mass["asset_share"]),
        "point_in_time_potential": pit,
    }
    return s.say(
        i18n.t(
            "tiers.reading",
            lang,
            mass_customers=pct(mass["customer_share"]),
            mass_assets=pct(mass["asset_share"]),
            n=i18n.integer(pit, lang),
            bar=i18n.money(t.potential_point_in_time, lang, compact=False),
        )
    )
