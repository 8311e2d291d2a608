"""Validation metrics against reference libraries (scikit-learn, SciPy, statsmodels) and the
bootstrap interval against Hanley and McNeil's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from crmstudy import footprint as fp

# --- validation metrics against reference libraries ----------------------------------------------


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(5)
    y = (rng.random(3_000) < 0.2).astype(int)
    score = np.round(rng.normal(size=3_000) + 0.8 * y, 1)  # rounded: many ties
    p = 1 / (1 + np.exp(-(score - 1.5)))
    return y, score, p


def test_auc_matches_scikit_learn_with_ties(scored):
    from sklearn.metrics import roc_auc_score

    y, score, _ = scored
    assert fp.auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_ks_matches_scipy_two_sample_ks(scored):
    y, score, _ = scored
    assert fp.ks(y, score) == pytest.approx(stats.ks_2samp(score[y == 1], score[y == 0]).statistic, abs=1e-12)


def test_brier_matches_scikit_learn(scored):
    from sklearn.metrics import brier_score_loss

    y, _, p = scored
    assert fp.brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def test_calibration_by_decile_has_equal_deciles_and_wilson_intervals(scored):
    from statsmodels.stats.proportion import proportion_confint

    y, _, p = scored
    cal = fp.calibration_table(y, p)
    assert cal["decile"].tolist() == list(range(1, 11)) and (cal["n"] == 300).all()
    lo, hi = proportion_confint(cal["events"], cal["n"], alpha=0.05, method="wilson")
    assert cal["low"].to_numpy() == pytest.approx(np.asarray(lo), abs=1e-12)
    assert cal["high"].to_numpy() == pytest.approx(np.asarray(hi), abs=1e-12)
    assert cal["predicted"].is_monotonic_increasing


def test_the_bootstrap_auc_interval_is_as_wide_as_the_hanley_mcneil_interval(scored):
    y, score, _ = scored
    v = fp.validate(y, score, n_boot=1_000, seed=1)
    a, n1, n0 = v.auc.estimate, y.sum(), len(y) - y.sum()
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    # tolerance 20 %: Monte-Carlo error of 1,000 resamples (~5 %) plus Hanley–McNeil's
    # exponential approximation, which is off by ~10 % for a normal-shift score like this one
    assert (v.auc.high - v.auc.low) / (2 * 1.96 * se) == pytest.approx(1.0, rel=0.2)
    assert v.auc.low < v.auc.estimate < v.auc.high and v.ks.low < v.ks.estimate < v.ks.high
