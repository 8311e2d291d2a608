"""Run the branch jobs: one worker process each, with a timeout and retries, a few at a time.

Each branch runs in its own process (``python -m crmstudy.reports.pipeline.worker JOB.json``), so that
a branch over its timeout is killed with its kernel without touching the others, and one branch failing
does not stop the rest.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ...atomic import write_text_atomic
from .cells import running_cell
from .results import BranchResult
from .worker import read_result

#: Worker processes running now (their process groups are killed if the run is interrupted).
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()


def run_jobs(
    jobs: list[dict],
    *,
    workers: int | None,
    timeout: float | None,
    retries: int,
    progress: bool,
    results: dict[str, BranchResult] | None = None,
) -> dict[str, BranchResult]:
    """Run every job, ``workers`` at a time (default one per core).

    Parameters
    ----------
    results : dict, optional
        Filled with each branch's result as it finishes, so that a caller interrupted half-way
        (Ctrl-C) still knows which branches rendered.

    Returns
    -------
    dict
        Branch id -> its :class:`BranchResult`.

    Raises
    ------
    OSError
        A branch met a full disk or a read-only file system: every branch would, so the run
        stops (no queued branch starts, running ones are killed) and the error names the path.
    """
    results = {} if results is None else results
    bar = _progress(len(jobs), progress and bool(jobs))
    n = max(1, min(workers or os.cpu_count() or 1, max(len(jobs), 1)))
    pool = cf.ThreadPoolExecutor(max_workers=n)
    try:
        futures = {pool.submit(run_branch, job, timeout=timeout, retries=retries): job["branch_id"] for job in jobs}
        for fut in cf.as_completed(futures):
            res = fut.result()
            if res.environment:
                f = res.environment
                raise OSError(f["errno"], f["strerror"], f.get("filename") or str(Path(res.log).parents[1]))
            results[res.branch_id] = res
            bar.update(1)
    except BaseException:  # Ctrl-C, a full disk, a failure here: no queued branch starts, no worker outlives the run
        pool.shutdown(wait=False, cancel_futures=True)
        kill_running()
        bar.close()
        raise
    pool.shutdown(wait=True)
    bar.close()
    return results


def kill_running() -> None:
    """Kill every running worker's process group (the worker and its kernel)."""
    with _RUNNING_LOCK:
        procs = list(_RUNNING)
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def run_branch(job: dict, *, timeout: float | None, retries: int) -> BranchResult:
    """Run one branch's job in a worker process, again up to ``retries`` times while it fails."""
    t0 = time.perf_counter()
    run_dir = Path(job["run_dir"])
    b = job["branch_id"]
    job_path = run_dir / "_work" / f"{b}.job.json"
    write_text_atomic(job_path, json.dumps(job, indent=2, default=str))
    log = run_dir / "logs" / f"{b}.log"
    error, result = "", None
    attempt = 0
    for attempt in range(1, retries + 2):  # noqa: B007 - the attempts made, reported below
        result, error = run_worker(job_path, timeout, log=log)
        if result and (result["status"] == "ok" or result.get("environment")):
            break  # a full disk is not retried: it stops the run
        error = (result or {}).get("error") or error
    res = BranchResult(
        b,
        "failed",
        time.perf_counter() - t0,
        str(log),
        attempts=attempt,
        error=error,
        cache_key=job["cache_key"],
        params_hash=job["params_hash"],
        executed_notebook=str(run_dir / "notebooks" / f"{b}.ipynb"),
    )
    if result:
        res.status = result["status"]
        res.files = result["files"]
        res.headline = result["headline"]
        res.error = (
            result.get("error", "") if res.status == "ok" else (result.get("error") or error)
        )  # ok: a failed section
        res.execute_seconds = result.get("execute_seconds", 0.0)
        res.render_seconds = result.get("render_seconds", 0.0)
        res.environment = result.get("environment")
    return res


def run_worker(job_path: Path, timeout: float | None, *, log: Path | None = None) -> tuple[dict | None, str]:
    """Run one worker process; kill it (and its kernel) on timeout.

    A branch killed for its timeout is reported with the cell its ``log`` shows running.

    Returns
    -------
    dict or None, str
        The worker's result (None when it wrote none), and why there is none.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmstudy.reports.pipeline.worker", str(job_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "CRMSTUDY_RUNNER_PID": str(os.getpid())},  # the worker dies with this runner
    )
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        cell = running_cell(log) if log else ""
        return None, f"timed out after {timeout:g} s" + (f" in {cell}" if cell else "")
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
    result = read_result(out.decode(errors="replace"))
    if result is not None:
        return result, ""
    tail = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    return None, f"worker exited with code {proc.returncode}: {tail[-1] if tail else 'no message'}"


def _progress(total: int, enabled: bool):
    """A progress bar on stderr, only when stderr is a terminal (a scheduler's log gets no bar)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="branches", unit="branch", disable=not (enabled and sys.stderr.isatty()))
