"""The association section: the group × product heat map, its reading, a masked cross-sell list and its check.

The list is said to beat popularity only when the interval of the gain excludes 0 (never on the null bank)."""

from __future__ import annotations

import re

import pytest

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


# --- the cross-sell claim against its baseline --------------------------------------------------

BEATS = "give each owner their list"


@pytest.mark.parametrize("branch", ["B001", "B002", "B003"])
def test_on_the_null_bank_the_list_is_never_said_to_beat_popularity(tiny_null_bank, branch):
    section = association.build(load_context(tiny_null_bank, branch))
    ev, summary = section.data["evaluation"], section.summary
    assert ev is not None and ev.gain_low <= 0 <= ev.gain_high
    assert not summary["beats_baseline"] and summary["status"] == "no_finding"
    assert not any(BEATS in s for s in section.sentences), section.sentences
    assert "does not beat this simple baseline" in section.sentences[-1]
    (caption,) = [b.text for b in section.blocks if b.kind == "table"]
    assert caption.endswith("Not shown to beat offering everyone the most popular products.")


def test_the_reading_gives_the_gain_and_its_interval_as_computed(tiny_bank):
    section = association.build(load_context(tiny_bank, "B002"))
    ev, summary = section.data["evaluation"], section.summary
    assert (summary["gain"], summary["gain_low"], summary["gain_high"]) == (
        ev.recall_difference,
        ev.gain_low,
        ev.gain_high,
    )
    assert ev.n_boot == 2000 and ev.ci == 0.95
    points = lambda x: f"{100 * x:.1f}"  # noqa: E731
    assert (
        f"Checked on customers with one product hidden ({ev.n_test} of them)" in section.sentences[-1]
        and f"a gain of {points(ev.recall_difference)} points "
        f"(95% interval {points(ev.gain_low)} to {points(ev.gain_high)}, which includes no gain)"
        in section.sentences[-1]
    )
    assert summary["total"] > summary["listed"] == 20  # customers with an offer, and those listed
    (caption,) = [b.text for b in section.blocks if b.kind == "table"]
    assert caption.startswith(f"Top 20 of {summary['total']} customers with an offer")


@pytest.mark.parametrize(
    "low, high, words",
    [
        (0.01, 0.09, "(95% interval 1.0 to 9.0, above zero), so give each owner their list."),
        (-0.02, 0.09, "which includes no gain), so the list does not beat this simple baseline"),
        (-0.09, -0.01, "below zero), so popularity does better here"),
    ],
)
def test_the_list_beats_popularity_only_when_the_whole_interval_is_above_zero(low, high, words):
    ev = A.NextBestEvaluation(
        k=3,
        n_test=500,
        recall_at_k=0.55,
        precision_at_k=0.55 / 3,
        baseline_recall_at_k=0.5,
        baseline_precision_at_k=0.5 / 3,
        gain_low=low,
        gain_high=high,
        n_boot=2000,
    )
    text = association._evaluation_reading(ev, "en")
    assert words in text and "Checked on customers with one product hidden (500 of them)" in text
    assert (BEATS in text) == (low > 0)
    assert association._evaluation_reading(ev, "zh").startswith("回测检验：对500位")
