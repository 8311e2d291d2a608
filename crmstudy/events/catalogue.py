"""The event catalogue: every customer event the bank watches for, one rule each (source 004).

Source 004's third stage of a CRM system detects changes in a customer's
behaviour as *events* and tells the member of staff who must act within 24 to
48 hours.  Each rule below is a SQL query over the bank's tables that returns
the events *detected on the days* ``[lo, hi]``; it reads nothing after ``hi``,
so a day's detection sees only what was known by that day's close, and the
events of a range are exactly the union of the events of its days (tested).

A rule fires on the **first** day its condition holds (a balance that stays
low is one event, not thirty).  Its knobs are fields of
:class:`crmstudy.params.EventParams` (``events:`` in ``params/defaults.yaml``):

==================== ================================================================== ======== ========
kind                 fires on day D when                                                priority deadline
==================== ================================================================== ======== ========
large_outflow        the day's outflow >= ``large_min`` and >= ``large_share`` x the     1        24 h
                     assets at the close of D-1
large_inflow         the same for inflows (payroll credits aside): money to place        3        48 h
balance_drop         assets fell by ``drop_share`` or more below their highest total of   1        24 h
                     the ``drop_days`` before, from at least ``drop_min``
salary_stop          no payroll credit for ``salary_gap`` days after at least            1        24 h
                     ``salary_history`` credits in the 100 days before the last
maturity             a holding's ``maturity_date`` is ``maturity_days`` away (only when  2        48 h
                     ``holdings`` has that column)
owner_left           the customer's owner leaves the bank that day, for customers with   2        24 h
                     at least ``owner_left_min`` in assets (source 001: an RM who leaves
                     takes customers)
third_party_surge    the week's transfers to payment apps are >= ``surge_ratio`` x the   2        48 h
                     customer's weekly rate over the ``surge_baseline`` days before, and
                     >= ``surge_min`` (source 003: third-party apps draw deposits away)
dormancy_onset       the ``dormant_days``-th day without customer activity (source 001)  3        48 h
tier_up / tier_down  at a month's last day, the tier of the trailing ``tier_window``-day  3 / 2    48 h
                     average assets differs from the month before (the bars of
                     ``tiers:``), to or from ``tier_min`` or above
churn_risk           the churn score of ``crmstudy.lifecycle.churn`` rose ``churn_jump``  1        24 h
                     in a week to at least ``churn_min``; only with ``churn_risk: true``
                     and where that model beats the baseline out of time (paired CI)
==================== ================================================================== ======== ========

Every rule returns ``customer_id``, ``day`` (DATE), ``kind``, ``amount`` (the
money involved, CNY, or NULL), ``base`` (what it was compared with) and
``detail`` (a product or a tier change, or NULL).  The SQL is plain ANSI with
window functions, so it runs on DuckDB (the bank's connection) and ports to
Spark SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..params import EventParams, TierParams

__all__ = ["KINDS", "Kind", "rule_sql"]


@dataclass(frozen=True)
class Kind:
    """One kind of event: its priority (1 first), deadline in hours and the rule that finds it."""

    name: str
    priority: int
    deadline_hours: int
    rule: str
    #: the offer an RM brings to this kind of event (a message key suffix in events.offer.*)
    offer: str


#: Every kind of event, in the order the catalogue documents them.
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("large_outflow", 1, 24, "large_flow", "retain"),
        Kind("large_inflow", 3, 48, "large_flow", "wealth"),
        Kind("balance_drop", 1, 24, "balance_drop", "retain"),
        Kind("salary_stop", 1, 24, "salary_stop", "payroll"),
        Kind("maturity", 2, 48, "maturity", "reinvest"),
        Kind("owner_left", 2, 24, "owner_left", "introduce"),
        Kind("third_party_surge", 2, 48, "third_party_surge", "digital"),
        Kind("dormancy_onset", 3, 48, "dormancy_onset", "wake_up"),
        Kind("tier_up", 3, 48, "tier_cross", "upgrade"),
        Kind("tier_down", 2, 48, "tier_cross", "retain"),
        Kind("churn_risk", 1, 24, "churn_risk", "retain"),
    )
}


def _d(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _ts(day: date) -> str:
    return f"TIMESTAMP '{day.isoformat()}'"


def assets_sql(pairs: str, bal: str = "balances") -> str:
    """End-of-day total assets of each (``customer_id``, ``day``) of the query ``pairs``, from the table ``bal``.

    A pair without a balance segment on its day has no row (zero assets).  An
    equality join on the customer, then the segment that holds the day.
    """
    return f"""
    SELECT q.customer_id, q.day, SUM(b.balance) AS assets
    FROM (SELECT DISTINCT customer_id, day FROM ({pairs})) q
    JOIN {bal} b ON b.customer_id = q.customer_id
     AND CAST(b.valid_from AS DATE) <= q.day AND CAST(b.valid_to AS DATE) > q.day
    GROUP BY q.customer_id, q.day"""


def levels_sql(lo: date, hi: date, bal: str = "balances") -> str:
    """Each customer's total assets as a step function: a row per day the total changes (``day``, ``level``).

    Built from the segments that overlap ``[lo, hi]``: +balance where a segment
    starts, -balance where it ends, summed up in day order.
    """
    return f"""
    SELECT customer_id, day, SUM(delta) OVER (PARTITION BY customer_id ORDER BY day
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level
    FROM (
      SELECT customer_id, day, SUM(delta) AS delta FROM (
        SELECT customer_id, CAST(valid_from AS DATE) AS day, balance AS delta FROM {bal}
        WHERE valid_to > {_ts(lo)} AND valid_from <= {_ts(hi)}
        UNION ALL
        SELECT customer_id, CAST(valid_to AS DATE) AS day, -balance AS delta FROM {bal}
        WHERE valid_to > {_ts(lo)} AND valid_from <= {_ts(hi)}
      ) GROUP BY customer_id, day
    )"""


def days_sql(lo: date, hi: date) -> str:
    """The days ``lo .. hi`` as a one-column query ``day``."""
    return f"SELECT CAST(range AS DATE) AS day FROM range({_ts(lo)}, {_ts(hi + timedelta(days=1))}, INTERVAL 1 DAY)"


def _large_flow(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    # payroll credits are the bank's own routine, not a decision of the customer's; the assets of
    # the day before must be known, so the data's first day has no large flow
    lo = max(lo, start + timedelta(days=1))
    if lo > hi:
        return _empty()
    return f"""
    WITH flow AS (
      SELECT customer_id, CAST(ts AS DATE) AS day, direction, SUM(amount) AS amount
      FROM {src["transactions"]}
      WHERE ts >= {_ts(lo)} AND ts < {_ts(hi + timedelta(days=1))} AND merchant_category <> 'payroll_in'
      GROUP BY customer_id, CAST(ts AS DATE), direction
      HAVING SUM(amount) >= {p.large_min}
    ), prev AS ({assets_sql("SELECT customer_id, day - 1 AS day FROM flow", src["balances"])})
    SELECT f.customer_id, f.day,
           CASE f.direction WHEN 'in' THEN 'large_inflow' ELSE 'large_outflow' END AS kind,
           f.amount, COALESCE(p.assets, 0.0) AS base, CAST(NULL AS VARCHAR) AS detail
    FROM flow f LEFT JOIN prev p ON p.customer_id = f.customer_id AND p.day = f.day - 1
    WHERE f.amount >= {p.large_share} * COALESCE(p.assets, 0.0)"""


def _balance_drop(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    # the condition "assets <= (1 - drop_share) x the highest total of the drop_days before" can only
    # switch on on a day the total falls, so it is evaluated on the days the total changes; ``was``
    # is the same condition on the day before, so that a drop is one event, on its first day
    d = p.drop_days
    keep = 1 - p.drop_share

    def peak(first: int, last: int) -> str:
        # the highest total over [day - first, day - last]: the levels that start inside, and the one in force
        return f"""GREATEST(
          COALESCE(MAX(level) OVER (PARTITION BY customer_id ORDER BY day
                   RANGE BETWEEN INTERVAL {first - 1} DAYS PRECEDING AND INTERVAL {last} DAYS PRECEDING), 0),
          COALESCE(LAST_VALUE(level) OVER (PARTITION BY customer_id ORDER BY day
                   RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL {first} DAYS PRECEDING), 0))"""

    return f"""
    WITH lv AS ({levels_sql(lo - timedelta(days=d + 2), hi, src["drop_balances"])}),
    w AS (
      SELECT customer_id, day, level,
             LAG(level) OVER (PARTITION BY customer_id ORDER BY day) AS prev_level,
             {peak(d, 1)} AS peak, {peak(d + 1, 2)} AS peak_before
      FROM lv
    )
    SELECT customer_id, day, 'balance_drop' AS kind, peak - level AS amount, peak AS base,
           CAST(NULL AS VARCHAR) AS detail
    FROM w
    WHERE day BETWEEN {_d(lo)} AND {_d(hi)} AND peak >= {p.drop_min} AND level <= {keep} * peak
      AND NOT (peak_before >= {p.drop_min} AND COALESCE(prev_level, 0) <= {keep} * peak_before)"""


def _gap_rule(kind: str, where: str, gap: int, min_before: int, lo: date, hi: date, tx: str) -> str:
    """Day ``gap`` after the last of a run of transactions matching ``where``, when none followed by then.

    ``base`` is the number of days with such a transaction in the 100 days up to the last one,
    counted for the hits only (a range-frame count over every customer-day is the slow way).
    """
    return f"""
    WITH x AS (
      SELECT customer_id, CAST(ts AS DATE) AS day, MAX(amount) AS amount FROM {tx}
      WHERE {where} AND ts >= {_ts(lo - timedelta(days=gap + 101))} AND ts < {_ts(hi + timedelta(days=1))}
      GROUP BY customer_id, CAST(ts AS DATE)
    ), seq AS (
      SELECT customer_id, day, amount, LEAD(day) OVER (PARTITION BY customer_id ORDER BY day) AS next_day
      FROM x
    ), hit AS (
      SELECT customer_id, day, amount FROM seq
      WHERE day + {gap} BETWEEN {_d(lo)} AND {_d(hi)} AND (next_day IS NULL OR next_day > day + {gap})
    ), n AS (
      SELECT h.customer_id, h.day, h.amount, COUNT(*) AS n_recent
      FROM hit h JOIN x ON x.customer_id = h.customer_id AND x.day BETWEEN h.day - 100 AND h.day
      GROUP BY h.customer_id, h.day, h.amount
    )
    SELECT customer_id, day + {gap} AS day, '{kind}' AS kind, amount, CAST(n_recent AS DOUBLE) AS base,
           CAST(NULL AS VARCHAR) AS detail
    FROM n WHERE n_recent >= {min_before}"""


def _stored_gap_rule(kind: str, rule: str, gap: int, min_before: int, lo: date, hi: date, gaps: str) -> str:
    """:func:`_gap_rule` read from a day store's ``gaps`` (:mod:`crmstudy.events.daystore`): one day's rows.

    The store holds, per customer-day, the day's largest amount, the next like day and the count of
    like days in the 100 days up to it, so the look-back is already summed.
    """
    return f"""
    SELECT customer_id, day + {gap} AS day, '{kind}' AS kind, amount, CAST(n_recent AS DOUBLE) AS base,
           CAST(NULL AS VARCHAR) AS detail
    FROM {gaps}
    WHERE rule = '{rule}' AND day BETWEEN {_d(lo - timedelta(days=gap))} AND {_d(hi - timedelta(days=gap))}
      AND (next_day IS NULL OR next_day > day + {gap}) AND n_recent >= {min_before}"""


def _salary_stop(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    if "gaps" in src:
        return _stored_gap_rule("salary_stop", "salary", p.salary_gap, p.salary_history, lo, hi, src["gaps"])
    return _gap_rule(
        "salary_stop", "merchant_category = 'payroll_in'", p.salary_gap, p.salary_history, lo, hi, src["transactions"]
    )


def _dormancy_onset(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    # a salary arriving is not business the customer does (as features.last_active_ts)
    if "gaps" in src:
        return _stored_gap_rule("dormancy_onset", "dormancy", p.dormant_days, 1, lo, hi, src["gaps"])
    return _gap_rule(
        "dormancy_onset", "merchant_category <> 'payroll_in'", p.dormant_days, 1, lo, hi, src["transactions"]
    )


def _maturity(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    k = p.maturity_days
    return f"""
    SELECT customer_id, CAST(maturity_date AS DATE) - {k} AS day, 'maturity' AS kind,
           CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS DOUBLE) AS base, product_id AS detail
    FROM holdings
    WHERE maturity_date IS NOT NULL
      AND CAST(maturity_date AS DATE) - {k} BETWEEN {_d(lo)} AND {_d(hi)}
      AND CAST(open_date AS DATE) <= CAST(maturity_date AS DATE) - {k}
      AND (close_date IS NULL OR CAST(close_date AS DATE) > CAST(maturity_date AS DATE) - {k})"""


def _owner_left(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    # the assets floor is applied with every event's assets, in detect
    return f"""
    SELECT c.customer_id, CAST(s.leave_date AS DATE) AS day, 'owner_left' AS kind,
           CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS DOUBLE) AS base, s.staff_id AS detail
    FROM staff s JOIN customers c ON c.owner_staff_id = s.staff_id
    WHERE s.leave_date >= {_ts(lo)} AND s.leave_date < {_ts(hi + timedelta(days=1))}"""


def _third_party_surge(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    b = p.surge_baseline
    # evaluated on days with a transfer; a week needs its whole baseline inside the data
    first = max(lo, start + timedelta(days=b + 7))
    if first > hi:
        return _empty()
    return f"""
    WITH tp AS (
      SELECT customer_id, CAST(ts AS DATE) AS day, SUM(amount) AS amount FROM {src["transactions"]}
      WHERE merchant_category = 'third_party_transfer' AND direction = 'out'
        AND ts >= {_ts(first - timedelta(days=b + 14))} AND ts < {_ts(hi + timedelta(days=1))}
      GROUP BY customer_id, CAST(ts AS DATE)
    ), w AS (
      SELECT customer_id, day,
             SUM(amount) OVER (PARTITION BY customer_id ORDER BY day
                               RANGE BETWEEN INTERVAL 6 DAYS PRECEDING AND CURRENT ROW) AS week,
             COALESCE(SUM(amount) OVER (PARTITION BY customer_id ORDER BY day
                      RANGE BETWEEN INTERVAL {b + 6} DAYS PRECEDING AND INTERVAL 7 DAYS PRECEDING), 0.0)
               * 7.0 / {b} AS rate
      FROM tp
    ), c AS (
      SELECT *, week >= {p.surge_min} AND week >= {p.surge_ratio} * rate AS hit FROM w
    ), f AS (
      SELECT *, LAG(hit) OVER (PARTITION BY customer_id ORDER BY day) AS prev_hit,
                LAG(day) OVER (PARTITION BY customer_id ORDER BY day) AS prev_day
      FROM c
    )
    SELECT customer_id, day, 'third_party_surge' AS kind, week AS amount, rate AS base,
           CAST(NULL AS VARCHAR) AS detail
    FROM f
    WHERE hit AND day BETWEEN {_d(first)} AND {_d(hi)} AND NOT (COALESCE(prev_hit, FALSE) AND prev_day > day - 7)"""


def _month_ends(lo: date, hi: date) -> list[date]:
    ends, d = [], date(lo.year, lo.month, 1)
    while d <= hi:
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        if lo <= nxt - timedelta(days=1) <= hi:
            ends.append(nxt - timedelta(days=1))
        d = nxt
    return ends


def _tier_cross(p: EventParams, lo: date, hi: date, start: date, tiers: TierParams, src: dict) -> str:
    # the tier review of each month's last day: the trailing tier_window-day average against the one
    # of the month before (both windows inside the data), as branches re-tier customers monthly
    w = p.tier_window
    ends = [e for e in _month_ends(lo, hi) if date(e.year, e.month, 1) - timedelta(days=w) >= start]
    if not ends:
        return _empty()
    pairs = ", ".join(f"({_d(e)}, {_d(date(e.year, e.month, 1) - timedelta(days=1))})" for e in ends)
    bars = [("key", tiers.key), ("sub_key", tiers.sub_key), ("general", tiers.general), ("potential", tiers.potential)]
    case = " ".join(f"WHEN avg >= {v} THEN {k}" for k, (_, v) in enumerate(bars))
    names = " ".join(f"WHEN {k} THEN '{n}'" for k, (n, _) in enumerate([*bars, ("mass", 0)]))
    return f"""
    WITH r AS (SELECT * FROM (VALUES {pairs}) r(day, before)),
    d AS (SELECT day FROM r UNION SELECT before FROM r),
    b AS (SELECT customer_id, CAST(valid_from AS DATE) AS vf, CAST(valid_to AS DATE) AS vt, balance
          FROM {src["tier_balances"]} WHERE valid_to > {_ts(min(ends) - timedelta(days=w + 31))}
                          AND valid_from <= {_ts(max(ends))}),
    avg AS (
      SELECT b.customer_id, d.day,
             SUM(b.balance * DATE_DIFF('day', GREATEST(b.vf, d.day - {w - 1}), LEAST(b.vt, d.day + 1))) / {w} AS avg
      FROM b JOIN d ON b.vf <= d.day AND b.vt > d.day - {w - 1}
      GROUP BY b.customer_id, d.day
    ), t AS (SELECT customer_id, day, CASE {case} ELSE 4 END AS tier, avg FROM avg),
    k AS (SELECT DISTINCT r.day, r.before, t.customer_id FROM r JOIN t ON t.day = r.day OR t.day = r.before),
    pairs AS (
      SELECT k.customer_id, k.day, COALESCE(n.tier, 4) AS now, COALESCE(y.tier, 4) AS was,
             COALESCE(n.avg, 0.0) AS amount, COALESCE(y.avg, 0.0) AS base
      FROM k LEFT JOIN t n ON n.customer_id = k.customer_id AND n.day = k.day
      LEFT JOIN t y ON y.customer_id = k.customer_id AND y.day = k.before
    )
    SELECT customer_id, day, CASE WHEN now < was THEN 'tier_up' ELSE 'tier_down' END AS kind, amount, base,
           (CASE was {names} END) || '>' || (CASE now {names} END) AS detail
    FROM pairs WHERE now <> was AND LEAST(now, was) <= {[n for n, _ in bars].index(p.tier_min)}"""


def _empty() -> str:
    return (
        "SELECT CAST(NULL AS VARCHAR) AS customer_id, CAST(NULL AS DATE) AS day, CAST(NULL AS VARCHAR) AS kind,"
        " CAST(NULL AS DOUBLE) AS amount, CAST(NULL AS DOUBLE) AS base, CAST(NULL AS VARCHAR) AS detail WHERE FALSE"
    )


_RULES = {
    "large_flow": _large_flow,
    "balance_drop": _balance_drop,
    "salary_stop": _salary_stop,
    "maturity": _maturity,
    "owner_left": _owner_left,
    "third_party_surge": _third_party_surge,
    "dormancy_onset": _dormancy_onset,
    "tier_cross": _tier_cross,
}


def rule_sql(
    rule: str,
    params: EventParams,
    lo: date,
    hi: date,
    *,
    start: date,
    tiers: TierParams | None = None,
    tables: dict[str, str] | None = None,
) -> str:
    """The SQL of one rule for the detection days ``[lo, hi]``; ``start`` is the first day of the data.

    ``tables`` names the tables the rule reads in place of ``transactions`` and
    ``balances`` (:func:`crmstudy.events.detect.detect` passes slices of them
    holding every row the rules can use for those days), and ``gaps``, a day
    store's summed look-back that the salary-stop and dormancy rules then read
    instead of ``transactions`` (:mod:`crmstudy.events.daystore`).

    Examples
    --------
    >>> from datetime import date
    >>> sql = rule_sql("owner_left", EventParams(), date(2025, 3, 1), date(2025, 3, 1), start=date(2025, 1, 1))
    >>> "leave_date" in sql
    True
    """
    src = {"transactions": "transactions", "balances": "balances", **(tables or {})}
    src.setdefault("drop_balances", src["balances"])
    src.setdefault("tier_balances", "balances")
    return _RULES[rule](params, lo, hi, start, tiers or TierParams(), src)


#: The rules written as SQL here (churn_risk comes from the lifecycle model, in detect).
SQL_RULES = tuple(_RULES)
