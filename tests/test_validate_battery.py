"""The malformed-input battery: every way a bank's own export went wrong, refused in one line or reported right.

Each refused case ends in exit 2 from ``crmstudy validate`` with a line naming the file, the
table, the column and what was expected; each legal case passes ``validate`` and every
branch's report is built (in process, every section) without an exception, with the figure
the case is about checked.  No case prints a traceback.  The banks are 40 customers written
with pandas (``tests/bank_cases.py``); a few cases also run ``crmstudy report`` itself.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crmstudy import cli
from crmstudy.errors import EXIT_BAD_INPUT, EXIT_OK
from crmstudy.reports import context, sections

from .bank_cases import _set, base_tables, write_bank


def _bank(tmp, change=None, *, fmt="parquet", meta=None, after=None):
    tables = base_tables()
    if change:
        change(tables)
    folder = write_bank(tmp / "bank", tables, fmt=fmt, meta=meta)
    if after:
        after(folder)
    return folder


def _drop(table, column):
    def change(t):
        t[table] = t[table].drop(columns=column)

    return change


def _rename(table, old, new):
    def change(t):
        t[table] = t[table].rename(columns={old: new})

    return change


def _rows(table, keep):
    def change(t):
        t[table] = t[table].iloc[keep].reset_index(drop=True)

    return change


def _both(*changes):
    def change(t):
        for c in changes:
            c(t)

    return change


def _compact_int(table, column, fmt="%Y%m%d"):
    def change(t):
        t[table] = t[table].assign(**{column: t[table][column].dt.strftime(fmt).astype("int64")})

    return change


def _as_text(table, columns, fmt="%Y-%m-%d"):
    def change(t):
        t[table] = t[table].assign(**{c: t[table][c].dt.strftime(fmt) for c in columns})

    return change


def _rewrite(name, mutate):
    """After writing: read ``name``'s file back as text, change it, write it back (CSV banks)."""

    def after(folder):
        p = folder / name
        p.write_bytes(mutate(p.read_text(encoding="utf-8")))

    return after


def _parts(table, bad_part_change=None):
    """After writing: ``table`` as a folder of two parts, the second changed by ``bad_part_change``."""

    def after(folder):
        df = pd.read_parquet(folder / f"{table}.parquet")
        (folder / f"{table}.parquet").unlink()
        (folder / table).mkdir()
        half = len(df) // 2
        df.iloc[:half].to_parquet(folder / table / "part-0.parquet", index=False)
        second = df.iloc[half:].reset_index(drop=True)
        if bad_part_change:
            second = bad_part_change(second)
        second.to_parquet(folder / table / "part-1.parquet", index=False)

    return after


def _meta(**kw):
    return {"period_start": "2025-01-01", "period_end": "2025-12-31", "currency": "CNY", **kw}


