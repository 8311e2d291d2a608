"""The event log on disk: one Parquet file per detection day, and a DuckDB view over them all.

Layout of an output folder ``OUT``::

    OUT/events/day=2025-06-30/events.parquet   the events detected on that day (possibly none)
    OUT/events.duckdb                          a DuckDB database with the view ``events`` over every day

A day's file is written to a temporary file beside it and moved into place,
so a reader never sees half a day.  Writing a day that is already there with
the same events changes nothing (the file is left as it is): running the same
day twice adds no event.  A day whose data changed since is replaced whole,
and the counts say what was added and what went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ..atomic import atomic_path
from .detect import COLUMNS

__all__ = ["DayWrite", "day_path", "read_events", "write_day"]


@dataclass(frozen=True)
class DayWrite:
    """What writing one day did: its events, how many were new and how many went."""

    day: date
    path: Path
    events: int
    added: int
    removed: int


def day_path(out: str | Path, day: date) -> Path:
    """The file of one detection day."""
    return Path(out) / "events" / f"day={day.isoformat()}" / "events.parquet"


def write_day(out: str | Path, day: date | str, events: pd.DataFrame, *, view: bool = True) -> DayWrite:
    """Write the events of ``day`` (all of them that day, already detected) into ``out``, idempotently.

    Parameters
    ----------
    out : path
        The output folder.
    day : date
        The detection day; ``events`` must hold that day's events only.
    events : pd.DataFrame
        :data:`crmstudy.events.COLUMNS`.
    view : bool
        Also make sure ``OUT/events.duckdb`` has the view (a replay does it once, after its last day).

    Returns
    -------
    DayWrite
        ``added`` is 0 when the same day is written twice from the same data.
    """
    day = pd.Timestamp(day).date()
    events = events[COLUMNS].reset_index(drop=True)
    path = day_path(out, day)
    old = set()
    if path.exists():
        before = pd.read_parquet(path)
        old = set(before["event_id"])
        if old == set(events["event_id"]) and before.equals(events):
            if view:
                _ensure_view(out)
            return DayWrite(day, path, len(events), 0, 0)
    with atomic_path(path, suffix=".parquet") as tmp:
        events.to_parquet(tmp, index=False)
    if view:
        _ensure_view(out)
    new = set(events["event_id"])
    return DayWrite(day, path, len(events), len(new - old), len(old - new))


def read_events(out: str | Path) -> pd.DataFrame:
    """Every event written into ``out``, in day order (an empty frame with the columns if none)."""
    files = sorted((Path(out) / "events").glob("day=*/events.parquet"))
    if not files:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _ensure_view(out: str | Path) -> None:
    """``OUT/events.duckdb`` with the view ``events`` over every day's file (created once)."""
    db = Path(out) / "events.duckdb"
    glob = (Path(out).resolve() / "events" / "day=*" / "events.parquet").as_posix()
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE OR REPLACE VIEW events AS SELECT * FROM read_parquet('{glob}', union_by_name = true)")
