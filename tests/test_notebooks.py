"""Committed notebooks are reviewable (no outputs) and they run."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "crmstudy" / "notebooks"  # the branch report and the curriculum, linked from notebooks/
NOTEBOOKS = sorted(
    p
    for folder in (ROOT / "notebooks", PACKAGED)
    for p in folder.rglob("*.ipynb")
    if not p.is_symlink() and ".ipynb_checkpoints" not in p.parts
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_notebook_holds_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_names_its_kernel_and_has_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


@pytest.mark.slow
def test_explore_notebook_runs_on_the_tiny_bank(tiny_bank, tmp_path):
    pm.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"),
        str(tmp_path / "explore.ipynb"),
        parameters={"data_dir": str(tiny_bank)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(ROOT / "notebooks"),
    )


TRAINING = sorted((PACKAGED / "training").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_training_notebook_runs_from_its_own_folder_with_its_default_parameters(path, tiny_bank, tmp_path, monkeypatch):
    """As a trainee opens it in JupyterLab: its folder is the working directory, no parameter is given."""
    monkeypatch.setenv("CRMSTUDY_DATA", str(tiny_bank))  # where the demo bank would be
    pm.execute_notebook(
        str(path),
        str(tmp_path / path.name),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(path.parent),
    )


def test_every_lesson_has_a_solutions_companion():
    lessons = [p for p in TRAINING if not p.stem.endswith("_solutions")]
    assert len(lessons) >= 4
    missing = [p.name for p in lessons if not (p.parent / f"{p.stem}_solutions.ipynb").exists()]
    assert not missing, f"lessons without solutions: {missing}"


@pytest.mark.slow
def test_training_renders_lessons_with_their_code_and_an_index(tiny_bank, tmp_path):
    from crmstudy.reports.training import render_training

    results = render_training(tiny_bank, tmp_path, only=["01_80_20_and_asset_tiers"])
    assert [r.status for r in results] == ["ok"], results
    html = (tmp_path / "01_80_20_and_asset_tiers.html").read_text()
    assert "assign_tiers" in html, "teaching pages keep the code"
    assert "资产分层" in html and 'src="data:image/png;base64,' in html
    course = (tmp_path / "index.html").read_text()
    assert 'href="01_80_20_and_asset_tiers.html"' in course
    assert "45 min" in course and "Trainer notes · 讲师提示" in course and "Relationship managers" in course
