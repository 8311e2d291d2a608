"""Customer features: closed forms on a hand-built bank, then pandas references on the tiny bank.

Balances are segments ``[valid_from, valid_to)`` of a constant end-of-day balance.
ADA is the sum of balance x days over the period's days (days without a segment
count as zero), peak is the highest end-of-day total across products, end is
the total on the period's last day.  Float tolerance 1e-6 relative: the SQL and
pandas sum the same numbers in different orders.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from crmstudy.errors import ParamsError
from crmstudy.features import (
    DIGITAL_CHANNELS,
    DORMANT_DAYS,
    Period,
    connect,
    customer_assets,
    customer_features,
    product_summary,
    transaction_summary,
)
from crmstudy.schema import validate_table
from crmstudy.synth import preset_spec

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
END = pd.Timestamp("2026-01-01")  # exclusive end of YEAR
T = pd.Timestamp
RTOL = 1e-6


def ndays(a: str, b: str) -> int:
    return (T(b) - T(a)).days


# --- the hand-built bank ------------------------------------------------------------------

# id, branch, opened, owner
CUSTOMERS = [
    ("C1", "B001", "2015-01-01", "B001-CU01"),  # 10,000 all year, in twelve monthly segments
    ("C2", "B001", "2015-01-01", "B001-CU01"),  # 36,500 for ten days only
    ("C3", "B001", "2015-01-01", "B001-CU02"),  # two products overlapping in June
    ("C4", "B002", "2015-01-01", "B002-CU01"),  # a segment begun before the period, then a hand-over
    ("C5", "B002", "2025-10-01", "B002-CU01"),  # new in October: no balances, no transactions
    ("C6", "B002", "2025-05-01", "B002-CU02"),  # new in May: no balances, no transactions
]
MONTHS = pd.date_range("2025-01-01", "2026-01-01", freq="MS")
BALANCES = [("C1", "DEMAND_DEPOSIT", a, b, 10_000.0) for a, b in zip(MONTHS[:-1], MONTHS[1:])] + [
    ("C2", "DEMAND_DEPOSIT", T("2025-03-01"), T("2025-03-11"), 36_500.0),
    ("C3", "DEMAND_DEPOSIT", T("2025-01-01"), T("2025-07-01"), 20_000.0),
    ("C3", "TIME_DEPOSIT", T("2025-06-01"), T("2026-01-01"), 50_000.0),
    ("C4", "DEMAND_DEPOSIT", T("2024-07-01"), T("2025-07-02"), 10_000.0),
    ("C4", "WEALTH_MGMT", T("2025-07-02"), T("2025-10-01"), 15_000.0),
]
# id, product, opened, closed
HOLDINGS = [
    ("C1", "DEMAND_DEPOSIT", "2015-01-01", None),
    ("C1", "MOBILE_BANKING", "2020-01-01", None),
    ("C1", "CREDIT_CARD", "2021-01-01", "2025-06-01"),  # closed mid-year: not held at the end
    ("C2", "DEMAND_DEPOSIT", "2015-01-01", None),
    ("C2", "FUND", "2026-02-01", None),  # opened after the period
    ("C3", "DEMAND_DEPOSIT", "2015-01-01", None),
    ("C3", "TIME_DEPOSIT", "2025-06-01", "2026-01-01"),
    ("C4", "DEMAND_DEPOSIT", "2015-01-01", None),
    ("C4", "WEALTH_MGMT", "2025-07-02", "2025-10-01"),
    ("C5", "DEMAND_DEPOSIT", "2025-10-01", None),
    ("C6", "DEMAND_DEPOSIT", "2025-05-01", None),
]
# customer, time, amount, direction, channel, category
TRANSACTIONS = [
    ("C1", T("2024-12-31 23:00"), 999.0, "in", "counter", "transfer_in"),  # before the period
    ("C1", T("2025-03-02 10:00"), 1_000.0, "in", "mobile_app", "transfer_in"),
    ("C1", T("2025-06-15 12:00"), 200.0, "out", "pos", "supermarket"),
    ("C1", T("2025-12-20 18:00"), 300.0, "out", "counter", "third_party_transfer"),
    ("C1", T("2026-01-01 00:00"), 999.0, "out", "pos", "supermarket"),  # after the period
    ("C2", END - pd.Timedelta(days=DORMANT_DAYS), 50.0, "out", "pos", "dining"),  # exactly 180 days idle
    ("C3", END - pd.Timedelta(days=DORMANT_DAYS) + pd.Timedelta(hours=12), 50.0, "out", "pos", "dining"),
] + [("C4", T(f"2025-{m:02d}-10 10:00"), 6_000.0, "in", "counter", "payroll_in") for m in range(1, 13)]


def build_hand_bank(folder, tiny_tables) -> None:
    """Write the hand-built bank as Parquet, every table checked against its schema."""
    customers = pd.DataFrame(CUSTOMERS, columns=["customer_id", "branch_id", "open_date", "owner_staff_id"]).assign(
        masked_name="王*伟",
        age=40,
        gender="F",
        occupation="teacher",
        income_band="50k-100k",
        acquisition_group="stock",
        life_group="salaried",
    )
    holdings = pd.DataFrame(HOLDINGS, columns=["customer_id", "product_id", "open_date", "close_date"]).assign(
        amount=0.0, delinquent_date=pd.NaT
    )
    balances = pd.DataFrame(BALANCES, columns=["customer_id", "product_id", "valid_from", "valid_to", "balance"])
    tx = pd.DataFrame(
        TRANSACTIONS, columns=["customer_id", "ts", "amount", "direction", "channel", "merchant_category"]
    )
    tx.insert(0, "txn_id", [f"T{i:04d}" for i in range(len(tx))])
    tables = {
        "branches": tiny_tables["branches"].iloc[:2],
        "staff": tiny_tables["staff"].iloc[:20],
        "products": tiny_tables["products"],
        "customers": customers,
        "holdings": holdings,
        "balances": balances,
        "transactions": tx.assign(fuel_grade=pd.NA, fuel_litres=np.nan),
    }
    for name, df in tables.items():
        validate_table(df.copy(), name, source=name).to_parquet(folder / f"{name}.parquet", index=False)


@pytest.fixture(scope="module")
def hand_bank(tiny_tables, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand_bank")
    build_hand_bank(folder, tiny_tables)
    return folder


def assets_of(bank, period: Period = YEAR) -> pd.DataFrame:
    return customer_assets(connect(bank), period).set_index("customer_id")


@pytest.fixture(scope="module")
def hand_features(hand_bank) -> pd.DataFrame:
    return customer_features(hand_bank, YEAR).set_index("customer_id")


# --- assets in closed form -----------------------------------------------------------------


def test_ten_thousand_every_day_of_the_year_is_an_ada_of_ten_thousand(hand_bank):
    c1 = assets_of(hand_bank).loc["C1"]
    assert c1["ada"] == pytest.approx(10_000, rel=RTOL)


def test_adjacent_segments_of_one_product_do_not_add_up_in_the_peak(hand_bank):
    c1 = assets_of(hand_bank).loc["C1"]
    assert (c1["peak_assets"], c1["end_assets"]) == (pytest.approx(10_000), pytest.approx(10_000))


def test_ten_days_of_36500_average_to_1000_over_the_year(hand_bank):
    c2 = assets_of(hand_bank).loc["C2"]
    assert c2["ada"] == pytest.approx(1_000, rel=RTOL)
    assert c2["peak_assets"] == pytest.approx(36_500)
    assert c2["end_assets"] == 0


def test_overlapping_products_peak_at_their_sum(hand_bank):
    c3 = assets_of(hand_bank).loc["C3"]
    assert c3["peak_assets"] == pytest.approx(20_000 + 50_000)
    expected = (20_000 * ndays("2025-01-01", "2025-07-01") + 50_000 * ndays("2025-06-01", "2026-01-01")) / 365
    assert c3["ada"] == pytest.approx(expected, rel=RTOL)
    assert c3["end_assets"] == pytest.approx(50_000)


def test_a_segment_begun_before_the_period_counts_only_its_days_inside(hand_bank):
    c4 = assets_of(hand_bank).loc["C4"]
    inside = ndays("2025-01-01", "2025-07-02")  # 182 of its 366 days
    expected = (10_000 * inside + 15_000 * ndays("2025-07-02", "2025-10-01")) / 365
    assert c4["ada"] == pytest.approx(expected, rel=RTOL)


def test_a_hand_over_between_products_on_one_day_is_not_a_peak(hand_bank):
    # one segment ends on 2 July as the next begins: the end-of-day total is 15,000, never 25,000
    assert assets_of(hand_bank).loc["C4", "peak_assets"] == pytest.approx(15_000)


def test_customers_without_balances_get_zero_assets(hand_bank, hand_features):
    assert {"C5", "C6"}.isdisjoint(assets_of(hand_bank).index)
    assert (hand_features.loc[["C5", "C6"], ["ada", "peak_assets", "end_assets"]] == 0).all().all()


def test_a_sub_period_inside_the_overlap_averages_the_sum(hand_bank):
    c3 = assets_of(hand_bank, Period.of("2025-06-01", "2025-06-30")).loc["C3"]
    assert (c3["ada"], c3["peak_assets"], c3["end_assets"]) == (
        pytest.approx(70_000, rel=RTOL),
        pytest.approx(70_000),
        pytest.approx(70_000),
    )


def test_a_sub_period_half_in_the_overlap_weights_by_days(hand_bank):
    c3 = assets_of(hand_bank, Period.of("2025-05-01", "2025-06-30")).loc["C3"]
    assert c3["ada"] == pytest.approx((20_000 * 61 + 50_000 * 30) / 61, rel=RTOL)


def test_a_ten_day_period_covering_the_burst_averages_its_balance(hand_bank):
    c2 = assets_of(hand_bank, Period.of("2025-03-01", "2025-03-10")).loc["C2"]
    assert c2["ada"] == pytest.approx(36_500, rel=RTOL)
    assert c2["end_assets"] == pytest.approx(36_500)


def test_a_sub_period_without_balances_leaves_the_customer_out(hand_bank):
    assert "C2" not in assets_of(hand_bank, Period.of("2025-04-01", "2025-04-30")).index


# --- activity and products in closed form -------------------------------------------------------


def test_transactions_outside_the_period_are_not_counted(hand_features):
    c1 = hand_features.loc["C1"]
    assert (c1["n_txn"], c1["amount_in"], c1["amount_out"], c1["n_categories"]) == (3, 1_000, 500, 3)


def test_channel_and_third_party_shares(hand_features):
    c1 = hand_features.loc["C1"]
    assert "mobile_app" in DIGITAL_CHANNELS and "pos" not in DIGITAL_CHANNELS
    assert c1["digital_share"] == pytest.approx(1 / 3)
    assert c1["counter_share"] == pytest.approx(1 / 3)
    assert c1["third_party_out_share"] == pytest.approx(300 / 500)


def test_a_customer_idle_for_exactly_180_days_is_dormant(hand_features):
    c2 = hand_features.loc["C2"]
    assert (c2["days_since_active"], c2["dormant"]) == (DORMANT_DAYS, True)


def test_a_customer_idle_for_just_under_180_days_is_not_dormant(hand_features):
    c3 = hand_features.loc["C3"]
    assert (c3["days_since_active"], c3["dormant"]) == (DORMANT_DAYS - 1, False)


def test_payroll_credits_alone_do_not_make_a_customer_active(hand_features):
    # source 001: dormant = opened an account and does no business; a salary arriving is not business
    c4 = hand_features.loc["C4"]
    assert c4["n_txn"] == 12 and pd.isna(c4["last_active_ts"])
    assert (c4["days_since_active"], c4["dormant"]) == (365, True)


def test_a_new_customer_is_not_dormant_before_180_days(hand_features):
    c5 = hand_features.loc["C5"]
    assert (c5["n_txn"], c5["days_since_active"], c5["dormant"]) == (0, ndays("2025-10-01", "2026-01-01"), False)


def test_a_new_customer_idle_since_opening_180_days_ago_is_dormant(hand_features):
    c6 = hand_features.loc["C6"]
    assert (c6["days_since_active"], c6["dormant"]) == (ndays("2025-05-01", "2026-01-01"), True)


def test_products_count_what_is_held_on_the_last_day(hand_features):
    n = hand_features["n_products"]
    assert n["C1"] == 2  # deposit and mobile banking; the card closed in June
    assert n["C2"] == 1  # the fund opens only after the period
    assert n["C3"] == 2  # closing on the day after the period still counts
    assert n["C4"] == 1


def test_coverage_is_lines_held_over_lines_offered(hand_features, tiny_tables):
    lines = tiny_tables["products"]["product_line"].nunique()
    assert hand_features.loc["C1", "n_product_lines"] == 2  # deposits, e_banking
    assert hand_features.loc["C1", "coverage"] == pytest.approx(2 / lines)


def test_branch_keeps_only_that_branchs_customers(hand_bank):
    assert list(customer_features(hand_bank, YEAR, branch="B002")["customer_id"]) == ["C4", "C5", "C6"]


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ParamsError, match="must not be before"):
        Period.of("2025-12-31", "2025-01-01")


def test_a_period_date_that_is_not_a_date_is_named():
    with pytest.raises(ParamsError, match="'period.end' must be a date like 2025-12-31, got 'soon'"):
        Period.of("2025-01-01", "soon")


def test_period_length_counts_both_ends():
    assert YEAR.days == 365 and Period.of("2025-03-01", "2025-03-01").days == 1


# --- pandas references on the tiny bank ------------------------------------------------------------


def reference_assets(balances: pd.DataFrame, period: Period) -> pd.DataFrame:
    """ADA, peak and end assets by expanding every segment to one row per day."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end_exclusive)
    b = balances[(balances["valid_to"] > start) & (balances["valid_from"] < end)]
    f, t = b["valid_from"].clip(lower=start), b["valid_to"].clip(upper=end)
    n = (t - f).dt.days.to_numpy()
    row = np.repeat(np.arange(len(b)), n)
    day = (f - start).dt.days.to_numpy()[row] + (np.arange(n.sum()) - np.repeat(n.cumsum() - n, n))
    daily = pd.DataFrame(
        {"customer_id": b["customer_id"].to_numpy()[row], "day": day, "balance": b["balance"].to_numpy()[row]}
    )
    total = daily.groupby(["customer_id", "day"])["balance"].sum().reset_index()
    by = total.groupby("customer_id")["balance"]
    last = total[total["day"] == period.days - 1].set_index("customer_id")["balance"]
    out = pd.DataFrame({"ada": by.sum() / period.days, "peak_assets": by.max()})
    out["end_assets"] = last.reindex(out.index, fill_value=0.0)
    return out


