"""Helpers of the footprint tests, as fixtures: hand-built banks and two-group samples.

The banks themselves (the synthetic tiny, demo and null banks) come from tests/conftest.py.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def bank_of():
    """``bank_of(customers=..., transactions=...)``: a DuckDB connection with one view per hand-built
    table, as :func:`crmstudy.features.connect` gives."""

    def bank_of(**tables: pd.DataFrame) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        for name, df in tables.items():
            con.register(f"_{name}", df)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}")
        return con

    return bank_of


@pytest.fixture(scope="session")
def txn():
    """``txn(customer, ts, category, ...)``: one row of a hand-built ``transactions`` table."""

    def txn(customer, ts, category, amount=100.0, direction="out", channel="pos", grade=None, litres=None):
        return {
            "customer_id": customer,
            "ts": pd.Timestamp(ts),
            "amount": amount,
            "direction": direction,
            "channel": channel,
            "merchant_category": category,
            "fuel_grade": grade,
            "fuel_litres": litres,
        }

    return txn


@pytest.fixture(scope="session")
def two_groups():
    """``two_groups(n_a=100, e_a=10, n_b=100, e_b=30, n_miss=0, e_miss=0)``: x = 0 for group A, 1 for
    group B, NaN for the missing group; y with the given events."""

    def two_groups(n_a=100, e_a=10, n_b=100, e_b=30, n_miss=0, e_miss=0):
        x = np.r_[np.zeros(n_a), np.ones(n_b), np.full(n_miss, np.nan)]
        y = np.r_[np.arange(n_a) < e_a, np.arange(n_b) < e_b, np.arange(n_miss) < e_miss].astype(int)
        return pd.Series(x), y

    return two_groups
