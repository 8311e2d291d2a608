"""Footprint thinking (足迹思维, seed 002): value and risk scores from behavioural traces.

The articles claim that what a customer *does* — what they spend on, where,
how often, how much, what an RM noted after a visit — reveals value and risk
better than what they *declare*.  This module turns traces into two
bank-standard scorecards and measures the claim out of time:

1. **Signals** (:data:`SIGNALS`, :func:`compute_signals`): one documented
   registry; each signal is a DuckDB aggregate over the bank's files inside a
   window of days, so a signal can never see past the window's end.  A signal
   whose table or column a user's data lacks is skipped with a
   :class:`SignalSkipped` warning.
2. **Outcomes** (:func:`value_outcome`, :func:`risk_outcome`): what happens in
   the window *after* the signals.
3. **Scorecards** (:class:`WoEBinner`, :func:`information_value`,
   :class:`Scorecard`): weight-of-evidence bins that are monotonic,
   Information Value per signal, a statsmodels logistic regression on the
   WoE values, points (base points at base odds, points to double the odds)
   and each customer's top reasons.
4. **Validation** (:func:`validate`, :func:`out_of_time`): AUC, KS, Brier
   score and calibration by decile, each with an interval; fitted on earlier
   months and tested on later ones, against a baseline fitted on the declared
   attributes (age, gender, occupation, income band) in the same run.
5. **Scoring** (:func:`score_customers`): the deployed scorecards, for reports.

Why the binning is written here rather than taken from optbinning: it needs
ortools and a solver for what is, at this size, a few lines of
pool-adjacent-violators and adjacent-bin merging; and the merging rule is the
part the null-bank test depends on (see :class:`WoEBinner`), so it should be
readable in one screen.

docs/footprint_signals.md is the registry as a table; docs/generative_model.md
says what the synthetic bank plants.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from .errors import DataError, ParamsError
from .features import Period, connect, customer_assets, default_period
from .schema import BankFiles, find_bank
from .tiers import TierThresholds, assign_tiers

__all__ = [
    "Signal", "SIGNALS", "SignalSkipped", "signal_registry", "registry_markdown", "compute_signals",
    "TooFewEvents", "value_outcome", "risk_outcome", "declared_attributes", "DECLARED", "WEALTH_LINES",
    "WoEBinner", "information_value", "Scorecard", "points_of_odds",
    "Metric", "Validation", "auc", "ks", "brier", "calibration_table", "validate",
    "active_customers", "Design", "default_design", "OutOfTime", "out_of_time", "FootprintScores", "score_customers",
    "customer_footprint",
]

# --------------------------------------------------------------------------------------------
# 1. Signals


class SignalSkipped(UserWarning):
    """A signal could not be computed because the data lacks a table or column it needs."""


class TooFewEvents(DataError):
    """Too few events (delinquencies, moves up) in a window to fit a scorecard worth using."""


@dataclass(frozen=True)
class Signal:
    """One behavioural trace, computed per customer over a window of days.

    Attributes
    ----------
    name : str
        Column name in :func:`compute_signals` output.
    label : str
        Reader-facing name, used in reasons ("premium fuel share").
    definition : str
        What is measured, in one sentence.
    unit : str
        Unit of the value.
    direction : str
        What the articles expect: which way the signal moves value or risk.
    table : str
        The table it reads.
    columns : tuple of str
        Columns of ``table`` it needs (besides ``customer_id``).
    planted : str
        What the synthetic bank plants (docs/generative_model.md): ``value``,
        ``risk``, ``irrelevant`` or a note.
    source : str
        Which query computes it (``transactions``, ``inflows``, ``visits``, ``customers``).
    sql : str
        The aggregate expression over the source's rows inside the window.
    fill : float or None
        Value for a customer with no rows in the window (0 for counts; None
        leaves it missing, e.g. a share with no denominator).
    fmt : str
        Format of a value in a reason (``{:.0%}``).
    """

    name: str
    label: str
    definition: str
    unit: str
    direction: str
    table: str
    columns: tuple[str, ...]
    planted: str
    source: str
    sql: str
    fill: float | None = None
    fmt: str = "{:.2f}"

    def describe(self, value) -> str:
        """``premium fuel share 75%``; ``premium fuel share: none recorded`` when missing."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.label}: none recorded"
        return f"{self.label} {self.fmt.format(value)}"


_OUT = "direction = 'out'"
_OWN = "merchant_category <> 'payroll_in'"  # a salary credit is not the customer's own activity


def _share(category: str) -> str:
    return (f"COUNT(*) FILTER (WHERE merchant_category = '{category}') * 1.0 "
            f"/ NULLIF(COUNT(*) FILTER (WHERE {_OUT}), 0)")


def _count_share(name, label, category, definition, direction, planted) -> Signal:
    return Signal(name, label, definition, "share of outgoing transactions", direction, "transactions",
                  ("ts", "direction", "merchant_category"), planted, "transactions", _share(category), None, "{:.0%}")


_TX = ("ts", "direction", "merchant_category")

#: The signal registry (docs/footprint_signals.md is generated from it).
SIGNALS: tuple[Signal, ...] = (
    Signal("premium_fuel_share", "premium fuel share",
           "Share of fuel fills of grade 95 or higher (seed 002: '100 L of 97-octane says good car').",
           "share of fuel fills", "higher → more value", "transactions", _TX + ("fuel_grade",),
           "value (P(premium) = σ(−1.4 + 1.3·v))", "transactions",
           "COUNT(*) FILTER (WHERE merchant_category = 'fuel' AND fuel_grade >= 95) * 1.0 "
           "/ NULLIF(COUNT(*) FILTER (WHERE merchant_category = 'fuel' AND fuel_grade IS NOT NULL), 0)",
           None, "{:.0%}"),
    Signal("litres_per_fill", "litres per fuel fill", "Mean litres per fuel fill.",
           "litres", "higher → more value", "transactions", _TX + ("fuel_litres",),
           "value (35 + 15·v litres)", "transactions",
           "AVG(fuel_litres) FILTER (WHERE merchant_category = 'fuel')", None, "{:.0f} L"),
    Signal("rail_trips", "rail trips", "Rail tickets bought per month (seed 000: rail-ticket trips).",
           "trips per month", "higher → more value", "transactions", _TX, "value (slope 0.5)", "transactions",
           "COUNT(*) FILTER (WHERE merchant_category = 'rail_travel') / $months", 0.0, "{:.1f} a month"),
    Signal("air_trips", "air trips", "Air tickets bought per month.",
           "trips per month", "higher → more value", "transactions", _TX, "value (slope 0.9)", "transactions",
           "COUNT(*) FILTER (WHERE merchant_category = 'air_travel') / $months", 0.0, "{:.1f} a month"),
    _count_share("dining_share", "dining share", "dining",
                 "Share of outgoing transactions spent on dining (seed 000: card dining).",
                 "higher → more value", "value (slope 0.35)"),
    _count_share("luxury_share", "luxury share", "luxury",
                 "Share of outgoing transactions spent on luxury goods.", "higher → more value", "value (slope 1.0)"),
    _count_share("education_share", "education share", "education",
                 "Share of outgoing transactions spent on education.", "higher → more value",
                 "value (weak, slope 0.2)"),
    _count_share("medical_share", "medical share", "medical",
                 "Share of outgoing transactions spent on medical care.", "ambiguous (need or means)",
                 "irrelevant"),
    _count_share("supermarket_share", "supermarket share", "supermarket",
                 "Share of outgoing transactions at supermarkets.", "none expected (everyday spending)",
                 "irrelevant"),
    _count_share("utilities_share", "utilities share", "utilities",
                 "Share of outgoing transactions paying utilities.", "none expected (everyday spending)",
                 "irrelevant"),
    _count_share("cash_share", "cash withdrawals", "cash_withdrawal",
                 "Share of outgoing transactions that are cash withdrawals.", "higher → more risk",
                 "risk (slope 0.35; value −0.2)"),
    _count_share("internet_lender_share", "internet-lender repayments", "internet_lender",
                 "Share of outgoing transactions that repay an internet lender.", "higher → more risk",
                 "risk (slope 1.0)"),
    Signal("third_party_out_share", "outflow to payment apps",
           "Share of outgoing CNY sent to third-party payment apps (seed 001/003: the largest outflow).",
           "share of outgoing CNY", "higher → less loyalty, money leaving", "transactions", _TX + ("amount",),
           "churn pull only (not value or risk)", "transactions",
           "SUM(amount) FILTER (WHERE merchant_category = 'third_party_transfer') "
           f"/ NULLIF(SUM(amount) FILTER (WHERE {_OUT}), 0)", None, "{:.0%}"),
    Signal("mobile_share", "mobile-banking use",
           "Share of the customer's own transactions made in the mobile app.",
           "share of own transactions", "higher → more engaged", "transactions", _TX + ("channel",),
           "none directly (age and category mix)", "transactions",
           f"COUNT(*) FILTER (WHERE channel = 'mobile_app' AND {_OWN}) * 1.0 "
           f"/ NULLIF(COUNT(*) FILTER (WHERE {_OWN}), 0)", None, "{:.0%}"),
    Signal("txn_count", "transactions", "The customer's own transactions per month (payroll credits excluded).",
           "transactions per month", "higher → more value", "transactions", _TX,
           "value (activity e^(0.12·v)); dormant customers have none", "transactions",
           f"COUNT(*) FILTER (WHERE {_OWN}) / $months", 0.0, "{:.1f} a month"),
    Signal("txn_variety", "spending variety", "Distinct merchant categories among the customer's own transactions.",
           "categories", "higher → more value", "transactions", _TX, "value (via category mix)", "transactions",
           f"COUNT(DISTINCT merchant_category) FILTER (WHERE {_OWN})", 0.0, "{:.0f} categories"),
    Signal("txn_frequency", "active weeks", "Share of the window's weeks with at least one own transaction.",
           "share of weeks", "higher → more value", "transactions", _TX, "value (via activity)", "transactions",
           f"COUNT(DISTINCT date_trunc('week', ts)) FILTER (WHERE {_OWN}) / $weeks", 0.0, "{:.0%}"),
    Signal("txn_amount", "typical payment", "Median amount of outgoing transactions.",
           "CNY", "higher → more value", "transactions", _TX + ("amount",), "value (via wealth^0.25)",
           "transactions", f"MEDIAN(amount) FILTER (WHERE {_OUT})", None, "{:,.0f} CNY"),
    Signal("payroll_regularity", "payroll regularity",
           "Share of the window's months with a payroll credit, for customers paid through the bank.",
           "share of months", "lower → more risk (irregular income)", "transactions", _TX,
           "risk (missed months σ(−3.5 + r))", "transactions",
           "NULLIF(COUNT(DISTINCT date_trunc('month', ts)) FILTER (WHERE merchant_category = 'payroll_in'), 0) "
           "* 1.0 / $n_months", None, "{:.0%}"),
    Signal("income_trend", "income trend",
           "Slope of monthly inflows over the window, as a share of their mean per month.",
           "share of mean inflow per month", "rising → more value, falling → more risk", "transactions",
           ("ts", "direction", "amount"), "none planted", "inflows", "income_trend", None, "{:+.0%} a month"),
    Signal("visit_positive_share", "positive RM contacts",
           "Share of RM contacts after which the RM noted a positive attitude (seed 000: the visit log).",
           "share of contacts", "higher → more value", "visits", ("visit_date", "attitude"),
           "value (P(positive) = σ(0.7·v − 1.2·churned))", "visits",
           "AVG(CASE WHEN attitude = 'positive' THEN 1.0 ELSE 0.0 END)", None, "{:.0%}"),
    Signal("visit_sold_share", "RM contacts that sold",
           "Share of RM contacts whose outcome was a product sold.",
           "share of contacts", "higher → more value", "visits", ("visit_date", "outcome"),
           "value (P(sold) = σ(−1.8 + 0.8·v))", "visits",
           "AVG(CASE WHEN outcome = 'product_sold' THEN 1.0 ELSE 0.0 END)", None, "{:.0%}"),
    Signal("external_credit_lines", "internet-lender credit lines",
           "Credit lines granted by internet lenders, from the credit bureau (seed 002: an adjustment "
           "dimension of a credit rating); one snapshot, taken as known before the outcome window.",
           "lines", "higher → more risk", "customers", ("external_credit_lines",),
           "risk (Poisson e^(−0.7 + 0.6·r))", "customers",
           "CAST(external_credit_lines AS DOUBLE)", None, "{:.0f} lines"),
)
_BY_NAME = {s.name: s for s in SIGNALS}

