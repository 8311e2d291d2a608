"""The association as readers see it: the residual heat map, the report section, the training notebook."""

from __future__ import annotations

import re

import pytest

from crmstudy import association as A
from crmstudy.plots import residual_heatmap, significance_mark


def publish_capture(monkeypatch) -> list[dict]:
    from crmstudy.reports import display

    shown: list[dict] = []
    monkeypatch.setattr(display, "_publish", lambda data, metadata=None: shown.append(data))
    return shown


def test_heatmap_marks_exactly_the_significant_cells(demo_association):
    cells = demo_association.cells[demo_association.cells["grouping"] == "life_group"]
    ax = residual_heatmap(cells)
    marks = [t.get_text() for t in ax.texts]
    assert len(marks) == cells["significant"].sum()
    assert significance_mark(0.0004) == "***" and significance_mark(0.03) == "*" and significance_mark(0.2) == ""
    ax.figure.clf()


def test_report_section_shows_heatmap_reading_and_a_masked_cross_sell_list(tiny_bank, monkeypatch):
    from crmstudy.reports.branch import load_context
    from crmstudy.reports.section_association import section_association

    shown = publish_capture(monkeypatch)
    ctx = load_context(tiny_bank, "B001")
    out = section_association(ctx, tiny_bank, top_n=10)
    kinds = [next(iter(b)) for b in shown]
    assert "image/png" in kinds
    readings = [b["text/markdown"] for b in shown if b.get("text/markdown", "").startswith(">")]
    assert len(readings) == 2 and "cells differ" in readings[0]
    assert len(out.cross_sell) == 10 and out.cross_sell["Customer"].str.fullmatch(r"C\*\*\*\d{4}").all()
    text = " ".join(b.get("text/markdown", "") + b.get("text/html", "") for b in shown)
    full_ids = set(re.findall(r"C\d{7}", text))
    assert not full_ids, f"unmasked customer ids in the report: {sorted(full_ids)[:3]}"
    assert set(out.association.cells["customers"].groupby(out.association.cells["product_id"]).sum()) == {
        int(ctx.features["customer_id"].isin(A.read_holding_matrix(tiny_bank, branch="B001").index).sum())}


@pytest.mark.slow
def test_training_notebook_runs_on_the_tiny_bank(tiny_bank, tmp_path):
    import papermill
    import nbformat
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "notebooks" / "training" / "04_segment_product.ipynb"
    nb = nbformat.read(source, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown" and "**For**" in nb.cells[0].source
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "stored with outputs"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    out = tmp_path / "04_out.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"data_dir": str(tiny_bank)},
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    done = nbformat.read(out, as_version=4)
    errors = [o for c in done.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
