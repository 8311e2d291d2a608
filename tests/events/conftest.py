"""A hand-made bank of five customers, each with one planted event, for the rules' closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

START, END = "2025-01-01", "2025-12-31"


def _ts(x):
    return pd.Timestamp(x)


def write_bank(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "bank.json").write_text(json.dumps({"period_start": START, "period_end": END}))
    return folder


def hand_tables() -> dict[str, pd.DataFrame]:
    """C1 empties its account on 2 Jun; C2 is paid monthly until April; C3's owner leaves on 15 May;
    C4 stops using the bank after 10 Jan; C5 moves 30,000 out on 3 Mar (a large outflow)."""
    staff = pd.DataFrame(
        {
            "staff_id": ["B001-CU01", "B001-CU02", "B001-LO01", "B001-PR01"],
            "branch_id": "B001",
            "role": ["customer_manager", "customer_manager", "lobby_manager", "president"],
            "start_date": _ts("2020-01-01"),
            "leave_date": [pd.NaT, _ts("2025-05-15"), pd.NaT, pd.NaT],
        }
    )
    ids = ["C1", "C2", "C3", "C4", "C5"]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "masked_name": "王*",
            "branch_id": "B001",
            "age": 40,
            "gender": "F",
            "occupation": "employee",
            "income_band": "50k-100k",
            "acquisition_group": "stock",
            "life_group": "salaried",
            "open_date": _ts("2020-01-01"),
            "owner_staff_id": ["B001-CU01", "B001-CU01", "B001-CU02", "B001-CU01", "B001-CU01"],
        }
    )
    bal = [
        ("C1", "2025-01-01", "2025-06-02", 100_000.0),
        ("C1", "2025-06-02", "2026-01-01", 1_000.0),
        ("C2", "2025-01-01", "2026-01-01", 8_000.0),
        ("C3", "2025-01-01", "2026-01-01", 80_000.0),
        ("C4", "2025-01-01", "2026-01-01", 3_000.0),
        ("C5", "2025-01-01", "2026-01-01", 60_000.0),
    ]
    balances = pd.DataFrame(bal, columns=["customer_id", "valid_from", "valid_to", "balance"])
    balances["product_id"] = "DEMAND_DEPOSIT"
    for c in ("valid_from", "valid_to"):
        balances[c] = pd.to_datetime(balances[c])
    txn = [("C2", f"2025-{m:02d}-10 10:00", 6000.0, "in", "counter", "payroll_in") for m in range(1, 5)]
    txn += [("C4", "2025-01-10 12:00", 100.0, "out", "pos", "supermarket")]
    txn += [("C5", "2025-03-03 12:00", 30_000.0, "out", "counter", "other")]
    columns = ["customer_id", "ts", "amount", "direction", "channel", "merchant_category"]
    transactions = pd.DataFrame(txn, columns=columns)
    transactions["ts"] = pd.to_datetime(transactions["ts"])
    transactions.insert(0, "txn_id", range(1, len(transactions) + 1))
    transactions["fuel_grade"] = pd.array([pd.NA] * len(transactions), dtype="Int16")
    transactions["fuel_litres"] = float("nan")
    holdings = pd.DataFrame(
        {
            "customer_id": ids,
            "product_id": "DEMAND_DEPOSIT",
            "open_date": _ts("2020-01-01"),
            "close_date": pd.NaT,
            "amount": 0.0,
            "delinquent_date": pd.NaT,
        }
    )
    branches = pd.DataFrame(
        {"branch_id": ["B001"], "branch_name": ["Renmin Road Sub-branch"], "region": ["North"], "area_type": ["urban"]}
    )
    products = pd.DataFrame(
        {
            "product_id": ["DEMAND_DEPOSIT"],
            "product_name": ["Demand deposit"],
            "product_name_zh": ["活期存款"],
            "product_line": ["deposits"],
            "kind": ["asset"],
            "base_rate": [float("nan")],
        }
    )
    return {
        "branches": branches,
        "staff": staff,
        "customers": customers,
        "products": products,
        "holdings": holdings,
        "balances": balances,
        "transactions": transactions,
    }


@pytest.fixture(scope="session")
def hand_bank(tmp_path_factory) -> Path:
    return write_bank(tmp_path_factory.mktemp("hand_bank"), hand_tables())
