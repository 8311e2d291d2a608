"""Branches fanned out on a Dask cluster: the same reports, lock and atomic publish as local worker processes."""

from __future__ import annotations

import pytest

from crmstudy.errors import ParamsError
from crmstudy.reports.pipeline import verify

from .fast_runs import run_fast, statuses


@pytest.mark.slow
def test_a_local_dask_cluster_of_two_workers_renders_and_publishes_every_branch(bank, tmp_path, monkeypatch):
    pytest.importorskip("distributed", reason="--executor dask needs Dask distributed (pip install 'crmstudy[dask]')")
    monkeypatch.setenv("CRMSTUDY_TEST_FAIL", "B003")
    out = tmp_path / "out"
    summary = run_fast(bank, out, branches="all", executor="dask", workers=2, run_id="d1")
    assert statuses(summary) == {"B001": "ok", "B002": "ok", "B003": "failed"}
    assert "planted failure in B003" in summary.results[2].error, "a failing branch is reported as locally"
    checks = verify(out / "latest")
    assert checks and {state for _, state in checks} == {"ok"}
    assert {"B001.html", "B002.html"} <= {p.name for p in (out / "latest").iterdir()}
    assert not (out / "runs" / "d1" / "_work").exists(), "nothing unmasked left"


def test_an_unknown_executor_is_refused_before_anything_runs(bank, tmp_path):
    with pytest.raises(ParamsError, match="--executor 'spark'"):
        run_fast(bank, tmp_path / "out", executor="spark")
    assert not (tmp_path / "out").exists()
