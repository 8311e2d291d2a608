"""Footprint signals (source 002): the registry of behavioural traces and their computation.

:data:`SIGNALS` is one documented registry; each signal is an Ibis aggregate over the rows
of one customer in a window of days, so a signal can never see past the window's end.
:func:`signal_table` puts them into one expression over the bank's tables (as the customer
features of :mod:`crmstudy.feature_defs` are), which runs on DuckDB, through the bank's one
connection, or on Spark (``feature_defs.backend("spark", bank)``); :func:`compute_signals`
runs it.  A signal whose table or column a user's data lacks is skipped with a
:class:`~crmstudy.errors.SignalSkipped` warning.

docs/footprint_signals.md is the registry as a table (:func:`registry_markdown`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..errors import DataError, ParamsError, SignalSkipped
from ..feature_defs import _bounds, _scoped, engine_of
from ..features import Period
from ._bank import _ts


@dataclass(frozen=True)
class Window:
    """A window of days (``period``) as the signals measure it."""

    period: Period

    @property
    def months(self) -> float:
        """Its days in average months (365.25 / 12 days), the denominator of rates per month."""
        return self.period.days / (365.25 / 12)

    @property
    def weeks(self) -> float:
        """Its days / 7."""
        return self.period.days / 7.0

    @property
    def n_months(self) -> int:
        """Calendar months it touches (``payroll_regularity``, ``income_trend``)."""
        start, end = self.period.start, self.period.end
        return (end.year - start.year) * 12 + end.month - start.month + 1


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
        What is measured, in one sentence (the docs' table).
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
        The rows it measures (:data:`SOURCES`): ``transactions`` or ``visits`` in the
        window, ``inflows`` (per calendar month) or ``customers``.
    measure : callable
        ``measure(rows, window)``: the Ibis expression of the signal over the source's rows
        of one customer (an aggregate; for ``customers``, a column of the customer's row),
        given the :class:`Window`.
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
    measure: Callable[[ir.Table, Window], ir.Value]
    fill: float | None = None
    fmt: str = "{:.2f}"

    def describe(self, value) -> str:
        """``premium fuel share 75%``; ``premium fuel share: none recorded`` when missing."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{self.label}: none recorded"
        return f"{self.label} {self.fmt.format(value)}"


# --- the measures ---------------------------------------------------------------------------


