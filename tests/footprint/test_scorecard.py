"""The scorecard: points arithmetic, the regression on WoE values, signal selection and reasons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmstudy import footprint as fp
from crmstudy.errors import DataError

# --- the scorecard ------------------------------------------------------------------------------


def test_points_are_base_points_at_base_odds_and_pdo_more_per_doubling():
    assert fp.points_of_odds(50.0) == pytest.approx(600.0)
    assert fp.points_of_odds(100.0) == pytest.approx(620.0)
    assert fp.points_of_odds(25.0) == pytest.approx(580.0)
    assert fp.points_of_odds(4.0, base_points=500, base_odds=1.0, pdo=50) == pytest.approx(600.0)


def scorecard_data(n=6_000, seed=11):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"luxury_share": rng.beta(1, 8, n), "txn_amount": rng.lognormal(6, 0.6, n), "supermarket_share": rng.random(n)}
    )
    z = -2.2 + 9 * X["luxury_share"] + 0.8 * (np.log(X["txn_amount"]) - 6) / 0.6
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X, y


def test_a_single_woe_signal_gets_coefficient_one_and_the_log_odds_as_intercept(two_groups):
    # WoE_b = ln(events_b / non-events_b) - ln(E / N): the regression is saturated over the bins
    x, y = two_groups(n_a=300, e_a=30, n_b=300, e_b=90)
    card = fp.Scorecard().fit(pd.DataFrame({"x": x}), y)
    assert card.coef_["x"] == pytest.approx(1.0, abs=1e-6)
    assert card.intercept_ == pytest.approx(math.log(120 / 480), abs=1e-6)
    assert card.predict(pd.DataFrame({"x": [0.0, 1.0]})).to_numpy() == pytest.approx([0.1, 0.3], abs=1e-6)


@pytest.mark.parametrize(
    "points_for, odds_of", [("non_event", lambda p: (1 - p) / p), ("event", lambda p: p / (1 - p))]
)
def test_scorecard_points_are_the_points_of_the_predicted_odds(points_for, odds_of):
    X, y = scorecard_data()
    card = fp.Scorecard(points_for=points_for, base_odds=20.0).fit(X, y)
    p = card.predict(X)
    pts = card.points(X)
    assert pts.to_numpy() == pytest.approx(fp.points_of_odds(odds_of(p.to_numpy()), base_odds=20.0), abs=1e-8)
    # doubling the odds of the favourable outcome adds exactly one PDO
    assert fp.points_of_odds(2 * odds_of(p.iloc[0]), base_odds=20.0) - pts.iloc[0] == pytest.approx(20.0)
    # the score is the intercept points plus one attribute's points per signal
    parts = [
        card.points_table_.query("signal == @c")
        .set_index("bin")["points"]
        .reindex(card.binners_[c].bin_index(X[c]))
        .to_numpy()
        for c in card.selected_
    ]
    assert pts.to_numpy() == pytest.approx(card.intercept_points_ + np.sum(parts, axis=0), abs=1e-8)


def test_a_risk_scorecard_gives_fewer_points_to_riskier_customers_and_a_value_one_more():
    X, y = scorecard_data()
    for points_for, sign in (("non_event", -1), ("event", 1)):
        card = fp.Scorecard(points_for=points_for).fit(X, y)
        rho = stats.spearmanr(card.predict(X), card.points(X)).statistic
        assert np.sign(rho) == sign and abs(rho) > 0.999


def test_the_scorecard_keeps_informative_signals_and_drops_noise():
    X, y = scorecard_data()
    card = fp.Scorecard().fit(X, y)
    assert set(card.selected_) == {"luxury_share", "txn_amount"}
    assert (card.coef_ > 0).all()
    assert card.iv_["signal"].iloc[-1] == "supermarket_share"


def test_a_fitted_scorecard_does_not_carry_its_training_rows():
    # every branch report of a run loads the cards: their size must not grow with the bank
    import pickle

    X, y = scorecard_data()
    small, big = (fp.Scorecard().fit(pd.concat([X] * k, ignore_index=True), np.tile(y, k)) for k in (1, 20))
    assert big.coef_.to_numpy() == pytest.approx(small.coef_.to_numpy(), rel=1e-6)
    assert len(pickle.dumps(big)) < 1.5 * len(pickle.dumps(small))
    assert big.model_.params["const"] == pytest.approx(big.intercept_)  # the estimates stay


def test_reasons_name_the_signals_that_raised_the_probability_most():
    X, y = scorecard_data()
    card = fp.Scorecard().fit(X, y)
    probe = pd.DataFrame(
        {
            "customer_id": ["C_rich", "C_plain"],
            "luxury_share": [0.45, 0.0],
            "txn_amount": [np.exp(6.0), np.exp(4.5)],
            "supermarket_share": [0.5, 0.5],
        }
    )
    r = card.reasons(probe, top=3)
    rich = r[r["customer_id"] == "C_rich"]
    assert rich["signal"].iloc[0] == "luxury_share" and rich["rank"].iloc[0] == 1
    assert rich["reason"].iloc[0] == "luxury share 45%"
    assert (r["log_odds"] > 0).all()  # only pushes towards the event are reasons
    assert "C_plain" not in set(r["customer_id"])  # below average on every signal: no reason to flag


def test_a_scorecard_refuses_an_outcome_without_events():
    X, _ = scorecard_data(n=100)
    with pytest.raises(DataError, match="single class"):
        fp.Scorecard().fit(X, np.zeros(100))


# --- selection that survives the null -----------------------------------------------------------


def noise_data(n=900, signals=25, rate=0.05, seed=2):
    """Signals with no link at all to the outcome: about 45 events, the size of a small bank's risk card."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"noise_{j}": rng.lognormal(0, 1, n) for j in range(signals)})
    return X, (rng.random(n) < rate).astype(int)


