"""Weight of evidence and Information Value: closed forms on hand-made data, monotonic bins."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmstudy import footprint as fp

# --- weight of evidence and Information Value: closed forms --------------------------------------


def test_woe_and_iv_of_two_groups_match_the_closed_form(two_groups):
    x, y = two_groups()  # A: 10 events in 100, B: 30 in 100; 40 events and 160 non-events in all
    b = fp.WoEBinner().fit(x, y)
    woe_a, woe_b = math.log((10 / 40) / (90 / 160)), math.log((30 / 40) / (70 / 160))
    assert b.woe_ == pytest.approx([woe_a, woe_b], rel=1e-12)
    iv = (10 / 40 - 90 / 160) * woe_a + (30 / 40 - 70 / 160) * woe_b
    assert b.iv_ == pytest.approx(iv, rel=1e-12)
    assert b.iv_ == pytest.approx(0.42185, abs=5e-6)
    assert b.transform(pd.Series([0.0, 1.0])) == pytest.approx([woe_a, woe_b])


def test_woe_of_categories_matches_the_closed_form_and_orders_them_by_event_rate():
    x = pd.Series(["teacher"] * 200 + ["farmer"] * 200 + ["executive"] * 200)
    y = np.r_[np.arange(200) < 40, np.arange(200) < 10, np.arange(200) < 90].astype(int)
    b = fp.WoEBinner().fit(x, y)
    E, N = 140, 460
    assert b.table_["label"].tolist() == ["farmer", "teacher", "executive"]
    expected = [math.log((e / E) / ((200 - e) / N)) for e in (10, 40, 90)]
    assert b.woe_ == pytest.approx(expected, rel=1e-12)
    assert b.transform(pd.Series(["executive", "astronaut"])) == pytest.approx([expected[2], 0.0])


def test_a_signal_with_the_same_event_rate_everywhere_has_one_bin_and_iv_zero():
    x = pd.Series(np.repeat(np.arange(10.0), 100))
    y = np.tile(np.arange(100) < 20, 10).astype(int)  # 20 % in every value
    b = fp.WoEBinner().fit(x, y)
    assert len(b.woe_) == 1 and b.iv_ == 0.0


def test_a_neutral_missing_value_has_woe_zero_and_iv_counts_all_rows(two_groups):
    x, y = two_groups(n_miss=200, e_miss=40)
    b = fp.WoEBinner(missing="neutral").fit(x, y)
    # WoE learned on the 200 rows with a value; IV shares over all 400 rows (80 events, 320 non)
    woe_a, woe_b = math.log((10 / 40) / (90 / 160)), math.log((30 / 40) / (70 / 160))
    assert b.woe_ == pytest.approx([woe_a, woe_b], rel=1e-12)
    assert b.transform(pd.Series([np.nan])) == pytest.approx([0.0])
    iv = (10 / 80 - 90 / 320) * woe_a + (30 / 80 - 70 / 320) * woe_b
    assert b.iv_ == pytest.approx(iv, rel=1e-12)


def test_a_missing_group_that_differs_gets_its_own_bin_and_one_that_does_not_joins_the_closest(two_groups):
    x, y = two_groups(n_miss=100, e_miss=60)
    own = fp.WoEBinner().fit(x, y)
    assert own.table_["label"].tolist()[-1] == "missing"
    assert own.missing_woe_ == pytest.approx(math.log((60 / 100) / (40 / 200)))  # 100 events, 200 non-events
    x, y = two_groups(n_miss=100, e_miss=29)
    joined = fp.WoEBinner().fit(x, y)
    assert joined.missing_bin_ == 1 and joined.missing_woe_ == joined.woe_[1]


@pytest.mark.parametrize("slope", [2.5, -2.5])
def test_bins_are_monotonic_and_no_smaller_than_the_minimum_share(slope):
    rng = np.random.default_rng(7)
    x = pd.Series(rng.random(20_000))
    # a wiggle on top of the trend: raw quantile bins are not monotonic, the fitted ones must be
    p = 1 / (1 + np.exp(-(-2 + slope * x + 0.4 * np.sin(25 * x))))
    y = (rng.random(len(x)) < p).astype(int)
    b = fp.WoEBinner(max_bins=8).fit(x, y)
    steps = np.diff(b.woe_)
    assert len(b.woe_) >= 3
    assert (np.sign(steps) == np.sign(slope)).all()
    assert b.direction_ == np.sign(slope)
    assert (b.table_["n"] >= 0.05 * len(x)).all()


def test_information_value_ranks_signals_strongest_first():
    rng = np.random.default_rng(3)
    n = 5_000
    strong, weak, noise = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.2 * strong + 0.3 * weak)))).astype(int)
    iv = fp.information_value(pd.DataFrame({"noise": noise, "weak": weak, "strong": strong}), y)
    assert iv["signal"].tolist() == ["strong", "weak", "noise"]
    assert iv.set_index("signal").at["noise", "iv"] < 0.02  # Siddiqi's "useless" bar; bins merged away


# --- the null: IV when the outcome is shuffled ---------------------------------------------------


def _mixed_signals(n=1_500, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "numeric": rng.normal(size=n),
            "count_with_gaps": np.where(rng.random(n) < 0.3, np.nan, rng.poisson(2, n)),
            "category": rng.choice(list("pqrs"), n),
            "category_with_gaps": pd.Series(
                np.where(rng.random(n) < 0.5, None, rng.choice(list("xyz"), n)), dtype=object
            ),
        }
    )


@pytest.mark.parametrize("missing", ["neutral", "separate"])
@pytest.mark.parametrize("rate", [0.08, 0.9])  # events the rarer class, and non-events the rarer
def test_null_iv_is_the_iv_of_woe_binners_refitted_on_each_shuffled_outcome(missing, rate):
    # the reference implementation: shuffle the outcome (the same draws), fit WoEBinner, read iv_
    X = _mixed_signals()
    n = len(X)
    y = (np.random.default_rng(4).random(n) < rate).astype(int)
    null = fp.binning.null_iv(X, y, n_permutations=12, seed=5, missing=missing)
    rng, events = np.random.default_rng(5), int(y.sum())
    rarer = min(events, n - events)
    for b in range(12):
        rows = rng.choice(n, size=rarer, replace=False)
        yb = np.zeros(n) if events == rarer else np.ones(n)
        yb[rows] = 1 - yb[rows]
        refit = [fp.WoEBinner(missing=missing).fit(X[c], yb).iv_ for c in X.columns]
        assert null[b] == pytest.approx(refit, abs=1e-12), b


def test_null_iv_is_the_same_for_the_same_seed_and_keeps_the_number_of_events():
    X = _mixed_signals()
    y = (np.random.default_rng(4).random(len(X)) < 0.1).astype(int)
    a, b = (fp.binning.null_iv(X, y, n_permutations=20, seed=9) for _ in range(2))
    assert (a == b).all() and a.shape == (20, 4)
    assert not (fp.binning.null_iv(X, y, n_permutations=20, seed=10) == a).all()
