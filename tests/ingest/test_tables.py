"""One table from its export file: the same rows, however the file was written, give the same canonical table."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmstudy.errors import IngestRefused
from crmstudy.ingest.mapping import Mapping
from crmstudy.ingest.quality import Quality
from crmstudy.ingest.tables import build_table

NAMES = ["王*伟", "李*芳", "Zhang S.", "Müller", "O'Neil; Jr"]


def _export(n: int, seed: int) -> pd.DataFrame:
    import numpy as np

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "cust": rng.integers(1, 10**7, n).astype(str) if n else [],
            "name": rng.choice(NAMES, n),
            "branch": rng.choice(["B1", "B2"], n),
            "born": [dt.date(1950, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 15000, n)],
            "sex": rng.choice(["男", "女"], n),
            "opened": [dt.date(2000, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 9000, n)],
            "credit_lines": rng.integers(0, 5, n),
        }
    ).drop_duplicates("cust")


def _mapping(tmp_path, file: str, read: dict, dates: dict) -> Mapping:
    src = {
        "file": file,
        "read": read,
        "columns": {
            "customer_id": "cust",
            "masked_name": "name",
            "branch_id": "branch",
            "birth_date": "born",
            "gender": "sex",
            "open_date": "opened",
            "external_credit_lines": "credit_lines",
        },
        "constants": {
            "occupation": "unknown",
            "income_band": "unknown",
            "acquisition_group": "stock",
            "life_group": "general",
            "owner_staff_id": "S1",
        },
        "dates": dates,
        "codes": {"gender": {"男": "M", "女": "F"}},
    }
    return Mapping.model_validate({"bank": {"currency": "CNY"}, "tables": {"customers": src}, "root": tmp_path})


def _written(df: pd.DataFrame, path, *, encoding: str, sep: str, decimal: str, fmt: str) -> None:
    out = df.copy()
    for c in ("born", "opened"):
        out[c] = [d.strftime(fmt) for d in df[c]]
    out.to_csv(path, sep=sep, index=False, encoding=encoding, decimal=decimal)


FORMATS = ["%Y%m%d", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    decimal=st.sampled_from([".", ","]),
    fmt=st.sampled_from(FORMATS),
    detect=st.booleans(),
    seed=st.integers(0, 10),
)
def test_any_encoding_separator_and_date_format_of_one_table_reads_to_the_same_canonical_table(
    tmp_path, encoding, sep, decimal, fmt, detect, seed
):
    df = _export(30, seed)
    _written(df, tmp_path / "ref.csv", encoding="utf-8", sep=",", decimal=".", fmt="%Y-%m-%d")
    _written(df, tmp_path / "kh.csv", encoding=encoding, sep=sep, decimal=decimal, fmt=fmt)
    ref = build_table(
        (m := _mapping(tmp_path, "ref.csv", {"encoding": "utf-8", "sep": ","}, {})),
        "customers",
        m.sources("customers")[0],
        Quality(),
        period_start=dt.date(2025, 1, 1),
    )
    read = {"encoding": "auto" if detect else encoding, "sep": "auto" if detect else sep, "decimal": decimal}
    m = _mapping(tmp_path, "kh.csv", read, {"birth_date": fmt, "open_date": fmt})
    got = build_table(m, "customers", m.sources("customers")[0], Quality(), period_start=dt.date(2025, 1, 1))
    pd.testing.assert_frame_equal(got, ref)
    assert got["customer_id"].tolist() == df["cust"].tolist()


def test_a_column_the_export_lacks_is_refused_naming_file_table_column_and_the_columns_it_has(tmp_path):
    df = _export(3, 0).drop(columns="sex")
    _written(df, tmp_path / "kh.csv", encoding="utf-8", sep=",", decimal=".", fmt="%Y%m%d")
    m = _mapping(tmp_path, "kh.csv", {}, {})
    expected = r"kh.csv: table 'customers', column 'gender': the export has no column 'sex'; its columns: cust, name"
    with pytest.raises(IngestRefused, match=expected):
        build_table(m, "customers", m.sources("customers")[0], Quality(), period_start=dt.date(2025, 1, 1))


def test_unreadable_dates_are_counted_with_examples_and_their_rows_dropped(tmp_path):
    df = _export(5, 1)
    _written(df, tmp_path / "kh.csv", encoding="utf-8", sep=",", decimal=".", fmt="%Y%m%d")
    text = (tmp_path / "kh.csv").read_text().splitlines()
    text[1] = text[1].replace(df["opened"].iloc[0].strftime("%Y%m%d"), "20250230")
    (tmp_path / "kh.csv").write_text("\n".join(text) + "\n")
    m = _mapping(tmp_path, "kh.csv", {}, {"birth_date": "%Y%m%d", "open_date": "%Y%m%d"})
    q = Quality()
    got = build_table(m, "customers", m.sources("customers")[0], q, period_start=dt.date(2025, 1, 1))
    assert len(got) == len(df) - 1
    (issue,) = [i for i in q.issues if i.code == "unreadable"]
    assert (issue.column, issue.action, issue.count, issue.examples) == ("open_date", "dropped", 1, ["20250230"])


def test_excel_and_parquet_exports_read_like_csv(tmp_path):
    df = _export(8, 2)
    _written(df, tmp_path / "ref.csv", encoding="utf-8", sep=",", decimal=".", fmt="%Y-%m-%d")
    xl = df.assign(cust=df["cust"].astype(int))  # Excel and Parquet hold the ids as numbers
    xl.to_excel(tmp_path / "kh.xlsx", index=False)
    xl.assign(born=pd.to_datetime(xl["born"]), opened=pd.to_datetime(xl["opened"])).to_parquet(tmp_path / "kh.parquet")
    tables = []
    for file in ("ref.csv", "kh.xlsx", "kh.parquet"):
        m = _mapping(tmp_path, file, {}, {})
        tables.append(build_table(m, "customers", m.sources("customers")[0], Quality(), period_start="2025-01-01"))
    pd.testing.assert_frame_equal(tables[1], tables[0])
    pd.testing.assert_frame_equal(tables[2], tables[0])
