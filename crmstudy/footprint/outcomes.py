"""What happens in the window after the signals, and what customers declared.

The value and risk outcomes; the declared attributes are the baseline the footprints are
judged against.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..features import Period, customer_assets
from ..tiers import TierThresholds, assign_tiers
from ._bank import _columns, _connection, _is_in, _ts

#: Product lines counted as wealth products for the value outcome (source 002: wealth
#: products, precious metals; insurance is sold by wealth managers).
WEALTH_LINES = ("wealth", "insurance", "precious_metals")
#: The declared attributes of the baseline.
DECLARED = ("age", "gender", "occupation", "income_band")


def value_outcome(data, signal_window: Period, outcome_window: Period, *,
                  thresholds: TierThresholds = TierThresholds()) -> pd.DataFrame:
    """Whether the customer moved up a tier, or took up a wealth product, in the outcome window.

    The population is customers opened before the signal window (so that every one has a
    whole window of traces) who still hold assets on its last day.  The outcome is 1 when
    the tier of the outcome window (by its average daily assets, :func:`crmstudy.tiers.assign_tiers`)
    is above the tier of the signal window, or when a product of :data:`WEALTH_LINES` was
    opened in the outcome window.

    *Keeping* a high tier is deliberately not an outcome: it is predicted by today's assets
    alone, so it would credit the footprints with what the balance sheet already says.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``tier`` (of the signal window), ``tier_up``, ``wealth_take_up`` and
        ``y`` (int 0/1).
    """
    con = _connection(data)
    before = customer_assets(con, signal_window)
    after = customer_assets(con, outcome_window)
    t0 = before.assign(tier=assign_tiers(before, thresholds))
    t1 = after.assign(tier1=assign_tiers(after, thresholds))
    opened = con.execute(
        """SELECT c.customer_id FROM customers c
            WHERE c.open_date < CAST($start AS TIMESTAMP)""", {"start": _ts(signal_window.start)}).df()
    wealth = con.execute(
        f"""SELECT DISTINCT h.customer_id FROM holdings h JOIN products p USING (product_id)
            WHERE p.product_line IN ({', '.join(f"'{w}'" for w in WEALTH_LINES)})
              AND h.open_date >= CAST($start AS TIMESTAMP) AND h.open_date < CAST($end_excl AS TIMESTAMP)""",
        {"start": _ts(outcome_window.start), "end_excl": _ts(outcome_window.end_exclusive)}).df()
    df = (opened.merge(t0.loc[t0["end_assets"] > 0, ["customer_id", "tier"]], on="customer_id")
                .merge(t1[["customer_id", "tier1"]], on="customer_id", how="left"))
    rank0 = df["tier"].cat.codes.to_numpy()
    rank1 = pd.Categorical(df["tier1"], categories=df["tier"].cat.categories, ordered=True).codes
    df["tier_up"] = (rank1 >= 0) & (rank1 < rank0)  # codes: 0 = the highest tier; -1 = no assets
    df["wealth_take_up"] = _is_in(df["customer_id"], wealth["customer_id"])
    df["y"] = (df["tier_up"] | df["wealth_take_up"]).astype("int64")
    return df[["customer_id", "tier", "tier_up", "wealth_take_up", "y"]].sort_values("customer_id", ignore_index=True)


def risk_outcome(data, outcome_window: Period, *, opened_before: date | None = None) -> pd.DataFrame:
    """Whether a borrower's credit first became delinquent in the outcome window.

    The population is customers holding a credit product (``products.kind = 'credit'``) open
    on the window's first day, with no delinquency before it, and opened as customers before
    ``opened_before`` (the signal window's start, so that every one has a whole window of
    traces).  ``y`` is 1 when any of their credit holdings has a ``delinquent_date`` inside
    the window.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``n_credit`` (credit products held) and ``y`` (int 0/1).
    """
    con = _connection(data)
    p = {"start": _ts(outcome_window.start), "end_excl": _ts(outcome_window.end_exclusive),
         "opened": _ts(opened_before or outcome_window.start)}
    df = con.execute("""
        WITH credit AS (
            SELECT h.* FROM holdings h JOIN products p USING (product_id) WHERE p.kind = 'credit'
        ), bad_before AS (
            SELECT DISTINCT customer_id FROM holdings WHERE delinquent_date < CAST($start AS TIMESTAMP)
        ), active AS (
            SELECT customer_id, COUNT(*) AS n_credit FROM credit
            WHERE open_date < CAST($start AS TIMESTAMP)
              AND (close_date IS NULL OR close_date >= CAST($start AS TIMESTAMP))
            GROUP BY customer_id
        ), bad AS (
            SELECT DISTINCT customer_id FROM credit
            WHERE delinquent_date >= CAST($start AS TIMESTAMP) AND delinquent_date < CAST($end_excl AS TIMESTAMP)
        )
        SELECT a.customer_id, a.n_credit, CASE WHEN bad.customer_id IS NULL THEN 0 ELSE 1 END AS y
        FROM active a JOIN customers c USING (customer_id) LEFT JOIN bad USING (customer_id)
        WHERE c.open_date < CAST($opened AS TIMESTAMP)
          AND a.customer_id NOT IN (SELECT customer_id FROM bad_before)
        ORDER BY a.customer_id""", p).df()
    df["y"] = df["y"].astype("int64")
    return df


def declared_attributes(data) -> pd.DataFrame:
    """What the customer declared: ``customer_id`` plus :data:`DECLARED` (those that exist)."""
    con = _connection(data)
    have = _columns(con).get("customers", set())
    cols = [c for c in DECLARED if c in have]
    df = con.execute(f"SELECT {', '.join(['customer_id'] + cols)} FROM customers ORDER BY customer_id").df()
    if "age" in df:
        df["age"] = df["age"].astype("float64")
    for c in cols:
        if c != "age":
            df[c] = df[c].astype(object)
    return df
