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

import pandas as pd
import pandera.pandas as pa

from .errors import DataError
from .suggest import nearest_folder

_DATE = "datetime64[ms]"


def _str(**kw):
    return pa.Column(str, **kw)


def _is_key(s: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(s) or pd.api.types.is_string_dtype(s)


def _key(**kw):
    """A record key, kept as it comes: whole numbers (the synthetic bank's int64) or text (a bank's own ids)."""
    return pa.Column(None, checks=pa.Check(_is_key, error="must be whole numbers or text"), **kw)


def _opt(dtype=str, **kw):
    """A column a bank's export may leave out or leave empty: added as a typed empty column when absent."""
    return pa.Column(dtype, nullable=True, required=False, **kw)


SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "branches": pa.DataFrameSchema(
        {
            "branch_id": _str(unique=True),
            "branch_name": _opt(),
            "branch_name_zh": _opt(),
            "region": _opt(),
            "area_type": _opt(checks=pa.Check.isin(["urban", "county", "rural"])),
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
            "start_date": _opt(_DATE),
            "leave_date": _opt(_DATE),
        },
        strict="filter",
        coerce=True,
    ),
    "customers": pa.DataFrameSchema(
        {
            "customer_id": _str(unique=True),
            "masked_name": _opt(),
            "branch_id": _str(),
            "age": _opt("Int16", checks=pa.Check.in_range(16, 110)),
            "gender": _opt(checks=pa.Check.isin(["F", "M"])),
            "occupation": _opt(),
            "income_band": _opt(),
            "acquisition_group": _opt(checks=pa.Check.isin(["lobby", "stock", "outreach"])),
            "life_group": _opt(),
            "open_date": pa.Column(_DATE),
            "close_date": _opt(_DATE),
            "owner_staff_id": _opt(),
            "external_credit_lines": _opt("Int16", checks=pa.Check.ge(0)),
        },
        strict="filter",
        coerce=True,
        checks=pa.Check(lambda d: ~(d["close_date"] < d["open_date"]), error="close_date must not be before open_date"),
    ),
    "products": pa.DataFrameSchema(
        {
            "product_id": _str(unique=True),
            "product_name": _str(),
            "product_name_zh": _opt(),
            "product_line": _str(),
            "kind": _opt(checks=pa.Check.isin(["asset", "credit", "service"])),
            "base_rate": _opt(float),
        },
        strict="filter",
        coerce=True,
    ),
    "holdings": pa.DataFrameSchema(
        {
            "customer_id": _str(),
            "product_id": _str(),
            "open_date": pa.Column(_DATE),
            "close_date": _opt(_DATE),
            "amount": _opt(float, checks=pa.Check.ge(0)),
            "delinquent_date": _opt(_DATE),
            # optional: end of the current term of a time deposit or wealth product
            "maturity_date": _opt(_DATE),
        },
        strict="filter",
        coerce=True,
    ),
    "balances": pa.DataFrameSchema(
        {
            "customer_id": _str(),
            "product_id": _opt(),
            "valid_from": pa.Column(_DATE),
            "valid_to": pa.Column(_DATE),
            # signed: an overdraft is a negative balance; concentration floors each customer's assets at 0
            "balance": pa.Column(float),
        },
        strict="filter",
        coerce=True,
        checks=pa.Check(lambda d: d["valid_to"] > d["valid_from"], error="valid_to must be after valid_from"),
    ),
    "transactions": pa.DataFrameSchema(
        {
            "txn_id": _opt(None, checks=pa.Check(_is_key, error="must be whole numbers or text")),
            "customer_id": _str(),
            "ts": pa.Column(_DATE),
            "amount": pa.Column(float, checks=pa.Check.ge(0)),
            "direction": _str(checks=pa.Check.isin(["in", "out"])),
            "channel": _opt(),
            "merchant_category": _opt(),
            "fuel_grade": _opt("Int16"),
            "fuel_litres": _opt(float),
        },
        strict="filter",
        coerce=True,
    ),
    "visits": pa.DataFrameSchema(
        {
            "visit_id": _opt(None, checks=pa.Check(_is_key, error="must be whole numbers or text")),
            "visit_date": pa.Column(_DATE),
            "staff_id": _opt(),
            "customer_id": _str(),
            "contact_type": _opt(),
            "attitude": _opt(checks=pa.Check.isin(["positive", "neutral", "negative"])),
            "feedback_code": _opt(),
            "outcome": _opt(),
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
#: The tables a bank must have: who its customers are, and what they hold day by day.
REQUIRED_TABLES = ("customers", "balances")
#: Every other table is optional end to end: a report section whose inputs are missing says what it needs.
OPTIONAL_TABLES = ("branches", "staff", "products", "holdings", "transactions", "visits", "truth", *ECONOMICS_TABLES)
#: Reading order: a parent table before the tables that link to it.
TABLE_ORDER = (
    "branches",
    "staff",
    "customers",
    "products",
    "holdings",
    "balances",
    "transactions",
    "visits",
    "truth",
    *ECONOMICS_TABLES,
)


def column_kind(table: str, column: str) -> str:
    """What a column holds: ``text``, ``key`` (whole numbers or text), ``date``, ``float``, ``int`` or ``bool``."""
    dtype = SCHEMAS[table].columns[column].dtype
    name = "" if dtype is None else str(dtype).lower()
    if not name:
        return "key"
    if "datetime" in name:
        return "date"
    if "float" in name:
        return "float"
    if "int" in name:
        return "int"
    if "bool" in name:
        return "bool"
    return "text"


def required_columns(table: str) -> list[str]:
    """The columns ``table``'s file must have (the others may be left out: they are added empty)."""
    return [c for c, col in SCHEMAS[table].columns.items() if col.required]


def validate_table(df: pd.DataFrame, table: str, *, source: str | Path = "<memory>") -> pd.DataFrame:
    """Check ``df`` against the schema of ``table``; return it coerced (optional columns left out added empty).

    Raises
    ------
    DataProblems
        Every problem found (:mod:`crmstudy.checks`): ``<source>: table '<table>', column '<col>': <problem>``,
        one line when there is one.
    """
    from .checks import validate_frame

    return validate_frame(df, table, source=source)


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


def _holds_a_bank(folder: Path) -> bool:
    """Whether ``folder`` has the required tables (as files or folders of parts), to suggest it for a typo."""
    return all(any((folder / f"{t}{ext}").exists() for ext in (".parquet", ".csv", "")) for t in REQUIRED_TABLES)


def find_bank(root: str | Path) -> BankFiles:
    """Locate a bank's tables (Parquet, else CSV, else a folder of parts) in ``root``, without reading them."""
    root = Path(root)
    if not root.is_dir():
        near = nearest_folder(root, holds=_holds_a_bank)
        if near is not None:  # a typo: name the folder that exists rather than offer to make one
            raise DataError(f"{root}: data folder not found; did you mean {near}?")
        raise DataError(
            f"{root}: data folder not found; expected a folder of Parquet or CSV files "
            f"(run `crmstudy synth --preset demo --out {root}` for a demo bank)"
        )
    files = {}
    for t in TABLE_ORDER:
        for ext in (".parquet", ".csv"):
            p = root / f"{t}{ext}"
            if p.exists():
                files[t] = p
                break
        else:
            d = root / t
            if d.is_dir() and any(p.suffix in (".parquet", ".csv") for p in d.iterdir()):
                files[t] = d
    missing = [t for t in REQUIRED_TABLES if t not in files]
    inside = nearest_folder(root, holds=_holds_a_bank) if missing else None
    if inside is not None and inside != root:  # the folder above the bank: name the bank inside it
        raise DataError(f"{root}: no bank here (no customers or balances file); did you mean {inside}?")
    if missing:
        raise DataError(
            f"{root}: missing table file(s) {', '.join(m + '.parquet' for m in missing)} "
            f"(Parquet or CSV with the columns of docs/data_dictionary.md; only customers and balances are required)"
        )
    meta_path = root / "bank.json"
    meta = {}
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            line = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
            raise DataError(f"{meta_path}: not valid JSON{line}: {getattr(e, 'msg', e)}") from None
        if not isinstance(meta, dict):
            raise DataError(f"{meta_path}: expected a JSON object of keys (period_start, period_end, currency)")
    return BankFiles(root=root, files=files, meta=meta)


def read_table(
    bank: BankFiles, table: str, *, validate: bool = True, columns=None, checked: bool = False, rows=None
) -> pd.DataFrame:
    """Read one table from disk (every part of a folder of parts), checked against its schema.

    ``checked``: these bytes already passed every check (:func:`crmstudy.bank_checks.passed_checks`);
    the types are still coerced, but pandera's value checks are not run again.
    ``rows``: ``(column, values)``: only the rows whose ``column``, typed, is one of ``values``,
    picked before the other columns are typed (a branch's rows of a bank-wide table at a
    fraction of the cost): the whole table's rows, in its order, with a fresh index; value
    checks, when run, see those rows only.
    """
    from .checks import coerce_table, parts_of, pick_rows, raise_problems, read_raw

    path = bank.path(table)
    frames, problems = [], []
    for part in parts_of(path):
        wanted = None if columns is None else [*columns, *([rows[0]] if rows is not None else [])]
        df, found = read_raw(part, table, wanted)
        problems += found
        if df is None:
            continue
        if rows is not None:
            df = pick_rows(df, table, rows, part)
        if validate and columns is None:
            df, found = coerce_table(df, table, part, checked=checked)
            problems += found
        frames.append(df if columns is None else df[[c for c in columns if c in df.columns]])
    raise_problems(problems, path)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def empty_table(table: str) -> pd.DataFrame:
    """A table the bank does not have, as zero rows of its schema's columns and types."""
    from .checks import coerce_table

    return coerce_table(pd.DataFrame(), table, "<none>")[0]


def load_bank(root: str | Path, *, tables=None, validate: bool = True) -> dict[str, pd.DataFrame]:
    """Load (and check) every table of a bank folder into dataframes."""
    bank = find_bank(root)
    names = tables or [t for t in TABLE_ORDER if bank.has(t)]
    return {t: read_table(bank, t, validate=validate) for t in names}


def check_bank(root) -> dict[str, int]:
    """Every table, part, link and ``bank.json`` checked; rows per table (:func:`crmstudy.bank_checks.check_bank`)."""
    from .bank_checks import check_bank as _check

    return _check(root)


#: Fingerprints this process has computed (or was given), by the table files' paths, sizes and
#: modification times: a report's kernel opens the bank several times and must not re-read its bytes.
_FINGERPRINTS: dict[tuple, str] = {}


def _table_parts(bank: BankFiles) -> list[tuple[str, Path]]:
    out = []
    for t in sorted(bank.files):
        p = bank.files[t]
        parts = sorted(q for q in p.iterdir() if q.suffix in (".parquet", ".csv")) if p.is_dir() else [p]
        out += [(t, part) for part in parts]
    return out


def _stat_key(parts: list[tuple[str, Path]]) -> tuple:
    return tuple((t, str(p), (s := p.stat()).st_size, s.st_mtime_ns) for t, p in parts)


def remember_fingerprint(bank: BankFiles, fingerprint: str) -> None:
    """Record the fingerprint the caller already computed for ``bank`` (as long as its files are unchanged)."""
    _FINGERPRINTS[_stat_key(_table_parts(bank))] = fingerprint


def known_fingerprint(bank: BankFiles) -> str | None:
    """The fingerprint this process already has for ``bank``'s unchanged files, or None (nothing is hashed)."""
    return _FINGERPRINTS.get(_stat_key(_table_parts(bank)))


def data_fingerprint(bank: BankFiles) -> str:
    """A short, stable hash of the bytes of every table file (once per process while the files are unchanged)."""
    parts = _table_parts(bank)
    key = _stat_key(parts)
    if key in _FINGERPRINTS:
        return _FINGERPRINTS[key]
    h = hashlib.sha256()
    for t, part in parts:
        h.update(t.encode())
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    _FINGERPRINTS[key] = h.hexdigest()[:16]
    return _FINGERPRINTS[key]
