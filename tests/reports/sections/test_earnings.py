"""What the branch earns: additive to the cent, null-bank clean, amounts in the bank's currency."""

from __future__ import annotations

import pytest

import crmstudy.profit as pf
from crmstudy.reports.context import load_context
from crmstudy.reports.sections import earnings


@pytest.fixture(scope="module")
def built(tiny_bank, tiny_null_bank):
    out = {}
    for name, bank in (("tiny", tiny_bank), ("null", tiny_null_bank)):
        ctx = load_context(bank, "B001")
        out[name] = ctx, earnings.build(ctx)
    return out


def test_the_branch_total_is_the_sum_of_its_customers_and_of_its_products(built):
    ctx, s = built["tiny"]
    lines = s.data["lines"]
    assert set(lines["branch_id"].astype(str)) == {"B001"}
    assert s.summary["contribution_cents"] == int(lines["contribution"].sum())
    pf.check_additive(lines, pf.rollups(lines, ["customer", "product", "tier", "rm"]))


def test_the_planted_campaign_uplift_is_reported_and_the_null_bank_reports_none(built):
    _, s = built["tiny"]
    _, null = built["null"]
    assert null.summary["status"] == "no_finding" and null.summary["campaigns_found"] == 0
    assert not any("keep contacting" in t for t in null.sentences)
    assert s.summary["status"] in ("finding", "no_finding")
    found = [t for t in s.sentences if "keep contacting" in t]
    assert len(found) == s.summary["campaigns_found"]


def test_the_losers_list_is_masked_and_gives_the_true_total(built):
    ctx, s = built["tiny"]
    table = next(t for t in s.tables if "What to do" in t.columns)
    assert table["Customer"].str.contains(r"\*").all()
    assert s.summary["listed"] == len(table) == min(s.summary["total"], ctx.params.profit.top_n)
    assert any(f"{s.summary['total']:,} customers lose money" in t for t in s.sentences)


def test_amounts_are_written_in_the_bank_currency_in_both_languages(tiny_bank):
    s = earnings.build(load_context(tiny_bank, "B002", {"language": "zh"}))
    assert "元" in s.sentences[0] and "CNY" not in " ".join(s.sentences)
    assert s.title == "网点创利"