@pytest.mark.parametrize(
    "period",
    [YEAR, Period.of("2025-03-15", "2025-06-20"), Period.of("2025-12-31", "2025-12-31")],
    ids=["year", "spring", "last-day"],
)
def test_duckdb_assets_equal_a_daily_pandas_reference(tiny_bank, tiny_tables, period):
    got = assets_of(tiny_bank, period).sort_index()
    want = reference_assets(tiny_tables["balances"], period).sort_index()
    assert list(got.index) == list(want.index)
    for col in ("ada", "peak_assets", "end_assets"):
        np.testing.assert_allclose(got[col], want[col], rtol=RTOL, atol=1e-6, err_msg=col)


def test_the_tiny_bank_has_point_in_time_spikes_to_find(tiny_bank):
    # the reference test above only bites on peaks if some peaks differ from the average
    a = assets_of(tiny_bank)
    assert ((a["peak_assets"] >= 50_000) & (a["ada"] < 20_000)).sum() >= 5


def test_tiny_features_use_the_period_in_bank_json(tiny_bank):
    spec = preset_spec("tiny")
    explicit = customer_features(tiny_bank, Period(spec.start, spec.end))
    np.testing.assert_allclose(customer_features(tiny_bank)["ada"], explicit["ada"], rtol=RTOL)


