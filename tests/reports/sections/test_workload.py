"""The workload section: the action follows the finding (a departed manager's book first), never a zero count."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest

from crmstudy.reports.context import load_context
from crmstudy.reports.sections import workload

#: A count of zero in a sentence (not part of a larger number, a decimal or a percentage).
ZERO = re.compile(r"(?<![\d.,])0(?![\d.,%])")
BRANCHES = ("B001", "B002", "B003")


@pytest.mark.parametrize("bank", ["tiny_bank", "tiny_null_bank"])
@pytest.mark.parametrize("branch", BRANCHES)
def test_the_reading_names_no_zero_count_and_its_action_follows_the_finding(bank, branch, request):
    s = workload.build(load_context(request.getfixturevalue(bank), branch))
    wl, summary = s.data["workload"], s.summary
    (sentence,) = s.sentences
    assert not ZERO.search(sentence), sentence
    counts = wl["status"].value_counts()
    assert all(summary[k] == counts.get(k, 0) for k in ("within", "over", "under", "left"))
    gone_with_a_book = int((wl.loc[wl["status"] == "left", "customers"] > 0).sum())
    assert summary["total"] == summary["over"] + summary["under"] + gone_with_a_book
    assert summary["status"] == ("finding" if summary["total"] else "no_finding")
    assert ("Move customers from" in sentence) == bool(summary["over"] and summary["under"] and not summary["orphaned"])
    assert ("Reassign" in sentence) == bool(summary["orphaned"])
    if summary["status"] == "no_finding":
        assert sentence.endswith("no book needs to move.")


def test_on_the_tiny_bank_a_manager_below_the_band_is_said_to_have_room(tiny_bank):
    s = workload.build(load_context(tiny_bank, "B002"))
    wl = s.data["workload"]
    (book,) = wl.loc[wl["status"] == "under", "customers"]  # the branch's one manager, counted from the table
    assert s.sentences == [
        "The one customer manager is not within 250–400 customers, 1 below 250. "
        f"The managers below 250 can take {250 - book} more customers before they reach the band."
    ]


def test_a_manager_who_left_leaves_a_book_to_reassign_not_books_to_move_from_over_to_under(tiny_bank):
    ctx = load_context(tiny_bank, "B001")
    managers = ctx.staff[ctx.staff["role"] == "customer_manager"]["staff_id"]
    gone = managers.iloc[0]
    ctx.staff.loc[ctx.staff["staff_id"] == gone, "leave_date"] = pd.Timestamp(ctx.period.end - timedelta(days=1))
    s = workload.build(ctx)
    book = int((ctx.features["owner_staff_id"] == gone).sum())
    assert s.summary["left"] == 1 and s.summary["orphaned"] == book > 0 and s.summary["status"] == "finding"
    (sentence,) = s.sentences
    assert f"Reassign the {book} customers of the managers who have left this week" in sentence
    assert "from over to under" not in sentence and "Move customers" not in sentence


def test_books_above_the_band_go_to_managers_below_it_or_need_another_manager(tiny_bank):
    # B003's two managers hold 246 and more: a band of 100-200 puts both above it, nobody below
    s = workload.build(load_context(tiny_bank, "B003", {"rm_band": {"min": 100, "max": 200}}))
    wl = s.data["workload"]
    excess = int((wl["customers"] - 200).clip(lower=0).sum())
    assert s.summary["over"] == 2 and s.summary["under"] == 0
    assert s.sentences[0].endswith(f"the {excess:,} customers above the band need another customer manager.")
    # a band the two straddle: move from the one above to the one below
    low, high = sorted(wl["customers"])
    s = workload.build(load_context(tiny_bank, "B003", {"rm_band": {"min": low + 1, "max": high - 1}}))
    assert s.summary["over"] == 1 and s.summary["under"] == 1
    assert s.sentences[0].endswith(f"Move customers from the 1 managers above {high - 1} to the 1 below {low + 1}.")


def test_the_chinese_reading_follows_the_same_finding(tiny_bank):
    s = workload.build(load_context(tiny_bank, "B001", {"language": "zh"}))
    assert s.sentences == ["全部2位客户经理的管户数都在250–400户之间，且无人离职：无需调整管户。"]
