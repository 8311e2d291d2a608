"""Ownership by tier: who must own a customer, and who does (source 001)."""

from __future__ import annotations

import functools

import pandas as pd

from ... import i18n
from ...privacy import mask_customers
from ...tiers import ownership_table
from .. import downloads
from ..context import BranchContext
from ._common import labels, owner_status, tier_names
from .base import Section

#: What this section needs besides customers with assets (checked centrally, ``sections._requires``).
REQUIRES = ("staff", "customers.owner_staff_id")


#: Rows of the "to reassign" list shown in the report; the download holds every one.
REASSIGN_SHOWN = 20


def reassign_list(ctx: BranchContext) -> pd.DataFrame:
    """Every customer to reassign, the largest first: owner left (still a customer) or owner in the wrong role.

    Columns ``customer_id``, ``masked_name``, ``ada``, ``tier``, ``owner_staff_id``,
    ``reason`` (``departed`` or ``wrong_role``) and ``required_owner``; unmasked.
    """
    f = ctx.features
    own = owner_status(f, ctx.staff, ctx.ownership, as_of=ctx.period.end)
    todo = ((own["owner_status"] == "departed") & own["active"]) | (own["owner_status"] == "wrong_role")
    out = f.loc[todo, ["customer_id", "masked_name", "ada", "owner_staff_id"]].assign(
        tier=ctx.tiers[todo], reason=own.loc[todo, "owner_status"], required_owner=own.loc[todo, "required_owner"]
    )
    return out.sort_values(["ada", "customer_id"], ascending=[False, True]).reset_index(drop=True)


def _show_reassign(s: Section, ctx: BranchContext) -> None:
    """The "to reassign" list: the largest shown, every one downloadable."""
    lang = ctx.lang
    todo = reassign_list(ctx)
    s.data["reassign"] = todo
    if todo.empty:
        return
    tiers = tier_names(lang)
    shown = mask_customers(todo).assign(
        tier=lambda d: d["tier"].map(tiers),
        reason=lambda d: [
            i18n.t(f"reassign.because.{r}", lang, role=i18n.t(f"owner.{q}", lang))
            for r, q in zip(d["reason"], d["required_owner"])
        ],
    )[["customer_id", "masked_name", "ada", "tier", "owner_staff_id", "reason"]]
    names = labels("reassign", lang, shown.columns)
    shown = shown.rename(columns=names)
    n = functools.partial(i18n.integer, lang=lang)
    s.table(
        shown.head(REASSIGN_SHOWN),
        caption=i18n.t("reassign.caption", lang, n=n(min(len(shown), REASSIGN_SHOWN)), total=n(len(shown))),
        formats={names["ada"]: i18n.money_cell(lang)},
    )
    downloads.offer(s, "reassign", shown, branch_id=ctx.branch_id, lang=lang)


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
    s.say(i18n.t(_reading_key(orphans, wrong), lang, orphans=count(orphans), wrong=count(wrong)))
    _show_reassign(s, ctx)
    return s
