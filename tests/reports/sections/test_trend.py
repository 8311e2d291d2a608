"""The context section: month-end lines, the change since the last report, the rank among branches."""

from __future__ import annotations

import copy
import re

import pytest

from crmstudy import i18n
from crmstudy.reports.context import load_context
from crmstudy.reports.sections import trend


@pytest.fixture(scope="module")
def contexts(tiny_bank):
    return {lang: load_context(tiny_bank, "B002", {"language": lang}) for lang in ("en", "zh")}


def _with(ctx, **changes):
    """A copy of ``ctx`` (its computed figures kept) with other previous/standing: as the runner would pass them."""
    new = copy.copy(ctx)
    for name, value in changes.items():
        setattr(new, name, value)
    if "standing" in changes:
        new.__dict__.pop("ranks", None)  # read again from the standing given
    return new


def test_the_reading_states_the_first_and_last_month_ends_from_the_lines(contexts):
    ctx = contexts["en"]
    s = trend.build(ctx)
    m = ctx.monthly
    first, last = m.iloc[0], m.iloc[-1]
    assert len(s.figures) == 1 and s.summary["months"] == len(m) == 12
    reading = s.sentences[0]
    assert reading.startswith(
        f"From Jan 31, 2025 to Dec 31, 2025, month-end assets went from {i18n.money(first.assets)}"
    )
    assert f"customers from {first.customers} to {last.customers} (+{last.customers - first.customers}" in reading
    dormant = m[m["dormant_share"].notna()]
    d0, d1 = dormant.iloc[0].dormant_share, dormant.iloc[-1].dormant_share
    assert f"{i18n.percent(d0)} on Jun 30, 2025" in reading  # the first full look-back
    shown = float(i18n.percent(d1)[:-1]) - float(i18n.percent(d0)[:-1])  # the difference a reader computes
    assert f"{'+' if shown > 0 else '-'}{abs(shown):.1f} percentage points" in reading


def test_without_a_previous_report_it_says_this_is_the_first(contexts):
    s = trend.build(contexts["en"])
    assert s.sentences[1] == "This is the branch's first report, so there is no earlier one to compare with."
    assert s.summary["previous_report"] is None and s.summary["changes"] is None


def test_the_change_since_the_last_report_is_signed_and_relative(contexts):
    h = contexts["en"].headline
    # last time: 10 customers more (a fall now), 20% less in assets (a rise now), 5 points more dormant
    before = {"customers": h["customers"] + 10, "total_ada": h["total_ada"] / 1.2, "dormant_share": 0.05}
    before["dormant_share"] += round(h["dormant_share"], 3)
    prev = {"made_at": "2026-11-30T08:00:00Z", "period_start": "2025-01-01", "period_end": "2025-11-30"}
    ctx = _with(contexts["en"], previous={**prev, "headline": before})
    s = trend.build(ctx)
    text = s.sentences[1]
    assert text.startswith("Since the last report (made Nov 30, 2026, for Jan 1, 2025 to Nov 30, 2025): ")
    assert f"customers -10, -{i18n.percent(10 / before['customers'])}" in text
    assert f"average daily assets +{i18n.money(h['total_ada'] - before['total_ada'])}, +20.0%" in text
    assert "dormant share -5.0 percentage points" in text
    assert s.summary["changes"]["customers"] == -10


def test_the_same_figures_as_last_time_say_nothing_changed(contexts):
    ctx = _with(contexts["en"], previous={})
    same = {k: ctx.headline[k] for k in ("customers", "total_ada", "dormant_share")}
    ctx.previous = {"made_at": "2026-11-30T08:00:00Z", "period_start": "2025-01-01", "period_end": "2025-12-31"}
    ctx.previous["headline"] = same
    assert "the headline figures have not changed" in trend.build(ctx).sentences[1]


def test_the_rank_sentence_follows_the_ranks_given_by_the_run(contexts):
    standing = {"ranks": {"of": 8, "total_ada": 3, "customers": 1, "dormant_share": 22}}
    ctx = _with(contexts["en"], standing=standing)
    assert trend.build(ctx).sentences[-1] == (
        "Among the bank's 8 branches this branch is 3rd by average daily assets, 1st by customers and 22nd by "
        "dormant share (1st is the most)."
    )
    alone = _with(contexts["en"], standing={"ranks": {"of": 1, "total_ada": 1, "customers": 1}})
    assert trend.build(alone).sentences[-1] == "The bank has one branch, so there is no ranking among branches."


@pytest.mark.slow  # two more branch contexts
def test_the_tiny_banks_ranks_are_those_of_every_branchs_own_headline(contexts, tiny_bank):
    r = contexts["en"].ranks
    mine = contexts["en"].headline
    others = [load_context(tiny_bank, b).headline for b in ("B001", "B003")]
    assert r["of"] == 3
    for k in ("total_ada", "customers", "dormant_share"):
        assert r[k] == 1 + sum(o[k] > mine[k] for o in others), k


def test_chinese_reads_as_chinese_with_no_english_left(contexts):
    s = trend.build(contexts["zh"])
    assert s.title == "逐月走势与全行排名" and len(s.sentences) == 3
    for sentence in s.sentences:
        assert not re.search(r"[A-Za-z]{3,}", sentence), sentence  # no English word (CNY would be 元)
    assert s.sentences[1] == "这是本网点的第一份报告，没有更早的报告可比。"
    assert "在全行3家网点中" in s.sentences[2]


@pytest.mark.slow  # another bank's context
def test_the_null_bank_builds_and_shows_only_its_own_branch(tiny_null_bank):
    ctx = load_context(tiny_null_bank, "B001")
    s = trend.build(ctx)
    assert len(s.sentences) == 3 and s.summary["ranks"]["of"] == 3
    assert set(ctx.monthly.columns) >= {"month_end", "customers", "assets", "dormant"}
    assert "branch_id" not in ctx.monthly.columns or set(ctx.monthly["branch_id"]) == {"B001"}
