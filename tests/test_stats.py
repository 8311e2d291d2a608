"""Statistics shared by the analyses (crmstudy.stats): multiple testing, 2 × 2 tests, bootstrap counts.
Order of evidence (STYLE.md): by hand, then against the reference libraries (statsmodels'
``multipletests``, scipy.stats), then failure cases.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from crmstudy import association, pareto
from crmstudy.errors import DataError, ParamsError
from crmstudy.stats import adjust_pvalues, bootstrap_counts, nonnegative_array, two_by_two_test

# --- multiple testing -----------------------------------------------------------------------


def test_bh_and_holm_by_hand():
    p = [0.01, 0.04, 0.03]
    assert adjust_pvalues(p, method="bh").round(12).tolist() == [0.03, 0.04, 0.04]
    assert adjust_pvalues(p, method="holm").round(12).tolist() == [0.03, 0.06, 0.06]


@pytest.mark.parametrize("method, reference", [("bh", "fdr_bh"), ("holm", "holm")])
def test_corrections_match_statsmodels_multipletests(method, reference):
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 0.001, size=20), [0.02, 0.02, 0.02, 1.0]])
    np.testing.assert_allclose(adjust_pvalues(p, method=method), multipletests(p, method=reference)[1], rtol=1e-12)


def test_missing_p_values_are_left_out_of_the_family():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    out = adjust_pvalues(p)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3]], multipletests(p[[0, 2, 3]], method="fdr_bh")[1])


def test_an_unknown_correction_is_refused_in_one_line():
    with pytest.raises(ParamsError, match=r"^correction must be 'bh' or 'holm', got 'bonferroni'$"):
        adjust_pvalues([0.1], method="bonferroni")


def test_the_analyses_use_the_one_correction():
    assert association.adjust_pvalues is adjust_pvalues
    assert all(hasattr(association, name) for name in association.__all__)


# --- 2 × 2 tests ----------------------------------------------------------------------------


def test_two_by_two_tests_match_scipy_and_switch_to_fisher_below_the_expected_count():
    a, b, c, d = np.array([30, 3]), np.array([10, 1]), np.array([15, 3]), np.array([45, 33])
    for method, lambda_ in (("pearson", None), ("g", "log-likelihood")):
        stat, p, test = two_by_two_test(a, b, c, d, method=method)
        ref = stats.chi2_contingency([[30, 10], [15, 45]], correction=False, lambda_=lambda_)
        assert stat[0] == pytest.approx(ref.statistic, rel=1e-12) and p[0] == pytest.approx(ref.pvalue, rel=1e-9)
        assert test.tolist() == [method, "fisher"]
    assert p[1] == pytest.approx(stats.fisher_exact([[3, 1], [3, 33]]).pvalue, rel=1e-12)


def test_an_unknown_test_is_refused_in_one_line():
    with pytest.raises(ParamsError, match=r"^method must be 'pearson' or 'g', got 'yates'$"):
        two_by_two_test([1], [2], [3], [4], method="yates")


# --- bootstrap and input checks -------------------------------------------------------------


def test_bootstrap_counts_are_resamples_of_every_row_in_bounded_batches():
    batches = list(bootstrap_counts(50, 7, seed=3, max_cells=100))
    assert [start for start, _ in batches] == [0, 2, 4, 6]
    counts = np.vstack([c for _, c in batches])
    assert counts.shape == (7, 50) and (counts.sum(axis=1) == 50).all() and counts.dtype == np.float64
    again = np.vstack([c for _, c in bootstrap_counts(50, 7, seed=3, max_cells=100)])
    np.testing.assert_array_equal(counts, again)


def test_negative_values_are_refused_in_one_line_naming_the_caller():
    with pytest.raises(DataError, match=r"^gini: values must be >= 0, found 1 negative values$"):
        nonnegative_array([1.0, -2.0], caller="gini", what="values")
    with pytest.raises(DataError, match=r"^gini: values must be >= 0, found 1 negative values$"):
        pareto.gini([1.0, -2.0])


def test_fit_logit_is_statsmodels_newton_fit_and_falls_back_to_bfgs_on_separation():
    import statsmodels.api as sm

    from crmstudy.stats import fit_logit

    rng = np.random.default_rng(1)
    x = sm.add_constant(rng.normal(size=(3000, 3)))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(x @ np.array([-1.0, 0.8, -0.5, 0.0]))))).astype(int)
    got = fit_logit(y, x)
    with warnings.catch_warnings():  # the reference: BFGS to a tight gradient (older scipy says it did not converge)
        warnings.simplefilter("ignore")
        want = sm.Logit(y, x).fit(disp=0, method="bfgs", maxiter=500, gtol=1e-10)
    assert got.mle_settings["optimizer"] == "newton"
    np.testing.assert_allclose(got.params, want.params, atol=1e-6)
    separated = (x[:, 1] > 0).astype(int)  # perfectly separated: Newton diverges
    res = fit_logit(separated, x)
    assert res.mle_settings["optimizer"] == "bfgs" and np.isfinite(res.params).all()
