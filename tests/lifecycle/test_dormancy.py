"""Dormancy: sliding customers, wake-ups after a contact, the dormant book."""

from __future__ import annotations

from crmstudy.lifecycle import dormancy


def test_wake_up_after_contact_is_planted_and_absent_in_the_null_bank(tiny_bank, tiny_null_bank):
    planted = dormancy.wake_up(tiny_bank)
    assert planted.low > 0  # planted: a contact wakes 30 % within 14 days, against 1 % a month
    null = dormancy.wake_up(tiny_null_bank)
    assert null.low <= 0 <= null.high


def test_sliding_scores_active_customers(tiny_bank, tiny_tables):
    s = dormancy.sliding(tiny_bank)
    assert s["customer_id"].is_unique and s["p_quiet_90d"].between(0, 1).all()


def test_the_dormant_book_counts_no_more_dormant_than_customers(tiny_bank):
    book = dormancy.dormant_book(tiny_bank)
    assert (book["dormant"] <= book["customers"]).all()
    assert set(book["tier"].astype(str)) <= {"key", "sub_key", "general", "potential", "mass"}
