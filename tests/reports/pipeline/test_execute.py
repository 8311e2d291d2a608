"""Each branch in its own process: a failing branch is recorded, one over its timeout is killed and retried.

The branch log records each cell's start and end; a timeout or a dead kernel names the cell that was running.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .fast_runs import run_fast

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def test_a_branch_over_its_timeout_is_killed_and_retried(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSTUDY_TEST_SLEEP", "60")
    summary = run_fast(bank, tmp_path / "out", branches="B001", timeout=4, retries=1, workers=1)
    r = summary.results[0]
    assert r.status == "failed" and "timed out after 4 s" in r.error, r.error
    assert r.attempts == 2


def test_a_branch_killed_for_its_timeout_is_reported_with_the_cell_that_was_running(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSTUDY_TEST_SLEEP", "120")
    summary = run_fast(bank, tmp_path / "out", branches="B001", timeout=25, workers=1)  # time for a kernel to start
    r = summary.results[0]
    assert r.status == "failed" and r.error == "timed out after 25 s in cell 4/4 (import json)", r.error


def test_a_branch_log_records_each_cells_start_and_end(bank, tmp_path):
    summary = run_fast(bank, tmp_path / "out", branches="B001", workers=1)
    log = Path(summary.results[0].log).read_text()
    for cell in (2, 3, 4):  # the code cells, after papermill's injected parameters (cell 3)
        assert re.search(rf"^\d\d:\d\d:\d\d cell {cell}/4 start: ", log, re.M), log
        assert re.search(rf"^\d\d:\d\d:\d\d cell {cell}/4 end \(\d+\.\d s\)$", log, re.M), log
    assert "cell 4/4 start: import json" in log


def test_a_cell_timeout_names_the_cell_in_the_error_and_the_log(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSTUDY_TEST_SLEEP", "60")
    summary = run_fast(bank, tmp_path / "out", branches="B001", workers=1, cell_timeout=3)
    r = summary.results[0]
    assert r.status == "failed" and r.error.startswith("cell 4/4 (import json): "), r.error
    assert "timed out" in r.error
    assert re.search(r"cell 4/4 failed after \d+\.\d s", Path(r.log).read_text())


def test_a_dead_kernel_names_the_cell_that_was_running(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSTUDY_TEST_DIE", "B001")
    summary = run_fast(bank, tmp_path / "out", branches="B001", workers=1)
    r = summary.results[0]
    assert r.status == "failed" and r.error.startswith("cell 4/4 (import json): DeadKernelError"), r.error


def test_the_kernel_talks_over_local_sockets_with_no_tcp_warning(bank, tmp_path, capfd):
    from crmstudy.reports.pipeline.worker import run_job

    from .fast_runs import FAST

    for sub in ("logs", "notebooks", "_work"):
        (tmp_path / sub).mkdir()
    job = {"branch_id": "B001", "branch_name": "B001", "run_dir": str(tmp_path), "data_dir": str(bank), "params": {}}
    job |= {"engine": "builtin", "formats": ["html"], "notebook": str(FAST), "cwd": str(tmp_path), "title": "t"}
    assert run_job(job)["status"] == "ok"
    assert "without encryption" not in capfd.readouterr().err, "the kernel's stderr (this process's) has no warning"


def test_each_worker_gets_its_share_of_the_cores_for_numerical_threads(monkeypatch):
    import os

    from crmstudy.reports.pipeline import execute

    for name in execute.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setitem(execute._THREADS, "per_worker", None)
    execute.share_cores(4)
    env = execute._worker_env()
    assert all(env[name] == "2" for name in execute.THREAD_VARIABLES), "8 cores among 4 workers: 2 threads each"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert execute._worker_env()["OPENBLAS_NUM_THREADS"] == "3", "a value the user set is kept"


async def _started_kernel():
    from crmstudy.reports.pipeline.cells import _ipc_kernel_manager

    km = _ipc_kernel_manager()(kernel_name="python3")
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return km, kc


def test_an_idle_kernel_is_shut_down_without_an_interrupt(monkeypatch):
    # the interrupt jupyter_client sends first printed "KeyboardInterrupt caught in kernel." on the console
    # whenever it reached a kernel inside a message handler
    import asyncio

    sent = []

    async def scenario():
        km, kc = await _started_kernel()
        signal_kernel = type(km)._async_signal_kernel

        async def record(self, signum):
            sent.append(signum)
            await signal_kernel(self, signum)

        monkeypatch.setattr(type(km), "_async_signal_kernel", record)
        await kc.execute_interactive("x = 1", timeout=30)
        kc.stop_channels()
        await km.shutdown_kernel()
        return await km.is_alive()

    assert not asyncio.run(scenario()) and sent == [], sent


def test_a_kernel_busy_in_a_cell_still_ends_at_shutdown():
    import asyncio
    import time

    async def scenario():
        km, kc = await _started_kernel()
        kc.execute("import time; time.sleep(600)")
        await asyncio.sleep(1)
        t0 = time.perf_counter()
        kc.stop_channels()
        await km.shutdown_kernel()
        return await km.is_alive(), time.perf_counter() - t0

    alive, seconds = asyncio.run(scenario())
    assert not alive and seconds < 10, seconds
