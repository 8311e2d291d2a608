"""Run the branch jobs in worker processes, with a timeout and retries, a few at a time.

Each of the ``workers`` slots keeps one worker process (``python -m crmstudy.reports.pipeline.worker
--serve``) that renders branch after branch in one warm kernel (:mod:`.warm`), so that kernel start and
imports are paid once per slot rather than once per branch.  A branch over its timeout is killed with
its worker and kernel without touching the other slots (the slot starts a new worker for its next
branch), and one branch failing does not stop the rest.  ``warm=False`` runs each branch in a worker
process of its own (``worker JOB.json``), as the Dask executor does.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from ...atomic import write_text_atomic
from .cells import running_cell
from .results import BranchResult
from .worker import RESULT_MARK, read_result

#: Worker processes running now (their process groups are killed if the run is interrupted).
_RUNNING: set[subprocess.Popen] = set()
_RUNNING_LOCK = threading.Lock()
#: Set by :func:`kill_running`: a worker a runner thread starts after it (a race with the stop) is killed at once.
_STOPPING = threading.Event()


def run_jobs(
    jobs: list[dict],
    *,
    workers: int | None,
    timeout: float | None,
    retries: int,
    progress: bool,
    results: dict[str, BranchResult] | None = None,
    warm: bool = True,
) -> dict[str, BranchResult]:
    """Run every job, ``workers`` at a time (default one per core), each slot in one warm kernel.

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
    _STOPPING.clear()
    bar = _progress(len(jobs), progress and bool(jobs))
    n = max(1, min(workers or os.cpu_count() or 1, max(len(jobs), 1)))
    share_cores(n)
    pool = cf.ThreadPoolExecutor(max_workers=n)
    slots = _Slots() if warm else None

    def one(job):
        return run_branch(job, timeout=timeout, retries=retries, slot=slots.mine() if slots else None)

    try:
        with _StopSignals() as stop:
            pending = {pool.submit(one, job) for job in jobs}
            while pending:
                finished, pending = cf.wait(pending, timeout=_POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    record(fut.result(), results, bar)
                stop.raise_if_signalled()  # here, between waits: the branches that finished are in ``results``
    except BaseException:  # Ctrl-C, a full disk, a failure here: no queued branch starts, no worker outlives the run
        pool.shutdown(wait=False, cancel_futures=True)
        kill_running()
        bar.close()
        raise
    pool.shutdown(wait=True)
    if slots:
        slots.close()
    bar.close()
    return results


def record(res: BranchResult, results: dict[str, BranchResult], bar) -> None:
    """Put a finished branch in ``results``; a full disk or read-only file system stops the run (``OSError``)."""
    if res.environment:
        f = res.environment
        raise OSError(f["errno"], f["strerror"], f.get("filename") or str(Path(res.log).parents[1]))
    results[res.branch_id] = res
    bar.update(1)


#: How often the waiting loop looks for a Ctrl-C or SIGTERM noted by :class:`_StopSignals` (seconds).
_POLL_SECONDS = 0.2


class _StopSignals:
    """While branches run, Ctrl-C and SIGTERM are noted by their handler and acted on by the waiting loop.

    Python raises ``KeyboardInterrupt`` wherever the main thread happens to be, and that can be inside
    :mod:`concurrent.futures`' own locking (``as_completed`` holds every future's condition while it
    installs its waiter).  A future whose lock is left held is never completed, its pool thread never
    ends, and the interpreter waits for that thread at exit: the run then hung after Ctrl-C instead of
    stopping (seen under load in the fault tests).  So the handler only notes the signal, and
    :meth:`raise_if_signalled`, called between waits, raises what the signal's own handler raises
    (``KeyboardInterrupt``, or the command line's ``Terminated`` for SIGTERM).  Off the main thread,
    where signal handlers cannot be set, it does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.before: dict = {}
        self.received: int | None = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                if signal.getsignal(signum) in (signal.SIG_IGN, None):
                    continue  # ignored (``nohup``) or set outside Python: left as it is
                self.before[signum] = signal.signal(signum, self._note)
        return self

    def _note(self, signum, frame) -> None:
        if self.received is None:
            self.received = signum

    def raise_if_signalled(self) -> None:
        if self.received is None:
            return
        handler = self.before.get(self.received)
        if callable(handler):
            handler(self.received, None)  # raises: default_int_handler, or the CLI's SIGTERM handler
        raise KeyboardInterrupt  # a handler that did not raise (SIG_DFL, or one that returned)

    def __exit__(self, *exc) -> None:
        for signum, handler in self.before.items():
            signal.signal(signum, handler)
        self.before = {}


def kill_running() -> None:
    """Kill every running worker's process group (the worker and its kernel)."""
    with _RUNNING_LOCK:
        _STOPPING.set()
        procs = list(_RUNNING)
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def run_branch(job: dict, *, timeout: float | None, retries: int, slot: _Slot | None = None) -> BranchResult:
    """Run one branch's job in a worker process, again up to ``retries`` times while it fails.

    With a ``slot``, in its serving worker (started when it has none); else in a process of its own.
    """
    t0 = time.perf_counter()
    run_dir = Path(job["run_dir"])
    b = job["branch_id"]
    job_path = run_dir / "_work" / f"{b}.job.json"
    write_text_atomic(job_path, json.dumps(job, indent=2, default=str))
    log = run_dir / "logs" / f"{b}.log"
    error, result = "", None
    attempt = 0
    for attempt in range(1, retries + 2):  # noqa: B007 - the attempts made, reported below
        if slot is not None:
            result, error = slot.run(job_path, timeout, log=log)
        else:
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
    proc = _spawn_worker(str(job_path))
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


def _spawn_worker(arg: str, *, stdin=None) -> subprocess.Popen:
    """A branch worker (``python -m crmstudy.reports.pipeline.worker ARG``) in its own session.

    It is registered in :data:`_RUNNING`, so that an interrupted run stops it and its kernel.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmstudy.reports.pipeline.worker", arg],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=_worker_env(),
    )
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
        if _STOPPING.is_set():  # the run is stopping: this worker must not render
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    return proc


#: Threads each worker's numerical libraries may use: the cores shared out among the run's workers (set by
#: :func:`run_jobs`).  Two workers on two cores, each with OpenBLAS's default of a thread per core,
#: oversubscribe the machine, and OpenBLAS's spinning threads then make a small matrix product up to 90x
#: slower (the cross-sell fit on the tiny bank: 9.0 s with a thread per core, 1.5 s with one).
_THREADS: dict[str, int | None] = {"per_worker": None}

#: The environment variables that set those threads (OpenBLAS, OpenMP, MKL, numexpr); one the user set is kept.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def share_cores(workers: int) -> None:
    """Give each of ``workers`` worker processes its share of the cores for numerical threads."""
    _THREADS["per_worker"] = max(1, (os.cpu_count() or 1) // max(1, workers))


def _worker_env() -> dict:
    env = {**os.environ, "CRMSTUDY_RUNNER_PID": str(os.getpid())}  # the worker dies with this runner
    if _THREADS["per_worker"]:
        for name in THREAD_VARIABLES:
            env.setdefault(name, str(_THREADS["per_worker"]))
    return env


class _Slot:
    """One runner thread's serving worker (``worker --serve``): branch after branch in one warm kernel."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.err: deque = deque(maxlen=20)

    def _start(self) -> None:
        self.proc = proc = _spawn_worker("--serve", stdin=subprocess.PIPE)
        self.lines, self.err = queue.Queue(), deque(maxlen=20)
        lines, err = self.lines, self.err

        def pump_out():
            for raw in proc.stdout:
                lines.put(raw.decode(errors="replace"))
            lines.put(None)

        def pump_err():
            for raw in proc.stderr:
                if raw.strip():
                    err.append(raw.decode(errors="replace").rstrip())

        threading.Thread(target=pump_out, daemon=True).start()
        threading.Thread(target=pump_err, daemon=True).start()

    def run(self, job_path: Path, timeout: float | None, *, log: Path | None = None) -> tuple[dict | None, str]:
        """Hand one job to the worker and wait for its result; kill the worker (and kernel) on timeout.

        Same answer as :func:`run_worker`.
        """
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        try:
            self.proc.stdin.write(f"{job_path}\n".encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.close()
            self._start()
            self.proc.stdin.write(f"{job_path}\n".encode())
            self.proc.stdin.flush()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                line = self.lines.get(timeout=wait)
            except queue.Empty:
                self.close(kill=True)
                cell = running_cell(log) if log else ""
                return None, f"timed out after {timeout:g} s" + (f" in {cell}" if cell else "")
            if line is None:  # the worker died (killed, out of memory)
                code = self.proc.wait()
                tail = list(self.err)
                self.close()
                return None, f"worker exited with code {code}: {tail[-1] if tail else 'no message'}"
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :]), ""

    def close(self, *, kill: bool = False) -> None:
        """End the worker: at the end of its stdin (it shuts its kernel down), or killed with its group."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if not kill:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill = True
        if kill or proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        else:  # the worker is gone; a kernel it could not stop must not outlive it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)


class _Slots:
    """One :class:`_Slot` per runner thread."""

    def __init__(self):
        self._local = threading.local()
        self._all: list[_Slot] = []
        self._lock = threading.Lock()

    def mine(self) -> _Slot:
        slot = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = _Slot()
            with self._lock:
                self._all.append(slot)
        return slot

    def close(self) -> None:
        for slot in self._all:
            slot.close()


def _progress(total: int, enabled: bool):
    """A progress bar on stderr, only when stderr is a terminal (a scheduler's log gets no bar)."""
    from tqdm import tqdm

    return tqdm(total=total, desc="branches", unit="branch", disable=not (enabled and sys.stderr.isatty()))
