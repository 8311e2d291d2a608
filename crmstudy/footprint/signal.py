"""The footprint signal as a type: its window and its definition (source 002).

The registry of signals is :mod:`crmstudy.footprint.catalogue`; their computation
:mod:`crmstudy.footprint.signals`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ibis.expr.types as ir

from ..features import Period


@dataclass(frozen=True)
class Window:
    """A window of days (``period``) as the signals measure it."""

    period: Period

    @property
    def months(self) -> float:
        """Its days in average months (365.25 / 12 days), the denominator of rates per month."""
        return self.period.days / (365.25 / 12)

    @property
    def weeks(self) -> float:
        """Its days / 7."""
        return self.period.days / 7.0

    @property
    def n_months(self) -> int:
        """Calendar months it touches (``payroll_regularity``, ``income_trend``)."""
        start, end = self.period.start, self.period.end
        return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Signal:
    """One behavioural trace, computed per customer over a window of days.

    Attributes
    ----------
    name : str
        Column name in :func:`compute_signals` output.
    label : str
        Reader-facing name, used in reasons ("premium fuel share").
    definition : str
        What is measured, in one sentence (the docs' table).
    unit : str
        Unit of the value.
    direction : str
        What the articles expect: which way the signal moves value or risk.
    table : str
        The table it reads.
    columns : tuple of str
        Columns of ``table`` it needs (besides ``customer_id``).
    planted : str
        What the synthetic bank plants (docs/generative_model.md): ``value``,
        ``risk``, ``irrelevant`` or a note.
    source : str
        The rows it measures (:data:`SOURCES`): ``transactions`` or ``visits`` in the
        window, ``inflows`` (per calendar month) or ``customers``.
    measure : callable
        ``measure(rows, window)``: the Ibis expression of the signal over the source's rows
        of one customer (an aggregate; for ``customers``, a column of the customer's row),
        given the :class:`Window`.
    fill : float or None
        Value for a customer with no rows in the window (0 for counts; None
        leaves it missing, e.g. a share with no denominator).
    fmt : str
        Format of a value in a reason (``{:.0%}``).
    """

    name: str
    label: str
    definition: str
    unit: str
    direction: str
    table: str
    columns: tuple[str, ...]
    planted: str
    source: str
    measure: Callable[[ir.Table, Window], ir.Value]
    fill: float | None = None
    fmt: str = "{:.2f}"

    def describe(self, value) -> str:
        """``premium fuel share 75%``; ``premium fuel share: none recorded`` when missing."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.label}: none recorded"
        return f"{self.label} {self.fmt.format(value)}"
