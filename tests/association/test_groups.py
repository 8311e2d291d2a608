"""Group × product association: each cell its group against the rest, the family of cells, the planted truth.

Order of evidence (STYLE.md): hand-made tables against scipy and statsmodels' ``Table``;
then the planted truth of the demo bank (defined in conftest.py); then the null bank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests

from crmstudy import association as A
from crmstudy.errors import DataError

#: The 4 × 3 table of test_contingency.py; its first two columns are groups × (holds, does not).
TABLE_RXC = np.array([[25, 14, 9], [11, 30, 12], [6, 10, 33], [20, 8, 15]])


# --- helpers -------------------------------------------------------------------------------


def customers_and_holding(groups: list[str], held: dict[str, list[int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"C{i:03d}" for i in range(len(groups))]
    cust = pd.DataFrame({"customer_id": ids, "life_group": groups})
    hold = pd.DataFrame(held, index=pd.Index(ids, name="customer_id"))
    return cust, hold


def expand(table: np.ndarray) -> tuple[list[str], list[int]]:
    """Customers and a 0/1 product from a groups × (holds, does not) count table."""
    groups, held = [], []
    for i, (yes, no) in enumerate(np.asarray(table)):
        groups += [f"g{i}"] * (yes + no)
        held += [1] * yes + [0] * no
    return groups, held


# --- group × product cells -------------------------------------------------------------------


def test_each_cell_is_its_group_against_the_rest_and_its_residual_is_statsmodels():
    groups, held = expand(TABLE_RXC[:, :2])  # four groups × (holds, does not)
    cust, hold = customers_and_holding(groups, {"P": held, "Q": held[::-1]})
    res = A.group_product_association(cust, hold, min_expected=0)
    cells = res.cells[res.cells["product_id"] == "P"].set_index("group")
    resid = Table(TABLE_RXC[:, :2]).standardized_resids[:, 0]
    np.testing.assert_allclose(cells["residual"].to_numpy(), resid, rtol=1e-12)
    for i, g in enumerate(cells.index):
        rest = TABLE_RXC[:, :2].sum(axis=0) - TABLE_RXC[i, :2]
        ref = stats.chi2_contingency([TABLE_RXC[i, :2], rest], correction=False)
        assert cells.at[g, "statistic"] == pytest.approx(ref.statistic, rel=1e-12)
        assert cells.at[g, "p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    np.testing.assert_allclose(res.cells["p_adjusted"], multipletests(res.cells["p_value"], method="fdr_bh")[1])


def test_the_per_product_table_test_and_cramers_v_match_statsmodels_and_the_formula():
    groups, held = expand(TABLE_RXC[:, :2])
    cust, hold = customers_and_holding(groups, {"P": held})
    row = A.group_product_association(cust, hold).tables.iloc[0]
    ref = Table(TABLE_RXC[:, :2]).test_nominal_association()
    assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-12)
    assert row["dof"] == ref.df
    assert row["cramers_v_corrected"] == pytest.approx(A.contingency_test(TABLE_RXC[:, :2]).cramers_v_corrected)


def test_rates_lift_and_rate_ratio_by_hand():
    cust, hold = customers_and_holding(["a"] * 4 + ["b"] * 6, {"P": [1, 1, 1, 0] + [1, 0, 0, 0, 0, 0]})
    a = A.group_product_association(cust, hold, min_expected=0).cells.set_index("group").loc["a"]
    assert (a["customers"], a["holders"]) == (4, 3)
    assert a["rate"] == 0.75 and a["rate_rest"] == pytest.approx(1 / 6)
    assert a["lift"] == pytest.approx(0.75 / 0.4) and a["rate_ratio"] == pytest.approx(4.5)


def test_cells_with_small_expected_counts_use_fishers_exact_test():
    cust, hold = customers_and_holding(["a"] * 4 + ["b"] * 36, {"P": [1, 1, 1, 0] + [1] * 3 + [0] * 33})
    a = A.group_product_association(cust, hold).cells.set_index("group").loc["a"]
    assert a["test"] == "fisher"
    assert a["p_value"] == pytest.approx(stats.fisher_exact([[3, 1], [3, 33]]).pvalue, rel=1e-12)


def test_a_product_everyone_holds_is_left_out():
    cust, hold = customers_and_holding(["a", "a", "b", "b"], {"ALL": [1, 1, 1, 1], "P": [1, 0, 0, 1]})
    assert set(A.group_product_association(cust, hold).cells["product_id"]) == {"P"}


def test_holm_finds_no_more_than_bh(demo_features, demo_holding):
    holm = A.group_product_association(demo_features, demo_holding, correction="holm").cells["significant"]
    bh = A.group_product_association(demo_features, demo_holding).cells["significant"]
    assert holm.sum() <= bh.sum() and not (holm & ~bh).any()


def test_a_missing_grouping_column_is_named():
    cust, hold = customers_and_holding(["a", "b"], {"P": [1, 0]})
    with pytest.raises(DataError, match=r"^group_product_association: missing column\(s\) income_band$"):
        A.group_product_association(cust, hold, by="income_band")


def test_a_holding_matrix_that_is_not_zero_one_is_refused():
    cust, hold = customers_and_holding(["a", "b"], {"P": [2, 0]})
    with pytest.raises(DataError, match="must be customers × products of 0/1 values"):
        A.group_product_association(cust, hold)


# --- planted truth: the demo bank ------------------------------------------------------------


def test_significant_cells_recover_the_planted_associations(demo_association, demo_truth):
    m = demo_association.cells.merge(demo_truth, on=["grouping", "group", "product_id"], validate="1:1")
    judged = m[m["planted"] != "ambiguous"]
    truly = judged["planted"] == "association"
    found = judged["significant"]
    precision = (found & truly).sum() / found.sum()
    recall = (found & truly).sum() / truly.sum()
    assert truly.sum() >= 40 and (~truly).sum() >= 30  # enough cells of each kind to judge
    assert precision >= 0.9, judged[found & ~truly]
    assert recall >= 0.9, judged[~found & truly]


# --- the null bank ---------------------------------------------------------------------------


def test_null_bank_false_discovery_share_is_at_most_5_percent_on_average(null_cells):
    # Every cell of the null bank is null, so every discovery is false: the share of false
    # discoveries of a seed is 1 if anything is found, else 0, and BH at q = 0.05 keeps its
    # expectation at or below 0.05.
    fdp = [cells["significant"].sum() / max(cells["significant"].sum(), 1) for cells, _ in null_cells]
    assert np.mean(fdp) <= 0.05, fdp


def test_null_bank_raw_p_values_are_calibrated(null_cells):
    # 5 seeds × 135 cells; binomial SE of a 5 % share is 0.008, about 0.011 allowing for the
    # dependence of a product's cells; ±3 SE gives [0.02, 0.08].
    share = np.mean(np.concatenate([(cells["p_value"] < 0.05).to_numpy() for cells, _ in null_cells]))
    assert 0.02 <= share <= 0.08
