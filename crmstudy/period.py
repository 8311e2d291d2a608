"""Periods of days: what every analysis measures over, and its month arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import ParamsError

__all__ = ["Period", "add_months", "as_date"]


@dataclass(frozen=True)
class Period:
    """A closed interval of days ``[start, end]``.

    Examples
    --------
    >>> p = Period.of("2025-01-01", "2025-12-31")
    >>> p.days, p.end_exclusive
    (365, datetime.date(2026, 1, 1))
    """

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ParamsError(f"period: 'end' ({self.end}) must not be before 'start' ({self.start})")

    @property
    def days(self) -> int:
        """Days in the period, both ends counted."""
        return (self.end - self.start).days + 1

    @property
    def end_exclusive(self) -> date:
        """The day after the period (the tables' intervals are half-open)."""
        return self.end + timedelta(days=1)

    @classmethod
    def of(cls, start, end) -> Period:
        """A period from dates, datetimes or ISO strings; a bad value is one ParamsError line."""
        return cls(as_date(start, "period.start"), as_date(end, "period.end"))


def as_date(value, name: str) -> date:
    """``value`` as a date (a datetime's day, or an ISO string); ParamsError naming ``name`` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ParamsError(f"'{name}' must be a date like 2025-12-31, got {value!r}") from None


def add_months(d: date, k: int) -> date:
    """The first day of the month ``k`` months after ``d``'s month.

    Examples
    --------
    >>> add_months(date(2025, 11, 15), 3)
    datetime.date(2026, 2, 1)
    """
    m = d.month - 1 + k
    return date(d.year + m // 12, m % 12 + 1, 1)
