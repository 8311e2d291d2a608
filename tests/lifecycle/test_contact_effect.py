"""Timely contact after a drain: detected from balances, compared with the events not contacted in time."""

from __future__ import annotations

import pandas as pd

from crmstudy.lifecycle.contact_effect import contact_effect, drain_events


def test_drain_events_find_the_planted_episode_starts(tiny_tables, tiny_bank):
    ev = drain_events(tiny_bank)
    truth = tiny_tables["truth"].set_index("customer_id")
    planted = pd.to_datetime(ev["customer_id"].map(truth["episode_date"])).dt.date
    # the planted first-day drop is 45 %: most first drains are episode starts
    assert (planted == ev["event_date"]).mean() > 0.8
    assert ev["customer_id"].is_unique


def test_null_bank_contact_effect_interval_covers_zero(tiny_null_bank):
    ce = contact_effect(tiny_null_bank)
    assert ce.n_in_time > 0 and ce.n_comparison > 0
    assert ce.diff_low <= 0 <= ce.diff_high


def test_groups_partition_the_events(tiny_bank):
    ce = contact_effect(tiny_bank)
    assert ce.n_in_time + ce.n_comparison == len(ce.events)
    assert ce.to_frame()["events"].sum() == len(ce.events)
