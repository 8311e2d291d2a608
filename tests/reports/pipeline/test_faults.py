"""Faults during a run: a killed or interrupted runner leaves no worker, nothing unmasked, a latest/ that verifies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmstudy.reports.pipeline import verify

from .fast_runs import DEADLINE, hold, run_fast, start_cli, statuses, wait_until

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def processes_holding(marker: str) -> list[int]:
    """Pids of processes whose environment holds ``marker`` (the run's workers and their kernels)."""
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in env.read_bytes():
                found.append(int(env.parent.name))
        except OSError:  # gone, or not ours
            continue
    return found


def wait_gone(marker: str) -> list[int]:
    deadline = time.monotonic() + DEADLINE
    while (left := processes_holding(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def unmasked(out: Path) -> list[Path]:
    return [*out.glob("runs/*/_work/features_*"), *out.glob("runs/*/_work/footprint_*")]


def test_kill_9_of_the_runner_takes_its_workers_and_kernels_with_it(bank, tmp_path, first_run):
    out = tmp_path / "out"
    first_run(out)
    ready, release = tmp_path / "ready-kill", tmp_path / "release-kill"  # never released: only death ends them
    victim = start_cli(out, bank, "--run-id", "r2", env=hold(ready, release))
    wait_until(ready.exists, victim, "a branch running")
    assert processes_holding(str(ready)), "the held branch's processes are found by the marker"
    assert (out / "runs" / "r2" / "_work").stat().st_mode & 0o077 == 0, "work files are the owner's only"
    assert unmasked(out), "the running run holds its unmasked features (what must not outlive it)"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert wait_gone(str(ready)) == [], "a worker or kernel outlived the killed runner"
    assert all(state == "ok" for _, state in verify(out / "latest"))
    after = run_fast(bank, out, run_id="r3", force=True)  # the lock is free; the dead run's leftovers go
    assert set(statuses(after).values()) == {"ok"}
    assert unmasked(out) == [], "the killed run's unmasked features are removed by the next run"
    assert leftovers(out) == [], "and its work folder and temporary files"


@pytest.mark.parametrize(
    "sig,code,word",
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_or_sigterm_stops_the_run_in_one_line_with_nothing_unmasked_and_no_worker_left(
    sig, code, word, bank, tmp_path
):
    """Ctrl-C, or a scheduler's stop (systemd, ``timeout``, Airflow send SIGTERM), stops the run cleanly."""
    out = tmp_path / "out"
    ready, release = tmp_path / f"ready-{word}", tmp_path / f"release-{word}"
    victim = start_cli(out, bank, "--run-id", "r1", "--workers", "1", env=hold(ready, release))
    wait_until(ready.exists, victim, "a branch running")
    assert unmasked(out), "the running run holds its unmasked features (what must not outlive it)"
    victim.send_signal(sig)
    # 120 s: once, under the CI's two busy workers, the Ctrl-C case had not ended after 60 s (it
    # ends in about 3 s alone; cause not found at that stop), so the bound is kept loose
    _, err = victim.communicate(timeout=120)
    assert victim.returncode == code, err
    assert err.strip().splitlines()[-1].startswith(f"crmstudy: {word}") and "Traceback" not in err
    assert wait_gone(str(ready)) == []
    assert unmasked(out) == [] and not (out / "runs" / "r1" / "_work").exists(), "the private work folder is gone"


def leftovers(out: Path) -> list[Path]:
    """Temporary files, partial snapshots, next links and work folders: what no finished run may leave."""
    return [p for p in out.rglob("*") if p.name.startswith(".") and p.name != ".lock"] + list(out.glob("runs/*/_work"))


def test_a_full_disk_stops_the_run_in_one_line_exit_4_and_latest_still_verifies(bank, tmp_path, small_disk, first_run):
    from crmstudy.errors import EXIT_ENVIRONMENT
    from tests.conftest import fill

    from .fast_runs import fast_argv

    out = small_disk("8m") / "out"
    first_run(out, branches="B001")
    before = sorted(verify(out / "latest"))
    fill(out.parent)
    done = subprocess.run(
        [sys.executable, "-m", "crmstudy", *fast_argv(out, bank, "--run-id", "r2", "--branches", "B001")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    err = done.stderr.strip().splitlines()
    assert done.returncode == EXIT_ENVIRONMENT, done.stderr
    assert len(err) == 1 and err[0].startswith("crmstudy: environment: ") and str(out) in err[0], done.stderr
    assert "No space left on device" in err[0]
    assert sorted(verify(out / "latest")) == before and {s for _, s in before} == {"ok"}
    assert leftovers(out) == [], "no temporary file, no work folder (nothing unmasked) on the full disk"
