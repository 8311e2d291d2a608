"""What-if: a pure function of the scenario; no change gives exactly 0, each lever moves what it should."""

from __future__ import annotations

import numpy as np
import pytest

import crmstudy.profit as pf
from crmstudy.errors import DataError
from crmstudy.profit.whatif import offer_profit, what_if


def test_a_what_if_with_no_change_gives_exactly_zero_everywhere(tiny_inputs, tiny_profit):
    r = what_if(tiny_inputs, pf.Scenario(), base=tiny_profit)
    assert r.change == 0 and r.base == r.changed == tiny_profit.total()
    assert (r.by_branch["change"] == 0).all() and (r.by_product["change"] == 0).all()


def test_levers_at_zero_give_zero_too(tiny_inputs, tiny_profit):
    s = pf.Scenario(rate_change={"TIME_DEPOSIT": 0.0}, retain_churners=0.0, launch_product="FUND", launch_take_up=0.0)
    assert what_if(tiny_inputs, s, base=tiny_profit).change == 0


def test_the_breakdowns_add_up_to_the_change(tiny_inputs, tiny_profit):
    s = pf.Scenario(counter_to_mobile=0.4, retain_churners=0.3, rate_change={"MORTGAGE": 0.001})
    r = what_if(tiny_inputs, s, base=tiny_profit)
    assert r.by_branch["change"].sum() == r.by_product["change"].sum() == r.change == r.changed - r.base


def test_moving_counter_transactions_to_mobile_saves_the_cost_difference(tiny_inputs, tiny_profit):
    ch = tiny_inputs.channels
    counter = ch.loc[ch["channel"] == "counter", "n_txn"].sum()
    r = what_if(tiny_inputs, pf.Scenario(counter_to_mobile=0.5), base=tiny_profit)
    # rounding to the cent per customer-month: at most half a cent each
    assert r.change / 100 == pytest.approx(0.5 * counter * (15.0 - 0.3), abs=0.005 * len(ch))
    assert set(r.by_product.loc[r.by_product["change"] != 0, "product_id"]) == {"DEMAND_DEPOSIT"}


def test_paying_depositors_less_earns_the_rate_cut_on_their_balances(tiny_inputs, tiny_profit):
    a = tiny_inputs.accounts
    td = a.loc[a["product_id"] == "TIME_DEPOSIT", "balance_days"].sum() / 365
    r = what_if(tiny_inputs, pf.Scenario(rate_change={"TIME_DEPOSIT": -0.001}), base=tiny_profit)
    assert r.change / 100 == pytest.approx(0.001 * td, rel=1e-3)


def test_a_launch_earns_take_up_times_the_offer_profit_of_each_taker(tiny_inputs, tiny_profit):
    s = pf.Scenario(
        launch_product="FUND",
        launch_segment="life_group=executive",
        launch_take_up=0.1,
        launch_balance=100_000,
        launch_month=7,
    )
    r = what_if(tiny_inputs, s, base=tiny_profit)
    each = float(offer_profit(tiny_inputs, "FUND", 100_000, tiny_inputs.months["days"].iloc[6:].sum()))
    assert each > 0
    execs = (tiny_inputs.customers["life_group"] == "executive").sum()
    assert 0 < r.change / 100 <= 0.1 * execs * each + 1
    assert r.by_product.set_index("product_id").loc["FUND", "change"] == r.change


def test_a_segment_on_a_column_the_customers_lack_is_named(tiny_inputs, tiny_profit):
    with pytest.raises(DataError, match="'planet'"):
        what_if(
            tiny_inputs,
            pf.Scenario(launch_product="FUND", launch_segment="planet=mars", launch_take_up=0.1, launch_balance=1.0),
            base=tiny_profit,
        )


def test_a_share_outside_zero_to_one_is_refused():
    with pytest.raises(DataError, match="counter_to_mobile"):
        pf.Scenario(counter_to_mobile=1.5)


def test_offer_profit_of_a_deposit_is_its_margin_less_the_account_cost():
    from crmstudy.profit.inputs import ProfitInputs  # noqa: F401  (the fields offer_profit reads)
    from crmstudy.synth.economics import pricing_table
    from crmstudy.synth.products import products_table

    class Inp:
        pricing, products = pricing_table(), products_table()

    # demand deposit: 100,000 × (1.60 % − 0.10 %) − 30 a year
    assert offer_profit(Inp, "DEMAND_DEPOSIT", 100_000, 365) == pytest.approx(1470.0)
    assert np.allclose(offer_profit(Inp, "DEMAND_DEPOSIT", [0, 0], [365, 0]), [-30.0, 0.0])