_SOURCES = {
    "transactions": """
        SELECT customer_id, {exprs}
        FROM transactions
        WHERE ts >= CAST($start AS TIMESTAMP) AND ts < CAST($end_excl AS TIMESTAMP) {scope}
        GROUP BY customer_id""",
    "inflows": """
        WITH m AS (
            SELECT customer_id, date_diff('month', CAST($start AS TIMESTAMP), ts) AS k, SUM(amount) AS inflow
            FROM transactions
            WHERE direction = 'in' AND ts >= CAST($start AS TIMESTAMP) AND ts < CAST($end_excl AS TIMESTAMP) {scope}
            GROUP BY ALL
        ), g AS (
            SELECT c.customer_id, r.k, COALESCE(m.inflow, 0) AS inflow
            FROM (SELECT DISTINCT customer_id FROM m) c CROSS JOIN range(0, $n_months) r(k)
            LEFT JOIN m ON m.customer_id = c.customer_id AND m.k = r.k
        )
        SELECT customer_id, regr_slope(inflow, k) / NULLIF(AVG(inflow), 0) AS income_trend
        FROM g GROUP BY customer_id""",
    "visits": """
        SELECT customer_id, {exprs}
        FROM visits
        WHERE visit_date >= CAST($start AS TIMESTAMP) AND visit_date < CAST($end_excl AS TIMESTAMP) {scope}
        GROUP BY customer_id""",
    "customers": """
        SELECT customer_id, {exprs} FROM customers WHERE TRUE {scope}""",
}


def signal_registry() -> pd.DataFrame:
    """The registry as a table: name, definition, unit, direction, table, columns, planted."""
    return pd.DataFrame([{"signal": s.name, "definition": s.definition, "unit": s.unit, "direction": s.direction,
                          "table": s.table, "columns": ", ".join(s.columns), "planted": s.planted}
                         for s in SIGNALS])


