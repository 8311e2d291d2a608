"""Tiers, ownership, RM workload, upgrade candidates and the long tail; id masking.

Small frames built in each test, so that every expected value can be read off
by eye.  Bars from source 001 (DOMAIN.md): key 500k (the evident intent of the
article's duplicated 200k), sub-key 200k, general 50k, potential 20k average
or 50k at a point in time; owners: >= 10M president, >= 1M vice-president.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmstudy.errors import DataError, ParamsError
from crmstudy.privacy import mask_customers, mask_id, mask_name
from crmstudy.tiers import (
    TIERS,
    TierThresholds,
    assign_tiers,
    long_tail_profile,
    ownership_table,
    required_owner_role,
    rm_workload,
    tier_table,
    upgrade_candidates,
)


def frame(ada, peak=None, **cols) -> pd.DataFrame:
    """Features of customers C01, C02, ... with the given ADA.

    Peak and period-end assets default to the ADA, products held on the last day to 1.
    """
    ada = np.asarray(ada, dtype=float)
    ids = [f"C{i + 1:02d}" for i in range(len(ada))]
    cols = {"end_assets": ada, "n_products": 1, **cols}
    return pd.DataFrame({"customer_id": ids, "ada": ada, "peak_assets": ada if peak is None else peak, **cols})


def tiers_of(ada, peak=None, **kw) -> list[str]:
    return assign_tiers(frame(ada, peak), **kw).astype(str).tolist()


# --- tiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ada, tier",
    [
        (10_000_000, "key"),
        (500_000, "key"),
        (499_999.99, "sub_key"),
        (200_000, "sub_key"),
        (199_999.99, "general"),
        (50_000, "general"),
        (49_999.99, "potential"),
        (20_000, "potential"),
        (19_999.99, "mass"),
        (0, "mass"),
    ],
)
def test_each_bar_is_inclusive(ada, tier):
    assert tiers_of([ada]) == [tier]


def test_a_point_in_time_peak_of_50k_makes_a_small_customer_potential():
    assert tiers_of([5_000, 5_000], peak=[50_000, 49_999.99]) == ["potential", "mass"]


def test_a_point_in_time_peak_lifts_no_higher_than_potential():
    assert tiers_of([1_000], peak=[5_000_000]) == ["potential"]


def test_tiers_are_ordered_highest_first():
    t = assign_tiers(frame([0, 600_000]))
    assert list(t.cat.categories) == list(TIERS) and t.cat.ordered
    assert t.iloc[1] < t.iloc[0]  # key ranks before mass


def test_tiers_follow_custom_bars_and_column_names():
    f = pd.DataFrame({"aum": [150.0, 99.0], "top": [0.0, 0.0]})
    bars = TierThresholds(key=1_000, sub_key=500, general=100, potential=50, potential_point_in_time=80)
    assert assign_tiers(f, bars, ada="aum", peak="top").astype(str).tolist() == ["general", "potential"]


def test_assign_tiers_names_a_missing_column():
    with pytest.raises(DataError, match="assign_tiers: missing column.*peak_assets"):
        assign_tiers(pd.DataFrame({"ada": [1.0]}))


@pytest.mark.parametrize(
    "bars",
    [
        dict(key=100_000),  # key below sub-key
        dict(key=200_000),  # the article's typo: key equal to sub-key
        dict(general=20_000),  # general equal to potential
        dict(potential=0),
        dict(potential=-1),  # a bar must be positive
    ],
)
def test_bars_that_do_not_strictly_decrease_are_refused(bars):
    with pytest.raises(ParamsError) as e:
        TierThresholds(**bars)
    assert "\n" not in str(e.value) and "key > sub_key > general > potential" in str(e.value)


def test_tier_table_lists_every_tier_with_shares_summing_to_one():
    f = frame([600_000, 300_000, 60_000, 30_000, 1_000, 2_000])
    table = tier_table(f, assign_tiers(f)).set_index("tier")
    assert list(table.index) == list(TIERS)
    assert table["customers"].tolist() == [1, 1, 1, 1, 2]
    assert table["customer_share"].sum() == pytest.approx(1)
    assert table["asset_share"].sum() == pytest.approx(1)
    assert table.loc["key", "asset_share"] == pytest.approx(600_000 / 993_000)
    assert table.loc["mass", "mean_ada"] == pytest.approx(1_500)


def test_tier_table_keeps_empty_tiers_at_zero():
    f = frame([1_000, 2_000])
    table = tier_table(f, assign_tiers(f)).set_index("tier")
    assert table.loc[["key", "sub_key", "general", "potential"], "customers"].eq(0).all()


# --- ownership ----------------------------------------------------------------------------------

STAFF = pd.DataFrame(
    {
        "staff_id": ["PR", "VP", "WM", "CM1", "CM2", "CM3"],
        "branch_id": "B001",
        "role": [
            "president",
            "vice_president",
            "wealth_manager",
            "customer_manager",
            "customer_manager",
            "customer_manager",
        ],
        "start_date": pd.Timestamp("2015-01-01"),
        "leave_date": [pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.Timestamp("2025-06-30")],
    }
)


@pytest.mark.parametrize(
    "ada, role",
    [
        (10_000_000, "president"),
        (9_999_999.99, "vice_president"),
        (1_000_000, "vice_president"),
        (999_999.99, "staff"),
        (0, "staff"),
    ],
)
def test_required_owner_by_average_daily_assets(ada, role):
    assert required_owner_role(frame([ada])).tolist() == [role]


def test_ownership_counts_who_sits_with_the_right_role():
    f = frame(
        [20_000_000, 20_000_000, 2_000_000, 2_000_000, 100_000, 100_000],
        owner_staff_id=["PR", "VP", "VP", "CM1", "CM1", "PR"],
    )
    table = ownership_table(f, STAFF).set_index("required_owner")
    assert table["customers"].tolist() == [2, 2, 2]
    # a 20M customer with a vice-president, a 2M customer with a customer manager and a
    # small customer on the president's own book are all in the wrong place
    assert table["correctly_owned"].tolist() == [1, 1, 1]
    assert table["correct_share"].tolist() == [0.5, 0.5, 0.5]
    assert table.loc["president", "assets"] == 40_000_000


def test_customers_of_an_owner_who_left_are_orphans():
    f = frame([100_000, 100_000, 100_000], owner_staff_id=["CM3", "CM3", "CM1"])
    row = ownership_table(f, STAFF).set_index("required_owner").loc["staff"]
    assert (row["orphaned"], row["correctly_owned"]) == (2, 1)


def test_an_owner_leaving_after_as_of_leaves_no_orphans_yet():
    f = frame([100_000, 100_000], owner_staff_id=["CM3", "CM3"])
    before = ownership_table(f, STAFF, as_of="2025-06-29").set_index("required_owner").loc["staff"]
    on_the_day = ownership_table(f, STAFF, as_of="2025-06-30").set_index("required_owner").loc["staff"]
    assert (before["orphaned"], on_the_day["orphaned"]) == (0, 2)


def test_ownership_lists_every_role_even_when_empty():
    table = ownership_table(frame([100.0], owner_staff_id=["CM1"]), STAFF)
    assert table["required_owner"].tolist() == ["president", "vice_president", "staff"]
    assert table["customers"].tolist() == [0, 0, 1]
    assert np.isnan(table["correct_share"].iloc[0])


# --- RM workload ---------------------------------------------------------------------------------


def book(counts: dict[str, int]) -> pd.DataFrame:
    owners = [sid for sid, n in counts.items() for _ in range(n)]
    return frame(np.full(len(owners), 1_000.0), owner_staff_id=owners)


@pytest.mark.parametrize("n, status", [(249, "under"), (250, "within"), (400, "within"), (401, "over")])
def test_workload_band_is_inclusive(n, status):
    staff = STAFF[STAFF["staff_id"] == "CM1"]
    w = rm_workload(book({"CM1": n}), staff)
    assert (w.loc[0, "customers"], w.loc[0, "status"]) == (n, status)


def test_workload_lists_every_customer_manager_and_only_them():
    w = rm_workload(book({"CM1": 300, "CM2": 120, "PR": 5}), STAFF).set_index("staff_id")
    assert sorted(w.index) == ["CM1", "CM2", "CM3"]
    assert w["customers"].to_dict() == {"CM1": 300, "CM2": 120, "CM3": 0}
    assert w.loc["CM1", "assets"] == 300_000
    assert w["customers"].is_monotonic_decreasing


def test_a_manager_who_left_is_marked_left_whatever_the_book():
    w = rm_workload(book({"CM3": 300}), STAFF).set_index("staff_id")
    assert w.loc["CM3", "status"] == "left"
    w = rm_workload(book({"CM3": 300}), STAFF, as_of="2025-01-31").set_index("staff_id")
    assert w.loc["CM3", "status"] == "within"


def test_workload_follows_a_custom_band():
    w = rm_workload(book({"CM1": 120}), STAFF[STAFF["staff_id"] == "CM1"], band=(100, 150))
    assert w.loc[0, "status"] == "within"


def test_a_band_upside_down_is_refused():
    with pytest.raises(ParamsError, match=r"'min' \(400\) must not exceed 'max' \(250\)"):
        rm_workload(book({"CM1": 1}), STAFF, band=(400, 250))


# --- upgrade candidates ---------------------------------------------------------------------------


def test_candidates_sit_within_the_window_below_the_next_bar():
    f = frame([495_000, 450_000, 449_999, 190_000, 48_000, 19_900, 15_000])
    c = upgrade_candidates(f, top_n=None).set_index("customer_id")
    # 449,999 is 10.0002 % below key; 15,000 is 25 % below potential
    assert set(c.index) == {"C01", "C02", "C04", "C05", "C06"}
    assert c.loc["C01", "next_tier"] == "key" and c.loc["C01", "gap"] == pytest.approx(5_000)
    assert c.loc["C02", "gap_share"] == pytest.approx(0.10)  # exactly at the window's edge: in
    assert (c.loc["C04", "tier"], c.loc["C04", "next_tier"], c.loc["C04", "bar"]) == ("general", "sub_key", 200_000)


def test_candidates_come_smallest_relative_gap_first():
    f = frame([495_000, 190_000, 48_000, 19_900])  # gaps 1 %, 5 %, 4 %, 0.5 %
    c = upgrade_candidates(f, top_n=None)
    assert c["customer_id"].tolist() == ["C04", "C01", "C03", "C02"]
    assert c["gap_share"].is_monotonic_increasing


def test_no_customer_of_the_top_tier_is_a_candidate():
    assert upgrade_candidates(frame([500_000, 5_000_000, 499_000]), top_n=None)["customer_id"].tolist() == ["C03"]


def test_a_customer_exactly_on_a_bar_is_not_a_candidate_for_it():
    assert upgrade_candidates(frame([200_000]), top_n=None).empty


def test_the_next_bar_is_measured_from_the_current_tier():
    # 19,900 average is 0.5 % below potential, but a 60k peak already makes the customer
    # potential, so the next bar is general (50k), 60 % away: not a candidate
    assert upgrade_candidates(frame([19_900], peak=[60_000]), top_n=None).empty


def test_top_n_keeps_the_nearest():
    f = frame([495_000, 190_000, 48_000, 19_900])
    assert upgrade_candidates(f, top_n=2)["customer_id"].tolist() == ["C04", "C01"]


def test_a_wider_window_finds_more():
    f = frame([495_000, 450_000, 400_000])
    assert len(upgrade_candidates(f, window=0.05, top_n=None)) == 1
    assert len(upgrade_candidates(f, window=0.25, top_n=None)) == 3


@pytest.mark.parametrize("window", [0, 1, 1.5, -0.1, float("nan")])
def test_a_window_outside_zero_to_one_is_refused(window):
    with pytest.raises(ParamsError, match="upgrade.window must be a fraction between 0 and 1"):
        upgrade_candidates(frame([1_000]), window=window)


def test_a_customer_already_over_the_bar_at_the_period_end_is_not_a_candidate():
    # all three average 495k, 1 % below key; on the last day C02 has 500k (on the bar) and C03 520k
    f = frame([495_000] * 3, end_assets=[499_999.99, 500_000, 520_000])
    assert upgrade_candidates(f, top_n=None)["customer_id"].tolist() == ["C01"]
    every = upgrade_candidates(f, top_n=None, drop_excluded=False).set_index("customer_id")["excluded"]
    assert every.isna().tolist() == [True, False, False] and every.loc["C02"] == every.loc["C03"] == "above_at_end"


def test_a_customer_holding_no_product_on_the_last_day_has_closed_and_is_not_a_candidate():
    f = frame([495_000, 190_000, 190_000], n_products=[0, 1, 0], end_assets=[600_000, 0, 0])
    c = upgrade_candidates(f, top_n=None, drop_excluded=False).set_index("customer_id")
    assert c["excluded"].to_dict() == {"C01": "closed", "C02": None, "C03": "closed"}
    assert upgrade_candidates(f, top_n=None)["customer_id"].tolist() == ["C02"]


def test_top_n_counts_only_candidates_that_are_kept():
    f = frame([495_000, 499_000, 190_000], end_assets=[495_000, 510_000, 190_000])
    assert upgrade_candidates(f, top_n=2)["customer_id"].tolist() == ["C01", "C03"]


def test_the_period_end_checks_can_be_switched_off_and_a_missing_column_is_named():
    f = frame([495_000], end_assets=[600_000], n_products=[0])
    assert upgrade_candidates(f, end=None, held=None, top_n=None)["customer_id"].tolist() == ["C01"]
    with pytest.raises(DataError, match="upgrade_candidates: missing column.*end_assets"):
        upgrade_candidates(f.drop(columns="end_assets"))


def test_no_upgrade_candidate_of_the_tiny_bank_ends_the_period_over_its_bar_or_without_a_product(tiny_bank):
    from crmstudy.features import customer_features

    f = customer_features(tiny_bank)
    c = upgrade_candidates(f, top_n=None)
    every = upgrade_candidates(f, top_n=None, drop_excluded=False)
    assert len(c) and (c["end_assets"] < c["bar"]).all() and (c["n_products"] > 0).all()
    assert len(every) == len(c) + every["excluded"].notna().sum() and every["excluded"].notna().any()


# --- long tail ------------------------------------------------------------------------------------


def test_head_is_the_top_fifth_by_ada_and_shares_sum_to_one():
    f = frame(
        np.arange(1, 11) * 1_000.0,
        n_txn=np.arange(10),
        n_products=np.ones(10, dtype=int),
        dormant=[True] * 5 + [False] * 5,
    )
    p = long_tail_profile(f).set_index("part")
    assert p["customers"].tolist() == [2, 8]
    assert p.loc["head", "assets_share"] == pytest.approx(19 / 55)
    for c in ("customers", "assets", "transactions", "products"):
        assert p[f"{c}_share"].sum() == pytest.approx(1)
    assert p.loc["head", "transactions"] == 8 + 9
    assert (p.loc["head", "dormant_share"], p.loc["tail", "dormant_share"]) == (0.0, 5 / 8)


def test_the_head_rounds_up_to_whole_customers():
    assert long_tail_profile(frame([1.0] * 7, n_txn=0, n_products=1)).set_index("part").loc["head", "customers"] == 2


def test_ties_at_the_head_boundary_still_give_a_head_of_the_right_size():
    p = long_tail_profile(frame([5.0] * 10, n_txn=0, n_products=1)).set_index("part")
    assert p["customers"].tolist() == [2, 8]


@pytest.mark.parametrize("share", [0, 1, 1.2])
def test_a_head_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ParamsError, match="long_tail.head_share"):
        long_tail_profile(frame([1.0], n_txn=0, n_products=1), head_share=share)


def test_a_profile_of_no_customers_is_an_error():
    with pytest.raises(DataError, match="no customers"):
        long_tail_profile(frame([], n_txn=[], n_products=[]))


# --- privacy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("C0001234", "C***1234"),
        ("C1234567890", "C***7890"),
        ("C12345", "C***2345"),
        ("C1234", "C****"),
        ("C", "C"),
        ("", ""),
        (1234567, "1***4567"),
    ],
)
def test_ids_keep_first_letter_and_last_four(raw, masked):
    assert mask_id(raw) == masked


@pytest.mark.parametrize("raw, masked", [("王小伟", "王**"), ("王*伟", "王**"), ("欧阳娜娜", "欧***"), ("李", "李*")])
def test_names_keep_the_surname_only(raw, masked):
    assert mask_name(raw) == masked


def test_masking_customers_returns_a_masked_copy():
    df = pd.DataFrame({"customer_id": ["C0001234"], "masked_name": ["王*伟"], "ada": [1.0]})
    out = mask_customers(df)
    assert out.to_dict("records") == [{"customer_id": "C***1234", "masked_name": "王**", "ada": 1.0}]
    assert df.loc[0, "customer_id"] == "C0001234"


def test_masking_skips_columns_that_are_absent():
    out = mask_customers(pd.DataFrame({"id": ["C0001234"]}), id_col="id")
    assert out["id"].tolist() == ["C***1234"]


def test_masked_ids_of_the_tiny_bank_are_still_distinct_enough_to_find(tiny_tables):
    # the last four digits are how an RM finds the customer; at 1,500 customers they are unique
    masked = mask_customers(tiny_tables["customers"])
    assert masked["customer_id"].str.fullmatch(r"C\*\*\*\d{4}").all()
    assert masked["customer_id"].is_unique
    assert not masked["masked_name"].str[1:].str.contains(r"[^*]").any()
