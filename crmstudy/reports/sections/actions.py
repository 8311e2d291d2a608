"""What to do first: the branch's real problems, ranked, at the top of the report.

The box is computed from the branch's own data and the other sections' summaries, never
written by hand: customers of staff who have left (orphaned books, counting only
customers who still hold a product), customers whose owner holds the wrong role,
customer managers outside the target band with the arithmetic that fixes it, and the
true counts of risk flags, value prospects and upgrade candidates, each only where its
section's evidence status is ``finding``.  With nothing to do it says so in one sentence
and tells nobody to act.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ... import i18n
from ..context import BranchContext
from ._common import owner_status
from .base import Block, Section

#: The sections whose summaries the box reads; the registry builds them first.
READS_SECTIONS = ("workload", "upgrades", "prospects")

#: Problems in the order they are ranked: a book with nobody serving it, then the largest
#: customers with the wrong owner, then managers' books, then the lists to work through.
RANK = ("orphaned", "wrong_owner", "workload", "risk", "value", "upgrades")
_ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _names(counts: pd.Series, lang: str, most: int = 3) -> str:
    """``'CU01 (500), CU06 (481)'``: who, with how many, the largest first."""
    top = counts.sort_values(ascending=False).head(most)
    sep = i18n.t("actions.list_sep", lang)
    text = sep.join(i18n.t("actions.who", lang, who=str(k), n=i18n.integer(v, lang)) for k, v in top.items())
    rest = len(counts) - len(top)
    return text + (i18n.t("actions.and_more", lang, n=i18n.integer(rest, lang)) if rest > 0 else "")


def problems(ctx: BranchContext, built: dict[str, Section]) -> list[dict]:
    """The branch's problems, ranked (:data:`RANK`): ``key``, ``count`` (the true count) and ``text``.

    Parameters
    ----------
    ctx : BranchContext
        The branch.
    built : dict of str to Section
        The sections named in :data:`READS_SECTIONS`, built.
    """
    lang = ctx.lang
    n = lambda x: i18n.integer(x, lang)  # noqa: E731
    found: list[dict] = []
    f = ctx.features
    own = owner_status(f, ctx.staff, ctx.ownership, as_of=ctx.period.end)
    band = (ctx.params.rm_band.min, ctx.params.rm_band.max)
    wl = built["workload"].data.get("workload", pd.DataFrame(columns=["staff_id", "customers", "status"]))
    here = wl[wl["status"] != "left"]
    under = here[here["customers"] < band[0]]
    room = int((band[0] - under["customers"]).sum())

    orphan = own["departed"] & own["active"]
    if orphan.any():
        closed = int((own["departed"] & ~own["active"]).sum())
        text = i18n.t(
            "actions.orphaned",
            lang,
            n=n(orphan.sum()),
            assets=i18n.money(f.loc[orphan, "ada"].sum(), lang),
            who=_names(f.loc[orphan, "owner_staff_id"].value_counts(), lang),
        )
        if room:
            text += i18n.t("actions.orphaned_room", lang, room=n(room), low=n(band[0]))
        if closed:
            text += i18n.t("actions.orphaned_closed", lang, closed=n(closed))
        found.append({"key": "orphaned", "count": int(orphan.sum()), "text": text})

    wrong = own["owner_status"] == "wrong_role"
    if wrong.any():
        vip = wrong & own["required_owner"].isin(["president", "vice_president"])
        roles = own.loc[wrong, "required_owner"].map(lambda r: i18n.t(f"actions.role.{r}", lang)).value_counts()
        found.append(
            {
                "key": "wrong_owner",
                "count": int(wrong.sum()),
                "vip": int(vip.sum()),
                "text": i18n.t(
                    "actions.wrong_owner",
                    lang,
                    n=n(wrong.sum()),
                    assets=i18n.money(f.loc[wrong, "ada"].sum(), lang),
                    roles=_names(roles, lang),
                ),
            }
        )

    over = here[here["customers"] > band[1]]
    if len(over) or len(under):
        found.append(_workload_item(over, under, band, lang))

    pro = built["prospects"].summary
    if pro.get("risk_status") == "finding":
        found.append(
            {
                "key": "risk",
                "count": int(pro["risk_total"]),
                "text": i18n.t("actions.risk", lang, n=n(pro["risk_total"])),
            }
        )
    if pro.get("value_status") == "finding":
        count = int(pro.get("prospects", 0))
        found.append({"key": "value", "count": count, "text": i18n.t("actions.value", lang, n=n(count))})
    up = built["upgrades"].summary
    if up.get("status") == "finding" and up.get("total"):
        found.append(
            {
                "key": "upgrades",
                "count": int(up["total"]),
                "text": i18n.t(
                    "actions.upgrades",
                    lang,
                    n=n(up["total"]),
                    listed=n(up["listed"]),
                    gap=i18n.money(up.get("total_gap", 0.0), lang),
                ),
            }
        )
    return sorted(found, key=lambda item: RANK.index(item["key"]))


def _workload_item(over: pd.DataFrame, under: pd.DataFrame, band: tuple[int, int], lang: str) -> dict:
    """Managers above and below the band, and what moving the excess to the room does."""
    n = lambda x: i18n.integer(x, lang)  # noqa: E731
    lo, hi = band
    excess = int((over["customers"] - hi).sum())
    room = int((lo - under["customers"]).sum())
    parts = []
    if len(over):
        who = _names(over.set_index("staff_id")["customers"], lang)
        parts.append(
            i18n.tn("actions.workload.over", len(over), lang, k=n(len(over)), high=n(hi), who=who, excess=n(excess))
        )
    if len(under):
        who = _names(under.set_index("staff_id")["customers"], lang)
        key = "actions.workload.under" if len(over) else "actions.workload.under_only"
        parts.append(i18n.tn(key, len(under), lang, k=n(len(under)), low=n(lo), who=who, room=n(room)))
    text = i18n.t("actions.list_sep", lang).join(parts)
    if excess and room:
        moved = min(excess, room)
        key = "fits" if excess <= room else "short"
        text += i18n.t(
            f"actions.workload.move_{key}", lang, moved=n(moved), left=n(excess - moved), room=n(room - moved)
        )
    elif excess:
        text += i18n.t("actions.workload.hire", lang, excess=n(excess))
    else:
        text += i18n.t("actions.workload.fill", lang, room=n(room), low=n(lo))
    return {"key": "workload", "count": int(len(over) + len(under)), "text": text}


def _bundle(ctx: BranchContext, items: list[dict]) -> dict[str, str]:
    lang = ctx.lang
    title = i18n.t("actions.title", lang)
    back = i18n.t("actions.back", lang)
    as_of = i18n.t("actions.as_of", lang, date=i18n.date(ctx.period.end, lang))
    script = (_ASSETS / "report.js").read_text(encoding="utf-8")
    if items:
        lis = "\n".join(
            f'<li data-key="{it["key"]}">'
            f'<span class="action-count">{html.escape(i18n.integer(it["count"], lang))}</span>'
            f'<span class="action-text">{html.escape(it["text"])}</span></li>'
            for it in items
        )
        body = f'<ol class="action-list">\n{lis}\n</ol>'
        md_body = "\n".join(f"{i}. {it['text']}" for i, it in enumerate(items, 1))
    else:
        none = i18n.t("actions.none", lang)
        body = f'<p class="action-none">{html.escape(none)}</p>'
        md_body = none
    page = (
        f'<nav class="back-link"><a href="index.html">{html.escape(back)}</a></nav>\n'
        f'<section class="action-box" id="actions" aria-label="{html.escape(title)}">\n'
        f'<p class="action-title">{html.escape(title)}<span class="action-meta">{html.escape(as_of)}</span></p>\n'
        f"{body}\n</section>\n<script>\n{script}</script>"
    )
    markdown = f"**{title}** ({as_of})\n\n{md_body}"
    return {"text/html": page, "text/markdown": markdown, "text/plain": markdown}


def build(ctx: BranchContext, built: dict[str, Section] | None = None) -> Section:
    """The action box; ``summary`` counts each problem (``items``) and is not itself a finding.

    ``built`` holds the sections of :data:`READS_SECTIONS`; without it they are built here.
    ``summary``: ``status`` ``not_applicable`` (the box restates the sections' findings, which
    findings.json counts once, there), ``items`` (problem key -> true count, in rank order),
    ``orphaned``, ``wrong_owner``, ``wrong_owner_vip``, ``rms_outside``, ``risk_flags`` (0
    when not found), for the index's alert columns.
    """
    if built is None:
        from . import prospects, upgrades, workload

        built = {m.__name__.rsplit(".", 1)[-1]: m.build(ctx) for m in (workload, upgrades, prospects)}
    items = problems(ctx, built)
    s = Section("actions", data={"items": items})
    text = "\n".join(it["text"] for it in items) or i18n.t("actions.none", ctx.lang)
    s.blocks.append(Block("actions", _bundle(ctx, items), text=text))
    count = {it["key"]: it["count"] for it in items}
    s.summary = {
        "items": count,
        "orphaned": count.get("orphaned", 0),
        "wrong_owner": count.get("wrong_owner", 0),
        "wrong_owner_vip": next((it["vip"] for it in items if it["key"] == "wrong_owner"), 0),
        "rms_outside": count.get("workload", 0),
        "risk_flags": count.get("risk", 0),
        "status": "not_applicable",
    }
    return s
