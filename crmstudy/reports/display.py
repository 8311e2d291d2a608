"""Outputs a report notebook emits so that they read well as HTML and as PDF.

A report notebook runs in a Jupyter kernel (papermill) and is then turned into
HTML and PDF by :mod:`crmstudy.reports.pipeline.engines`.  Each function here displays
one MIME bundle holding every representation a reader needs:

* ``text/html`` where HTML can do better than markdown (tables, metrics);
  the HTML report uses it.
* ``text/markdown`` for everything; the PDF (Typst) report uses it, and
  headings and readings are *only* markdown so that they become real
  headings (table of contents) and paragraphs in both formats.
* ``image/png`` at 200 dpi for figures.
* ``text/plain`` as the last resort of a plain console.

Pandoc on its own would pick ``text/html`` for HTML but ``text/plain`` (a
monospace dump) for Typst, and it never renders ``text/markdown`` outputs; the
render step therefore chooses the representation itself (see
``assets/notebook.lua``).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import numbers
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Resolution of embedded figures; sharp in print, still small in HTML.
FIGURE_DPI = 200
#: CSS pixels per inch, so that a figure keeps its physical size in HTML.
_CSS_PX_PER_INCH = 96
_MISSING = "–"

Format = str | Callable[[Any], str]

#: Text cells shown with a mark, report-wide (e.g. the id of a member of staff who has left:
#: ``"B004-CU01 (left)"``); set for one report by :func:`marked_values`.
_MARKS: dict[str, str] = {}


@contextlib.contextmanager
def marked_values(marks: Mapping[str, str]) -> Iterator[None]:
    """Within the block, every table cell whose text is a key of ``marks`` shows its value instead.

    One rule for the whole report: a departed owner is marked in every list that names them,
    whichever section made the list.

    Examples
    --------
    >>> with marked_values({"B1-CU01": "B1-CU01 (left)"}):
    ...     "B1-CU01 (left)" in table_bundle(pd.DataFrame({"owner": ["B1-CU01"]}))["text/html"]
    True
    """
    old = dict(_MARKS)
    _MARKS.clear()
    _MARKS.update(marks)
    try:
        yield
    finally:
        _MARKS.clear()
        _MARKS.update(old)


def mark(text: str) -> str:
    """``text`` with its report-wide mark (:func:`marked_values`), if it has one."""
    return _MARKS.get(text, text)


# --------------------------------------------------------------------------
# values


def format_value(value: Any, fmt: Format | None = None) -> str:
    """Format one cell for a reader: thousands separators, no ``nan``.

    Parameters
    ----------
    value : object
        A number, string, date or missing value.
    fmt : str or callable, optional
        A format spec (``",.0f"``), a format string (``"{:.1%}"``) or a
        function returning a string.  By default integers get thousands
        separators and other numbers two decimals.

    Returns
    -------
    str
        The text shown in the table; missing values become an en dash.

    Examples
    --------
    >>> format_value(1234567)
    '1,234,567'
    >>> format_value(0.1234, "{:.1%}")
    '12.3%'
    >>> format_value(float("nan"))
    '–'
    """
    if _is_missing(value):
        return _MISSING
    if callable(fmt):
        return str(fmt(value))
    if fmt is not None:
        return fmt.format(value) if "{" in fmt else format(value, fmt)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        return f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
    return str(value)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~$])")


def _md_escape(text: str) -> str:
    """Escape text for a markdown table cell (pandoc and Jupyter agree)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


# --------------------------------------------------------------------------
# bundles (pure functions, tested directly)


def table_bundle(
    df: pd.DataFrame, *, caption: str | None = None, index: bool = False, formats: Mapping[Any, Format] | None = None
) -> dict[str, str]:
    """The MIME bundle of :func:`show_table`: ``text/html``, ``text/markdown``, ``text/plain``.

    Numeric columns are right-aligned; the HTML table sits in a
    ``div.table-wrap`` so that a wide table scrolls inside its own box.
    """
    formats = dict(formats or {})
    frame = df.reset_index() if index else df
    if index and all(name is None for name in df.index.names):
        frame = frame.rename(columns={"index": ""})
    labels = [_label(col) for col in frame.columns]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        for col in frame.columns
    ]
    rows = [
        [
            format_value(v, formats.get(col)) if is_num else mark(format_value(v, formats.get(col)))
            for col, v, is_num in zip(frame.columns, row, numeric)
        ]
        for row in frame.itertuples(index=False, name=None)
    ]
    return {
        "text/html": _html_table(labels, rows, numeric, caption),
        "text/markdown": _pipe_table(labels, rows, numeric, caption),
        "text/plain": frame.to_string(index=False),
    }


def _label(col: Any) -> str:
    if isinstance(col, tuple):
        return " / ".join(str(part) for part in col if str(part))
    return str(col)


