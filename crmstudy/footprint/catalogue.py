"""The footprint signal registry (source 002): every behavioural trace crmstudy measures, documented.

A data catalogue: each :class:`~crmstudy.footprint.signal.Signal` names its source rows, its
Ibis measure over one customer's rows in a window, its unit, the direction in which it
should point and what the synthetic bank plants.  docs/footprint_signals.md is generated
from it (:func:`crmstudy.footprint.signals.registry_markdown`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from .signal import Signal

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
