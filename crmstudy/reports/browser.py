"""Open published reports in headless Chromium and check what a reader would see.

Fails on any console error, broken image, dead link between the index and the
reports, or content wider than the window (1280 px by default), and saves a
screenshot of every page it opens.  Drives Debian's ``chromium`` through
Playwright (``executable_path``); Playwright's own browser download is not
needed and does not work offline.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import CrmStudyError

#: The smallest chart text a reader should have to read, in CSS pixels.
MIN_FIGURE_TEXT_PX = 9.0
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# flags that keep Chromium quiet on a machine with a closed network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PageCheck:
    """What the browser saw on one page."""

    url: str
    screenshot: str
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    dead_links: list[str] = field(default_factory=list)
    content_width: int = 0
    #: Table cells cut off or scrolled out of view (their text, shortened).
    clipped_cells: list[str] = field(default_factory=list)
    #: Figure alt text -> the size in CSS px its smallest text is shown at.
    figure_text_px: dict[str, float] = field(default_factory=dict)
    #: Where the action box's first item ends, in px from the top of the page (None: no box).
    action_box_bottom: float | None = None
    viewport: tuple[int, int] = (0, 0)

    def problems(self, width: int | None = None) -> list[str]:
        """What a reader would see wrong on this page at ``width`` pixels (one phrase each)."""
        width = width or self.viewport[0]
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"broken image: {i}" for i in self.broken_images]
        out += [f"dead link: {link}" for link in self.dead_links]
        if self.content_width > width:
            out.append(f"content {self.content_width} px wide, window {width} px")
        out += [f"table cell cut off or scrolled out of view: {c!r}" for c in self.clipped_cells[:5]]
        out += [
            f"figure text {px:.1f} px (< {MIN_FIGURE_TEXT_PX} px): {alt}"
            for alt, px in self.figure_text_px.items()
            if px < MIN_FIGURE_TEXT_PX
        ]
        return out


def find_chromium() -> str:
    """Path of a Chromium executable, or a one-line error saying how to install one."""
    for c in CHROMIUM_CANDIDATES:
        if Path(c).exists():
            return c
    found = shutil.which("chromium")
    if found:
        return found
    raise CrmStudyError("no Chromium found: install Debian's package with `apt-get install chromium`")


def check_pages(
    report_dir, *, pages: list[str] | None = None, width: int = 1280, height: int = 900, screenshots_dir=None
) -> list[PageCheck]:
    """Open ``index.html`` (and ``pages``, default: every report it links) and check each.

    Parameters
    ----------
    report_dir : path
        A folder with ``index.html`` and the branch reports (``reports/latest``).
    pages : list of str, optional
        File names to open besides the index; default every local page the index links.
    screenshots_dir : path, optional
        Where full-page PNGs go; default ``<report_dir>/screenshots``.
    """
    from playwright.sync_api import sync_playwright

    report_dir = Path(report_dir).resolve()
    shots = Path(screenshots_dir or report_dir / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    results: list[PageCheck] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            index = _check(page, report_dir / "index.html", shots)
            results.append(index)
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
            local = [link for link in links if not urlparse(link).scheme and not link.startswith("#")]
            for link in local:
                if not (report_dir / unquote(link)).exists():
                    index.dead_links.append(link)
            targets = (
                pages
                if pages is not None
                else [link for link in local if link.endswith(".html") and link not in index.dead_links]
            )
            for name in targets:
                results.append(_check(page, report_dir / unquote(name), shots))
        finally:
            browser.close()
    return results


def _check(page, path: Path, shots: Path) -> PageCheck:
    errors: list[str] = []
    handler = lambda msg: errors.append(msg.text) if msg.type == "error" else None  # noqa: E731
    page.on("console", handler)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri(), wait_until="load")
    layout = page.evaluate(_LAYOUT_JS)
    broken = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 60))"
    )
    anchors = page.eval_on_selector_all("a[href^='#']", "els => els.map(e => e.getAttribute('href'))")
    dead = [a for a in anchors if len(a) > 1 and page.query_selector(f"[id='{a[1:]}']") is None]
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    shot = shots / f"{path.stem}.png"
    page.screenshot(path=str(shot), full_page=True)
    page.remove_listener("console", handler)
    return PageCheck(
        url=path.name,
        screenshot=str(shot),
        console_errors=list(errors),
        broken_images=broken,
        dead_links=dead,
        content_width=int(width),
        clipped_cells=layout["clipped"],
        figure_text_px=layout["figures"],
        action_box_bottom=layout["action"],
        viewport=(page.viewport_size["width"], page.viewport_size["height"]),
    )


# Cells that stick out of their table's box or the window, or whose box scrolls sideways;
# the px size of each figure's smallest text (data-min-font-pt, from display.figure_bundle);
# the bottom of the action box's first line of content.
_LAYOUT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const clipped = [];
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    const w = wrap.getBoundingClientRect();
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    for (const c of wrap.querySelectorAll('td, th')) {
      const r = c.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const head = c.closest('thead');  // a phone's cards hide the header row on purpose
      if (head && head.getBoundingClientRect().width <= 2) continue;
      const out = r.right > Math.min(w.right, vw) + 1 || r.left < Math.max(w.left, 0) - 1;
      if (scrolls || out || c.scrollWidth > c.clientWidth + 1) clipped.push(c.textContent.trim().slice(0, 40));
    }
  }
  const figures = {};
  for (const img of document.querySelectorAll('img[data-min-font-pt]')) {
    const natural = parseFloat(img.getAttribute('width')) || img.naturalWidth;
    const shown = img.getBoundingClientRect().width;
    figures[(img.alt || img.src).slice(0, 60)] = parseFloat(img.dataset.minFontPt) * 96 / 72 * shown / natural;
  }
  const first = document.querySelector('.action-box li, .action-box .action-none');
  const action = first ? first.getBoundingClientRect().bottom + window.scrollY : null;
  return {clipped, figures, action};
}"""
