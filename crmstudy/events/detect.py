"""Detection: the catalogue's rules run on the bank for a day, or for a range of days at once.

:func:`detect` returns one row per event with its kind, customer, branch,
owner on the day, detection time, priority and deadline.  An event of day D
is detected in the night after D closes: ``detected_at`` is the next midnight
and ``deadline`` 24 or 48 hours after that.  ``event_id`` is
``<day>:<kind>:<customer_id>``, so that a day detected twice gives the same ids.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..bank import Bank
from ..errors import DataError, ParamsError
from ..params import ReportParams
from ..runcache import bankwide
from .catalogue import KINDS, SQL_RULES, assets_sql, rule_sql
from .daystore import DayStore, open_store, store_slices
from .slices import make_slices

__all__ = ["COLUMNS", "detect", "detect_day"]

#: The columns of an event, in order.
COLUMNS = [
    "event_id",
    "day",
    "kind",
    "customer_id",
    "branch_id",
    "owner_staff_id",
    "owner_left",
    "detected_at",
    "deadline",
    "priority",
    "deadline_hours",
    "amount",
    "base",
    "assets",
    "detail",
]


def _columns(bank: Bank, table: str) -> set[str]:
    return {r[0] for r in bank.con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()}


def _rules(bank: Bank) -> list[str]:
    """The SQL rules the bank's tables support (maturity needs ``holdings.maturity_date``)."""
    has_maturity = "maturity_date" in _columns(bank, "holdings")
    return [r for r in SQL_RULES if r != "maturity" or has_maturity]


def detect(
    data,
    start: date | str,
    end: date | str | None = None,
    *,
    params: ReportParams | None = None,
    branch: str | None = None,
    sliced: bool = True,
    store=None,
) -> pd.DataFrame:
    """Every event detected on the days ``start`` to ``end`` (both included).

    Parameters
    ----------
    data : Bank or path
        The bank; its rules read nothing after ``end``.
    start, end : date or ISO string
        The detection days; ``end`` defaults to ``start`` (one day).
    params : ReportParams, optional
        ``events`` (the rules' knobs) and ``tiers`` (the bars of tier crossings).
    branch : str, optional
        Only this branch's customers.
    sliced : bool
        Read first the rows the rules can use for these days (:mod:`.slices`); ``False`` runs
        the rules on the whole tables (the same events, slower: the reference the slices are
        checked against).
    store : path or DayStore, optional
        Read from the bank's day-ordered copy under this folder (:mod:`.daystore`; built
        there first if absent, once per version of the bank's files): a day reads its own
        row groups only.  The same events as without it.

    Returns
    -------
    pd.DataFrame
        :data:`COLUMNS`, ranked: priority, then assets (largest first), then customer.

    Examples
    --------
    >>> ev = detect("data_synthetic/demo", "2025-06-30")  # doctest: +SKIP
    >>> ev[["kind", "customer_id", "deadline"]].head()  # doctest: +SKIP
    """
    bank = Bank.of(data)
    params = params or ReportParams()
    lo = pd.Timestamp(start).date()
    hi = pd.Timestamp(end).date() if end is not None else lo
    if hi < lo:
        raise ParamsError(f"events: 'end' ({hi}) must not be before 'start' ({lo})")
    first = bank.period.start
    p = params.events
    one = timedelta(days=1)
    scope = "WHERE branch_id = '{}'".format(str(branch).replace("'", "''")) if branch else ""
    # a cursor of its own: the slices are temporary tables of this detection
    if store is not None and not isinstance(store, DayStore):
        store = open_store(bank, store)
    con = bank.con.cursor()
    try:
        if store is not None:
            tables = store_slices(con, store, p, lo, hi)
        elif sliced:
            tables = make_slices(con, p, lo, hi)
        else:
            tables = {"transactions": "transactions", "balances": "balances"}
        rules = [rule_sql(r, p, lo, hi, start=first, tiers=params.tiers, tables=tables) for r in _rules(bank)]
        union = " UNION ALL ".join(f"({sql})" for sql in rules)
        sql = f"""
        WITH ev AS ({union}),
        a AS ({assets_sql("SELECT customer_id, day FROM ev", tables["balances"])}),
        c AS (SELECT customer_id, branch_id, owner_staff_id FROM customers {scope})
        SELECT ev.day, ev.kind, ev.customer_id, c.branch_id, c.owner_staff_id,
               s.leave_date IS NOT NULL AND CAST(s.leave_date AS DATE) <= ev.day AS owner_left,
               ev.amount, ev.base, COALESCE(a.assets, 0.0) AS assets, ev.detail
        FROM ev JOIN c ON c.customer_id = ev.customer_id
        LEFT JOIN a ON a.customer_id = ev.customer_id AND a.day = ev.day
        LEFT JOIN staff s ON s.staff_id = c.owner_staff_id
        WHERE NOT (ev.kind = 'owner_left' AND COALESCE(a.assets, 0.0) < {p.owner_left_min})
        """
        df = con.execute(sql).df()
    except Exception as err:  # duckdb's errors name the table or column; one line for the user
        raise DataError(f"{bank.root}: event detection failed: {str(err).splitlines()[0]}") from err
    finally:
        con.close()
    df = _with_churn_risk(bank, df, lo, hi, params, branch)
    return _finish(df, lo - one)