@pytest.mark.parametrize("period", [YEAR, Period.of("2025-07-01", "2025-09-30")], ids=["year", "q3"])
def test_transaction_summary_equals_a_pandas_groupby(tiny_bank, tiny_tables, period):
    tx = tiny_tables["transactions"]
    tx = tx[(tx["ts"] >= pd.Timestamp(period.start)) & (tx["ts"] < pd.Timestamp(period.end_exclusive))]
    g = tx.groupby("customer_id")
    want = pd.DataFrame(
        {
            "n_txn": g.size(),
            "amount_in": tx["amount"].where(tx["direction"] == "in", 0).groupby(tx["customer_id"]).sum(),
            "amount_out": tx["amount"].where(tx["direction"] == "out", 0).groupby(tx["customer_id"]).sum(),
            "n_categories": g["merchant_category"].nunique(),
            "digital_share": tx["channel"].isin(DIGITAL_CHANNELS).groupby(tx["customer_id"]).mean(),
        }
    ).sort_index()
    got = transaction_summary(connect(tiny_bank), period).set_index("customer_id").sort_index()
    assert list(got.index) == list(want.index)
    assert (got["n_txn"] == want["n_txn"]).all() and (got["n_categories"] == want["n_categories"]).all()
    for col in ("amount_in", "amount_out", "digital_share"):
        np.testing.assert_allclose(got[col], want[col], rtol=RTOL, err_msg=col)


