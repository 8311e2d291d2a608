"""Specification of the index page: relative links, escaping, self-contained."""

from __future__ import annotations

from crmstudy.reports.pipeline import render_index


def test_index_links_each_branch_relatively_and_escapes_values(tmp_path):
    reports = tmp_path / "reports"
    entries = [
        {
            "branch": "B001",
            "name": "Nanjing <Road>",
            "customers": 12840,
            "href": reports / "B001.html",
            "pdf": reports / "B001.pdf",
        },
        {"branch": "B002", "name": 'Quote " & amp', "customers": None, "href": "B002 east.html"},
    ]
    out = render_index(
        entries,
        reports / "index.html",
        title="Branches & reports",
        columns=[("branch", "Branch"), ("name", "Name"), ("customers", "Customers")],
        footer_html="<p>2 of 2 rendered</p>",
    )
    html = out.read_text(encoding="utf-8")
    assert '<a href="B001.html">B001</a>' in html and '<a href="B001.pdf">PDF</a>' in html
    assert '<a href="B002%20east.html">B002</a>' in html
    assert "Nanjing &lt;Road&gt;" in html and "Quote &quot; &amp; amp" in html
    assert "<title>Branches &amp; reports</title>" in html
    assert '<td class="num">12,840</td>' in html and "<td>–</td>" in html
    assert "<p>2 of 2 rendered</p>" in html
    assert str(tmp_path) not in html


def test_index_is_self_contained(tmp_path):
    out = render_index(
        [{"branch": "B001", "href": "B001.html"}],
        tmp_path / "index.html",
        title="Index",
        columns=[("branch", "Branch")],
        lang="zh",
    )
    html = out.read_text(encoding="utf-8")
    assert "<link" not in html and "src=" not in html and ".table-wrap" in html
    assert '<html lang="zh">' in html
