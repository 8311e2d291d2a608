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
    assert '<a href="B001.html">B001</a>' in html and '<a class="pdf" href="B001.pdf">PDF</a>' in html
    assert '<a href="B002%20east.html">B002</a>' in html
    assert "Nanjing &lt;Road&gt;" in html and "Quote &quot; &amp; amp" in html
    assert "<title>Branches &amp; reports</title>" in html
    assert '<td class="num" data-label="Customers" data-sort="12840">12,840</td>' in html
    assert '<td data-label="Customers" data-sort="–">–</td>' in html
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


def test_index_rows_sort_by_their_values_and_the_totals_row_stays_below(tmp_path):
    out = render_index(
        [{"branch": "B001", "assets": "CNY 9.9M", "_sort": {"assets": 9.9e6}}, {"branch": "B002", "assets": "CNY 10M"}],
        tmp_path / "index.html",
        title="Index",
        columns=[("branch", "Branch"), ("assets", "Assets")],
        totals={"branch": "Whole bank", "assets": "CNY 19.9M"},
    )
    html = out.read_text(encoding="utf-8")
    assert 'data-sort="9900000.0"' in html, "an amount sorts by its value, not its text"
    assert "<tfoot><tr><th" in html and "Whole bank" in html
    assert "<script>" in html and "aria-sort" in html and "http" not in html.split("<script>")[1]


def test_a_stale_branch_shows_its_last_good_date_its_reason_and_its_log(tmp_path):
    from crmstudy.reports.pipeline.index import _status

    latest = tmp_path / "latest"
    m = {
        "branch_id": "B003",
        "stale": True,
        "made_at": "2025-03-01T08:00:00Z",
        "files": [{"path": "B003.html"}],
        "last_error": "cell 3: KeyError: 'ada'",
        "last_failed_run": "20250302-0900",
    }
    text, mark = _status(m, latest, "en")
    assert text == "stale since Mar 1, 2025"
    assert 'class="mark stale"' in mark and "KeyError" in mark
    assert 'href="../runs/20250302-0900/logs/B003.log"' in mark
    failed = _status(
        {"stale": True, "files": [], "error": "boom", "log": str(tmp_path / "runs/r/logs/B004.log")}, latest, "zh"
    )
    assert 'class="mark failed"' in failed[1] and "boom" in failed[1]


def test_profit_and_cost_to_income_columns_in_the_banks_currency_and_the_total_row_pools_them(tmp_path):
    import json

    from crmstudy.reports.pipeline.index import _entry, bank_totals, index_columns

    sums = {"B001": (123_456_789, 400_000_000, 100_000_000), "B002": (-2_345_601, 50_000_000, 45_000_000)}
    for b, (c, r, k) in sums.items():
        doc = {
            "sections": {
                "earnings": {"evidence": {"contribution_cents": c, "revenue_cents": r, "operating_cost_cents": k}}
            }
        }
        (tmp_path / f"{b}.findings.json").write_text(json.dumps(doc))
    head = {"customers": 10, "total_ada": 1e6, "top20_share": 0.8, "dormant_share": 0.1, "gini": 0.5}
    m = {"files": [{"path": "x.html"}], "headline": head}
    rows = [_entry(b, m, tmp_path, "en", "EUR") for b in sums]
    assert rows[0]["profit_text"].startswith("EUR") and rows[0]["cost_to_income_pct"] == "25.0%"
    assert rows[1]["_sort"]["profit_text"] == -2_345_601  # sorted by the cents, signed
    total = bank_totals(rows, "en", "EUR")
    # summed to the cent, and the bank's ratio is its costs over its income (145 / 450), not the mean of 25 % and 90 %
    assert total["contribution_cents"] == 123_456_789 - 2_345_601
    assert total["cost_to_income_pct"] == "32.2%"
    assert total["profit_text"].startswith("EUR")
    assert {"profit_text", "cost_to_income_pct"} <= {k for k, _ in index_columns("zh")}
    # a branch report from before the earnings section has no such columns, and the total leaves them blank
    old = _entry("B003", m, tmp_path / "none", "en", "EUR")
    assert "profit_text" not in old and "profit_text" not in bank_totals([old], "en", "EUR")
