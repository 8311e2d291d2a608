"""Campaigns: eligible customers randomised to treated and control, a planted take-up uplift, none in the null bank."""

from __future__ import annotations

import numpy as np
import pytest

from crmstudy.synth import generate_bank, preset_spec
from crmstudy.synth.campaigns import CAMPAIGNS


@pytest.fixture(scope="module")
def banks():
    spec = preset_spec("tiny", n_customers=6_000)
    return generate_bank(spec), generate_bank(spec.replace(null=True))


def take_up(contacts, campaign):
    c = contacts[contacts["campaign_id"] == campaign]
    return c.groupby("group")["took_up"].agg(["mean", "size"])


def test_the_control_share_of_each_campaign_is_as_planned(banks):
    contacts = banks[0]["campaign_contacts"]
    for c in CAMPAIGNS:
        g = contacts.loc[contacts["campaign_id"] == c[0], "group"]
        n = len(g)
        assert abs((g == "control").mean() - c[6]) < 4 * np.sqrt(c[6] * (1 - c[6]) / n)


def test_treated_customers_take_up_more_by_the_planted_uplift_and_not_in_the_null_bank(banks):
    for tables, null in ((banks[0], False), (banks[1], True)):
        for c in CAMPAIGNS:
            t = take_up(tables["campaign_contacts"], c[0])
            diff = t.loc["treated", "mean"] - t.loc["control", "mean"]
            se = np.sqrt(sum(t.loc[g, "mean"] * (1 - t.loc[g, "mean"]) / t.loc[g, "size"] for g in t.index))
            want = 0.0 if null else c[8]
            assert abs(diff - want) < 4 * se, (c[0], null, diff)


def test_only_eligible_customers_are_in_a_campaign(banks):
    tables = banks[0]
    contacts, h = tables["campaign_contacts"], tables["holdings"]
    camp = tables["campaigns"].set_index("campaign_id")
    for cid, row in camp.iterrows():
        ids = contacts.loc[contacts["campaign_id"] == cid, "customer_id"]
        held = h[(h["product_id"] == row["offer_product_id"]) & (h["open_date"] <= row["start_date"])]
        live = held[held["close_date"].isna() | (held["close_date"] > row["start_date"])]
        assert not ids.isin(live["customer_id"]).any()
    took = contacts[contacts["took_up"]]
    assert (took["amount"] > 0).all() and took["take_up_date"].notna().all()
    assert contacts.loc[contacts["group"] == "control", "contact_date"].isna().all()
