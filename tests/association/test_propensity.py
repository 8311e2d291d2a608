"""Per-product take-up propensity (crmstudy.association.propensity): labels, baselines, the time hold-out.

The demo-bank judgement (the model beats popularity within group and tenure with a paired 95%
interval above 0; the demo null bank does not) is one slow test; the rest run on the tiny bank.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from crmstudy.association import propensity as P
from crmstudy.reports.sections._offers import eligible, top_offers
from tests.bank_cases import copy_with_missing_ages


@pytest.fixture(scope="module")
def tiny_window(tiny_bank):
    return P.take_up_data(tiny_bank, "2025-08-31", "2025-12-31")


def test_the_windows_step_back_whole_months_from_the_end():
    assert [str(d.date()) for d in P.windows("2025-12-31", 3)] == ["2025-06-30", "2025-09-30", "2025-12-31"]


def test_openings_are_the_products_not_held_at_the_cut_and_opened_in_the_window(tiny_bank, tiny_window):
    h = pd.read_parquet(tiny_bank / "holdings.parquet")
    cut, end = pd.Timestamp("2025-08-31"), pd.Timestamp("2025-12-31")
    held = h[(h.open_date <= cut) & (h.close_date.isna() | (h.close_date > cut))]
    new = h[(h.open_date > cut) & (h.open_date <= end)]
    pairs = set(zip(new.customer_id, new.product_id)) - set(zip(held.customer_id, held.product_id))
    pairs = {(c, p) for c, p in pairs if c in set(held.customer_id)}
    o = tiny_window.opened.stack()
    assert set(o[o == 1].index) == pairs and pairs
    assert set(tiny_window.held.index) == set(held.customer_id)


def test_assets_at_the_cut_are_the_balances_that_day(tiny_bank, tiny_window):
    b = pd.read_parquet(tiny_bank / "balances.parquet")
    day = pd.Timestamp("2025-08-31")
    on = b[(b.valid_from <= day) & (b.valid_to > day)].groupby("customer_id")["balance"].sum().clip(lower=0)
    got = tiny_window.assets
    assert np.allclose(got.reindex(on.index).dropna(), on.reindex(got.index).dropna())
    assert np.allclose(tiny_window.covariates["log_assets"], np.log1p(got))


def test_the_model_gives_chances_only_for_products_not_held_and_the_baselines_are_rates(tiny_window):
    m = P.PropensityModel().fit(tiny_window)
    s, g, pop = m.scores(tiny_window), m.group_scores(tiny_window), m.popularity_scores(tiny_window)
    held = tiny_window.held[m.products_].to_numpy() > 0
    for frame in (s, g, pop):
        assert frame.isna().to_numpy()[held].all() and frame.notna().to_numpy()[~held].all()
        values = frame.to_numpy()[~held]
        assert ((values >= 0) & (values <= 1)).all()
    elig = tiny_window.held[m.products_] == 0
    rate = (tiny_window.opened[m.products_] * elig).sum() / elig.sum()
    assert np.allclose(m.popularity_[m.products_], rate)
    # maximum likelihood with an intercept: the mean chance equals the observed rate (up to the L2 penalty)
    fitted = [p for p, model in m.models_.items() if model is not None]
    assert fitted
    for p in fitted:
        assert s[p].mean() == pytest.approx(rate[p], rel=0.1)


def test_the_median_imputer_gives_scikit_learns_statistics_matrix_and_chances_to_the_bit(tiny_window, monkeypatch):
    import warnings

    from sklearn.impute import SimpleImputer

    ours = P.PropensityModel().fit(tiny_window).scores(tiny_window)
    from crmstudy.association import takeup_model

    monkeypatch.setattr(takeup_model, "MedianImputer", lambda: SimpleImputer(strategy="median"))
    theirs = P.PropensityModel().fit(tiny_window).scores(tiny_window)
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)

    x = tiny_window.covariates.to_numpy(dtype=float)
    assert np.isnan(x).any()  # the history leaves gaps to impute
    eligible = tiny_window.held == 0
    for p in tiny_window.held.columns:  # each product's model learns from the customers not holding it
        rows = x[eligible[p].to_numpy()]
        if len(rows):
            ours, theirs = P.MedianImputer().fit(rows), SimpleImputer(strategy="median").fit(rows)
            np.testing.assert_array_equal(ours.statistics_, theirs.statistics_)
            mine, sk = ours.transform(x), theirs.transform(x)
            np.testing.assert_array_equal(mine, sk)
            assert mine.flags["F_CONTIGUOUS"] == sk.flags["F_CONTIGUOUS"]  # the same layout, the same sums
    # a column never observed is dropped; a gap in new rows takes the training median (even counts average)
    train = np.array([[1.0, np.nan, 3.0], [2.0, np.nan, np.nan], [4.0, np.nan, 5.0], [8.0, np.nan, 7.0]])
    new = np.array([[np.nan, 1.0, np.nan], [0.5, np.nan, 6.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn says it drops the empty column
        theirs = SimpleImputer(strategy="median").fit(train).transform(new)
    np.testing.assert_array_equal(P.MedianImputer().fit(train).transform(new), theirs)
    np.testing.assert_array_equal(theirs, [[3.0, 5.0], [0.5, 6.0]])


@pytest.mark.parametrize("max_fit", [60_000, 1_000])
def test_the_runs_judgement_is_the_hold_out_and_the_deployed_model_computed_apart(tiny_bank, max_fit):
    # bank_judgement hands the hold-out's test window to the deployed fit when no sample was drawn
    # from it; with a sample each draws its own, as when computed apart
    held = len(P.take_up_data(tiny_bank, "2025-08-31", history_months=None).held)
    assert (held < max_fit) == (max_fit > 1_000)  # one case shares the window, the other draws samples
    P._bank_judgement.cache_clear()
    evaluation, deployed = P.bank_judgement(tiny_bank, end="2025-12-31", max_fit=max_fit)
    alone, _ = P.evaluate_propensity(tiny_bank, end="2025-12-31", max_fit=max_fit)
    np.testing.assert_equal(dataclasses.astuple(evaluation), dataclasses.astuple(alone))
    apart = P.deployed_model(tiny_bank, end="2025-12-31", max_fit=max_fit)
    now = P.take_up_data(tiny_bank, "2025-12-31")
    pd.testing.assert_frame_equal(deployed.scores(now), apart.scores(now), check_exact=True)


@pytest.fixture(scope="module")
def ages_missing(tiny_bank, tmp_path_factory):
    """The tiny bank with a third of the ages missing, and every age of branch B002."""
    return copy_with_missing_ages(tiny_bank, tmp_path_factory.mktemp("ages") / "bank", branch="B002")


@pytest.mark.parametrize("branch", ["B001", "B002"])
def test_a_branchs_rows_are_its_rows_of_the_whole_banks_data(ages_missing, branch):
    # the run scores the whole bank at once and a branch reads its rows; a branch report rendered alone
    # encodes its customers itself: a missing age takes the bank's median, not the branch's (B002 has none)
    cut = "2025-12-31"
    customers = pd.read_parquet(ages_missing / "customers.parquet")
    ids = customers.loc[customers["branch_id"] == branch, "customer_id"]
    bank = P.take_up_data(ages_missing, cut)
    alone = P.take_up_data(ages_missing, cut, customer_ids=ids, branch=branch)
    assert alone.covariates["age"].notna().all() and len(alone.held) > 0
    rows = alone.held.index
    assert set(alone.covariates.columns) <= set(bank.covariates.columns)
    mine = bank.covariates.loc[rows]
    pd.testing.assert_frame_equal(alone.covariates, mine[alone.covariates.columns], rtol=1e-12, atol=1e-12)
    # a group level no customer of the branch has is a dummy column of zeros for them
    absent = mine.drop(columns=alone.covariates.columns)
    assert (absent.to_numpy() == 0).all()
    pd.testing.assert_frame_equal(alone.groups, bank.groups.loc[rows])
    pd.testing.assert_frame_equal(alone.held, bank.held.loc[rows])


def test_tier_rules_blank_the_products_a_tier_is_not_offered_and_top_offers_rank_them():
    s = pd.DataFrame({"A": [0.1, 0.5], "B": [0.3, 0.2], "C": [np.nan, 0.4]}, index=["c1", "c2"])
    e = eligible(s, pd.Series(["key", "mass"], index=["c1", "c2"]), {"key": ["B"]})
    top = top_offers(e, k=2)
    assert top[top.customer_id == "c1"].product_id.tolist() == ["A"]
    assert top[top.customer_id == "c2"].product_id.tolist() == ["A", "C"]


@pytest.fixture(scope="module")
def demo_hold_out(demo_bank):
    return P.evaluate_propensity(demo_bank, end="2025-12-31", horizon_months=4)[0]


@pytest.mark.slow
def test_on_the_demo_hold_out_the_model_beats_popularity_and_its_chances_hold(demo_hold_out, demo_null_bank):
    # measured with the history covariates (issue 13): hit@3 78.2% vs 74.4% for popularity (gain
    # 2.6-4.7 points); AUC 0.876 vs 0.854 (group and tenure) vs 0.792; 2.62% predicted vs 2.71%
    # opened, slope 1.17 (1.14 before the history: pooled over products the spread between them is
    # a little wider than the previous window's models say)
    ev = demo_hold_out
    assert ev.popularity_low > 0 and ev.hit_model > ev.hit_group > ev.hit_popularity
    assert ev.auc_model > ev.auc_group > ev.auc_popularity
    assert ev.predicted == pytest.approx(ev.observed, rel=0.2) and 0.8 <= ev.slope <= 1.2
    null, _ = P.evaluate_propensity(demo_null_bank, end="2025-12-31", horizon_months=4)
    # the null twin: hit@3 73.6% vs 73.0% within group, gain 0.5 (-0.4 to 1.5) points
    assert not null.beats_baseline


@pytest.mark.slow
def test_on_the_demo_hold_out_the_model_beats_popularity_within_group(demo_hold_out):
    # after the wealth law of 2026-12-02 (30% near-empty accounts) log assets at the cut said little
    # of a customer's wealth and the gain fell to +0.5 (-0.4 to 1.5) points.  With the history up to
    # the cut (spending amounts and footprints, balance trend and peak, tenure as log(tenure + h),
    # recent openings) and L2 chosen by cross-validation on the training window: hit@3 78.2% vs
    # 76.4% within group and tenure, gain +1.7 (0.8 to 2.7) points
    # (demo seed 1, not tested here: +1.3, 0.3 to 2.3; its null twin -0.5, -1.4 to 0.5)
    assert demo_hold_out.beats_baseline and demo_hold_out.gain_low > 0
