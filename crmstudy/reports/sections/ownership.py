"""Ownership by tier: who must own a customer, and who does (source 001)."""

from __future__ import annotations

import functools

import pandas as pd

from ... import i18n
from ...tiers import ownership_table
from ..context import BranchContext
from ._common import labels
from .base import Section


def _reading_key(orphans: int, wrong: int) -> str:
    """The reading for what was found: an instruction only for a count above zero, and only for that count."""
    if orphans and wrong:
        return "ownership.reading.both"
    if orphans:
        return "ownership.reading.orphans"
    return "ownership.reading.wrong" if wrong else "ownership.reading.none"


def build(ctx: BranchContext) -> Section:
    """The ownership table; the reading counts orphans (owner left) and customers with the wrong role.

    The reading tells staff to reassign only what was found: orphans, customers with the
    wrong role, both, or nothing to do.  ``summary``: ``orphaned``, ``wrong_role``,
    ``status`` (finding / no_finding / not_applicable), ``total`` (customers to reassign,
    orphans plus wrong role) and ``listed`` (0: the table counts customers per role and
    lists none).
    """
    lang = ctx.lang
    table = ownership_table(ctx.features, ctx.staff, ctx.ownership, as_of=pd.Timestamp(ctx.period.end))
    s = Section("ownership", data={"table": table})
    s.heading(i18n.t("ownership.heading", lang))
    names = labels(
        "ownership", lang, ["required_owner", "customers", "assets", "correctly_owned", "orphaned", "correct_share"]
    )
    shown = table.assign(
        required_owner=[
            i18n.t(f"owner.{r}", lang) if i18n.has(f"owner.{r}", lang) else r
            for r in table["required_owner"].astype(str)
        ]
    )
    count = functools.partial(i18n.integer, lang=lang)
    s.table(
        shown.rename(columns=names),
        caption=i18n.t(
            "ownership.caption",
            lang,
            president=i18n.money(ctx.ownership.president, lang, compact=False),
            vice_president=i18n.money(ctx.ownership.vice_president, lang, compact=False),
        ),
        formats={
            names["customers"]: count,
            names["correctly_owned"]: count,
            names["orphaned"]: count,
            names["assets"]: i18n.money_cell(lang),
            names["correct_share"]: functools.partial(i18n.percent, lang=lang, digits=0),
        },
    )
    wrong = int((table["customers"] - table["correctly_owned"] - table["orphaned"]).clip(lower=0).sum())
    orphans = int(table["orphaned"].sum())
    if len(ctx.features) == 0:
        status = "not_applicable"
    else:
        status = "finding" if orphans + wrong else "no_finding"
    s.summary = {
        "orphaned": orphans,
        "wrong_role": wrong,
        "status": status,
        "total": orphans + wrong,
        "listed": 0,
    }
    if status == "not_applicable":
        return s.say(i18n.t("ownership.no_customers", lang))
    return s.say(i18n.t(_reading_key(orphans, wrong), lang, orphans=count(orphans), wrong=count(wrong)))
