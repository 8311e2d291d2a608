"""Look-alike next-best products: better than popularity on the demo bank (the interval of the gain above 0),
not on the null bank, never a product already held."""

from __future__ import annotations

import numpy as np
import pytest

from crmstudy import association as A
from crmstudy.association.next_best import paired_bootstrap_interval
from crmstudy.errors import DataError, ParamsError
from crmstudy.features import customer_features


def test_next_best_beats_popularity_on_recall_at_3(demo_features, demo_holding):
    ev = A.evaluate_next_best(demo_features, demo_holding, k=3)
    # ~5,400 test customers: the paired difference of two hit rates has an SE of about 0.004
    # (discordant pairs ~10 %), so a 0.01 margin is more than two SEs.
    assert ev.n_test > 5000
    assert ev.recall_at_k >= ev.baseline_recall_at_k + 0.01, ev
    assert ev.gain_low > 0 and ev.beats_baseline, ev  # the paired interval of the gain excludes 0
    assert ev.precision_at_k == pytest.approx(ev.recall_at_k / 3)  # one hidden product each


def test_recommendations_never_offer_a_product_already_held(tiny_bank):
    features = customer_features(tiny_bank)
    holding = A.read_holding_matrix(tiny_bank)
    recs = A.next_best_products(features, holding, top_n=3, n_clusters=6)
    held = holding.stack()
    assert (held.loc[list(zip(recs["customer_id"], recs["product_id"]))] == 0).all()
    assert recs.groupby("customer_id")["expected_take_up"].apply(lambda s: s.is_monotonic_decreasing).all()


# --- the interval of the gain over popularity -------------------------------------------------------


def test_the_paired_bootstrap_interval_is_the_percentile_interval_of_resampled_mean_differences():
    # ten customers: the look-alikes hit where popularity misses for 4, the reverse for 1, both agree for 5
    a = np.array([1, 1, 1, 1, 0, 1, 0, 1, 0, 0], dtype=bool)
    b = np.array([0, 0, 0, 0, 1, 1, 0, 1, 0, 0], dtype=bool)
    # by hand: draw 10 customers of 10 with replacement, 400 times, and take the 2.5 % and 97.5 % quantiles
    rng = np.random.default_rng(7)
    draws = rng.integers(0, 10, size=(400, 10))
    d = a.astype(float) - b.astype(float)
    by_hand = np.quantile(d[draws].mean(axis=1), [0.025, 0.975])
    low, high = paired_bootstrap_interval(a, b, n_boot=400, seed=7)
    assert (low, high) == pytest.approx(tuple(by_hand))
    assert low < d.mean() == 0.3 < high and low < 0  # 4 wins against 1 loss in 10 customers is not enough


def test_the_interval_follows_the_level_and_agreeing_pairs_give_no_width():
    a = np.r_[np.ones(30), np.zeros(70)]
    assert paired_bootstrap_interval(a, a, n_boot=200) == (0.0, 0.0)
    wide = paired_bootstrap_interval(a, np.zeros(100), n_boot=500, ci=0.99)
    narrow = paired_bootstrap_interval(a, np.zeros(100), n_boot=500, ci=0.5)
    assert wide[0] < narrow[0] < 0.3 < narrow[1] < wide[1]


def test_unpaired_or_empty_hits_are_refused():
    with pytest.raises(DataError, match="same length"):
        paired_bootstrap_interval([1, 0], [1])
    with pytest.raises(DataError, match="non-empty"):
        paired_bootstrap_interval([], [])
    with pytest.raises(ParamsError, match="n_boot"):
        paired_bootstrap_interval([1], [0], n_boot=0)


def test_the_evaluation_carries_the_interval_of_the_gain_around_the_difference(tiny_bank):
    features = customer_features(tiny_bank)
    holding = A.read_holding_matrix(tiny_bank)
    ev = A.evaluate_next_best(features, holding, n_clusters=6, n_boot=500)
    assert ev.n_boot == 500 and ev.ci == 0.95
    assert ev.gain_low <= ev.recall_difference <= ev.gain_high
    assert ev.beats_baseline == (ev.gain_low > 0) and not (ev.beats_baseline and ev.loses_to_baseline)
    none = A.evaluate_next_best(features, holding, n_clusters=6, n_boot=0)
    assert np.isnan(none.gain_low) and not none.beats_baseline
    assert none.recall_at_k == ev.recall_at_k  # the interval does not change the evaluation itself


@pytest.mark.parametrize("branch", ["B001", "B002", "B003"])
def test_on_the_null_bank_the_interval_of_the_gain_contains_zero(tiny_null_bank, branch):
    features = customer_features(tiny_null_bank, branch=branch)
    holding = A.read_holding_matrix(tiny_null_bank, branch=branch)
    # as the report does: about 200 customers per look-alike group, at least 2
    ev = A.evaluate_next_best(features, holding, n_clusters=max(2, min(12, len(features) // 200)))
    assert ev.gain_low <= 0 <= ev.gain_high and not ev.beats_baseline, ev
