"""The holding matrix: who holds what at the end of a day, from a table and from a bank folder."""

from __future__ import annotations

import pandas as pd

from crmstudy import association as A
from crmstudy.features import customer_features

T = pd.Timestamp


def test_a_product_counts_from_its_opening_day_until_the_day_before_it_closes():
    h = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2", "C2"],
            "product_id": ["OPENS_TODAY", "CLOSES_TODAY", "CLOSES_TOMORROW", "OPENS_TOMORROW", "OPEN"],
            "open_date": [T("2025-12-31"), T("2020-01-01"), T("2020-01-01"), T("2026-01-01"), T("2020-01-01")],
            "close_date": [pd.NaT, T("2025-12-31"), T("2026-01-01"), pd.NaT, pd.NaT],
        }
    )
    m = A.holding_matrix(
        h,
        as_of="2025-12-31",
        customer_ids=["C1", "C2", "C3"],
        product_ids=["OPENS_TODAY", "CLOSES_TODAY", "CLOSES_TOMORROW", "OPENS_TOMORROW", "OPEN"],
    )
    assert m.loc["C1"].tolist() == [1, 0, 1, 0, 0]
    assert m.loc["C2"].tolist() == [0, 0, 0, 0, 1]
    assert m.loc["C3"].tolist() == [0, 0, 0, 0, 0]


def test_by_default_the_matrix_keeps_only_customers_holding_something():
    h = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "product_id": ["A", "A"],
            "open_date": [T("2020-01-01")] * 2,
            "close_date": [pd.NaT, T("2021-01-01")],
        }
    )
    assert A.holding_matrix(h, as_of="2025-12-31").index.tolist() == ["C1"]


def test_the_bank_holding_matrix_agrees_with_the_features_product_count(tiny_bank):
    features = customer_features(tiny_bank).set_index("customer_id")
    m = A.read_holding_matrix(tiny_bank)
    assert (m.sum(axis=1) == features.loc[m.index, "n_products"]).all()
    assert (features.drop(m.index)["n_products"] == 0).all()


def test_a_branch_holding_matrix_holds_only_that_branchs_customers(tiny_bank):
    features = customer_features(tiny_bank)
    m = A.read_holding_matrix(tiny_bank, branch="B002")
    branch_of = features.set_index("customer_id")["branch_id"]
    assert len(m) > 0 and (branch_of.loc[m.index] == "B002").all()
