"""One function per chart: data in, matplotlib Axes out (seaborn's convention).

Each function takes ``ax=`` (a new figure when omitted) and returns the Axes,
and ``lang=`` (``"en"`` or ``"zh"``): labels and legends come from the message
catalogue (:mod:`crmstudy.i18n`), and for Chinese a CJK font is registered
first (:mod:`crmstudy.fonts`).

One module per family of charts, every name importable from ``crmstudy.plots``:

* :mod:`~crmstudy.plots.core` — the shared axes set-up, colours and CNY tick labels;
* :mod:`~crmstudy.plots.concentration` — Lorenz curves, head against tail;
* :mod:`~crmstudy.plots.tiers` — tiers, RM workload, the asset histogram with tier bars;
* :mod:`~crmstudy.plots.association` — the group × product residual heat map
  (:mod:`crmstudy.association`);
* :mod:`~crmstudy.plots.profit` — the whale curve (:mod:`crmstudy.profit`);
* :mod:`~crmstudy.plots.trend` — a branch month by month (:mod:`crmstudy.reports.trends`).
"""

from __future__ import annotations

from .association import MARKS, most_different_plot, residual_heatmap, significance_mark
from .concentration import long_tail_plot, lorenz_plot
from .core import PALETTE, cny, money_formatter
from .profit import whale_plot
from .tiers import asset_histogram, tier_plot, workload_plot
from .trend import trend_plot

__all__ = [
    "MARKS",
    "PALETTE",
    "asset_histogram",
    "cny",
    "long_tail_plot",
    "lorenz_plot",
    "money_formatter",
    "most_different_plot",
    "residual_heatmap",
    "significance_mark",
    "tier_plot",
    "trend_plot",
    "whale_plot",
    "workload_plot",
]
