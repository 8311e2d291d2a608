"""Publishing into ``latest/``: a failed branch keeps its last good report, a killed run changes nothing."""

from __future__ import annotations

import json
import signal

import pytest

from crmstudy.cli import main
from crmstudy.errors import EXIT_SOME_FAILED

from .fast_runs import fast_argv, hold, run_fast, sha, start_cli, statuses, wait_until

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def test_a_failing_branch_keeps_its_last_good_report_marked_stale(bank, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    run_fast(bank, out, run_id="r1")
    good = sha(out / "latest" / "B002.html")
    monkeypatch.setenv("CRMSTUDY_TEST_FAIL", "B002")
    code = main(fast_argv(out, bank, "--run-id", "r2"))
    printed = capsys.readouterr().out
    assert code == EXIT_SOME_FAILED
    assert "cell" in printed and "RuntimeError: planted failure in B002" in printed
    assert sha(out / "latest" / "B002.html") == good, "latest keeps the last good report"
    index = (out / "latest" / "index.html").read_text()
    assert "stale since" in index
    manifest = json.loads((out / "latest" / "manifest.json").read_text())
    assert manifest["branches"]["B002"]["stale"] is True
    assert manifest["branches"]["B001"]["stale"] is False
    assert (out / "runs" / "r2" / "_work" / "B002.ipynb").exists(), "the failed notebook is kept"
    assert "planted failure" in (out / "runs" / "r2" / "logs" / "B002.log").read_text()


def test_kill_9_mid_run_leaves_latest_whole_and_the_lock_free(bank, tmp_path):
    out = tmp_path / "out"
    run_fast(bank, out, run_id="r1")
    before = {p.name: sha(p) for p in (out / "latest").iterdir()}
    ready, release = tmp_path / "ready", tmp_path / "release"
    victim = start_cli(out, bank, "--run-id", "r2", "--branches", "B001,B002", env=hold(ready, release))
    try:
        wait_until(ready.exists, victim, "a branch running")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        release.touch()  # the killed run's workers finish on their own, into its run folder only
    assert {p.name: sha(p) for p in (out / "latest").iterdir()} == before, "latest unchanged"
    assert not [p for p in (out / "latest").iterdir() if p.name.startswith(".")], "no partial files"
    after = run_fast(bank, out, run_id="r3", force=True)  # the lock is free without --wait
    assert set(statuses(after).values()) == {"ok"}


def test_keep_removes_old_runs(bank, tmp_path):
    out = tmp_path / "out"
    for i in range(3):
        run_fast(bank, out, run_id=f"r{i}", branches="B001", keep=2, force=True)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["r1", "r2"]
