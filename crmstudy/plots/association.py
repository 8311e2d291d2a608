"""Charts of segment × product association (:mod:`crmstudy.association`): the residual heat map."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from .. import i18n
from ..errors import DataError
from .core import _use_language

#: Significance marks: adjusted p-value at or below each bound.
MARKS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def significance_mark(p_adjusted: float, *, alpha: float = 0.05) -> str:
    """``***``, ``**``, ``*`` for adjusted p <= 0.001, 0.01, alpha; ``""`` otherwise.

    Examples
    --------
    >>> significance_mark(0.004), significance_mark(0.2)
    ('**', '')
    """
    if p_adjusted != p_adjusted or p_adjusted > alpha:
        return ""
    for bound, mark in MARKS:
        if p_adjusted <= min(bound, alpha):
            return mark
    return "*"


def residual_heatmap(
    cells: pd.DataFrame,
    *,
    group: str = "group",
    product: str = "product_id",
    value: str = "residual",
    p_adjusted: str = "p_adjusted",
    alpha: float = 0.05,
    clip: float = 8.0,
    labels: dict[str, str] | None = None,
    group_labels: dict[str, str] | None = None,
    ax=None,
    title: str | None = None,
    lang: str = "en",
):
    """Groups × products coloured by adjusted residual, significant cells marked.

    Parameters
    ----------
    cells : pd.DataFrame
        One row per group × product, e.g. ``GroupProductAssociation.cells`` of
        one grouping.
    group, product, value, p_adjusted : str
        Column names.
    alpha : float
        Cells with adjusted p above this carry no mark.
    clip : float
        Colour scale limit (residuals beyond ±clip get the end colour, so a
        single huge cell does not wash out the rest).
    labels : dict, optional
        Display names of products (e.g. product_id -> product_name).
    group_labels : dict, optional
        Display names of groups; a group without one shows as its code with spaces.
    ax : matplotlib Axes, optional
    title : str, optional
    lang : {"en", "zh"}
        Language of the colour-bar label; Chinese registers a CJK font first.

    Returns
    -------
    matplotlib.axes.Axes
        Red: the group holds the product more often than the rest; blue: less.
    """
    missing = [c for c in (group, product, value, p_adjusted) if c not in cells.columns]
    if missing:
        raise DataError(f"residual_heatmap: missing column(s) {', '.join(missing)}")
    _use_language(lang)
    rows = list(dict.fromkeys(cells[group]))
    cols = list(dict.fromkeys(cells[product]))
    z = cells.pivot(index=group, columns=product, values=value).reindex(index=rows, columns=cols)
    q = cells.pivot(index=group, columns=product, values=p_adjusted).reindex(index=rows, columns=cols)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.4, 0.55 * len(cols) + 2.4), 0.45 * len(rows) + 2.2), layout="constrained")
    v = np.clip(z.to_numpy(dtype=float), -clip, clip)
    image = ax.imshow(np.ma.masked_invalid(v), cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -clip, clip), aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            mark = significance_mark(float(q.iat[i, j]), alpha=alpha)
            if mark:
                ax.text(
                    j,
                    i,
                    mark,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if abs(v[i, j]) > 0.6 * clip else "black",
                )
    names, groups = labels or {}, group_labels or {}
    ax.set_xticks(range(len(cols)), [names.get(c, str(c)) for c in cols], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), [groups.get(r, str(r).replace("_", " ")) for r in rows], fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    bar.set_label(i18n.t("association.colorbar", lang), fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, loc="left")
    return ax


def most_different_plot(
    cells: pd.DataFrame,
    *,
    group: str = "group",
    product: str = "product_id",
    value: str = "residual",
    p_adjusted: str = "p_adjusted",
    alpha: float = 0.05,
    top: int = 12,
    labels: dict[str, str] | None = None,
    group_labels: dict[str, str] | None = None,
    ax=None,
    title: str | None = None,
    lang: str = "en",
):
    """The group × product cells furthest from independence, as bars: a heatmap a phone can read.

    The ``top`` cells by absolute adjusted residual (significant cells first), one bar each,
    labelled with its group over its product and marked as in :func:`residual_heatmap`; red: the group holds
    the product more often than the rest, blue: less.  Same columns as :func:`residual_heatmap`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    missing = [c for c in (group, product, value, p_adjusted) if c not in cells.columns]
    if missing:
        raise DataError(f"most_different_plot: missing column(s) {', '.join(missing)}")
    from .core import SMALL_TEXT, _axes

    names, groups = labels or {}, group_labels or {}
    c = cells.dropna(subset=[value]).assign(_sig=lambda d: d[p_adjusted] <= alpha, _size=lambda d: d[value].abs())
    c = c.sort_values(["_sig", "_size"], ascending=False).head(top).sort_values(value)
    ax = _axes(ax, (6.4, max(2.6, 0.62 * len(c) + 1.2)), lang)
    y = np.arange(len(c))
    ax.barh(y, c[value], color=np.where(c[value] > 0, "#c0392b", "#2c6fb0"), height=0.7)
    text = [
        f"{groups.get(g, str(g).replace('_', ' '))}\n{names.get(p, str(p))} {significance_mark(q, alpha=alpha)}"
        for g, p, q in zip(c[group], c[product], c[p_adjusted])
    ]
    text = [t.strip() for t in text]
    ax.set_yticks(y, text, fontsize=SMALL_TEXT)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_xlabel(i18n.t("association.colorbar", lang))
    if title:
        ax.set_title(title, loc="left")
    return ax
