"""Customer-manager workload against the target band of customers per manager (source 000)."""

from __future__ import annotations

import functools

import pandas as pd

from ... import i18n, plots
from ...tiers import rm_workload
from ..context import BranchContext
from .base import Section

#: What this section needs besides customers with assets (checked centrally, ``sections._requires``).
REQUIRES = ("staff", "customers.owner_staff_id")


def _action(lang: str, *, orphaned: int, over: int, under: int, excess: int, room: int, fmt: dict) -> str | None:
    """The one thing to do, following what was found; None when nothing is to be done.

    A departed manager's book comes first (those customers have nobody); then books above
    the band go to managers below it; with nobody below, the excess needs another manager.
    """
    n = functools.partial(i18n.integer, lang=lang)
    if orphaned:
        key = "workload.action.left_to_under" if under else "workload.action.left"
        return i18n.t(key, lang, orphaned=n(orphaned), under=n(under), **fmt)
    if over and under:
        return i18n.t("workload.action.over_to_under", lang, over=n(over), under=n(under), **fmt)
    if over:
        return i18n.t("workload.action.over", lang, excess=n(excess), **fmt)
    if under:
        return i18n.t("workload.action.under", lang, room=n(room), **fmt)
    return None


def build(ctx: BranchContext) -> Section:
    """The workload chart; the reading counts managers within, over, under and gone, and says what follows.

    Only counts above zero are named, and the action follows the finding: reassign the
    book of managers who have left (``orphaned`` customers), move customers from over to
    under, or nothing.  ``summary``: ``managers``, ``within``, ``over``, ``under``,
    ``left``, ``orphaned`` (customers on departed managers' books), ``status``
    (finding / no_finding / not_applicable), ``total`` (managers above or below the band,
    or gone with customers still on their book) and ``listed`` (every manager is in the chart).
    """
    lang = ctx.lang
    band = (ctx.params.rm_band.min, ctx.params.rm_band.max)
    wl = rm_workload(ctx.features, ctx.staff, band=band, as_of=pd.Timestamp(ctx.period.end))
    s = Section("workload", data={"workload": wl})
    s.heading(i18n.t("workload.heading", lang))
    ax = plots.workload_plot(wl, band=band, lang=lang)
    s.figure(ax.figure, alt=i18n.t("workload.alt", lang))
    counts = {k: int((wl["status"] == k).sum()) for k in ("within", "over", "under", "left")}
    left = wl[wl["status"] == "left"]
    orphaned = int(left["customers"].sum())
    over_rows, under_rows = wl[wl["status"] == "over"], wl[wl["status"] == "under"]
    excess = int((over_rows["customers"] - band[1]).sum())
    room = int((band[0] - under_rows["customers"]).sum())
    total = counts["over"] + counts["under"] + int((left["customers"] > 0).sum())
    status = "not_applicable" if wl.empty else ("finding" if total else "no_finding")
    s.summary = {
        "managers": int(len(wl)),
        **counts,
        "orphaned": orphaned,
        "status": status,
        "total": total,
        "listed": total,
    }
    n = functools.partial(i18n.integer, lang=lang)
    fmt = {"low": n(band[0]), "high": n(band[1])}
    if wl.empty:
        return s.say(i18n.t("workload.no_managers", lang))
    if counts["within"] == len(wl):
        return s.say(i18n.t("workload.balanced", lang, total=n(len(wl)), **fmt))
    parts = [k for k in ("over", "under", "left") if counts[k]]  # only counts above zero are named
    rest = "".join(i18n.t(f"workload.part.{k}", lang, n=n(counts[k]), **fmt) for k in parts)
    status_key = "workload.status" if counts["within"] else "workload.status_none_within"
    said = i18n.tn(status_key, len(wl), lang, within=n(counts["within"]), total=n(len(wl)), rest=rest, **fmt)
    action = _action(
        lang, orphaned=orphaned, over=counts["over"], under=counts["under"], excess=excess, room=room, fmt=fmt
    )
    return s.say(said if action is None else i18n.t("workload.reading", lang, status=said, action=action))
