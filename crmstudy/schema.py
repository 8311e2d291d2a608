"""Table schemas, and loading and checking a bank's folder of files.

The schemas are pandera models; the data dictionary in docs/data_dictionary.md
describes each column (type, unit, meaning).  Data is checked when it is
written and when a user's own folder is loaded; a failure is one line naming
the file, table, column and problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from .errors import DataError

_DATE = "datetime64[ms]"


def _str(**kw):
    return pa.Column(str, **kw)


def _is_key(s: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(s) or pd.api.types.is_string_dtype(s)


def _key(**kw):
    """A record key, kept as it comes: whole numbers (the synthetic bank's int64) or text (a bank's own ids)."""
    return pa.Column(None, checks=pa.Check(_is_key, error="must be whole numbers or text"), **kw)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "branches": pa.DataFrameSchema(
        {
            "branch_id": _str(unique=True),
            "branch_name": _str(),
            "branch_name_zh": pa.Column(str, nullable=True, required=False),
            "region": _str(),
            "area_type": _str(checks=pa.Check.isin(["urban", "county", "rural"])),
        },
        strict="filter",
        coerce=True,
    ),
    "staff": pa.DataFrameSchema(
        {
            "staff_id": _str(unique=True),
            "branch_id": _str(),
            "role": _str(
                checks=pa.Check.isin(
                    ["president", "vice_president", "wealth_manager", "customer_manager", "lobby_manager", "other"]
                )
            ),
            "start_date": pa.Column(_DATE),
            "leave_date": pa.Column(_DATE, nullable=True),
        },
        strict="filter",
        coerce=True,
    ),
    "customers": pa.DataFrameSchema(
        {
            "customer_id": _str(unique=True),
            "masked_name": _str(),
            "branch_id": _str(),
            "age": pa.Column("int16", checks=pa.Check.in_range(16, 110)),
            "gender": _str(checks=pa.Check.isin(["F", "M"])),
            "occupation": _str(),
            "income_band": _str(),
            "acquisition_group": _str(checks=pa.Check.isin(["lobby", "stock", "outreach"])),
            "life_group": _str(),
            "open_date": pa.Column(_DATE),
            "owner_staff_id": _str(),
            "external_credit_lines": pa.Column("Int16", nullable=True, required=False, checks=pa.Check.ge(0)),
        },
        strict="filter",
        coerce=True,
    ),
    "products": pa.DataFrameSchema(
        {
            "product_id": _str(unique=True),
            "product_name": _str(),
            "product_name_zh": _str(),
            "product_line": _str(),
            "kind": _str(checks=pa.Check.isin(["asset", "credit", "service"])),
            "base_rate": pa.Column(float, nullable=True),
        },
        strict="filter",
        coerce=True,
    ),
    "holdings": pa.DataFrameSchema(
        {
            "customer_id": _str(),
            "product_id": _str(),
            "open_date": pa.Column(_DATE),
            "close_date": pa.Column(_DATE, nullable=True),
            "amount": pa.Column(float, checks=pa.Check.ge(0)),
            "delinquent_date": pa.Column(_DATE, nullable=True),
        },
        strict="filter",
        coerce=True,
    ),
    "balances": pa.DataFrameSchema(
        {
            "customer_id": _str(),
            "product_id": _str(),
            "valid_from": pa.Column(_DATE),
            "valid_to": pa.Column(_DATE),
            "balance": pa.Column(float, checks=pa.Check.ge(0)),
        },
        strict="filter",
        coerce=True,
        checks=pa.Check(lambda d: d["valid_to"] > d["valid_from"], error="valid_to must be after valid_from"),
    ),
    "transactions": pa.DataFrameSchema(
        {
            "txn_id": _key(),
            "customer_id": _str(),
            "ts": pa.Column(_DATE),
            "amount": pa.Column(float, checks=pa.Check.ge(0)),
            "direction": _str(checks=pa.Check.isin(["in", "out"])),
            "channel": _str(),
            "merchant_category": _str(),
            "fuel_grade": pa.Column("Int16", nullable=True),
            "fuel_litres": pa.Column(float, nullable=True),
        },
        strict="filter",
        coerce=True,
    ),
    "visits": pa.DataFrameSchema(
        {
            "visit_id": _key(),
            "visit_date": pa.Column(_DATE),
            "staff_id": _str(),
            "customer_id": _str(),
            "contact_type": _str(),
            "attitude": _str(checks=pa.Check.isin(["positive", "neutral", "negative"])),
            "feedback_code": _str(),
            "outcome": _str(),
        },
        strict="filter",
        coerce=True,
    ),
    "truth": pa.DataFrameSchema(
        {
            "customer_id": _str(unique=True),
            "true_wealth": pa.Column(float),
            "bank_assets": pa.Column(float),
            "value_potential": pa.Column(float),
            "risk_propensity": pa.Column(float),
            "churn_hazard": pa.Column(float),
            "churned": pa.Column(bool),
            "dormant": pa.Column(bool),
        },
        strict=False,
        coerce=True,
    ),
}
# --- account economics and campaigns (optional: a bank without them has no profit sections) ---
_RATE = {"checks": pa.Check.in_range(0, 1)}
SCHEMAS.update(
    {
        "pricing": pa.DataFrameSchema(
            {
                "product_id": _str(),
                "term_months": pa.Column("int32", checks=pa.Check.ge(0)),
                "customer_rate": pa.Column(float, **_RATE),
                "ftp_rate": pa.Column(float, **_RATE),
                "fee_rate": pa.Column(float, **_RATE),
                "annual_fee": pa.Column(float, checks=pa.Check.ge(0)),
                "account_cost": pa.Column(float, checks=pa.Check.ge(0)),
                "drawn_share": pa.Column(float, **_RATE),
                "pd": pa.Column(float, **_RATE),
                "lgd": pa.Column(float, **_RATE),
            },
            strict="filter",
            coerce=True,
            unique=["product_id", "term_months"],
        ),
        "channel_costs": pa.DataFrameSchema(
            {
                "channel": _str(unique=True),
                "cost_per_txn": pa.Column(float, checks=pa.Check.ge(0)),
                "teller_minutes": pa.Column(float, checks=pa.Check.ge(0), nullable=True, required=False),
            },
            strict="filter",
            coerce=True,
        ),
        "staff_costs": pa.DataFrameSchema(
            {
                "role": _str(unique=True),
                "annual_cost": pa.Column(float, checks=pa.Check.ge(0)),
                "relationship_share": pa.Column(float, **_RATE),
            },
            strict="filter",
            coerce=True,
        ),
        "branch_operations": pa.DataFrameSchema(
            {
                "branch_id": _str(),
                "month": pa.Column(_DATE),
                "counter_staff": pa.Column("int32", checks=pa.Check.ge(0)),
                "counter_staff_hours": pa.Column(float, checks=pa.Check.ge(0)),
            },
            strict="filter",
            coerce=True,
        ),
        "accounts": pa.DataFrameSchema(
            {
                "customer_id": _str(),
                "product_id": _str(),
                "term_months": pa.Column("int32", checks=pa.Check.ge(0)),
                "customer_rate": pa.Column(float, **_RATE),
                "sales_channel": _str(),
            },
            strict="filter",
            coerce=True,
        ),
        "campaigns": pa.DataFrameSchema(
            {
                "campaign_id": _str(unique=True),
                "campaign_name": _str(),
                "offer_product_id": _str(),
                "channel": _str(),
                "start_date": pa.Column(_DATE),
                "end_date": pa.Column(_DATE),
                "target_rule": _str(),
                "control_share": pa.Column(float, **_RATE),
            },
            strict="filter",
            coerce=True,
        ),
        "campaign_contacts": pa.DataFrameSchema(
            {
                "campaign_id": _str(),
                "customer_id": _str(),
                "group": _str(checks=pa.Check.isin(["treated", "control"])),
                "contact_date": pa.Column(_DATE, nullable=True),
                "took_up": pa.Column(bool),
                "take_up_date": pa.Column(_DATE, nullable=True),
                "amount": pa.Column(float, checks=pa.Check.ge(0)),
            },
            strict="filter",
            coerce=True,
        ),
    }
)
ECONOMICS_TABLES = (
    "pricing",
    "channel_costs",
    "staff_costs",
    "branch_operations",
    "accounts",
    "campaigns",
    "campaign_contacts",
)
REQUIRED_TABLES = ("branches", "staff", "customers", "products", "holdings", "balances", "transactions")
OPTIONAL_TABLES = ("visits", "truth", *ECONOMICS_TABLES)


def validate_table(df: pd.DataFrame, table: str, *, source: str | Path = "<memory>") -> pd.DataFrame:
    """Check ``df`` against the schema of ``table``; return it coerced.

    Raises
    ------
    DataError
        One line: ``<source>: table '<table>', column '<col>': <problem>``.
    """
    schema = SCHEMAS[table]
    missing = [
        c
        for c in schema.columns
        if c not in df.columns and not schema.columns[c].nullable and schema.columns[c].required
    ]
    if missing:
        raise DataError(
            f"{source}: table '{table}' lacks column(s) {', '.join(map(repr, missing))}; "
            f"expected columns: {', '.join(schema.columns)}"
        )
    for c, col in schema.columns.items():
        if c not in df.columns and col.required:  # a nullable column the file left out
            empty = np.nan if "float" in str(col.dtype).lower() else pd.NA
            df = df.assign(**{c: pd.Series(empty, index=df.index, dtype="float64" if empty is np.nan else object)})
    try:
        return schema.validate(df, lazy=False)
    except SchemaError as err:
        raise DataError(_one_line(err, table, source)) from None
    except SchemaErrors as err:  # type coercion fails as SchemaErrors even with lazy=False
        raise DataError(_one_line(err.schema_errors[0], table, source)) from None


def _one_line(err: SchemaError, table: str, source) -> str:
    col = getattr(err, "column_name", None) or getattr(getattr(err, "schema", None), "name", None)
    check = getattr(err, "check", None)
    cases = getattr(err, "failure_cases", None)
    example = ""
    if isinstance(cases, pd.DataFrame) and len(cases):
        vals = cases["failure_case"].astype(str).head(3).tolist() if "failure_case" in cases else []
        example = f" (e.g. {', '.join(vals)}; {len(cases)} row(s))" if vals else ""
    reason = str(err).splitlines()[0]
    if check is not None:
        reason = f"fails check {check}"
    where = f", column '{col}'" if col else ""
    return f"{source}: table '{table}'{where}: {reason}{example}"


# --- a bank on disk -------------------------------------------------------------------


@dataclass(frozen=True)
class BankFiles:
    """Where each table of a bank lives, and the bank's metadata."""

    root: Path
    files: dict[str, Path]
    meta: dict

    def path(self, table: str) -> Path:
        """The file (or folder of parts) of ``table``; DataError naming the folder if it has none."""
        try:
            return self.files[table]
        except KeyError:
            raise DataError(f"{self.root}: table '{table}' not found (no {table}.parquet or {table}.csv)") from None

    def has(self, table: str) -> bool:
        """Whether the bank has ``table``."""
        return table in self.files

    @property
    def fingerprint(self) -> str:
        """sha256 over the bytes of every table file, in table order (16 hex digits)."""
        return data_fingerprint(self)


