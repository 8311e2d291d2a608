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
def built(tiny_bank):
    """The section on the tiny bank's B002 (five per list), with the text it shows."""
    ctx = load_context(tiny_bank, "B002", {"prospects": {"top_n": 5}})
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


def test_risk_flags_are_borrowers_at_twice_the_bank_rate_or_more(built):
    out = built[1].data
    flags, card = out["risk_flags"], out["scores"].risk_card
    assert flags["borrower"].all()
    assert (flags["risk_p"] >= 2 * card.event_rate_).all()


def test_split_scores_give_each_branch_the_lists_its_own_scoring_gives(built, tiny_bank):
    # the runner fits once on the whole bank and hands each branch only its own rows
    ctx, section, _ = built
    out = section.data
    whole = fp.score_customers(tiny_bank, period=ctx.period)
    branch_of = pd.read_parquet(tiny_bank / "customers.parquet").set_index("customer_id")["branch_id"]
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
