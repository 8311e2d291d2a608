"""The association section: the group × product heat map, its reading and a masked cross-sell list."""

from __future__ import annotations

import re

from crmstudy import association as A
from crmstudy.reports.context import load_context
from crmstudy.reports.sections import association


def test_report_section_shows_heatmap_reading_and_a_masked_cross_sell_list(tiny_bank):
    ctx = load_context(tiny_bank, "B001", {"association": {"top_n": 10}})
    section = association.build(ctx)
    shown, out = section.bundles(), section.data
    kinds = [next(iter(b)) for b in shown]
    assert "image/png" in kinds
    readings = [b["text/markdown"] for b in shown if b.get("text/markdown", "").startswith(">")]
    assert len(readings) == 2 and "cells differ" in readings[0]
    assert len(out["cross_sell"]) == 10 and out["cross_sell"]["Customer"].str.fullmatch(r"C\*\*\*\d{4}").all()
    text = " ".join(b.get("text/markdown", "") + b.get("text/html", "") for b in shown)
    full_ids = set(re.findall(r"C\d{7}", text))
    assert not full_ids, f"unmasked customer ids in the report: {sorted(full_ids)[:3]}"
    assert set(out["association"].cells["customers"].groupby(out["association"].cells["product_id"]).sum()) == {
        int(ctx.features["customer_id"].isin(A.read_holding_matrix(tiny_bank, branch="B001").index).sum())
    }
    assert section.summary["cross_sell"] == 10 and section.sentences == [r.lstrip("> ") for r in readings]


def test_the_knobs_come_from_the_parameters(tiny_bank):
    strict = load_context(tiny_bank, "B001", {"association": {"alpha": 0.001, "correction": "holm", "top_n": 3}})
    section = association.build(strict)
    assert section.data["association"].alpha == 0.001 and section.data["association"].correction == "holm"
    assert len(section.data["cross_sell"]) == 3
