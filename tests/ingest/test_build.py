"""The two fixture exports through ingest -> validate (-> report, slow), against an independent pandas reading.

The independent reading parses the raw export files with pandas only (no
crmstudy code): each account's end-of-day balance on every day of the period
from the running balance (cn_bank) or the month-end snapshots (cz_bank), their
average over the period's days (ADA), then per branch the customer count, total
ADA, the top 20% share (1 - L(0.8) on the Lorenz curve) and the plug-in Gini.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmstudy.cli import main
from crmstudy.ingest import ingest
from crmstudy.reports.context import load_context

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "docs" / "mappings"
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
#: Sums of a few hundred float64 amounts agree to far better than this.
TOL = 1e-9


# --- the independent reading --------------------------------------------------------------------


def _gini(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def _top_share(x: np.ndarray, k: float = 0.2) -> float:
    x = np.sort(np.asarray(x, dtype=float))[::-1]
    m = k * len(x)
    whole = int(np.floor(m))
    part = x[:whole].sum() + (m - whole) * (x[whole] if whole < len(x) else 0.0)
    return float(part / x.sum())


def _headlines(ada: pd.Series, branch: pd.Series) -> dict[str, dict]:
    out = {}
    for b, ids in branch.groupby(branch).groups.items():
        x = ada.reindex(ids, fill_value=0.0).to_numpy()
        out[str(b)] = {"customers": len(x), "total_ada": x.sum(), "top20_share": _top_share(x), "gini": _gini(x)}
    return out


def _daily_ada(eod: pd.DataFrame, start: str, end: str) -> pd.Series:
    """ADA per customer from end-of-day balances given on some days (carried forward to the next given day)."""
    days = pd.date_range(start, end, freq="D")
    ada = {}
    for cid, g in eod.groupby("customer"):
        s = g.set_index("day")["balance"]
        full = s.reindex(s.index.union(days)).ffill().fillna(0.0)
        ada[cid] = full.reindex(days).mean()
    return pd.Series(ada)


def cn_expected() -> dict[str, dict]:
    folder = EXPORTS / "cn_bank"
    kh = pd.read_csv(folder / "kh.csv", sep=";", encoding="gbk", dtype=str)
    jy = pd.read_csv(folder / "jy.csv", sep=";", encoding="gbk", dtype=str, decimal=",")
    jy["day"] = pd.to_datetime(jy["交易时间"].str[:8], format="%Y%m%d")
    jy["balance"] = jy["交易后余额"].str.replace(",", ".").astype(float)
    jy = jy.sort_values(["客户号", "day", "流水号"]).groupby(["客户号", "day"], as_index=False).last()
    ada = _daily_ada(jy.rename(columns={"客户号": "customer"}), "2025-01-01", "2025-06-30")
    return _headlines(ada, kh.set_index("客户号")["机构号"])


def cz_expected() -> dict[str, dict]:
    folder = EXPORTS / "cz_bank"
    client = pd.read_csv(folder / "client.csv", sep=";", dtype=str)
    disp = pd.read_csv(folder / "disp.csv", sep=";", dtype=str)
    snaps = pd.read_csv(folder / "balance_monthly.csv", sep=";", dtype=str)
    owner = disp[disp["type"] == "OWNER"].set_index("account_id")["client_id"]
    snaps["customer"] = snaps["account_id"].map(owner)
    snaps["balance"] = snaps["balance_eur"].str.replace(",", ".").astype(float).clip(lower=0)
    # a month-end snapshot is the balance of every day of its month
    days = pd.date_range("1998-01-01", "1998-12-31", freq="D")
    month = days.to_period("M").astype(str)
    per_day = snaps.pivot_table(index="customer", columns="month", values="balance", aggfunc="sum")
    ada = per_day.reindex(columns=month).fillna(0.0).mean(axis=1)
    return _headlines(ada, client.set_index("client_id")["district_id"])


# --- what today's schema asks of a Czech-style export ---------------------------------------------

#: Target columns a mapping fills without naming them: age from birth_date, segments from a derivation.
_DERIVED = {"customers": {"age"}, "transactions": {"amount", "direction"}, "balances": {"valid_from", "valid_to"}}


def schema_gaps(mapping_file: Path) -> list[str]:
    """Tables and columns the schema requires that the mapping does not give."""
    from crmstudy.ingest import load_mapping
    from crmstudy.schema import REQUIRED_TABLES, SCHEMAS

    m = load_mapping(mapping_file)
    gaps = [t for t in REQUIRED_TABLES if t not in m.tables]
    for table in m.tables:
        given = set(_DERIVED.get(table, ()))
        for src in m.sources(table):
            given |= set(src.columns) | set(src.constants)
        for col, spec in SCHEMAS[table].columns.items():
            if spec.required and not spec.nullable and col not in given:
                gaps.append(f"{table}.{col}")
    return gaps


# --- the tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cn_bank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cn") / "bank"
    ingest(MAPPINGS / "cn_bank.yaml", out)
    return out


def _check_headlines(bank: Path, expected: dict[str, dict]) -> None:
    from crmstudy.bank import Bank
    from crmstudy.features import customer_features

    # the features of the whole bank once, as a report run computes them; each branch reads its slice
    opened = Bank.open(bank)
    features = bank.parent / f"{bank.name}.features.parquet"
    customer_features(opened, opened.period).to_parquet(features)
    for branch, want in expected.items():
        ctx = load_context(opened, branch, {"bootstrap": {"n_boot": 0}}, features_path=features)
        got = ctx.headline
        assert got["customers"] == want["customers"], branch
        for key in ("total_ada", "top20_share", "gini"):
            assert got[key] == pytest.approx(want[key], rel=TOL), (branch, key)


def test_the_chinese_export_is_ingested_and_passes_validate(cn_bank, capsys):
    assert main(["validate", str(cn_bank)]) == 0
    meta = json.loads((cn_bank / "bank.json").read_text())
    assert meta["currency"] == "CNY" and meta["period_start"] == "2025-01-01"
    assert meta["fingerprint"] in capsys.readouterr().out  # validate hashes the same files


def test_the_chinese_exports_headline_figures_equal_an_independent_pandas_reading(cn_bank):
    _check_headlines(cn_bank, cn_expected())


@pytest.mark.parametrize("mapping", ["cn_bank.yaml", "cz_bank.yaml"])
def test_both_worked_mappings_give_every_table_and_column_the_schema_requires(mapping):
    # the Czech-style export has no staff, no product catalogue, no declared attributes: a minimum viable bank
    assert schema_gaps(MAPPINGS / mapping) == []


def test_a_required_column_the_mapping_does_not_give_is_refused_naming_table_and_column(tmp_path, capsys):
    path = _cn_mapping(tmp_path, lambda m: m["tables"]["customers"]["columns"].pop("open_date"))
    err = _refused(["ingest", "--mapping", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "table 'customers', column 'open_date': the mapping gives no source" in err


def test_the_czech_export_is_ingested_validated_and_its_headlines_equal_an_independent_pandas_reading(tmp_path):
    out = tmp_path / "cz"
    ingest(MAPPINGS / "cz_bank.yaml", out)
    assert main(["validate", str(out)]) == 0
    assert json.loads((out / "bank.json").read_text())["currency"] == "EUR"
    _check_headlines(out, cz_expected())


def test_the_chinese_export_keeps_its_ids_and_chinese_text(cn_bank):
    customers = pd.read_parquet(cn_bank / "customers.parquet")
    assert customers["customer_id"].iloc[0] == "880001"
    assert customers["masked_name"].str.contains("*", regex=False).all()
    branches = pd.read_parquet(cn_bank / "branches.parquet")
    assert set(branches["branch_name_zh"]) == {"人民路支行", "城东支行", "青石镇支行"}
    assert set(branches["area_type"]) == {"urban", "county", "rural"}


def test_ingest_writes_a_quality_report_in_json_and_html(cn_bank):
    q = json.loads((cn_bank / "quality.json").read_text(encoding="utf-8"))
    assert q["tables"]["transactions"]["read"] == {"encoding": "gbk", "sep": ";", "decimal": ","}
    codes = {i["code"] for i in q["issues"]}
    assert "century" in codes  # 19xx births written YYMMDD
    assert "<h1>Data-quality report</h1>" in (cn_bank / "quality.html").read_text(encoding="utf-8")


# --- refusals and atomic writes ----------------------------------------------------------------


def _cn_mapping(tmp_path: Path, change=None) -> Path:
    import yaml

    m = yaml.safe_load((MAPPINGS / "cn_bank.yaml").read_text(encoding="utf-8"))
    m["export"] = str(EXPORTS / "cn_bank")
    if change:
        change(m)
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(m, allow_unicode=True), encoding="utf-8")
    return path


def _refused(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_a_gbk_file_read_as_utf8_is_refused_naming_file_table_and_line(tmp_path, capsys):
    path = _cn_mapping(tmp_path, lambda m: m["tables"]["customers"].update(read={"encoding": "utf-8"}))
    err = _refused(["ingest", "--mapping", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "kh.csv: table 'customers': not utf-8 text (line 1" in err and "read.encoding" in err
    assert not (tmp_path / "out").exists()


def test_a_wrong_separator_is_refused_with_a_hint(tmp_path, capsys):
    path = _cn_mapping(tmp_path, lambda m: m["tables"]["branches"].update(read={"encoding": "gbk", "sep": ","}))
    err = _refused(["ingest", "--mapping", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "jg.csv: table 'branches'" in err and "read.sep" in err


def test_a_missing_source_file_is_refused(tmp_path, capsys):
    path = _cn_mapping(tmp_path, lambda m: m["tables"]["staff"].update(file="nope.csv"))
    err = _refused(["ingest", "--mapping", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "nope.csv: table 'staff': file not found" in err


def test_too_many_unreadable_rows_are_refused_not_silently_dropped(tmp_path, capsys):
    path = _cn_mapping(tmp_path, lambda m: m["tables"]["customers"]["dates"].update(open_date="%d.%m.%Y"))
    err = _refused(["ingest", "--mapping", str(path), "--out", str(tmp_path / "out")], capsys)
    assert "kh.csv: table 'customers', column 'open_date': 120 of 120 rows would be dropped" in err
    assert "bank.max_dropped_share" in err


def test_ingest_never_overwrites_a_folder_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    err = _refused(["ingest", "--mapping", str(_cn_mapping(tmp_path)), "--out", str(out)], capsys)
    assert "not empty" in err and (out / "notes.txt").read_text() == "keep me"


def test_a_refused_ingest_leaves_the_earlier_output_whole_and_no_staging_folder_behind(tmp_path, capsys):
    out = tmp_path / "bank"
    assert main(["ingest", "--mapping", str(_cn_mapping(tmp_path)), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = _cn_mapping(tmp_path, lambda m: m["tables"]["staff"].update(file="nope.csv"))
    _refused(["ingest", "--mapping", str(bad), "--out", str(out)], capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank", "mapping.yaml"]


def test_ingesting_the_same_export_again_gives_the_same_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ingest(_cn_mapping(tmp_path), a)
    ingest(_cn_mapping(tmp_path), b)
    for name in ("customers.parquet", "balances.parquet", "transactions.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (
        json.loads((a / "bank.json").read_text())["fingerprint"]
        == json.loads((b / "bank.json").read_text())["fingerprint"]
    )


# --- the whole way: ingest -> validate -> report, every branch ----------------------------------


@dataclass(frozen=True)
class ReportRun:
    code: int
    branches: dict[str, dict]  # the manifest's entry per branch: status, error, headline
    printed: str  # the run's summary table: a failed section is named there


def _report(bank: Path, out: Path) -> ReportRun:
    assert main(["validate", str(bank)]) == 0
    from crmstudy import i18n

    currency = i18n.current_currency()  # a report run sets the process-wide currency from the bank
    try:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            code = main(["report", "--data", str(bank), "--out", str(out), "--workers", "1", "--no-progress"])
    finally:
        i18n.set_currency(currency)
    manifest = json.loads((out / "latest" / "manifest.json").read_text())
    return ReportRun(code, manifest["branches"], printed.getvalue())


def _assert_every_branch_rendered_with(run: ReportRun, want: dict[str, dict]) -> None:
    assert sorted(run.branches) == sorted(want)
    assert {b: e["status"] for b, e in run.branches.items()} == dict.fromkeys(want, "ok")
    for branch, w in want.items():
        got = run.branches[branch]["headline"]
        assert got["customers"] == w["customers"]
        for key in ("total_ada", "top20_share", "gini"):
            assert got[key] == pytest.approx(w[key], rel=TOL), (branch, key)


@pytest.fixture(scope="module")
def cn_report(cn_bank, tmp_path_factory) -> ReportRun:
    return _report(cn_bank, tmp_path_factory.mktemp("cn_reports"))


@pytest.fixture(scope="module")
def cz_report(tmp_path_factory) -> ReportRun:
    out = tmp_path_factory.mktemp("cz") / "bank"
    ingest(MAPPINGS / "cz_bank.yaml", out)
    return _report(out, tmp_path_factory.mktemp("cz_reports"))


@pytest.mark.slow
def test_the_chinese_export_renders_a_report_for_every_branch_with_the_independent_headline_figures(cn_report):
    _assert_every_branch_rendered_with(cn_report, cn_expected())
    assert cn_report.code == 0, cn_report.printed  # no section failed


@pytest.mark.slow
def test_the_czech_export_renders_a_report_for_every_branch_with_the_independent_headline_figures(cz_report):
    _assert_every_branch_rendered_with(cz_report, cz_expected())


@pytest.mark.slow
def test_no_section_fails_on_the_czech_export(cz_report):
    # a bank without staff once failed 'actions' (owner_status cast a date column to float); no box, exit 0
    assert cz_report.code == 0, cz_report.printed


# --- a messy export: every problem counted, with examples ---------------------------------------


def _messy_export(tmp_path: Path) -> Path:
    """The cn export with planted problems, and its transaction log split into two parts."""
    import shutil

    folder = tmp_path / "export"
    shutil.copytree(EXPORTS / "cn_bank", folder)

    def edit(name, fn):
        lines = (folder / name).read_bytes().decode("gbk").split("\r\n")
        (folder / name).write_bytes("\r\n".join(fn(lines)).encode("gbk"))

    edit("kh.csv", lambda ls: [*ls[:-1], ls[1], ""])  # customer 880001 twice
    edit("kh.csv", lambda ls: [ls[0], ls[1], ls[2].replace(";男;", ";未知;").replace(";女;", ";未知;"), *ls[3:]])

    def txns(ls):
        ls[3] = ls[3].replace(ls[3].split(";")[2], "20250230101010")  # no such day
        fields = ls[4].split(";")
        ls[4] = ";".join([*fields[:5], "柜台机", *fields[6:]])  # a channel the code map lacks
        ls.insert(5, "9999999;123;20250301101010;5,00;借;柜面;取现;-5,00")  # an unknown customer, overdrawn
        return ls

    edit("jy.csv", txns)
    lines = (folder / "jy.csv").read_bytes().split(b"\r\n")
    (folder / "jy_1.csv").write_bytes(b"\r\n".join(lines[:300]) + b"\r\n")
    (folder / "jy_2.csv").write_bytes(b"\r\n".join([lines[0], *lines[300:]]))
    (folder / "jy.csv").unlink()
    return folder


def test_a_messy_export_is_ingested_with_every_problem_counted_and_shown(tmp_path):
    folder = _messy_export(tmp_path)

    def change(m):
        m["export"] = str(folder)
        m["bank"]["max_dropped_share"] = 0.05  # 2 of 121 customers
        m["tables"]["transactions"]["file"] = "jy_*.csv"
        m["tables"]["balances"]["file"] = "jy_*.csv"

    out = tmp_path / "bank"
    result = ingest(_cn_mapping(tmp_path, change), out)
    issues = {(i.table, i.column, i.code): i for i in result.quality.issues}
    assert issues["customers", "customer_id", "duplicate"].examples == ["880001"]
    assert issues["customers", "gender", "fails_check"].examples == ["未知"]
    assert issues["transactions", "ts", "unreadable"].examples == ["20250230101010"]
    assert issues["transactions", "channel", "unmapped_code"].examples == ["柜台机"]
    assert issues["transactions", "customer_id", "orphan"].examples[0] == "123"
    assert issues["balances", "balance", "negative_balance"].examples == ["-5.0"]
    assert result.quality.tables["transactions"].files == ["jy_1.csv", "jy_2.csv"]
    assert result.quality.tables["transactions"].rows_read == 704
    assert main(["validate", str(out)]) == 0
    page = (out / "quality.html").read_text(encoding="utf-8")
    assert "柜台机" in page and "20250230101010" in page


# --- a minimum bank from Excel and daily balances -----------------------------------------------


def test_an_excel_customer_list_and_daily_balances_make_a_minimum_bank_with_the_hand_computed_assets(tmp_path):
    from crmstudy.bank import Bank
    from crmstudy.features import customer_assets
    from crmstudy.period import Period

    pd.DataFrame(
        {"cust no": [7, 8], "branch": ["B1", "B1"], "opened": [45292, 45658]}  # Excel serials: 2024-01-01, 2025-01-01
    ).to_excel(tmp_path / "customers.xlsx", index=False)
    days = pd.date_range("2025-01-01", "2025-01-10")
    daily = pd.DataFrame({"cust": 7, "day": days.strftime("%d/%m/%Y"), "bal": ["100,0"] * 5 + ["300,0"] * 5})
    daily = pd.concat([daily, pd.DataFrame({"cust": [8], "day": ["05/01/2025"], "bal": ["1.000,0"]})])
    daily.to_csv(tmp_path / "daily.csv", sep="|", index=False, encoding="utf-8-sig")
    (tmp_path / "mapping.yaml").write_text(
        """
