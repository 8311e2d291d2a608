"""``crmstudy events``: detect one day's customer events and append them to the event log."""

from __future__ import annotations

from ..errors import EXIT_OK, ParamsError

NAME = "events"
HELP = "detect one day's customer events and append them to the event log (Parquet and DuckDB)"
EXAMPLES = """examples:
  crmstudy events --data data_synthetic/demo --date 2025-06-30 --out events"""


def add_arguments(e) -> None:
    """Add the verb's arguments to its sub-parser ``e``."""
    e.add_argument("--data", required=True, help="bank folder (Parquet or CSV files)")
    e.add_argument("--date", required=True, help="detection day, YYYY-MM-DD: what was known at its close")
    e.add_argument(
        "--out",
        required=True,
        help="event log folder: OUT/events/day=<date>/, OUT/events.duckdb and the bank's day-ordered copy "
        "OUT/daystore/ (built by the first day, reused by the next)",
    )
    e.add_argument("--params", default=None, help="parameters YAML (the 'events' and 'tiers' keys); default built in")


def parse_day(text: str, name: str = "--date"):
    """An ISO day, or ParamsError naming the option."""
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ParamsError(f"{name}: expected a day as YYYY-MM-DD, got {text!r}") from None


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from pathlib import Path

    from ..bank import Bank
    from ..events import detect
    from ..events.store import write_day
    from ..params import load

    day = parse_day(args.date)
    bank = Bank.open(args.data)
    period = bank.period
    if not period.start <= day <= period.end:
        raise ParamsError(f"--date: {day} is outside the bank's data ({period.start} to {period.end})")
    params = load(args.params)
    # the day-ordered copy of the bank under OUT/daystore, built by the first day and reused
    w = write_day(args.out, day, detect(bank, day, params=params, store=Path(args.out) / "daystore"))
    print(f"{day}: {w.events} events; {w.added} added, {w.removed} removed ({w.path})")
    return EXIT_OK
