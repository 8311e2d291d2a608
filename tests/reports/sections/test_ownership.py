"""The ownership section: it tells staff to reassign only what it found, and counts the true totals."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import pytest

from crmstudy.reports.context import load_context
from crmstudy.reports.sections import ownership
from crmstudy.tiers import ownership_table

#: A count of zero in a sentence (not part of a larger number, a decimal or a percentage).
ZERO = re.compile(r"(?<![\d.,])0(?![\d.,%])")
BRANCHES = ("B001", "B002", "B003")


def _expected(ctx) -> tuple[int, int]:
    table = ownership_table(ctx.features, ctx.staff, ctx.ownership, as_of=pd.Timestamp(ctx.period.end))
    wrong = int((table["customers"] - table["correctly_owned"] - table["orphaned"]).clip(lower=0).sum())
    return int(table["orphaned"].sum()), wrong


@pytest.mark.parametrize("bank", ["tiny_bank", "tiny_null_bank"])
@pytest.mark.parametrize("branch", BRANCHES)
def test_the_reading_names_no_zero_count_and_asks_only_for_what_was_found(bank, branch, request):
    ctx = load_context(request.getfixturevalue(bank), branch)
    s = ownership.build(ctx)
    orphans, wrong = _expected(ctx)
    (sentence,) = s.sentences
    assert not ZERO.search(sentence), sentence
    assert s.summary["orphaned"] == orphans and s.summary["wrong_role"] == wrong
    assert s.summary["total"] == orphans + wrong and s.summary["listed"] == 0
    assert s.summary["status"] == ("finding" if orphans + wrong else "no_finding")
    if orphans + wrong == 0:
        assert sentence.endswith("nothing to reassign.") and "this week" not in sentence
    else:
        assert "this week" in sentence
    assert ("have left" in sentence and "belong to" in sentence) == bool(orphans)
    assert (f"{wrong} customers sit" in sentence or f"{wrong} more sit" in sentence) == bool(wrong)


def test_on_the_tiny_bank_nobody_has_left_so_only_the_wrong_role_is_to_be_fixed(tiny_bank):
    ctx = load_context(tiny_bank, "B003")
    orphans, wrong = _expected(ctx)
    assert orphans == 0 and wrong > 0, "the tiny bank's B003: no owner has left, some customers sit with the wrong role"
    assert ownership.build(ctx).sentences == [
        f"No customer's owner has left, but {wrong} customers sit with a role the rule does not give them: "
        "move them to the required role this week, starting with the largest."
    ]


def test_when_an_owner_has_left_the_reading_asks_to_reassign_their_customers(tiny_bank):
    ctx = load_context(tiny_bank, "B002")
    owner = ctx.features["owner_staff_id"].value_counts().index[0]
    leaving = ctx.staff["staff_id"] == owner
    ctx.staff.loc[leaving, "leave_date"] = pd.Timestamp(ctx.period.end - timedelta(days=30))
    s = ownership.build(ctx)
    orphans = int((ctx.features["owner_staff_id"] == owner).sum())
    assert s.summary["orphaned"] == orphans > 0 and s.summary["status"] == "finding"
    wrong = _expected(ctx)[1]
    if wrong:  # the branch also has customers with the wrong role: both groups are to move
        want = (
            f"{orphans} customers belong to staff who have left and {wrong} more sit with a role the rule does not "
            "give them: reassign both groups this week, starting with the largest."
        )
    else:
        want = (
            f"{orphans} customers belong to staff who have left; everyone else sits with the role the rule requires: "
            f"reassign those {orphans} to staff still here this week, starting with the largest."
        )
    assert s.sentences == [want]


def test_the_chinese_reading_follows_the_same_finding(tiny_bank):
    ctx = load_context(tiny_bank, "B003", {"language": "zh"})
    orphans, wrong = _expected(ctx)
    assert orphans == 0 and wrong > 0
    assert ownership.build(ctx).sentences == [
        f"没有客户的维护人离职，但有{wrong}位客户的维护岗位不符合归属规则：本周内将其调整到规定岗位，从资产最大的客户开始。"
    ]
