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


# The null bank's contact effect is checked on the null demo bank
# (test_demo_must_show.py::test_the_null_demo_bank_is_clean): since the realism defaults of
# issue 16 (median wealth 12k, 30 % near-empty accounts) the tiny null bank has 0-3 drain events
# in a year, too few to form both groups.


def test_groups_partition_the_events(tiny_bank):
    ce = contact_effect(tiny_bank)
    assert ce.n_in_time + ce.n_comparison == len(ce.events)
    assert ce.to_frame()["events"].sum() == len(ce.events)
