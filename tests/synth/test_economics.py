"""The synthetic bank's account economics: a documented price list, contract terms, costs, counter hours."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmstudy.synth import generate_bank, preset_spec
from crmstudy.synth.economics import CHANNEL_COSTS, FTP_CURVE, RATE_SPREAD_SD, pricing_table


def test_the_price_list_has_one_row_per_product_and_term_and_its_ftp_follows_the_curve():
    p = pricing_table()
    assert not p.duplicated(["product_id", "term_months"]).any()
    deposits = p[p["product_id"].isin(["DEMAND_DEPOSIT", "TIME_DEPOSIT"])]
    assert (deposits["ftp_rate"] == deposits["term_months"].map(FTP_CURVE)).all()
    assert (deposits["ftp_rate"] > deposits["customer_rate"]).all()  # deposits earn a margin
    loans = p[p["pd"] > 0]
    assert (loans["customer_rate"] > loans["ftp_rate"]).all()
    assert (p.loc[p["fee_rate"] > 0, "ftp_rate"] == 0).all()  # off balance sheet


def test_the_counter_costs_far_more_per_transaction_than_mobile():
    assert CHANNEL_COSTS["counter"][0] >= 30 * CHANNEL_COSTS["mobile_app"][0]


def test_every_holding_gets_a_listed_term_and_a_rate_near_its_list_rate(tiny_tables):
    acc, h = tiny_tables["accounts"], tiny_tables["holdings"]
    assert acc[["customer_id", "product_id"]].equals(h[["customer_id", "product_id"]].astype(acc["customer_id"].dtype))
    listed = acc.merge(
        pricing_table(), on=["product_id", "term_months"], suffixes=("", "_list"), validate="many_to_one"
    )
    assert len(listed) == len(acc)
    rated = listed[listed["customer_rate_list"] > 0]
    spread = rated["customer_rate"] - rated["customer_rate_list"]
    assert abs(spread.mean()) < RATE_SPREAD_SD / 5 and spread.std() < 1.5 * RATE_SPREAD_SD


def test_counter_staff_hours_follow_the_branch_size(tiny_tables):
    ops = tiny_tables["branch_operations"]
    assert len(ops) == 3 * 12 and (ops["counter_staff_hours"] > 0).all()
    per_branch = ops.groupby("branch_id")["counter_staff"].first()
    assert per_branch.min() >= 1


def test_the_economics_draws_leave_every_older_table_unchanged(monkeypatch):
    """The economics and campaign tables draw from streams of their own: without them, older tables are the same."""
    spec = preset_spec("tiny", n_customers=600)
    with_economics = generate_bank(spec)
    import crmstudy.synth.blocks as blocks

    monkeypatch.setattr(blocks.economics, "make_accounts", lambda *a: pd.DataFrame())
    monkeypatch.setattr(blocks, "make_contacts", lambda *a: pd.DataFrame())
    without = generate_bank(spec)
    for t in ("customers", "holdings", "balances", "transactions", "visits", "truth"):
        pd.testing.assert_frame_equal(with_economics[t], without[t])
    channels = with_economics["accounts"]["sales_channel"].unique()
    assert np.isin(channels, ["counter", "smart_counter", "mobile_app", "online_banking", "rm"]).all()
