"""A branch in context: month by month, against its last report, and among the bank's branches.

:func:`monthly_lines` reads the month-end state of every branch from the balances and
transactions (DuckDB, one query): customers open, their assets, and how many were dormant.
:func:`branch_figures` gives every branch's headline numbers from the run's customer
features, so that one branch's report can say where it stands (:func:`ranks`) without
holding any other branch's customers.  :func:`previous_report` reads what the last
published report of the branch said (its ``findings.json`` and the ``latest`` manifest),
and :func:`changes` compares.

Privacy: everything here is a count or a sum per branch; no customer leaves its branch.
"""

from __future__ import annotations

import calendar
import json
import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ..bank import Bank
from ..feature_defs import DORMANT_DAYS
from ..period import Period

__all__ = ["HEADLINE_FIGURES", "branch_figures", "changes", "month_ends", "monthly_lines", "previous_report", "ranks"]

#: The headline figures a report ranks its branch on and compares with its last report.  Each is
#: ranked the most first (1st by dormant share is the most dormant), as the sentence says.
HEADLINE_FIGURES = ("total_ada", "customers", "dormant_share")


def month_ends(period: Period) -> list[date]:
    """Every calendar month's last day within ``period``, and the period's last day when it is not one.

    Examples
    --------
    >>> [d.isoformat() for d in month_ends(Period.of("2025-01-15", "2025-03-20"))]
    ['2025-01-31', '2025-02-28', '2025-03-20']
    """
    out, d = [], period.start
    while d <= period.end:
        last = date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
        out.append(min(last, period.end))
        d = last + timedelta(days=1)
    return out


def monthly_lines(data, period: Period, *, branch: str | None = None) -> pd.DataFrame:
    """Month-end customers, assets and dormancy of every branch (or of one), from balances and transactions.

    At each month end ``m`` (:func:`month_ends`):

    - ``customers``: opened by ``m`` and not closed by it (closing on ``m`` has left);
    - ``assets``: those customers' end-of-day balances on ``m``, each customer's total floored at 0
      (an overdraft holds nothing with the bank, as in the headline);
    - ``dormant``: of those customers, the ones a customer for :data:`DORMANT_DAYS` days or more with
      no transaction of their own (payroll credits do not count) in the :data:`DORMANT_DAYS` days
      up to ``m`` — the rule of :func:`crmstudy.feature_defs.customer_features`, read at ``m``.  A
      month end with fewer than :data:`DORMANT_DAYS` days of the period before it has no
      dormancy (NA): the look-back would reach before the data.  A bank without transactions
      has none at all.

    Returns
    -------
    pd.DataFrame
        ``branch_id``, ``month_end`` (date), ``customers``, ``assets``, ``dormant`` (nullable
        integer), ``dormant_share``; sorted by branch and month.
    """
    bank = Bank.of(data)
    ends = month_ends(period)
    where = "WHERE branch_id = $branch" if branch is not None else ""
    args = {"ends": ends, **({"branch": branch} if branch is not None else {})}
    with_tx = bank.available("transactions")
    args |= {"start": period.start, **({"end": period.end} if with_tx else {})}  # DuckDB refuses an unused one
    mine = "AND b.customer_id IN (SELECT customer_id FROM cust)" if branch else ""  # one branch's rows only
    # Two cheap passes instead of a per-customer range join (1M customers x 12 month ends x their
    # rows): balances join the dozen month ends on the interval, and transactions are first cut
    # to each customer's last activity per month, carried forward month to month.
    dormancy = (
        f"""
        , tx_month AS (  -- a customer's last own transaction in each month of the period
            SELECT customer_id, LEAST(LAST_DAY(CAST(ts AS DATE)), $end::DATE) AS m, MAX(ts) AS last_ts
            FROM transactions
            WHERE ts >= CAST($start::DATE AS TIMESTAMP) AND ts < CAST($end::DATE AS TIMESTAMP) + INTERVAL 1 DAY
              AND merchant_category != 'payroll_in' {mine.replace("b.", "")}
            GROUP BY ALL
        ),
        seen AS (  -- the last activity up to each month end
            SELECT o.m, o.customer_id,
                   MAX(t.last_ts) OVER (PARTITION BY o.customer_id ORDER BY o.m ROWS UNBOUNDED PRECEDING) AS last_ts
            FROM open_at o LEFT JOIN tx_month t ON t.customer_id = o.customer_id AND t.m = o.m
        )"""
        if with_tx
        else ""
    )
    cutoff = f"CAST(o.m AS TIMESTAMP) + INTERVAL 1 DAY - INTERVAL {DORMANT_DAYS} DAY"
    dormant = (
        f"""SUM(CASE WHEN (a.last_ts IS NULL OR a.last_ts <= {cutoff}) AND o.opened <= {cutoff}
                 THEN 1 ELSE 0 END)"""
        if with_tx
        else "NULL"
    )
    active_join = "LEFT JOIN seen a ON a.m = o.m AND a.customer_id = o.customer_id" if with_tx else ""
    query = f"""
        WITH months AS (SELECT UNNEST($ends::DATE[]) AS m),
        cust AS (
            SELECT customer_id, branch_id, CAST(open_date AS TIMESTAMP) AS opened,
                   CAST(close_date AS DATE) AS closed
            FROM customers {where}
        ),
        open_at AS (
            SELECT months.m, c.customer_id, c.branch_id, c.opened FROM months JOIN cust c
              ON (c.opened IS NULL OR CAST(c.opened AS DATE) <= months.m) AND (c.closed IS NULL OR c.closed > months.m)
        ),
        held AS (  -- each customer's end-of-day total on m (segments [valid_from, valid_to))
            SELECT months.m, b.customer_id, GREATEST(SUM(b.balance), 0) AS assets
            FROM balances b JOIN months
              ON b.valid_from <= CAST(months.m AS TIMESTAMP) AND b.valid_to > CAST(months.m AS TIMESTAMP)
            WHERE b.valid_to > CAST($start::DATE AS TIMESTAMP) {mine}
            GROUP BY ALL
        ) {dormancy}
        SELECT o.branch_id, o.m AS month_end, COUNT(*) AS customers,
               COALESCE(SUM(h.assets), 0) AS assets, {dormant} AS dormant
        FROM open_at o
        LEFT JOIN held h ON h.m = o.m AND h.customer_id = o.customer_id
        {active_join}
        GROUP BY ALL ORDER BY 1, 2
    """
    df = bank.sql(query, args)
    df["month_end"] = pd.to_datetime(df["month_end"]).dt.date
    df["customers"] = df["customers"].astype("int64")
    df["assets"] = df["assets"].astype("float64")
    enough = pd.Series([m >= period.start + timedelta(days=DORMANT_DAYS - 1) for m in df["month_end"]], df.index)
    df["dormant"] = df["dormant"].astype("Int64").where(enough & with_tx)
    df["dormant_share"] = (df["dormant"] / df["customers"]).astype("Float64")
    return df.reset_index(drop=True)


