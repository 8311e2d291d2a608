"""The PDF reports on paper: no text under 7 pt on any page, and each figure's sentence on the figure's page.

Sizes come from ``pdftotext -bbox`` (poppler): a word's box is its font's full height, so
sizes are scaled by the report's body text, which is 11 pt (Typst's default).  Each font has
its own box: Latin words of the English report are scaled by its body text, words with
Chinese characters by the Chinese report's body text (set wholly in the CJK font, which the
English report falls back to for Chinese names).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from html import unescape

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.pdf]
BODY_PT = 11.0
MIN_PT = 7.0
_WORD = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')


def pages(pdf) -> list[list[tuple[float, str]]]:
    """Each page's words with their box heights."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    xml = subprocess.run([tool, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [
        [(float(y1) - float(y0), unescape(w)) for y0, y1, w in _WORD.findall(page)] for page in xml.split("<page ")[1:]
    ]


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def body_box(pdf) -> float:
    """The commonest word-box height of a PDF: its 11 pt body text."""
    return Counter(round(h, 1) for page in pages(pdf) for h, _ in page).most_common(1)[0][0]


def point_sizes(pdf, *, latin_box: float, cjk_box: float) -> list[list[tuple[float, str]]]:
    """Each page's words with their size in points, each scaled by its font's body-text box."""
    return [[(h * BODY_PT / (cjk_box if _CJK.search(w) else latin_box), w) for h, w in page] for page in pages(pdf)]


@pytest.mark.parametrize("branch", ["B001", "B002"])
def test_no_text_on_any_page_is_smaller_than_seven_points(published, branch):
    cjk_box = body_box(published / "B001.pdf")  # the Chinese report: every glyph in the CJK font
    latin_box = body_box(published / f"{branch}.pdf")
    for number, page in enumerate(point_sizes(published / f"{branch}.pdf", latin_box=latin_box, cjk_box=cjk_box), 1):
        small = sorted({w for size, w in page if size < MIN_PT - 0.05})
        assert not small, f"{branch}.pdf page {number}: text under {MIN_PT} pt: {small[:8]}"


@pytest.mark.parametrize("branch", ["B001", "B002"])
def test_each_figure_and_the_sentence_under_it_share_a_page(published, branch):
    html = (published / f"{branch}.html").read_text(encoding="utf-8")
    readings = []  # for each figure, in order: the reading right under it, or None
    for chunk in html.split("<img ")[1:]:
        after = re.sub(r"^[^>]*>\s*(</p>|<figcaption>.*?</figcaption>\s*</figure>)?\s*", "", chunk, flags=re.S)
        quote = re.match(r"<blockquote>\s*<p>(.*?)</p>", after, flags=re.S)
        readings.append(unescape(re.sub(r"<[^>]+>", "", quote.group(1))) if quote else None)
    image_pages = _image_pages(published / f"{branch}.pdf")
    assert len(image_pages) == len(readings), "one image per figure, in order"
    text = [" ".join(w for _, w in page) for page in pages(published / f"{branch}.pdf")]
    checked = 0
    for k, reading in enumerate(readings):
        if not reading:
            continue
        opening = " ".join(reading.split()[:3])[:24]
        where = [n for n, t in enumerate(text, 1) if opening in t or opening.replace(" ", "") in t.replace(" ", "")]
        assert where, f"{branch}: the reading {opening!r} is not in the PDF"
        assert image_pages[k] in where, f"{branch}: figure {k + 1} is on page {image_pages[k]}, its reading on {where}"
        checked += 1
    assert checked, f"{branch}: no figure is followed by its reading"


def _image_pages(pdf) -> list[int]:
    """The page of each image, in order (pdfimages -list)."""
    tool = shutil.which("pdfimages")
    if tool is None:
        pytest.skip("pdfimages (poppler-utils) is not installed")
    listing = subprocess.run([tool, "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.split()]
    return [int(r[0]) for r in rows if r[2] == "image"]  # not the soft masks of transparent images
