"""Every roll-up level adds up to the bank's total to the cent (property-tested, and on the tiny bank)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import crmstudy.profit as pf


def random_lines(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "customer_id": [f"C{k:03d}" for k in rng.integers(0, 50, n)],
            "product_id": rng.choice(["DEMAND_DEPOSIT", "MORTGAGE", "FUND"], n),
            "month": pd.Timestamp("2025-01-01"),
            "branch_id": rng.choice(["B001", "B002"], n),
            "staff_id": rng.choice(["S1", "S2", "S3"], n),
            "tier": rng.choice(["key", "mass"], n),
            "sales_channel": rng.choice(["counter", "mobile_app"], n),
        }
    )
    for m in pf.MEASURES[:-1]:
        df[m] = rng.integers(-(10**9), 10**9, n)
    df["contribution"] = df["interest"] + df["fees"] - df["cost_to_serve"] - df["rm_cost"] - df["expected_loss"]
    return df


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 300))
def test_every_level_of_random_signed_lines_adds_up_to_the_cent(seed, n):
    lines = random_lines(seed, n)
    totals = pf.check_additive(lines, pf.rollups(lines))
    assert totals["contribution"] == int(lines["contribution"].sum())


def test_the_tiny_bank_adds_up_to_the_cent_at_every_level(tiny_profit):
    rolled = pf.rollups(tiny_profit)
    assert set(rolled) == set(pf.LEVELS)
    totals = pf.check_additive(tiny_profit, rolled)
    assert totals["contribution"] == tiny_profit.total()
    assert rolled["customer"]["customers"].eq(1).all()
    assert all(df[m].dtype == "int64" for df in rolled.values() for m in pf.MEASURES)


def test_the_contribution_is_interest_plus_fees_less_every_cost_at_every_level(tiny_profit):
    b = pf.rollup(tiny_profit, "branch")
    assert (
        b["contribution"] == b["interest"] + b["fees"] - b["cost_to_serve"] - b["rm_cost"] - b["expected_loss"]
    ).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 300))
def test_all_levels_at_once_summed_over_the_months_first_equal_each_level_on_its_own(seed, n):
    """rollups sums the months away once, then every level: the same integers as rollup level by level."""
    lines = random_lines(seed, n)
    lines["month"] = pd.to_datetime(np.where(np.arange(n) % 2, "2025-01-01", "2025-02-01"))
    together = pf.rollups(lines)
    for name in pf.LEVELS:
        pd.testing.assert_frame_equal(together[name], pf.rollup(lines, name), check_exact=True)


def test_the_tiny_bank_s_levels_at_once_equal_each_level_on_its_own(tiny_profit):
    together = pf.rollups(tiny_profit)
    for name in pf.LEVELS:
        pd.testing.assert_frame_equal(together[name], pf.rollup(tiny_profit, name), check_exact=True)
