"""Replay: a year of detection and policy keeps every promise, reports its service level, and lists work privately."""

from __future__ import annotations

import json
import stat

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmstudy.cli import main
from crmstudy.events.replay import cap_breaches, compare


@pytest.fixture(scope="module")
def replayed(tiny_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("replay")
    private = tmp_path_factory.mktemp("private") / "lists"
    argv = ["replay", "--data", str(tiny_bank), "--out", str(out), "--private-out", str(private)]
    assert main([*argv, "--start", "2025-04-01", "--end", "2025-07-31"]) == 0
    return out, private


def test_a_replay_has_no_customer_over_the_caps_and_no_event_without_owner_or_deadline(replayed):
    out, _ = replayed
    s = json.loads((out / "summary.json").read_text())
    assert s["events"] > 100
    assert s["customers_over_caps"] == 0
    assert s["events_without_owner"] == 0 and s["events_without_deadline"] == 0
    assert s["actioned_in_time"] + s["escalated"] + s["open_at_end"] == s["events"]
    assert 0 < s["share_actioned_in_time"] <= 1
    assert sum(s["escalated_by_reason"].values()) == s["escalated"]
    assert sum(k["events"] for k in s["by_kind"].values()) == s["events"]


def test_the_action_queue_matches_the_summary_and_the_caps_recount_from_the_contacts(replayed, tiny_bank):
    out, _ = replayed
    queue = pd.read_parquet(out / "action_queue.parquet")
    contacts = pd.read_parquet(out / "contacts.parquet")
    s = json.loads((out / "summary.json").read_text())
    assert len(queue) == s["events"] and len(contacts) == s["contacts"]
    assert (
        queue.loc[queue["status"] == "actioned", "action_day"] <= queue.loc[queue["status"] == "actioned", "last_day"]
    ).all()
    visits = pd.read_parquet(tiny_bank / "visits.parquet")
    from crmstudy.params import ContactPolicyParams

    assert cap_breaches(contacts, visits, ContactPolicyParams()) == 0
    # a policy allowing two contacts a week would have been over the one-a-week cap somewhere
    assert cap_breaches(contacts, visits, ContactPolicyParams(max_per_week=1, max_per_month=1)) > 0


def test_the_event_log_of_a_replay_is_the_event_command_s_day_by_day(replayed, tiny_bank, capsys):
    out, _ = replayed
    assert main(["events", "--data", str(tiny_bank), "--date", "2025-06-30", "--out", str(out)]) == 0
    assert "0 added, 0 removed" in capsys.readouterr().out


def test_action_lists_are_private_files_with_unmasked_ids_and_empty_outcome_columns(replayed):
    _, private = replayed
    files = sorted(private.iterdir())
    assert files and {f.suffix for f in files} == {".csv", ".xlsx"}
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    lst = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    assert lst["customer_id"].str.fullmatch(r"C\d{7}").all()  # unmasked: an RM calls with it
    assert (lst[["contact_date", "contact_type", "attitude", "feedback_code", "outcome"]] == "").all().all()
    assert (lst["why"] != "").all() and (lst["channel"] != "").all() and (lst["offer"] != "").all()
    xlsx = pd.read_excel(files[1])
    assert len(xlsx) == len(lst)


def test_a_second_policy_is_replayed_side_by_side(tiny_bank, tmp_path):
    strict = tmp_path / "strict.yaml"
    strict.write_text("contact_policy:\n  capacity: 1\n  queue_capacity: 1\n")
    out = tmp_path / "out"
    assert (
        main(
            [
                "replay",
                "--data",
                str(tiny_bank),
                "--out",
                str(out),
                "--compare",
                str(strict),
                "--start",
                "2025-05-01",
                "--end",
                "2025-06-30",
            ]
        )
        == 0
    )
    doc = json.loads((out / "compare.json").read_text())
    a, b = doc["policy"], doc["compare"]
    assert a["events"] == b["events"]  # the same events, served by two policies
    assert b["escalated_by_reason"].get("capacity", 0) >= a["escalated_by_reason"].get("capacity", 0)
    table = compare(a, b)
    assert {"actioned_in_time", "escalated", "customers_over_caps"} <= set(table.index)
    assert "customers reached in time after a warning" in table.index
    assert "churn prevented (planted, 95% CI)" in table.index
    # a tighter capacity reaches no more customers in time
    assert b["churn_prevented"]["customers_reached"] <= a["churn_prevented"]["customers_reached"]


def _reached(queue: pd.DataFrame) -> int:
    from crmstudy.events.prevented import WARNING_KINDS

    warn = queue[queue["kind"].isin(WARNING_KINDS) & (queue["status"] == "actioned")]
    return int(warn["customer_id"].nunique())


def test_churn_prevented_is_the_customers_reached_times_the_base_rate_times_the_effect(replayed):
    out, _ = replayed
    s = json.loads((out / "summary.json").read_text())
    cp = s["churn_prevented"]
    queue = pd.read_parquet(out / "action_queue.parquet")
    assert cp["status"] == "ok" and cp["customers_reached"] == _reached(queue) > 0
    p0 = cp["p0"]
    assert p0["low"] <= p0["rate"] <= p0["high"] and p0["rate"] == pytest.approx(p0["left"] / p0["events"], abs=1e-4)
    planted = cp["planted"]
    assert planted["relative_risk"] == 0.6  # the tiny bank plants CONTACT_RR
    want = cp["customers_reached"] * p0["left"] / p0["events"] * (1 - 0.6)
    assert planted["prevented"] == pytest.approx(want, abs=0.06)
    assert planted["low"] <= planted["prevented"] <= planted["high"]


def test_a_null_bank_s_replay_prevents_nothing_planted_and_its_estimate_covers_zero(tiny_null_bank, tmp_path):
    out = tmp_path / "out"
    assert main(["replay", "--data", str(tiny_null_bank), "--out", str(out), "--start", "2025-03-01"]) == 0
    cp = json.loads((out / "summary.json").read_text())["churn_prevented"]
    assert cp["status"] == "ok" and cp["customers_reached"] > 0
    assert cp["planted"]["relative_risk"] == 1.0 and cp["planted"]["prevented"] == 0
    est = cp["estimated"]
    assert est is None or (est["low"] <= 0 <= est["high"] and not cp["significant"])


def _cap_breaches_by_loop(contacts: pd.DataFrame, visits: pd.DataFrame | None, params) -> int:
    """The recount as first written: for each contact, every known contact looked at one by one."""
    breached = set()
    log = (
        {} if visits is None else {c: sorted(pd.to_datetime(g)) for c, g in visits.groupby("customer_id")["visit_date"]}
    )
    for c, days in contacts.groupby("customer_id")["day"]:
        mine = sorted(pd.to_datetime(days))
        for t in mine:
            known = [d for d in log.get(c, []) if d < t] + [d for d in mine if d <= t]
            week = sum(t - pd.Timedelta(days=6) <= d for d in known)
            month = sum(d.year == t.year and d.month == t.month for d in known)
            if week > params.max_per_week or month > params.max_per_month:
                breached.add(c)
    return len(breached)


_day = st.integers(min_value=0, max_value=75).map(lambda k: pd.Timestamp("2025-01-20") + pd.Timedelta(days=k))


@settings(max_examples=150, deadline=None)
@given(
    contacts=st.lists(st.tuples(st.sampled_from(["C1", "C2", "C3"]), _day), max_size=25),
    visits=st.lists(st.tuples(st.sampled_from(["C1", "C2", "C4"]), _day, st.booleans()), max_size=25),
    week=st.integers(1, 3),
    month=st.integers(1, 5),
)
def test_the_cap_recount_is_the_contact_by_contact_loop(contacts, visits, week, month):
    """Any contacts and visit log (visits at a time of day, or with no date), any caps: the same customers over them."""
    from crmstudy.params import ContactPolicyParams

    con = pd.DataFrame(contacts, columns=["customer_id", "day"])
    rows = [(c, d + pd.Timedelta(hours=15) if timed else d) for c, d, timed in visits]
    vis = pd.DataFrame(rows, columns=["customer_id", "visit_date"])
    if len(vis):
        vis.loc[vis.index[::7], "visit_date"] = pd.NaT
    p = ContactPolicyParams(max_per_week=week, max_per_month=month)
    assert cap_breaches(con, vis, p) == _cap_breaches_by_loop(con, vis, p)
    assert cap_breaches(con, None, p) == _cap_breaches_by_loop(con, None, p)