def _html_table(
    labels: list[str], rows: list[list[str]], numeric: list[bool], caption: str | None, css_class: str = "report-table"
) -> str:
    def cell(tag: str, text: str, is_num: bool, label: str = "") -> str:
        attr = ' class="num"' if is_num else ""
        if label:  # a phone shows each row as a card, each value under its column's name (report.css)
            attr += f' data-label="{html.escape(label, quote=True)}"'
        return f"<{tag}{attr}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", label, n) for label, n in zip(labels, numeric))
    body = "\n".join(
        "<tr>" + "".join(cell("td", v, n, lab) for v, n, lab in zip(row, numeric, labels)) + "</tr>" for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>\n" if caption else ""
    thead = f"<thead><tr>{head}</tr></thead>\n" if any(labels) else ""
    return (
        f'<div class="table-wrap">\n<table class="{css_class}">\n{cap}{thead}'
        f"<tbody>\n{body}\n</tbody>\n</table>\n</div>"
    )


def _pipe_table(labels: list[str], rows: list[list[str]], numeric: list[bool], caption: str | None) -> str:
    # Padding columns to their widest cell keeps the dashes proportional:
    # pandoc uses them as relative column widths when a table is wide.
    cells = [[_md_escape(v) for v in line] for line in [labels, *rows]]
    widths = [max(3, *(len(line[j]) for line in cells)) for j in range(len(labels))]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if n else (":" + "-" * (w + 1)) for w, n in zip(widths, numeric)) + "|"
    text = "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])
    return text + (f"\n\n: {_md_escape(caption)}" if caption else "")


def metrics_bundle(metrics: Mapping[str, Any], *, formats: Mapping[str, Format] | None = None) -> dict[str, str]:
    """The MIME bundle of :func:`show_metrics`: cards in HTML, a two-column table elsewhere."""
    formats = dict(formats or {})
    items = [(str(k), format_value(v, formats.get(k))) for k, v in metrics.items()]
    cards = "\n".join(
        f'<div class="metric"><span class="metric-value">{html.escape(v)}</span>'
        f'<span class="metric-label">{html.escape(k)}</span></div>'
        for k, v in items
    )
    # An empty header row makes pandoc read a headerless table.
    markdown = _pipe_table(["", ""], [[k, v] for k, v in items], [False, True], None)
    plain = "\n".join(f"{k}: {v}" for k, v in items)
    return {"text/html": f'<div class="metrics">\n{cards}\n</div>', "text/markdown": markdown, "text/plain": plain}


def figure_bundle(fig: Any, *, alt: str, dpi: int = FIGURE_DPI) -> tuple[dict[str, str], dict]:
    """PNG data and display metadata of a matplotlib figure (does not close it).

    The metadata carries the alt text and the width in CSS pixels, so the
    figure keeps its physical size in HTML while staying sharp.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    png = buf.getvalue()
    width_px = int.from_bytes(png[16:20], "big")  # IHDR width
    meta = {"image/png": {"width": round(width_px * _CSS_PX_PER_INCH / dpi), "alt": alt}}
    smallest = smallest_text(fig)
    if smallest:  # the browser test checks that this text stays >= 9 px wherever the figure is shown
        meta["image/png"]["data-min-font-pt"] = f"{smallest:.1f}"
    data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt}
    return data, meta


def smallest_text(fig: Any) -> float | None:
    """The size in points of the smallest visible text of a matplotlib figure (None without text)."""
    from matplotlib.text import Text

    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]
    return min(sizes) if sizes else None


def heading_markdown(text: str, level: int = 2) -> str:
    """Markdown of a section heading, e.g. ``'## Customers'``."""
    if not 1 <= level <= 6:
        raise ValueError(f"heading level must be 1 to 6, got {level}")
    return "#" * level + " " + " ".join(str(text).split())


def reading_markdown(text: str) -> str:
    """Markdown of a one-sentence reading: a block quote, styled as a callout."""
    return "\n".join("> " + line for line in str(text).strip().splitlines())


# --------------------------------------------------------------------------
# display (called from report notebooks)


def _publish(data: dict[str, str], metadata: dict | None = None) -> None:
    from IPython.display import display

    display(data, raw=True, metadata=metadata or {})


def _markdown(text: str) -> None:
    _publish({"text/markdown": text, "text/plain": text})


def show_table(
    df: pd.DataFrame, *, caption: str | None = None, index: bool = False, formats: Mapping[Any, Format] | None = None
) -> None:
    """Display a DataFrame as a real table in both the HTML and the PDF report.

    Parameters
    ----------
    df : pd.DataFrame
        The rows to show; keep it to what a reader can take in.
    caption : str, optional
        One line above the table.
    index : bool
        Show the index as leading column(s).
    formats : mapping, optional
        Column name -> format spec, format string or function, e.g.
        ``{"share": "{:.1%}", "assets": ",.0f"}``.
    """
    _publish(table_bundle(df, caption=caption, index=index, formats=formats))


def show_figure(fig: Any, *, alt: str) -> None:
    """Display a matplotlib figure as an embedded 200 dpi PNG, then close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to show.
    alt : str
        What the figure shows, for readers who cannot see it.
    """
    import matplotlib.pyplot as plt

    try:
        data, meta = figure_bundle(fig, alt=alt)
    finally:
        plt.close(fig)
    _publish(data, meta)


def say(text: str) -> None:
    """Display a one-sentence reading of the output above it (markdown allowed)."""
    _markdown(reading_markdown(text))


def heading(text: str, level: int = 2) -> None:
    """Display a section heading that appears in the report's table of contents."""
    _markdown(heading_markdown(text, level))


def show_metrics(metrics: Mapping[str, Any], *, formats: Mapping[str, Format] | None = None) -> None:
    """Display headline figures: cards in HTML, a compact two-column table in PDF.

    Parameters
    ----------
    metrics : mapping
        Label -> value, in display order, e.g. ``{"Customers": 12840}``.
    formats : mapping, optional
        Label -> format, as in :func:`show_table`.
    """
    _publish(metrics_bundle(metrics, formats=formats))
