"""End to end on the tiny bank: execute the branch notebook, render, index, privacy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from crmstudy.errors import EXIT_SOME_FAILED
from crmstudy.privacy import mask_id
from crmstudy.reports.context import headline, load_context
from crmstudy.reports.pipeline import DEFAULT_NOTEBOOK, run_reports

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def one_branch_run(b002_run):
    """B002 alone, run once for the whole test run (``tests/reports/conftest.py``); read, never changed."""
    return b002_run


def test_one_branch_renders_a_self_contained_report_and_an_index(one_branch_run):
    _, out, summary = one_branch_run
    assert [r.status for r in summary.results] == ["ok"], summary.table()
    html = (out / "latest" / "B002.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert (out / "runs" / "test" / "B002.html").read_text() == html
    assert 'src="data:image/png;base64,' in html
    assert not re.search(r'(src|href)="https?://', html), "no external resources"
    index = (out / "latest" / "index.html").read_text()
    assert 'href="B002.html"' in index


def test_the_report_holds_the_branch_headline_figures(one_branch_run):
    bank, out, summary = one_branch_run
    h = headline(load_context(bank, "B002", {}))
    html = (out / "latest" / "B002.html").read_text()
    assert f"{h['customers']:,}" in html
    assert f"{h['gini']:.3f}" in html
    assert f"{h['top20_share']:.1%}" in html
    assert summary.results[0].headline["customers"] == h["customers"]


def test_the_report_holds_no_customer_id_in_clear_and_none_of_another_branch(one_branch_run):
    bank, out, _ = one_branch_run
    html = (out / "latest" / "B002.html").read_text()
    customers = pd.read_parquet(bank / "customers.parquet")
    assert not re.search(r"C\d{7}", html), "full customer ids never appear"
    ours = customers[customers["branch_id"] == "B002"]
    others = customers[customers["branch_id"] != "B002"]
    shown = set(re.findall(r"C\*\*\*\d{4}", html))
    assert shown, "upgrade candidates are listed with masked ids"
    assert shown <= set(ours["customer_id"].map(mask_id))
    # masked ids of other branches can collide by chance only if also ours
    assert not (shown & (set(others["customer_id"].map(mask_id)) - set(ours["customer_id"].map(mask_id))))
    assert not any(name in html for name in customers["masked_name"].head(200)), "names are masked again"


def test_the_report_states_how_it_was_made(one_branch_run):
    bank, out, _ = one_branch_run
    html = (out / "latest" / "B002.html").read_text()
    meta = json.loads((bank / "bank.json").read_text())
    from crmstudy import __version__
    from crmstudy.schema import data_fingerprint, find_bank

    assert __version__ in html
    assert data_fingerprint(find_bank(bank)) in html
    assert "builtin" in html and "tiers.key" in html
    assert str(meta["seed"]) in html


def test_a_failing_branch_leaves_the_others_published_and_exits_non_zero(tiny_bank, tmp_path, capsys):
    import nbformat

    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("if branch_id == 'B001':\n    raise RuntimeError('planted failure')"))
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    summary = run_reports(
        tiny_bank,
        tmp_path / "out",
        branches="B001,B003",
        workers=2,
        engine="builtin",
        notebook=broken,
        run_id="r1",
        progress=False,
    )
    status = {r.branch_id: r for r in summary.results}
    assert status["B001"].status == "failed"
    assert "RuntimeError" in status["B001"].error and "planted failure" in status["B001"].error
    assert "\n" not in status["B001"].error
    assert status["B003"].status == "ok"
    assert (tmp_path / "out" / "latest" / "B003.html").exists()
    assert not (tmp_path / "out" / "latest" / "B001.html").exists()
    assert "failed" in (tmp_path / "out" / "latest" / "index.html").read_text()
    assert Path(status["B001"].executed_notebook).exists(), "a failure keeps its executed notebook"
    from crmstudy.cli import main

    code = main(
        [
            "report",
            "--data",
            str(tiny_bank),
            "--out",
            str(tmp_path / "out2"),
            "--branches",
            "B001",
            "--no-progress",
            "--engine",
            "builtin",
            "--notebook",
            str(broken),
            "--workers",
            "1",
        ]
    )
    assert code == EXIT_SOME_FAILED
    assert "cell" in capsys.readouterr().out


def test_no_temporary_files_are_left_where_readers_look(one_branch_run):
    _, out, _ = one_branch_run
    for folder in (out / "latest", out / "runs" / "test"):
        leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
        assert leftovers == []


@pytest.mark.pdf
def test_the_pdf_holds_the_headline_figures_page_numbers_and_a_running_header(published):
    import subprocess

    pdf = published / "B002.pdf"  # the session's published run: B002 in English, HTML and PDF
    assert pdf.read_bytes()[:4] == b"%PDF"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 3
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    h = json.loads((published / "manifest.json").read_text())["branches"]["B002"]["headline"]
    assert f"{h['customers']:,}" in text and f"{h['gini']:.3f}" in text and f"{h['top20_share']:.1%}" in text
    page2 = text.split("\f")[1]
    assert "B002" in page2.splitlines()[0], "running header: branch and period from page 2 on"
    assert "2\n" in page2 or page2.rstrip().endswith("2"), "page number"


def test_features_are_computed_once_per_run_and_not_left_behind(one_branch_run):
    _, out, summary = one_branch_run
    log = Path(summary.results[0].executed_notebook)
    import nbformat

    nb = nbformat.read(log, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "features_path" in injected.source, "the branch read the run's shared features"
    assert "footprint_" in injected.source and "B002.pkl" in injected.source, "and its own slice of the scores"
    work = out / "runs" / "test" / "_work"
    assert not list(work.glob("features_*.parquet")), "unmasked features removed"
    assert not list(work.glob("footprint_*")), "unmasked scores removed"


def test_the_next_report_reads_the_last_published_one_and_the_run_ranks_every_branch(one_branch_run, tmp_path):
    import shutil

    bank, out, _ = one_branch_run
    copy = tmp_path / "reports"
    shutil.copytree(out, copy, symlinks=True)  # latest/ is a link into snapshots/: kept as one
    first = json.loads((copy / "latest" / "B002.findings.json").read_text())["sections"]["trend"]["evidence"]
    made = json.loads((copy / "latest" / "manifest.json").read_text())["branches"]["B002"]["made_at"]
    assert first["previous_report"] is None  # the first run had nothing before it
    html = (copy / "latest" / "B002.html").read_text()
    assert "first report" in html
    ctx = load_context(bank, "B002", {})
    assert first["ranks"] == ctx.ranks  # the shared step's ranks are the branch's own reading of the bank
    again = run_reports(
        bank,
        copy,
        branches="B002",
        workers=1,
        engine="builtin",
        run_id="again",
        force=True,
        params_file=ROOT / "params" / "defaults.yaml",
        progress=False,
    )
    assert [r.status for r in again.results] == ["ok"], again.table()
    second = json.loads((copy / "latest" / "B002.findings.json").read_text())["sections"]["trend"]["evidence"]
    assert second["previous_report"] == made
    assert second["changes"] == {"total_ada": 0.0, "customers": 0, "dormant_share": 0.0}  # same bank, same figures
    html = (copy / "latest" / "B002.html").read_text()
    assert "the headline figures have not changed" in html and "first report" not in html
