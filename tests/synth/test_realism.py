"""The realism of the synthetic bank (issue 16): the top of the wealth law, near-empty accounts, the channel mix.

The published figures and their sources are in docs/profit.md (realism table); the bands
below are the ones stated there.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from crmstudy.errors import ParamsError
from crmstudy.synth import generate_bank, preset_spec
from crmstudy.synth.population import make_branches, make_customers

BRANCH_CHANNELS = ("counter", "smart_counter", "atm")


def _truth(**knobs) -> pd.DataFrame:
    spec = preset_spec("demo", n_customers=40_000, **knobs)
    rng = np.random.default_rng(7)
    return make_customers(spec, make_branches(spec, rng), rng)[1]


def test_the_top_of_the_law_is_the_pareto_it_names():
    """Null bank (no planted shifts): the top share sits above the floor, log(w / floor) ~ Exp(alpha)."""
    spec = preset_spec("demo", null=True)
    w = _truth(null=True)["true_wealth"].to_numpy()
    top = w[w >= spec.wealth_top_floor * (1 - 1e-9)]
    share, n = len(top) / len(w), len(w)
    assert abs(share - spec.wealth_top_share) < 4 * np.sqrt(spec.wealth_top_share * (1 - share) / n)
    hill = 1 / np.mean(np.log(top / spec.wealth_top_floor))  # maximum likelihood of a Pareto index
    assert abs(hill - spec.wealth_pareto_alpha) < 4 * spec.wealth_pareto_alpha / np.sqrt(len(top))


def test_the_null_bank_keeps_the_law_and_the_top_keeps_the_ranks():
    planted, null = _truth(), _truth(null=True)
    for t in (planted, null):
        a = t["bank_assets"].to_numpy()
        assert 0.01 < np.mean(a >= 500_000) < 0.04
    # the top is a monotone map of the same draw: the planted wealth-driven scores still follow wealth
    top = planted["true_wealth"] >= planted["true_wealth"].quantile(0.99)
    assert planted.loc[top, "value_potential"].mean() > planted.loc[~top, "value_potential"].mean() + 0.5


def test_without_the_top_the_rich_hold_far_less():
    def held(t):
        a = t["bank_assets"].to_numpy()
        return a[a >= 500_000].sum() / a.sum()

    assert held(_truth()) > held(_truth(wealth_top_share=0.0)) + 0.2


def test_a_share_of_near_empty_accounts_is_drawn_on_its_own_stream():
    none, some = _truth(near_empty_share=0.0), _truth(near_empty_share=0.3)
    new, old = some["bank_assets"].to_numpy(), none["bank_assets"].to_numpy()
    shrunk = np.abs(new - old * 0.001) <= 0.006  # truth is rounded to the cent
    assert abs(shrunk.mean() - 0.3) < 0.02
    pd.testing.assert_series_equal(some["true_wealth"], none["true_wealth"])


@pytest.fixture(scope="module")
def tiny_mixes():
    spec = preset_spec("tiny")
    return {keep: generate_bank(spec.replace(branch_channel_keep=keep))["transactions"] for keep in (0.0, 0.2, 1.0)}


def test_the_channel_knob_moves_branch_business_to_the_app(tiny_mixes):
    share = {k: t["channel"].isin(BRANCH_CHANNELS).mean() for k, t in tiny_mixes.items()}
    assert share[0.0] < share[0.2] < share[1.0]
    none = tiny_mixes[0.0]
    # at keep = 0 only cash stays in the branch; payroll comes by the employer's batch
    assert set(none.loc[none["channel"].isin(BRANCH_CHANNELS), "merchant_category"]) == {"cash_withdrawal"}
    old = tiny_mixes[1.0]
    assert (old.loc[old["merchant_category"] == "payroll_in", "channel"] == "counter").all()
    assert (none.loc[none["merchant_category"] == "payroll_in", "channel"] == "online_banking").all()
    # the same transactions either way: only the channel moved
    pd.testing.assert_frame_equal(none.drop(columns="channel"), old.drop(columns="channel"))


@pytest.mark.parametrize(
    "knob",
    [
        {"wealth_tail_df": 2.0},
        {"near_empty_share": 1.0},
        {"wealth_top_share": 0.6},
        {"wealth_pareto_alpha": 1.0},
        {"wealth_top_floor": 0.0},
        {"wealth_median": -1.0},
        {"branch_channel_keep": 1.5},
    ],
)
def test_out_of_range_knobs_are_refused(knob):
    with pytest.raises(ParamsError, match=next(iter(knob))):
        preset_spec("tiny", **knob)


def realism_figures(bank) -> dict[str, float]:
    """The demo bank's figures of the realism table (docs/profit.md), in percent."""
    con = duckdb.connect()
    span = f"SELECT max(valid_to)::DATE - min(valid_from)::DATE FROM '{bank}/balances.parquet'"
    days = con.execute(span).fetchall()[0][0]
    ada = con.execute(
        f"""SELECT coalesce(sum(b.balance * (b.valid_to::DATE - b.valid_from::DATE)), 0) / {days} AS ada
            FROM '{bank}/customers.parquet' c LEFT JOIN '{bank}/balances.parquet' b USING (customer_id)
            GROUP BY c.customer_id"""
    ).df()["ada"]
    tot = ada.sum()
    out = {}
    for name, thr in (("500k", 500_000), ("6M", 6_000_000)):
        out[f"share_{name}"] = 100 * (ada >= thr).mean()
        out[f"held_{name}"] = 100 * ada[ada >= thr].sum() / tot
    out["near_empty"] = 100 * (ada < 100).mean()
    placeholders = ", ".join(f"'{c}'" for c in BRANCH_CHANNELS)
    out["branch_channels"] = (
        100
        * con.execute(f"SELECT avg((channel IN ({placeholders}))::INT) FROM '{bank}/transactions.parquet'").fetchall()[
            0
        ][0]
    )
    return out


# (figure, low, high): the bands of the realism table
BANDS = (
    ("share_500k", 1.5, 3.0),  # published 2.12
    ("held_500k", 70.0, 90.0),  # published 82
    ("share_6M", 0.03, 0.2),  # published 0.07
    ("held_6M", 15.0, 45.0),  # published 31.5
    ("near_empty", 20.0, 40.0),  # many near-empty accounts
    ("branch_channels", 5.0, 15.0),  # about 90 % electronic
)


@pytest.mark.slow
def test_the_demo_bank_is_inside_the_stated_bands(demo_bank):
    figures = realism_figures(demo_bank)
    outside = {k: round(figures[k], 3) for k, lo, hi in BANDS if not lo <= figures[k] <= hi}
    assert not outside, f"outside the realism bands: {outside}"
