"""What every chart shares: the axes set-up for a language, the colours, CNY tick labels."""

from __future__ import annotations

# No matplotlib.use() here: without a display matplotlib falls back to Agg by
# itself, and in a notebook the kernel's inline backend must stay in charge.
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from .. import i18n
from ..fonts import use_cjk_font

PALETTE = {
    "branch": "#1f5fa8",
    "bank": "#9aa5b1",
    "band": "#d8efe0",
    "over": "#c0392b",
    "under": "#e0a526",
    "within": "#1f5fa8",
    "left": "#7f8c8d",
    "head": "#1f5fa8",
    "tail": "#e0a526",
}


def _use_language(lang: str) -> None:
    """Refuse an unknown language; for Chinese register a CJK font first."""
    i18n.check_language(lang)
    if lang == "zh":
        use_cjk_font()


#: Text sizes of every chart (points).  A 6.4-inch chart shrinks to about 60% on a 390-px
#: phone; 12 pt is then still 9 CSS px, the smallest text a reader should have to read.
FONT_SIZES = {
    "font.size": 12.5,
    "axes.labelsize": 12.5,
    "axes.titlesize": 13.0,
    "xtick.labelsize": 12.0,
    "ytick.labelsize": 12.0,
    "legend.fontsize": 12.0,
}
#: The smallest text on any chart, for labels drawn by hand (bar values, marks).
SMALL_TEXT = 12.0


def _axes(ax, size=(6.4, 3.6), lang="en"):
    _use_language(lang)
    plt.rcParams.update(FONT_SIZES)
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
