"""What happens in the window after the signals, and what customers declared.

The value and risk outcomes; the declared attributes are the baseline the footprints are
judged against.  What they read is written once as Ibis expressions over the bank's tables
(:func:`value_outcome_table`, :func:`risk_outcome_table`), run on the bank's DuckDB
connection by default or on Spark given ``feature_defs.backend("spark", bank)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..feature_defs import _bounds, customer_assets, engine_of
from ..features import Period
from ..tiers import TierThresholds, assign_tiers
from ._bank import _ts

#: Product lines counted as wealth products for the value outcome (source 002: wealth
#: products, precious metals; insurance is sold by wealth managers).
WEALTH_LINES = ("wealth", "insurance", "precious_metals")
#: The declared attributes of the baseline.
DECLARED = ("age", "gender", "occupation", "income_band")


def value_outcome_table(tables: Mapping[str, ir.Table], signal_window: Period, outcome_window: Period) -> ir.Table:
    """The value outcome's population and what it needs, as one Ibis expression (see :func:`value_outcome`).

    Returns
    -------
    ibis.Table
        One row per customer opened before the signal window with assets on its last day:
        ``customer_id``, ``ada`` and ``peak_assets`` of the signal window, ``ada_after`` and
        ``peak_after`` of the outcome window (null without a balance in it) and
        ``wealth_take_up`` (a product of :data:`WEALTH_LINES` opened in the outcome window).
    """
    start, _ = _bounds(signal_window)
    out_start, out_end = _bounds(outcome_window)
    cust = tables["customers"]
    before = customer_assets(tables, signal_window)
    after = customer_assets(tables, outcome_window)
    h, p = tables["holdings"], tables["products"]
    wealth = h.filter(
        h.product_id.isin(p.filter(p.product_line.isin(WEALTH_LINES)).product_id),
        h.open_date >= out_start,
        h.open_date < out_end,
    )
    out = (
        cust.filter(cust.open_date < start)
        .select("customer_id")
        .join(before.filter(before.end_assets > 0).select("customer_id", "ada", "peak_assets"), "customer_id")
        .left_join(after.select("customer_id", ada_after="ada", peak_after="peak_assets"), "customer_id")
        .drop("customer_id_right")
    )
    return out.mutate(wealth_take_up=out.customer_id.isin(wealth.customer_id))


def value_outcome(
    data, signal_window: Period, outcome_window: Period, *, thresholds: TierThresholds = TierThresholds()
) -> pd.DataFrame:
    """Whether the customer moved up a tier, or took up a wealth product, in the outcome window.

    The population is customers opened before the signal window (so that every one has a
    whole window of traces) who still hold assets on its last day.  The outcome is 1 when
    the tier of the outcome window (by its average daily assets, :func:`crmstudy.tiers.assign_tiers`)
    is above the tier of the signal window, or when a product of :data:`WEALTH_LINES` was
    opened in the outcome window.

    *Keeping* a high tier is deliberately not an outcome: it is predicted by today's assets
    alone, so it would credit the footprints with what the balance sheet already says.

    Parameters
    ----------
    data : Bank, BankFiles, path, duckdb connection or Engine
        The bank (run on its one DuckDB connection), or the engine to run
        :func:`value_outcome_table` on (:func:`crmstudy.feature_defs.engine_of`).

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``tier`` (of the signal window), ``tier_up``, ``wealth_take_up`` and
        ``y`` (int 0/1).
    """
    eng = engine_of(data)
    df = eng.to_pandas(value_outcome_table(eng.tables, signal_window, outcome_window))
    df["tier"] = assign_tiers(df, thresholds)
    rank0 = df["tier"].cat.codes.to_numpy()
    # codes: 0 = the highest tier; -1 = no assets in the outcome window
    rank1 = np.where(
        df["ada_after"].notna(), assign_tiers(df, thresholds, ada="ada_after", peak="peak_after").cat.codes, -1
    )
    df["tier_up"] = (rank1 >= 0) & (rank1 < rank0)
    df["wealth_take_up"] = df["wealth_take_up"].astype(bool)
    df["y"] = (df["tier_up"] | df["wealth_take_up"]).astype("int64")
    return df[["customer_id", "tier", "tier_up", "wealth_take_up", "y"]]


def risk_outcome_table(
    tables: Mapping[str, ir.Table], outcome_window: Period, *, opened_before: date | None = None
) -> ir.Table:
    """The risk outcome as one Ibis expression (see :func:`risk_outcome`): ``customer_id``, ``n_credit``, ``y``."""
    start, end = _bounds(outcome_window)
    opened = ibis.timestamp(_ts(opened_before or outcome_window.start))
    h, p, cust = tables["holdings"], tables["products"], tables["customers"]
    credit = h.filter(h.product_id.isin(p.filter(p.kind == "credit").product_id))
    held = credit.filter(credit.open_date < start, credit.close_date.isnull() | (credit.close_date >= start))
    active = held.group_by("customer_id").aggregate(n_credit=held.count())
    bad_before = h.filter(h.delinquent_date < start).customer_id
    bad = credit.filter(credit.delinquent_date >= start, credit.delinquent_date < end).customer_id
    active = active.filter(
        active.customer_id.isin(cust.filter(cust.open_date < opened).customer_id), ~active.customer_id.isin(bad_before)
    )
    return active.mutate(y=active.customer_id.isin(bad).cast("int64"))


def risk_outcome(data, outcome_window: Period, *, opened_before: date | None = None) -> pd.DataFrame:
    """Whether a borrower's credit first became delinquent in the outcome window.

    The population is customers holding a credit product (``products.kind = 'credit'``) open
    on the window's first day, with no delinquency before it, and opened as customers before
    ``opened_before`` (the signal window's start, so that every one has a whole window of
    traces).  ``y`` is 1 when any of their credit holdings has a ``delinquent_date`` inside
    the window.

    Parameters
    ----------
    data : Bank, BankFiles, path, duckdb connection or Engine
        The bank, or the engine to run :func:`risk_outcome_table` on.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``n_credit`` (credit products held) and ``y`` (int 0/1).
    """
    eng = engine_of(data)
    df = eng.to_pandas(risk_outcome_table(eng.tables, outcome_window, opened_before=opened_before))
    return df.astype({"n_credit": "int64", "y": "int64"})


def declared_attributes(data) -> pd.DataFrame:
    """What the customer declared: ``customer_id`` plus :data:`DECLARED` (those that exist)."""
    eng = engine_of(data)
    cust = eng.tables["customers"]
    cols = [c for c in DECLARED if c in cust.columns]
    df = eng.to_pandas(cust.select("customer_id", *cols))
    if "age" in df:
        df["age"] = df["age"].astype("float64")
    for c in cols:
        if c != "age":
            df[c] = df[c].astype(object)
    return df
