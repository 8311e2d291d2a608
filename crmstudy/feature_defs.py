"""Customer-level feature definitions, written once as Ibis expressions, run on DuckDB or Spark.

The definitions below take the bank's tables as Ibis table expressions and
return an Ibis table with one row per customer; nothing in them names an
engine.  :func:`backend` binds the tables to an engine:

- ``backend("duckdb", bank)`` (the default, used by :mod:`crmstudy.features`)
  reads the bank's Parquet or CSV files with DuckDB in this process;
- ``backend("spark", bank)`` reads the same files with Spark in local mode;
- ``backend("spark", session=spark, tables={...})`` uses a SparkSession
  connected to a cluster and existing (e.g. Hive) tables, by name.

See ``docs/spark.md`` for the cluster set-up.  The definitions:

:func:`customer_assets`
    ``ada`` (average daily assets), ``peak_assets`` (highest end-of-day total,
    found with a running sum over balance changes), ``end_assets``.
:func:`transaction_summary`
    ``n_txn``, ``amount_in``, ``amount_out``, ``n_categories``,
    ``digital_share``, ``counter_share``, ``third_party_out_share``,
    ``last_active_ts``.
:func:`product_summary`
    ``n_products``, ``n_product_lines`` held on the period's last day.
:func:`customer_features`
    The customers with the three above joined on, ``days_since_active``,
    ``dormant`` and ``coverage``: the reports' feature table, as one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd

from .bank import Bank
from .errors import DataError, ParamsError
from .period import Period
from .schema import BankFiles, find_bank
from .spark_session import spark_session

#: Channels counted as digital in the channel mix.
DIGITAL_CHANNELS = ("mobile_app", "online_banking", "wechat", "third_party", "phone_banking")
#: Channels counted as a visit to the counter.
COUNTER_CHANNELS = ("counter", "smart_counter")
#: The tables the definitions read.
TABLES = ("balances", "transactions", "holdings", "products", "customers")
#: Tables read too when the bank has them (the footprint signals of RM visits).
OPTIONAL_TABLES = ("visits",)
ENGINES = ("duckdb", "spark")


# --- the definitions ------------------------------------------------------------------------


def _bounds(period: Period) -> tuple[ir.TimestampScalar, ir.TimestampScalar]:
    """The period as ``[start, end)`` timestamp literals (the tables hold timestamps)."""

    def ts(d: date):
        return ibis.timestamp(datetime.combine(d, datetime.min.time()))

    return ts(period.start), ts(period.end_exclusive)


def _scoped(table: ir.Table, tables: Mapping[str, ir.Table], branch: str | None) -> ir.Table:
    """``table`` restricted to one branch's customers (unchanged for ``None``)."""
    if branch is None:
        return table
    cust = tables["customers"]
    return table.filter(table.customer_id.isin(cust.filter(cust.branch_id == branch).customer_id))


def customer_assets(tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None) -> ir.Table:
    """Average daily, peak and closing assets of every customer with a balance in the period.

    Balances are segments ``[valid_from, valid_to)`` of a constant end-of-day
    balance.  ``ada`` is balance x days inside the period over the period's
    days (days without a segment count as zero); ``peak_assets`` is the
    highest end-of-day total across products, found by a running sum over the
    changes at segment starts and ends (a hand-over between two products on
    one day nets out, so it is not a peak); ``end_assets`` is the total on
    the last day.

    Returns
    -------
    ibis.Table
        ``customer_id``, ``ada``, ``peak_assets``, ``end_assets``.
    """
    start, end = _bounds(period)
    b = _scoped(tables["balances"], tables, branch)
    b = b.filter(b.valid_to > start, b.valid_from < end)
    seg = b.select(b.customer_id, b.balance, f=ibis.greatest(b.valid_from, start), t=ibis.least(b.valid_to, end))
    level = seg.group_by("customer_id").aggregate(
        ada=(seg.balance * seg.t.delta(seg.f, unit="day")).sum() / period.days,
        end_assets=ibis.ifelse(seg.t == end, seg.balance, 0.0).sum(),
    )
    changes = seg.select("customer_id", d=seg.f, delta=seg.balance).union(
        seg.select("customer_id", d=seg.t, delta=-seg.balance), distinct=False
    )
    net = changes.group_by(["customer_id", "d"]).aggregate(delta=changes.delta.sum())
    running = net.mutate(level=net.delta.sum().over(ibis.cumulative_window(group_by=net.customer_id, order_by=net.d)))
    peak = running.filter(running.d < end).group_by("customer_id").aggregate(peak_assets=running.level.max())
    return level.join(peak, "customer_id").select("customer_id", "ada", "peak_assets", "end_assets")


