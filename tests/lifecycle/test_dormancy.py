"""Dormancy: sliding customers, wake-ups after a contact, the dormant book."""

from __future__ import annotations

import pytest

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


def _reference_wake_up(bank):
    """The wake-up counts as computed before 2026-12-03: a Python grid of customers x month starts
    and EXISTS range joins (6.6 min and 17 GB on a million customers); kept to hold the ASOF version to it."""
    from datetime import timedelta

    import numpy as np
    import pandas as pd

    start, end = bank.period.start, bank.period.end
    first, last = start + timedelta(days=90), end - timedelta(days=dormancy.WAKE_DAYS)
    visits = bank.sql("SELECT customer_id, CAST(visit_date AS DATE) AS d0 FROM visits")
    visits["d0"] = pd.to_datetime(visits["d0"]).dt.date
    visits = visits[(visits["d0"] >= first) & (visits["d0"] <= last)].drop_duplicates()
    months = [d.date() for d in pd.date_range(first, last, freq="MS")]
    cust = bank.sql("SELECT customer_id FROM customers")["customer_id"]
    grid = pd.DataFrame([(c, m) for m in months for c in cust], columns=["customer_id", "d0"])
    hit = grid.merge(visits.rename(columns={"d0": "v"}), on="customer_id")
    gap = np.array([(v - d).days for v, d in zip(hit["v"], hit["d0"], strict=True)], dtype=int)
    near = (gap >= 0) & (gap < dormancy.WAKE_DAYS)
    touched = set(zip(hit["customer_id"][near], hit["d0"][near], strict=True))
    grid = grid[[(c, d) not in touched for c, d in zip(grid["customer_id"], grid["d0"], strict=True)]]
    points = pd.concat([visits.assign(contacted=True), grid.assign(contacted=False)], ignore_index=True)
    points["d0"] = pd.to_datetime(points["d0"])
    bank.con.register("_ref_points", points)
    try:
        df = bank.con.execute(
            f"""WITH own AS (SELECT customer_id, CAST(ts AS DATE) AS d FROM transactions WHERE {dormancy._OWN}),
            cand AS (SELECT c.customer_id, c.branch_id, s.d0, s.contacted
                     FROM customers c JOIN _ref_points s ON s.customer_id = c.customer_id
                     WHERE CAST(c.open_date AS DATE) <= s.d0 - INTERVAL 180 DAY)
            SELECT cand.*,
              EXISTS (SELECT 1 FROM own o WHERE o.customer_id = cand.customer_id
                      AND o.d < cand.d0 AND o.d >= cand.d0 - INTERVAL 180 DAY) AS active_before,
              EXISTS (SELECT 1 FROM own o WHERE o.customer_id = cand.customer_id
                      AND o.d >= cand.d0 AND o.d < cand.d0 + INTERVAL 30 DAY) AS woke
            FROM cand"""
        ).df()
    finally:
        bank.con.unregister("_ref_points")
    df = df[~df["active_before"]]
    left = bank.sql("SELECT customer_id FROM holdings GROUP BY customer_id HAVING COUNT(*) = COUNT(close_date)")
    df = df[~df["customer_id"].isin(left["customer_id"])]
    return df


@pytest.mark.parametrize("name", ["tiny_bank", "tiny_null_bank"])
def test_the_wake_up_counts_are_the_range_joins(name, request):
    from crmstudy.bank import Bank

    bank = Bank.open(request.getfixturevalue(name))
    ref = _reference_wake_up(bank)
    for branch in (None, sorted(ref["branch_id"].unique())[0]):
        r = ref if branch is None else ref[ref["branch_id"] == branch]
        c, o = r[r["contacted"]], r[~r["contacted"]]
        got = dormancy.wake_up(bank, branch=branch)
        assert (got.n_contacted, got.woke_contacted) == (len(c), int(c["woke"].sum()))
        assert (got.n_other, got.woke_other) == (len(o), int(o["woke"].sum()))
        assert got.n_contacted > 5 and got.n_other > 100  # not a vacuous comparison
