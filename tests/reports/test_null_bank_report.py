"""On the null bank nothing is planted: no report may tell staff to act on a footprint, association or cross-sell.

Ownership and workload sentences may still ask for reassignments: those follow from the
bank's own records (an owner who left), not from a statistical finding.
"""

from __future__ import annotations

import json

import pytest

from crmstudy import i18n
from crmstudy.reports.pipeline import run_reports

from .report_text import report_text

pytestmark = pytest.mark.slow
#: What a report says only when a footprint, association or cross-sell finding passed its test.
ACTIONS = (
    "Footprints, not declarations, put these",  # value prospects to call
    "within 48 hours",  # every listed prospect or risk flag carries it
    "give each owner their list",  # cross-sell beats popularity (and, before issue 13, upgrade lists)
    "more concentrated than",  # branch vs the rest of the bank
    "less concentrated than",
)
#: Sections whose "finding" would be noise on the null bank.
GATED = ("prospects", "association", "concentration")


@pytest.fixture(scope="module")
def null_run(tiny_null_bank, tmp_path_factory):
    out = tmp_path_factory.mktemp("null_reports")
    summary = run_reports(tiny_null_bank, out, workers=1, engine="builtin", run_id="null", progress=False)
    assert all(r.status == "ok" for r in summary.results), summary.table()
    return out / "latest", [r.branch_id for r in summary.results]


def test_no_null_bank_report_tells_staff_to_act_on_noise(null_run):
    latest, branches = null_run
    for b in branches:
        text = report_text((latest / f"{b}.html").read_text(encoding="utf-8"), stop_at=i18n.t("provenance.heading"))
        said = [a for a in ACTIONS if a in text]
        assert not said, f"{b}: {said}"


def test_a_null_bank_upgrade_list_is_an_operational_list_beside_its_base_rate(null_run):
    # many of a half-year's candidates cross without any list (half on the demo bank): no sentence
    # may present the list as work that moves customers, and the base rate is stated
    latest, branches = null_run
    for b in branches:
        text = report_text((latest / f"{b}.html").read_text(encoding="utf-8"), stop_at=i18n.t("provenance.heading"))
        doc = json.loads((latest / f"{b}.findings.json").read_text(encoding="utf-8"))["sections"]["upgrades"]
        if doc["total"]:
            assert "This is an operational list of who is close to a bar" in text, b
            rate = doc["evidence"].get("base_rate")
            if rate is not None:
                said = i18n.percent(rate, "en", digits=0)
                assert f"{said} (" in text and "without a list" in text, (b, rate)
                assert "nothing in this report measures what a call adds" in text, b


def test_no_null_bank_branch_reports_a_finding_in_a_gated_section(null_run):
    latest, branches = null_run
    found = {}
    for b in branches:
        doc = json.loads((latest / f"{b}.findings.json").read_text(encoding="utf-8"))
        found[b] = [s for s in GATED if doc["sections"][s]["status"] == "finding"]
    assert not any(found.values()), found
