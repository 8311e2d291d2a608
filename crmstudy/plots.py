"""One function per chart: data in, matplotlib Axes out (seaborn's convention).

Each function takes ``ax=`` (a new figure when omitted) and returns the Axes,
and ``lang=`` (``"en"`` or ``"zh"``): labels and legends come from the message
catalogue (:mod:`crmstudy.i18n`), and for Chinese a CJK font is registered
first (:mod:`crmstudy.fonts`).
"""

from __future__ import annotations

import matplotlib

# No matplotlib.use() here: without a display matplotlib falls back to Agg by
# itself, and in a notebook the kernel's inline backend must stay in charge.
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from . import i18n  # noqa: E402
from .fonts import use_cjk_font  # noqa: E402

PALETTE = {"branch": "#1f5fa8", "bank": "#9aa5b1", "band": "#d8efe0", "over": "#c0392b",
           "under": "#e0a526", "within": "#1f5fa8", "left": "#7f8c8d", "head": "#1f5fa8", "tail": "#e0a526"}


def _axes(ax, size=(6.4, 3.6), lang="en"):
    i18n.check_language(lang)
    if lang == "zh":
        use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def cny(x, _pos=None) -> str:
    """Compact CNY tick labels: 12k, 3.4M, 1.2B."""
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.0f}"


def money_formatter(lang: str = "en") -> FuncFormatter:
    """Tick labels for an axis of CNY amounts: ``1.2M`` in English, ``120万`` in Chinese."""
    return FuncFormatter(lambda x, _pos=None: i18n.money_tick(x, lang))


def _tier_name(tier: str, lang: str) -> str:
    key = f"tier.{tier}"
    return i18n.t(key, lang) if i18n.has(key, lang) else tier


def lorenz_plot(curves: dict[str, pd.DataFrame], *, ax=None, title: str | None = None, lang: str = "en"):
    """Lorenz curves (``customer_share`` vs ``value_share``) with the equality line."""
    ax = _axes(ax, (5.2, 4.2), lang)
    ax.plot([0, 1], [0, 1], color="#cccccc", lw=1, ls="--", label=i18n.t("plots.lorenz.equality", lang))
    styles = [("branch", 2.2), ("bank", 1.6)]
    for i, (label, df) in enumerate(curves.items()):
        colour = list(PALETTE.values())[i] if i > 1 else PALETTE[styles[i][0]]
        ax.plot(df["customer_share"], df["value_share"], lw=styles[min(i, 1)][1], color=colour, label=label)
    ax.axvline(0.8, color="#bbbbbb", lw=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(i18n.t("plots.lorenz.xlabel", lang))
    ax.set_ylabel(i18n.t("plots.lorenz.ylabel", lang))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, loc="upper left")
    if title:
        ax.set_title(title, loc="left")
    return ax


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


def workload_plot(workload: pd.DataFrame, *, band: tuple[int, int], ax=None, title: str | None = None,
                  lang: str = "en"):
    """Customers per customer manager, coloured by status, with the target band shaded."""
    ax = _axes(ax, (6.4, max(2.4, 0.28 * len(workload) + 1)), lang)
    lo, hi = band
    y = np.arange(len(workload))
    colours = [PALETTE.get(s, PALETTE["within"]) for s in workload["status"]]
    ax.axvspan(lo, hi, color=PALETTE["band"], label=i18n.t("plots.workload.band", lang, low=lo, high=hi))
    ax.barh(y, workload["customers"], color=colours)
    ax.set_yticks(y, workload["staff_id"])
    ax.invert_yaxis()
    ax.set_xlabel(i18n.t("plots.workload.xlabel", lang))
    ax.legend(frameon=False, loc="lower right")
    if title:
        ax.set_title(title, loc="left")
    return ax


def long_tail_plot(profile: pd.DataFrame, *, ax=None, title: str | None = None, lang: str = "en"):
    """Head against tail: their shares of customers, assets, transactions and products."""
    ax = _axes(ax, lang=lang)
    measures = ["customers_share", "assets_share", "transactions_share", "products_share"]
    labels = [i18n.t(f"plots.long_tail.{m.removesuffix('_share')}", lang) for m in measures]
    x = np.arange(len(measures))
    bottom = np.zeros(len(measures))
    for _, row in profile.iterrows():
        vals = row[measures].to_numpy(dtype=float)
        ax.bar(x, vals, 0.6, bottom=bottom, color=PALETTE.get(row["part"], "#888"),
               label=_part_name(str(row["part"]), lang))
        for xi, (b, v) in enumerate(zip(bottom, vals)):
            if v > 0.06:
                ax.text(xi, b + v / 2, f"{v:.0%}", ha="center", va="center", color="white", fontsize=9)
        bottom += vals
    ax.set_xticks(x, labels)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    if title:
        ax.set_title(title, loc="left")
    return ax


def _part_name(part: str, lang: str) -> str:
    key = f"plots.long_tail.{part}"
    return i18n.t(key, lang) if i18n.has(key, lang) else part.title()


def asset_histogram(values: pd.Series, *, thresholds: dict[str, float] | None = None, ax=None,
                    title: str | None = None, lang: str = "en"):
    """Distribution of average daily assets on a log scale, with tier bars marked (keys of
    ``thresholds`` that are tier codes show as the tier's name)."""
    ax = _axes(ax, lang=lang)
    v = np.asarray(values, dtype=float)
    v = v[v > 0]
    bins = np.logspace(np.log10(max(v.min(), 1)), np.log10(v.max() * 1.01), 40) if len(v) else 10
    ax.hist(v, bins=bins, color=PALETTE["branch"], alpha=0.85)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(money_formatter(lang))
    for name, bar in (thresholds or {}).items():
        ax.axvline(bar, color="#444", lw=0.8, ls=":")
        ax.text(bar, ax.get_ylim()[1] * 0.95, _tier_name(name, lang), rotation=90, va="top", ha="right", fontsize=8)
    ax.set_xlabel(i18n.t("plots.histogram.xlabel", lang))
    ax.set_ylabel(i18n.t("plots.histogram.ylabel", lang))
    if title:
        ax.set_title(title, loc="left")
    return ax
