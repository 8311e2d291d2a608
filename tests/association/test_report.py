"""The association as readers see it: the residual heat map and the training notebook.

The report section is tested in tests/reports/sections/test_association.py.
"""

from __future__ import annotations

import pytest

from crmstudy.plots import residual_heatmap, significance_mark


def test_heatmap_marks_exactly_the_significant_cells(demo_association):
    cells = demo_association.cells[demo_association.cells["grouping"] == "life_group"]
    ax = residual_heatmap(cells)
    marks = [t.get_text() for t in ax.texts]
    assert len(marks) == cells["significant"].sum()
    assert significance_mark(0.0004) == "***" and significance_mark(0.03) == "*" and significance_mark(0.2) == ""
    ax.figure.clf()


@pytest.mark.slow
def test_training_notebook_runs_on_the_tiny_bank(tiny_bank, tmp_path):
    from pathlib import Path

    import nbformat
    import papermill

    source = Path(__file__).resolve().parents[2] / "notebooks" / "training" / "04_segment_product.ipynb"
    nb = nbformat.read(source, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and "**For**" in nb.cells[0].source
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored with outputs"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    out = tmp_path / "04_out.ipynb"
    papermill.execute_notebook(
        str(source),
        str(out),
        parameters={"data_dir": str(tiny_bank)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    done = nbformat.read(out, as_version=4)
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
