"""The bank's tables as typed DuckDB views: every query reads the same types, whatever the files hold.

A bank's own export differs from the synthetic bank in ways the analyses must
not see: ids stored as whole numbers (always so in CSV), dates stored as text
in Parquet, an optional column left out, an empty text column, a table the bank
does not have.  Each view casts every column of the table's schema to its one
type (ids and codes to text, dates to timestamps, amounts to doubles), adds an
optional column the file left out as a typed NULL, and a table the analyses
read but the bank lacks (transactions, holdings, products) is an empty view of
the same columns.  Columns the schema does not know pass through unchanged.

The casts agree with :mod:`crmstudy.checks`: data that passed ``validate``
casts without error.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .schema import SCHEMAS, BankFiles, column_kind

__all__ = ["EMPTY_WHEN_MISSING", "create_views", "source_sql"]

#: Tables the feature definitions read: a bank without one gets an empty view of its columns.
EMPTY_WHEN_MISSING = ("transactions", "holdings", "products", "staff", "branches")

_SQL_TYPE = {"text": "VARCHAR", "date": "TIMESTAMP", "float": "DOUBLE", "int": "SMALLINT", "bool": "BOOLEAN"}


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def source_sql(path: Path) -> str:
    """The DuckDB table function that reads ``path``: CSV as text (cast per column), Parquet as stored."""
    p = path.as_posix().replace("'", "''")
    if path.is_dir():
        if any(path.glob("*.csv")):
            return f"read_csv('{p}/*.csv', header=true, all_varchar=true, delim=',', union_by_name=true)"
        return f"read_parquet('{p}/*.parquet', union_by_name=true)"
    if path.suffix == ".csv":
        return f"read_csv('{p}', header=true, all_varchar=true, delim=',')"
    return f"read_parquet('{p}')"


def _cast(column: str, kind: str, stored: str | None, dtype: str = "") -> str:
    """The SQL giving ``column`` its schema type from what the file stores (``stored``: DuckDB's type)."""
    col = _q(column)
    int_type = {"int32": "INTEGER", "int64": "BIGINT"}.get(dtype.lower(), "SMALLINT")
    if stored is None:
        sql_type = int_type if kind == "int" else _SQL_TYPE.get(kind, "VARCHAR")
        return f"CAST(NULL AS {sql_type}) AS {col}"
    stored = stored.upper()
    if kind == "key":
        return col
    if kind == "text":
        if stored in ("FLOAT", "DOUBLE") or stored.startswith("DECIMAL"):  # whole numbers stored as floats
            return f"CAST(CAST({col} AS BIGINT) AS VARCHAR) AS {col}"
        return f"CAST({col} AS VARCHAR) AS {col}"
    if kind == "date":
        if stored.startswith("TIMESTAMP WITH"):
            return f"CAST(timezone('UTC', {col}) AS TIMESTAMP) AS {col}"
        if stored == "VARCHAR":
            return f"CAST(TRIM({col}) AS TIMESTAMP) AS {col}"
        return f"CAST({col} AS TIMESTAMP) AS {col}"
    if kind == "int":
        return f"CAST(CAST({col} AS DOUBLE) AS {int_type}) AS {col}"
    return f"CAST({col} AS {_SQL_TYPE[kind]}) AS {col}"


def view_sql(table: str, path: Path | None, con: duckdb.DuckDBPyConnection) -> str:
    """``SELECT`` of ``table`` in its schema's types (an empty one when the bank has no file for it)."""
    columns = SCHEMAS[table].columns
    if path is None:
        casts = ", ".join(_cast(c, column_kind(table, c), None, str(columns[c].dtype)) for c in columns)
        return f"SELECT {casts} WHERE false"
    src = source_sql(path)
    stored = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    casts = [_cast(c, column_kind(table, c), stored.get(c), str(columns[c].dtype)) for c in columns]
    rest = [_q(c) for c in stored if c not in columns]
    return f"SELECT {', '.join(casts + rest)} FROM {src}"


def create_views(con: duckdb.DuckDBPyConnection, bank: BankFiles) -> duckdb.DuckDBPyConnection:
    """One typed view per table of ``bank`` on ``con`` (and an empty one for each of :data:`EMPTY_WHEN_MISSING`)."""
    for table in SCHEMAS:
        path = bank.files.get(table)
        if path is None and table not in EMPTY_WHEN_MISSING:
            continue
        con.execute(f"CREATE OR REPLACE VIEW {_q(table)} AS {view_sql(table, path, con)}")
    return con
