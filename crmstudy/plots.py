"""One function per chart: data in, matplotlib Axes out (seaborn's convention).

Each function takes ``ax=`` (a new figure when omitted) and returns the Axes.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # reports render headless
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

PALETTE = {"branch": "#1f5fa8", "bank": "#9aa5b1", "band": "#d8efe0", "over": "#c0392b",
           "under": "#e0a526", "within": "#1f5fa8", "left": "#7f8c8d", "head": "#1f5fa8", "tail": "#e0a526"}


def _axes(ax, size=(6.4, 3.6)):
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


def lorenz_plot(curves: dict[str, pd.DataFrame], *, ax=None, title: str | None = None):
    """Lorenz curves (``customer_share`` vs ``value_share``) with the equality line."""
    ax = _axes(ax, (5.2, 4.2))
    ax.plot([0, 1], [0, 1], color="#cccccc", lw=1, ls="--", label="Perfect equality")
    styles = [("branch", 2.2), ("bank", 1.6)]
    for i, (label, df) in enumerate(curves.items()):
        colour = list(PALETTE.values())[i] if i > 1 else PALETTE[styles[i][0]]
        ax.plot(df["customer_share"], df["value_share"], lw=styles[min(i, 1)][1], color=colour, label=label)
    ax.axvline(0.8, color="#bbbbbb", lw=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Share of customers (poorest first)")
    ax.set_ylabel("Share of assets")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, loc="upper left")
    if title:
        ax.set_title(title, loc="left")
    return ax


def tier_plot(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Share of customers against share of assets per tier (grouped bars)."""
    ax = _axes(ax)
    x = np.arange(len(table))
    w = 0.38
    ax.bar(x - w / 2, table["customer_share"], w, color=PALETTE["bank"], label="Customers")
    ax.bar(x + w / 2, table["asset_share"], w, color=PALETTE["branch"], label="Assets")
    ax.set_xticks(x, table["tier"].astype(str))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("Share of branch")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title, loc="left")
    return ax


def workload_plot(workload: pd.DataFrame, *, band: tuple[int, int], ax=None, title: str | None = None):
    """Customers per customer manager, coloured by status, with the target band shaded."""
    ax = _axes(ax, (6.4, max(2.4, 0.28 * len(workload) + 1)))
    lo, hi = band
    y = np.arange(len(workload))
    colours = [PALETTE.get(s, PALETTE["within"]) for s in workload["status"]]
    ax.axvspan(lo, hi, color=PALETTE["band"], label=f"Target {lo}–{hi}")
    ax.barh(y, workload["customers"], color=colours)
    ax.set_yticks(y, workload["staff_id"])
    ax.invert_yaxis()
    ax.set_xlabel("Customers owned")
    ax.legend(frameon=False, loc="lower right")
    if title:
        ax.set_title(title, loc="left")
    return ax


def long_tail_plot(profile: pd.DataFrame, *, ax=None, title: str | None = None):
    """Head against tail: their shares of customers, assets, transactions and products."""
    ax = _axes(ax)
    measures = ["customers_share", "assets_share", "transactions_share", "products_share"]
    labels = ["Customers", "Assets", "Transactions", "Products"]
    x = np.arange(len(measures))
    bottom = np.zeros(len(measures))
    for _, row in profile.iterrows():
        vals = row[measures].to_numpy(dtype=float)
        ax.bar(x, vals, 0.6, bottom=bottom, color=PALETTE.get(row["part"], "#888"), label=str(row["part"]).title())
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


def asset_histogram(values: pd.Series, *, thresholds: dict[str, float] | None = None, ax=None,
                    title: str | None = None):
    """Distribution of average daily assets on a log scale, with tier bars marked."""
    ax = _axes(ax)
    v = np.asarray(values, dtype=float)
    v = v[v > 0]
    bins = np.logspace(np.log10(max(v.min(), 1)), np.log10(v.max() * 1.01), 40) if len(v) else 10
    ax.hist(v, bins=bins, color=PALETTE["branch"], alpha=0.85)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(cny))
    for name, bar in (thresholds or {}).items():
        ax.axvline(bar, color="#444", lw=0.8, ls=":")
        ax.text(bar, ax.get_ylim()[1] * 0.95, name, rotation=90, va="top", ha="right", fontsize=8)
    ax.set_xlabel("Average daily assets (CNY, log scale)")
    ax.set_ylabel("Customers")
    if title:
        ax.set_title(title, loc="left")
    return ax
