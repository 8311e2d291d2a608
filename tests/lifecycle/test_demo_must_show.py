"""Issue 15's must-show numbers on the demo bank and its null twin (slow: two 20,000-customer banks).

Tolerances: the intervals are the methods' own 95 % intervals (customer bootstrap for the
warning, Newcombe / log intervals for the effects); the planted values are in
docs/generative_model.md ("The customer lifecycle").
"""

from __future__ import annotations

import pytest

from crmstudy.errors import DataError
from crmstudy.lifecycle import churn, contact_effect, dormancy
from crmstudy.synth.lifecycle import CONTACT_RR

pytestmark = pytest.mark.slow


def test_the_warning_beats_the_naive_baseline_out_of_time_and_is_calibrated(demo_bank):
    ev = churn.evaluate(demo_bank, n_boot=200)
    assert ev.value("auc_gain")[1] > 0  # paired interval above 0
    assert 0.8 <= ev.value("calibration_slope")[0] <= 1.2
    assert ev.value("auc_90")[1] > 0.5


def test_the_planted_drivers_are_selected_with_their_signs(demo_bank):
    d = churn.evaluate(demo_bank, n_boot=0).model.drivers().set_index("covariate")
    # planted: churners drain balances, send money to payment apps, stop salaries; an owner leaving raises churn
    for c, sign in (("balance_trend", -1), ("tp_share", +1), ("salary_stop", +1), ("owner_left", +1)):
        assert d.loc[c, "selected"], c
        assert sign * (d.loc[c, "odds_ratio"] - 1) > 0, c


def test_the_contact_effect_recovers_the_planted_relative_risk(demo_bank):
    ce = contact_effect.contact_effect(demo_bank)
    assert ce.ratio_low <= CONTACT_RR <= ce.ratio_high
    assert ce.diff_high < 0


def test_the_null_demo_bank_is_clean(demo_null_bank):
    ev = churn.evaluate(demo_null_bank, n_boot=200)
    lo, hi = ev.value("auc_90")[1:]
    assert lo <= 0.5 <= hi
    assert not ev.model.drivers()["selected"].any()
    ce = contact_effect.contact_effect(demo_null_bank)
    assert ce.diff_low <= 0 <= ce.diff_high
    wake = dormancy.wake_up(demo_null_bank)
    assert wake.low <= 0 <= wake.high


def test_no_driver_is_selected_in_at_least_90_percent_of_20_tiny_null_banks(tiny_null_banks):
    clean = 0
    for seed in range(20):
        out = tiny_null_banks(seed)
        try:
            drivers = churn.evaluate(out, n_boot=0).model.drivers()
        except DataError as err:  # too few departures to fit: nothing selected
            assert "departures" in str(err)
            clean += 1
            continue
        clean += int(not drivers["selected"].any())
    assert clean >= 18, clean