def test_product_summary_equals_a_pandas_count(tiny_bank, tiny_tables):
    h = tiny_tables["holdings"]
    held = h[(h["open_date"] < END) & (h["close_date"].isna() | (h["close_date"] >= END))]
    want = held.groupby("customer_id")["product_id"].nunique().sort_index()
    got = product_summary(connect(tiny_bank), YEAR).set_index("customer_id")["n_products"].sort_index()
    assert (got == want).all() and list(got.index) == list(want.index)


def test_the_one_query_equals_its_three_parts_merged_onto_the_customers(tiny_bank, tiny_tables):
    # customer_features runs as one query; the reference merges the three parts in pandas
    con = connect(tiny_bank)
    want = tiny_tables["customers"][["customer_id"]]
    for part in (customer_assets, transaction_summary, product_summary):
        want = want.merge(part(con, YEAR), on="customer_id", how="left")
    got = customer_features(tiny_bank, YEAR)
    assert got["customer_id"].tolist() == sorted(want["customer_id"])
    want = want.set_index("customer_id").loc[got["customer_id"]]
    for c in ("ada", "peak_assets", "end_assets", "n_txn", "amount_out", "n_categories", "n_products"):
        assert np.allclose(got[c], want[c].fillna(0), rtol=RTOL), c
    for c in ("digital_share", "third_party_out_share", "last_active_ts"):
        pd.testing.assert_series_equal(got[c], want[c].reset_index(drop=True), check_names=False)