bank: {currency: HKD, period_start: 2025-01-01, period_end: 2025-01-10}
tables:
  customers:
    file: customers.xlsx
    columns: {customer_id: cust no, branch_id: branch, open_date: opened}
    dates: {open_date: excel}
  balances:
    file: daily.csv
    read: {decimal: ",", thousands: "."}
    derive: daily
    columns: {customer_id: cust, date: day, balance: bal}
    dates: {date: "%d/%m/%Y"}
    constants: {product_id: SAVINGS}
""",
        encoding="utf-8",
    )
    out = tmp_path / "bank"
    result = ingest(tmp_path / "mapping.yaml", out)
    assert sorted(result.rows) == ["balances", "customers"]  # nothing invented
    assert result.rows["balances"] == 3  # 100 x 5 days, 300 x 5 days, 1,000 x 1 day
    assert main(["validate", str(out)]) == 0
    bank = Bank.open(out)
    assert bank.currency == "HKD"
    assets = customer_assets(bank.con, Period.of("2025-01-01", "2025-01-10")).set_index("customer_id")
    assert assets.loc["7", "ada"] == pytest.approx((100 * 5 + 300 * 5) / 10)
    assert assets.loc["8", "ada"] == pytest.approx(1000 / 10)
    assert pd.read_parquet(out / "customers.parquet")["open_date"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2025-01-01"),
    ]
