"""The mapping file: how a bank's export becomes crmstudy's tables.

A mapping is YAML, checked by the pydantic models below before any file is
read.  One entry per target table names its source file, how to read it
(encoding, separator, decimal mark) and, per canonical column, where its value
comes from (a source column or a constant) and how to read it (date format,
code map).  ``balances`` may be *derived* from a transaction log's running
balance, from month-end snapshots or from daily balances.

Examples
--------
>>> m = Mapping.model_validate({
...     "bank": {"currency": "EUR"},
...     "tables": {"customers": {"file": "client.csv", "columns": {"customer_id": "client_id"}}},
... })
>>> m.tables["customers"].read.sep, m.bank.currency
('auto', 'EUR')
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import MappingError
from ..schema import SCHEMAS

__all__ = ["BankSpec", "Lookup", "Mapping", "ReadOptions", "TableSource", "load_mapping"]

#: Encodings a mapping may name (``auto`` detects one of them from the bytes).
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gbk", "gb18030", "gb2312", "big5", "latin-1", "cp1250", "cp1252")
#: Separators ``sep: auto`` chooses from.
SEPARATORS = (",", ";", "\t", "|")
#: Columns a mapping may fill besides the schema's: ``birth_date`` (customers: gives ``age``),
#: ``signed_amount`` (transactions: gives ``amount`` and ``direction``), and what a derived balance reads.
EXTRA_COLUMNS = {
    "customers": {"birth_date"},
    "transactions": {"signed_amount"},
    "balances": {"account_id", "date", "month", "sequence"},
}
#: Special date formats besides strftime patterns.
DATE_KINDS = ("auto", "excel", "epoch_s", "epoch_ms")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadOptions(_Model):
    """How to read one source file; ``defaults.read`` in the mapping applies to every file."""

    format: Literal["auto", "csv", "parquet", "excel"] = "auto"
    encoding: str = "auto"
    sep: str = "auto"
    decimal: str = "."
    thousands: str | None = None
    sheet: str | int | None = None
    skip_rows: int = Field(0, ge=0)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        v = v.lower().replace("_", "-")
        if v not in ENCODINGS:
            raise ValueError(f"expected one of {', '.join(ENCODINGS)}, got {v!r}")
        return v

    @field_validator("sep")
    @classmethod
    def _one_character(cls, v: str) -> str:
        v = "\t" if v in ("tab", "\\t") else v
        if v != "auto" and len(v) != 1:
            raise ValueError(f"expected one character, 'tab' or 'auto', got {v!r}")
        return v

    @field_validator("decimal")
    @classmethod
    def _decimal_mark(cls, v: str) -> str:
        if v not in (".", ","):
            raise ValueError(f"expected '.' or ',', got {v!r}")
        return v


class Lookup(_Model):
    """Columns taken from another file by key (a left join; the key must be unique in that file).

    ``filter`` keeps only the lookup rows whose column has one of the given values
    (e.g. a disposition table's ``type: [OWNER]``).
    """

    file: str
    on: str
    key: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data):
        # YAML 1.1 reads a bare `on:` key as true
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    take: list[str]
    filter: dict[str, list[str]] = {}
    read: ReadOptions = ReadOptions()


class TableSource(_Model):
    """One target table: its source file and where each canonical column comes from."""

    file: str
    read: ReadOptions = ReadOptions()
    columns: dict[str, str] = {}
    constants: dict[str, str | int | float | bool | None] = {}
    dates: dict[str, str] = {}
    codes: dict[str, dict[str, str]] = {}
    filter: dict[str, list[str]] = {}
    lookups: list[Lookup] = []
    derive: Literal["none", "running_balance", "snapshots", "daily"] = "none"
    resolution: Literal["day", "month"] = "day"
    currency_column: str | None = None

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_as_text(cls, v):
        # YAML reads 1: M as an int key; codes compare text with text
        if isinstance(v, dict):
            return {k: {str(a): str(b) for a, b in (m or {}).items()} for k, m in v.items()}
        return v

    @field_validator("filter", mode="before")
    @classmethod
    def _filter_as_text(cls, v):
        if isinstance(v, dict):
            return {k: [str(x) for x in (vals if isinstance(vals, list) else [vals])] for k, vals in v.items()}
        return v


class BankSpec(_Model):
    """What the export says about the bank as a whole."""

    name: str | None = None
    currency: str = Field(..., pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. CNY, EUR")
    period_start: date | None = None
    period_end: date | None = None
    max_dropped_share: float = Field(0.01, ge=0, le=1, description="share of a table's rows that may be dropped")
    negative_balances: Literal["clip", "refuse"] = "clip"

    @model_validator(mode="after")
    def _period_in_order(self):
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError("give both period_start and period_end, or neither")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class Mapping(_Model):
    """A whole mapping file: the bank, read defaults, and one source per target table."""

    bank: BankSpec
    defaults: dict[str, ReadOptions] = {}
    #: One source per table, or a list of sources whose rows are stacked (loans and cards into holdings).
    tables: dict[str, TableSource | list[TableSource]]
    #: The export's folder, relative to the mapping file (default: the mapping file's own folder).
    export: str = "."
    #: The mapping file's folder (set by :func:`load_mapping`).
    root: Path = Path(".")

    def sources(self, table: str) -> list[TableSource]:
        """The sources of ``table`` (empty when the mapping does not map it)."""
        src = self.tables.get(table, [])
        return src if isinstance(src, list) else [src]

    @property
    def base(self) -> Path:
        """The folder source files are relative to."""
        return (self.root / self.export).resolve()

    @field_validator("defaults")
    @classmethod
    def _only_read(cls, v):
        if set(v) - {"read"}:
            raise ValueError(f"only 'read' may have defaults, got {', '.join(sorted(set(v) - {'read'}))}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _apply_read_defaults(cls, data):
        # each table's (and lookup's) read options start from defaults.read
        if not isinstance(data, dict):
            return data
        common = ((data.get("defaults") or {}).get("read")) or {}
        if not isinstance(common, dict) or not isinstance(data.get("tables"), dict):
            return data

        def with_defaults(src):
            if isinstance(src, dict):
                src = {**src, "read": {**common, **(src.get("read") or {})}}
                if isinstance(src.get("lookups"), list):
                    src["lookups"] = [
                        {**lk, "read": {**common, **(lk.get("read") or {})}} if isinstance(lk, dict) else lk
                        for lk in src["lookups"]
                    ]
            return src

        tables = {
            name: [with_defaults(s) for s in src] if isinstance(src, list) else with_defaults(src)
            for name, src in data["tables"].items()
        }
        return {**data, "tables": tables}

    @model_validator(mode="after")
    def _known_tables_and_columns(self):
        for table in self.tables:
            if table not in SCHEMAS or table == "truth":
                raise ValueError(f"tables.{table}: unknown table; expected one of {', '.join(_TARGETS)}")
            if not self.sources(table):
                raise ValueError(f"tables.{table}: an empty list; expected a source (file, columns ...)")
        for table, src in ((t, s) for t in self.tables for s in self.sources(t)):
            allowed = set(SCHEMAS[table].columns) | EXTRA_COLUMNS.get(table, set())
            for part in ("columns", "constants", "dates", "codes"):
                bad = sorted(set(getattr(src, part)) - allowed)
                if bad:
                    raise ValueError(
                        f"tables.{table}.{part}.{bad[0]}: not a column of '{table}'; expected one of "
                        f"{', '.join(sorted(allowed))}"
                    )
            both = sorted(set(src.columns) & set(src.constants))
            if both:
                raise ValueError(f"tables.{table}.constants.{both[0]}: also in columns; give one or the other")
            if src.derive != "none" and table != "balances":
                raise ValueError(f"tables.{table}.derive: only balances can be derived")
            for col, fmt in src.dates.items():
                if fmt not in DATE_KINDS and "%" not in fmt:
                    raise ValueError(
                        f"tables.{table}.dates.{col}: expected a strftime format such as %Y%m%d or one of "
                        f"{', '.join(DATE_KINDS)}, got {fmt!r}"
                    )
        if "customers" not in self.tables:
            raise ValueError("tables.customers: missing; every bank needs its customers")
        return self


_TARGETS = [t for t in SCHEMAS if t != "truth"]


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; source files are then relative to its folder.

    Raises
    ------
    MappingError
        One line naming the mapping file and the key, and what was expected.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except UnicodeDecodeError:
        raise MappingError(f"{path}: mapping file is not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise MappingError(f"{path}: not valid YAML{where}: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a mapping with keys 'bank' and 'tables'")
    try:
        return Mapping.model_validate({**data, "root": path.resolve().parent})
    except ValidationError as e:
        raise MappingError(f"{path}: {_first_problem(e)}") from None


def _first_problem(err: ValidationError) -> str:
    first = err.errors()[0]
    # a table is one source or a list of them: pydantic names the union member tried, which a reader need not see
    key = ".".join(str(p) for p in first["loc"] if p not in ("TableSource", "list[TableSource]"))
    msg = first["msg"].removeprefix("Value error, ")
    if msg.startswith("tables."):  # a model check that already names its key
        return msg
    if first["type"] == "extra_forbidden":
        return f"'{key}': unknown key (see docs/own_data.md for the keys a mapping has)"
    got = first.get("input")
    plain = first["type"] != "missing" and not isinstance(got, dict | list) and "got " not in msg
    shown = f", got {got!r}" if plain else ""
    return f"'{key}': {msg}{shown}" if key else msg
