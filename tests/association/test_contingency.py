"""One contingency table: closed forms and reference libraries.

Order of evidence (STYLE.md): hand-made tables against scipy.stats.chi2_contingency and
statsmodels' ``Table`` (residuals, χ², p), Cramér's V against its formula.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table

from crmstudy import association as A
from crmstudy.errors import DataError

TABLE_2X2 = np.array([[30, 10], [15, 45]])
TABLE_RXC = np.array([[25, 14, 9], [11, 30, 12], [6, 10, 33], [20, 8, 15]])


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_pearson_chi2_p_and_expected_match_scipy(table):
    ours = A.contingency_test(table)
    ref = stats.chi2_contingency(table, correction=False)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours.dof == ref.dof
    np.testing.assert_allclose(ours.expected.to_numpy(), ref.expected_freq, rtol=1e-12)


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_g_test_matches_scipy_log_likelihood_ratio(table):
    ours = A.contingency_test(table, method="g")
    ref = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_adjusted_residuals_and_chi2_match_statsmodels_table(table):
    ours = A.contingency_test(table)
    ref = Table(table)
    np.testing.assert_allclose(ours.residuals.to_numpy(), ref.standardized_resids, rtol=1e-12)
    nominal = ref.test_nominal_association()
    assert ours.statistic == pytest.approx(nominal.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(nominal.pvalue, rel=1e-9)


def test_in_a_2x2_table_chi2_is_the_square_of_each_adjusted_residual():
    t = A.contingency_test(TABLE_2X2)
    np.testing.assert_allclose(t.residuals.to_numpy() ** 2, t.statistic, rtol=1e-12)


@pytest.mark.parametrize("table", [TABLE_2X2, TABLE_RXC], ids=["2x2", "4x3"])
def test_plain_cramers_v_matches_scipy(table):
    assert A.contingency_test(table).cramers_v == pytest.approx(
        stats.contingency.association(table, method="cramer", correction=False), rel=1e-12
    )


def test_bias_corrected_cramers_v_follows_bergsma_2013():
    t = A.contingency_test(TABLE_RXC)
    n, (r, c) = TABLE_RXC.sum(), TABLE_RXC.shape
    phi2 = t.statistic / n
    phi2c = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
    rc, cc = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    assert t.cramers_v_corrected == pytest.approx(np.sqrt(phi2c / min(rc - 1, cc - 1)), rel=1e-12)
    assert t.cramers_v_corrected < t.cramers_v  # the correction removes an upward bias


def test_bias_corrected_cramers_v_is_zero_for_an_independent_table():
    assert A.contingency_test(np.array([[10, 20], [20, 40]])).cramers_v_corrected == 0.0


def test_a_table_with_an_empty_row_is_refused_in_one_line():
    with pytest.raises(DataError, match=r"^contingency_test: counts must be >= 0 with no empty row or column$"):
        A.contingency_test(np.array([[1, 2], [0, 0]]))
