"""Co-holding of product pairs and one-to-one rules: by hand, against scipy, on the demo and null banks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmstudy import association as A


def test_pair_measures_by_hand_and_against_scipy():
    x = pd.DataFrame({"A": [1, 1, 1, 0, 0, 0, 1, 0], "B": [1, 1, 0, 0, 0, 1, 1, 0]})
    row = A.product_pairs(x, min_expected=0).iloc[0]
    assert (row["n_a"], row["n_b"], row["n_both"]) == (4, 4, 3)
    assert row["support"] == 3 / 8 and row["jaccard"] == 3 / 5 and row["lift"] == pytest.approx(8 * 3 / 16)
    assert row["phi"] == pytest.approx(np.corrcoef(x["A"], x["B"])[0, 1])
    assert row["p_value"] == pytest.approx(stats.chi2_contingency([[3, 1], [1, 3]], correction=False).pvalue)


def test_a_rules_confidence_is_the_share_of_antecedent_holders_with_the_consequent(demo_holding):
    rules = A.association_rules(demo_holding)
    r = rules[(rules["antecedent"] == "GOLD_YICUN") & (rules["consequent"] == "GOLD_JICUN")].iloc[0]
    both = ((demo_holding["GOLD_YICUN"] == 1) & (demo_holding["GOLD_JICUN"] == 1)).sum()
    assert r["confidence"] == pytest.approx(both / demo_holding["GOLD_YICUN"].sum())
    assert (rules["p_adjusted"] <= 0.05).all() and (rules["lift"] > 1).all()


def test_the_two_gold_products_are_the_most_associated_pair(demo_holding):
    # source 003: the two gold-accumulation products serve highly overlapping customers
    top = A.product_pairs(demo_holding).iloc[0]
    assert {top["product_a"], top["product_b"]} == {"GOLD_JICUN", "GOLD_YICUN"} and top["significant"]


# --- the null bank ---------------------------------------------------------------------------


def test_null_bank_gold_products_are_not_associated(null_cells):
    for _, pairs in null_cells:
        gold = pairs[(pairs["product_a"].str.startswith("GOLD")) & (pairs["product_b"].str.startswith("GOLD"))]
        assert not gold["significant"].any()