# name -> (bank builder, file the line names, table, column or None, what it says was expected)
REFUSED = {
    "integer dates YYYYMMDD": (
        lambda tmp: _bank(tmp, _compact_int("customers", "open_date")),
        "customers.parquet",
        "customers",
        "open_date",
        "compact dates",
    ),
    "integer dates YYMMDD": (
        lambda tmp: _bank(tmp, _compact_int("holdings", "open_date", "%y%m%d")),
        "holdings.parquet",
        "holdings",
        "open_date",
        "compact dates",
    ),
    "compact dates as text in CSV": (
        lambda tmp: _bank(tmp, _as_text("balances", ["valid_from"], "%Y%m%d"), fmt="csv"),
        "balances.csv",
        "balances",
        "valid_from",
        "expected dates like 2025-12-31",
    ),
    "unreadable text dates in Parquet": (
        lambda tmp: _bank(tmp, _both(_as_text("transactions", ["ts"]), _set("transactions", "ts", [3], "yesterday"))),
        "transactions.parquet",
        "transactions",
        "ts",
        "not a date",
    ),
    "decimal ids": (
        lambda tmp: _bank(tmp, _set("branches", "branch_id", [0, 1], [1.5, 2.5])),
        "branches.parquet",
        "branches",
        "branch_id",
        "expected whole numbers or text",
    ),
    "missing required column": (
        lambda tmp: _bank(tmp, _drop("balances", "balance")),
        "balances.parquet",
        "balances",
        "balance",
        "column missing",
    ),
    "renamed column": (
        lambda tmp: _bank(tmp, _rename("customers", "customer_id", "customerid"), fmt="csv"),
        "customers.csv",
        "customers",
        "customer_id",
        "is 'customerid' this column renamed?",
    ),
    "text in an amount column": (
        lambda tmp: _bank(tmp, _set("balances", "balance", [4], "lots"), fmt="csv"),
        "balances.csv",
        "balances",
        "balance",
        "not a number; expected an amount",
    ),
    "decimal comma": (
        lambda tmp: _bank(tmp, _set("transactions", "amount", [0, 1], "12,5"), fmt="csv"),
        "transactions.csv",
        "transactions",
        "amount",
        "decimal comma",
    ),
    "text in a whole-number column": (
        lambda tmp: _bank(tmp, _set("customers", "age", [2], "old"), fmt="csv"),
        "customers.csv",
        "customers",
        "age",
        "expected a whole number",
    ),
    "duplicate customer id": (
        lambda tmp: _bank(tmp, _set("customers", "customer_id", [1], "C001")),
        "customers.parquet",
        "customers",
        "customer_id",
        "the same value in more than one row",
    ),
    "duplicate product id": (
        lambda tmp: _bank(tmp, _set("products", "product_id", [1], "P1")),
        "products.parquet",
        "products",
        "product_id",
        "expected each once",
    ),
    "holdings of unknown customers": (
        lambda tmp: _bank(tmp, _set("holdings", "customer_id", [0, 5], "C999")),
        "holdings.parquet",
        "holdings",
        "customer_id",
        "not found in customers.customer_id",
    ),
    "holdings of unknown products": (
        lambda tmp: _bank(tmp, _set("holdings", "product_id", [0], "P9")),
        "holdings.parquet",
        "holdings",
        "product_id",
        "not found in products.product_id",
    ),
    "customers of unknown branches": (
        lambda tmp: _bank(tmp, _set("customers", "branch_id", [0, 2], "B9")),
        "customers.parquet",
        "customers",
        "branch_id",
        "not found in branches.branch_id",
    ),
    "balances of unknown customers": (
        lambda tmp: _bank(tmp, _set("balances", "customer_id", [7], "X1")),
        "balances.parquet",
        "balances",
        "customer_id",
        "not found in customers.customer_id",
    ),
    "transactions of unknown customers": (
        lambda tmp: _bank(tmp, _set("transactions", "customer_id", [7], "X1")),
        "transactions.parquet",
        "transactions",
        "customer_id",
        "not found in customers.customer_id",
    ),
    "owners who are not staff": (
        lambda tmp: _bank(tmp, _set("customers", "owner_staff_id", [0, 1, 2], "S9")),
        "customers.parquet",
        "customers",
        "owner_staff_id",
        "not found in staff.staff_id",
    ),
    "age 250": (
        lambda tmp: _bank(tmp, _set("customers", "age", [3], 250)),
        "customers.parquet",
        "customers",
        "age",
        "expected from 16 to 110",
    ),
    "direction sideways": (
        lambda tmp: _bank(tmp, _set("transactions", "direction", [3], "sideways")),
        "transactions.parquet",
        "transactions",
        "direction",
        "expected one of in, out",
    ),
    "gender code not in the list": (
        lambda tmp: _bank(tmp, _set("customers", "gender", [3], "X"), fmt="csv"),
        "customers.csv",
        "customers",
        "gender",
        "expected one of F, M",
    ),
    "acquisition group not in the list": (
        lambda tmp: _bank(tmp, _set("customers", "acquisition_group", [3], "web")),
        "customers.parquet",
        "customers",
        "acquisition_group",
        "expected one of lobby, stock, outreach",
    ),
    "negative transaction amount": (
        lambda tmp: _bank(tmp, _set("transactions", "amount", [3], -5.0)),
        "transactions.parquet",
        "transactions",
        "amount",
        "expected 0 or more",
    ),
    "NaN balance": (
        lambda tmp: _bank(tmp, _set("balances", "balance", [3, 8], np.nan)),
        "balances.parquet",
        "balances",
        "balance",
        "empty; expected a value in every row",
    ),
    "infinite balance": (
        lambda tmp: _bank(tmp, _set("balances", "balance", [3], np.inf)),
        "balances.parquet",
        "balances",
        "balance",
        "infinite; expected a finite number",
    ),
    "minus infinite balance in CSV": (
        lambda tmp: _bank(tmp, _set("balances", "balance", [3], -np.inf), fmt="csv"),
        "balances.csv",
        "balances",
        "balance",
        "infinite",
    ),
    "null customer id": (
        lambda tmp: _bank(tmp, _set("customers", "customer_id", [4], None)),
        "customers.parquet",
        "customers",
        "customer_id",
        "empty; expected a value in every row",
    ),
    "null id in a child table": (
        lambda tmp: _bank(tmp, _set("balances", "customer_id", [4], None), fmt="csv"),
        "balances.csv",
        "balances",
        "customer_id",
        "empty",
    ),
    "valid_to before valid_from": (
        lambda tmp: _bank(tmp, _set("balances", "valid_to", [2], pd.Timestamp("2024-01-01"))),
        "balances.parquet",
        "balances",
        None,
        "valid_to must be after valid_from",
    ),
    "close_date before open_date": (
        lambda tmp: _bank(
            tmp,
            _both(
                lambda t: t.__setitem__("customers", t["customers"].assign(close_date=pd.NaT)),
                _set("customers", "close_date", [2], pd.Timestamp("2019-01-01")),
            ),
        ),
        "customers.parquet",
        "customers",
        None,
        "close_date must not be before open_date",
    ),
    "empty customers table": (
        lambda tmp: _bank(tmp, _rows("customers", [])),
        "customers.parquet",
        "customers",
        None,
        "no rows; expected one row per customer",
    ),
    "empty balances table": (
        lambda tmp: _bank(tmp, _rows("balances", []), fmt="csv"),
        "balances.csv",
        "balances",
        None,
        "no rows",
    ),
    "customers file of zero bytes": (
        lambda tmp: _bank(tmp, fmt="csv", after=lambda f: (f / "customers.csv").write_bytes(b"")),
        "customers.csv",
        "customers",
        None,
        "the file is empty",
    ),
    "semicolon CSV": (
        lambda tmp: _bank(tmp, fmt="csv", after=_rewrite("branches.csv", lambda s: s.replace(",", ";").encode())),
        "branches.csv",
        "branches",
        None,
        "separated by ';'; expected commas",
    ),
    "tab-separated CSV": (
        lambda tmp: _bank(tmp, fmt="csv", after=_rewrite("staff.csv", lambda s: s.replace(",", "\t").encode())),
        "staff.csv",
        "staff",
        None,
        "separated by a tab",
    ),
    "GBK CSV": (
        lambda tmp: _bank(tmp, fmt="csv", after=_rewrite("products.csv", lambda s: s.encode("gbk"))),
        "products.csv",
        "products",
        None,
        "not UTF-8",
    ),
    "corrupt Parquet": (
        lambda tmp: _bank(tmp, after=lambda f: (f / "holdings.parquet").write_bytes(b"PAR1 not really")),
        "holdings.parquet",
        "holdings",
        None,
        "could not be read as Parquet",
    ),
    "partitioned folder with one bad part": (
        lambda tmp: _bank(tmp, after=_parts("transactions", lambda d: d.assign(direction="up"))),
        "part-1.parquet",
        "transactions",
        "direction",
        "expected one of in, out",
    ),
    "one id in two parts": (
        lambda tmp: _bank(
            tmp, after=_parts("customers", lambda d: d.assign(customer_id=["C001"] + list(d["customer_id"][1:])))
        ),
        "customers",
        "customers",
        "customer_id",
        "more than one part",
    ),
    "bank.json period not a date": (
        lambda tmp: _bank(tmp, meta=_meta(period_start="2025-13-01")),
        "bank.json",
        "",
        "period_start",
        "expected a date like 2025-12-31",
    ),
    "bank.json period ends before it starts": (
        lambda tmp: _bank(tmp, meta=_meta(period_end="2024-06-30")),
        "bank.json",
        "",
        "period_end",
        "is before period_start",
    ),
    "bank.json period with no data": (
        lambda tmp: _bank(tmp, meta=_meta(period_start="2030-01-01", period_end="2030-12-31")),
        "bank.json",
        "",
        "period_start",
        "holds no balance",
    ),
    "bank.json currency not a code": (
        lambda tmp: _bank(tmp, meta=_meta(currency="euro")),
        "bank.json",
        "",
        "currency",
        "three-letter ISO code",
    ),
}


