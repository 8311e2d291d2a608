"""Customer-manager workload against the target band of customers per manager (source 000)."""

from __future__ import annotations

import functools

import pandas as pd

from ... import i18n, plots
from ...tiers import rm_workload
from ..context import BranchContext
from .base import Section


def build(ctx: BranchContext) -> Section:
    """The workload chart; the reading counts managers within, over and gone."""
    lang = ctx.lang
    band = (ctx.params.rm_band.min, ctx.params.rm_band.max)
    wl = rm_workload(ctx.features, ctx.staff, band=band, as_of=pd.Timestamp(ctx.period.end))
    s = Section("workload", data={"workload": wl})
    s.heading(i18n.t("workload.heading", lang))
    ax = plots.workload_plot(wl, band=band, lang=lang)
    s.figure(ax.figure, alt=i18n.t("workload.alt", lang))
    counts = wl["status"].value_counts()
    s.summary = {"managers": int(len(wl)), **{k: int(counts.get(k, 0)) for k in ("within", "over", "left")}}
    n = functools.partial(i18n.integer, lang=lang)
    return s.say(
        i18n.t(
            "workload.reading",
            lang,
            within=n(counts.get("within", 0)),
            total=n(len(wl)),
            low=n(band[0]),
            high=n(band[1]),
            over=n(counts.get("over", 0)),
            left=n(counts.get("left", 0)),
        )
    )
