"""The realism knobs of issue 16: today's defaults change nothing; each knob moves what it names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmstudy.errors import ParamsError
from crmstudy.synth import generate_bank, preset_spec


@pytest.fixture(scope="module")
def default():
    return generate_bank(preset_spec("tiny", n_customers=3_000))


def test_the_defaults_are_todays_bank(default):
    explicit = generate_bank(preset_spec("tiny", n_customers=3_000, wealth_tail_df=12.0, near_empty_share=0.0))
    for t in ("customers", "truth", "balances"):
        pd.testing.assert_frame_equal(default[t], explicit[t])


def test_a_share_of_near_empty_accounts_is_drawn_on_its_own_stream(default):
    empty = generate_bank(preset_spec("tiny", n_customers=3_000, near_empty_share=0.3))
    new, old = empty["truth"]["bank_assets"].to_numpy(), default["truth"]["bank_assets"].to_numpy()
    shrunk = np.abs(new - old * 0.001) <= 0.006  # truth is rounded to the cent
    assert abs(shrunk.mean() - 0.3) < 0.03
    pd.testing.assert_series_equal(empty["truth"]["true_wealth"], default["truth"]["true_wealth"])


def test_a_heavier_tail_gives_the_top_one_percent_more_of_the_wealth(default):
    """Unit variance either way: fewer degrees of freedom move wealth from the middle to the very top."""
    heavy = generate_bank(preset_spec("tiny", n_customers=3_000, wealth_tail_df=3.0))

    def top_share(tables):
        w = np.sort(tables["truth"]["true_wealth"].to_numpy())[::-1]
        return w[: len(w) // 100].sum() / w.sum()

    assert top_share(heavy) > 1.5 * top_share(default)  # measured 0.60 against 0.31


@pytest.mark.parametrize("knob", [{"wealth_tail_df": 2.0}, {"near_empty_share": 1.0}])
def test_out_of_range_knobs_are_refused(knob):
    with pytest.raises(ParamsError, match=next(iter(knob))):
        preset_spec("tiny", **knob)
