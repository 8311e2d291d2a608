"""The profit of an account-month: closed forms on a hand-made bank, then the tiny bank's accounting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmstudy.profit as pf
from crmstudy.errors import DataError
from crmstudy.period import Period
from crmstudy.profit.drivers import month_table
from crmstudy.synth.economics import channel_costs_table, pricing_table, staff_costs_table
from crmstudy.synth.products import products_table

JAN = Period.of("2025-01-01", "2025-01-31")


def hand_made(**accounts_extra) -> pf.ProfitInputs:
    """One customer owned by one customer manager: a demand deposit and a mortgage, for January."""
    ids = pd.CategoricalDtype(["C1"])
    prods = pd.CategoricalDtype(["DEMAND_DEPOSIT", "MORTGAGE"])
    accounts = pd.DataFrame(
        {
            "customer_id": pd.Series(["C1", "C1"], dtype=ids),
            "product_id": pd.Series(["DEMAND_DEPOSIT", "MORTGAGE"], dtype=prods),
            "days": 31,
            "held_days": 31,
            "amount": [0.0, 365_000.0],
            "balance_days": [36_500.0 * 31, 0.0],  # 36,500 CNY all month
            "term_months": np.array([0, 360], dtype="int32"),
            "customer_rate": [0.001, 0.0335],
            "sales_channel": pd.Categorical(["counter", "rm"]),
            "month_idx": 0,
        }
    )
    channels = pd.DataFrame(
        {
            "customer_id": pd.Series(["C1", "C1"], dtype=ids),
            "channel": pd.Categorical(["counter", "mobile_app"]),
            "n_txn": [2, 10],
            "month_idx": 0,
        }
    )
    staff = pd.DataFrame(
        {
            "staff_id": ["S1"],
            "branch_id": ["B001"],
            "role": ["customer_manager"],
            "start_date": pd.to_datetime(["2020-01-01"]),
            "leave_date": pd.to_datetime([None]),
        }
    )
    customers = pd.DataFrame({"customer_id": ["C1"], "branch_id": ["B001"], "owner_staff_id": ["S1"], "tier": ["mass"]})
    return pf.ProfitInputs(
        period=JAN,
        months=month_table(JAN),
        accounts=accounts,
        channels=channels,
        customers=customers,
        staff=staff,
        pricing=pricing_table(),
        channel_costs=channel_costs_table(),
        staff_costs=staff_costs_table(),
        products=products_table(),
    )


def test_a_deposit_earns_ftp_less_its_rate_and_a_mortgage_its_rate_less_ftp_actual_365():
    lines = pf.contribution(hand_made()).lines.set_index("product_id")
    # 36,500 × 31/365 × (1.60 % − 0.10 %) = 46.50 CNY
    assert lines.loc["DEMAND_DEPOSIT", "interest"] == 4650
    # 365,000 × 31/365 × (3.35 % − 2.70 %) = 201.50 CNY; expected loss 365,000 × 31/365 × 0.4 % × 25 % = 31.00
    assert lines.loc["MORTGAGE", "interest"] == 20150
    assert lines.loc["MORTGAGE", "expected_loss"] == 3100


def test_transactions_cost_their_channel_and_are_charged_to_the_demand_deposit():
    lines = pf.contribution(hand_made()).lines.set_index("product_id")
    # account cost 30 × 31/365 = 2.55; 2 counter × 15 + 10 app × 0.30 = 33.00
    assert lines.loc["DEMAND_DEPOSIT", "cost_to_serve"] == 255 + 3300
    assert lines.loc["MORTGAGE", "cost_to_serve"] == round(300 * 31 / 365 * 100)


def test_the_rm_cost_of_the_month_is_spread_over_the_accounts_by_size_to_the_cent():
    profit = pf.contribution(hand_made())
    month_cost = round(200_000 * 0.8 * 31 / 365 * 100)
    assert profit.lines["rm_cost"].sum() == month_cost
    share = profit.lines.set_index("product_id")["rm_cost"]
    assert share["MORTGAGE"] > 9 * share["DEMAND_DEPOSIT"]  # 365k against 36.5k
    assert profit.unallocated.empty


def test_moving_counter_transactions_to_mobile_lowers_the_cost_by_the_price_difference():
    base = pf.contribution(hand_made()).lines["cost_to_serve"].sum()
    moved = pf.contribution(hand_made(), pf.Scenario(counter_to_mobile=0.5)).lines["cost_to_serve"].sum()
    assert base - moved == round(1 * (15.0 - 0.3) * 100)


def test_a_product_and_term_missing_from_the_price_list_is_named():
    inputs = hand_made()
    bad = inputs.accounts.assign(term_months=np.array([0, 999], dtype="int32"))
    with pytest.raises(DataError, match="MORTGAGE 999m"):
        pf.contribution(pf.ProfitInputs(**{**inputs.__dict__, "accounts": bad}))


def test_every_cent_of_relationship_cost_lands_on_an_account_or_in_unallocated(tiny_inputs, tiny_profit):
    staff = tiny_inputs.staff.merge(tiny_inputs.staff_costs, on="role")
    un = tiny_profit.unallocated
    # leavers' cost stops at their leave date, so the total is at most the yearly cost
    yearly = float((staff["annual_cost"] * staff["relationship_share"]).sum()) * 100
    placed = tiny_profit.lines["rm_cost"].sum() + un.loc[un["what"] == "rm_cost", "cents"].sum()
    assert 0.9 * yearly < placed <= yearly + len(staff) * 12


def test_the_tiny_bank_recovers_the_planted_ftp_margins_from_its_profit_lines(tiny_inputs, tiny_profit):
    """Interest / balance-years per product and term gives FTP − list rate (spread mean 0, SD 5 bp)."""
    a = tiny_inputs.accounts.assign(interest=tiny_profit.lines["interest"].to_numpy())
    td = a[(a["product_id"] == "TIME_DEPOSIT") & (a["term_months"] == 12)]
    margin = td["interest"].sum() / 100 / (td["balance_days"].sum() / 365)
    price = pricing_table().set_index(["product_id", "term_months"]).loc[("TIME_DEPOSIT", 12)]
    # balance-weighted mean spread of a few hundred accounts: within 2 bp
    assert margin == pytest.approx(price["ftp_rate"] - price["customer_rate"], abs=0.0002)


def test_the_null_bank_keeps_the_accounting(null_profit):
    assert null_profit.total("interest") > 0
    assert (
        pf.check_additive(null_profit, pf.rollups(null_profit, ["branch", "tier"]))["contribution"]
        == null_profit.total()
    )


def _margin_cells(inputs, profit) -> pd.DataFrame:
    """Per product × term with a customer rate: the margin the profit lines earn and the list margin planted.

    A deposit's margin is interest / balance-years (FTP − rate); a loan's or card's is interest /
    drawn-years (rate − FTP), drawn = amount × the list's drawn share.  ``se`` is the standard error
    of that exposure-weighted mean under the planted contract spread (independent, SD
    ``RATE_SPREAD_SD``): SD × sqrt(sum of squared weights), so a cell one large account dominates
    gets the wide interval it should.
    """
    from crmstudy.synth.economics import RATE_SPREAD_SD

    price = pricing_table().set_index(["product_id", "term_months"])
    kinds = inputs.products.set_index("product_id")["kind"]
    a = inputs.accounts.assign(interest=profit.lines["interest"].to_numpy() / 100)
    rows = []
    for (product, term), g in a.groupby(["product_id", "term_months"], observed=True):
        r = price.loc[(product, term)]
        if r["customer_rate"] == 0:
            continue
        credit = kinds[product] == "credit"
        g = g.assign(e=g["amount"] * r["drawn_share"] * g["held_days"] / 365 if credit else g["balance_days"] / 365)
        acc = g.groupby("customer_id", observed=True)[["interest", "e"]].sum()
        acc = acc[acc["e"] > 0]
        w = acc["e"] / acc["e"].sum()
        planted = r["customer_rate"] - r["ftp_rate"] if credit else r["ftp_rate"] - r["customer_rate"]
        rows.append(
            {
                "product_id": product,
                "term_months": term,
                "accounts": len(acc),
                "margin": acc["interest"].sum() / acc["e"].sum(),
                "planted": planted,
                "se": RATE_SPREAD_SD * float(np.sqrt((w**2).sum())),
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("which", ["tiny", "null"])
def test_every_product_and_term_earns_its_planted_ftp_margin_deposits_and_credit(which, request):
    """All 15 rated product × terms of the price list, deposits and credit, within 3.5 standard errors.

    The null bank keeps the accounting (only planted effects are off), so it must pass too.
    """
    inputs, profit = (request.getfixturevalue(f"{which}_inputs"), request.getfixturevalue(f"{which}_profit"))
    cells = _margin_cells(inputs, profit)
    assert len(cells) >= 12 and (cells["accounts"] >= 10).all()
    off = cells[(cells["margin"] - cells["planted"]).abs() > 3.5 * cells["se"] + 0.00002]  # + rounding to the cent
    assert off.empty, off.to_string()


def channel_unit_costs(bank, inputs, profit) -> pd.Series:
    """Cost per transaction by channel, estimated from the bank's transactions and the profit lines (CNY).

    Least squares of each customer-month's cost to serve (summed over its lines) on its number of
    transactions in each channel, counted straight from ``transactions``, and on its held-years of
    each product (the account-keeping cost, a nuisance here).  The model charges exactly
    ``count × unit cost`` a customer-month, rounded to the cent once, so the fit is exact but for
    rounding.
    """
    from crmstudy.bank import Bank

    bank = Bank.of(bank)
    lines = profit.lines.assign(held=inputs.accounts["held_days"].to_numpy() / 365)
    lines["customer_id"] = lines["customer_id"].astype(str)
    key = ["customer_id", "month"]
    y = lines.groupby(key)["cost_to_serve"].sum() / 100
    held = lines.pivot_table(index=key, columns="product_id", values="held", aggfunc="sum", fill_value=0, observed=True)
    p = bank.period
    tx = bank.sql(
        "SELECT customer_id, date_trunc('month', ts) AS month, channel, COUNT(*) AS n FROM transactions "
        f"WHERE ts >= TIMESTAMP '{p.start}' AND ts < TIMESTAMP '{p.end_exclusive}' GROUP BY ALL"
    )
    tx["month"] = tx["month"].astype(lines["month"].dtype)
    counts = tx.pivot_table(index=key, columns="channel", values="n", aggfunc="sum", fill_value=0)
    design = pd.concat([counts, held.add_prefix("held:")], axis=1).reindex(y.index).fillna(0.0)
    coef, *_ = np.linalg.lstsq(design.to_numpy(float), y.to_numpy(float), rcond=None)
    return pd.Series(coef, index=design.columns)[list(counts.columns)]


@pytest.mark.parametrize("which", ["tiny", "null"])
def test_the_planted_cost_per_transaction_of_every_channel_is_recovered_from_the_data(which, request):
    """Transactions × profit lines give back the generator's channel costs to a fifth of a fen; null bank too."""
    from crmstudy.synth.economics import CHANNEL_COSTS

    bank = request.getfixturevalue("tiny_bank" if which == "tiny" else "tiny_null_bank")
    inputs, profit = (request.getfixturevalue(f"{which}_inputs"), request.getfixturevalue(f"{which}_profit"))
    got = channel_unit_costs(bank, inputs, profit)
    assert len(got) >= 8  # every channel of the ledger is used in the tiny bank
    for channel, cost in got.items():
        assert cost == pytest.approx(CHANNEL_COSTS[channel][0], abs=0.002), channel
    assert got["counter"] > 40 * got["mobile_app"]  # counter far above mobile (issue 16 §1)


def test_the_channel_cost_estimate_sees_a_change_of_the_cost_model(tiny_bank, tiny_inputs):
    """Half the counter's transactions priced at the app's cost: the counter's estimate is (15 + 0.30) / 2."""
    moved = pf.contribution(tiny_inputs, pf.Scenario(counter_to_mobile=0.5))
    got = channel_unit_costs(tiny_bank, tiny_inputs, moved)
    assert got["counter"] == pytest.approx((15.0 + 0.3) / 2, abs=0.002)
    assert got["mobile_app"] == pytest.approx(0.3, abs=0.002)
