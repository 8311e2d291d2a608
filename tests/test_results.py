"""Result objects read well in a notebook and turn into DataFrames."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

import crmstudy as crm
from crmstudy.results import readable

DECIMAL = re.compile(r"\d+\.\d+(?:e[-+]?\d+)?")


class _LongFloats:
    """Finds numbers shown with more than four significant digits (a 16-digit float left raw)."""

    @staticmethod
    def search(text: str):
        digits = (re.sub(r"e.*$", "", m).replace(".", "").lstrip("0") for m in DECIMAL.findall(text))
        return next((d for d in digits if len(d) > 4), None)


LONG_FLOAT = _LongFloats()


def test_a_gini_result_is_one_row_and_shows_four_significant_digits():
    g = crm.pareto.gini(np.random.default_rng(0).lognormal(size=2_000), n_boot=50)
    frame = g.to_frame()
    assert list(frame.columns) == ["estimate", "low", "high", "n"] and len(frame) == 1
    assert frame.loc[0, "estimate"] == g.estimate
    html = g._repr_html_()
    assert f"{g.estimate:.4g}" in html and "2,000" in html and not LONG_FLOAT.search(html)


def test_a_contingency_test_shows_its_residuals_with_their_labels():
    table = pd.DataFrame([[10, 20], [30, 5]], index=["young", "old"], columns=["card", "loan"])
    t = crm.association.contingency_test(table)
    assert t.to_frame().equals(t.residuals)
    html = t._repr_html_()
    assert "young" in html and "loan" in html and not LONG_FLOAT.search(html)


def test_group_product_association_shows_product_names_not_ids(tiny_bank):
    features = crm.features.customer_features(tiny_bank)
    holding = crm.association.read_holding_matrix(tiny_bank)
    assoc = crm.association.group_product_association(features, holding)
    some_id = str(assoc.cells["product_id"].iloc[0])
    names = {p: f"Product named {p.lower()}" for p in assoc.cells["product_id"].unique()}
    html = assoc.named(names)._repr_html_()
    assert names[some_id] in html and f">{some_id}<" not in html
    assert not LONG_FLOAT.search(html)
    assert len(assoc.to_frame()) == len(assoc.cells)


def test_readable_numbers():
    assert readable(1234567.891) == "1,234,568"
    assert readable(0.000123456) == "0.0001235"
    assert readable(np.int64(42)) == "42"
    assert readable(None) == "–" and readable(True) == "yes"


def test_a_validation_is_one_row_per_metric():
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.3
    v = crm.footprint.validate(y, np.clip(y * 0.3 + rng.random(400) * 0.5, 0, 1), n_boot=30)
    frame = v.to_frame()
    assert frame["metric"].tolist() == ["auc", "ks", "brier"]
    assert frame.loc[0, "estimate"] == v.auc.estimate and (frame["n"] == 400).all()
    assert not LONG_FLOAT.search(v._repr_html_())
