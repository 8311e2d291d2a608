"""Loading a bank folder: a user's own CSV files work like Parquet; every failure is one line.

Each error test asserts the message is a single line and names what the analyst
must open to fix it: the file (or folder), the table and, where there is one,
the column.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from crmstudy.errors import DataError
from crmstudy.features import customer_features
from crmstudy.schema import (
    TABLE_ORDER,
    check_bank,
    data_fingerprint,
    find_bank,
    load_bank,
    read_table,
    validate_table,
)

USER_TABLES = tuple(t for t in TABLE_ORDER if t != "truth")  # what a bank would export: no latent truth, no bank.json


@pytest.fixture(scope="module")
def csv_bank(tiny_tables, tmp_path_factory):
    """The tiny bank as a user's folder of CSV files (written once; copy before changing)."""
    out = tmp_path_factory.mktemp("csv_bank")
    for t in USER_TABLES:
        tiny_tables[t].to_csv(out / f"{t}.csv", index=False)
    return out


@pytest.fixture
def user_bank(csv_bank, tmp_path):
    """A private copy of the CSV bank that a test may break."""
    return shutil.copytree(csv_bank, tmp_path / "bank")


def write_csv(bank, table: str, df: pd.DataFrame) -> None:
    df.to_csv(bank / f"{table}.csv", index=False)


def one_line_error(call, *args, **kwargs) -> str:
    with pytest.raises(DataError) as e:
        call(*args, **kwargs)
    msg = str(e.value)
    assert "\n" not in msg and msg.strip() == msg, msg
    return msg


def error_lines(call, *args, **kwargs) -> list[str]:
    """Every problem line of the DataError ``call`` raises (a header line first when there are several)."""
    with pytest.raises(DataError) as e:
        call(*args, **kwargs)
    return str(e.value).splitlines()


# --- a user's own files ---------------------------------------------------------------------


def test_csv_folder_loads_with_every_table_and_row(csv_bank, tiny_tables):
    tables = load_bank(csv_bank)
    assert set(tables) == set(USER_TABLES)
    for t in USER_TABLES:
        assert len(tables[t]) == len(tiny_tables[t]), t


def test_csv_folder_coerces_to_the_same_types_as_parquet(csv_bank, tiny_bank):
    from_csv, from_parquet = load_bank(csv_bank), load_bank(tiny_bank)
    for t in USER_TABLES:
        pd.testing.assert_series_equal(from_csv[t].dtypes, from_parquet[t].dtypes, obj=t)


def test_csv_folder_passes_check_bank(csv_bank):
    assert check_bank(csv_bank)["customers"] == 1500


def test_csv_folder_gives_the_same_customer_features_as_parquet(csv_bank, tiny_bank):
    # without bank.json the period is inferred from the balances; it must still be 2025
    csv, pq = customer_features(csv_bank), customer_features(tiny_bank)
    assert list(csv["customer_id"]) == list(pq["customer_id"])
    for col in ("ada", "peak_assets", "end_assets", "amount_in", "amount_out"):
        np.testing.assert_allclose(csv[col], pq[col], rtol=1e-6, atol=1e-9, err_msg=col)
    for col in ("n_txn", "n_products", "n_product_lines", "dormant"):
        assert (csv[col] == pq[col]).all(), col


