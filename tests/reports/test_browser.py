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


def test_clicking_a_header_sorts_the_branches_by_it_and_again_reverses_them(published):
    """The rank and change columns sort like the others: by their numbers, the totals row staying last."""
    from playwright.sync_api import sync_playwright

    from crmstudy import i18n
    from crmstudy.reports.browser import CHROMIUM_ARGS, find_chromium

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": DESK[0], "height": DESK[1]})
        page.goto((published / "index.html").resolve().as_uri())
        for key in ("index.rank", "index.change"):
            label = i18n.t(key, "en")
            header = page.locator("thead th", has_text=label)
            cells = page.locator(f'tbody td[data-label="{label}"]')
            orders = []
            for _ in range(2):
                header.locator("button").click()
                orders.append([float(k) for k in cells.evaluate_all("cs => cs.map(c => c.dataset.sort)")])
            assert orders[0] == sorted(orders[0], reverse=True) and orders[1] == sorted(orders[1]), (label, orders)
            assert len(set(orders[0])) == len(orders[0]), f"{label}: the branches differ, so the order is tested"
        assert page.locator("tfoot tr").count() == 1
        browser.close()


def test_a_cell_without_a_number_sorts_below_the_numbers_either_way(tmp_path):
    from playwright.sync_api import sync_playwright

    from crmstudy.reports.browser import CHROMIUM_ARGS, find_chromium
    from crmstudy.reports.pipeline import render_index

    rows = [("B001", "first report", None), ("B002", "▲ 1.0%", 0.01), ("B003", "▼ 2.0%", -0.02), ("B004", "–", None)]
    out = render_index(
        [{"branch": b, "change": text, "_sort": {} if key is None else {"change": key}} for b, text, key in rows],
        tmp_path / "index.html",
        title="Index",
        columns=[("branch", "Branch"), ("change", "Change")],
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(out.resolve().as_uri())
        orders = []
        for _ in range(2):
            page.locator("thead th button", has_text="Change").click()
            orders.append(page.locator('tbody td[data-label="Branch"]').all_inner_texts())
        browser.close()
    assert orders[0][:2] == ["B002", "B003"] and orders[1][:2] == ["B003", "B002"]
    assert set(orders[0][2:]) == set(orders[1][2:]) == {"B001", "B004"}, "texts below the numbers both ways"
