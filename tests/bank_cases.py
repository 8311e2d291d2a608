"""A small hand-made bank and the ways a real export breaks it: the malformed-input battery's material.

:func:`base_tables` is a bank of 40 customers in two branches written with pandas (every
table, a year of balances); each entry of :data:`REFUSED` and :data:`LEGAL` changes a copy of
it the way a bank's export does.  ``tests/test_validate_battery.py`` runs them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

N = 40
PERIOD = ("2025-01-01", "2025-12-31")


def base_tables() -> dict[str, pd.DataFrame]:
    """Every table of a tiny, valid bank (2 branches, 40 customers, 2025)."""
    rng = np.random.default_rng(14)
    ids = [f"C{i:03d}" for i in range(1, N + 1)]
    branch = ["B1" if i % 2 else "B2" for i in range(1, N + 1)]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "masked_name": ["王*伟"] * N,
            "branch_id": branch,
            "age": rng.integers(20, 80, N),
            "gender": rng.choice(["F", "M"], N),
            "occupation": "clerk",
            "income_band": rng.choice(["low", "mid", "high"], N),
            "acquisition_group": rng.choice(["lobby", "stock", "outreach"], N),
            "life_group": rng.choice(["young", "family", "senior"], N),
            "open_date": pd.to_datetime("2020-03-01") + pd.to_timedelta(rng.integers(0, 1500, N), unit="D"),
            "owner_staff_id": ["S1" if b == "B1" else "S2" for b in branch],
        }
    )
    ada = np.round(rng.lognormal(10, 1.5, N), 2)
    balances = pd.DataFrame(
        {
            "customer_id": ids + ids,
            "product_id": ["P1"] * N + ["P2"] * N,
            "valid_from": pd.to_datetime(["2025-01-01"] * N + ["2025-07-01"] * N),
            "valid_to": pd.to_datetime(["2025-07-01"] * N + ["2026-01-01"] * N),
            "balance": np.concatenate([ada, ada * 1.1]),
        }
    )
    n_tx = 6 * N
    transactions = pd.DataFrame(
        {
            "txn_id": np.arange(1, n_tx + 1),
            "customer_id": np.repeat(ids, 6),
            "ts": pd.to_datetime("2025-01-05") + pd.to_timedelta(rng.integers(0, 360, n_tx), unit="D"),
            "amount": np.round(rng.lognormal(6, 1, n_tx), 2),
            "direction": rng.choice(["in", "out"], n_tx),
            "channel": rng.choice(["counter", "mobile_app"], n_tx),
            "merchant_category": rng.choice(["grocery", "fuel", "payroll_in"], n_tx),
            "fuel_grade": pd.array([pd.NA] * n_tx, dtype="Int16"),
            "fuel_litres": np.nan,
        }
    )
    holdings = pd.DataFrame(
        {
            "customer_id": ids + ids[::3],
            "product_id": ["P1"] * N + ["P3"] * len(ids[::3]),
            "open_date": pd.to_datetime("2021-01-01"),
            "close_date": pd.NaT,
            "amount": 1000.0,
            "delinquent_date": pd.NaT,
        }
    )
    return {
        "branches": pd.DataFrame(
            {
                "branch_id": ["B1", "B2"],
                "branch_name": ["North", "South"],
                "region": "R1",
                "area_type": ["urban", "county"],
            }
        ),
        "staff": pd.DataFrame(
            {
                "staff_id": ["S1", "S2", "S3"],
                "branch_id": ["B1", "B2", "B1"],
                "role": ["customer_manager", "customer_manager", "president"],
                "start_date": pd.to_datetime("2015-01-01"),
                "leave_date": pd.NaT,
            }
        ),
        "customers": customers,
        "products": pd.DataFrame(
            {
                "product_id": ["P1", "P2", "P3"],
                "product_name": ["Time deposit", "Mutual fund", "Credit card"],
                "product_name_zh": ["定期存款", "基金", "信用卡"],
                "product_line": ["deposits", "wealth", "cards"],
                "kind": ["asset", "asset", "credit"],
                "base_rate": [0.015, np.nan, 0.18],
            }
        ),
        "holdings": holdings,
        "balances": balances,
        "transactions": transactions,
    }


def write_bank(
    folder: Path, tables: dict[str, pd.DataFrame], *, fmt: str = "parquet", meta: dict | None = None
) -> Path:
    """Write ``tables`` into ``folder`` as Parquet (or CSV), with a ``bank.json`` of the period."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False)
        else:
            df.to_parquet(folder / f"{name}.parquet", index=False)
    bank_json = {"period_start": PERIOD[0], "period_end": PERIOD[1], "currency": "CNY"} if meta is None else meta
    if bank_json:
        (folder / "bank.json").write_text(json.dumps(bank_json), encoding="utf-8")
    return folder


def _set(table, column, rows, value):
    """A change: ``table.column`` set to ``value`` in ``rows`` (a copy of the table)."""

    def change(t):
        df = t[table].copy()
        if isinstance(value, str) or value is None or pd.api.types.is_string_dtype(df[column]):
            df[column] = df[column].astype(object)
        df.loc[rows, column] = value
        t[table] = df

    return change


def copy_with_missing_ages(src: Path, dst: Path, *, every: int = 3, branch: str | None = None) -> Path:
    """A copy of the bank folder ``src`` in ``dst`` with every ``every``-th customer's age missing.

    ``branch``: that branch's customers lose their age too, every one of them (a branch whose export
    has no ages). ``bank.json`` names a new generation, so no cache takes the copy for the original.
    """
    import shutil

    shutil.copytree(src, dst)
    customers = pd.read_parquet(dst / "customers.parquet")
    gone = np.arange(len(customers)) % every == 0
    if branch is not None:
        gone |= (customers["branch_id"] == branch).to_numpy()
    customers["age"] = customers["age"].astype("float64").mask(gone)
    customers.to_parquet(dst / "customers.parquet", index=False)
    meta = json.loads((dst / "bank.json").read_text())
    meta["generation"] = f"{meta.get('generation', '')}-ages-missing-every-{every}-{branch}"
    (dst / "bank.json").write_text(json.dumps(meta))
    return dst