def find_bank(root: str | Path) -> BankFiles:
    """Locate a bank's tables (Parquet, else CSV) in ``root``, without reading them."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(
            f"{root}: data folder not found; expected a folder of Parquet or CSV files "
            f"(run `crmstudy synth --preset demo --out {root}` for a demo bank)"
        )
    files = {}
    for t in REQUIRED_TABLES + OPTIONAL_TABLES:
        for ext in (".parquet", ".csv"):
            p = root / f"{t}{ext}"
            if p.exists():
                files[t] = p
                break
        else:
            d = root / t
            if d.is_dir() and any(d.glob("*.parquet")):
                files[t] = d
    missing = [t for t in REQUIRED_TABLES if t not in files]
    if missing:
        raise DataError(
            f"{root}: missing table file(s) {', '.join(m + '.parquet' for m in missing)} "
            f"(Parquet or CSV with the columns of docs/data_dictionary.md)"
        )
    meta_path = root / "bank.json"
    meta = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except json.JSONDecodeError as e:
            raise DataError(f"{meta_path}: not valid JSON (line {e.lineno}): {e.msg}") from None
    return BankFiles(root=root, files=files, meta=meta)


def read_table(bank: BankFiles, table: str, *, validate: bool = True, columns=None) -> pd.DataFrame:
    """Read one table from disk (every part of a folder of parts), checked against its schema."""
    path = bank.path(table)
    df = _read(path, table, columns=columns)
    if validate and columns is None:
        df = validate_table(df, table, source=path)
    return df


def _read(path: Path, table: str, *, columns=None) -> pd.DataFrame:
    try:
        if path.suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path, columns=columns)
    except Exception as e:  # pyarrow and pandas raise many kinds; report one line
        raise DataError(f"{path}: table '{table}' could not be read: {str(e).splitlines()[0]}") from None


def load_bank(root: str | Path, *, tables=None, validate: bool = True) -> dict[str, pd.DataFrame]:
    """Load (and check) every table of a bank folder into dataframes."""
    bank = find_bank(root)
    names = tables or [t for t in REQUIRED_TABLES + OPTIONAL_TABLES if bank.has(t)]
    return {t: read_table(bank, t, validate=validate) for t in names}


# child table, column -> parent table, key; parents come first in REQUIRED_TABLES order
_LINKS = (
    ("customers", "branch_id", "branches", "branch_id"),
    ("staff", "branch_id", "branches", "branch_id"),
    ("customers", "owner_staff_id", "staff", "staff_id"),
    ("holdings", "customer_id", "customers", "customer_id"),
    ("holdings", "product_id", "products", "product_id"),
    ("balances", "customer_id", "customers", "customer_id"),
    ("transactions", "customer_id", "customers", "customer_id"),
    ("visits", "customer_id", "customers", "customer_id"),
    ("accounts", "customer_id", "customers", "customer_id"),
    ("campaign_contacts", "customer_id", "customers", "customer_id"),
)
_KEYS = {parent: pcol for _, _, parent, pcol in _LINKS}


def check_bank(root: str | Path) -> dict[str, int]:
    """Validate every table and the links between them; return row counts.

    A table stored as a folder of parts is read and checked one part at a
    time, so memory is bounded by the largest part plus the keys that other
    tables link to (branch, staff, customer and product ids).
    """
    bank = find_bank(root)
    keys: dict[str, pd.Index] = {}
    counts: dict[str, int] = {}
    for t in (t for t in REQUIRED_TABLES + OPTIONAL_TABLES if bank.has(t)):
        counts[t], kept = 0, []
        for df in _validated_parts(bank, t):
            counts[t] += len(df)
            for child, col, parent, pcol in _LINKS:
                if child == t:
                    _check_link(df, col, keys[parent], f"{parent}.{pcol}", t, root)
            if t in _KEYS:
                kept.append(df[_KEYS[t]])
        if kept:
            keys[t] = pd.Index(pd.concat(kept, ignore_index=True))
            if not keys[t].is_unique:  # each part was unique; across parts too?
                dup = keys[t][keys[t].duplicated()][:3].tolist()
                raise DataError(
                    f"{bank.path(t)}: table '{t}', column '{_KEYS[t]}': the same id in more than one part "
                    f"(e.g. {', '.join(map(str, dup))})"
                )
    return counts


def _validated_parts(bank: BankFiles, table: str):
    path = bank.path(table)
    for part in sorted(path.glob("*.parquet")) if path.is_dir() else [path]:
        yield validate_table(_read(part, table), table, source=part)


def _check_link(df: pd.DataFrame, col: str, parent_keys: pd.Index, parent: str, table: str, root) -> None:
    # a part holds few distinct ids (a block's customers): look those up, not every row
    values = pd.unique(df[col])
    missing = values[parent_keys.get_indexer(values) < 0]
    if len(missing):
        bad = df[col].isin(missing)
        ex = df.loc[bad, col].head(3).tolist()
        raise DataError(
            f"{root}: table '{table}', column '{col}': {int(bad.sum())} value(s) not found in "
            f"{parent} (e.g. {', '.join(map(str, ex))})"
        )


def data_fingerprint(bank: BankFiles) -> str:
    """A short, stable hash of the bytes of every table file."""
    h = hashlib.sha256()
    for t in sorted(bank.files):
        p = bank.files[t]
        parts = sorted(p.glob("*.parquet")) if p.is_dir() else [p]
        for part in parts:
            h.update(t.encode())
            with open(part, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()[:16]
