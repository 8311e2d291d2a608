"""Charts of tiers and ownership: customers against assets per tier, RM workload, the asset histogram."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .. import i18n
from .core import PALETTE, SMALL_TEXT, _axes, money_formatter


def _tier_name(tier: str, lang: str) -> str:
    key = f"tier.{tier}"
    return i18n.t(key, lang) if i18n.has(key, lang) else tier


def tier_plot(table: pd.DataFrame, *, ax=None, title: str | None = None, lang: str = "en"):
    """Share of customers against share of assets per tier (grouped bars), tiers by their names."""
    ax = _axes(ax, lang=lang)
    x = np.arange(len(table))
    w = 0.38
    ax.bar(x - w / 2, table["customer_share"], w, color=PALETTE["bank"], label=i18n.t("plots.tier.customers", lang))
    ax.bar(x + w / 2, table["asset_share"], w, color=PALETTE["branch"], label=i18n.t("plots.tier.assets", lang))
    ax.set_xticks(x, [_tier_name(t, lang) for t in table["tier"].astype(str)])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(i18n.t("plots.tier.ylabel", lang))
    ax.legend(frameon=False)
    if title:
        ax.set_title(title, loc="left")
    return ax


def workload_plot(
    workload: pd.DataFrame, *, band: tuple[int, int], ax=None, title: str | None = None, lang: str = "en"
):
    """Customers per customer manager, coloured by status, with the target band shaded."""
    ax = _axes(ax, (6.4, max(2.4, 0.28 * len(workload) + 1)), lang)
    lo, hi = band
    y = np.arange(len(workload))
    colours = [PALETTE.get(s, PALETTE["within"]) for s in workload["status"]]
    band_label = i18n.t("plots.workload.band", lang, low=lo, high=hi)
    ax.axvspan(lo, hi, color=PALETTE["band"])
    ax.barh(y, workload["customers"], color=colours)
    handles = [Patch(color=PALETTE["band"], label=band_label)] + [  # one entry for each colour shown
        Patch(color=PALETTE[status], label=i18n.t(f"plots.workload.status.{status}", lang))
        for status in ("over", "under", "within", "left")
        if (workload["status"] == status).any()
    ]
    ax.set_yticks(y, workload["staff_id"])
    ax.invert_yaxis()
    ax.set_xlabel(i18n.t("plots.workload.xlabel", lang))
    ax.legend(handles=handles, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    if title:
        ax.set_title(title, loc="left")
    return ax


def asset_histogram(
    values: pd.Series,
    *,
    thresholds: dict[str, float] | None = None,
    ax=None,
    title: str | None = None,
    lang: str = "en",
):
    """Distribution of average daily assets on a log scale, with tier bars marked.

    Keys of ``thresholds`` that are tier codes show as the tier's name.
    """
    ax = _axes(ax, lang=lang)
    v = np.asarray(values, dtype=float)
    v = v[v > 0]
    bins = np.logspace(np.log10(max(v.min(), 1)), np.log10(v.max() * 1.01), 40) if len(v) else 10
    ax.hist(v, bins=bins, color=PALETTE["branch"], alpha=0.85)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(money_formatter(lang))
    for name, bar in (thresholds or {}).items():
        ax.axvline(bar, color="#444", lw=0.8, ls=":")
        ax.text(
            bar, ax.get_ylim()[1] * 0.95, _tier_name(name, lang), rotation=90, va="top", ha="right", fontsize=SMALL_TEXT
        )
    ax.set_xlabel(i18n.t("plots.histogram.xlabel", lang))
    ax.set_ylabel(i18n.t("plots.histogram.ylabel", lang))
    if title:
        ax.set_title(title, loc="left")
    return ax
