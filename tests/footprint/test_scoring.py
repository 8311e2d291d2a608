"""Scoring for reports: the prospects section on the tiny bank, scores split per branch, the
demo bank's current customers, and the training notebook."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from crmstudy import footprint as fp
from crmstudy.privacy import mask_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prospects(tiny_bank):
    """The section on the tiny bank's B002, with what it displayed captured as text."""
    import crmstudy.reports.display as display
    from crmstudy.reports.branch import load_context
    from crmstudy.reports.section_prospects import section_prospects

    ctx = load_context(tiny_bank, "B002", {})
    shown = []
    real = display._publish
    display._publish = lambda data, metadata=None: shown.append(data.get("text/markdown") or data.get("text/plain"))
    try:
        out = section_prospects(ctx, tiny_bank, top_n=5)
    finally:
        display._publish = real
    return ctx, out, "\n".join(shown)


def test_prospects_list_only_the_branch_customers_with_masked_ids_and_a_sentence_each(prospects, tiny_bank):
    ctx, out, text = prospects
    text = text.replace("\\*", "*")  # markdown escapes the stars of a masked id
    ours = set(ctx.features["customer_id"])
    assert set(out["prospects"]["customer_id"]) <= ours and len(out["prospects"]) == 5
    assert set(out["risk_flags"]["customer_id"]) <= ours
    assert not re.search(r"C\d{7}", text), "no customer id in clear"
    for cid in out["prospects"]["customer_id"]:
        assert mask_id(cid) in text
    assert all(s.endswith("within 48 hours.") for s in out["prospects"]["action"])
    assert out["prospects"]["value_p"].is_monotonic_decreasing


def test_risk_flags_are_borrowers_at_twice_the_bank_rate_or_more(prospects):
    _, out, _ = prospects
    flags, card = out["risk_flags"], out["scores"].risk_card
    assert flags["borrower"].all()
    assert (flags["risk_p"] >= 2 * card.event_rate_).all()


def test_split_scores_give_each_branch_the_lists_its_own_scoring_gives(prospects, tiny_bank):
    # the runner fits once on the whole bank and hands each branch only its own rows
    from crmstudy.reports.section_prospects import prospects_tables

    ctx, out, _ = prospects
    whole = fp.score_customers(tiny_bank, period=ctx.period)
    branch_of = pd.read_parquet(tiny_bank / "customers.parquet").set_index("customer_id")["branch_id"]
    parts = whole.split(branch_of)
    assert sum(len(p.scores) for p in parts.values()) == len(whole.scores)
    assert sum(len(p.reasons) for p in parts.values()) == len(whole.reasons)
    mine = parts["B002"]
    assert set(mine.scores["customer_id"]) <= set(branch_of[branch_of == "B002"].index)
    assert mine.value_card is whole.value_card and mine.fit_design == whole.fit_design
    value, risk = prospects_tables(mine, ctx.features, thresholds=ctx.thresholds, top_n=5)
    pd.testing.assert_frame_equal(value, out["prospects"])
    pd.testing.assert_frame_equal(risk, out["risk_flags"])


def test_scoring_the_demo_bank_scores_its_current_customers(demo_bank):
    # its speed is measured in benchmarks/, not here
    s = fp.score_customers(demo_bank)
    assert len(s.scores) > 10_000 and s.scores["value_p"].between(0, 1).all()


@pytest.mark.slow
def test_the_training_notebook_runs_on_the_tiny_bank(tiny_bank, tmp_path):
    import nbformat
    import papermill as pm

    path = ROOT / "notebooks" / "training" / "03_footprints.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "store it without outputs"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    pm.execute_notebook(str(path), str(tmp_path / "out.ipynb"), parameters={"data_dir": str(tiny_bank), "n_boot": 50},
                        kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