def _n(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """Rows meeting ``condition`` (a null condition does not count), 0 when none do, on every engine."""
    return ibis.ifelse(condition, 1, 0).sum()


def _per(count: ir.NumericScalar, span: float) -> ir.FloatingScalar:
    """``count`` per month or week (``span``, the window's), in double precision on every engine.

    (Spark reads a bare ``3.94`` as a DECIMAL and would divide in decimals.)
    """
    return count.cast("float64") / span


def _mean_of(condition: ir.BooleanValue) -> ir.FloatingScalar:
    """The share of rows meeting ``condition`` (1 or 0 each, averaged: a DOUBLE on every engine)."""
    return ibis.ifelse(condition, 1, 0).mean()


def _out(t: ir.Table) -> ir.BooleanColumn:
    return t.direction == "out"


def _own(t: ir.Table) -> ir.BooleanColumn:
    """The customer's own transactions: a salary credit is not the customer's own activity."""
    return t.merchant_category != "payroll_in"


def _per_month(category: str):
    return lambda t, w: _per(_n(t.merchant_category == category), w.months)


def _share(category: str):
    return lambda t, w: _n(t.merchant_category == category) / _n(_out(t)).nullif(0)


def _count_share(name, label, category, definition, direction, planted) -> Signal:
    return Signal(
        name,
        label,
        definition,
        "share of outgoing transactions",
        direction,
        "transactions",
        ("ts", "direction", "merchant_category"),
        planted,
        "transactions",
        _share(category),
        None,
        "{:.0%}",
    )


def _fuel_premium(t, w):
    fuel = t.merchant_category == "fuel"
    return _n(fuel & (t.fuel_grade >= 95)) / _n(fuel & t.fuel_grade.notnull()).nullif(0)


def _median_out(t, w):
    # the outgoing amounts, others null: Ibis 12 gives Spark median(where=...) as a percentile whose
    # percentage is not a constant, which Spark refuses
    return ibis.ifelse(_out(t), t.amount, ibis.null("float64")).median()


def _income_trend(g, w):
    # the least-squares slope of inflow on k (DuckDB's regr_slope: covar_pop / var_pop) over the mean
    return g.inflow.cov(g.k, how="pop") / g.k.var(how="pop").nullif(0) / g.inflow.mean().nullif(0)


_TX = ("ts", "direction", "merchant_category")

#: The signal registry (docs/footprint_signals.md is generated from it).
SIGNALS: tuple[Signal, ...] = (
    Signal(
        "premium_fuel_share",
        "premium fuel share",
        "Share of fuel fills of grade 95 or higher (source 002: '100 L of 97-octane says good car').",
        "share of fuel fills",
        "higher → more value",
        "transactions",
        _TX + ("fuel_grade",),
        "value (P(premium) = σ(−1.4 + 1.3·v))",
        "transactions",
        _fuel_premium,
        None,
        "{:.0%}",
    ),
    Signal(
        "litres_per_fill",
        "litres per fuel fill",
        "Mean litres per fuel fill.",
        "litres",
        "higher → more value",
        "transactions",
        _TX + ("fuel_litres",),
        "value (35 + 15·v litres)",
        "transactions",
        lambda t, w: t.fuel_litres.mean(where=t.merchant_category == "fuel"),
        None,
        "{:.0f} L",
    ),
    Signal(
        "rail_trips",
        "rail trips",
        "Rail tickets bought per month (source 000: rail-ticket trips).",
        "trips per month",
        "higher → more value",
        "transactions",
        _TX,
        "value (slope 0.5)",
        "transactions",
        _per_month("rail_travel"),
        0.0,
        "{:.1f} a month",
    ),
    Signal(
        "air_trips",
        "air trips",
        "Air tickets bought per month.",
        "trips per month",
        "higher → more value",
        "transactions",
        _TX,
        "value (slope 0.9)",
        "transactions",
        _per_month("air_travel"),
        0.0,
        "{:.1f} a month",
    ),
    _count_share(
        "dining_share",
        "dining share",
        "dining",
        "Share of outgoing transactions spent on dining (source 000: card dining).",
        "higher → more value",
        "value (slope 0.35)",
    ),
    _count_share(
        "luxury_share",
        "luxury share",
        "luxury",
        "Share of outgoing transactions spent on luxury goods.",
        "higher → more value",
        "value (slope 1.0)",
    ),
    _count_share(
        "education_share",
        "education share",
        "education",
        "Share of outgoing transactions spent on education.",
        "higher → more value",
        "value (weak, slope 0.2)",
    ),
    _count_share(
        "medical_share",
        "medical share",
        "medical",
        "Share of outgoing transactions spent on medical care.",
        "ambiguous (need or means)",
        "irrelevant",
    ),
    _count_share(
        "supermarket_share",
        "supermarket share",
        "supermarket",
        "Share of outgoing transactions at supermarkets.",
        "none expected (everyday spending)",
        "irrelevant",
    ),
    _count_share(
        "utilities_share",
        "utilities share",
        "utilities",
        "Share of outgoing transactions paying utilities.",
        "none expected (everyday spending)",
        "irrelevant",
    ),
    _count_share(
        "cash_share",
        "cash withdrawals",
        "cash_withdrawal",
        "Share of outgoing transactions that are cash withdrawals.",
        "higher → more risk",
        "risk (slope 0.35; value −0.2)",
    ),
    _count_share(
        "internet_lender_share",
        "internet-lender repayments",
        "internet_lender",
        "Share of outgoing transactions that repay an internet lender.",
        "higher → more risk",
        "risk (slope 1.0)",
    ),
    Signal(
        "third_party_out_share",
        "outflow to payment apps",
        "Share of outgoing CNY sent to third-party payment apps (source 001/003: the largest outflow).",
        "share of outgoing CNY",
        "higher → less loyalty, money leaving",
        "transactions",
        _TX + ("amount",),
        "churn pull only (not value or risk)",
        "transactions",
        lambda t, w: (
            t.amount.sum(where=t.merchant_category == "third_party_transfer") / t.amount.sum(where=_out(t)).nullif(0)
        ),
        None,
        "{:.0%}",
    ),
    Signal(
        "mobile_share",
        "mobile-banking use",
        "Share of the customer's own transactions made in the mobile app.",
        "share of own transactions",
        "higher → more engaged",
        "transactions",
        _TX + ("channel",),
        "none directly (age and category mix)",
        "transactions",
        lambda t, w: _n((t.channel == "mobile_app") & _own(t)) / _n(_own(t)).nullif(0),
        None,
        "{:.0%}",
    ),
    Signal(
        "txn_count",
        "transactions",
        "The customer's own transactions per month (payroll credits excluded).",
        "transactions per month",
        "higher → more value",
        "transactions",
        _TX,
        "value (activity e^(0.12·v)); dormant customers have none",
        "transactions",
        lambda t, w: _per(_n(_own(t)), w.months),
        0.0,
        "{:.1f} a month",
    ),
    Signal(
        "txn_variety",
        "spending variety",
        "Distinct merchant categories among the customer's own transactions.",
        "categories",
        "higher → more value",
        "transactions",
        _TX,
        "value (via category mix)",
        "transactions",
        lambda t, w: t.merchant_category.nunique(where=_own(t)),
        0.0,
        "{:.0f} categories",
    ),
    Signal(
        "txn_frequency",
        "active weeks",
        "Share of the window's weeks with at least one own transaction.",
        "share of weeks",
        "higher → more value",
        "transactions",
        _TX,
        "value (via activity)",
        "transactions",
        lambda t, w: _per(t.ts.truncate("W").nunique(where=_own(t)), w.weeks),
        0.0,
        "{:.0%}",
    ),
    Signal(
        "txn_amount",
        "typical payment",
        "Median amount of outgoing transactions.",
        "CNY",
        "higher → more value",
        "transactions",
        _TX + ("amount",),
        "value (via wealth^0.25)",
        "transactions",
        _median_out,
        None,
        "{:,.0f} CNY",
    ),
    Signal(
        "payroll_regularity",
        "payroll regularity",
        "Share of the window's months with a payroll credit, for customers paid through the bank.",
        "share of months",
        "lower → more risk (irregular income)",
        "transactions",
        _TX,
        "risk (missed months σ(−3.5 + r))",
        "transactions",
        lambda t, w: t.ts.truncate("M").nunique(where=t.merchant_category == "payroll_in").nullif(0) / w.n_months,
        None,
        "{:.0%}",
    ),
    Signal(
        "income_trend",
        "income trend",
        "Slope of monthly inflows over the window, as a share of their mean per month.",
        "share of mean inflow per month",
        "rising → more value, falling → more risk",
        "transactions",
        ("ts", "direction", "amount"),
        "none planted",
        "inflows",
        _income_trend,
        None,
        "{:+.0%} a month",
    ),
    Signal(
        "visit_positive_share",
        "positive RM contacts",
        "Share of RM contacts after which the RM noted a positive attitude (source 000: the visit log).",
        "share of contacts",
        "higher → more value",
        "visits",
        ("visit_date", "attitude"),
        "value (P(positive) = σ(0.7·v − 1.2·churned))",
        "visits",
        lambda t, w: _mean_of(t.attitude == "positive"),
        None,
        "{:.0%}",
    ),
    Signal(
        "visit_sold_share",
        "RM contacts that sold",
        "Share of RM contacts whose outcome was a product sold.",
        "share of contacts",
        "higher → more value",
        "visits",
        ("visit_date", "outcome"),
        "value (P(sold) = σ(−1.8 + 0.8·v))",
        "visits",
        lambda t, w: _mean_of(t.outcome == "product_sold"),
        None,
        "{:.0%}",
    ),
    Signal(
        "external_credit_lines",
        "internet-lender credit lines",
        "Credit lines granted by internet lenders, from the credit bureau (source 002: an adjustment "
        "dimension of a credit rating); one snapshot, taken as known before the outcome window.",
        "lines",
        "higher → more risk",
        "customers",
        ("external_credit_lines",),
        "risk (Poisson e^(−0.7 + 0.6·r))",
        "customers",
        lambda t, w: t.external_credit_lines.cast("float64"),
        None,
        "{:.0f} lines",
    ),
)
_BY_NAME = {s.name: s for s in SIGNALS}


# --- the rows each source measures ------------------------------------------------------------


def _customers(tables: Mapping[str, ir.Table], branch: str | None) -> ir.Table:
    cust = tables["customers"]
    return cust if branch is None else cust.filter(cust.branch_id == branch)


def _transactions(tables: Mapping[str, ir.Table], window: Period, branch: str | None = None) -> ir.Table:
    """The transactions of the window (of one branch's customers)."""
    start, end = _bounds(window)
    tx = _scoped(tables["transactions"], tables, branch)
    return tx.filter(tx.ts >= start, tx.ts < end)


def _inflows(tables: Mapping[str, ir.Table], window: Period, branch: str | None = None) -> ir.Table:
    """Inflows per customer with any and calendar month ``k`` (0 = the window's first), 0 for a month without."""
    tx = _transactions(tables, window, branch)
    tx = tx.filter(tx.direction == "in")
    n = Window(window).n_months
    # months between the firsts of the months count calendar months on every engine (Spark's
    # datediff counts whole months, DuckDB's month boundaries); not year() * 12 + month(): DuckDB
    # 2.0.1 groups EXTRACT of a TIMESTAMP_NS wrongly
    k = tx.ts.truncate("M").delta(ibis.timestamp(_ts(window.start.replace(day=1))), unit="month")
    wide = tx.group_by("customer_id").aggregate(**{f"m{j}": tx.amount.sum(where=k == j) for j in range(n)})
    # one row per customer and month, built without a join: DuckDB then aggregates each customer's
    # months in calendar order, so that the running covariance adds them up in that order
    g = wide.cross_join(ibis.range(0, n).unnest().name("k").as_table())
    inflow = ibis.cases(*((g.k == j, g[f"m{j}"]) for j in range(n)))
    return g.select("customer_id", "k", inflow=inflow.fill_null(0.0))


def _visits(tables: Mapping[str, ir.Table], window: Period, branch: str | None = None) -> ir.Table:
    start, end = _bounds(window)
    v = _scoped(tables["visits"], tables, branch)
    return v.filter(v.visit_date >= start, v.visit_date < end)


#: The rows of each source that are aggregated per customer (``customers`` is one row each).
SOURCES = {"transactions": _transactions, "inflows": _inflows, "visits": _visits}


def signal_table(
    tables: Mapping[str, ir.Table], window: Period, *, branch: str | None = None, signals: list[str] | None = None
) -> ir.Table:
    """The signals of every customer over a window, as one Ibis expression over the bank's tables.

    Parameters
    ----------
    tables : mapping of str to ibis.Table
        The bank's tables (an :class:`~crmstudy.feature_defs.Engine`'s ``tables``); every
        table and column the chosen signals read must be there (:func:`compute_signals`
        leaves out those the data lacks).
    window, branch, signals
        As for :func:`compute_signals`.

    Returns
    -------
    ibis.Table
        ``customer_id`` and one float64 column per signal, one row per customer of ``customers``
        (of ``branch``), counts filled with their :attr:`Signal.fill`.
    """
    chosen = [_BY_NAME[n] for n in (signals if signals is not None else _BY_NAME)]
    w = Window(window)
    cust = _customers(tables, branch)
    out = cust.select("customer_id", **{s.name: s.measure(cust, w) for s in chosen if s.source == "customers"})
    for source, rows_of in SOURCES.items():
        group = [s for s in chosen if s.source == source]
        if group:
            rows = rows_of(tables, window, branch)
            part = rows.group_by("customer_id").aggregate(**{s.name: s.measure(rows, w) for s in group})
            out = out.left_join(part, "customer_id").drop("customer_id_right")

    def value(s: Signal) -> ir.FloatingColumn:
        v = out[s.name].cast("float64")
        return v if s.fill is None else v.fill_null(s.fill)

    return out.select("customer_id", **{s.name: value(s) for s in chosen})


def signal_registry() -> pd.DataFrame:
    """The registry as a table: name, definition, unit, direction, table, columns, planted."""
    return pd.DataFrame(
        [
            {
                "signal": s.name,
                "definition": s.definition,
                "unit": s.unit,
                "direction": s.direction,
                "table": s.table,
                "columns": ", ".join(s.columns),
                "planted": s.planted,
            }
            for s in SIGNALS
        ]
    )


def registry_markdown() -> str:
    """The registry as a markdown table (the body of docs/footprint_signals.md)."""
    lines = [
        "| signal | definition | unit | direction (articles) | table | columns | planted in the synthetic bank |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in SIGNALS:
        cols = ", ".join(f"`{c}`" for c in s.columns)
        lines.append(f"| `{s.name}` | {s.definition} | {s.unit} | {s.direction} | `{s.table}` | {cols} | {s.planted} |")
    return "\n".join(lines) + "\n"


def _available(tables: Mapping[str, ir.Table], names) -> list[Signal]:
    def table(name):
        try:
            return tables[name]
        except (KeyError, DataError):
            return None

    if table("customers") is None:
        raise DataError("footprint: the bank has no 'customers' table")
    keep = []
    for name in names:
        s = _BY_NAME[name]
        t = table(s.table)
        if t is None:
            warnings.warn(
                f"footprint: signal '{s.name}' skipped: the data has no '{s.table}' table", SignalSkipped, stacklevel=3
            )
            continue
        missing = [c for c in (("customer_id",) + s.columns) if c not in t.columns]
        if missing:
            warnings.warn(
                f"footprint: signal '{s.name}' skipped: table '{s.table}' has no column(s) {', '.join(missing)}",
                SignalSkipped,
                stacklevel=3,
            )
            continue
        keep.append(s)
    return keep


def compute_signals(
    data, window: Period, *, branch: str | None = None, signals: list[str] | None = None
) -> pd.DataFrame:
    """Every signal of every customer over a window of days.

    Parameters
    ----------
    data : Bank, BankFiles, path, duckdb connection or Engine
        A bank (run on its one DuckDB connection), a connection with one view per table
        (:func:`crmstudy.features.connect`), or an :class:`~crmstudy.feature_defs.Engine`,
        e.g. ``feature_defs.backend("spark", bank)``.
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
        customer of the ``customers`` table, sorted by ``customer_id``
        (:func:`signal_table`, run).  Missing means "no trace to measure" (no fuel fills,
        no visits).

    Warns
    -----
    SignalSkipped
        For each signal whose table or column the data lacks.
    """
    names = list(signals) if signals is not None else [s.name for s in SIGNALS]
    unknown = [n for n in names if n not in _BY_NAME]
    if unknown:
        raise ParamsError(f"footprint: unknown signal(s) {', '.join(unknown)}; valid: {', '.join(_BY_NAME)}")
    eng = engine_of(data)
    chosen = [s.name for s in _available(eng.tables, names)]
    out = eng.to_pandas(signal_table(eng.tables, window, branch=branch, signals=chosen))
    return out.astype({n: "float64" for n in chosen})