def _validate(folder, capsys):
    code = cli.main(["validate", str(folder)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_malformed_bank_is_refused_with_a_line_naming_file_table_column_and_expectation(name, tmp_path, capsys):
    build, file, table, column, expected = REFUSED[name]
    code, _, err = _validate(build(tmp_path), capsys)
    assert code == EXIT_BAD_INPUT, err
    lines = [line for line in err.splitlines() if expected in line]
    assert lines, err
    line = lines[0]
    assert file in line and (f"table '{table}'" in line if table else True), line
    assert (f"column '{column}'" in line or f"'{column}'" in line) if column else True, line


def test_every_problem_is_listed_at_once_grouped_and_counted(tmp_path, capsys):
    change = _both(
        _set("balances", "balance", [1, 2, 3, 4], np.nan),
        _set("customers", "age", [0], 250),
        _set("transactions", "direction", [0, 1], "sideways"),
        _set("holdings", "product_id", [0], "P9"),
    )
    code, _, err = _validate(_bank(tmp_path, change), capsys)
    assert code == EXIT_BAD_INPUT
    assert "4 problems" in err.splitlines()[0]
    assert any(
        "column 'balance'" in line and "4 row(s)" in line and "e.g. row 2, row 3, row 4" in line
        for line in err.splitlines()
    )
    assert any(
        "column 'direction'" in line and "2 row(s)" in line and "e.g. sideways" in line for line in err.splitlines()
    )


@pytest.mark.parametrize(
    "name",
    ["NaN balance", "direction sideways", "holdings of unknown customers", "bank.json period not a date", "GBK CSV"],
)
def test_report_runs_the_same_checks_first_and_stops_before_any_folder(name, tmp_path, capsys):
    build, file, _, _, expected = REFUSED[name]
    out = tmp_path / "reports"
    code = cli.main(["report", "--data", str(build(tmp_path)), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and expected in err and file in err and "Traceback" not in err
    assert not out.exists()


# --- legal data: validate passes, and every branch's report is built and right --------------------


#: Sections taking seconds each (model fits, look-alike groups): built by the slow tests, or where a case needs them.
HEAVY = ("actions", "prospects", "association")


def _reports(folder, params=None, *, full=False, also=()):
    """Every branch's context and sections, built in process (what the report notebook does).

    The fast lane builds every section but :data:`HEAVY` (and those in ``also``); ``full`` builds
    them all the way the report does, a section that raises standing in as a boxed note.
    """
    out = {}
    for b in context.branch_ids(folder):
        ctx = context.load_context(folder, b, params or {"bootstrap": {"n_boot": 0}})
        if full:
            built = {s.key: s for s in sections.build_all(ctx, isolate=True)}
        else:
            built = {n: sections.build(n, ctx) for n in sections.names() if n not in HEAVY or n in also}
        failed = {k: s.summary.get("reason") for k, s in built.items() if s.summary.get("status") == "failed"}
        assert not failed, failed
        out[b] = (ctx, built)
    return out


def _legal(folder, capsys, params=None, **kw):
    code, stdout, err = _validate(folder, capsys)
    assert code == EXIT_OK, err
    return _reports(folder, params, **kw)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = _bank(tmp_path_factory.mktemp("base"))
    return {b: ctx.headline for b, (ctx, _) in _reports(folder).items()}


def _same_headline(reports, base):
    for b, (ctx, _) in reports.items():
        for k in ("customers", "total_ada", "gini", "top20_share"):
            assert ctx.headline[k] == pytest.approx(base[b][k], rel=1e-9), (b, k)


def _ids_as_numbers(t):
    for name, col in (
        ("customers", "customer_id"),
        ("balances", "customer_id"),
        ("transactions", "customer_id"),
        ("holdings", "customer_id"),
    ):
        t[name] = t[name].assign(**{col: t[name][col].str[1:].astype("int64") + 1000})


#: Legal exports built once per module with every section, as the report builds them (``full``): a test
#: about one of them reads its figures from that build, and each is also checked to build without a failure.
LEGAL_FULL = {
    "integer ids in CSV": lambda tmp: _bank(tmp, _ids_as_numbers, fmt="csv"),
    "text dates in Parquet": lambda tmp: _bank(
        tmp,
        _both(
            _as_text("balances", ["valid_from", "valid_to"]),
            _as_text("customers", ["open_date"]),
            _as_text("transactions", ["ts"], "%Y-%m-%d %H:%M:%S"),
        ),
    ),
    "empty text columns": lambda tmp: _bank(
        tmp,
        _both(
            _set("transactions", "merchant_category", slice(None), None),
            _set("transactions", "channel", slice(None), None),
        ),
        fmt="csv",
    ),
    "missing owners": lambda tmp: _bank(tmp, _drop("customers", "owner_staff_id"), fmt="csv"),
    "overdrafts": lambda tmp: _bank(tmp, _set("balances", "balance", [0, 40, 2, 42], -500.0)),
}


@pytest.fixture(scope="module")
def legal_full(tmp_path_factory):
    """``legal_full(name, capsys)``: :data:`LEGAL_FULL`'s bank ``name`` validated and built in full, once."""
    built = {}

    def get(name, capsys):
        if name not in built:
            built[name] = _legal(LEGAL_FULL[name](tmp_path_factory.mktemp("legal")), capsys, full=True)
        return built[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("name", list(LEGAL_FULL))
def test_legal_exports_build_every_section_without_a_failure(name, capsys, legal_full):
    reports = legal_full(name, capsys)
    assert set(reports) == {"B1", "B2"}
    for _, built in reports.values():
        assert set(built) == set(sections.names())


@pytest.mark.slow
def test_integer_ids_in_csv_are_read_as_text_everywhere(capsys, base, legal_full):
    _same_headline(legal_full("integer ids in CSV", capsys), base)


@pytest.mark.slow
def test_integer_ids_in_one_table_and_text_in_another_are_the_same_ids(tmp_path, capsys, base):
    def mix(t):
        _ids_as_numbers(t)
        t["balances"] = t["balances"].assign(customer_id=t["balances"]["customer_id"].astype(str))

    _same_headline(_legal(_bank(tmp_path, mix), capsys), base)


@pytest.mark.slow
def test_a_missing_nullable_column_is_added_as_a_typed_empty_column(tmp_path, capsys, base):
    change = _both(_drop("holdings", "delinquent_date"), _drop("holdings", "close_date"), _drop("staff", "leave_date"))
    _same_headline(_legal(_bank(tmp_path, change, fmt="csv"), capsys), base)


@pytest.mark.slow
def test_an_empty_text_column_in_csv_is_legal(capsys, base, legal_full):
    _same_headline(legal_full("empty text columns", capsys), base)


@pytest.mark.slow
def test_dates_stored_as_text_in_parquet_are_parsed(capsys, base, legal_full):
    _same_headline(legal_full("text dates in Parquet", capsys), base)


@pytest.mark.slow
def test_a_csv_with_a_byte_order_mark_and_extra_columns_is_legal(tmp_path, capsys, base):
    def extra(t):
        t["customers"] = t["customers"].assign(nickname="x", score=1.5)

    folder = _bank(
        tmp_path, extra, fmt="csv", after=_rewrite("customers.csv", lambda s: ("\ufeff" + s).encode("utf-8"))
    )
    _same_headline(_legal(folder, capsys), base)


@pytest.mark.slow
def test_a_partitioned_folder_of_good_parts_is_one_table(tmp_path, capsys, base):
    _same_headline(_legal(_bank(tmp_path, after=_parts("balances")), capsys), base)


@pytest.mark.slow
def test_a_single_valued_grouping_column_leaves_association_out_naming_the_column(tmp_path, capsys):
    reports = _legal(
        _bank(tmp_path, _set("customers", "life_group", slice(None), "family")), capsys, also=("association",)
    )
    for _, built in reports.values():
        note = built["association"].notes
        assert note and "customers.life_group" in note[0], note


@pytest.mark.slow
def test_customers_opened_after_the_period_are_left_out_not_counted_as_zero(tmp_path, capsys, base):
    # the failure the issue measured: late openers became zero-asset customers (bank Gini 0.386 -> 0.832)
    def late(t):
        c = t["customers"]
        extra = c.assign(customer_id=c["customer_id"] + "L", open_date=pd.Timestamp("2026-03-01"))
        t["customers"] = pd.concat([c, extra], ignore_index=True)

    reports = _legal(_bank(tmp_path, late), capsys)
    _same_headline(reports, base)
    for ctx, built in reports.values():
        assert ctx.population["opened_after"] == 20
        assert ctx.bank_gini == pytest.approx(_bank_gini(base_tables()), rel=1e-9)
        assert any("20 opened after it ended" in t for t in _texts(built["headline"]))


def _bank_gini(tables) -> float:
    from crmstudy.pareto import gini

    b = tables["balances"]
    days = (b["valid_to"] - b["valid_from"]).dt.days
    ada = (b["balance"] * days).groupby(b["customer_id"]).sum() / 365
    return gini(ada.to_numpy(), ci=None).estimate


def _texts(section):
    return [b.text for b in section.blocks]


@pytest.mark.slow
def test_customers_closed_before_the_period_are_left_out_and_a_closed_customer_is_not_dormant(tmp_path, capsys):
    def closed(t):
        c = t["customers"].assign(close_date=pd.NaT)
        c.loc[[0, 1], "close_date"] = pd.Timestamp("2024-06-30")  # before the period: not counted
        c.loc[[2, 3], "close_date"] = pd.Timestamp("2025-03-31")  # left during it: counted, not dormant
        t["customers"] = c
        t["transactions"] = t["transactions"][~t["transactions"]["customer_id"].isin(["C003", "C004"])]

    reports = _legal(_bank(tmp_path, closed), capsys)
    ctx = reports["B1"][0]
    assert ctx.population["closed_before"] == 1 and "C001" not in set(ctx.features["customer_id"])
    assert not ctx.features.set_index("customer_id").loc["C003", "dormant"]


@pytest.mark.slow
def test_overdrafts_are_floored_at_zero_and_counted(capsys, legal_full):
    reports = legal_full("overdrafts", capsys)
    ctx, built = reports["B1"]
    assert ctx.population["overdrawn"] == 2 and (ctx.features["ada"] >= 0).all()
    assert ctx.features["ada_signed"].min() < 0
    assert any("2 customers were overdrawn" in t for t in _texts(built["headline"]))


@pytest.mark.slow
def test_a_missing_owner_column_leaves_ownership_out_with_one_sentence(capsys, legal_full):
    reports = legal_full("missing owners", capsys)
    for _, built in reports.values():
        for name in ("ownership", "workload"):
            assert built[name].notes == [
                "This section is left out: it needs values in column customers.owner_staff_id, "
                "which this bank's data does not have."
            ]


@pytest.mark.slow
def test_a_bank_of_customers_and_balances_only_builds_what_needs_only_those(tmp_path, capsys):
    tables = base_tables()
    folder = write_bank(tmp_path / "bank", {k: tables[k] for k in ("customers", "balances")}, meta={})
    reports = _legal(folder, capsys, also=HEAVY)
    assert set(reports) == {"B1", "B2"}
    for ctx, built in reports.values():
        for name in ("concentration", "tiers", "upgrades"):
            assert not built[name].notes, name
        for name in ("ownership", "workload", "long_tail", "prospects", "association"):
            assert built[name].notes and "left out" in built[name].notes[0], name
        assert np.isnan(ctx.headline["dormant_share"])  # no transactions: unknown, not "everyone"


@pytest.mark.slow
def test_a_branch_with_no_customers_says_so(tmp_path, capsys):
    def third(t):
        t["branches"] = pd.concat([t["branches"], t["branches"].iloc[[0]].assign(branch_id="B3")], ignore_index=True)

    reports = _legal(_bank(tmp_path, third), capsys)
    ctx, built = reports["B3"]
    assert ctx.headline["customers"] == 0 and np.isnan(ctx.headline["gini"])
    assert built["headline"].notes == [
        "This branch has no customer open in the period, so there is nothing to show here."
    ]


@pytest.mark.slow
def test_a_period_with_no_balances_says_so(tmp_path, capsys):
    folder = _bank(tmp_path)
    reports = _legal(
        folder, capsys, params={"period": {"start": "2024-01-01", "end": "2024-06-30"}, "bootstrap": {"n_boot": 0}}
    )
    ctx, built = reports["B1"]
    assert ctx.headline["customers"] > 0 and np.isnan(ctx.headline["gini"])
    assert "no balance in the period" in built["concentration"].notes[0]


@pytest.mark.slow
def test_leading_zeros_of_text_ids_in_csv_are_kept(tmp_path, capsys, base):
    def zeros(t):
        for name in ("customers", "balances", "transactions", "holdings"):
            t[name] = t[name].assign(customer_id="00" + t[name]["customer_id"].str[1:])

    reports = _legal(_bank(tmp_path, zeros, fmt="csv"), capsys)
    _same_headline(reports, base)
    assert reports["B1"][0].features["customer_id"].iloc[0] == "00001"


# --- slow: the real report pipeline ---------------------------------------------------------


@pytest.mark.slow
def test_a_bank_of_customers_and_balances_only_renders_through_the_report_pipeline(tmp_path, capsys):
    tables = base_tables()
    folder = write_bank(tmp_path / "bank", {k: tables[k] for k in ("customers", "balances")}, meta={})
    out = tmp_path / "reports"
    code = cli.main(["report", "--data", str(folder), "--out", str(out), "--no-progress", "--workers", "1"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.out + captured.err
    for b in ("B1", "B2"):
        doc = json.loads((out / "latest" / f"{b}.findings.json").read_text())
        assert doc["failed"] == {}
        for name in ("concentration", "tiers", "upgrades"):
            assert "left_out" not in doc["sections"][name]["evidence"], name
        for name in ("ownership", "workload", "long_tail", "prospects", "association"):
            assert doc["sections"][name]["evidence"]["left_out"], name
        page = (out / "latest" / f"{b}.html").read_text(encoding="utf-8")
        assert "This section is left out" in page and "Traceback" not in page


# --- currency: bank-level, nothing says CNY unless the bank's currency is CNY ----------------------


def _all_text(built) -> str:
    return "\n".join(v for s in built.values() for b in s.blocks for k, v in b.bundle.items() if k.startswith("text/"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.slow
def test_a_bank_in_euros_is_written_in_euros_everywhere(tmp_path, capsys, lang):
    from crmstudy import i18n

    folder = _bank(tmp_path, meta=_meta(currency="EUR"))
    try:
        reports = _legal(folder, capsys, params={"language": lang, "bootstrap": {"n_boot": 0}})
        text = _all_text(reports["B1"][1])
        if lang == "en":
            assert "CNY" not in text and "EUR" in text
        else:
            assert "万元" not in text and "欧元" in text and "CNY" not in text
    finally:
        i18n.set_currency("CNY")


@pytest.mark.slow
def test_a_section_failing_on_a_branch_is_a_boxed_note_the_run_exits_1_and_its_summary_names_it(tmp_path, capsys):
    import nbformat

    from crmstudy.reports.pipeline.plan import DEFAULT_NOTEBOOK

    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    breaking = (
        "from crmstudy.reports.sections import tiers as _tiers\n"
        "def _broken(ctx):\n    raise ValueError('tiers exploded on purpose')\n"
        "_tiers.build = _broken"
    )
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(breaking))
    notebook = tmp_path / "broken_tiers.ipynb"
    nbformat.write(nb, notebook)
    out = tmp_path / "reports"
    argv = ["report", "--data", str(_bank(tmp_path)), "--out", str(out), "--no-progress", "--branches", "B1"]
    code = cli.main([*argv, "--notebook", str(notebook)])
    stdout = capsys.readouterr().out
    assert code == 1
    assert "section 'tiers' failed: ValueError: tiers exploded on purpose" in stdout
    page = (out / "latest" / "B1.html").read_text(encoding="utf-8")
    assert "The tiers section could not be built" in page and "Concentration" in page
    doc = json.loads((out / "latest" / "B1.findings.json").read_text())
    assert doc["failed"] == {"tiers": "ValueError: tiers exploded on purpose"}
