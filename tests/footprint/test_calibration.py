"""Recalibration on a later window, and the calibration check (slope, in-the-large, reliability).

Closed forms first (probabilities drawn from known log-odds), then the demo bank out of time:
the Must-show of issue 13, a slope within 0.8–1.2 and calibration-in-the-large within 20 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from crmstudy import footprint as fp
from crmstudy.errors import DataError, ParamsError


def _draw(z, rng):
    return (rng.random(len(z)) < 1 / (1 + np.exp(-z))).astype(int)


def test_a_card_too_high_by_one_log_odds_is_shifted_back_and_keeps_its_slope():
    rng = np.random.default_rng(0)
    truth = rng.normal(-3, 1, 20_000)
    card = truth + 1.0  # ranks perfectly, overstates the odds e-fold
    r = fp.recalibrate(card, _draw(truth, rng))
    # the slope is 1, so the closed test keeps it; the intercept's SE at ~1,000 events is ~0.03
    assert r.method == "intercept" and r.slope == 1.0
    assert r.intercept == pytest.approx(-1.0, abs=0.1)


def test_an_over_confident_card_gets_its_slope_estimated():
    rng = np.random.default_rng(1)
    truth = rng.normal(-2.5, 0.8, 20_000)
    card = 2 * (truth + 2.5) - 2.5  # twice as spread as the truth
    r = fp.recalibrate(card, _draw(truth, rng))
    assert r.method == "logistic" and r.p_slope < 0.001
    assert r.slope == pytest.approx(0.5, abs=0.07)


def test_isotonic_recalibration_is_monotone_and_matches_the_mean():
    rng = np.random.default_rng(2)
    z = rng.normal(-2, 1, 5_000)
    y = _draw(z, rng)
    r = fp.recalibrate(z, y, method="isotonic")
    p = r.predict(np.sort(z))
    assert (np.diff(p) >= 0).all() and r.predict(z).mean() == pytest.approx(y.mean(), abs=1e-6)


def test_the_check_of_true_probabilities_has_slope_one_and_no_bias():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.01, 0.3, 30_000)
    c = fp.calibration_check(_draw(np.log(p / (1 - p)), rng), p)
    # ~4,800 events: the observed rate's relative SE is ~1.4 %, the slope's ~0.03; four SEs
    assert 0.88 < c.slope < 1.12 and abs(c.relative) < 0.06 and c.within()
    assert len(c.reliability) == 10 and c.reliability["n"].sum() == 30_000


def test_the_check_sees_probabilities_twice_too_high():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.01, 0.2, 30_000)
    c = fp.calibration_check(_draw(np.log(p / (1 - p)), rng), np.minimum(2 * p, 0.99))
    assert c.relative == pytest.approx(1.0, abs=0.1) and c.intercept < -0.5 and not c.within()


def test_bad_input_is_refused_in_one_line():
    with pytest.raises(ParamsError, match="method"):
        fp.recalibrate([0.0, 1.0], [0, 1], method="platt")
    with pytest.raises(DataError, match="single class"):
        fp.recalibrate([0.0, 1.0], [1, 1])
    with pytest.raises(DataError, match="between 0 and 1"):
        fp.calibration_check([0, 1], [0.5, 1.5])


@pytest.mark.slow
def test_on_the_demo_bank_calibrated_chances_hold_out_of_time(demo_bank):
    # develop Jan–Mar → Apr–Jun, recalibrate Jul–Sep → ... on Apr–Jun → Jul–Sep, check Jul–Sep → Oct–Dec.
    # measured (seed 0): value slope 1.13 (1.05–1.21), mean 8.1 % against 7.3 % observed (+11 %);
    # risk slope 0.97 (0.71–1.22), 2.6 % against 2.7 % (−5 %), 173 events
    study = fp.evidence_out_of_time(demo_bank)
    checks = study.checks.set_index(["side", "probability"])
    for side in ("value", "risk"):
        c = checks.loc[(side, "calibrated")]
        assert 0.8 <= c["slope"] <= 1.2 and abs(c["relative"]) <= 0.2, checks
    rel = study.reliability.query("probability == 'calibrated'")
    assert set(rel["side"]) == {"value", "risk"} and (rel.groupby("side")["decile"].count() == 10).all()
    # what the footprints add out of time: value beats balances and declared attributes together
    a = study.auc.set_index(["side", "model"])
    assert a.loc[("value", "known"), "low"] > 0 and a.loc[("risk", "known"), "low"] > 0, study.auc
