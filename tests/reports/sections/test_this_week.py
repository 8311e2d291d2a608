"""This week: the events of the report's last seven days, due, overdue or escalated; true totals; masked; never a 0."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from crmstudy.reports.context import load_context
from crmstudy.reports.sections import SECTIONS, this_week
from tests.events.conftest import hand_tables, write_bank

ZERO = re.compile(r"(?<![\d.,])0(?![\d.,%])")
#: What a report says only when a statistical finding passed its test (tests/reports/test_null_bank_report.py).
NOISE_ACTIONS = ("Footprints, not declarations, put these", "within 48 hours", "so give each owner their list")


def test_this_week_is_the_first_section_with_a_heading_after_the_report_s_frame():
    assert SECTIONS.index(this_week) == 2 and [m.__name__.rsplit(".", 1)[-1] for m in SECTIONS[:2]] == [
        "about",
        "actions",
    ]


@pytest.mark.parametrize("bank", ["tiny_bank", "tiny_null_bank"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_counts_are_true_totals_the_lists_ranked_and_masked_and_no_sentence_names_a_zero(bank, lang, request):
    ctx = load_context(request.getfixturevalue(bank), "B001", {"language": lang})
    s = this_week.build(ctx)
    ev, sm = s.data["events"], s.summary
    assert sm["events"] == len(ev) == sm["contacted"] + sm["due"] + sm["overdue"]
    assert sm["total"] == sm["due"] + sm["overdue"]
    assert sm["escalated"] == int((ev["status"] == "escalated").sum()) <= sm["due"]
    named = sm["churn_at_risk"] + sm["dormant_to_call"]
    assert sm["status"] == ("finding" if sm["total"] or named else "no_finding")
    if bank == "tiny_null_bank":  # neither list passes its evidence on a null bank
        assert sm["churn_warning"] in ("not_used", "not_applicable") and sm["wake_up"] != "shown" and named == 0
    assert (ev["day"] >= pd.Timestamp(ctx.period.end) - pd.Timedelta(days=6)).all()
    assert set(ev["branch_id"]) <= {"B001"}
    due = ev[ev["state"] == "due"]
    assert due["assigned_to"].notna().all()  # every due event has someone to do it
    top = ctx.params.events.top_n
    assert sm["listed"] == min(top, sm["due"]) + min(top, sm["overdue"])
    customer = "Customer" if lang == "en" else "客户"
    lists = [t for t in s.tables if customer in t.columns]
    assert sum(len(t) for t in lists) == sm["listed"] + sm["churn_listed"] + sm["dormant_listed"]
    for table in lists:
        assert table[customer].str.contains(r"\*\*\*").all(), "customer ids are masked"
    for sentence in s.sentences:
        assert not ZERO.search(sentence), sentence
        assert not any(a in sentence for a in NOISE_ACTIONS), sentence


def _ctx(tmp_path, end, visits=None):
    tables = hand_tables()
    if visits is not None:
        tables["visits"] = visits
    folder = write_bank(tmp_path / "bank", tables)
    return load_context(folder, "B001", {"period": {"end": end}})


def test_a_week_without_events_says_so_and_lists_nothing(tmp_path):
    s = this_week.build(_ctx(tmp_path, "2025-02-15"))
    assert s.summary["events"] == 0 and s.summary["status"] == "no_finding" and not s.tables
    assert s.sentences == ["No customer event in the week to Feb 15, 2025: nothing is due."]


def test_an_event_with_a_contact_logged_in_time_is_not_due(tmp_path):
    visits = pd.DataFrame(
        {
            "visit_id": [1],
            "visit_date": [pd.Timestamp("2025-03-04")],
            "staff_id": ["B001-CU01"],
            "customer_id": ["C5"],
            "contact_type": ["phone"],
            "attitude": ["positive"],
            "feedback_code": ["no_need"],
            "outcome": ["follow_up"],
        }
    )
    s = this_week.build(_ctx(tmp_path, "2025-03-06", visits))
    assert s.summary["events"] == s.summary["contacted"] == 1 and s.summary["total"] == 0
    assert "nothing is due or overdue" in s.sentences[-1]


def test_an_event_past_its_deadline_without_a_contact_is_overdue(tmp_path):
    s = this_week.build(_ctx(tmp_path, "2025-03-06"))
    assert (s.summary["events"], s.summary["overdue"], s.summary["due"]) == (1, 1, 0)
    assert "passed the deadline with no contact logged" in s.sentences[0]


def test_the_churn_list_is_every_customer_over_the_threshold_ranked_when_the_warning_passed(tiny_bank):
    """A warning that passed (its scores given here) lists the branch's customers at or over the threshold."""
    from dataclasses import replace

    ctx = load_context(tiny_bank, "B001", {"events": {"top_n": 5}})
    lw = this_week._bankwide(ctx)
    ids = ctx.features["customer_id"].to_numpy()
    p = np.linspace(0.0, 0.3, len(ids))
    ctx.__dict__["lifecycle"] = replace(lw, reasons=(), scores=pd.DataFrame({"customer_id": ids, "p_churn_90d": p}))
    if lw.evaluation is None:  # the tiny bank's warning may not be fitted: pretend it was
        ctx.__dict__["lifecycle"] = replace(ctx.__dict__["lifecycle"], evaluation=object())
    s = this_week.build(ctx)
    want = int((p >= ctx.params.retention.risk_threshold).sum())
    assert s.summary["churn_warning"] == "used" and s.summary["churn_at_risk"] == want > 5
    assert s.summary["churn_listed"] == 5
    listed = s.data["churn"].head(5)["p_churn_90d"].to_numpy()
    assert (np.diff(listed) <= 0).all() and listed[0] == p.max()
    assert any(f"{want} customers" in x for x in s.sentences)


def test_without_a_passing_warning_no_customer_is_named_for_churn(tiny_bank):
    from dataclasses import replace

    ctx = load_context(tiny_bank, "B001", {})
    ctx.__dict__["lifecycle"] = replace(this_week._bankwide(ctx), reasons=("baseline",), scores=None)
    s = this_week.build(ctx)
    assert s.summary["churn_warning"] == "not_used" and s.summary["churn_at_risk"] == 0 and "churn" not in s.data


def test_the_week_read_from_the_bank_wide_detection_is_the_branch_s_own(tiny_bank):
    """The week's events are detected once for every branch; each branch's share is its own detection."""
    from datetime import timedelta

    for b in ("B001", "B002"):
        ctx = load_context(tiny_bank, b, {})
        shared = this_week.week_events(ctx)
        end = ctx.period.end
        own = this_week.detect(ctx.bank, end - timedelta(days=this_week.DAYS - 1), end, branch=b)
        assert len(own) > 0 and sorted(shared["event_id"]) == sorted(own["event_id"])
