"""A Bank is opened once: files located once, fingerprint hashed once, one connection, its period."""

from __future__ import annotations

import pytest

import crmstudy as crm
from crmstudy import bank as bank_module
from crmstudy.errors import DataError
from crmstudy.schema import data_fingerprint, find_bank


def test_an_open_bank_is_passed_on_and_a_path_or_bank_files_are_opened(tiny_bank):
    bank = crm.Bank.open(tiny_bank)
    assert crm.Bank.of(bank) is bank
    assert crm.Bank.of(find_bank(tiny_bank)).files == bank.files == crm.Bank.of(str(tiny_bank)).files
    assert bank.root == tiny_bank and "customers" in repr(bank) and "<table>" in bank._repr_html_()


def test_the_fingerprint_is_hashed_once_and_equals_the_schemas(tiny_bank, monkeypatch):
    calls = []
    monkeypatch.setattr(bank_module, "data_fingerprint", lambda files: calls.append(1) or data_fingerprint(files))
    bank = crm.Bank.open(tiny_bank)
    assert bank.fingerprint == bank.fingerprint == data_fingerprint(find_bank(tiny_bank))
    assert len(calls) == 1


def test_one_connection_serves_every_query(tiny_bank):
    bank = crm.Bank.open(tiny_bank)
    assert bank.con is bank.con
    assert crm.features.connect(bank) is bank.con
    assert bank.customer_count == len(bank.read("customers")) == len(bank.sql("SELECT * FROM customers"))
    features = crm.features.customer_features(bank)
    assert len(features) == bank.customer_count


def test_the_period_is_bank_json_s_else_the_span_of_the_balances(tiny_bank, tmp_path):
    bank = crm.Bank.open(tiny_bank)
    assert (bank.period.start.isoformat(), bank.period.end.isoformat()) == (
        bank.meta["period_start"],
        bank.meta["period_end"],
    )
    for p in tiny_bank.glob("*.parquet"):
        (tmp_path / p.name).write_bytes(p.read_bytes())  # the same tables, no bank.json
    own = crm.Bank.open(tmp_path)
    assert own.meta == {} and own.currency == "CNY"
    assert own.period.end == bank.period.end and own.period.start <= bank.period.start


def test_a_folder_that_is_not_a_bank_is_one_line(tmp_path):
    with pytest.raises(DataError, match="data folder not found"):
        crm.Bank.open(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"missing table file\(s\) customers.parquet, balances.parquet"):
        crm.Bank.open(tmp_path)


@pytest.mark.parametrize(
    ("table", "column", "pick"),
    [
        ("customers", "branch_id", lambda b: ["B002"]),
        ("staff", "branch_id", lambda b: ["B001", "B003"]),
        ("accounts", "customer_id", lambda b: b.read("customers", rows=("branch_id", ["B002"]))["customer_id"]),
        ("customers", "branch_id", lambda b: ["B999"]),  # no row
    ],
)
def test_reading_some_rows_gives_the_whole_table_s_rows(tiny_bank, table, column, pick):
    """``Bank.read(rows=...)`` types only the rows it keeps: the same frame as the whole table, sliced."""
    import pandas as pd

    bank = crm.Bank.open(tiny_bank)
    values = list(pick(bank))
    whole = bank.read(table)
    want = whole[whole[column].isin(values)].reset_index(drop=True)
    got = bank.read(table, rows=(column, values))
    pd.testing.assert_frame_equal(got, want)
    assert len(got) == 0 if values == ["B999"] else 0 < len(got) < len(whole)


@pytest.mark.parametrize("columns", [["product_id", "open_date"], ["customer_id", "product_id"], ["no_such_column"]])
def test_reading_some_columns_of_some_rows_gives_the_whole_table_s_columns_sliced(tiny_bank, columns):
    """``Bank.read(columns=, rows=)`` decodes only those columns (and the rows' column) yet equals the whole table's."""
    import pandas as pd

    bank = crm.Bank.open(tiny_bank)
    ids = list(bank.read("customers", rows=("branch_id", ["B002"]))["customer_id"])[::2]
    whole = bank.read("holdings")
    want = whole.loc[whole["customer_id"].isin(ids), [c for c in columns if c in whole]].reset_index(drop=True)
    got = bank.read("holdings", columns=columns, rows=("customer_id", ids))
    pd.testing.assert_frame_equal(got, want)
    assert list(got.columns) == [c for c in columns if c in whole] and 0 < len(got) < len(whole)
