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
    for m in (*MEASURES, "lines"):
        if m in df and df[m].dtype != "int64":
            if (df[m].abs() >= 2**53).any():
                raise DataError(f"profit roll-up: '{m}' is beyond exact float range")
            df[m] = df[m].astype("int64")
    return df


def _ibis_table(con, name: str) -> ir.Table:
    # categoricals arrive as ENUMs. DuckDB groups and counts them as they are (a cast to
    # VARCHAR in a view made every query about twice as slow as the hand-written SQL);
    # Ibis sees them as strings and the (small) result's key columns are made plain text.
    schema = con.sql(f"SELECT * FROM {name} LIMIT 0").to_arrow_table().schema
    plain = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in schema])
    return ibis.table(ibis.Schema.from_pyarrow(plain), name=name)


def _bind(profit, engine, *, accounts: bool = False):
    """The profit lines as an Ibis table on ``engine`` (a fresh DuckDB connection by default), and a runner.

    With ``accounts`` (DuckDB only), the table is the lines summed over the months once
    (:func:`_accounts_sql`), with their number in ``lines``: every level is a sum of those.
    """
    df = _lines(profit)
    text = [c for c in _DIMS if c in df and c != "month"]
    if engine is None or engine.name == "duckdb":
        con = duckdb.connect(":memory:")
        con.register("profit_lines", df)
        name = "profit_lines"
        if accounts:
            con.execute(f"CREATE TEMP TABLE profit_accounts AS {_accounts_sql(text)}")
            name = "profit_accounts"
        table = _ibis_table(con, name)

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


def _accounts_sql(dims: list[str]) -> str:
    """The lines summed over the months: one row per combination of the other columns, and its line count.

    No level groups by month, and every level's columns are among ``dims``, so a level summed
    from these rows has the same cents, line counts and distinct customers (``customer_id`` is
    one of ``dims``) as from the lines: integers, added in another order.
    """
    by = ", ".join(dims)
    sums = ", ".join(f"SUM({m})::BIGINT AS {m}" for m in MEASURES)
    return f"SELECT {by}, {sums}, COUNT(*)::BIGINT AS lines FROM profit_lines GROUP BY {by}"


def _summed_expr(acc: ir.Table, by) -> ir.Table:
    """:func:`rollup_expr` over :func:`_accounts_sql`'s rows: sums of sums, lines summed."""
    sums = {m: acc[m].sum().cast("int64") for m in MEASURES}
    return (
        acc.group_by(list(by))
        .aggregate(**sums, lines=acc.lines.sum().cast("int64"), customers=acc.customer_id.nunique())
        .order_by(list(by))
    )


def rollups(profit: Profit | pd.DataFrame, levels=None, *, engine=None) -> dict[str, pd.DataFrame]:
    """Every level of :data:`LEVELS` (or those named), on one connection.

    On DuckDB the lines are first summed over the months, once (an account's twelve
    months become one row), and every level sums those rows: the same integers as
    :func:`rollup` level by level, in a fraction of the time on a large bank.
    """
    names = list(levels or LEVELS)
    df = _lines(profit)
    summed = (engine is None or engine.name == "duckdb") and "customer_id" in df and len(names) > 1
    table, run = _bind(profit, engine, accounts=summed)
    expr = _summed_expr if summed else rollup_expr
    return {name: run(expr(table, LEVELS[name])).sort_values(list(LEVELS[name]), ignore_index=True) for name in names}


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