def test_on_pure_noise_the_fixed_iv_bar_selects_signals_and_the_permutation_test_selects_none():
    X, y = noise_data()
    textbook = fp.Scorecard(n_permutations=0).fit(X, y)  # min_iv and Wald p-values alone
    assert textbook.selected_, "the fixed bars fit noise at this size: the reason for the test"
    card = fp.Scorecard().fit(X, y)
    assert card.selected_ == []
    # what the best noise signal reached is what chance reaches at this number of events
    assert card.iv_["iv"].max() < card.iv_threshold_ and (card.iv_["p_perm"] > 0.05).all()
    assert card.predict(X).nunique() == 1  # a card without signals ranks no one


def test_a_planted_signal_beats_the_shuffles_at_few_events_and_noise_does_not_ride_along():
    X, y = noise_data()
    rng = np.random.default_rng(7)
    X["planted"] = rng.normal(size=len(X))
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-(-3.3 + 1.0 * X["planted"])))).astype(int)  # ~60 events
    card = fp.Scorecard().fit(X, y)
    assert card.selected_ == ["planted"]
    assert card.iv_.set_index("signal").loc["planted", "p_perm"] == pytest.approx(1 / 201)


def test_the_permutation_selection_is_the_same_for_the_same_seed():
    X, y = scorecard_data(n=2_000)
    a, b = fp.Scorecard(seed=3).fit(X, y), fp.Scorecard(seed=3).fit(X, y)
    pd.testing.assert_frame_equal(a.iv_, b.iv_)
    assert a.selected_ == b.selected_ and a.iv_threshold_ == b.iv_threshold_


def test_max_statistic_p_values_compare_each_candidate_with_the_largest_shuffle_below_it():
    # candidates ranked by statistic; each against the max over itself and those ranked lower
    null = np.array([[0.1, 0.3, 0.0], [0.2, 0.1, 0.0], [0.0, 0.2, 0.4], [0.1, 0.1, 0.0]])
    p = fp.scorecard.max_statistic_p(np.array([0.5, 0.15, 0.35]), null)
    # 0.5 (rank 1) vs max over all {0.3, 0.2, 0.4, 0.1}: none ≥ → 1/5; 0.35 (rank 2) vs max of
    # columns 2 and 3 {0.3, 0.1, 0.4, 0.1}: one → 2/5; 0.15 (rank 3) vs column 2: two → 3/5
    assert p.tolist() == pytest.approx([1 / 5, 3 / 5, 2 / 5])
    # never smaller than the p-value of a stronger candidate
    assert fp.scorecard.max_statistic_p(np.array([0.5, 0.45]), np.array([[0.6, 0.0]] * 3)).tolist() == [1.0, 1.0]
