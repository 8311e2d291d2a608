"""The upgrades section: candidates still below the bar at the period's end, true totals, the period's own word."""

from __future__ import annotations

import re

import pytest

from crmstudy.reports.context import load_context
from crmstudy.reports.sections import headline, upgrades
from crmstudy.tiers import upgrade_candidates

#: A count of zero in a sentence (not part of a larger number, a decimal or a percentage).
ZERO = re.compile(r"(?<![\d.,])0(?![\d.,%])")
BRANCHES = ("B001", "B002", "B003")


@pytest.mark.parametrize("bank", ["tiny_bank", "tiny_null_bank"])
@pytest.mark.parametrize("branch", BRANCHES)
def test_no_listed_customer_is_over_the_bar_at_the_period_end_or_without_a_product(bank, branch, request):
    ctx = load_context(request.getfixturevalue(bank), branch, {"upgrade": {"top_n": 5}})
    s = upgrades.build(ctx)
    listed, every = s.data["candidates"], ctx.upgrade_candidates
    assert (listed["end_assets"] < listed["bar"]).all() and (listed["n_products"] > 0).all()
    assert (every["end_assets"] < every["bar"]).all() and (every["n_products"] > 0).all()
    within = upgrade_candidates(ctx.features, ctx.thresholds, window=0.10, top_n=None, drop_excluded=False)
    over, closed = within["end_assets"] >= within["bar"], within["n_products"] == 0
    assert (s.summary["above_at_end"], s.summary["closed"]) == ((over & ~closed).sum(), closed.sum())
    assert s.summary["total"] == s.summary["candidates"] == len(every) == len(within) - within["excluded"].notna().sum()
    assert s.summary["listed"] == len(listed) == min(5, len(every))
    assert s.summary["status"] == ("finding" if len(every) else "no_finding")
    assert listed["gap_share"].is_monotonic_increasing  # the stated rule: smallest gap as a share of the bar first
    for sentence in s.sentences:
        assert not ZERO.search(sentence), sentence
        if not sentence.startswith("Base rate"):
            assert "this month" not in sentence and "this year" in sentence  # a one-year period


def test_the_reading_gives_the_true_total_and_the_number_listed(tiny_bank):
    ctx = load_context(tiny_bank, "B001", {"upgrade": {"top_n": 5}})
    s = upgrades.build(ctx)
    total, gap = len(ctx.upgrade_candidates), s.data["candidates"]["gap"].sum()
    above = s.summary["above_at_end"]
    assert total > 5 and above > 0 and s.summary["closed"] == 0  # the tiny bank has both kinds
    assert s.sentences[0] == (
        f"{total} customers average less than 10% below the next tier's bar and were still below it on the period's "
        f"last day; the 5 listed need CNY {gap:,.0f} more average daily assets in all to cross this year. "
        "This is an operational list of who is close to a bar, not a forecast of who a call will move."
    )
    assert s.sentences[1].startswith("Base rate: of the ") and len(s.sentences) == 2
    assert s.sentences[1].endswith("nothing in this report measures what a call adds.")
    assert s.blocks[-1].text == f"Not counted: {above} more who were already over their bar on the period's last day."
    (caption,) = [b.text for b in s.blocks if b.kind == "table"]
    # the ranking rule, stated
    assert caption.startswith(f"The 5 of {total} candidates closest to the next bar, ordered by the gap as a share")


def test_a_one_month_period_says_this_month_in_both_sections(tiny_bank):
    ctx = load_context(tiny_bank, "B003", {"period": {"start": "2025-12-01", "end": "2025-12-31"}})
    for section in (upgrades, headline):
        text = " ".join(section.build(ctx).sentences)
        assert "this month" in text and "this year" not in text, text


def test_the_headline_counts_the_same_candidates_and_says_this_year(tiny_bank):
    ctx = load_context(tiny_bank, "B001")
    s = headline.build(ctx)
    total = len(ctx.upgrade_candidates)
    assert s.summary["upgrade_candidates"] == upgrades.build(ctx).summary["total"] == total > 0
    expected = f"{total} customers sit just below a tier's bar and are the cheapest upgrades this year."
    assert s.sentences[0].endswith(expected)
    assert s.summary is ctx.headline and "status" not in s.summary  # the index's row keeps its own run status


def test_without_candidates_there_is_no_list_and_no_instruction(tiny_bank):
    ctx = load_context(tiny_bank, "B002", {"upgrade": {"window": 0.001}})
    s = upgrades.build(ctx)
    assert s.summary["total"] == 0 and s.summary["status"] == "no_finding" and not s.tables
    assert s.sentences == [
        "No customer averages less than 0.1% below the next tier's bar and was still below it on the period's "
        "last day: there is no upgrade list this year."
    ]
    assert "give each owner" not in s.sentences[0]
    h = headline.build(ctx)
    assert h.summary["upgrade_candidates"] == 0 and "cheapest upgrades" not in h.sentences[0]


def test_the_chinese_reading_names_the_year(tiny_bank):
    ctx = load_context(tiny_bank, "B001", {"language": "zh"})
    sentence, base = upgrades.build(ctx).sentences
    assert base.startswith("基准比例：") and "未经营销就越过了门槛" in base
    total = len(ctx.upgrade_candidates)
    assert sentence.startswith(f"{total}位客户的日均资产低于上一层级门槛不到10%") and "本年度跨过门槛" in sentence
    assert "本年度提升成本最低" in headline.build(ctx).sentences[0]


def test_the_base_rate_is_the_share_of_the_first_half_years_candidates_who_crossed_in_the_second(tiny_bank):
    from crmstudy.feature_defs import customer_assets, engine_of
    from crmstudy.footprint import consecutive_windows
    from crmstudy.tiers import upgrade_candidates

    ctx = load_context(tiny_bank, "B001")
    s = upgrades.build(ctx)
    first, second = consecutive_windows(ctx.period, 2)
    eng = engine_of(ctx.bank)
    h1, h2 = (eng.to_pandas(customer_assets(eng.tables, w, branch="B001")) for w in (first, second))
    cand = upgrade_candidates(h1, ctx.thresholds, window=ctx.params.upgrade.window, top_n=None, end=None, held=None)
    crossed = cand["customer_id"].map(h2.set_index("customer_id")["ada"]).fillna(0) >= cand["bar"]
    assert s.summary["base_candidates"] == len(cand) > 0
    assert s.summary["base_rate"] == pytest.approx(crossed.mean())
    assert s.summary["base_rate_low"] < s.summary["base_rate"] < s.summary["base_rate_high"]
    (said,) = [t.replace("\u2009", " ") for t in s.sentences if t.startswith("Base rate")]
    assert f"of the {len(cand)} customers" in said and "Jan – Jun 2025" in said and "Jul – Dec 2025" in said
