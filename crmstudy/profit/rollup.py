"""Profit rolled up by customer, product, channel, branch, RM and tier: exactly additive, on DuckDB or Spark.

The profit lines (:func:`~crmstudy.profit.contribution`) are whole cents, so a
roll-up is a sum of integers: every level adds up to the bank's total to the
cent, and the same definition gives the same cents on every engine.  The
roll-up is one Ibis expression (:func:`rollup_expr`); :func:`rollup` runs it on
a DuckDB connection of its own by default, or on the engine given
(``crmstudy.feature_defs.backend("spark", ...)``).
"""

from __future__ import annotations

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from ..errors import DataError
from .contribution import MEASURES, Profit

__all__ = ["LEVELS", "check_additive", "rollup", "rollup_expr", "rollups"]

#: The roll-up levels of source 004 (customer, product, channel, branch, employee) and tier.
LEVELS: dict[str, tuple[str, ...]] = {
    "customer": ("customer_id",),
    "product": ("product_id",),
    "channel": ("sales_channel",),
    "branch": ("branch_id",),
    "rm": ("staff_id",),
    "tier": ("tier",),
    "branch_product": ("branch_id", "product_id"),
    "branch_tier": ("branch_id", "tier"),
}
_DIMS = ("customer_id", "product_id", "month", "branch_id", "staff_id", "tier", "sales_channel")


def rollup_expr(lines: ir.Table, by: tuple[str, ...] | list[str]) -> ir.Table:
    """The profit lines summed by ``by``: every measure (int64 cents), accounts and customers.

    Examples
    --------
    >>> t = ibis.table({"branch_id": "string", "customer_id": "string", "product_id": "string",
    ...                 **{m: "int64" for m in MEASURES}}, name="lines")
    >>> rollup_expr(t, ["branch_id"]).columns[:3]
    ('branch_id', 'interest', 'fees')
    """
    missing = [c for c in by if c not in lines.columns]
    if missing:
        raise DataError(f"profit roll-up: the profit lines have no column(s) {', '.join(missing)}")
    sums = {m: lines[m].sum().cast("int64") for m in MEASURES}
    return (
        lines.group_by(list(by))
        .aggregate(**sums, lines=lines.count(), customers=lines.customer_id.nunique())
        .order_by(list(by))
    )


def _lines(profit: Profit | pd.DataFrame) -> pd.DataFrame:
    return profit.lines if isinstance(profit, Profit) else profit


def _ints(df: pd.DataFrame) -> pd.DataFrame:
    # DuckDB sums BIGINT into HUGEINT, which pandas receives as float64: exact below 2**53 cents
    for m in MEASURES:
        if m in df and df[m].dtype != "int64":
            if (df[m].abs() >= 2**53).any():
                raise DataError(f"profit roll-up: '{m}' is beyond exact float range")
            df[m] = df[m].astype("int64")
    return df


def _bind(profit, engine):
    """The profit lines as an Ibis table on ``engine`` (a fresh DuckDB connection by default), and a runner."""
    df = _lines(profit)
    text = [c for c in _DIMS if c in df and c != "month"]
    if engine is None or engine.name == "duckdb":
        con = duckdb.connect(":memory:")
        con.register("profit_lines", df)
        # categoricals arrive as ENUMs. DuckDB groups and counts them as they are (a cast to
        # VARCHAR in a view made every query about twice as slow as the hand-written SQL);
        # Ibis sees them as strings and the (small) result's key columns are made plain text.
        schema = con.sql("SELECT * FROM profit_lines LIMIT 0").to_arrow_table().schema
        plain = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in schema])
        table = ibis.table(ibis.Schema.from_pyarrow(plain), name="profit_lines")

        def run(expr):
            out = con.execute(ibis.to_sql(expr, dialect="duckdb")).df()
            for c in out.columns:
                if isinstance(out[c].dtype, pd.CategoricalDtype):
                    out[c] = out[c].astype(str)
            return _ints(out)

        return table, run
    session = engine.session
    name = f"crmstudy_profit_lines_{id(df):x}"
    plain = df.astype({c: str for c in text})
    session.createDataFrame(plain).createOrReplaceTempView(name)
    return engine.con.table(name), lambda expr: _ints(engine.con.to_pandas(expr))


def rollup(profit: Profit | pd.DataFrame, by, *, engine=None) -> pd.DataFrame:
    """Profit summed by the columns ``by`` (or a name of :data:`LEVELS`), in cents.

    Parameters
    ----------
    profit : Profit or pd.DataFrame
        The profit lines.
    by : str or sequence of str
        A level of :data:`LEVELS` (``"branch"``) or columns of the lines.
    engine : crmstudy.feature_defs.Engine, optional
        Where the sums run: DuckDB by default, Spark if given one.
    """
    cols = LEVELS.get(by, (by,)) if isinstance(by, str) else tuple(by)
    table, run = _bind(profit, engine)
    return run(rollup_expr(table, cols)).sort_values(list(cols), ignore_index=True)


def rollups(profit: Profit | pd.DataFrame, levels=None, *, engine=None) -> dict[str, pd.DataFrame]:
    """Every level of :data:`LEVELS` (or those named), on one connection."""
    table, run = _bind(profit, engine)
    names = list(levels or LEVELS)
    return {
        name: run(rollup_expr(table, LEVELS[name])).sort_values(list(LEVELS[name]), ignore_index=True) for name in names
    }


def check_additive(profit: Profit | pd.DataFrame, rolled: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Check that every level adds up to the lines' total to the cent; return the totals.

    Raises
    ------
    DataError
        Naming the level and measure that do not add up.
    """
    lines = profit.lines if isinstance(profit, Profit) else profit
    totals = {m: int(lines[m].sum()) for m in MEASURES}
    for name, df in rolled.items():
        for m in MEASURES:
            got = int(df[m].astype("int64").sum())
            if got != totals[m]:
                raise DataError(f"profit roll-up '{name}': {m} sums to {got} cents, the lines to {totals[m]}")
    return totals
