"""The retention section: a list of customers at risk only behind a warning that passed out of time."""

from __future__ import annotations

import pytest

from crmstudy.reports.context import load_context
from crmstudy.reports.sections import SECTIONS, retention


@pytest.fixture(scope="module")
def sections(tiny_bank, tiny_null_bank):
    return {
        "planted": retention.build(load_context(tiny_bank, "B001")),
        "null": retention.build(load_context(tiny_null_bank, "B001")),
    }


def test_the_section_is_registered():
    assert retention in SECTIONS


def test_the_summary_counts_what_is_listed(sections):
    for s in sections.values():
        summary = s.summary
        assert summary["status"] in ("finding", "no_finding")
        assert summary["listed"] <= summary["total"]
        if summary.get("warning") != "finding":
            assert summary["total"] == summary["listed"] == 0
        else:
            assert summary["total"] == len(s.data["at_risk"])


def test_the_null_bank_section_asks_nobody_to_act(sections):
    s = sections["null"]
    assert s.summary["warning"] != "finding"
    assert s.summary.get("contact") != "finding" and s.summary.get("wake_up") != "finding"
    assert s.summary["status"] == "no_finding"
    assert not any("Call" in x or "call wakes" in x for x in s.sentences), s.sentences


def test_the_dormant_book_excludes_customers_who_left(sections, tiny_bank):
    import pandas as pd

    book = sections["planted"].data["dormant_book"]
    h = pd.read_parquet(tiny_bank / "holdings.parquet")
    left = h.groupby("customer_id")["close_date"].apply(lambda c: c.notna().all())
    c = pd.read_parquet(tiny_bank / "customers.parquet")
    staying = c[(c["branch_id"] == "B001") & ~c["customer_id"].map(left)]
    assert book["customers"].sum() <= len(staying)


def test_migration_counts_add_up(sections):
    s = sections["planted"]
    moves = s.data["migration"]
    m = s.summary
    assert m["moved_up"] + m["moved_down"] + m["moved_same"] + m["moved_left"] <= len(moves)
