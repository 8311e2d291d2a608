"""What every result object offers a researcher: ``to_frame()`` and a readable notebook view.

A result (a Gini with its interval, a contingency test, a scorecard's
validation ...) is a frozen dataclass of numbers and frames.  Mixing in
:class:`Result` gives it :meth:`~Result.to_frame` (one row per figure, or the
result's own main table) and a ``_repr_html_`` that rounds to what a reader can
use (four significant digits, thousands separators) instead of 16-digit floats.
"""

from __future__ import annotations

import dataclasses
import html
import math
import numbers

import numpy as np
import pandas as pd

__all__ = ["Result", "readable"]

#: Rows of a table shown in a notebook before it is cut.
_MAX_ROWS = 20


def readable(value) -> str:
    """A number as a reader wants it: four significant digits, thousands separators, no ``nan``.

    Examples
    --------
    >>> readable(0.84412345678), readable(10266730.1), readable(12), readable(float("nan"))
    ('0.8441', '10,266,730', '12', '–')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if x != 0 and abs(x) >= 1000:
            return f"{x:,.0f}"
        return f"{x:.4g}"
    return str(value)


def _frame_html(df: pd.DataFrame, *, names: dict | None = None) -> str:
    shown = df.head(_MAX_ROWS)
    if not isinstance(shown.index, pd.RangeIndex):
        shown = shown.reset_index()
    if names:
        shown = shown.replace(names)
    body = shown.map(readable) if hasattr(shown, "map") else shown.applymap(readable)
    more = f"<p>… {len(df) - _MAX_ROWS:,} more rows (<code>.to_frame()</code>)</p>" if len(df) > _MAX_ROWS else ""
    return body.to_html(index=False, escape=True, border=0) + more


class Result:
    """Mixin of result dataclasses: ``to_frame()`` and ``_repr_html_``.

    A subclass may set ``_frame`` to the name of its main table attribute (for
    example ``"cells"``); otherwise :meth:`to_frame` lists its scalar fields.
    ``product_names`` (product_id -> name), when the result carries it, replaces
    ids in the notebook view.
    """

    _frame: str | None = None

    def _scalars(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (numbers.Number, str, bool, np.bool_)) or v is None:
                out[f.name] = v
        return out

    def to_frame(self) -> pd.DataFrame:
        """The result as a DataFrame: its main table, or one row of its figures."""
        if self._frame is not None:
            return getattr(self, self._frame).copy()
        return pd.DataFrame([self._scalars()])

    def _repr_html_(self) -> str:
        title = f"<p><b>{html.escape(type(self).__name__)}</b></p>"
        scalars = self._scalars()
        figures = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(readable(v))}</td></tr>" for k, v in scalars.items()
        )
        parts = [title, f"<table>{figures}</table>" if figures else ""]
        if self._frame is not None:
            parts.append(_frame_html(getattr(self, self._frame), names=getattr(self, "product_names", None)))
        return "\n".join(parts)
