"""The action box: the branch's real problems, ranked, true counts, and silence when there is nothing to do."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from crmstudy import i18n
from crmstudy.reports import context
from crmstudy.reports.sections import actions, workload
from crmstudy.reports.sections.base import Section


@pytest.fixture(scope="module")
def ctx(tiny_bank):
    return context.load_context(tiny_bank, "B001", {"bootstrap": {"n_boot": 0}})


def _built(ctx, *, risk="no_finding", value="no_finding", upgrades=0):
    """The sections the box reads: the real workload section, the gated ones as their summaries say."""
    return {
        "workload": workload.build(ctx),
        "prospects": Section(
            "prospects", summary={"risk_status": risk, "value_status": value, "risk_total": 7, "prospects": 10}
        ),
        "upgrades": Section(
            "upgrades",
            summary={
                "status": "finding" if upgrades else "no_finding",
                "total": upgrades,
                "listed": 3,
                "total_gap": 4980,
            },
        ),
    }


def _with_departed(ctx, staff_id):
    staff = ctx.staff.copy()
    staff.loc[staff["staff_id"] == staff_id, "leave_date"] = pd.Timestamp(ctx.period.start)
    return dataclasses.replace(ctx, staff=staff)


def test_customers_of_departed_staff_come_first_counting_only_those_still_with_the_bank(ctx):
    gone = _with_departed(ctx, "B001-CU02")
    book = gone.features[gone.features["owner_staff_id"] == "B001-CU02"]
    still_here = int((book["n_products"] > 0).sum())
    items = actions.problems(gone, _built(gone, upgrades=17))
    assert items[0]["key"] == "orphaned"
    assert items[0]["count"] == still_here
    assert "B001-CU02" in items[0]["text"]
    closed = len(book) - still_here
    if closed:
        assert i18n.integer(closed) in items[0]["text"]


def test_customers_owned_by_the_wrong_role_are_counted_as_the_ownership_section_counts_them(ctx):
    items = {it["key"]: it for it in actions.problems(ctx, _built(ctx))}
    from crmstudy.reports.sections import ownership

    assert items["wrong_owner"]["count"] == ownership.build(ctx).summary["wrong_role"]


def test_risk_flags_prospects_and_upgrades_appear_only_where_their_evidence_is_a_finding(ctx):
    quiet = {it["key"] for it in actions.problems(ctx, _built(ctx))}
    assert not quiet & {"risk", "value", "upgrades"}
    loud = {it["key"]: it for it in actions.problems(ctx, _built(ctx, risk="finding", value="finding", upgrades=17))}
    assert loud["risk"]["count"] == 7 and "7" in loud["risk"]["text"]
    assert loud["upgrades"]["count"] == 17


def test_problems_are_ranked_with_the_orphaned_book_first_and_the_lists_last(ctx):
    gone = _with_departed(ctx, "B001-CU02")
    keys = [it["key"] for it in actions.problems(gone, _built(gone, risk="finding", upgrades=17))]
    assert keys == sorted(keys, key=actions.RANK.index)
    assert keys[0] == "orphaned" and keys[-1] == "upgrades"


def test_managers_outside_the_band_come_with_the_arithmetic_that_fixes_it(ctx):
    heavy = dataclasses.replace(
        ctx, params=ctx.params.model_copy(update={"rm_band": type(ctx.params.rm_band)(min=320, max=330)})
    )
    item = next(it for it in actions.problems(heavy, _built(heavy)) if it["key"] == "workload")
    wl = workload.build(heavy).data["workload"]
    over = wl[wl["customers"] > 330]
    under = wl[(wl["customers"] < 320) & (wl["status"] != "left")]
    excess, room = int((over["customers"] - 330).sum()), int((320 - under["customers"]).sum())
    assert item["count"] == len(over) + len(under)
    assert i18n.integer(excess) in item["text"] and i18n.integer(room) in item["text"]
    assert i18n.integer(min(excess, room)) in item["text"]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_with_nothing_to_do_the_box_says_so_and_instructs_nobody(tiny_footprint_bank, lang):
    # B002 of the pre-realism tiny bank: every owner in the right role, nobody has left
    ctx = context.load_context(tiny_footprint_bank, "B002", {"bootstrap": {"n_boot": 0}})
    calm = dataclasses.replace(
        ctx,
        params=ctx.params.model_copy(update={"language": lang, "rm_band": type(ctx.params.rm_band)(min=1, max=10_000)}),
    )
    s = actions.build(calm, _built(calm))
    assert s.data["items"] == []
    assert s.blocks[0].text == i18n.t("actions.none", lang)
    assert s.summary["orphaned"] == s.summary["wrong_owner"] == s.summary["rms_outside"] == 0


def test_the_box_is_html_before_any_heading_with_a_link_back_to_the_index(ctx):
    s = actions.build(ctx, _built(ctx, upgrades=17))
    page = s.blocks[0].bundle["text/html"]
    assert 'class="action-box"' in page and 'href="index.html"' in page
    assert page.index("back-link") < page.index("action-box")
    assert s.summary["status"] == "not_applicable"
