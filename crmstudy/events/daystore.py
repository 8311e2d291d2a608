"""A day-ordered copy of what the event rules read, built once per bank and reused by every day's detection.

The synthetic bank (and most exports) store ``transactions`` and ``balances``
by customer, so a date filter skips nothing: every detection day decodes the
whole year.  The *day store* is a folder of Parquet files sorted by day, in
row groups of :data:`ROW_GROUP` rows, so that DuckDB reads a day's row groups
only:

``transactions.parquet``
    The rules' columns of ``transactions`` (customer, time, direction,
    category, amount), sorted by time.
``third_party.parquet``
    The transfers out to payment apps only, sorted by time: the third-party
    surge's look-back.
``gaps.parquet``
    One row per customer and day with a payroll credit (``rule = 'salary'``)
    or with business the customer did (``'dormancy'``): the day's largest
    amount, the next such day (``next_day``) and how many such days the 100
    days up to it hold (``n_recent``), sorted by day.  A salary stop or a
    dormancy onset on day E is then a row of day E - gap whose next day is
    after E: the rules' whole look-back (up to 281 days) is read as one day.
    Rows followed by a like day on the next day can never start a gap and are
    left out.
``balances.parquet``
    The balance segments, sorted by ``valid_to``, with their place in the bank's
    own order (``rn``), in which a slice is put back before it is summed.

``next_day`` is taken from the whole data, but a rule only asks whether it
falls after E, where E is a day of the detection: any day after E makes it
so, as the data up to E alone would say, so the events are the same as those
of the whole tables (:func:`crmstudy.events.detect` with ``sliced=False``;
tested to the last column).

The store is keyed by the bank's table files (paths, sizes, modification
times) and the store's :data:`VERSION`: a changed bank gets a new store.  It
is built in a temporary folder beside its place and renamed into it, so a
reader never sees half a store and two builders race harmlessly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .slices import balance_slices

__all__ = ["DayStore", "ROW_GROUP", "VERSION", "open_store", "store_key", "store_slices"]

#: Rows per Parquet row group: a day of a 1M-customer bank (~150,000 transactions) is a few.
ROW_GROUP = 65_536
#: Bumped when the files' layout or meaning changes: an older store is then rebuilt.
VERSION = 1

_TX = "customer_id, ts, direction, merchant_category, amount"
_FILES = ("transactions", "third_party", "gaps", "balances")


@dataclass(frozen=True)
class DayStore:
    """A built day store: its folder, and how long building it took (0 when it was already there)."""

    path: Path
    built_seconds: float

    def file(self, name: str) -> str:
        """``read_parquet('<file>')`` of one of the store's files, for SQL."""
        return f"read_parquet('{(self.path / f'{name}.parquet').as_posix()}')"


def store_key(bank) -> str:
    """16 hex digits naming the bank's files as they are now (paths, sizes, mtimes) and :data:`VERSION`."""
    from ..schema import _stat_key, _table_parts

    key = repr((VERSION, _stat_key(_table_parts(bank._files))))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _ts(day: date) -> str:
    return f"TIMESTAMP '{day.isoformat()}'"


def _copy(con, sql: str, path: Path) -> None:
    con.execute(f"COPY ({sql}) TO '{path.as_posix()}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})")


