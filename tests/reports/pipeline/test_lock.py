"""One run at a time per output folder: a second run is refused in one line, or queues with ``--wait``.

A run is held mid-branch (its notebook writes a ready file, then waits for a
release file), so each test knows the first run holds the lock before it
starts the second: no fixed sleeps.
"""

from __future__ import annotations

import pytest

from crmstudy.errors import EXIT_LOCKED, EXIT_OK

from .fast_runs import DEADLINE, hold, start_cli, wait_until, waiting_for_lock

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def test_two_runs_started_together_give_one_run_and_one_clean_refusal(bank, tmp_path):
    out = tmp_path / "out"
    ready, release = tmp_path / "ready", tmp_path / "release"
    a = start_cli(out, bank, "--branches", "B001", env=hold(ready, release))
    try:
        wait_until(ready.exists, a, "the first run's branch running")
        b = start_cli(out, bank, "--branches", "B001")
        _, err = b.communicate(timeout=DEADLINE)
    finally:
        release.touch()
    assert [a.wait(timeout=DEADLINE), b.returncode] == [EXIT_OK, EXIT_LOCKED]
    err = err.strip()
    assert "\n" not in err and "another report run" in err and "--wait" in err


def test_wait_queues_behind_a_running_run(bank, tmp_path):
    out = tmp_path / "out"
    ready_a, ready_b, release = tmp_path / "ready_a", tmp_path / "ready_b", tmp_path / "release"
    a = start_cli(out, bank, "--branches", "B001", env=hold(ready_a, release))
    try:
        wait_until(ready_a.exists, a, "the first run's branch running")
        b = start_cli(out, bank, "--branches", "B001", "--wait", env=hold(ready_b))
        wait_until(lambda: waiting_for_lock(b.pid), b, "the second run queued on the lock")
        assert not ready_b.exists(), "the second run waits"
    finally:
        release.touch()
    assert [a.wait(timeout=DEADLINE), b.wait(timeout=DEADLINE)] == [EXIT_OK, EXIT_OK]
    assert ready_b.exists(), "then runs"