def detect_day(data, day: date | str, *, params: ReportParams | None = None) -> pd.DataFrame:
    """The events of one day (:func:`detect` with ``start = end = day``)."""
    return detect(data, day, day, params=params)


@bankwide(maxsize=8)  # once per run, shared by every branch's process (crmstudy.runcache)
def _churn_model_passes(root: str, fingerprint: str) -> bool:
    """Whether the lifecycle churn model beats the naive baseline out of time on this bank (paired CI above 0)."""
    from ..lifecycle.churn import evaluate

    try:
        m = evaluate(root, n_boot=100).metrics.set_index("metric")
    except Exception:
        return False
    return bool(m.loc["auc_gain", "low"] > 0)


def _with_churn_risk(bank, df, lo, hi, params, branch) -> pd.DataFrame:
    """Churn-risk jumps (``events.churn_risk``), only where the lifecycle model passed its out-of-time check.

    On a null bank the model cannot beat the baseline, so no churn-risk event is raised there.
    """
    p = params.events
    if not p.churn_risk:
        return df
    try:
        from ..lifecycle.churn import score
    except ImportError:
        return df
    if not _churn_model_passes(str(bank.root), bank.fingerprint):
        return df
    cache: dict = {}

    def scores(day):
        if day not in cache:
            s = score(bank, day)
            cache[day] = s.set_index("customer_id")["p_churn_90d"]
        return cache[day]

    rows = []
    day = lo
    while day <= hi:
        both = pd.DataFrame({"now": scores(day), "before": scores(day - timedelta(days=7))}).dropna()
        jump = both[(both["now"] >= p.churn_min) & (both["now"] - both["before"] >= p.churn_jump)]
        if len(jump):
            rows.append(
                pd.DataFrame(
                    {
                        "day": pd.Timestamp(day),
                        "kind": "churn_risk",
                        "customer_id": jump.index.astype(str),
                        "amount": jump["now"].to_numpy(),
                        "base": jump["before"].to_numpy(),
                    }
                )
            )
        day += timedelta(days=1)
    if not rows:
        return df
    extra = pd.concat(rows, ignore_index=True)
    cust = bank.sql("SELECT customer_id, branch_id, owner_staff_id FROM customers")
    extra = extra.merge(cust, on="customer_id")
    if branch:
        extra = extra[extra["branch_id"] == branch]
    extra["owner_left"] = False
    extra["assets"] = 0.0
    extra["detail"] = None
    return pd.concat([df, extra[df.columns]], ignore_index=True)


def _finish(df: pd.DataFrame, _before: date) -> pd.DataFrame:
    df = df.copy()
    df["day"] = pd.to_datetime(df["day"]).astype("datetime64[ms]")
    df["priority"] = df["kind"].map({k: v.priority for k, v in KINDS.items()}).astype("int16")
    df["deadline_hours"] = df["kind"].map({k: v.deadline_hours for k, v in KINDS.items()}).astype("int16")
    df["detected_at"] = df["day"] + pd.Timedelta(days=1)
    df["deadline"] = df["detected_at"] + pd.to_timedelta(df["deadline_hours"].astype("int64"), unit="h")
    df["event_id"] = df["day"].dt.strftime("%Y-%m-%d") + ":" + df["kind"] + ":" + df["customer_id"].astype(str)
    df["owner_left"] = df["owner_left"].fillna(False).astype(bool)
    for c in ("amount", "base", "assets"):
        df[c] = df[c].astype("float64")
    df["detail"] = df["detail"].astype("string")
    # one event per day, kind and customer (two products maturing the same day): the first product id
    df = df.sort_values(["event_id", "detail"], na_position="last", kind="stable").drop_duplicates("event_id")
    df = df.sort_values(["day", "priority", "assets", "customer_id", "kind"], ascending=[True, True, False, True, True])
    return df[COLUMNS].reset_index(drop=True)
