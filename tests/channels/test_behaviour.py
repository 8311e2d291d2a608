"""Group × channel cells adjusted for wealth, age and activity: nothing beyond the FDR on the null bank."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

import crmstudy.channels as C
from crmstudy.errors import DataError

GROUPINGS = [("life_group", "area_type"), ("tier", "area_type"), ("branch_id",)]


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda b: "×".join(b))
def test_no_channel_cell_of_the_null_bank_is_significant_beyond_the_fdr(null_channels, by):
    customers, use = null_channels
    a = C.channel_association(customers, use, by=by)
    assert len(a.cells) >= 27
    assert not a.cells["significant"].any(), a.significant[["group", "channel", "p_adjusted"]]


def test_without_adjustment_age_makes_life_groups_look_like_channel_preferences(null_channels):
    """The null bank keeps one realism: older customers use the counter. Unadjusted, retirees 'prefer' it."""
    customers, use = null_channels
    raw = C.channel_association(customers, use, by=("life_group",), adjust_for=())
    adjusted = C.channel_association(customers, use, by=("life_group",))
    assert adjusted.cells["significant"].sum() < max(raw.cells["significant"].sum(), 1)


def test_a_cell_matches_statsmodels_stratified_table(tiny_channels):
    customers, use = tiny_channels
    a = C.channel_association(customers, use, by=("branch_id",), adjust_for=("ada",))
    df = customers.merge(use, on="customer_id")
    ranks = df["ada"].rank(method="first").to_numpy()
    strata = np.minimum((ranks - 1) * 5 // len(df), 4).astype(int)
    g = (df["branch_id"] == "B001").to_numpy()
    y = (df["counter"] > 0).to_numpy()
    tables = [
        np.array([[np.sum(g & y & m), np.sum(g & ~y & m)], [np.sum(~g & y & m), np.sum(~g & ~y & m)]])
        for m in (strata == k for k in range(5))
    ]
    ref = StratifiedTable(tables)
    cell = a.cells.set_index(["group", "channel"]).loc[("B001", "counter")]
    assert cell["odds_ratio_mh"] == pytest.approx(ref.oddsratio_pooled, rel=1e-9)
    assert cell["p_value_mh"] == pytest.approx(ref.test_null_odds(correction=False).pvalue, rel=1e-6)


def test_channel_mix_rows_are_shares_of_the_groups_transactions(tiny_channels):
    customers, use = tiny_channels
    mix = C.channel_mix(use, customers, by=["area_type"])
    assert np.allclose(mix.sum(axis=1), 1.0)
    assert set(mix.columns) >= {"counter", "mobile_app", "atm"}


def test_a_missing_grouping_column_is_named(tiny_channels):
    customers, use = tiny_channels
    with pytest.raises(DataError, match="planet"):
        C.channel_association(customers, use, by=("planet",))


def _without_channel(bank_dir, out, branch: str, channel: str):
    """A copy of a bank in which no customer of ``branch`` made a transaction through ``channel``."""
    import shutil

    import pandas as pd

    shutil.copytree(bank_dir, out)
    customers = pd.read_parquet(out / "customers.parquet", columns=["customer_id", "branch_id"])
    mine = set(customers.loc[customers["branch_id"] == branch, "customer_id"])
    tx = pd.read_parquet(out / "transactions.parquet")
    tx[~(tx["customer_id"].isin(mine) & (tx["channel"] == channel))].to_parquet(out / "transactions.parquet")
    return out


@pytest.mark.parametrize("drop", [None, "atm"])
def test_a_branch_s_channel_use_is_the_whole_bank_s_sliced(tiny_bank, tmp_path, drop):
    """Read with the branch filter in the query, the frame is the whole bank's, sliced: same rows, same columns.

    With ``drop``, the branch's customers never used that channel: its column is still there, all zeros.
    """
    import pandas as pd

    from crmstudy.bank import Bank

    path = _without_channel(tiny_bank, tmp_path / "bank", "B002", drop) if drop else tiny_bank
    bank = Bank.open(path)
    whole = C.channel_use(bank)
    branch_of = bank.read("customers", columns=["customer_id", "branch_id"]).set_index("customer_id")["branch_id"]
    for b in ("B001", "B002"):
        want = whole[whole["customer_id"].map(branch_of) == b].reset_index(drop=True)
        got = C.channel_use(bank, branch=b)
        pd.testing.assert_frame_equal(got, want)
    if drop:
        assert (C.channel_use(bank, branch="B002")[drop] == 0).all()
