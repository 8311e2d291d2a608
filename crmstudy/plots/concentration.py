"""Charts of concentration: Lorenz curves, the head against the long tail."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from .. import i18n
from .core import PALETTE, SMALL_TEXT, _axes


def lorenz_plot(curves: dict[str, pd.DataFrame], *, ax=None, title: str | None = None, lang: str = "en"):
    """Lorenz curves (``customer_share`` vs ``value_share``) with the equality line."""
    ax = _axes(ax, (5.2, 4.2), lang)
    ax.plot([0, 1], [0, 1], color="#aaaaaa", lw=1, ls=":", label=i18n.t("plots.lorenz.equality", lang))
    # Colour and dash both differ, so the curves part in grey print and for colour-blind readers.
    styles = [(PALETTE["branch"], 2.6, "-"), ("#5f6b7a", 2.0, (0, (6, 3)))]
    for i, (label, df) in enumerate(curves.items()):
        colour, width, dash = styles[i] if i < 2 else (list(PALETTE.values())[i], 1.6, "-.")
        ax.plot(df["customer_share"], df["value_share"], lw=width, ls=dash, color=colour, label=label)
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


def long_tail_plot(profile: pd.DataFrame, *, ax=None, title: str | None = None, lang: str = "en"):
    """Head against tail: their shares of customers, assets, transactions and products."""
    ax = _axes(ax, lang=lang)
    measures = ["customers_share", "assets_share", "transactions_share", "products_share"]
    labels = [i18n.t(f"plots.long_tail.{m.removesuffix('_share')}", lang) for m in measures]
    x = np.arange(len(measures))
    bottom = np.zeros(len(measures))
    for _, row in profile.iterrows():
        vals = row[measures].to_numpy(dtype=float)
        ax.bar(
            x,
            vals,
            0.6,
            bottom=bottom,
            color=PALETTE.get(row["part"], "#888"),
            label=_part_name(str(row["part"]), lang),
        )
        for xi, (b, v) in enumerate(zip(bottom, vals)):
            if v > 0.06:
                ax.text(xi, b + v / 2, f"{v:.0%}", ha="center", va="center", color="white", fontsize=SMALL_TEXT)
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
