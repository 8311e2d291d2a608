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

import warnings
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..errors import DataError, ParamsError, SignalSkipped
from ..feature_defs import _bounds, _scoped, engine_of
from ..features import Period
from ._bank import _ts
from .catalogue import _BY_NAME, SIGNALS
from .signal import Signal, Window

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
