"""Footprint outcomes: who moves up and who goes delinquent, on a hand-built bank."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from crmstudy import footprint as fp
from crmstudy.features import Period
from crmstudy.synth.products import products_table

JAN_APR = Period.of("2025-01-01", "2025-04-30")
MAY_AUG = Period.of("2025-05-01", "2025-08-31")


# --- outcomes on a hand-built bank ---------------------------------------------------------------


@pytest.fixture(scope="module")
def outcome_bank(bank_of, txn) -> duckdb.DuckDBPyConnection:
    ts = pd.Timestamp
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(1, 8)],
            "branch_id": "B001",
            "open_date": [ts("2024-01-01")] * 3 + [ts("2025-02-01")] + [ts("2024-01-01")] * 3,
        }
    )
    bal = [
        ("C1", "2025-01-01", "2025-05-01", 10_000),
        ("C1", "2025-05-01", "2026-01-01", 30_000),  # mass → potential
        ("C2", "2025-01-01", "2026-01-01", 100_000),  # stays general
        ("C3", "2025-01-01", "2026-01-01", 10_000),  # takes up wealth
        ("C4", "2025-02-01", "2026-01-01", 30_000),  # opened too late
        ("C5", "2025-01-01", "2025-04-15", 60_000),
    ]  # left in April
    balances = pd.DataFrame(
        [(c, "DEMAND_DEPOSIT", ts(f), ts(t), float(b)) for c, f, t, b in bal],
        columns=["customer_id", "product_id", "valid_from", "valid_to", "balance"],
    )
    hold = [
        ("C3", "WEALTH_MGMT", "2025-06-15", None, None),
        ("C2", "TIME_DEPOSIT", "2025-06-01", None, None),
        ("C1", "CONSUMER_LOAN", "2024-03-01", None, "2025-06-01"),  # goes bad in May–Aug
        ("C2", "CREDIT_CARD", "2024-03-01", None, None),  # stays good
        ("C3", "MORTGAGE", "2024-03-01", None, "2025-03-01"),  # already bad before May
        ("C4", "CONSUMER_LOAN", "2025-02-15", None, "2025-07-01"),  # a customer since February only
        ("C5", "CREDIT_CARD", "2025-06-01", None, "2025-07-01"),  # credit opened inside the window
        ("C6", "CONSUMER_LOAN", "2024-03-01", "2025-04-01", None),  # repaid before May
        ("C7", "DEMAND_DEPOSIT", "2024-03-01", None, None),
    ]  # not a borrower
    day = lambda v: ts(v) if v else pd.NaT  # noqa: E731
    holdings = pd.DataFrame(
        [(c, p, ts(o), day(cl), day(d)) for c, p, o, cl, d in hold],
        columns=["customer_id", "product_id", "open_date", "close_date", "delinquent_date"],
    )
    # one unrelated payment: the asset definitions (crmstudy.feature_defs) bind every table they read
    transactions = pd.DataFrame([{"txn_id": "T1", **txn("C7", "2025-01-05", "dining")}])
    return bank_of(
        customers=customers, balances=balances, holdings=holdings, products=products_table(), transactions=transactions
    )


def test_value_outcome_counts_a_tier_up_or_a_wealth_take_up(outcome_bank):
    v = fp.value_outcome(outcome_bank, JAN_APR, MAY_AUG).set_index("customer_id")
    assert list(v.index) == ["C1", "C2", "C3"]  # C4 opened inside the signal window, C5 had left
    assert v["tier_up"].tolist() == [True, False, False]
    assert v["wealth_take_up"].tolist() == [False, False, True]  # a time deposit is not a wealth product
    assert v["y"].tolist() == [1, 0, 1]


def test_risk_outcome_follows_borrowers_open_and_good_at_the_window_start(outcome_bank):
    r = fp.risk_outcome(outcome_bank, MAY_AUG, opened_before=JAN_APR.start)
    assert r["customer_id"].tolist() == ["C1", "C2"]
    assert r["y"].tolist() == [1, 0]
