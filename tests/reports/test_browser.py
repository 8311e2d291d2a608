"""The published reports, opened in a real browser (headless Chromium via Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmstudy.reports.browser import check_pages
from crmstudy.reports.pipeline import run_reports

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(tiny_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    summary = run_reports(
        tiny_bank,
        out,
        branches="B001,B002",
        workers=2,
        engine="builtin",
        progress=False,
        params_file=ROOT / "params" / "defaults.yaml",
    )
    assert not summary.failed, summary.table()
    return out / "latest"


def test_index_and_a_branch_report_open_cleanly_in_chromium(published):
    checks = check_pages(published, pages=["B001.html"])
    assert [c.url for c in checks] == ["index.html", "B001.html"]
    for c in checks:
        assert c.problems(1280) == [], f"{c.url}: {c.problems(1280)}"
        assert Path(c.screenshot).stat().st_size > 10_000, "a screenshot is saved beside the reports"
    assert Path(checks[0].screenshot).parent == published / "screenshots"


def test_the_check_catches_a_broken_image_a_dead_link_and_overflow(published, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "index.html").write_text(
        '<!DOCTYPE html><html><body><a href="missing.html">gone</a> <a href="page.html">page</a></body></html>'
    )
    (bad / "page.html").write_text(
        '<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA" alt="bad">'
        '<div style="width:2000px">wide</div><a href="#nowhere">x</a></body></html>'
    )
    index, page = check_pages(bad)
    assert index.dead_links == ["missing.html"]
    assert page.broken_images == ["bad"]
    assert page.content_width > 1280
    assert page.dead_links == ["#nowhere"]
