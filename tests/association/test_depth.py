"""Relationship depth: product coverage per group and customers with few product lines for their tier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmstudy import association as A


def test_depth_per_group_and_low_coverage_for_the_tier_by_hand():
    f = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(6)],
            "life_group": ["a", "a", "a", "b", "b", "b"],
            "ada": [600e3, 700e3, 800e3, 1e3, 2e3, 3e3],
            "peak_assets": [0.0] * 6,
            "n_products": [6, 6, 2, 1, 2, 2],
            "n_product_lines": [5, 5, 1, 1, 2, 2],
            "coverage": np.array([5, 5, 1, 1, 2, 2]) / 8,
        }
    )
    depth = A.relationship_depth(f).set_index("life_group")
    assert depth.at["a", "mean_lines"] == pytest.approx(11 / 3)
    assert depth.at["b", "single_line_share"] == pytest.approx(1 / 3)
    low = A.low_coverage_customers(f)
    assert low["customer_id"].tolist() == ["C2"]  # a key customer 4 lines below the key median of 5
    assert (low.at[0, "tier"], low.at[0, "gap_lines"]) == ("key", 4)
