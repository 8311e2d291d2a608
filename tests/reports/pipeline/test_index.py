"""Specification of the index page: relative links, escaping, self-contained."""

from __future__ import annotations

import pytest

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


def _trend_doc(*, total_ada=1.1e6, rank=2, of=3, previous="2025-03-01T08:00:00Z", change=1e5):
    return {
        "sections": {
            "headline": {"evidence": {"total_ada": total_ada}},
            "trend": {
                "evidence": {
                    "ranks": {"of": of, "total_ada": rank, "customers": 1, "dormant_share": 3},
                    "previous_report": previous,
                    "changes": None
                    if previous is None
                    else {"total_ada": change, "customers": 5, "dormant_share": 0.0},
                }
            },
        }
    }


def test_rank_and_change_since_the_last_report_come_from_the_branchs_trend_section(tmp_path):
    import json

    from crmstudy.reports.pipeline.index import _entry, bank_totals, index_columns

    head = {"customers": 10, "total_ada": 1.1e6, "top20_share": 0.8, "dormant_share": 0.1, "gini": 0.5}
    m = {"files": [{"path": "x.html"}], "headline": head}
    docs = {
        "B001": _trend_doc(),  # 1.0M then, 1.1M now: up 10 %
        "B002": _trend_doc(rank=3, change=-3.3e5),  # 1.43M then: down 23.1 %
        "B003": _trend_doc(rank=1, previous=None),  # nothing before
    }
    for b, doc in docs.items():
        (tmp_path / f"{b}.findings.json").write_text(json.dumps(doc))
    rows = {b: _entry(b, m, tmp_path, "en") for b in docs}
    assert rows["B001"]["rank_text"] == "2/3" and rows["B001"]["_sort"]["rank_text"] == 2
    assert rows["B001"]["change_text"] == "▲ 10.0%" and abs(rows["B001"]["_sort"]["change_text"] - 0.1) < 1e-12
    assert "up CNY 100k since the report of Mar 1, 2025" in rows["B001"]["change_text_html"]
    assert rows["B002"]["change_text"] == "▼ 23.1%" and 'class="change down"' in rows["B002"]["change_text_html"]
    assert rows["B003"]["change_text"] == "first report" and "change_text" not in rows["B003"]["_sort"]
    assert rows["B001"]["_sort"]["ada_text"] == 1.1e6, "the headline's sort keys are kept"
    zh = _entry("B002", m, tmp_path, "zh")
    assert zh["rank_text"] == "3/3" and "减少" in zh["change_text_html"]
    assert _entry("B003", m, tmp_path, "zh")["change_text"] == "首份报告"
    keys = [k for k, _ in index_columns("zh")]
    assert keys.index("rank_text") == keys.index("ada_text") + 1 and "change_text" in keys
    total = bank_totals(list(rows.values()), "en")
    assert "rank_text" not in total and "change_text" not in total  # ranks and changes of branches do not add up
    # a report from before the trend section: neither column; a bank of one branch: no rank
    (tmp_path / "B004.findings.json").write_text(json.dumps({"sections": {}}))
    (tmp_path / "B005.findings.json").write_text(json.dumps(_trend_doc(rank=1, of=1, previous=None)))
    assert "rank_text" not in _entry("B004", m, tmp_path, "en") and "change_text" not in _entry(
        "B004", m, tmp_path, "en"
    )
    assert "rank_text" not in _entry("B005", m, tmp_path, "en")


def _index_cells(index) -> dict[str, dict[str, tuple[str, str]]]:
    """Branch id -> column label -> (the cell's text, its sort key), from the published index's body rows."""
    import re
    from html import unescape

    page = index.read_text(encoding="utf-8")
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r'<td[^>]* data-label="([^"]*)" data-sort="([^"]*)">(.*?)</td>', row, flags=re.S)
        got = {
            unescape(label): (unescape(re.sub(r"<[^>]+>", "", text)).strip(), unescape(key))
            for label, key, text in cells
        }
        rows[got[next(iter(got))][0].split()[0]] = got
    return rows


@pytest.mark.slow
def test_the_index_ranks_each_branch_as_the_data_does_and_shows_its_change_since_the_last_run(published, tiny_bank):
    """Two runs on the tiny bank (the first to Sep 30, the second the whole year): the published index
    shows each branch's rank by assets among all the bank's branches, as computed here from the
    customers, and its change since the first run's report."""
    import json

    from crmstudy import i18n
    from crmstudy.bank import Bank
    from crmstudy.features import customer_features
    from crmstudy.reports.context import open_in_period

    bank = Bank.open(tiny_bank)
    f = customer_features(bank, bank.period)
    f = f[open_in_period(f, bank.period)]
    assets = f["ada"].clip(lower=0).groupby(f["branch_id"]).sum()  # every branch, not only the two rendered
    rank = {b: int((assets > assets[b]).sum() + 1) for b in assets.index}
    before = json.loads((published.parent / "runs" / "before" / "manifest.json").read_text())["branches"]
    now = json.loads((published / "manifest.json").read_text())["branches"]
    rows = _index_cells(published / "index.html")
    assert set(rows) == {"B001", "B002"}
    rank_label, change_label = i18n.t("index.rank", "en"), i18n.t("index.change", "en")  # the index is in English
    for b, cells in rows.items():
        assert cells[rank_label] == (f"{rank[b]}/{len(assets)}", str(rank[b])), b
        was, is_ = before[b]["headline"]["total_ada"], now[b]["headline"]["total_ada"]
        assert abs(is_ - assets[b]) <= 1e-6 * assets[b]  # the report's own headline is the data's
        share = (is_ - was) / was
        mark = "▲" if share > 0 else "▼"
        assert cells[change_label][0] == f"{mark} {i18n.percent(abs(share), 'en')}", b
        assert abs(float(cells[change_label][1]) - share) < 1e-9, b
    first = _index_cells(published.parent / "runs" / "before" / "index.html")
    assert {cells[change_label][0] for cells in first.values()} == {"first report"}
