"""Charts of profit: the whale curve."""

from __future__ import annotations

from matplotlib.ticker import PercentFormatter

from .. import i18n
from .core import PALETTE, _axes


def whale_plot(curve, *, ax=None, title: str | None = None, lang: str = "en"):
    """Cumulative profit (share of the total) over customers ranked by profit, highest first.

    ``curve`` is :attr:`crmstudy.profit.WhaleCurve.curve` (``customer_share``, ``cumulative_share``).
    The peak above 100 % is what the profitable customers earn; the fall after it is what the
    others destroy.
    """
    ax = _axes(ax, (5.2, 3.8), lang)
    # a book that loses money in total has no share of the total: its curve is drawn in amounts
    shares = curve["cumulative_share"].notna().any()
    y = curve["cumulative_share"] if shares else curve["cumulative"]
    ax.plot(curve["customer_share"], y, lw=2.2, color=PALETTE["branch"])
    total = i18n.t("profit.plot.total", lang) if shares else None  # in amounts the dashed line is zero
    ax.axhline(1.0 if shares else 0.0, color="#bbbbbb", lw=0.8, ls="--", label=total)
    k = y.idxmax()
    ax.plot([curve.loc[k, "customer_share"]], [y.loc[k]], "o", color=PALETTE["bank"])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    if shares:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(i18n.t("profit.plot.xlabel", lang))
    ax.set_ylabel(i18n.t("profit.plot.ylabel", lang))
    ax.set_xlim(0, 1)
    if shares:
        ax.legend(frameon=False, loc="lower right")
    if title:
        ax.set_title(title, loc="left")
    return ax