def branch_figures(features: pd.DataFrame, period: Period, *, dormancy_known: bool = True) -> pd.DataFrame:
    """Every branch's headline numbers (``customers``, ``total_ada``, ``dormant_share``) from the run's features.

    The same population rules as each branch's own headline (:func:`~.context.count_in_period`),
    applied to the whole bank at once; one row per branch, indexed by ``branch_id``.
    """
    from .context import count_in_period

    f, _ = count_in_period(features, period, dormancy_known=dormancy_known)
    f["dormant_known"] = f["dormant"].astype("boolean").astype("float64")  # NA (unknown) stays NaN
    g = f.groupby("branch_id", observed=True)
    out = pd.DataFrame({"customers": g.size(), "total_ada": g["ada"].sum(), "dormant_share": g["dormant_known"].mean()})
    return out.astype({"customers": "int64", "total_ada": "float64", "dormant_share": "float64"})


def ranks(figures: pd.DataFrame, branch: str) -> dict:
    """Where ``branch`` stands among the bank's branches on each headline figure: 1 is the most.

    Ties share the better rank (``min``); a figure unknown for the branch has no rank.

    Examples
    --------
    >>> fig = pd.DataFrame({"customers": [10, 30, 20], "total_ada": [5.0, 1.0, 5.0],
    ...                     "dormant_share": [0.1, 0.3, float("nan")]}, index=["A", "B", "C"])
    >>> ranks(fig, "C")
    {'of': 3, 'total_ada': 1, 'customers': 2, 'dormant_share': None}
    """
    out: dict = {"of": int(len(figures))}
    for name in HEADLINE_FIGURES:
        col = figures[name].astype("float64")
        value = col.get(branch, math.nan)
        out[name] = None if math.isnan(value) else int((col > value).sum() + 1)
    return out


def previous_report(latest, branch: str) -> dict:
    """What the branch's last published report said: its date, period and headline figures; ``{}`` when none.

    ``latest`` is the published snapshot (``OUT/latest``): its manifest gives the report's run
    and when it was made, its ``<branch>.findings.json`` the headline figures
    (``sections.headline.evidence``).  A report of a branch that failed last time is its last good
    one (the manifest keeps it, marked stale).  Unreadable or incomplete files give ``{}``.
    """
    if latest is None:
        return {}
    latest = Path(latest)
    try:
        manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
        entry = manifest["branches"][branch]
        doc = json.loads((latest / f"{branch}.findings.json").read_text(encoding="utf-8"))
        headline = doc["sections"]["headline"]["evidence"]
    except (OSError, KeyError, TypeError, ValueError):
        return {}
    if not entry.get("made_at"):
        return {}
    return {
        "run_id": entry.get("run_id"),
        "made_at": entry["made_at"],
        "period_start": doc.get("period_start"),
        "period_end": doc.get("period_end"),
        "headline": {k: headline.get(k) for k in HEADLINE_FIGURES},
    }


def changes(now: dict, before: dict) -> dict:
    """Each headline figure now, then, and the change (absolute; relative for amounts and counts).

    Examples
    --------
    >>> changes({"customers": 110, "total_ada": 2.0e6, "dormant_share": 0.25},
    ...         {"customers": 100, "total_ada": 2.0e6, "dormant_share": 0.20})["customers"]
    {'now': 110, 'before': 100, 'change': 10, 'relative': 0.1}
    """
    out = {}
    for name in HEADLINE_FIGURES:
        a, b = now.get(name), before.get(name)
        if (
            a is None
            or b is None
            or (isinstance(a, float) and math.isnan(a))
            or (isinstance(b, float) and math.isnan(b))
        ):
            out[name] = {"now": a, "before": b, "change": None, "relative": None}
            continue
        change = a - b
        relative = change / b if name != "dormant_share" and b else None
        out[name] = {"now": a, "before": b, "change": change, "relative": relative}
    return out
