"""Upgrade candidates: customers just below a tier's bar, the cheapest upgrades (source 001)."""

from __future__ import annotations

from ... import i18n
from ...privacy import mask_customers
from ..context import BranchContext
from ._common import tier_names
from .base import Section

#: Columns of the list and their messages ``upgrades.<key>``.
_COLUMNS = {
    "customer_id": "customer",
    "masked_name": "name",
    "ada": "ada",
    "tier": "tier",
    "next_tier": "next_tier",
    "gap": "gap",
    "owner_staff_id": "owner",
}


def build(ctx: BranchContext) -> Section:
    """The ``upgrade.top_n`` smallest gaps, ids and names masked; ``data["candidates"]`` unmasked."""
    lang = ctx.lang
    up = ctx.upgrade_candidates.head(ctx.params.upgrade.top_n).reset_index(drop=True)
    s = Section("upgrades", data={"candidates": up})
    s.heading(i18n.t("upgrades.heading", lang))
    shown = mask_customers(up[list(_COLUMNS)])
    names = tier_names(lang)
    shown["tier"] = shown["tier"].map(names)
    shown["next_tier"] = shown["next_tier"].map(names)
    labels = {c: i18n.t(f"upgrades.{k}", lang) for c, k in _COLUMNS.items()}
    s.table(
        shown.rename(columns=labels),
        caption=i18n.t("upgrades.caption", lang, n=i18n.integer(len(up), lang)),
        formats={labels["ada"]: i18n.money_cell(lang), labels["gap"]: i18n.money_cell(lang)},
    )
    total_gap = float(up["gap"].sum()) if len(up) else 0.0
    s.summary = {"listed": int(len(up)), "candidates": int(len(ctx.upgrade_candidates)), "total_gap": total_gap}
    return s.say(
        i18n.t("upgrades.reading", lang, n=i18n.integer(len(up), lang), gap=i18n.money(total_gap, lang, compact=False))
    )
