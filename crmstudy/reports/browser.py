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

    def problems(self, width: int) -> list[str]:
        """What a reader would see wrong on this page at ``width`` pixels (one phrase each)."""
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"broken image: {i}" for i in self.broken_images]
        out += [f"dead link: {link}" for link in self.dead_links]
        if self.content_width > width:
            out.append(f"content {self.content_width} px wide, window {width} px")
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
    )
