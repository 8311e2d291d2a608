"""Each branch in its own process: a failing branch is recorded, one over its timeout is killed and retried."""

from __future__ import annotations

import pytest

from .fast_runs import run_fast

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def test_a_branch_over_its_timeout_is_killed_and_retried(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSTUDY_TEST_SLEEP", "60")
    summary = run_fast(bank, tmp_path / "out", branches="B001", timeout=4, retries=1, workers=1)
    r = summary.results[0]
    assert r.status == "failed" and "timed out after 4 s" in r.error
    assert r.attempts == 2
