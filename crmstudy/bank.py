"""A bank opened once: its files, fingerprint, one DuckDB connection, its period and currency.

Every analysis takes a :class:`Bank` (or dataframes); a path given instead is
opened here, once, with :meth:`Bank.of`.  A report run opens the bank at the
edge and passes the same object down, so that the files are located once, the
fingerprint is hashed once and every query runs on one connection.

Examples
--------
>>> import tempfile
>>> import crmstudy as crm
>>> from crmstudy.synth import preset_spec, synthesize
>>> folder = tempfile.mkdtemp()
>>> _ = synthesize(preset_spec("tiny"), folder)
>>> bank = crm.Bank.open(folder)
>>> bank.period.days, bank.currency, bank.branch_ids
(365, 'CNY', ['B001', 'B002', 'B003'])
>>> crm.Bank.of(bank) is bank  # an open bank is passed on, never opened again
True
"""

from __future__ import annotations

import functools
import html
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd

from .errors import DataError, ParamsError
from .period import Period
from .schema import BankFiles, data_fingerprint, empty_table, find_bank, read_table

__all__ = ["Bank"]


class Bank:
    """One bank's tables on disk, opened once.

    Parameters
    ----------
    files : BankFiles
        Where each table lives (:func:`crmstudy.schema.find_bank`).

    Attributes
    ----------
    root : Path
        The bank folder.
    meta : dict
        ``bank.json`` (seed, preset, period, currency) or empty for a bank's own data.
    """

    def __init__(self, files: BankFiles):
        self._files = files
        self._available: dict[tuple, bool] = {}

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> Bank:
        """Locate the tables of the bank in ``path`` (Parquet, else CSV); reads no rows yet."""
        return cls(find_bank(path))

    @classmethod
    def of(cls, data: Bank | BankFiles | str | Path) -> Bank:
        """``data`` itself when it is a Bank, else the bank it names, opened."""
        if isinstance(data, Bank):
            return data
        if isinstance(data, BankFiles):
            return cls(data)
        return cls.open(data)

    # --- what BankFiles offers, so that either can be passed to the schema's readers ---------

    @property
    def root(self) -> Path:
        """The bank folder."""
        return self._files.root

    @property
    def files(self) -> dict[str, Path]:
        """Table name -> its file or folder of parts."""
        return self._files.files

    @property
    def meta(self) -> dict:
        """``bank.json`` (seed, preset, period, currency); empty for a bank's own data."""
        return self._files.meta

    def path(self, table: str) -> Path:
        """The file (or folder of parts) of ``table``; DataError naming the folder if it has none."""
        return self._files.path(table)

    def has(self, table: str) -> bool:
        """Whether the bank has a file for ``table`` (only customers and balances are required)."""
        return self._files.has(table)

    # --- computed once ---------------------------------------------------------------------------

    @functools.cached_property
    def fingerprint(self) -> str:
        """sha256 over the bytes of every table file (16 hex digits), hashed on first use only."""
        return data_fingerprint(self._files)

    @functools.cached_property
    def _passed_checks(self) -> bool:
        """These bytes passed every check before (the run's planning): reads coerce types, not re-check values."""
        from .bank_checks import passed_checks

        return passed_checks(self)

    @functools.cached_property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The bank's one in-memory DuckDB connection, one view per table."""
        from .feature_defs import duckdb_connection

        return duckdb_connection(self._files)

    @functools.cached_property
    def period(self) -> Period:
        """The bank's own period: ``bank.json``'s, else the span of its balances."""
        if "period_start" in self.meta or "period_end" in self.meta:
            try:
                return Period.of(self.meta.get("period_start"), self.meta.get("period_end"))
            except ParamsError as e:  # name the file the period came from, not a parameter
                raise DataError(f"{self.root / 'bank.json'}: period_start/period_end: {e}") from None
        # CAST: Parquet gives TIMESTAMP, CSV gives DATE; valid_to is exclusive in both
        lo, hi = self.con.execute(
            "SELECT CAST(MIN(valid_from) AS DATE), CAST(MAX(valid_to) AS DATE) FROM balances"
        ).fetchall()[0]
        if lo is None:
            raise DataError(f"{self.path('balances')}: table 'balances' is empty; cannot infer the period")
        return Period(lo, hi - timedelta(days=1))

    @property
    def currency(self) -> str:
        """ISO code of the amounts (``bank.json``'s ``currency``; CNY by default, as the synthetic bank's)."""
        return str(self.meta.get("currency", "CNY"))

    @functools.cached_property
    def branches(self) -> pd.DataFrame:
        """The branches table, validated; without one, the branch ids of the customers (named by their ids)."""
        if self.has("branches"):
            return read_table(self._files, "branches")
        ids = self.con.execute(
            "SELECT DISTINCT branch_id FROM customers WHERE branch_id IS NOT NULL ORDER BY 1"
        ).fetchall()
        df = empty_table("branches").reindex(range(len(ids)))
        df["branch_id"] = [r[0] for r in ids]
        df["branch_name"] = df["branch_id"]
        return df

    def available(self, table: str, column: str | None = None) -> bool:
        """Whether the bank has ``table`` with a row (and ``column`` with a value): a report section's input.

        A header-only file counts as absent, and so does a column left out or empty in every row.
        """
        key = (table, column)
        if key not in self._available:
            ok = self.has(table)
            if ok and column is not None:
                ok = column in [r[0] for r in self.con.execute(f'DESCRIBE SELECT * FROM "{table}"').fetchall()]
            if ok:
                where = f'WHERE "{column}" IS NOT NULL' if column else ""
                ok = bool(self.con.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}" {where})').fetchall()[0][0])
            self._available[key] = ok
        return self._available[key]

    @property
    def branch_ids(self) -> list[str]:
        """The branch ids, sorted."""
        return sorted(self.branches["branch_id"].tolist())

    @functools.cached_property
    def customer_count(self) -> int:
        """Customers of the whole bank."""
        return int(self.con.execute("SELECT COUNT(*) FROM customers").fetchall()[0][0])

    # --- reading ----------------------------------------------------------------------------------

    def read(self, table: str, *, columns: list[str] | None = None, validate: bool = True, rows=None) -> pd.DataFrame:
        """One table as a DataFrame, checked against its schema (see :func:`crmstudy.schema.read_table`).

        A table the bank does not have (staff, products, ... are optional) is zero rows of its columns.
        ``rows=(column, values)``: only the rows whose ``column`` is one of ``values`` (a branch's
        customers: ``rows=("branch_id", ["B001"])``), the whole table's rows in its order.
        """
        if not self.has(table) and table != "truth":
            df = empty_table(table)
            return df[columns] if columns else df
        return read_table(
            self._files, table, columns=columns, validate=validate, checked=self._passed_checks, rows=rows
        )

    def sql(self, query: str, params: dict | list | None = None) -> pd.DataFrame:
        """Run SQL on the bank's connection (one view per table) and return a DataFrame."""
        return self.con.execute(query, params).df() if params is not None else self.con.execute(query).df()

    def __repr__(self) -> str:
        return f"Bank({str(self.root)!r}, tables={sorted(self.files)})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(t)}</td><td>{html.escape(p.name)}</td></tr>" for t, p in sorted(self.files.items())
        )
        meta = ", ".join(f"{k}: {v}" for k, v in self.meta.items() if k in ("preset", "seed", "null", "currency"))
        return (
            f"<p><b>Bank</b> {html.escape(str(self.root))}"
            f"{' (' + html.escape(meta) + ')' if meta else ''}</p>"
            f"<table><tr><th>table</th><th>file</th></tr>{rows}</table>"
        )
