"""The association section: the group × product heat map, its reading, a masked cross-sell list and its check.

The list is said to beat popularity only when the interval of the gain excludes 0 (never on the null bank)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from crmstudy import association as A
from crmstudy.reports.context import load_context
from crmstudy.reports.sections import _offers, association


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

MODEL = "in brackets the chance of opening the product within 4 months"
BASELINE = "This is the simple baseline, offered because the take-up model did not beat it"


@pytest.mark.parametrize("branch", ["B001", "B002", "B003"])
def test_on_the_null_bank_the_list_is_the_labelled_baseline(tiny_null_bank, branch):
    section = association.build(load_context(tiny_null_bank, branch))
    ev, summary = section.data["evaluation"], section.summary
    assert ev is None or ev.gain_low <= 0
    assert not summary["beats_baseline"] and summary["status"] in ("no_finding", "not_applicable")
    assert summary["offered_by"] == "baseline"
    assert "the list shows the baseline" in section.sentences[-1]
    (caption,) = [b.text for b in section.blocks if b.kind == "table"]
    assert BASELINE in caption and MODEL not in caption


def test_the_reading_gives_the_hold_out_as_computed(tiny_bank):
    section = association.build(load_context(tiny_bank, "B002"))
    ev, summary = section.data["evaluation"], section.summary
    assert ev is not None and ev.ci == 0.95 and ev.cuts == ("2025-04-30", "2025-08-31", "2025-12-31")
    assert (summary["gain"], summary["gain_low"], summary["gain_high"]) == (ev.gain, ev.gain_low, ev.gain_high)
    points = lambda x: f"{100 * x:.1f}"  # noqa: E731
    text = section.sentences[-1]
    assert f"the {ev.n_test:,} customers who opened one" in text
    assert f"(95% interval {points(ev.gain_low)} to {points(ev.gain_high)}" in text
    assert summary["offered_by"] == ("model" if ev.beats_baseline else "baseline")
    assert summary["total"] > summary["listed"] == 20  # customers with an offer, and those listed
    (caption,) = [b.text for b in section.blocks if b.kind == "table"]
    assert caption.startswith(f"Top 20 of {summary['total']:,} customers with an offer")
    offers = section.data["offers"]
    ctx = section_ctx(tiny_bank)
    ctx_tiers = dict(zip(ctx.features["customer_id"], ctx.tiers, strict=True))
    key = offers[offers["customer_id"].map(ctx_tiers) == "key"]
    assert not set(key["product_id"]) & {"MOBILE_BANKING", "UTILITY_PAY", "PAYROLL"}


def section_ctx(bank):
    return load_context(bank, "B002")


@pytest.mark.parametrize(
    "low, high, beats, words",
    [
        (0.004, 0.02, True, "(95% interval 0.4 to 2.0)"),
        (-0.002, 0.02, False, "which includes 0"),
        (-0.03, -0.01, False, "below 0). The simple baseline does better"),
    ],
)
def test_the_model_is_offered_only_when_the_whole_interval_is_above_zero(low, high, beats, words):
    ev = A.PropensityEvaluation(
        k=3,
        n_test=500,
        hit_model=0.77,
        hit_popularity=0.75,
        hit_group=0.76,
        gain_low=low,
        gain_high=high,
        popularity_low=0.01,
        popularity_high=0.03,
        auc_model=0.87,
        auc_popularity=0.8,
        auc_group=0.85,
        predicted=0.026,
        observed=0.025,
        slope=1.1,
        cuts=("2025-04-30", "2025-08-31", "2025-12-31"),
    )
    text = _offers.reading(ev, 4, "en")
    assert ev.beats_baseline == beats and words in text
    assert ("the list shows the baseline" in text) == (not beats)
    assert "holdings on 2025-08-31" in text and "of the 500 customers who opened one" in text
    assert _offers.reading(ev, 4, "zh").startswith("在全行的时间留出检验中")


def test_in_a_report_run_a_branch_reads_the_judgement_the_shared_step_made_and_judges_nothing_itself(
    tiny_bank, tmp_path, monkeypatch
):
    # a warm kernel clears the package's caches between branches: without the run's copy every branch
    # re-judged the cross-sell models of the whole bank (~30 s a branch on the demo bank)
    import dataclasses

    from crmstudy.association import propensity

    ctx = load_context(tiny_bank, "B001")
    work = tmp_path / "_work"
    _offers.judge_for_run(ctx.bank, ctx.period.end, ctx.params.association, work)
    in_run = dataclasses.replace(ctx, scores_path=str(work / "footprint_period" / "B001.pkl"))
    assert _offers.work_dir(in_run) == work

    def judge_again(*args):
        raise AssertionError("the branch judged the bank's models again")

    monkeypatch.setattr(propensity, "_bank_judgement", judge_again)
    offers = _offers.branch_offers(in_run)
    assert len(offers["offers"]) > 0


@pytest.fixture(scope="module")
def ages_missing(tiny_bank, tmp_path_factory):
    from tests.bank_cases import copy_with_missing_ages

    return copy_with_missing_ages(tiny_bank, tmp_path_factory.mktemp("ages") / "bank", branch="B002")


def test_in_a_report_run_every_branchs_offers_are_read_from_one_pass_and_equal_its_offers_alone(ages_missing, tmp_path):
    # the shared step scores the whole bank once (on a million customers ~15 s a branch saved); a branch
    # reads its rows, which must be what it computes alone, also where ages are missing (B002: all of them)
    import dataclasses

    from crmstudy.reports.pipeline.shared import shared_slices

    bank = ages_missing
    work = tmp_path / "_work"
    first = load_context(bank, "B001")
    features, _ = shared_slices(
        first.bank, str(first.period.start), str(first.period.end), str(work), ["B001", "B002"], scores=False
    )
    _offers.judge_for_run(first.bank, first.period.end, first.params.association, work, features)
    file = _offers.offers_file(work, first.bank, first.period.end, first.params.association)
    assert file.exists()
    for branch in ("B001", "B002"):
        ctx = load_context(bank, branch, features_path=features)
        in_run = dataclasses.replace(ctx, scores_path=str(work / "footprint_period" / f"{branch}.pkl"))
        alone, read = _offers.branch_offers(ctx), _offers.branch_offers(in_run)
        assert len(read["offers"]) > 0 and read["model_used"] == alone["model_used"]
        pd.testing.assert_frame_equal(read["offers"], alone["offers"], check_exact=False, rtol=1e-12)
    # the file holds every branch's customers, and only customers the features place in a branch
    table = pd.read_parquet(file, columns=["customer_id", "branch_id"])
    placed = pd.read_parquet(features, columns=["customer_id", "branch_id"]).set_index("customer_id")["branch_id"]
    assert set(table["branch_id"]) == set(first.bank.branch_ids)
    assert (table["branch_id"].to_numpy() == placed.reindex(table["customer_id"]).to_numpy()).all()
