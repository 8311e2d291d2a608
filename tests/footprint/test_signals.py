"""Footprint signals: a hand-built customer's signals against their definitions, no reading
past the window, data without a table or column, and the registry's documentation.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crmstudy import errors
from crmstudy import footprint as fp
from crmstudy.errors import ParamsError
from crmstudy.features import Period, connect

ROOT = Path(__file__).resolve().parents[2]
JAN_APR = Period.of("2025-01-01", "2025-04-30")


# --- signals of a hand-built customer ----------------------------------------------------------


@pytest.fixture(scope="module")
def hand_bank(bank_of, txn) -> duckdb.DuckDBPyConnection:
    c1 = [
        txn("C1", "2025-01-05", "fuel", grade=92, litres=40.0),
        txn("C1", "2025-01-20", "fuel", grade=95, litres=50.0),
        txn("C1", "2025-02-05", "fuel", grade=98, litres=60.0),
        txn("C1", "2025-03-05", "fuel", grade=92, litres=30.0),
        txn("C1", "2025-01-07", "dining", channel="mobile_app"),
        txn("C1", "2025-02-07", "dining"),
        txn("C1", "2025-02-09", "luxury"),
        txn("C1", "2025-02-11", "supermarket", channel="mobile_app"),
        txn("C1", "2025-03-01", "rail_travel", channel="mobile_app"),
        txn("C1", "2025-03-15", "rail_travel"),
        txn("C1", "2025-04-01", "air_travel"),
        txn("C1", "2025-04-03", "cash_withdrawal", channel="atm"),
        txn("C1", "2025-04-05", "internet_lender"),
        txn("C1", "2025-04-07", "third_party_transfer", amount=500.0),
        # salary on the 10th of January, February and April: March missed
        *[txn("C1", f"2025-{m:02d}-10 10:00", "payroll_in", 10_000.0, "in", "counter") for m in (1, 2, 4)],
        # after the window: must never be read
        txn("C1", "2025-05-02", "luxury", amount=9_999.0),
        txn("C1", "2025-05-10 10:00", "payroll_in", 10_000.0, "in"),
    ]
    transactions = pd.DataFrame(c1)
    transactions["fuel_grade"] = transactions["fuel_grade"].astype("Int16")
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "branch_id": ["B001", "B002"],
            "external_credit_lines": pd.array([2, 0], dtype="Int16"),
        }
    )
    visits = pd.DataFrame(
        {
            "customer_id": ["C1"] * 4,
            "visit_date": pd.to_datetime(["2025-01-15", "2025-02-15", "2025-03-15", "2025-05-15"]),
            "attitude": ["positive", "positive", "neutral", "negative"],
            "outcome": ["product_sold", "declined", "follow_up", "declined"],
        }
    )
    return bank_of(customers=customers, transactions=transactions, visits=visits)


@pytest.fixture(scope="module")
def hand_signals(hand_bank) -> pd.DataFrame:
    return fp.compute_signals(hand_bank, JAN_APR).set_index("customer_id")


def test_every_registry_signal_is_computed_for_every_customer(hand_signals):
    assert list(hand_signals.columns) == [s.name for s in fp.SIGNALS]
    assert list(hand_signals.index) == ["C1", "C2"]


@pytest.mark.parametrize(
    "signal, expected",
    [
        ("premium_fuel_share", 2 / 4),  # grades 95 and 98 of four fills
        ("litres_per_fill", (40 + 50 + 60 + 30) / 4),
        ("dining_share", 2 / 14),  # 14 outgoing payments in the window
        ("luxury_share", 1 / 14),
        ("supermarket_share", 1 / 14),
        ("cash_share", 1 / 14),
        ("internet_lender_share", 1 / 14),
        ("rail_trips", 2 / (120 / (365.25 / 12))),  # per average month; Jan–Apr is 120 days
        ("air_trips", 1 / (120 / (365.25 / 12))),
        ("txn_count", 14 / (120 / (365.25 / 12))),  # salary credits are not the customer's own activity
        ("txn_variety", 9),
        ("txn_amount", 100.0),
        ("third_party_out_share", 500 / 1_800),
        ("mobile_share", 3 / 14),
        ("payroll_regularity", 3 / 4),  # March's salary is missing
        ("income_trend", -1_000 / 7_500),  # least-squares slope of 10k, 10k, 0, 10k over their mean
        ("visit_positive_share", 2 / 3),  # May's negative visit is after the window
        ("visit_sold_share", 1 / 3),
        ("external_credit_lines", 2.0),
    ],
)
def test_signals_of_a_hand_built_customer_follow_their_definitions(hand_signals, signal, expected):
    assert hand_signals.at["C1", signal] == pytest.approx(expected, rel=1e-9)


def test_a_customer_without_traces_has_zero_counts_and_no_shares(hand_signals):
    c2 = hand_signals.loc["C2"]
    assert c2[["txn_count", "txn_variety", "txn_frequency", "rail_trips", "air_trips"]].eq(0).all()
    assert c2[["dining_share", "premium_fuel_share", "payroll_regularity", "visit_positive_share"]].isna().all()


def test_signals_of_one_branch_hold_only_its_customers(hand_bank):
    assert fp.compute_signals(hand_bank, JAN_APR, branch="B002")["customer_id"].tolist() == ["C2"]


def test_signals_never_read_past_the_window_end(tiny_bank):
    """Leakage guard: signals of a window equal those of a bank cut off at the window's end."""
    con = connect(tiny_bank)
    full = fp.compute_signals(con, JAN_APR)
    cut = connect(tiny_bank)
    cut.execute(
        f"CREATE OR REPLACE VIEW transactions AS SELECT * "
        f"FROM read_parquet('{tiny_bank}/transactions.parquet') WHERE ts < TIMESTAMP '2025-05-01'"
    )
    cut.execute(
        f"CREATE OR REPLACE VIEW visits AS SELECT * FROM read_parquet('{tiny_bank}/visits.parquet') "
        "WHERE visit_date < TIMESTAMP '2025-05-01'"
    )
    pd.testing.assert_frame_equal(full, fp.compute_signals(cut, JAN_APR))


