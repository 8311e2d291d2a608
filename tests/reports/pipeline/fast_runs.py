"""Runs of the fast stand-in notebook (tests/fixtures/fast_report.ipynb), for the tests of the run machinery.

Environment variables reach the notebook's kernel: ``CRMSTUDY_TEST_SLEEP``
(seconds), ``CRMSTUDY_TEST_FAIL`` (branch ids that raise),
``CRMSTUDY_TEST_READY`` (a file the notebook writes once its branch runs, so
once its run holds the lock) and ``CRMSTUDY_TEST_RELEASE`` (a file the
notebook waits for before it finishes).  A test starts a run, waits for its
ready file and releases it when done: no fixed sleeps.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from crmstudy.reports.pipeline import run_reports

ROOT = Path(__file__).resolve().parents[3]
FAST = ROOT / "tests" / "fixtures" / "fast_report.ipynb"
#: Seconds a test waits for a run to reach a point before it fails.
DEADLINE = 120


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_fast(bank, out, **kw):
    """:func:`run_reports` of the fast notebook, in this process."""
    kw.setdefault("branches", "B001,B002")  # two branches show every behaviour, at half the cost
    kw.setdefault("notebook", FAST)
    kw.setdefault("engine", "builtin")
    kw.setdefault("progress", False)
    kw.setdefault("workers", 2)
    return run_reports(bank, out, **kw)


def statuses(summary) -> dict[str, str]:
    return {r.branch_id: r.status for r in summary.results}


def fast_argv(out, bank, *extra) -> list[str]:
    """The arguments of ``crmstudy report`` of the fast notebook (``--force``, no progress bar)."""
    return [
        "report",
        "--data",
        str(bank),
        "--out",
        str(out),
        "--notebook",
        str(FAST),
        "--engine",
        "builtin",
        "--no-progress",
        "--force",
        *extra,
    ]


def start_cli(out, bank, *extra, env=None) -> subprocess.Popen:
    """Start ``crmstudy report`` of the fast notebook in a child process (:func:`fast_argv`).

    It runs in ``out``'s parent folder, which holds no ``params/defaults.yaml``: the built-in defaults apply.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "crmstudy", *fast_argv(out, bank, *extra)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=Path(out).parent,
    )


def hold(ready: Path, release: Path | None = None) -> dict[str, str]:
    """Environment for a run whose branches write ``ready`` once they run, then wait for ``release``."""
    return {"CRMSTUDY_TEST_READY": str(ready), **({"CRMSTUDY_TEST_RELEASE": str(release)} if release else {})}


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen, what: str) -> None:
    """Poll ``condition`` until it holds; fail when ``proc`` exits first or :data:`DEADLINE` passes."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the run exited ({proc.returncode}) before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {DEADLINE} s")
        time.sleep(0.05)


def waiting_for_lock(pid: int) -> bool:
    """Whether process ``pid`` is blocked in ``flock``, queued behind a lock holder (Linux ``/proc/locks``)."""
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and "FLOCK" in line and str(pid) in line.split() for line in lines)