def transaction_summary(tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None) -> ir.Table:
    """Per customer with a transaction in the period: count, amounts in/out, variety, channel mix, last activity.

    ``third_party_out_share`` is null for a customer with no outgoing amount;
    ``last_active_ts`` ignores payroll credits (source 001: a salary arriving is
    not business the customer does) and is null when nothing else happened.
    """
    start, end = _bounds(period)
    tx = _scoped(tables["transactions"], tables, branch)
    tx = tx.filter(tx.ts >= start, tx.ts < end)
    out = ibis.ifelse(tx.direction == "out", tx.amount, 0.0).sum()
    n = tx.count()
    return tx.group_by("customer_id").aggregate(
        n_txn=n,
        amount_in=ibis.ifelse(tx.direction == "in", tx.amount, 0.0).sum(),
        amount_out=out,
        n_categories=tx.merchant_category.nunique(),
        digital_share=ibis.ifelse(tx.channel.isin(DIGITAL_CHANNELS), 1, 0).sum() / n,
        counter_share=ibis.ifelse(tx.channel.isin(COUNTER_CHANNELS), 1, 0).sum() / n,
        third_party_out_share=(
            ibis.ifelse(tx.merchant_category == "third_party_transfer", tx.amount, 0.0).sum() / out.nullif(0.0)
        ),
        last_active_ts=tx.ts.max(where=tx.merchant_category != "payroll_in"),
    )


def product_summary(tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None) -> ir.Table:
    """Per customer: distinct products and product lines held on the period's last day.

    A holding counts if it opened before the period's end and is not closed
    by then (closing on the day after the period still counts).
    """
    _, end = _bounds(period)
    h = _scoped(tables["holdings"], tables, branch)
    h = h.filter(h.open_date < end, h.close_date.isnull() | (h.close_date >= end))
    p = tables["products"].select("product_id", "product_line")
    held = h.join(p, "product_id")
    return held.group_by("customer_id").aggregate(
        n_products=held.product_id.nunique(), n_product_lines=held.product_line.nunique()
    )


#: No customer-initiated transaction for this many days -> dormant (source 001/003).
DORMANT_DAYS = 180


