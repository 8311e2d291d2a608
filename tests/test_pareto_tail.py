"""Specification of the semi-parametric (Pareto-tail) law behind the default Gini interval.

Closed forms first (the law's Gini, the tail-index draws' moments), then the law checked
against large draws from it, then the planted truth: the drawn tail indices are as uncertain
as a Hill estimate from k values of a Pareto whose index is known.
"""

from __future__ import annotations

import numpy as np
import pytest

from crmstudy.pareto import gini
from crmstudy.pareto_tail import (
    MIN_ALPHA,
    hill,
    semiparametric_gini,
    semiparametric_resamples,
    tail_index_draws,
    tail_size,
)


def test_a_pure_pareto_law_has_the_gini_one_over_two_alpha_minus_one():
    alphas = np.array([1.2, 1.55, 2.0, 3.0, 10.0])
    assert semiparametric_gini(np.array([]), 1, alphas, 1.0) == pytest.approx(1 / (2 * alphas - 1), rel=1e-12)


def test_one_gini_per_tail_index_equals_the_scalar_form():
    x = np.sort(np.random.default_rng(0).lognormal(0, 1.5, 500))
    k = tail_size(x.size)
    body, threshold = x[: x.size - k], float(x[-k - 1])
    alphas = np.array([1.1, 1.7, 2.5])
    each = [semiparametric_gini(body, x.size, a, threshold) for a in alphas]
    assert semiparametric_gini(body, x.size, alphas, threshold) == pytest.approx(each, rel=1e-12)
    assert np.all(np.diff(each) < 0)  # a heavier tail (smaller index) is a more unequal law


def test_tail_index_draws_have_the_hill_estimates_mean_and_a_spread_of_one_over_root_k():
    a = tail_index_draws(2.5, 64, 400_000, np.random.default_rng(1))
    assert a.mean() == pytest.approx(2.5, rel=0.005)
    assert a.std() / a.mean() == pytest.approx(1 / 8, rel=0.01)
    assert tail_index_draws(1.06, 5, 10_000, np.random.default_rng(2)).min() == MIN_ALPHA


def test_the_draws_cover_a_planted_pareto_index_at_their_nominal_rate():
    # the planted truth: Pareto(alpha = 1.55) samples of a branch's size; given each sample's Hill
    # estimate from its top k = 38, the draws' 10% and 90% quantiles fall either side of 1.55 in
    # 10% of the samples each, their central 95% holds it in 95% (alpha * sum log(x / threshold)
    # is Gamma(k, 1) whatever alpha is; the Hill estimate's own law, alpha * k / Gamma(k, 1), put
    # 12.8% and 6.8% either side)
    rng = np.random.default_rng(3)
    alpha, n, k = 1.55, 1_400, tail_size(1_400)
    below = []
    for _ in range(2_000):
        a_hat = hill(np.sort(rng.pareto(alpha, n) + 1.0), k)[0]
        below.append(np.mean(tail_index_draws(a_hat, k, 400, rng) <= alpha))
    below = np.array(below)
    assert np.mean(below <= 0.1) == pytest.approx(0.10, abs=0.02)  # each side, not only the total
    assert np.mean(below >= 0.9) == pytest.approx(0.10, abs=0.02)
    assert np.mean((below > 0.025) & (below < 0.975)) == pytest.approx(0.95, abs=0.015)


def test_fixed_tail_resamples_share_the_hill_index_and_drawn_ones_do_not():
    x = np.sort(np.random.default_rng(4).lognormal(0, 2, 1_400))
    k = tail_size(x.size)
    _, _, _, fixed = next(semiparametric_resamples(x, k, 50, seed=5, tail_uncertainty=False))
    _, _, _, drawn = next(semiparametric_resamples(x, k, 50, seed=5))
    assert np.all(fixed == hill(x, k)[0])
    assert drawn.std() > 0.1 * drawn.mean()
    first, again = (next(semiparametric_resamples(x, k, 50, seed=5)) for _ in range(2))
    assert np.array_equal(again[3], drawn) and np.array_equal(again[2], first[2])  # the same for a seed


def test_the_fixed_tail_resamples_pool_to_the_laws_closed_form_gini():
    x = np.sort(np.random.default_rng(9).lognormal(0, 1.5, 2_000))
    k = tail_size(x.size)
    exact = semiparametric_gini(x[: x.size - k], x.size, *hill(x, k))
    _, values, weights, _ = next(semiparametric_resamples(x, k, 40, seed=1, tail_uncertainty=False))
    pooled = np.concatenate([np.repeat(v, w.astype(int)) for v, w in zip(values, weights, strict=True)])
    assert gini(pooled, ci=None).estimate == pytest.approx(exact, abs=0.02)


def test_each_resamples_tail_is_pareto_with_its_own_index():
    # alpha * log(value / threshold) is Exp(1) for a Pareto(threshold, alpha) draw, so a row's mean of
    # it, scaled by the row's own index, has variance 1 / (its tail count); scaled by the Hill index
    # instead, the rows' spread of indices adds about 1 / k more
    x = np.sort(np.random.default_rng(10).lognormal(0, 2, 3_000))
    k = tail_size(x.size)
    m, threshold = x.size - k, float(x[-k - 1])
    _, values, weights, alphas = next(semiparametric_resamples(x, k, 400, seed=2))
    logs, live = np.log(values[:, m:] / threshold), weights[:, m:]
    per_row = (logs * live).sum(axis=1) / live.sum(axis=1)
    expected = np.mean(1.0 / live.sum(axis=1))
    assert np.var(alphas * per_row) == pytest.approx(expected, rel=0.2)
    assert np.var(hill(x, k)[0] * per_row) > 1.6 * expected
