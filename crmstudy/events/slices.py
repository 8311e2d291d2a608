"""The rows of ``transactions`` and ``balances`` that the catalogue's rules can use for some detection days.

A day's detection on a large bank is mostly reading: the rules look back up
to ``dormant_days + 101`` days of transactions.  But a rule can only fire for
a customer on day E when something of that customer's happened on a day
fixed by E, so the long look-back is needed for few customers:

- a salary stop (dormancy onset) on E needs the last payroll credit (the
  last activity) on E - ``salary_gap`` (E - ``dormant_days``);
- a third-party surge on E needs a transfer to a payment app on E;
- a balance drop on E needs the total to change on E: a balance segment
  starts or ends on E;
- a large flow reads only the days themselves.

:func:`make_slices` reads the bank once for these *candidates* and once for
their history (two scans of ``transactions``, one of ``balances``), into
temporary tables of the same columns, so the rules run unchanged on a few
rows rather than the whole bank.  The result is the same events as on the
whole tables (a row subset holding every row a rule can use; checked on the
demo bank's whole year in ``benchmarks/run_events.py`` and by the tests).
"""

from __future__ import annotations

from datetime import date, timedelta

from ..params import EventParams

__all__ = ["drop_slices", "lookback_days", "make_slices"]

#: The columns of ``transactions`` the rules read.
_TX = "customer_id, ts, direction, merchant_category, amount"


def _ts(day: date) -> str:
    return f"TIMESTAMP '{day.isoformat()}'"


def lookback_days(p: EventParams) -> int:
    """How many days before the first detection day the transaction rules read (the catalogue's windows)."""
    return max(p.salary_gap + 101, p.dormant_days + 101, p.surge_baseline + 14)


def make_slices(con, p: EventParams, lo: date, hi: date) -> dict[str, str]:
    """Create the temporary tables ``ev_tx``, ``ev_bal`` and ``ev_bal_drop`` on ``con``; return the rules' table names.

    ``con`` should be a cursor of its own (temporary tables belong to it).
    """
    end = hi + timedelta(days=1)
    sg, dd = p.salary_gap, p.dormant_days
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev_cand AS
        SELECT DISTINCT customer_id FROM transactions
        WHERE (merchant_category = 'third_party_transfer' AND direction = 'out'
               AND ts >= {_ts(lo)} AND ts < {_ts(end)})
           OR (merchant_category = 'payroll_in'
               AND ts >= {_ts(lo - timedelta(days=sg))} AND ts < {_ts(end - timedelta(days=sg))})
           OR (merchant_category <> 'payroll_in'
               AND ts >= {_ts(lo - timedelta(days=dd))} AND ts < {_ts(end - timedelta(days=dd))})"""
    )
    # the candidates' whole look-back, and every customer's rows of the days themselves (large flows)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev_tx AS
        SELECT {_TX} FROM transactions
        WHERE ts >= {_ts(lo - timedelta(days=lookback_days(p)))} AND ts < {_ts(end)}
          AND (ts >= {_ts(lo)} OR customer_id IN (SELECT customer_id FROM ev_cand))"""
    )
    # segments in force on some day of [lo - drop_days - 2, hi]: the drops' look-back and the events' assets
    balance_slices(con, "balances", lo, end, p.drop_days)
    return {"transactions": "ev_tx", "balances": "ev_bal", "drop_balances": "ev_bal_drop"}


def balance_slices(con, source: str, lo, end, drop_days: int, *, order: str = "") -> None:
    """``ev_bal`` (segments of ``source`` in force on a day of the look-back to ``end``) and ``ev_bal_drop``.

    ``ev_bal_drop`` holds the segments of the customers whose balance changed in ``[lo, end)``: the only
    customers a balance drop can fire for.  ``order`` (e.g. ``"ORDER BY rn"``) keeps a store's row order.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev_bal AS
        SELECT customer_id, valid_from, valid_to, balance FROM {source}
        WHERE valid_to > {_ts(lo - timedelta(days=drop_days + 3))} AND valid_from < {_ts(end)}
        {order}"""
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE ev_bal_drop AS
        SELECT * FROM ev_bal WHERE customer_id IN (
          SELECT customer_id FROM ev_bal
          WHERE (valid_from >= {_ts(lo)} AND valid_from < {_ts(end)})
             OR (valid_to >= {_ts(lo)} AND valid_to < {_ts(end)}))"""
    )


def drop_slices(con) -> None:
    """Drop the temporary tables of :func:`make_slices`."""
    for t in ("ev_cand", "ev_tx", "ev_bal", "ev_bal_drop"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
