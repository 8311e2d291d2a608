"""Channel migration: the monthly digital share and its trend, tested with FDR control."""

from __future__ import annotations

import numpy as np
import pandas as pd

import crmstudy.channels as C


def test_monthly_shares_add_up_to_one_per_branch_and_month(tiny_bank):
    m = C.channel_migration(tiny_bank)
    assert np.allclose(m.groupby(["branch_id", "month"])["share"].sum(), 1.0)
    assert m["month"].nunique() == 12


def test_the_null_bank_has_no_significant_migration(tiny_null_bank):
    trend = C.migration_trend(C.channel_migration(tiny_null_bank))
    assert not trend["significant"].any()


def test_a_planted_shift_to_digital_is_found():
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    rows = []
    for k, month in enumerate(months):
        digital = 400 + 20 * k  # 40 % -> 62 % of 1,000 a month
        rows += [("B001", month, "mobile_app", digital), ("B001", month, "counter", 1000 - digital)]
        rows += [("B002", month, "mobile_app", 500 + (k % 2)), ("B002", month, "counter", 500 - (k % 2))]
    monthly = pd.DataFrame(rows, columns=["branch_id", "month", "channel", "n_txn"])
    trend = C.migration_trend(monthly).set_index("branch_id")
    assert trend.loc["B001", "significant"] and not trend.loc["B002", "significant"]
    assert 0.2 < trend.loc["B001", "slope_per_year"] < 0.3