def registry_markdown() -> str:
    """The registry as a markdown table (the body of docs/footprint_signals.md)."""
    lines = ["| signal | definition | unit | direction (articles) | table | columns | planted in the synthetic bank |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in SIGNALS:
        cols = ", ".join(f"`{c}`" for c in s.columns)
        lines.append(f"| `{s.name}` | {s.definition} | {s.unit} | {s.direction} | `{s.table}` | {cols} | {s.planted} |")
    return "\n".join(lines) + "\n"


def _connection(data) -> duckdb.DuckDBPyConnection:
    return data if isinstance(data, duckdb.DuckDBPyConnection) else connect(data)


def _columns(con) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def _window_params(window: Period) -> dict:
    months = window.days / (365.25 / 12)
    n_months = (window.end.year - window.start.year) * 12 + window.end.month - window.start.month + 1
    return {"start": datetime.combine(window.start, datetime.min.time()),
            "end_excl": datetime.combine(window.end_exclusive, datetime.min.time()),
            "months": months, "weeks": window.days / 7.0, "n_months": n_months}


def _available(con, names) -> list[Signal]:
    have = _columns(con)
    if "customers" not in have:
        raise DataError("footprint: the bank has no 'customers' table")
    keep = []
    for name in names:
        s = _BY_NAME[name]
        if s.table not in have:
            warnings.warn(f"footprint: signal '{s.name}' skipped: the data has no '{s.table}' table",
                          SignalSkipped, stacklevel=3)
            continue
        missing = [c for c in (("customer_id",) + s.columns) if c not in have[s.table]]
        if missing:
            warnings.warn(f"footprint: signal '{s.name}' skipped: table '{s.table}' has no column(s) "
                          f"{', '.join(missing)}", SignalSkipped, stacklevel=3)
            continue
        keep.append(s)
    return keep


def compute_signals(data, window: Period, *, branch: str | None = None,
                    signals: list[str] | None = None) -> pd.DataFrame:
    """Every signal of every customer over a window of days.

    Parameters
    ----------
    data : path, BankFiles or duckdb connection
        A bank folder, or a connection with one view per table (:func:`crmstudy.features.connect`).
    window : Period
        The days the signals may read (whole months read best: ``payroll_regularity`` and
        ``income_trend`` count calendar months).  Nothing after ``window.end`` is read.
    branch : str, optional
        Keep only this branch's customers.
    signals : list of str, optional
        Names from :data:`SIGNALS`; all by default.

    Returns
    -------
    pd.DataFrame
        ``customer_id`` and one float column per signal that the data allows, one row per
        customer of the ``customers`` table.  Missing means "no trace to measure" (no fuel
        fills, no visits).

    Warns
    -----
    SignalSkipped
        For each signal whose table or column the data lacks.
    """
    names = list(signals) if signals is not None else [s.name for s in SIGNALS]
    unknown = [n for n in names if n not in _BY_NAME]
    if unknown:
        raise ParamsError(f"footprint: unknown signal(s) {', '.join(unknown)}; valid: {', '.join(_BY_NAME)}")
    con = _connection(data)
    chosen = _available(con, names)
    params = _window_params(window)
    scope = ("AND customer_id IN (SELECT customer_id FROM customers WHERE branch_id = $branch)"
             if branch is not None else "")
    base_sql = "SELECT customer_id FROM customers" + (" WHERE branch_id = $branch" if branch is not None else "")
    out = con.execute(base_sql, {"branch": branch} if branch is not None else {}).df()
    for source, template in _SOURCES.items():
        group = [s for s in chosen if s.source == source]
        if not group:
            continue
        exprs = ", ".join(f"{s.sql} AS {s.name}" for s in group)
        sql = template.replace("{exprs}", exprs).replace("{scope}", scope)
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        if branch is not None:
            used["branch"] = branch
        part = con.execute(sql, used).df()
        out = out.merge(part, on="customer_id", how="left")
    for s in chosen:
        out[s.name] = pd.to_numeric(out[s.name], errors="coerce").astype("float64")
        if s.fill is not None:
            out[s.name] = out[s.name].fillna(s.fill)
    return out[["customer_id"] + [s.name for s in chosen]].sort_values("customer_id", ignore_index=True)


# --------------------------------------------------------------------------------------------
# 2. Outcomes

#: Product lines counted as wealth products for the value outcome (seed 002: wealth
#: products, precious metals; insurance is sold by wealth managers).
WEALTH_LINES = ("wealth", "insurance", "precious_metals")
#: The declared attributes of the baseline.
DECLARED = ("age", "gender", "occupation", "income_band")


def _ts(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time())


def value_outcome(data, signal_window: Period, outcome_window: Period, *,
                  thresholds: TierThresholds = TierThresholds()) -> pd.DataFrame:
    """Did the customer move up a tier, or take up a wealth product, in the outcome window?

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
        f"""SELECT c.customer_id FROM customers c
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
    """Did a borrower's credit first become delinquent in the outcome window?

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


# --------------------------------------------------------------------------------------------
# 3. Weight of evidence, Information Value, scorecard


def _merge_p(n1, e1, n2, e2) -> np.ndarray:
    """p-value of the 2x2 chi-square test (no continuity correction) that two bins share a rate."""
    n1, e1, n2, e2 = (np.asarray(a, dtype=float) for a in (n1, e1, n2, e2))
    pooled = (e1 + e2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = np.where(var > 0, (e1 / n1 - e2 / n2) ** 2 / var, 0.0)
    return stats.chi2.sf(z2, 1)


class WoEBinner:
    """Monotonic weight-of-evidence bins of one signal against a binary outcome.

    Parameters
    ----------
    max_bins : int
        Most bins for the non-missing values.
    min_bin_share : float
        Smallest share of all rows a bin may hold; smaller bins merge into a neighbour.
    alpha : float
        Adjacent bins whose event rates a chi-square test cannot tell apart at this level
        are merged.  This is what keeps the Information Value of a signal that carries no
        information near zero: IV is biased upwards by about (bins − 1)·(1/events +
        1/non-events), and a split that is not significant is most of that bias.
    prebins : int
        Quantile bins to start from (numeric signals).
    missing : {'separate', 'neutral'}
        ``'separate'`` (the textbook rule): missing values form their own bin when it is
        large enough and its event rate differs, else they join the bin with the closest
        rate.  ``'neutral'``: missing values carry no evidence (WoE 0) and the bins and IV
        are learned on the rows that have a value.

    Attributes
    ----------
    kind_ : {'numeric', 'categorical'}
    direction_ : int
        +1 when the event rate rises with the value, −1 when it falls (categorical: +1, the
        categories are ordered by event rate).
    cuts_ : np.ndarray
        Upper edges of the numeric bins but the last (a value ``x`` falls in the first bin
        whose edge is ``>= x``).
    categories_ : dict
        Category → bin (categorical).
    table_ : pd.DataFrame
        One row per bin: ``bin``, ``label``, ``n``, ``events``, ``event_rate``, ``woe``, ``iv``.
    woe_ : np.ndarray
        WoE of each non-missing bin, in order.
    missing_woe_ : float
        WoE given to a missing value: its own bin's, or the bin it was merged into, or 0
        when no missing value was seen or ``missing='neutral'``.
    iv_ : float
        Information Value: sum over bins of (share of events − share of non-events) × WoE.

    Notes
    -----
    WoE of a bin is ln(share of all events in the bin / share of all non-events in the bin):
    positive means the event is more likely there.  Bins with no event or no non-event are
    merged away, so no smoothing is needed and the closed form holds exactly.
    """

    def __init__(self, *, max_bins: int = 5, min_bin_share: float = 0.05, alpha: float = 0.05,
                 prebins: int = 20, missing: Literal["separate", "neutral"] = "separate"):
        if missing not in ("separate", "neutral"):
            raise ParamsError(f"binning: 'missing' must be 'separate' or 'neutral', got {missing!r}")
        if max_bins < 1 or prebins < 1:
            raise ParamsError(f"binning: 'max_bins' and 'prebins' must be at least 1, got {max_bins}, {prebins}")
        if not 0 <= min_bin_share < 0.5:
            raise ParamsError(f"binning: 'min_bin_share' must be in [0, 0.5), got {min_bin_share}")
        if not 0 < alpha <= 1:
            raise ParamsError(f"binning: 'alpha' must be in (0, 1], got {alpha}")
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.alpha = alpha
        self.prebins = prebins
        self.missing = missing

    # -- fit ------------------------------------------------------------------------------
    def fit(self, x: pd.Series, y) -> "WoEBinner":
        """Learn the bins of ``x`` (numeric or categorical) against ``y`` (0/1)."""
        x = pd.Series(x).reset_index(drop=True)
        y = _as_binary(y, "WoEBinner.fit")
        if len(x) != len(y):
            raise DataError(f"WoEBinner.fit: x has {len(x)} rows but y has {len(y)}")
        self.kind_ = "numeric" if (pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x)) else "categorical"
        if y.sum() in (0, len(y)):
            raise DataError("WoEBinner.fit: the outcome has a single class; WoE needs events and non-events")
        missing = x.isna().to_numpy()
        self.n_missing_, self.missing_events_ = int(missing.sum()), int(y[missing].sum())
        self.total_ = (len(y), int(y.sum()))
        self.min_count_ = max(int(math.ceil(self.min_bin_share * len(y))), 1)
        if self.missing == "neutral":
            x, y, missing = x[~missing].reset_index(drop=True), y[~missing], np.zeros((~missing).sum(), dtype=bool)
        self.n_, self.events_ = len(y), int(y.sum())
        if self.events_ in (0, self.n_):  # no value, or values seen with one outcome only: no evidence
            self.direction_ = 1
            self._finish([{"n": float(self.n_), "e": float(self.events_), "upper": np.inf,
                           "cats": sorted(set(x.dropna().astype(str)))}], 0, 0)
            return self
        if self.kind_ == "numeric":
            blocks = self._numeric_blocks(x.to_numpy(dtype="float64", na_value=np.nan)[~missing], y[~missing])
        else:
            blocks = self._categorical_blocks(x[~missing].astype(str).to_numpy(), y[~missing])
        blocks = self._merge(blocks)
        self._finish(blocks, int(missing.sum()), int(y[missing].sum()))
        return self

    def _numeric_blocks(self, xv, yv) -> list[dict]:
        if len(xv) == 0:
            self.direction_ = 1
            return []
        cuts = np.unique(np.quantile(xv, np.linspace(0, 1, self.prebins + 1)[1:-1]))
        idx = np.searchsorted(cuts, xv, side="left")
        k = len(cuts) + 1
        n = np.bincount(idx, minlength=k).astype(float)
        e = np.bincount(idx, weights=yv, minlength=k)
        upper = np.append(cuts, np.inf)
        keep = n > 0
        blocks = [{"n": a, "e": b, "upper": u} for a, b, u in zip(n[keep], e[keep], upper[keep])]
        rho = stats.spearmanr(xv, yv).statistic if len(np.unique(xv)) > 1 and 0 < yv.sum() < len(yv) else 0.0
        self.direction_ = -1 if rho < 0 else 1
        return self._pav(blocks, self.direction_)

    def _categorical_blocks(self, xv, yv) -> list[dict]:
        self.direction_ = 1
        if len(xv) == 0:
            return []
        df = pd.DataFrame({"x": xv, "y": yv}).groupby("x")["y"].agg(["size", "sum"])
        df["rate"] = df["sum"] / df["size"]
        df = df.sort_values(["rate", "size"], kind="stable")
        return [{"n": float(r["size"]), "e": float(r["sum"]), "cats": [c]} for c, r in df.iterrows()]

    @staticmethod
    def _pav(blocks: list[dict], direction: int) -> list[dict]:
        """Pool adjacent violators: merge neighbours until event rates are monotonic."""
        out: list[dict] = []
        for b in blocks:
            out.append(dict(b))
            while len(out) > 1 and direction * (out[-1]["e"] / out[-1]["n"] - out[-2]["e"] / out[-2]["n"]) <= 0:
                last = out.pop()
                out[-1] = _join(out[-1], last)
        return out

    def _merge(self, blocks: list[dict]) -> list[dict]:
        """Merge small or pure bins, then bins a chi-square test cannot tell apart."""
        while len(blocks) > 1:
            bad = [i for i, b in enumerate(blocks)
                   if b["n"] < self.min_count_ or b["e"] == 0 or b["e"] == b["n"]]
            if not bad:
                break
            i = min(bad, key=lambda j: blocks[j]["n"])
            j = self._closest_neighbour(blocks, i)
            lo, hi = min(i, j), max(i, j)
            blocks[lo:hi + 1] = [_join(blocks[lo], blocks[hi])]
        while len(blocks) > 1:
            n = np.array([b["n"] for b in blocks])
            e = np.array([b["e"] for b in blocks])
            p = _merge_p(n[:-1], e[:-1], n[1:], e[1:])
            i = int(np.argmax(p))
            if p[i] <= self.alpha and len(blocks) <= self.max_bins:
                break
            blocks[i:i + 2] = [_join(blocks[i], blocks[i + 1])]
        return blocks

    @staticmethod
    def _closest_neighbour(blocks, i) -> int:
        rate = lambda b: b["e"] / b["n"]  # noqa: E731
        if i == 0:
            return 1
        if i == len(blocks) - 1:
            return i - 1
        left, right = abs(rate(blocks[i - 1]) - rate(blocks[i])), abs(rate(blocks[i + 1]) - rate(blocks[i]))
        return i - 1 if left <= right else i + 1

    def _finish(self, blocks: list[dict], n_miss: int, e_miss: int) -> None:
        E, N = self.events_, self.n_ - self.events_
        self.missing_bin_ = None
        own_missing = False
        if n_miss:
            rates = [b["e"] / b["n"] for b in blocks]
            n_rest = sum(b["n"] for b in blocks)
            e_rest = sum(b["e"] for b in blocks)
            differs = (not blocks) or _merge_p(n_miss, e_miss, n_rest, e_rest) <= self.alpha
            pure = e_miss in (0, n_miss)
            if blocks and (n_miss < self.min_count_ or pure or not differs):
                j = int(np.argmin([abs(r - e_miss / n_miss) for r in rates]))
                merged = [dict(b) for b in blocks]
                merged[j] = {**_join(merged[j], {"n": n_miss, "e": e_miss}), **{k: v for k, v in blocks[j].items()
                                                                              if k in ("upper", "cats")}}
                r = [b["e"] / b["n"] for b in merged]
                if all(self.direction_ * (b - a) > 0 for a, b in zip(r, r[1:])) or len(r) == 1:
                    blocks, self.missing_bin_ = merged, j
                else:
                    own_missing = True
            else:
                own_missing = not pure or not blocks
        n = np.array([b["n"] for b in blocks], dtype=float)
        e = np.array([b["e"] for b in blocks], dtype=float)
        if own_missing:
            n, e = np.append(n, n_miss), np.append(e, e_miss)
        with np.errstate(divide="ignore", invalid="ignore"):
            woe = np.log((e / E) / ((n - e) / N))
        # a bin without events or non-events survives only when there is nothing to merge into
        woe = np.where(np.isfinite(woe), woe, 0.0)
        # IV over all rows: with missing='neutral' the rows without a value sit at WoE 0 and add
        # nothing, so a signal seen for few customers counts for little
        E_all, N_all = self.total_[1], self.total_[0] - self.total_[1]
        iv = (e / E_all - (n - e) / N_all) * woe
        labels = self._labels(blocks)
        if own_missing:
            labels.append("missing")
        if self.missing == "neutral" and self.n_missing_:
            n, e = np.append(n, self.n_missing_), np.append(e, self.missing_events_)
            woe, iv = np.append(woe, 0.0), np.append(iv, 0.0)
            labels.append("missing (no evidence)")
        self.woe_ = woe[:len(blocks)].copy()
        self.missing_woe_ = float(woe[-1]) if own_missing else (
            float(woe[self.missing_bin_]) if self.missing_bin_ is not None else 0.0)
        if self.missing_bin_ is not None:
            labels[self.missing_bin_] += " or missing"
        self.cuts_ = np.array([b["upper"] for b in blocks[:-1]]) if self.kind_ == "numeric" else np.array([])
        self.categories_ = ({c: i for i, b in enumerate(blocks) for c in b["cats"]}
                            if self.kind_ == "categorical" else {})
        rate = np.divide(e, n, out=np.full_like(e, np.nan), where=n > 0)
        self.table_ = pd.DataFrame({"bin": range(len(n)), "label": labels, "n": n.astype(int), "events": e.astype(int),
                                    "event_rate": rate, "woe": woe, "iv": iv})
        self.iv_ = float(iv.sum())

    def _labels(self, blocks) -> list[str]:
        if self.kind_ == "categorical":
            return [", ".join(b["cats"]) for b in blocks]
        out, lo = [], None
        for b in blocks:
            hi = b["upper"]
            if lo is None and np.isinf(hi):
                out.append("all")
            elif lo is None:
                out.append(f"≤ {hi:.4g}")
            elif np.isinf(hi):
                out.append(f"> {lo:.4g}")
            else:
                out.append(f"({lo:.4g}, {hi:.4g}]")
            lo = hi
        return out

    # -- use ------------------------------------------------------------------------------
    @property
    def n_bins_(self) -> int:
        """Bins a value can fall in (a separate missing bin counts; a neutral one does not)."""
        return int((self.table_["label"] != "missing (no evidence)").sum())

    def bin_index(self, x) -> np.ndarray:
        """Bin of each value (−1: missing or an unseen category)."""
        x = pd.Series(x)
        if self.kind_ == "numeric":
            v = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            idx = np.searchsorted(self.cuts_, v, side="left")
            return np.where(np.isnan(v), -1, idx)
        return x.map(lambda c: self.categories_.get(str(c), -1) if pd.notna(c) else -1).to_numpy(dtype=int)

    def transform(self, x) -> np.ndarray:
        """WoE of each value; missing values get :attr:`missing_woe_`, unseen categories 0."""
        x = pd.Series(x)
        idx = self.bin_index(x)
        out = np.where(idx >= 0, self.woe_[np.clip(idx, 0, max(len(self.woe_) - 1, 0))] if len(self.woe_) else 0.0, 0.0)
        return np.where(x.isna().to_numpy(), self.missing_woe_, out)

    def labels(self, x) -> np.ndarray:
        """Label of the bin of each value."""
        idx = self.bin_index(x)
        lab = self.table_["label"].to_numpy()[: len(self.woe_)]
        miss = pd.Series(x).isna().to_numpy()
        return np.where(miss, "missing", np.where(idx >= 0, lab[np.clip(idx, 0, len(lab) - 1)], "unseen"))


def _join(a: dict, b: dict) -> dict:
    out = {"n": a["n"] + b["n"], "e": a["e"] + b["e"]}
    if "upper" in a or "upper" in b:
        out["upper"] = max(a.get("upper", -np.inf), b.get("upper", -np.inf))
    if "cats" in a or "cats" in b:
        out["cats"] = a.get("cats", []) + b.get("cats", [])
    return out


def _as_binary(y, caller: str) -> np.ndarray:
    arr = pd.Series(y).to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(arr).any() or not np.isin(arr, (0.0, 1.0)).all():
        raise DataError(f"{caller}: the outcome must be 0/1 without missing values")
    return arr


def _iv_strength(iv: float) -> str:
    # Siddiqi (2006), the bank convention: < 0.02 useless, 0.02–0.1 weak, 0.1–0.3 medium, > 0.3 strong
    return "none" if iv < 0.02 else "weak" if iv < 0.1 else "medium" if iv < 0.3 else "strong"


def information_value(X: pd.DataFrame, y, **binning) -> pd.DataFrame:
    """Information Value of every column of ``X`` against ``y``, strongest first.

    Returns
    -------
    pd.DataFrame
        ``signal``, ``iv``, ``bins``, ``direction`` (+1: more events at higher values),
        ``strength`` (Siddiqi's bands: none < 0.02 ≤ weak < 0.1 ≤ medium < 0.3 ≤ strong).
    """
    return _iv_table({c: WoEBinner(**binning).fit(X[c], y) for c in X.columns})


def _iv_table(binners: dict) -> pd.DataFrame:
    rows = [{"signal": c, "iv": b.iv_, "bins": b.n_bins_, "direction": b.direction_, "strength": _iv_strength(b.iv_)}
            for c, b in binners.items()]
    return pd.DataFrame(rows, columns=["signal", "iv", "bins", "direction", "strength"]).sort_values(
        "iv", ascending=False, ignore_index=True)


def points_of_odds(odds, *, base_points: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0):
    """Scorecard points of given odds: ``base_points`` at ``base_odds``, ``pdo`` more per doubling.

    Examples
    --------
    >>> points_of_odds(100.0) - points_of_odds(50.0)
    20.0
    """
    factor = pdo / math.log(2)
    return base_points + factor * (np.log(odds) - math.log(base_odds))


class Scorecard:
    """A points scorecard: WoE bins, logistic regression (statsmodels), points and reasons.

    Parameters
    ----------
    base_points, base_odds, pdo : float
        Points at ``base_odds`` (odds of the favourable outcome, see ``points_for``) and
        points to double the odds; 600 at 50:1 and 20 by default.
    points_for : {'non_event', 'event'}
        Which outcome more points mean: ``'non_event'`` for a risk score (more points, safer:
        odds of good to bad), ``'event'`` for a value score (more points, likelier to move up).
    min_iv : float
        Signals below this Information Value are not offered to the regression
        (0.02: Siddiqi's "useless" bar).
    p_value : float
        Backward elimination: the signal with the largest p-value above this, or with a
        negative coefficient (a WoE pointing the wrong way, from collinearity), leaves
        the model, one at a time.
    missing : {'neutral', 'separate'}
        How :class:`WoEBinner` treats a missing signal.  ``'neutral'`` by default: a share
        is missing when its denominator is empty (no outgoing payment, no fuel fill, no RM
        contact), and "no trace at all" is already the evidence of the count signals
        (``txn_count`` 0 for a dormant customer).  A separate bin would count that one fact
        once per share signal, inflate every share's IV with it (by about 0.05 on the demo
        bank) and hand the regression a dozen copies of the same indicator.
    max_bins, min_bin_share, alpha, prebins
        Passed to :class:`WoEBinner`.

    Attributes
    ----------
    binners_ : dict of str to WoEBinner
    iv_ : pd.DataFrame
        :func:`information_value` of every column offered.
    selected_ : list of str
        Signals in the model.
    model_ : statsmodels LogitResults
    coef_ : pd.Series
        Coefficient of each selected signal's WoE.
    intercept_ : float
    intercept_points_ : float
        Points everyone gets; a customer's score is this plus their attribute points.
    points_table_ : pd.DataFrame
        ``signal``, ``bin``, ``label``, ``woe``, ``points`` for every bin of every selected signal.
    mean_woe_ : pd.Series
        Mean WoE of each selected signal in the training data (the reference for reasons).
    event_rate_ : float
        Share of events in the training data.
    """

    def __init__(self, *, base_points: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0,
                 points_for: Literal["non_event", "event"] = "non_event", min_iv: float = 0.02,
                 p_value: float = 0.05, missing: Literal["neutral", "separate"] = "neutral", max_bins: int = 5,
                 min_bin_share: float = 0.05, alpha: float = 0.05, prebins: int = 20):
        if pdo <= 0 or base_odds <= 0:
            raise ParamsError(f"scorecard: 'pdo' and 'base_odds' must be positive, got {pdo}, {base_odds}")
        if points_for not in ("non_event", "event"):
            raise ParamsError(f"scorecard: 'points_for' must be 'non_event' or 'event', got {points_for!r}")
        self.base_points, self.base_odds, self.pdo, self.points_for = base_points, base_odds, pdo, points_for
        self.min_iv, self.p_value = min_iv, p_value
        self.binning = {"max_bins": max_bins, "min_bin_share": min_bin_share, "alpha": alpha, "prebins": prebins,
                        "missing": missing}

    @property
    def factor_(self) -> float:
        """Points per unit of log-odds (``pdo / ln 2``)."""
        return self.pdo / math.log(2)

    def _sign(self) -> float:
        return 1.0 if self.points_for == "event" else -1.0

    def fit(self, X: pd.DataFrame, y) -> "Scorecard":
        """Bin every column of ``X``, keep the informative ones, fit the regression."""
        y = _as_binary(y, "Scorecard.fit")
        if len(X) != len(y):
            raise DataError(f"Scorecard.fit: X has {len(X)} rows but y has {len(y)}")
        if y.sum() in (0, len(y)):
            raise DataError(f"Scorecard.fit: the outcome has a single class in {len(y)} rows; nothing to learn")
        X = X.reset_index(drop=True)
        self.binners_ = {c: WoEBinner(**self.binning).fit(X[c], y) for c in X.columns}
        self.iv_ = _iv_table(self.binners_)
        offered = [c for c in self.iv_["signal"] if self.binners_[c].iv_ >= self.min_iv]
        W = pd.DataFrame({c: self.binners_[c].transform(X[c]) for c in offered}, index=X.index)
        # strongest first, skip a signal whose WoE column adds nothing new (two signals binned
        # into the same groups of customers make the regression singular)
        chosen: list[str] = []
        for c in offered:
            M = np.column_stack([np.ones(len(W))] + [W[k].to_numpy() for k in chosen + [c]])
            if np.linalg.matrix_rank(M) == M.shape[1]:
                chosen.append(c)
        while True:
            exog = pd.concat([pd.Series(1.0, index=W.index, name="const"), W[chosen]], axis=1)
            model = sm.Logit(y, exog).fit(disp=0, maxiter=100)
            coef, pv = model.params.drop("const"), model.pvalues.drop("const")
            wrong = coef[coef <= 0]
            if len(wrong):
                chosen.remove(str(wrong.idxmin()))
            elif len(pv) and pv.max() > self.p_value:
                chosen.remove(str(pv.idxmax()))
            else:
                break
        self.selected_ = list(chosen)
        # keep the estimates, drop the copies of the training rows (hundreds of MB on a large
        # bank) so that a fitted card is small to pickle and hand to every branch report
        model.remove_data()
        self.model_ = model
        self.coef_ = model.params.drop("const")
        self.intercept_ = float(model.params["const"])
        self.mean_woe_ = W[chosen].mean() if chosen else pd.Series(dtype=float)
        self.event_rate_ = float(y.mean())
        s, f = self._sign(), self.factor_
        self.intercept_points_ = float(points_of_odds(1.0, base_points=self.base_points, base_odds=self.base_odds,
                                                      pdo=self.pdo) + f * s * self.intercept_)
        rows = []
        for c in chosen:
            t = self.binners_[c].table_
            for _, r in t.iterrows():
                rows.append({"signal": c, "bin": int(r["bin"]), "label": r["label"], "woe": r["woe"],
                             "points": f * s * self.coef_[c] * r["woe"]})
        self.points_table_ = pd.DataFrame(rows, columns=["signal", "bin", "label", "woe", "points"])
        return self

    def _woe(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.selected_ if c not in X.columns]
        if missing:
            raise DataError(f"Scorecard: data lacks the scorecard's signal(s) {', '.join(missing)}")
        return pd.DataFrame({c: self.binners_[c].transform(X[c]) for c in self.selected_}, index=X.index)

    def log_odds(self, X: pd.DataFrame) -> pd.Series:
        """Log-odds of the event for each row of ``X``."""
        W = self._woe(X)
        z = self.intercept_ + (W.to_numpy() @ self.coef_[self.selected_].to_numpy() if self.selected_ else 0.0)
        return pd.Series(np.broadcast_to(z, (len(X),)).astype(float), index=X.index, name="log_odds")

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Probability of the event (delinquency, moving up) for each row of ``X``."""
        return (1 / (1 + np.exp(-self.log_odds(X)))).rename("p_event")

    def points(self, X: pd.DataFrame) -> pd.Series:
        """Scorecard points of each row: :attr:`intercept_points_` plus attribute points."""
        z = self.log_odds(X)
        return (self.intercept_points_ + self.factor_ * self._sign() * (z - self.intercept_)).rename("points")

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each selected signal's push on the log-odds of the event, against the training average."""
        W = self._woe(X)
        return (W - self.mean_woe_[self.selected_]) * self.coef_[self.selected_]

    def reasons(self, X: pd.DataFrame, *, top: int = 3, id_col: str = "customer_id") -> pd.DataFrame:
        """The signals that moved each customer's probability of the event up the most.

        A signal's push is its coefficient × (the customer's WoE − the training mean WoE):
        how far the customer's bin moves the log-odds from an average customer's.  Only
        pushes towards the event are reasons.

        Returns
        -------
        pd.DataFrame
            One row per customer and reason: ``customer_id`` (when ``X`` has it), ``rank``,
            ``signal``, ``value``, ``bin``, ``log_odds`` (the push), ``points`` (the push in
            points; negative for a risk score, where fewer points mean riskier) and
            ``reason`` (``"premium fuel share 75%"``).
        """
        if top < 1:
            raise ParamsError(f"reasons: 'top' must be at least 1, got {top}")
        cols = ["rank", "signal", "value", "bin", "log_odds", "points", "reason"]
        ids = X[id_col].to_numpy() if id_col in X else X.index.to_numpy()
        if not self.selected_:
            return pd.DataFrame(columns=[id_col] + cols)
        C = self.contributions(X).to_numpy()
        k = min(top, C.shape[1])
        order = np.argsort(-C, axis=1, kind="stable")[:, :k]
        rows, ranks = np.repeat(np.arange(len(X)), k), np.tile(np.arange(1, k + 1), len(X))
        cols_idx = order.ravel()
        push = C[rows, cols_idx]
        keep = push > 0
        rows, ranks, cols_idx, push = rows[keep], ranks[keep], cols_idx[keep], push[keep]
        names = np.array(self.selected_)[cols_idx]
        values = np.empty(len(rows), dtype=object)
        bins = np.empty(len(rows), dtype=object)
        for j, n in enumerate(self.selected_):
            at = cols_idx == j
            values[at] = X[n].to_numpy()[rows[at]]
            bins[at] = self.binners_[n].labels(X[n].iloc[rows[at]])
        reason = [_BY_NAME[n].describe(v) if n in _BY_NAME else f"{n} {v}" for n, v in zip(names, values)]
        return pd.DataFrame({id_col: ids[rows], "rank": ranks, "signal": names, "value": values, "bin": bins,
                             "log_odds": push, "points": push * self.factor_ * self._sign(), "reason": reason})


# --------------------------------------------------------------------------------------------
# 4. Validation


@dataclass(frozen=True)
class Metric:
    """An estimate with its interval (NaN bounds when no interval was asked for)."""

    estimate: float
    low: float
    high: float


@dataclass(frozen=True, eq=False)
class Validation:
    """How well probabilities ``p`` rank and match outcomes ``y``.

    Attributes
    ----------
    auc, ks, brier : Metric
        Area under the ROC curve, Kolmogorov–Smirnov distance between the scores of events
        and non-events, mean squared error of the probabilities; percentile-bootstrap intervals.
    calibration : pd.DataFrame
        :func:`calibration_table`.
    n, events : int

    Notes
    -----
    KS is a maximum, so resampling adds spurious separation: when a score separates nothing
    (KS near 0) the percentile interval can sit above the estimate.  Read it then as "KS is
    no larger than the upper bound".
    """

    auc: Metric
    ks: Metric
    brier: Metric
    calibration: pd.DataFrame
    n: int
    events: int


def _check_scores(y, score, caller) -> tuple[np.ndarray, np.ndarray]:
    y = _as_binary(y, caller)
    s = pd.Series(score).to_numpy(dtype="float64", na_value=np.nan)
    if len(s) != len(y):
        raise DataError(f"{caller}: {len(s)} scores for {len(y)} outcomes")
    if np.isnan(s).any():
        raise DataError(f"{caller}: scores must not be missing")
    return y, s


def _ranked(score):
    """Sort order and tie-group starts of the scores (ascending)."""
    order = np.argsort(score, kind="stable")
    s = score[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts


def _auc_ks_weighted(W1: np.ndarray, W0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUC and KS from weights of events / non-events per tie group (rows: resamples)."""
    t1, t0 = W1.sum(axis=1, keepdims=True), W0.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        below0 = np.cumsum(W0, axis=1) - W0
        auc_ = ((W1 * (below0 + 0.5 * W0)).sum(axis=1, keepdims=True) / (t1 * t0)).ravel()
        ks_ = np.abs(np.cumsum(W1, axis=1) / t1 - np.cumsum(W0, axis=1) / t0).max(axis=1)
    return auc_, ks_


def auc(y, score) -> float:
    """Area under the ROC curve (ties count one half): P(score of an event > score of a non-event).

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, s = _check_scores(y, score, "auc")
    order, starts = _ranked(s)
    W1 = np.add.reduceat(y[order], starts)[None, :]
    W0 = np.add.reduceat(1 - y[order], starts)[None, :]
    return float(_auc_ks_weighted(W1, W0)[0][0])


def ks(y, score) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between the score distributions of
    events and non-events (the two-sample KS of :func:`scipy.stats.ks_2samp`)."""
    y, s = _check_scores(y, score, "ks")
    order, starts = _ranked(s)
    W1 = np.add.reduceat(y[order], starts)[None, :]
    W0 = np.add.reduceat(1 - y[order], starts)[None, :]
    return float(_auc_ks_weighted(W1, W0)[1][0])


def brier(y, p) -> float:
    """Brier score: mean of (p − y)², 0 for perfect probabilities."""
    y, p = _check_scores(y, p, "brier")
    return float(np.mean((p - y) ** 2))


def calibration_table(y, p, *, bins: int = 10, ci: float = 0.95) -> pd.DataFrame:
    """Predicted against observed event rates by decile of the prediction.

    Deciles hold equal numbers of customers (ties split by order).  The interval is the
    Wilson score interval of the observed rate.

    Returns
    -------
    pd.DataFrame
        ``decile`` (1 = lowest predicted), ``n``, ``events``, ``predicted`` (mean), ``observed``,
        ``low``, ``high``.
    """
    y, p = _check_scores(y, p, "calibration_table")
    rank = pd.Series(p).rank(method="first").to_numpy()
    dec = np.minimum((rank - 1) * bins // len(p), bins - 1).astype(int) + 1
    df = pd.DataFrame({"decile": dec, "y": y, "p": p}).groupby("decile").agg(
        n=("y", "size"), events=("y", "sum"), predicted=("p", "mean"), observed=("y", "mean")).reset_index()
    z = stats.norm.ppf(0.5 + ci / 2)
    n, ph = df["n"].to_numpy(float), df["observed"].to_numpy(float)
    centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    df["low"], df["high"] = centre - half, centre + half
    df["events"] = df["events"].astype(int)
    return df


def _bootstrap(y: np.ndarray, scores: dict[str, np.ndarray], *, n_boot: int, seed: int) -> dict[str, dict]:
    """Paired bootstrap of AUC, KS and Brier for several scores (the same resamples for all)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    ranked = {k: _ranked(s) for k, s in scores.items()}
    out = {k: {"auc": [], "ks": [], "brier": []} for k in scores}
    batch = max(1, min(n_boot, (1 << 22) // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(batch, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        counts = np.bincount((np.arange(b)[:, None] * n + idx).ravel(), minlength=b * n).reshape(b, n).astype(float)
        for k, s in scores.items():
            order, starts = ranked[k]
            c = counts[:, order]
            yo = y[order]
            W1 = np.add.reduceat(c * yo, starts, axis=1)
            W0 = np.add.reduceat(c * (1 - yo), starts, axis=1)
            a, d = _auc_ks_weighted(W1, W0)
            out[k]["auc"].append(a)
            out[k]["ks"].append(d)
            out[k]["brier"].append((counts * (s - y) ** 2).sum(axis=1) / n)
        done += b
    return {k: {m: np.concatenate(v) for m, v in d.items()} for k, d in out.items()}


def _interval(samples: np.ndarray, ci: float) -> tuple[float, float]:
    s = samples[np.isfinite(samples)]
    if len(s) == 0:
        return float("nan"), float("nan")
    lo, hi = np.quantile(s, [(1 - ci) / 2, (1 + ci) / 2])
    return float(lo), float(hi)


def validate(y, p, *, ci: float | None = 0.95, n_boot: int = 1000, seed: int = 0, bins: int = 10) -> Validation:
    """AUC, KS, Brier score (percentile bootstrap over customers) and calibration by decile.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of float
        Predicted probabilities of the event.
    ci : float or None
        Confidence level; None skips the intervals.
    n_boot : int
        Bootstrap resamples.
    """
    y, p = _check_scores(y, p, "validate")
    est = {"auc": auc(y, p), "ks": ks(y, p), "brier": brier(y, p)}
    if ci is None or n_boot < 1:
        m = {k: Metric(v, float("nan"), float("nan")) for k, v in est.items()}
    else:
        boot = _bootstrap(y, {"p": p}, n_boot=n_boot, seed=seed)["p"]
        m = {k: Metric(est[k], *_interval(boot[k], ci)) for k in est}
    return Validation(m["auc"], m["ks"], m["brier"], calibration_table(y, p, bins=bins, ci=ci or 0.95),
                      len(y), int(y.sum()))


# --------------------------------------------------------------------------------------------
# 5. Out of time


@dataclass(frozen=True)
class Design:
    """The windows of an out-of-time evaluation.

    Signals come from ``*_signals``; outcomes from the ``*_outcome`` window that follows.
    The test outcome comes after the training outcome, so the model is judged on months it
    never saw.  The test signal window may overlap the training outcome: by the time the
    model is used, those months are history.
    """

    train_signals: Period
    train_outcome: Period
    test_signals: Period
    test_outcome: Period

    def __post_init__(self):
        for sig, out, what in ((self.train_signals, self.train_outcome, "train"),
                               (self.test_signals, self.test_outcome, "test")):
            if sig.end >= out.start:
                raise ParamsError(f"footprint design: the {what} signal window must end before its outcome "
                                  f"window starts ({sig.end} ≥ {out.start})")
        if self.test_outcome.start <= self.train_outcome.end:
            raise ParamsError(f"footprint design: the test outcome window must start after the training outcome "
                              f"window ends ({self.test_outcome.start} ≤ {self.train_outcome.end})")

    def describe(self) -> str:
        f = lambda p: f"{p.start:%b %Y}–{p.end:%b %Y}"  # noqa: E731
        return (f"fit on signals {f(self.train_signals)} → outcomes {f(self.train_outcome)}; "
                f"test on signals {f(self.test_signals)} → outcomes {f(self.test_outcome)}")


def _add_months(d: date, k: int) -> date:
    m = d.month - 1 + k
    return date(d.year + m // 12, m % 12 + 1, 1)


def default_design(period: Period, *, months: int | None = None) -> Design:
    """Three equal windows of whole months: signals → outcome (train), then → outcome (test).

    For the one-year synthetic bank: fit on signals of Jan–Apr and outcomes of May–Aug,
    test on signals of May–Aug and outcomes of Sep–Dec.
    """
    first = period.start if period.start.day == 1 else _add_months(period.start, 1)
    whole = (period.end.year - first.year) * 12 + period.end.month - first.month + (
        1 if (period.end + timedelta(days=1)).day == 1 else 0)
    months = months or whole // 3
    if months < 1 or 3 * months > whole:
        raise ParamsError(f"footprint design: the period {period.start}–{period.end} holds {whole} whole months; "
                          f"three windows of {months} month(s) do not fit")
    w = [Period(_add_months(first, i * months), _add_months(first, (i + 1) * months) - timedelta(days=1))
         for i in range(3)]
    return Design(w[0], w[1], w[1], w[2])


@dataclass(frozen=True, eq=False)
class OutOfTime:
    """An out-of-time evaluation of both scores against the declared baseline.

    Attributes
    ----------
    metrics : pd.DataFrame
        Tidy: ``target`` (value, risk), ``model`` (footprint, declared, and
        ``footprint − declared`` for what the footprints add: a paired bootstrap),
        ``metric`` (auc, ks, brier), ``estimate``, ``low``, ``high``, ``n``, ``events``.
    calibration : pd.DataFrame
        Tidy: ``target``, ``model`` and :func:`calibration_table` columns.
    iv : pd.DataFrame
        Tidy: ``target``, ``model`` and the training Information Value of every signal.
    scorecards : dict
        ``(target, model)`` → fitted :class:`Scorecard`.
    samples : dict
        ``(target, 'train' | 'test')`` → the sample: ``customer_id``, signals, declared
        attributes, ``y``.
    design : Design
    seconds : float
        Wall time of the whole evaluation.
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    iv: pd.DataFrame
    scorecards: dict
    samples: dict
    design: Design
    seconds: float

    def card(self, target: str = "value", model: str = "footprint") -> Scorecard:
        """The fitted scorecard of a target and model."""
        try:
            return self.scorecards[(target, model)]
        except KeyError:
            raise ParamsError(f"out_of_time: no scorecard ({target!r}, {model!r}); valid: "
                              f"{', '.join(map(str, self.scorecards))}") from None

    def summary(self) -> pd.DataFrame:
        """One row per target and model: each metric as ``estimate (low–high)``."""
        m = self.metrics.assign(text=[f"{e:.3f} ({lo:.3f}–{hi:.3f})" for e, lo, hi in
                                      zip(self.metrics["estimate"], self.metrics["low"], self.metrics["high"])])
        wide = m.pivot_table(index=["target", "model"], columns="metric", values="text", aggfunc="first")
        counts = m.groupby(["target", "model"])[["n", "events"]].first()
        out = wide.join(counts).reset_index()
        return out[["target", "model", "n", "events", "auc", "ks", "brier"]]

    def example_customer(self, target: str = "value") -> str:
        """A good worked example: a test customer who had the event, with the fullest footprint
        and, among those, the highest predicted probability."""
        test = self.samples[(target, "test")]
        card = self.card(target)
        cols = [c for c in test.columns if c in _BY_NAME]
        rank = pd.DataFrame({"customer_id": test["customer_id"], "y": test["y"],
                             "traces": test[cols].notna().sum(axis=1), "p": card.predict(test).to_numpy()})
        rank = rank[rank["y"] == 1] if rank["y"].any() else rank
        best = rank.sort_values(["traces", "p", "customer_id"], ascending=[False, False, True])
        return str(best["customer_id"].iloc[0])

    def reasons(self, customer_id: str, *, target: str = "value", top: int = 3) -> pd.DataFrame:
        """A test customer's top reasons on the footprint scorecard (:meth:`Scorecard.reasons`)."""
        return self.card(target).reasons(self._row(customer_id, target), top=top)

    def _row(self, customer_id: str, target: str) -> pd.DataFrame:
        test = self.samples[(target, "test")]
        row = test[test["customer_id"] == customer_id]
        if row.empty:
            raise DataError(f"out_of_time: customer {customer_id} is not in the {target} test sample")
        return row

    def explain(self, customer_id: str, *, target: str = "value", model: str = "footprint") -> pd.DataFrame:
        """One test-window customer's scorecard: each signal's value, bin, WoE and points."""
        card = self.card(target, model)
        row = self._row(customer_id, target)
        out = []
        for c in card.selected_:
            b = card.binners_[c]
            v = row[c].iloc[0]
            w = float(b.transform(row[c])[0])
            out.append({"signal": c, "value": v, "bin": b.labels(row[c])[0], "woe": w,
                        "points": card.factor_ * card._sign() * card.coef_[c] * w})
        out.append({"signal": "(intercept points)", "value": np.nan, "bin": "", "woe": np.nan,
                    "points": card.intercept_points_})
        df = pd.DataFrame(out)
        total = pd.DataFrame([{"signal": "total", "value": np.nan, "bin": "", "woe": np.nan,
                               "points": df["points"].sum()}])
        return pd.concat([df, total], ignore_index=True)


def active_customers(data, window: Period) -> set[str]:
    """Customers with at least one transaction of their own (not a payroll credit) in the window.

    Footprint scores are for customers who leave footprints.  A dormant customer has none to
    read; keeping them would let "no transactions" stand in for "small balances" (dormant
    customers hold less, in both synthetic banks), and the value outcome, which crosses
    asset bars, would then be predictable from dormancy even in the null bank.
    """
    con = _connection(data)
    p = _window_params(window)
    rows = con.execute(f"""SELECT DISTINCT customer_id FROM transactions
                           WHERE ts >= CAST($start AS TIMESTAMP) AND ts < CAST($end_excl AS TIMESTAMP) AND {_OWN}""",
                       {"start": p["start"], "end_excl": p["end_excl"]}).fetchall()
    return {r[0] for r in rows}


def _is_in(ids: pd.Series, among) -> np.ndarray:
    """``ids.isin(among)`` for hundreds of thousands of ids.

    Our own because pandas 3's Arrow-backed strings convert ``among`` to Arrow one value
    at a time (3 s for 500,000 ids); Arrow's ``is_in`` over the whole array takes 0.3 s.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(list(among), type=pa.string()) if isinstance(among, (set, frozenset)) else pa.array(
        pd.Series(among, dtype="object").to_numpy(), type=pa.string())
    return pc.is_in(pa.array(ids.to_numpy(dtype=object), type=pa.string()), value_set=values).to_numpy(
        zero_copy_only=False)


def _sample(signals: pd.DataFrame, outcome: pd.DataFrame, active: set[str],
            declared: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outcome, signals (and declared attributes) of the active customers of the outcome's population."""
    df = outcome.loc[_is_in(outcome["customer_id"], active), ["customer_id", "y"]].merge(signals, on="customer_id",
                                                                                       how="left")
    if declared is not None:
        df = df.merge(declared, on="customer_id", how="left")
    return df.reset_index(drop=True)


_CARD_DEFAULTS = {"value": {"points_for": "event", "base_odds": 1.0},
                  "risk": {"points_for": "non_event", "base_odds": 50.0}}


def _compare(y: np.ndarray, probs: dict[str, np.ndarray], *, n_boot: int, ci: float, seed: int) -> pd.DataFrame:
    """AUC, KS and Brier of the footprint and declared probabilities, and the footprint's gain
    over the declared baseline, with percentile intervals from the same (paired) resamples."""
    est = {m: {"auc": auc(y, p), "ks": ks(y, p), "brier": brier(y, p)} for m, p in probs.items()}
    boot = _bootstrap(y, probs, n_boot=n_boot, seed=seed) if n_boot else None
    rows = []
    for model in ("footprint", "declared", "footprint − declared"):
        for metric in ("auc", "ks", "brier"):
            if model == "footprint − declared":
                e = est["footprint"][metric] - est["declared"][metric]
                s = boot["footprint"][metric] - boot["declared"][metric] if boot else None
            else:
                e, s = est[model][metric], boot[model][metric] if boot else None
            lo, hi = _interval(s, ci) if s is not None else (float("nan"), float("nan"))
            rows.append({"model": model, "metric": metric, "estimate": e, "low": lo, "high": hi, "n": len(y),
                         "events": int(y.sum())})
    return pd.DataFrame(rows)


def out_of_time(data, *, design: Design | None = None, n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
                signals: list[str] | None = None, **card_options) -> OutOfTime:
    """Fit both scores (and the declared baseline) on earlier months; test on later ones.

    Parameters
    ----------
    data : path or BankFiles
        A bank folder.
    design : Design, optional
        Defaults to :func:`default_design` of the bank's period.
    n_boot : int
        Bootstrap resamples of the test customers for the intervals.
    signals : list of str, optional
        Restrict the footprint signals.
    **card_options
        Passed to every :class:`Scorecard` (``min_iv``, ``alpha``, ``min_bin_share``...).

    Returns
    -------
    OutOfTime
        Its ``metrics`` is the tidy table of AUC, KS and Brier with intervals.
    """
    t0 = time.perf_counter()
    bank = data if isinstance(data, BankFiles) else find_bank(data)
    con = connect(bank)
    design = design or default_design(default_period(bank))
    declared = declared_attributes(con)
    sig = {w: compute_signals(con, getattr(design, f"{w}_signals"), signals=signals) for w in ("train", "test")}
    names = [c for c in sig["train"].columns if c != "customer_id"]
    dec_names = [c for c in declared.columns if c != "customer_id"]
    outcomes = {
        ("value", "train"): value_outcome(con, design.train_signals, design.train_outcome),
        ("value", "test"): value_outcome(con, design.test_signals, design.test_outcome),
        ("risk", "train"): risk_outcome(con, design.train_outcome, opened_before=design.train_signals.start),
        ("risk", "test"): risk_outcome(con, design.test_outcome, opened_before=design.test_signals.start),
    }
    active = {w: active_customers(con, getattr(design, f"{w}_signals")) for w in ("train", "test")}
    samples = {k: _sample(sig[k[1]], o, active[k[1]], declared) for k, o in outcomes.items()}
    metrics, calib, ivs, cards = [], [], [], {}
    for i, target in enumerate(("value", "risk")):
        train, test = samples[(target, "train")], samples[(target, "test")]
        probs = {}
        for model, cols in (("footprint", names), ("declared", dec_names)):
            card = Scorecard(**{**_CARD_DEFAULTS[target], **card_options}).fit(train[cols], train["y"])
            cards[(target, model)] = card
            probs[model] = card.predict(test[cols]).to_numpy()
            ivs.append(card.iv_.assign(target=target, model=model))
            calib.append(calibration_table(test["y"], probs[model], ci=ci).assign(target=target, model=model))
        metrics.append(_compare(test["y"].to_numpy(dtype=float), probs, n_boot=n_boot, ci=ci, seed=seed + i)
                       .assign(target=target))
    lead = ["target", "model"]
    iv = pd.concat(ivs, ignore_index=True)
    cal = pd.concat(calib, ignore_index=True)
    met = pd.concat(metrics, ignore_index=True)
    return OutOfTime(metrics=met[["target"] + [c for c in met if c != "target"]],
                     calibration=cal[lead + [c for c in cal if c not in lead]],
                     iv=iv[lead + [c for c in iv if c not in lead]], scorecards=cards, samples=samples,
                     design=design, seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------
# 6. Scoring for reports


@dataclass(frozen=True, eq=False)
class FootprintScores:
    """Both scores of the current customers, fitted on the latest complete windows.

    Attributes
    ----------
    scores : pd.DataFrame
        One row per customer: ``customer_id``, ``value_p`` (probability of moving up a tier or
        taking up a wealth product next window), ``value_points``, ``borrower`` (holds open
        credit and is not delinquent), ``risk_p`` and ``risk_points`` (borrowers only).
    reasons : pd.DataFrame
        ``customer_id``, ``score`` (value, risk) and :meth:`Scorecard.reasons` columns.
    value_card, risk_card : Scorecard or None
        None for a card that was not fitted (``strict=False`` and too few events).
    fit_design : Design
        ``train_signals`` → ``train_outcome`` is what the scorecards were fitted on;
        customers are scored on ``test_signals`` (the latest window) for ``test_outcome``,
        the window after the data ends.
    seconds : float
    unfitted : dict
        Card (``value``, ``risk``) -> the events its training window held, for each card
        left unfitted; empty when both were fitted.
    """

    scores: pd.DataFrame
    reasons: pd.DataFrame
    value_card: Scorecard | None
    risk_card: Scorecard | None
    fit_design: Design
    seconds: float
    unfitted: dict = field(default_factory=dict)

    def split(self, group_of: pd.Series) -> dict:
        """The scores cut into one :class:`FootprintScores` per group of customers, e.g. per branch.

        Parameters
        ----------
        group_of : pd.Series
            Group (e.g. ``branch_id``) indexed by ``customer_id``.  Customers it
            does not name are left out.

        Returns
        -------
        dict
            Group -> the scores and reasons of its customers only, with the same
            scorecards and design (a branch's report then loads its own rows).
        """
        by = {}
        for name, part in (("scores", self.scores), ("reasons", self.reasons)):
            groups = part["customer_id"].map(group_of)
            for g, rows in part.groupby(groups, sort=True):
                by.setdefault(g, {"scores": self.scores.iloc[:0], "reasons": self.reasons.iloc[:0]})[name] = (
                    rows.reset_index(drop=True))
        return {g: replace(self, **parts) for g, parts in by.items()}


#: Columns of :attr:`FootprintScores.reasons`.
REASON_COLUMNS = ["customer_id", "score", "rank", "signal", "value", "bin", "log_odds", "points", "reason"]
_OUTCOME_WORDS = {"value": "customers moving up", "risk": "first delinquencies"}


def score_customers(data, *, period: Period | None = None, branch: str | None = None, top: int = 3,
                    signals: list[str] | None = None, min_events: int = 10, strict: bool = True,
                    **card_options) -> FootprintScores:
    """Fit both footprint scorecards on the whole bank's latest windows and score current customers.

    The scorecards are fitted on signals of the window before last against outcomes of the
    last window (the whole bank, so that a small branch gets a stable model), then applied to
    the signals of the last window: a forecast for the window after the data ends.

    Parameters
    ----------
    data : path or BankFiles
    period : Period, optional
        Defaults to the bank's period; its last third is "now".
    branch : str, optional
        Return only this branch's customers (the fit still uses the whole bank).
    top : int
        Reasons per customer and score.
    min_events : int
        Fewest events of each outcome in the training window.
    strict : bool
        Raise when either card cannot be fitted (the default).  With ``False`` a card
        short of events is left out (None, its columns empty, its events in
        ``unfitted``) and the other is still fitted: one list must not take the other
        with it in a report.

    Raises
    ------
    TooFewEvents
        ``strict`` and a training window holding fewer than ``min_events`` events of either
        outcome (or nothing but events).
    """
    t0 = time.perf_counter()
    bank = data if isinstance(data, BankFiles) else find_bank(data)
    con = connect(bank)
    d = default_design(period or default_period(bank))
    # fit on the latest complete pair of windows; score the window after
    after = d.test_outcome.end + timedelta(days=1)
    fit = Design(d.train_outcome, d.test_outcome, d.test_outcome,
                 Period(after, after + timedelta(days=d.test_outcome.days - 1)))
    train_sig = compute_signals(con, fit.train_signals, signals=signals)
    names = [c for c in train_sig.columns if c != "customer_id"]
    was_active = active_customers(con, fit.train_signals)
    samples = {"value": _sample(train_sig, value_outcome(con, fit.train_signals, fit.train_outcome), was_active),
               "risk": _sample(train_sig, risk_outcome(con, fit.train_outcome,
                                                       opened_before=fit.train_signals.start), was_active)}
    del train_sig
    cards, unfitted = {}, {}
    for side, sample in samples.items():
        events = int(sample["y"].sum())
        if events < max(min_events, 1) or events == len(sample):
            if strict:
                raise TooFewEvents(f"footprint: {events} {_OUTCOME_WORDS[side]} among {len(sample)} customers in "
                                   f"{fit.train_outcome.start}–{fit.train_outcome.end}; a scorecard needs at least "
                                   f"{min_events}, and some customers without")
            unfitted[side] = events
        else:
            cards[side] = Scorecard(**{**_CARD_DEFAULTS[side], **card_options}).fit(sample[names], sample["y"])
    del samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SignalSkipped)  # already said once for the training window
        now = compute_signals(con, fit.test_signals, branch=branch, signals=signals)
    current = customer_assets(con, fit.test_signals, branch=branch)
    holders = set(current.loc[current["end_assets"] > 0, "customer_id"])
    borrowers = set(risk_outcome(con, Period(after, after), opened_before=after)["customer_id"])
    now = now[_is_in(now["customer_id"], (holders | borrowers) & active_customers(con, fit.test_signals))]
    now = now.reset_index(drop=True)
    out = now[["customer_id"]].assign(borrower=_is_in(now["customer_id"], borrowers))
    reasons = []
    for side, rows in (("value", pd.Series(True, index=out.index)), ("risk", out["borrower"])):
        card = cards.get(side)
        out[f"{side}_p"] = card.predict(now).where(rows).to_numpy() if card else np.nan
        out[f"{side}_points"] = card.points(now).where(rows).to_numpy() if card else np.nan
        if card is not None:
            reasons.append(card.reasons(now[rows.to_numpy()], top=top).assign(score=side))
    reasons = [r for r in reasons if len(r)]
    reasons = (pd.concat(reasons, ignore_index=True)[REASON_COLUMNS] if reasons
               else pd.DataFrame(columns=REASON_COLUMNS))
    out = out[["customer_id", "value_p", "value_points", "borrower", "risk_p", "risk_points"]]
    return FootprintScores(scores=out, reasons=reasons, value_card=cards.get("value"), risk_card=cards.get("risk"),
                           fit_design=fit, seconds=time.perf_counter() - t0, unfitted=unfitted)


def customer_footprint(data, customer_id: str | None = None, *, window: Period | None = None) -> pd.DataFrame:
    """One customer's signals next to the bank's: value, bank median and the customer's percentile.

    Parameters
    ----------
    data : path or BankFiles
    customer_id : str, optional
        Defaults to a customer with a full set of traces (fuel fills, travel, RM contacts),
        the first by id: a good worked example.
    window : Period, optional
        Defaults to the first window of :func:`default_design`.
    """
    bank = data if isinstance(data, BankFiles) else find_bank(data)
    window = window or default_design(default_period(bank)).train_signals
    sig = compute_signals(bank, window)
    if customer_id is None:
        full = sig.dropna()
        if "rail_trips" in full:
            full = full[full["rail_trips"] > 0]
        customer_id = (full if len(full) else sig)["customer_id"].iloc[0]
    row = sig[sig["customer_id"] == customer_id]
    if row.empty:
        raise DataError(f"customer_footprint: no customer {customer_id} in the bank")
    out = []
    for c in sig.columns.drop("customer_id"):
        v = row[c].iloc[0]
        col = sig[c].dropna()
        pct = float((col < v).mean() + 0.5 * (col == v).mean()) if pd.notna(v) and len(col) else float("nan")
        out.append({"customer_id": customer_id, "signal": c, "label": _BY_NAME[c].label, "unit": _BY_NAME[c].unit,
                    "value": v, "bank_median": float(col.median()) if len(col) else float("nan"),
                    "percentile": pct})
    return pd.DataFrame(out)
