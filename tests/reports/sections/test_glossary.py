"""Plain words: every statistic explained in one line, in both languages, with the report's own numbers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from crmstudy import i18n
from crmstudy.reports import context
from crmstudy.reports.sections import glossary, provenance
from crmstudy.reports.sections.base import Section


@pytest.fixture(scope="module")
def ctx(tiny_bank):
    return context.load_context(tiny_bank, "B002", {"bootstrap": {"n_boot": 0}})


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_the_glossary_explains_every_statistic_the_report_uses(ctx, lang):
    c = dataclasses.replace(ctx, params=ctx.params.model_copy(update={"language": lang}))
    s = glossary.build(c)
    text = s.blocks[-1].bundle["text/markdown"]
    assert s.title == i18n.t("glossary.heading", lang)
    for term in ("gini", "ci95", "adjusted_residual", "fdr", "dormant", "upgrade_window", "risk_points"):
        name, line = glossary.explain(term, c)
        assert name in text and line in text
    assert "180" in glossary.explain("dormant", c)[1] and "10%" in glossary.explain("upgrade_window", c)[1]
    assert "250" in glossary.explain("band", c)[1]


def test_a_section_that_uses_a_statistic_gets_its_one_line_note_once(ctx):
    s = Section("association").markdown("cells")
    glossary.add_notes(s, ctx)
    glossary.add_notes(s, ctx)
    notes = [b for b in s.blocks if b.kind == "note"]
    assert len(notes) == 1 and "False-discovery rate" in notes[0].bundle["text/html"]
    assert [b.kind for b in glossary.add_notes(Section("about").markdown("x"), ctx).blocks] == ["markdown"]


def test_the_report_is_dated_in_its_readers_time_zone_and_says_how_recent_its_data_is(ctx):
    noon_utc = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
    assert provenance.local_time(noon_utc, "Asia/Shanghai") == "2026-01-05 12:00 (Asia/Shanghai, UTC+08:00)"
    p = provenance.provenance(ctx)
    assert p["data_as_of"] == i18n.date(ctx.period.end) and "Asia/Shanghai" in p["made_at"]
    labels = [i18n.t(f"provenance.label.{k}", "en") for k in p]
    assert not [x for x in labels if "_" in x], "provenance labels are words, not keys"


def test_an_unknown_time_zone_is_refused_in_one_line():
    from crmstudy.params import ReportParams

    with pytest.raises(ValueError, match="IANA time zone"):
        ReportParams.model_validate({"time_zone": "Beijing"})