def customer_features(tables: Mapping[str, ir.Table], period: Period, *, branch: str | None = None) -> ir.Table:
    """One row per customer: attributes, assets, activity, products and what follows, as one query.

    The columns of :func:`customer_assets`, :func:`transaction_summary` and
    :func:`product_summary`, joined on the customers.

    One query rather than three plus a merge, so that the engine plans the
    scans and aggregations together (DuckDB keeps both cores busy on one
    plan; Spark runs one job).  Customers without balances, transactions or
    holdings in the period get zeros (shares and ``last_active_ts`` stay null).

    Returns
    -------
    ibis.Table
        Every column of ``customers``, then ``ada``, ``peak_assets``, ``end_assets``,
        ``n_txn``, ``amount_in``, ``amount_out``, ``n_categories``, ``digital_share``,
        ``counter_share``, ``third_party_out_share``, ``last_active_ts``, ``n_products``,
        ``n_product_lines``, ``days_since_active`` (whole days from the last activity to
        the period's end; without any activity the days since opening, at most the
        period), ``dormant`` (``days_since_active`` of :data:`DORMANT_DAYS` or more, and
        a customer for that long) and ``coverage`` (product lines held / lines offered).
    """
    _, end = _bounds(period)
    cust = tables["customers"]
    if branch is not None:
        cust = cust.filter(cust.branch_id == branch)
    parts = [
        customer_assets(tables, period, branch=branch),
        transaction_summary(tables, period, branch=branch),
        product_summary(tables, period, branch=branch),
    ]
    out = cust
    for part in parts:
        out = out.left_join(part, "customer_id").drop("customer_id_right")
    zeros = {c: out[c].fill_null(0.0) for c in ("ada", "peak_assets", "end_assets", "amount_in", "amount_out")}
    counts = {c: out[c].fill_null(0).cast("int64") for c in ("n_txn", "n_categories", "n_products", "n_product_lines")}
    end_s = end.epoch_seconds()
    since_open = (end_s - out.open_date.cast("timestamp").epoch_seconds()) // 86400
    idle = (
        ((end_s - out.last_active_ts.epoch_seconds()) // 86400)
        .fill_null(ibis.least(since_open, period.days))
        .cast("float64")
    )
    n_lines = tables["products"].product_line.nunique().as_scalar()
    out = out.mutate(**zeros, **counts, days_since_active=idle)
    return out.mutate(
        dormant=(out.days_since_active >= DORMANT_DAYS) & (since_open >= DORMANT_DAYS),
        coverage=out.n_product_lines.cast("float64") / ibis.greatest(n_lines, 1),
    )


# --- binding the tables to an engine ------------------------------------------------------


#: A branch id's stand-in in a compiled query template (:meth:`Engine.sql`).
_PLACEHOLDER = "crmstudy-branch-placeholder-{}"
#: Compiled DuckDB SQL per query template (the query with its tables unbound and its branch ids as
#: placeholders): no branch's data, only the shape of a query, the tables' names and schemas and the
#: period's dates.  A warm worker keeps it across branches, and a process across banks of one schema.
_TEMPLATES: dict = {}
_MAX_TEMPLATES = 256


def _quoted(text: str) -> str:  # a SQL string literal
    return "'" + text.replace("'", "''") + "'"


def _query_template(expr: ir.Table):
    """``expr`` as a template, and the branch ids it names.

    Each table bound to a connection becomes an unbound table of the same name, schema and namespace
    (the SQL names a table, never its connection), and each ``branch_id == '<id>'`` literal a placeholder.
    """
    import ibis.expr.operations as ops

    node = expr.op()
    literals: list = []
    for eq in node.find(ops.Equals):
        for f, v in ((eq.left, eq.right), (eq.right, eq.left)):
            named = isinstance(f, ops.Field) and f.name == "branch_id"
            if named and isinstance(v, ops.Literal) and isinstance(v.value, str) and v not in literals:
                literals.append(v)
    stand_in = {lit: ops.Literal(_PLACEHOLDER.format(i), lit.dtype) for i, lit in enumerate(literals)}
    for table in node.find(ops.DatabaseTable):
        stand_in[table] = ops.UnboundTable(table.name, table.schema, table.namespace)
    return node.replace(stand_in), [lit.value for lit in literals]


@dataclass(frozen=True)
class Engine:
    """A bank's tables bound to one engine.

    Attributes
    ----------
    name : str
        ``"duckdb"`` or ``"spark"``.
    tables : mapping of str to ibis.Table
        One table expression per table (on DuckDB, every table of the
        connection, looked up when first used; on Spark, :data:`TABLES`).
    con : duckdb connection or ibis pyspark backend
        What runs the SQL: see :meth:`sql` for the query itself.
    """

    name: str
    tables: Mapping[str, ir.Table]
    con: Any = field(repr=False)
    _owns_session: bool = field(default=False, repr=False)

    def sql(self, expr: ir.Table) -> str:
        """The SQL this engine runs for ``expr``, in its own dialect.

        On DuckDB a query is compiled once per process and shape (:func:`_query_template`: its tables
        unbound, the branch it names as a placeholder): Ibis takes ~0.1-0.4 s a query.
        """
        if self.name != "duckdb":
            return ibis.to_sql(expr, dialect="pyspark")
        template, values = _query_template(expr)
        sql = _TEMPLATES.get(template)
        if sql is None:
            sql = ibis.to_sql(template.to_expr(), dialect="duckdb")
            if any(_quoted(_PLACEHOLDER.format(i)) not in sql for i in range(len(values))):
                return ibis.to_sql(expr, dialect="duckdb")  # the placeholder did not survive as a literal
            if len(_TEMPLATES) >= _MAX_TEMPLATES:
                _TEMPLATES.clear()
            _TEMPLATES[template] = sql
        for i, value in enumerate(values):
            sql = sql.replace(_quoted(_PLACEHOLDER.format(i)), _quoted(value))
        return sql

    def to_pandas(self, expr: ir.Table) -> pd.DataFrame:
        """Run ``expr`` and return its rows, sorted by ``customer_id`` when it has one."""
        if self.name == "duckdb":
            # Ibis 12's DuckDB backend calls Connection.fetch_arrow_table, gone in duckdb 2.0, so
            # DuckDB runs the SQL Ibis compiles (through SQLGlot) on the connection itself
            df = self.con.execute(self.sql(expr)).df()
        else:
            df = self.con.to_pandas(expr)
        if "customer_id" in df.columns:
            df = df.sort_values("customer_id", ignore_index=True)
        return df

    @property
    def session(self):
        """The SparkSession (``None`` on DuckDB)."""
        return self.con._session if self.name == "spark" else None

    def close(self) -> None:
        """Stop the Spark session if :func:`backend` started it; a session passed in is left running."""
        if self._owns_session:
            self.session.stop()


def backend(
    name: str = "duckdb",
    bank: Bank | BankFiles | str | Path | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    session=None,
    tables: Mapping[str, Any] | None = None,
    partitions: int = 4,
) -> Engine:
    """Bind the bank's tables to DuckDB or Spark.

    Parameters
    ----------
    name : {"duckdb", "spark"}
        The engine.
    bank : BankFiles or path, optional
        A bank folder, read from its Parquet (or CSV) files.  Not needed for
        DuckDB given ``con``, nor for Spark given ``tables``.
        A :class:`~crmstudy.bank.Bank` too: on DuckDB its one connection (:attr:`Bank.con`).
    con : duckdb connection, optional
        DuckDB only: a connection with one view per table
        (:func:`crmstudy.features.connect`); queries run on it as they are.
    session : pyspark.sql.SparkSession, optional
        Spark only: a session, e.g. connected to a cluster with Hive support.
        Without it a local session is started (:func:`spark_session`) and
        :meth:`Engine.close` stops it.
    tables : mapping, optional
        Spark only: crmstudy's table name -> the name Spark knows it by, e.g.
        ``{"balances": "dw.crm_balances", ...}`` for Hive tables, or a Spark
        DataFrame (to rename columns on the way).  Must cover :data:`TABLES`.
    partitions : int
        Spark's shuffle partitions for a local session (the default 200 is
        made for clusters and slows a laptop down).

    Returns
    -------
    Engine
        One table expression per table, and what runs them.

    Examples
    --------
    >>> import tempfile
    >>> from crmstudy.synth import preset_spec, synthesize
    >>> folder = tempfile.mkdtemp()
    >>> _ = synthesize(preset_spec("tiny"), folder)
    >>> eng = backend("duckdb", folder)
    >>> assets = eng.to_pandas(customer_assets(eng.tables, Period.of("2025-01-01", "2025-12-31")))
    >>> list(assets.columns), len(assets) > 1000
    (['customer_id', 'ada', 'peak_assets', 'end_assets'], True)
    """
    if isinstance(bank, Bank):
        if name == "duckdb" and con is None:
            con = bank.con
        bank = BankFiles(bank.root, bank.files, bank.meta)
    if name == "duckdb":
        if con is None:
            if bank is None:
                raise ParamsError("backend('duckdb'): give a bank folder or a DuckDB connection")
            con = duckdb_connection(bank)
        return Engine("duckdb", _DuckDBTables(con), con)
    if name == "spark":
        return _spark(bank, session=session, tables=tables, partitions=partitions)
    raise ParamsError(f"backend: engine must be one of {', '.join(ENGINES)}, got {name!r}")


def engine_of(data: Engine | duckdb.DuckDBPyConnection | Bank | BankFiles | str | Path) -> Engine:
    """The engine the definitions run on for ``data``.

    ``data`` itself when it is an :class:`Engine` (e.g. ``backend("spark", bank)``); DuckDB on
    a connection given (one view per table); else DuckDB on the bank's one connection
    (:attr:`crmstudy.bank.Bank.con`, the bank opened with :meth:`~crmstudy.bank.Bank.of`).
    """
    if isinstance(data, Engine):
        return data
    if isinstance(data, duckdb.DuckDBPyConnection):
        return backend("duckdb", con=data)
    return backend("duckdb", Bank.of(data))


def duckdb_connection(bank: BankFiles | str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one typed view per table of the bank (:mod:`crmstudy.views`)."""
    from .views import create_views

    if not isinstance(bank, BankFiles):
        bank = find_bank(bank)
    return create_views(duckdb.connect(":memory:"), bank)


class _DuckDBTables(Mapping):
    """The connection's tables and views as unbound Ibis tables, each looked up when first used.

    Lazily, so that a connection holding only the tables one definition reads
    (e.g. balances for :func:`customer_assets`) is enough for it.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con, self._seen = con, {}

    def __getitem__(self, table: str) -> ir.Table:
        if table not in self._seen:
            try:
                schema = self._con.sql(f'SELECT * FROM "{table}" LIMIT 0').to_arrow_table().schema
            except duckdb.CatalogException:
                raise DataError(
                    f"DuckDB connection: no table or view '{table}' (the feature definitions read {', '.join(TABLES)})"
                ) from None
            # the types DuckDB sees: Parquet gives TIMESTAMP, CSV may give DATE
            self._seen[table] = ibis.table(ibis.Schema.from_pyarrow(schema), name=table)
        return self._seen[table]

    def _names(self) -> list[str]:
        return [
            r[0]
            for r in self._con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def _spark(bank, *, session, tables, partitions) -> Engine:
    if tables is not None:
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise ParamsError(f"backend('spark'): 'tables' must name a Spark table for {', '.join(missing)}")
    elif bank is None:
        raise ParamsError("backend('spark'): give a bank folder or 'tables' (crmstudy table -> Spark table name)")
    else:
        bank = bank if isinstance(bank, BankFiles) else find_bank(bank)
    owns = session is None
    session = session or spark_session(partitions=partitions)
    if tables is not None:
        frames = {t: session.table(src) if isinstance(src, str) else src for t, src in tables.items()}
    else:
        frames = {t: _spark_read(session, bank.path(t)) for t in TABLES}
        frames.update({t: _spark_read(session, bank.path(t)) for t in OPTIONAL_TABLES if bank.has(t)})
    # temporary views named apart from the session's own tables and from other engines' views
    prefix = f"crmstudy_{uuid.uuid4().hex[:8]}_"
    for t, df in frames.items():
        df.createOrReplaceTempView(prefix + t)
    ib = ibis.pyspark.connect(session)
    return Engine("spark", {t: ib.table(prefix + t) for t in frames}, ib, _owns_session=owns)


def _spark_read(session, path: Path):
    if path.suffix == ".csv":
        return session.read.csv(path.as_posix(), header=True, inferSchema=True)
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    first = path if path.is_file() else sorted(path.glob("*.parquet"))[0]
    nanos = [f for f in pq.read_schema(first) if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]
    if not nanos:
        return session.read.parquet(path.as_posix())
    # pandas writes nanosecond timestamps, which Spark refuses ([PARQUET_TYPE_ILLEGAL]) unless told to
    # read them as integers; they are turned back into timestamps here, without a time-zone shift
    session.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    df = session.read.parquet(path.as_posix())
    for f in nanos:
        micros = f"`{f.name}` div 1000"
        if f.type.tz is None:
            ts = F.expr(f"timestampadd(MICROSECOND, {micros}, TIMESTAMP_NTZ'1970-01-01 00:00:00')")
        else:
            ts = F.expr(f"timestamp_micros({micros})")
        df = df.withColumn(f.name, ts)
    return df
