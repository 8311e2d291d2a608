"""The reader-facing text of a rendered report, one line per block (for before/after comparisons)."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "li", "tr", "caption", "figcaption", "div", "title", "table", "dt", "dd"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._cur: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag in _BLOCKS:
            self.flush()
        if tag in ("td", "th") and self._cur:
            self._cur.append(" | ")
        if tag == "img" and dict(attrs).get("alt"):
            self.flush()
            self.lines.append(f"[figure: {dict(attrs)['alt']}]")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in _BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self._skip:
            self._cur.append(data)

    def flush(self) -> None:
        text = " ".join("".join(self._cur).split())
        if text:
            self.lines.append(text)
        self._cur = []


def report_text(html: str, *, stop_at: str) -> str:
    """Text of every block of ``html`` up to the last block that reads ``stop_at`` (the provenance heading)."""
    parser = _Text()
    parser.feed(html)
    parser.flush()
    lines = parser.lines
    cut = [i for i, line in enumerate(lines) if line == stop_at]
    return "\n".join(lines[: cut[-1]] if cut else lines) + "\n"
