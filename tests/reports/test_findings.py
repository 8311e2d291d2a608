"""Each branch writes what its sections found, machine-readable, beside its report."""

from __future__ import annotations

import json
import re

import pytest

from crmstudy.reports import context, findings, sections
from crmstudy.reports.pipeline import verify


@pytest.fixture(scope="module")
def built(tiny_bank):
    ctx = context.load_context(tiny_bank, "B001", {"bootstrap": {"n_boot": 50}})
    return ctx, {s.key: s.summary for s in sections.build_all(ctx)}


def test_every_section_but_provenance_has_a_status_a_total_a_listed_count_and_evidence(built):
    ctx, summaries = built
    doc = findings.findings(ctx, summaries)
    assert list(doc["sections"]) == [n for n in sections.names() if n != "provenance"]
    for name, entry in doc["sections"].items():
        assert entry["status"] in findings.STATUSES, name
        assert set(entry) == {"status", "total", "listed", "evidence"}
    assert doc["findings"] == sum(e["status"] == "finding" for e in doc["sections"].values())
    assert doc["branch_id"] == "B001" and doc["data_fingerprint"] == ctx.fingerprint
    json.dumps(doc, allow_nan=False)  # plain JSON: no NaN, no numpy types


def test_an_unknown_status_is_refused(built):
    ctx, summaries = built
    with pytest.raises(ValueError, match="section status must be one of finding, no_finding, not_applicable"):
        findings.findings(ctx, {**summaries, "tiers": {"status": "maybe"}})


@pytest.mark.slow
def test_a_report_run_publishes_findings_beside_the_report_listed_in_the_manifest(b002_run):
    _, out, summary = b002_run  # B002 alone, run once for the whole test run (tests/reports/conftest.py)
    assert [r.status for r in summary.results] == ["ok"], summary.table()
    latest = out / "latest"
    path = latest / "B002.findings.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["branch_id"] == "B002" and set(doc["sections"]) >= {"prospects", "association", "upgrades"}
    assert not re.search(r"C\d{7}", path.read_text(encoding="utf-8")), "no customer in the findings"
    manifest = json.loads((latest / "manifest.json").read_text())
    listed = [f["path"] for f in manifest["branches"]["B002"]["files"]]
    assert "B002.findings.json" in listed and "B002.html" in listed
    assert all(state == "ok" for _, state in verify(latest))
    assert summary.results[0].headline["findings"] == doc["findings"]
    assert ">Findings<" in (latest / "index.html").read_text(encoding="utf-8")


def test_a_section_listing_in_parts_reports_the_sum_and_keeps_the_parts():
    entry = findings._section({"status": "finding", "total": 12, "listed": {"value": 10, "risk": 2}})
    assert entry["listed"] == 12 and entry["evidence"]["listed_by_part"] == {"value": 10, "risk": 2}


def test_the_prospects_section_reports_its_own_status(built):
    _, summaries = built
    p = summaries["prospects"]
    assert p["status"] == ("finding" if "finding" in (p["value_status"], p["risk_status"]) else "no_finding")
    assert p["total"] == p["listed"]["value"] + p["risk_total"]
