"""Footprint signals (source 002): the registry of behavioural traces and their computation.

:data:`SIGNALS` is one documented registry; each signal is a DuckDB aggregate over the
bank's files inside a window of days, so a signal can never see past the window's end
(:func:`compute_signals`).  A signal whose table or column a user's data lacks is skipped
with a :class:`~crmstudy.errors.SignalSkipped` warning.

docs/footprint_signals.md is the registry as a table (:func:`registry_markdown`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pandas as pd

from ..errors import DataError, ParamsError, SignalSkipped
from ..features import Period
from ._bank import _columns, _connection, _window_params


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
