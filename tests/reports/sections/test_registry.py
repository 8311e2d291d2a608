"""The registry: every section one module with build(ctx) -> Section, shown in order, computed from one context."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import pytest

from crmstudy.reports import context, sections
from crmstudy.reports.sections import SECTIONS, Section, SectionError


@pytest.fixture(scope="module")
def ctx(tiny_bank):
    return context.load_context(tiny_bank, "B003", {"bootstrap": {"n_boot": 50}})


@pytest.mark.slow
def test_every_registered_section_is_a_module_whose_build_returns_its_section(ctx):
    built = sections.build_all(ctx)
    assert [s.key for s in built] == sections.names() == [m.__name__.rsplit(".", 1)[-1] for m in SECTIONS]
    assert all(isinstance(s, Section) and s.blocks for s in built)
    assert sections.names()[:3] == ["about", "actions", "this_week"] and sections.names()[-1] == "provenance"


def test_every_section_but_the_opening_two_opens_with_its_heading_and_tells_staff_something(ctx):
    built = sections.build_all(ctx)
    assert [b.kind for b in built[1].blocks] == ["actions"], "the action box is one block, before any heading"
    for s in built[2:]:
        assert s.blocks[0].kind == "heading" and s.title
        if s.key not in ("provenance", "glossary"):
            assert s.sentences, f"{s.key} says nothing"


@pytest.mark.slow
def test_show_all_shows_every_block_in_order_and_returns_the_summaries(ctx, monkeypatch):
    from crmstudy.reports import display

    shown = []
    monkeypatch.setattr(display, "_publish", lambda data, metadata=None: shown.append(data))
    summaries = sections.show_all(ctx)
    assert list(summaries) == sections.names()
    assert summaries["headline"] == ctx.headline
    built = [s for s in sections.build_all(ctx) if s.key != "provenance"]  # (its time may change)
    # without a folder to write the lists to, show_all drops their download links
    expected = [b.bundle["text/plain"] for s in built for b in s.blocks if b.kind != "download"]
    assert [b["text/plain"] for b in shown[: len(expected)]] == expected
    assert len(shown) == len(expected) + len(sections.build("provenance", ctx).blocks)


@pytest.mark.slow
def test_a_failing_section_becomes_a_boxed_note_naming_it_and_the_rest_renders(ctx, monkeypatch, tmp_path):
    from crmstudy.reports import display
    from crmstudy.reports.sections import tiers

    def broken(_ctx):
        raise KeyError("peak_assets")

    shown = []
    monkeypatch.setattr(tiers, "build", broken)
    monkeypatch.setattr(display, "_publish", lambda bundle, meta=None: shown.append(bundle.get("text/plain", "")))
    summaries = sections.show_all(ctx, findings_path=tmp_path / "f.json")
    assert summaries["tiers"] == {"status": "failed", "reason": "KeyError: 'peak_assets'"}
    assert any("tiers section could not be built" in s and "KeyError: 'peak_assets'" in s for s in shown)
    assert list(summaries) == sections.names()  # every section after it was still built
    doc = json.loads((tmp_path / "f.json").read_text())
    assert doc["failed"] == {"tiers": "KeyError: 'peak_assets'"} and doc["sections"]["tiers"]["status"] == "failed"
    with pytest.raises(SectionError, match="unknown section 'tier'; valid: about, actions, this_week, headline"):
        sections.build("tier", ctx)


@pytest.mark.slow
def test_what_several_sections_use_is_computed_once_per_context(tiny_bank, monkeypatch):
    calls = {"assign_tiers": 0, "gini": 0, "upgrade_candidates": 0}

    def counted(name, fn):
        def wrapper(*a, **k):
            calls[name] += 1
            return fn(*a, **k)

        return wrapper

    for name in calls:
        monkeypatch.setattr(context, name, counted(name, getattr(context, name)))
    fresh = context.load_context(tiny_bank, "B001", {"bootstrap": {"n_boot": 50}})
    context.write_headline(fresh, None)
    sections.build_all(fresh)
    # the branch's Gini with its interval and the bank's without: once each
    assert calls == {"assign_tiers": 1, "gini": 2, "upgrade_candidates": 1}
