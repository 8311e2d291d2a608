"""Churn early warning: the score others call, and the out-of-time judgement on tiny banks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from crmstudy.bank import Bank
from crmstudy.lifecycle import churn, metrics, snapshots


def test_score_gives_one_probability_per_active_customer(tiny_bank):
    bank = Bank.open(tiny_bank)
    out = churn.score(bank, date(2025, 10, 15))
    assert list(out.columns) == ["customer_id", "p_churn_90d"]
    assert out["customer_id"].is_unique
    assert out["p_churn_90d"].between(0, 1).all()
    assert len(out) == len(snapshots(bank, [date(2025, 10, 15)]))


def test_score_reads_nothing_after_its_day(tiny_bank):
    """A score early in the year has no departures to learn from: NaN, not a guess from the future."""
    out = churn.score(Bank.open(tiny_bank), date(2025, 2, 10))
    assert out["p_churn_90d"].isna().all()


def test_snapshots_exclude_customers_who_already_left(tiny_bank):
    s = snapshots(Bank.open(tiny_bank), [date(2025, 9, 30)])
    assert (s["days_to_leave"].dropna() >= 0).all()
    assert s.groupby("customer_id").size().max() == 1


@pytest.mark.parametrize("name", ["tiny_bank", "tiny_null_bank"])
def test_evaluation_reports_every_metric_with_an_interval(name, request):
    ev = churn.evaluate(request.getfixturevalue(name), n_boot=20)
    m = ev.metrics.set_index("metric")
    assert {"auc_90", "baseline_auc_90", "auc_gain", "brier", "calibration_slope"} <= set(m.index)
    assert (m["low"] <= m["high"]).all()
    assert max(ev.fit_months) < min(ev.judge_months)


def test_null_bank_warning_is_no_better_than_chance(tiny_null_bank):
    ev = churn.evaluate(tiny_null_bank, n_boot=50)
    est, low, high = ev.value("auc_90")
    assert low < 0.5 < high or np.isnan(est)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_bootstrap_auc_is_sklearns_roc_auc_ties_included(seed):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 400)
    score = np.round(rng.random(400) + 0.3 * y, 1)  # rounded: many ties
    assert metrics.auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


@pytest.mark.parametrize("slope,intercept", [(1.0, 0.0), (0.6, -0.4), (1.5, 0.3)])
def test_the_bootstrap_recalibration_is_statsmodels_binomial_glm(slope, intercept):
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    p = rng.uniform(0.01, 0.4, 3000)
    lp = np.log(p / (1 - p))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(intercept + slope * lp)))).astype(int)
    glm = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit()
    got = metrics.calibration(y, p)
    assert got == pytest.approx((glm.params[1], glm.params[0]), abs=1e-8)
    assert got[0] == pytest.approx(slope, abs=0.25), "and it recovers the planted miscalibration"


@pytest.mark.parametrize("seed", [0, 3])
def test_the_weighted_bootstrap_gives_the_metrics_of_the_resampled_rows(seed):
    rng = np.random.default_rng(seed)
    customers = np.repeat([f"C{i}" for i in range(300)], rng.integers(1, 4, 300))
    n = len(customers)
    y = (rng.random(n) < 0.2).astype(int)
    p = np.round(np.clip(rng.random(n) * 0.3 + 0.2 * y, 0.01, 0.99), 2)  # rounded: ties across resamples
    q = np.round(rng.random(n) * 0.4, 1)
    rows = [metrics.metrics(y[i], p[i], q[i]) for i in metrics.cluster_resamples(customers, 20, seed)]
    weighted = metrics.weighted_metrics(y, p, q, metrics.cluster_weights(customers, 20, seed))
    assert len(weighted) == len(rows) == 20
    for a, b in zip(rows, weighted, strict=True):
        assert b == pytest.approx(a, abs=1e-10)
