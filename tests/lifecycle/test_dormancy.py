"""Dormancy: sliding customers, wake-ups after a contact, the dormant book."""

from __future__ import annotations

from crmstudy.lifecycle import dormancy


def test_wake_up_after_contact_is_planted(tiny_bank):
    planted = dormancy.wake_up(tiny_bank)
    assert planted.low > 0  # planted: a contact wakes 30 % within 14 days, against 1 % a month
    # absent in the null bank: checked on the null demo bank (test_demo_must_show.py, covers 0).
    # The tiny null bank has about 45 contacted dormant customers; since the realism defaults
    # seeds 0 and 2 of 0-5 exclude 0 narrowly (5 of 47 and 3 of 43 woke against ~1 expected),
    # more than 5 % would: not explained yet (no knob alone does it), left for issue 15


def test_sliding_scores_active_customers(tiny_bank, tiny_tables):
    s = dormancy.sliding(tiny_bank)
    assert s["customer_id"].is_unique and s["p_quiet_90d"].between(0, 1).all()


def test_the_dormant_book_counts_no_more_dormant_than_customers(tiny_bank):
    book = dormancy.dormant_book(tiny_bank)
    assert (book["dormant"] <= book["customers"]).all()
    assert set(book["tier"].astype(str)) <= {"key", "sub_key", "general", "potential", "mass"}
