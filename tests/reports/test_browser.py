"""The published reports, opened in a real browser (headless Chromium via Playwright) as their readers open them.

A branch president at a 1366×768 desk screen and on a 390×844 phone, in English (B002) and
Chinese (B001), and the index: the action box is on the first screen, no table cell is cut
off or scrolled out of view at 1366 px, no chart text is under 9 px, no console error; every
screenshot is kept under the test's tmp dir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crmstudy.reports.browser import MIN_FIGURE_TEXT_PX, check_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]
DESK, PHONE = (1366, 768), (390, 844)
REPORTS = ["B001.html", "B002.html"]  # Chinese, English


@pytest.fixture(scope="module", params=[DESK, PHONE], ids=["desk-1366", "phone-390"])
def seen(request, published, tmp_path_factory):
    width, height = request.param
    shots = tmp_path_factory.mktemp(f"screenshots-{width}")
    checks = check_pages(published, pages=REPORTS, width=width, height=height, screenshots_dir=shots)
    return (width, height), {c.url: c for c in checks}, shots


def test_every_page_opens_without_a_console_error_a_broken_image_or_a_dead_link(seen):
    _, checks, _ = seen
    assert list(checks) == ["index.html", *REPORTS]
    for c in checks.values():
        assert not c.console_errors and not c.broken_images and not c.dead_links, c.problems()


def test_the_action_box_is_on_the_first_screen_of_each_report(seen):
    (_, height), checks, _ = seen
    for name in REPORTS:
        bottom = checks[name].action_box_bottom
        assert bottom is not None, f"{name}: no action box"
        assert bottom <= height, (
            f"{name}: the action box's first item ends at {bottom:.0f} px, below the {height} px screen"
        )


def test_no_table_cell_is_cut_off_or_scrolled_out_of_view_and_nothing_is_wider_than_the_window(seen):
    (width, _), checks, _ = seen
    for c in checks.values():
        assert c.clipped_cells == [], f"{c.url} at {width} px: {c.clipped_cells[:5]}"
        assert c.content_width <= width, f"{c.url}: {c.content_width} px wide at {width} px"


def test_chart_text_is_never_smaller_than_nine_pixels(seen):
    (width, _), checks, _ = seen
    for name in REPORTS:
        sizes = checks[name].figure_text_px
        assert sizes, f"{name}: no figure says how small its text is"
        small = {alt: round(px, 1) for alt, px in sizes.items() if px < MIN_FIGURE_TEXT_PX}
        assert not small, f"{name} at {width} px: {small}"


def test_a_screenshot_of_every_page_is_kept(seen):
    _, checks, shots = seen
    for c in checks.values():
        assert Path(c.screenshot).parent == shots and Path(c.screenshot).stat().st_size > 10_000


def test_the_check_catches_a_broken_image_a_dead_link_overflow_and_a_hidden_column(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "index.html").write_text(
        '<!DOCTYPE html><html><body><a href="missing.html">gone</a> <a href="page.html">page</a></body></html>'
    )
    (bad / "page.html").write_text(
        '<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA" alt="bad">'
        '<div style="width:2000px">wide</div><a href="#nowhere">x</a>'
        '<div class="table-wrap" style="width:300px;overflow-x:auto"><table><tr>'
        '<td style="min-width:400px">first</td><td>hidden</td></tr></table></div></body></html>'
    )
    index, page = check_pages(bad, width=1280)
    assert index.dead_links == ["missing.html"]
    assert page.broken_images == ["bad"]
    assert page.content_width > 1280
    assert page.dead_links == ["#nowhere"]
    assert "hidden" in page.clipped_cells