def test_a_table_may_be_a_folder_of_parquet_parts(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    tx = pd.read_parquet(bank / "transactions.parquet")
    (bank / "transactions.parquet").unlink()
    (bank / "transactions").mkdir()
    half = len(tx) // 2
    tx.iloc[:half].to_parquet(bank / "transactions" / "part-0.parquet")
    tx.iloc[half:].to_parquet(bank / "transactions" / "part-1.parquet")
    assert customer_features(bank)["n_txn"].sum() == customer_features(tiny_bank)["n_txn"].sum()


def as_parts(bank, table: str, n: int = 2) -> list:
    """Replace ``<table>.parquet`` in ``bank`` by ``n`` part files; return their paths."""
    df = pd.read_parquet(bank / f"{table}.parquet")
    (bank / f"{table}.parquet").unlink()
    (bank / table).mkdir()
    paths = []
    for k, chunk in enumerate(np.array_split(np.arange(len(df)), n)):
        paths.append(bank / table / f"part-{k:05d}.parquet")
        df.iloc[chunk].to_parquet(paths[-1], index=False)
    return paths


def test_check_bank_reads_a_folder_of_parts_part_by_part(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    for t in ("customers", "transactions"):
        as_parts(bank, t, n=3)
    assert check_bank(bank) == check_bank(tiny_bank)


def test_a_part_breaking_its_schema_is_named(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    parts = as_parts(bank, "transactions")
    tx = pd.read_parquet(parts[1])
    tx.loc[tx.index[3], "direction"] = "sideways"
    tx.to_parquet(parts[1], index=False)
    msg = one_line_error(check_bank, bank)
    assert str(parts[1]) in msg and "table 'transactions'" in msg and "column 'direction'" in msg


def test_a_customer_in_two_parts_fails_check_bank(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    parts = as_parts(bank, "customers")
    first = pd.read_parquet(parts[0])
    second = pd.read_parquet(parts[1])
    second.loc[second.index[0], "customer_id"] = first["customer_id"].iloc[0]
    second.to_parquet(parts[1], index=False)
    lines = error_lines(check_bank, bank)
    assert any(
        "column 'customer_id'" in m and "more than one part" in m and first["customer_id"].iloc[0] in m for m in lines
    )


@pytest.mark.parametrize("ids", [[10, 11, 12], ["T-a", "T-b", "T-c"]])
def test_a_record_key_may_be_whole_numbers_or_text_and_is_kept_as_it_comes(tiny_tables, ids):
    tx = tiny_tables["transactions"].head(3).assign(txn_id=ids)
    assert validate_table(tx, "transactions")["txn_id"].tolist() == ids


def test_a_fractional_record_key_is_refused(tiny_tables):
    tx = tiny_tables["transactions"].head(3).assign(txn_id=[1.5, 2.0, 3.0])
    msg = one_line_error(validate_table, tx, "transactions", source="tx.csv")
    assert "column 'txn_id'" in msg and "whole numbers or text" in msg


def test_fingerprint_is_stable_and_changes_with_the_bytes(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    assert data_fingerprint(find_bank(bank)) == data_fingerprint(find_bank(tiny_bank))
    branches = pd.read_parquet(bank / "branches.parquet")
    branches.loc[0, "branch_name"] = "Renamed Sub-branch"
    branches.to_parquet(bank / "branches.parquet")
    assert data_fingerprint(find_bank(bank)) != data_fingerprint(find_bank(tiny_bank))


# --- one-line errors -------------------------------------------------------------------------


def test_a_nonexistent_folder_is_named(tmp_path):
    missing = tmp_path / "no_such_bank"
    msg = one_line_error(load_bank, missing)
    assert str(missing) in msg and "not found" in msg


def test_a_missing_required_table_file_is_named(user_bank):
    (user_bank / "balances.csv").unlink()
    msg = one_line_error(load_bank, user_bank)
    assert str(user_bank) in msg and "balances" in msg


def test_only_customers_and_balances_are_required(user_bank):
    for t in USER_TABLES:
        if t not in ("customers", "balances"):
            (user_bank / f"{t}.csv").unlink()
    assert set(check_bank(user_bank)) == {"customers", "balances"}


def test_a_missing_column_names_file_table_and_column(user_bank, tiny_tables):
    write_csv(user_bank, "customers", tiny_tables["customers"].drop(columns="open_date"))
    msg = one_line_error(load_bank, user_bank)
    assert str(user_bank / "customers.csv") in msg and "'customers'" in msg and "'open_date'" in msg


def test_an_optional_column_may_be_missing(user_bank, tiny_tables):
    # leave_date is nullable: a bank without leavers may omit it
    write_csv(user_bank, "staff", tiny_tables["staff"].drop(columns="leave_date"))
    assert load_bank(user_bank, tables=["staff"])["staff"]["leave_date"].isna().all()


def test_a_value_of_the_wrong_type_names_column_and_value(user_bank, tiny_tables):
    customers = tiny_tables["customers"].astype({"age": object})
    customers.loc[5, "age"] = "old"
    write_csv(user_bank, "customers", customers)
    msg = one_line_error(load_bank, user_bank)
    assert str(user_bank / "customers.csv") in msg
    assert "table 'customers'" in msg and "column 'age'" in msg and "old" in msg


def test_an_unreadable_date_names_column_and_value(user_bank, tiny_tables):
    customers = tiny_tables["customers"].astype({"open_date": str})
    customers.loc[3, "open_date"] = "yesterday"
    write_csv(user_bank, "customers", customers)
    msg = one_line_error(load_bank, user_bank)
    assert "table 'customers'" in msg and "column 'open_date'" in msg and "yesterday" in msg


def test_a_value_breaking_a_check_names_column_and_value(user_bank, tiny_tables):
    customers = tiny_tables["customers"].copy()
    customers.loc[7, "gender"] = "X"
    write_csv(user_bank, "customers", customers)
    msg = one_line_error(load_bank, user_bank)
    assert str(user_bank / "customers.csv") in msg
    assert "table 'customers'" in msg and "column 'gender'" in msg and "X" in msg and "1 row(s)" in msg


def test_a_negative_balance_is_an_overdraft_and_allowed(user_bank, tiny_tables):
    # concentration floors each customer's assets at 0 and the report counts them (crmstudy.reports.context)
    balances = tiny_tables["balances"].copy()
    balances.loc[[2, 9], "balance"] = -5.0
    write_csv(user_bank, "balances", balances)
    assert (load_bank(user_bank, tables=["balances"])["balances"]["balance"] < 0).sum() == 2


def test_an_infinite_balance_is_refused(user_bank, tiny_tables):
    balances = tiny_tables["balances"].copy()
    balances.loc[[2, 9], "balance"] = np.inf
    write_csv(user_bank, "balances", balances)
    msg = one_line_error(load_bank, user_bank)
    assert "table 'balances'" in msg and "column 'balance'" in msg and "2 row(s)" in msg and "finite" in msg


def test_a_segment_ending_before_it_starts_is_refused(user_bank, tiny_tables):
    balances = tiny_tables["balances"].copy()
    balances.loc[4, "valid_to"] = balances.loc[4, "valid_from"]
    write_csv(user_bank, "balances", balances)
    msg = one_line_error(load_bank, user_bank)
    assert "table 'balances'" in msg and "valid_to must be after valid_from" in msg


def test_a_duplicate_customer_id_is_refused(user_bank, tiny_tables):
    customers = tiny_tables["customers"].copy()
    customers.loc[1, "customer_id"] = customers.loc[0, "customer_id"]
    write_csv(user_bank, "customers", customers)
    msg = one_line_error(load_bank, user_bank)
    assert "column 'customer_id'" in msg and customers.loc[0, "customer_id"] in msg


def test_a_corrupt_parquet_file_names_file_and_table(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    (bank / "transactions.parquet").write_bytes(np.random.default_rng(0).bytes(4096))
    msg = one_line_error(load_bank, bank)
    assert str(bank / "transactions.parquet") in msg and "table 'transactions'" in msg


def test_an_empty_csv_file_names_file_and_table(user_bank):
    (user_bank / "branches.csv").write_text("")
    msg = one_line_error(load_bank, user_bank)
    assert str(user_bank / "branches.csv") in msg and "table 'branches'" in msg


def test_broken_bank_json_names_the_file_and_line(tiny_bank, tmp_path):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    (bank / "bank.json").write_text('{"seed": 0,\n oops}')
    msg = one_line_error(find_bank, bank)
    assert str(bank / "bank.json") in msg and "line 2" in msg


def test_a_holding_of_an_unknown_customer_fails_check_bank(user_bank, tiny_tables):
    holdings = tiny_tables["holdings"].copy()
    holdings.loc[0, "customer_id"] = "C9999999"
    write_csv(user_bank, "holdings", holdings)
    load_bank(user_bank)  # each table on its own is fine
    msg = one_line_error(check_bank, user_bank)
    assert str(user_bank) in msg and "table 'holdings'" in msg and "column 'customer_id'" in msg
    assert "C9999999" in msg and "customers.customer_id" in msg


def test_a_customer_owned_by_unknown_staff_fails_check_bank(user_bank, tiny_tables):
    customers = tiny_tables["customers"].copy()
    customers.loc[:2, "owner_staff_id"] = "B009-CU99"
    write_csv(user_bank, "customers", customers)
    msg = one_line_error(check_bank, user_bank)
    assert "table 'customers'" in msg and "column 'owner_staff_id'" in msg and "3 value(s)" in msg


def test_asking_for_an_absent_optional_table_names_it(user_bank):
    msg = one_line_error(read_table, find_bank(user_bank), "truth")
    assert str(user_bank) in msg and "'truth'" in msg


def test_validate_table_names_the_source_it_was_given(tiny_tables):
    branches = tiny_tables["branches"].assign(area_type="suburban")
    msg = one_line_error(validate_table, branches, "branches", source="exports/branches.xlsx")
    assert msg.startswith("exports/branches.xlsx: table 'branches', column 'area_type'")
