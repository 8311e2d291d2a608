"""The prospects section: the branch's value prospects and risk flags from the footprint scorecards."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from crmstudy import footprint as fp
from crmstudy.privacy import mask_id
from crmstudy.reports.context import load_context
from crmstudy.reports.sections import Section, prospects
from crmstudy.reports.sections.prospects import prospects_tables


@pytest.fixture(scope="module")
def built(tiny_footprint_bank):
    """The section on B002 of the tiny bank where footprints beat balances (five per list), with its text."""
    ctx = load_context(tiny_footprint_bank, "B002", {"prospects": {"top_n": 5}})
    section = prospects.build(ctx)
    text = "\n".join(b.get("text/markdown") or b.get("text/plain") for b in section.bundles())
    return ctx, section, text


def test_prospects_list_only_the_branch_customers_with_masked_ids_and_a_sentence_each(built):
    ctx, section, text = built
    out = section.data
    text = text.replace("\\*", "*")  # markdown escapes the stars of a masked id
    ours = set(ctx.features["customer_id"])
    assert set(out["prospects"]["customer_id"]) <= ours and len(out["prospects"]) == 5
    assert set(out["risk_flags"]["customer_id"]) <= ours
    assert not re.search(r"C\d{7}", text), "no customer id in clear"
    for cid in out["prospects"]["customer_id"]:
        assert mask_id(cid) in text
    assert all(s.endswith("within 48 hours.") for s in out["prospects"]["action"])
    assert out["prospects"]["value_p"].is_monotonic_decreasing
    assert section.summary["prospects"] == 5
    assert section.summary["value_status"] == "finding" and section.summary["listed"]["value"] == 5


@pytest.fixture(scope="module")
def textbook(tiny_bank):
    """B002 with cards selected by the fixed IV bar and Wald p-values alone (``n_permutations=0``),
    listed whether or not they add to balances and declarations (``require_gain=False``), and
    recalibrated in the large only (the card's noise signals would get a slope near 0 on the
    latest window, and every borrower the bank's rate).

    The tiny bank's ~10 delinquencies are too few for any risk signal to beat the permutation
    test, so the default risk card selects nothing there; the flag rule and the true count are
    specified on this card instead, at 1.5 times the bank's rate (its one signal, cash_share,
    puts a third of the borrowers at 1.7 times the rate and the rest at 0.6).
    """
    ctx = load_context(tiny_bank, "B002", {"prospects": {"top_n": 2, "min_events": 1, "flag_ratio": 1.5}})
    scores = fp.score_customers(
        tiny_bank, period=ctx.period, min_events=1, n_permutations=0, require_gain=False, recalibration="intercept"
    )
    assert scores.risk_card is not None and scores.risk_card.selected_
    return ctx, scores, prospects.build(ctx, scores=scores)


def test_risk_flags_are_borrowers_at_the_flag_ratio_times_the_bank_rate_or_more(textbook):
    # was run on the default cards at twice the rate; their risk card now selects nothing on the
    # tiny bank (see textbook), so the rule is checked on the textbook card at its flag_ratio
    ctx, scores, section = textbook
    flags = section.data["risk_flags"]
    assert len(flags) and flags["borrower"].all()
    # the bank's rate is the latest window's, the one the chances were recalibrated on
    assert scores.base_rate("risk") == scores.evidence["risk"].recalibration.event_rate
    assert (flags["risk_p"] >= ctx.params.prospects.flag_ratio * scores.base_rate("risk")).all()


def test_when_more_borrowers_meet_the_rule_than_are_listed_the_report_says_the_true_count(textbook):
    ctx, scores, section = textbook
    s = scores.scores[scores.scores["customer_id"].isin(ctx.features["customer_id"])]
    total = int((s["borrower"] & (s["risk_p"] >= 1.5 * scores.base_rate("risk"))).sum())
    assert total > 2, "the rule should catch more borrowers than the two listed"
    assert section.summary["risk_total"] == total and section.summary["listed"] == {"value": 2, "risk": 2}
    assert section.summary["risk_status"] == "finding" and len(section.data["risk_flags"]) == 2
    assert f"{total} borrowers meet the rule; the 2 highest are listed." in section.sentences
    assert any(t.startswith(f"{total} borrowers leave the footprints") for t in section.sentences)


# --- a card that selects nothing is not a list ----------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_the_null_bank_no_table_only_the_sentence_that_no_signal_beat_chance(tiny_null_bank, lang):
    # min_events=1: both cards are fitted (the null bank sees a handful of delinquencies), and
    # neither finds a signal that beats the shuffled outcomes, so neither side is a list
    ctx = load_context(tiny_null_bank, "B001", {"language": lang, "prospects": {"min_events": 1}})
    section = prospects.build(ctx)
    scores = section.data["scores"]
    assert scores.value_card is None and scores.risk_card is None and set(scores.no_signal) == {"value", "risk"}
    assert not any(b.kind == "table" for b in section.blocks), "no table"
    assert section.data["prospects"].empty and section.data["risk_flags"].empty
    assert section.summary["value_status"] == section.summary["risk_status"] == "no_finding"
    assert section.summary["risk_total"] == 0 and section.summary["listed"] == {"value": 0, "risk": 0}
    said = section.sentences
    assert said == [section.data["no_signal"]["value"], section.data["no_signal"]["risk"]]
    if lang == "en":
        assert said[0].startswith("No value prospects this time: no footprint signal beat chance at this size")
        assert said[1].startswith("No risk flags this time: no footprint signal beat chance at this size")
        assert "48 hours" not in " ".join(said)


def test_split_scores_give_each_branch_the_lists_its_own_scoring_gives(built, tiny_footprint_bank):
    # the runner fits once on the whole bank and hands each branch only its own rows
    ctx, section, _ = built
    out = section.data
    whole = fp.score_customers(tiny_footprint_bank, period=ctx.period, strict=False)  # ~9 delinquencies: no risk card
    branch_of = pd.read_parquet(tiny_footprint_bank / "customers.parquet").set_index("customer_id")["branch_id"]
    parts = whole.split(branch_of)
    assert sum(len(p.scores) for p in parts.values()) == len(whole.scores)
    assert sum(len(p.reasons) for p in parts.values()) == len(whole.reasons)
    mine = parts["B002"]
    assert set(mine.scores["customer_id"]) <= set(branch_of[branch_of == "B002"].index)
    assert mine.value_card is whole.value_card and mine.fit_design == whole.fit_design
    value, risk = prospects_tables(mine, ctx.features, thresholds=ctx.thresholds, top_n=5)
    pd.testing.assert_frame_equal(value, out["prospects"])
    pd.testing.assert_frame_equal(risk, out["risk_flags"])
    handed = prospects.build(dataclasses.replace(ctx, scores_path=None), scores=mine)
    assert isinstance(handed, Section) and handed.bundles() == section.bundles()
