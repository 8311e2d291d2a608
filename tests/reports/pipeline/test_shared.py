"""The run's shared work computes what the notebook reads, and nothing more."""

from __future__ import annotations

import pytest

from crmstudy.bank import Bank
from crmstudy.params import ReportParams
from crmstudy.reports.pipeline.plan import DEFAULT_NOTEBOOK, _check_notebook
from crmstudy.reports.pipeline.shared import REPORT_INPUTS, attach_shared

from .fast_runs import FAST


def shared_for(bank_dir, run_dir, wants):
    bank = Bank.open(bank_dir)
    jobs = [{"branch_id": b} for b in ("B001", "B002")]
    params = {j["branch_id"]: ReportParams() for j in jobs}
    (run_dir / "_work").mkdir(parents=True)
    attach_shared(jobs, bank, params, run_dir, "f" * 16, wants=wants)
    return jobs, sorted(p.name for p in (run_dir / "_work").iterdir())


def test_the_branch_report_declares_every_shared_input_and_the_stand_in_only_the_features():
    assert _check_notebook(DEFAULT_NOTEBOOK) >= REPORT_INPUTS
    assert _check_notebook(FAST) & REPORT_INPUTS == {"features_path"}


def test_a_notebook_that_reads_no_shared_input_gets_none_computed(tiny_bank, tmp_path):
    jobs, files = shared_for(tiny_bank, tmp_path, frozenset({"data_dir", "branch_id"}))
    assert all("features_path" not in j and "scores_path" not in j and "standing" not in j for j in jobs)
    assert not any(f.startswith(("features_", "footprint_")) for f in files)
    assert all(j["data_fingerprint"] == "f" * 16 for j in jobs), "every job still knows its data"


def test_a_notebook_that_reads_the_features_gets_them_and_no_scorecards(tiny_bank, tmp_path):
    jobs, files = shared_for(tiny_bank, tmp_path, frozenset({"features_path"}))
    assert [f for f in files if f.startswith("features_")] and not [f for f in files if f.startswith("footprint_")]
    assert all(j["features_path"].endswith(".parquet") and "scores_path" not in j for j in jobs)
    assert all("standing" not in j for j in jobs)


@pytest.mark.slow
def test_the_branch_report_gets_features_scores_and_standing(tiny_bank, tmp_path):
    jobs, files = shared_for(tiny_bank, tmp_path, REPORT_INPUTS)
    assert [f for f in files if f.startswith("footprint_")]
    assert all(j["scores_path"].endswith(f"{j['branch_id']}.pkl") for j in jobs)
    assert all(j["standing"]["ranks"] for j in jobs)