def test_branch_features_are_the_bank_features_of_that_branch(tiny_bank):
    everyone = customer_features(tiny_bank).set_index("customer_id")
    b2 = customer_features(tiny_bank, branch="B002").set_index("customer_id")
    assert set(b2["branch_id"]) == {"B002"}
    assert set(b2.index) == set(everyone.index[everyone["branch_id"] == "B002"])
    cols = ["ada", "peak_assets", "end_assets", "n_txn", "n_products", "dormant"]
    pd.testing.assert_frame_equal(b2[cols], everyone.loc[b2.index, cols], rtol=RTOL)
    assert set(customer_assets(connect(tiny_bank), YEAR, branch="B002")["customer_id"]) <= set(b2.index)


def test_dormant_flag_in_features_agrees_with_the_planted_dormant_customers(tiny_bank, tiny_tables):
    # planted dormant customers make no transactions, so the observed flag catches all who are
    # old enough; it also flags some quiet but not planted customers, never fewer
    f = customer_features(tiny_bank).set_index("customer_id")
    planted = tiny_tables["truth"].set_index("customer_id").reindex(f.index)
    # a planted dormant customer who never woke up (the generator's dormancy process wakes some: wake_date)
    woke = planted["wake_date"].notna() if "wake_date" in planted else False
    truth = planted["dormant"].fillna(False).astype(bool) & ~woke
    old = (END - f["open_date"]).dt.days >= DORMANT_DAYS
    assert f.loc[truth & old, "dormant"].all()
    assert f["dormant"].sum() >= (truth & old).sum()