def _build(bank, folder: Path) -> None:
    con = bank.con.cursor()
    try:
        con.execute("SET preserve_insertion_order = true")
        _copy(con, f"SELECT {_TX} FROM transactions ORDER BY ts", folder / "transactions.parquet")
        _copy(
            con,
            f"SELECT {_TX} FROM transactions WHERE merchant_category = 'third_party_transfer' AND direction = 'out' "
            "ORDER BY ts",
            folder / "third_party.parquet",
        )
        # as the gap rules' x: a customer's days with a payroll credit, or with anything else (a salary
        # arriving is not business the customer does); a day followed by a like day the next day cannot
        # start a gap of a day or more
        _copy(
            con,
            """
            WITH x AS (
              SELECT customer_id, CAST(ts AS DATE) AS day, merchant_category = 'payroll_in' AS payroll,
                     MAX(amount) AS amount
              FROM transactions GROUP BY customer_id, CAST(ts AS DATE), merchant_category = 'payroll_in'
            ), w AS (
              SELECT customer_id, day, payroll, amount,
                     LEAD(day) OVER (PARTITION BY customer_id, payroll ORDER BY day) AS next_day,
                     COUNT(*) OVER (PARTITION BY customer_id, payroll ORDER BY day
                                    RANGE BETWEEN INTERVAL 100 DAYS PRECEDING AND CURRENT ROW) AS n_recent
              FROM x
            )
            SELECT CASE WHEN payroll THEN 'salary' ELSE 'dormancy' END AS rule, customer_id, day, amount,
                   next_day, n_recent
            FROM w WHERE next_day IS NULL OR next_day > day + 1
            ORDER BY day, rule, customer_id""",
            folder / "gaps.parquet",
        )
        _copy(
            con,
            # rn: the row's place in the bank's own order, so that a slice sums its balances in that
            # order and the assets are the whole tables' to the last bit
            "SELECT customer_id, valid_from, valid_to, balance, rn FROM "
            "(SELECT *, row_number() OVER () AS rn FROM balances) ORDER BY valid_to, rn",
            folder / "balances.parquet",
        )
    finally:
        con.close()


def open_store(bank, root: str | Path) -> DayStore:
    """The day store of ``bank`` under ``root`` (``root/<store_key>/``), built first if it is not there.

    Parameters
    ----------
    bank : Bank
        The bank.
    root : path
        Where stores live (``crmstudy events`` uses ``OUT/daystore``); stores of other
        versions of the bank's files are removed once the new one is in place.
    """
    import time

    root = Path(root)
    path = root / store_key(bank)
    if (path / "store.json").exists():
        return DayStore(path, 0.0)
    root.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=root))
    try:
        _build(bank, tmp)
        (tmp / "store.json").write_text(
            json.dumps({"version": VERSION, "bank": str(bank.root), "files": list(_FILES)}, indent=2)
        )
        try:
            os.rename(tmp, path)
        except OSError:  # another process put the same store in place first: keep theirs
            if not (path / "store.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    for old in root.iterdir():
        if old.is_dir() and old.name != path.name and not old.name.startswith("."):
            with contextlib.suppress(OSError):
                shutil.rmtree(old)
    return DayStore(path, time.perf_counter() - t)


def store_slices(con, store: DayStore, p, lo: date, hi: date) -> dict[str, str]:
    """The rules' tables for the days ``[lo, hi]`` from the store (temporary tables on ``con``).

    ``ev_tx`` holds every transaction of the days themselves (large flows) and the
    third-party transfers of the surge's look-back for the customers who made one on
    those days; ``ev_bal`` and ``ev_bal_drop`` are :func:`crmstudy.events.slices.make_slices`'s,
    read from the day-ordered balances; the gap rules read ``gaps`` directly.
    """
    end = hi + timedelta(days=1)
    back = lo - timedelta(days=p.surge_baseline + 14)
    tp = store.file("third_party")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev_tx AS
        SELECT {_TX} FROM {store.file("transactions")} WHERE ts >= {_ts(lo)} AND ts < {_ts(end)}
        UNION ALL
        SELECT {_TX} FROM {tp} WHERE ts >= {_ts(back)} AND ts < {_ts(lo)}
          AND customer_id IN (SELECT customer_id FROM {tp} WHERE ts >= {_ts(lo)} AND ts < {_ts(end)})"""
    )
    balance_slices(con, store.file("balances"), lo, end, p.drop_days, order="ORDER BY rn")
    return {
        "transactions": "ev_tx",
        "balances": "ev_bal",
        "drop_balances": "ev_bal_drop",
        "tier_balances": "balances",  # the tier review sums every customer: in the bank's own order, to the last bit
        "gaps": store.file("gaps"),
    }
