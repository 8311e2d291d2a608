"""A branch's rows of a bank-wide query: in a report run, the whole bank's rows computed once and split by branch.

A definition of :mod:`crmstudy.feature_defs` or :mod:`crmstudy.profit.drivers` restricted to one
branch (``branch=``) still scans the whole bank's balances or transactions: the tables are written
sorted by customer, and a branch's customers are spread through them.  On a million customers
that is a few seconds a query, and a branch report runs several (profit drivers, channel use, the
upgrades' base rate): 200 branches scan the same 55M transactions hundreds of times.

:func:`branch_rows` answers the same question from one pass: inside a report run (the run's folder
of bank-wide results is set, :mod:`crmstudy.runcache`), the first branch process that asks runs
the definition for the whole bank once, under the run's lock, and DuckDB writes its rows
partitioned by the customer's branch into that private folder (removed with the run's work
folder: it holds every customer); every branch then reads its own part only.  Outside a run, or
on Spark, the branch's query runs as it is.  Both give the same rows (``tests/test_branch_rows.py``).
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from . import runcache
from .bank import Bank

__all__ = ["branch_rows"]


def _definition(qualname: str):
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


@runcache.bankwide(maxsize=16)
def _bank_parts(bank: Bank, period, qualname: str, options: tuple) -> tuple[str, pd.DataFrame]:
    """Write the definition's rows for the whole bank, one folder per branch; the folder and the rows' empty frame.

    Run once per run (:func:`crmstudy.runcache.bankwide`: the first process computes, the others read
    the folder's name).  The rows without a branch (a customer the customers table lacks) are left
    out, as a branch's query leaves them out.
    """
    from .feature_defs import engine_of

    eng = engine_of(bank)
    expr = _definition(qualname)(eng.tables, period, **dict(options))
    sql = eng.sql(expr)
    folder = (
        Path(os.environ[runcache.ENV]) / f"parts-{runcache.key_of(_bank_parts, (bank, period, qualname, options), {})}"
    )
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    empty = eng.con.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0").df()
    try:  # the partition files hold the query's columns (DuckDB leaves the partition column out)
        eng.con.execute(
            f"COPY (SELECT c.branch_id AS _branch, q.* FROM ({sql}) AS q JOIN customers AS c USING (customer_id)) "
            f"TO {_quoted(tmp)} (FORMAT parquet, PARTITION_BY (_branch), COMPRESSION zstd)"
        )
        os.replace(tmp, folder)
    except (duckdb.Error, OSError):  # a full disk: every branch runs its own query instead, as outside a run
        shutil.rmtree(tmp, ignore_errors=True)
        return None, empty
    return str(folder), empty


def branch_rows(bank, definition, period, branch: str, **options) -> pd.DataFrame:
    """``definition(tables, period, branch=branch, **options)`` as a DataFrame, sorted by its columns.

    Parameters
    ----------
    bank : Bank or path
        The bank (DuckDB on its connection).
    definition : callable
        A module-level definition ``(tables, period, *, branch=None, **options) -> ibis.Table``
        whose rows have a ``customer_id``.
    period : Period
    branch : str
    **options
        Plain keyword arguments of the definition (``customer_initiated=True``).
    """
    from .feature_defs import engine_of

    bank = Bank.of(bank)
    eng = engine_of(bank)
    folder = os.environ.get(runcache.ENV)
    parts = None
    if folder and Path(folder).is_dir():
        qualname = f"{definition.__module__}.{definition.__qualname__}"
        parts, empty = _bank_parts(bank, period, qualname, tuple(sorted(options.items())))
    if parts is None:  # outside a run, or the bank-wide pass could not be written
        df = eng.to_pandas(definition(eng.tables, period, branch=branch, **options))
    else:
        # DuckDB reads the one folder whose name (URL-encoded by DuckDB) is the branch's
        sql = (
            f"SELECT * EXCLUDE (_branch) FROM read_parquet({_quoted(Path(parts) / '*' / '*.parquet')}, "
            "hive_partitioning = true, hive_types = {'_branch': VARCHAR}) WHERE _branch = ?"
        )
        df = eng.con.execute(sql, [branch]).df() if any(Path(parts).iterdir()) else empty
    return df.sort_values(list(df.columns), ignore_index=True, kind="stable")


def _quoted(path) -> str:
    """A path as an SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"
