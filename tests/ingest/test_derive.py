"""Balances derived from a running balance, month-end snapshots and daily balances."""

from __future__ import annotations

import pandas as pd

from crmstudy.ingest.derive import from_daily, from_running_balance, from_snapshots

END = pd.Timestamp("2025-03-31")


def _rows(dates, balances, **extra):
    return pd.DataFrame(
        {"customer_id": "C1", "product_id": "DD", "date": pd.to_datetime(dates), "balance": balances, **extra}
    )


def _ada(seg, start="2025-01-01", end=END):
    start, stop = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    f, t = seg["valid_from"].clip(lower=start), seg["valid_to"].clip(upper=stop)
    days = (t - f).dt.days.clip(lower=0)
    return float((seg["balance"] * days).sum() / (stop - start).days)


def test_the_last_transaction_of_a_day_sets_its_end_of_day_balance_which_holds_to_the_next_day():
    seg = from_running_balance(_rows(["2025-01-01", "2025-01-01", "2025-02-01"], [100.0, 90.0, 40.0]), end=END)
    assert seg["balance"].tolist() == [90.0, 40.0]
    assert seg["valid_to"].tolist() == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-04-01")]
    assert _ada(seg) == (90 * 31 + 40 * 59) / 90


def test_a_sequence_column_orders_transactions_within_a_day_not_the_file_order():
    rows = _rows(["2025-01-01", "2025-01-01"], [90.0, 100.0], sequence=[2, 1])
    assert from_running_balance(rows, end=END)["balance"].tolist() == [90.0]


def test_accounts_are_kept_apart_and_a_customers_two_accounts_overlap_to_be_added():
    rows = pd.concat([_rows(["2025-01-01"], [10.0], account_id="A"), _rows(["2025-01-01"], [5.0], account_id="B")])
    seg = from_running_balance(rows, end=END)
    assert sorted(seg["balance"]) == [5.0, 10.0] and _ada(seg) == 15.0


def test_month_resolution_keeps_each_months_closing_balance():
    rows = _rows(["2025-01-05", "2025-01-20", "2025-02-10"], [10.0, 30.0, 20.0])
    seg = from_running_balance(rows, end=END, resolution="month")
    assert seg["balance"].tolist() == [30.0, 20.0]
    assert seg["valid_from"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]


def test_a_snapshot_holds_for_its_whole_month_and_the_last_month_is_clipped_to_the_period():
    rows = _rows(["2025-01-31", "2025-03-31"], [10.0, 20.0])
    seg = from_snapshots(rows, end=pd.Timestamp("2025-03-15"))
    assert seg["valid_to"].tolist() == [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-16")]


def test_daily_balances_merge_runs_of_equal_values_and_a_missing_day_breaks_the_run():
    rows = _rows(["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-05"], [5.0, 5.0, 7.0, 7.0])
    seg = from_daily(rows, end=END)
    assert seg[["balance"]].to_numpy().ravel().tolist() == [5.0, 7.0, 7.0]
    assert seg["valid_to"].iloc[0] == pd.Timestamp("2025-01-03")
    assert _ada(seg) == (5 * 2 + 7 + 7) / 90
