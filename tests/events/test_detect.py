"""Detection: each rule fires once, on the first day its condition holds, and reads nothing after the day."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from crmstudy.bank import Bank
from crmstudy.events import COLUMNS, KINDS, detect
from crmstudy.params import load

from .conftest import write_bank


@pytest.fixture(scope="module")
def year(hand_bank):
    return detect(hand_bank, "2025-01-01", "2025-12-31")


def _only(ev, customer):
    rows = ev[ev["customer_id"] == customer]
    return [(r.kind, r.day.date()) for r in rows.itertuples()]


def test_an_emptied_account_is_one_balance_drop_on_the_day_it_fell(year):
    assert ("balance_drop", date(2025, 6, 2)) in _only(year, "C1")
    assert sum(k == "balance_drop" for k, _ in _only(year, "C1")) == 1


def test_salary_stop_fires_salary_gap_days_after_the_last_credit(year):
    assert _only(year, "C2") == [("salary_stop", date(2025, 4, 10) + timedelta(days=40))]


def test_the_customers_of_a_departing_owner_get_an_owner_left_event_when_their_assets_reach_the_floor(year, hand_bank):
    assert _only(year, "C3") == [("owner_left", date(2025, 5, 15))]
    rich_only = detect(hand_bank, "2025-05-15", params=load(extra={"events": {"owner_left_min": 90_000}}))
    assert "owner_left" not in set(rich_only["kind"])


def test_dormancy_onset_is_the_dormant_days_th_idle_day(year):
    assert ("dormancy_onset", date(2025, 1, 10) + timedelta(days=180)) in _only(year, "C4")


def test_a_day_s_outflow_over_the_floor_and_share_of_assets_is_a_large_outflow(year):
    ev = year[(year["customer_id"] == "C5") & (year["kind"] == "large_outflow")]
    assert len(ev) == 1 and ev["day"].iloc[0] == pd.Timestamp("2025-03-03")
    assert ev["amount"].iloc[0] == 30_000 and ev["base"].iloc[0] == 60_000


def test_every_event_has_an_owner_a_priority_and_a_deadline_24_or_48_hours_after_detection(year):
    assert list(year.columns) == COLUMNS
    assert year["owner_staff_id"].notna().all() and year["deadline"].notna().all()
    hours = (year["deadline"] - year["detected_at"]) / pd.Timedelta(hours=1)
    assert set(hours) <= {24, 48}
    assert (year["detected_at"] == year["day"] + pd.Timedelta(days=1)).all()
    assert set(year["kind"]) <= set(KINDS)


def test_a_range_of_days_gives_exactly_the_events_of_its_days_one_by_one(tiny_bank):
    bank = Bank.open(tiny_bank)
    lo, hi = date(2025, 6, 1), date(2025, 6, 5)
    whole = detect(bank, lo, hi)
    days = pd.concat([detect(bank, lo + timedelta(days=k)) for k in range((hi - lo).days + 1)], ignore_index=True)
    assert len(whole) > 0
    assert sorted(whole["event_id"]) == sorted(days["event_id"])


def test_a_day_s_detection_reads_nothing_after_the_day(tiny_bank, tmp_path):
    """The tiny bank cut at the close of 30 June gives the same events for 30 June as the whole bank."""
    day = pd.Timestamp("2025-06-30")
    cut = day + pd.Timedelta(days=1)
    bank = Bank.open(tiny_bank)
    tables = {t: bank.read(t, validate=False) for t in ("branches", "staff", "customers", "products", "holdings")}
    b = bank.read("balances", validate=False)
    b = b[b["valid_from"] < cut].copy()
    b["valid_to"] = b["valid_to"].clip(upper=cut)
    tx = bank.read("transactions", validate=False)
    tables.update(balances=b, transactions=tx[tx["ts"] < cut])
    folder = write_bank(tmp_path / "cut", tables)
    full, part = detect(bank, day), detect(folder, day)
    assert len(full) > 0
    pd.testing.assert_frame_equal(full, part)


def test_the_events_command_run_twice_on_a_day_adds_nothing_the_second_time(tiny_bank, tmp_path, capsys):
    from crmstudy.cli import main
    from crmstudy.events.store import read_events

    argv = ["events", "--data", str(tiny_bank), "--date", "2025-06-30", "--out", str(tmp_path)]
    assert main(argv) == 0
    first = read_events(tmp_path)
    assert main(argv) == 0
    assert "0 added, 0 removed" in capsys.readouterr().out.splitlines()[-1]
    pd.testing.assert_frame_equal(read_events(tmp_path), first)
    import duckdb

    with duckdb.connect(str(tmp_path / "events.duckdb"), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == len(first)


def test_a_day_outside_the_bank_s_data_is_one_line_and_exit_2(tiny_bank, tmp_path, capsys):
    from crmstudy.cli import main

    assert main(["events", "--data", str(tiny_bank), "--date", "2031-01-01", "--out", str(tmp_path)]) == 2
    assert main(["events", "--data", str(tiny_bank), "--date", "June", "--out", str(tmp_path)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_one_branch_s_events_are_the_bank_s_events_of_its_customers(tiny_bank):
    every = detect(tiny_bank, "2025-06-01", "2025-06-10")
    mine = detect(tiny_bank, "2025-06-01", "2025-06-10", branch="B002")
    assert len(mine) and set(mine["branch_id"]) == {"B002"}
    pd.testing.assert_frame_equal(mine, every[every["branch_id"] == "B002"].reset_index(drop=True))


@pytest.mark.slow
def test_churn_risk_events_need_the_churn_model_to_beat_its_baseline_so_a_null_bank_has_none(tiny_null_bank):
    on = load(extra={"events": {"churn_risk": True}})
    ev = detect(tiny_null_bank, "2025-10-01", "2025-10-07", params=on)
    assert "churn_risk" not in set(ev["kind"])


@pytest.mark.parametrize(
    "lo, hi",
    [("2025-06-17", "2025-06-17"), ("2025-06-30", "2025-06-30"), ("2025-09-01", "2025-10-15"), ("2025-01-01", None)],
)
def test_the_rules_on_their_slices_give_the_events_of_the_whole_tables(tiny_bank, lo, hi):
    """The slices (a few rows a day) hold every row a rule can use: the same events, to the last column."""
    bank = Bank.open(tiny_bank)
    sliced = detect(bank, lo, hi)
    whole = detect(bank, lo, hi, sliced=False)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(sliced, whole)


@pytest.mark.parametrize(
    "lo, hi",
    [
        ("2025-06-17", "2025-06-17"),
        ("2025-06-30", "2025-06-30"),
        ("2025-09-01", "2025-10-15"),
        ("2025-01-01", None),
        ("2025-01-01", "2025-12-31"),
    ],
)
def test_the_day_ordered_store_gives_the_events_of_the_whole_tables(tiny_bank, tmp_path_factory, lo, hi):
    """The day store (a day reads its own row groups; the gap rules a summed look-back): same events, every column."""
    bank = Bank.open(tiny_bank)
    root = tmp_path_factory.getbasetemp() / "daystore_tiny"  # one store for every case: built once
    stored = detect(bank, lo, hi, store=root)
    whole = detect(bank, lo, hi, sliced=False)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(stored, whole, check_exact=True)  # to the last bit of every amount


def test_the_day_store_of_the_hand_bank_gives_its_planted_events(hand_bank, year, tmp_path):
    pd.testing.assert_frame_equal(detect(hand_bank, "2025-01-01", "2025-12-31", store=tmp_path), year, check_exact=True)


def test_the_day_store_is_built_once_per_version_of_the_bank_s_files(tiny_bank, tmp_path):
    from crmstudy.events.daystore import open_store

    bank = Bank.open(tiny_bank)
    first = open_store(bank, tmp_path)
    assert first.built_seconds > 0 and (first.path / "store.json").exists()
    again = open_store(Bank.open(tiny_bank), tmp_path)
    assert again.path == first.path and again.built_seconds == 0.0
    assert [p.name for p in tmp_path.iterdir()] == [first.path.name]  # no temporary folder left behind


def test_a_changed_bank_gets_a_new_day_store_and_its_own_events(tiny_bank, tmp_path):
    """The cut bank of 30 June has other files: its own store, the same day's events as the whole bank's."""
    from crmstudy.events.daystore import open_store

    day = pd.Timestamp("2025-06-30")
    cut = day + pd.Timedelta(days=1)
    bank = Bank.open(tiny_bank)
    tables = {t: bank.read(t, validate=False) for t in ("branches", "staff", "customers", "products", "holdings")}
    b = bank.read("balances", validate=False)
    b = b[b["valid_from"] < cut].copy()
    b["valid_to"] = b["valid_to"].clip(upper=cut)
    tx = bank.read("transactions", validate=False)
    tables.update(balances=b, transactions=tx[tx["ts"] < cut])
    folder = write_bank(tmp_path / "cut", tables)
    root = tmp_path / "store"
    whole_store = open_store(bank, root).path
    pd.testing.assert_frame_equal(detect(folder, day, store=root), detect(bank, day, sliced=False))
    assert [p.name for p in root.iterdir()] != [whole_store.name]