def test_an_unknown_signal_is_refused_in_one_line(hand_bank):
    with pytest.raises(ParamsError, match="unknown signal.*premium_petrol"):
        fp.compute_signals(hand_bank, JAN_APR, signals=["premium_petrol"])


# --- missing columns and tables: skipped with a notice, not a crash ------------------------------


def test_a_signal_whose_column_the_data_lacks_is_skipped_with_a_notice(tiny_bank):
    con = connect(tiny_bank)
    con.execute(
        f"CREATE OR REPLACE VIEW transactions AS SELECT * EXCLUDE (fuel_grade) "
        f"FROM read_parquet('{tiny_bank}/transactions.parquet')"
    )
    with pytest.warns(fp.SignalSkipped, match="premium_fuel_share.*'transactions'.*fuel_grade") as notices:
        sig = fp.compute_signals(con, JAN_APR)
    assert len(notices) == 1
    assert "premium_fuel_share" not in sig
    assert sig["litres_per_fill"].notna().any()


def test_an_optional_table_or_column_that_is_absent_skips_its_signals(tiny_bank):
    con = connect(tiny_bank)
    con.execute("DROP VIEW visits")
    con.execute(
        f"CREATE OR REPLACE VIEW customers AS SELECT * EXCLUDE (external_credit_lines) "
        f"FROM read_parquet('{tiny_bank}/customers.parquet')"
    )
    with pytest.warns(fp.SignalSkipped) as notices:
        sig = fp.compute_signals(con, JAN_APR)
    said = " ".join(str(n.message) for n in notices)
    for name in ("visit_positive_share", "visit_sold_share", "external_credit_lines"):
        assert name in said and name not in sig
    assert "no 'visits' table" in said


def test_the_skipped_signal_warning_and_the_too_few_events_error_are_those_of_crmstudy_errors():
    assert fp.SignalSkipped is errors.SignalSkipped and issubclass(fp.SignalSkipped, UserWarning)
    assert fp.TooFewEvents is errors.TooFewEvents and issubclass(fp.TooFewEvents, errors.DataError)
    assert all(hasattr(fp, name) for name in fp.__all__)


# --- the registry's documentation ---------------------------------------------------------------


def test_every_registry_signal_is_documented_in_docs_footprint_signals():
    doc = (ROOT / "docs" / "footprint_signals.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    for s in fp.SIGNALS:
        assert any(line.startswith(f"| `{s.name}` |") for line in rows), f"{s.name} is not in the table"
    assert fp.registry_markdown() in doc, "docs/footprint_signals.md is stale: paste registry_markdown() again"
