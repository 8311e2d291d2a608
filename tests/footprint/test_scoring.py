"""Scoring for reports: the demo bank's current customers, and the training notebook.

The prospects section that shows the scores is tested in tests/reports/sections/test_prospects.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crmstudy import footprint as fp

ROOT = Path(__file__).resolve().parents[2]


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
    pm.execute_notebook(
        str(path),
        str(tmp_path / "out.ipynb"),
        parameters={"data_dir": str(tiny_bank), "n_boot": 50},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
