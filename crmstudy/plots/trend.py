"""Charts of a branch over time: month-end assets, customers and dormant share, side by side."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from babel.dates import format_date
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from .. import i18n
from .core import FONT_SIZES, PALETTE, _use_language


def trend_plot(monthly: pd.DataFrame, *, lang: str = "en"):
    """Three small line charts of one branch by month end: assets, customers, dormant share.

    ``monthly`` is one branch's rows of :func:`crmstudy.reports.trends.monthly_lines`.  Months
    without a dormancy figure (too early for its look-back) are left out of the third chart.
    A 6.4-inch figure, as every chart of the report, so its text stays readable on a phone.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _use_language(lang)
    plt.rcParams.update(FONT_SIZES)
    fig, axes = plt.subplots(1, 3, figsize=(6.4, 2.7), layout="constrained")
    months = pd.to_datetime(monthly["month_end"])
    x = list(range(len(months)))
    ticks = _month_ticks(months, lang)
    panels = [
        ("assets", "trend.plot.assets", FuncFormatter(lambda v, _p=None: i18n.money_tick(v, lang))),
        ("customers", "trend.plot.customers", FuncFormatter(lambda v, _p=None: i18n.integer(v, lang))),
        ("dormant_share", "trend.plot.dormant_share", PercentFormatter(1.0, decimals=0)),
    ]
    for ax, (column, key, fmt) in zip(axes, panels):
        y = pd.to_numeric(monthly[column], errors="coerce").astype("float64")
        ax.plot(x, y, lw=2.2, color=PALETTE["branch"], marker="o", markersize=3.5)
        ax.set_title(i18n.t(key, lang), loc="left")
        ax.yaxis.set_major_formatter(fmt)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.set_xticks([k for k, _ in ticks], [label for _, label in ticks])
        ax.set_xlim(-0.5, len(x) - 0.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#e6e6e6", lw=0.8)
        if column == "dormant_share" and y.notna().any():  # a share from 0: a point of noise is not a cliff
            ax.set_ylim(0, max(float(y.max()) * 1.25, 0.01))
    return fig


def _month_ticks(months: pd.Series, lang: str) -> list[tuple[int, str]]:
    """Three month labels (first, middle, last): ``Jan``, ``Jun``, ``Dec``; ``1月`` ... in Chinese."""
    n = len(months)
    picks = sorted({0, (n - 1) // 2, n - 1}) if n else []
    # the month's short name in the reader's language, from CLDR: "Mar", "3月"
    return [(k, format_date(months.iloc[k].date(), "MMM", locale=i18n.BABEL_LOCALES[lang])) for k in picks]
