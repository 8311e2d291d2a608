"""./make.sh docs: the API reference is built from the numpydoc docstrings, one page per module."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_the_api_reference_has_a_page_per_module_with_the_docstrings_sections(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pdoc", "--docformat", "numpy", "--no-show-source", "-o", str(tmp_path), "crmstudy"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Warn" not in done.stderr, done.stderr
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    for page in (
        "crmstudy/bank.html",
        "crmstudy/params.html",
        "crmstudy/footprint.html",
        "crmstudy/reports/sections.html",
        "crmstudy/reports/pipeline.html",
        "crmstudy/errors.html",
    ):
        assert page in pages, sorted(pages)[:10]
    html = (tmp_path / "crmstudy" / "params.html").read_text(encoding="utf-8")
    assert "Parameters" in html and "Returns" in html and "Raises" in html
