"""Branch rendering fanned out on a Dask cluster (``--executor dask``), for a bank that outgrows one machine.

Why Dask distributed: it installs with pip (``pip install 'crmstudy[dask]'``), runs the same Python
functions with nothing else to operate (no JVM as Spark needs, no separate service as Ray's or
Airflow's), has a :class:`~distributed.LocalCluster` that the tests start in-process, and scales to
a real cluster by naming its scheduler (``--scheduler tcp://host:8786``), which Kubernetes, YARN,
SLURM and cloud deployments of Dask all provide.

What is distributed is exactly what the local executor runs per branch:
:func:`~crmstudy.reports.pipeline.execute.run_branch` — one worker process per branch, killed with
its kernel past ``--timeout``, retried, dying with whoever started it.  Planning, the lock, the
shared step and publishing stay in the runner, so the guarantees are the same: one run at a time per
output folder, ``latest`` switched once in one atomic step, nothing unmasked left after the run.
On a multi-machine cluster the bank, the output folder and crmstudy's environment must be the same
paths on every worker (a shared file system), as they are for the run's own processes.
"""

from __future__ import annotations

import contextlib

from ...errors import CrmStudyError
from .execute import record, run_branch
from .results import BranchResult


def _branch_task(job: dict, timeout: float | None, retries: int) -> BranchResult:
    """One branch on a Dask worker: exactly the local executor's :func:`.run_branch`."""
    return run_branch(job, timeout=timeout, retries=retries)


def run_jobs_dask(
    jobs: list[dict],
    *,
    workers: int | None,
    timeout: float | None,
    retries: int,
    progress: bool,
    results: dict[str, BranchResult],
    scheduler: str | None = None,
) -> dict[str, BranchResult]:
    """Run every job on a Dask cluster: the one at ``scheduler``, or a local one of ``workers`` processes.

    Same contract as :func:`~crmstudy.reports.pipeline.execute.run_jobs`: ``results`` is filled as
    branches finish; a full disk stops the run with an ``OSError`` naming the path; on any
    interruption the branches not yet finished are cancelled (a local cluster is shut down, and its
    worker processes take their branch processes with them).
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise CrmStudyError(
            "--executor dask needs Dask distributed: pip install 'crmstudy[dask]'; --executor local needs nothing"
        ) from None
    from .execute import _progress

    cluster = None
    with contextlib.ExitStack() as stack:
        if scheduler:
            try:
                client = stack.enter_context(Client(scheduler, timeout="30s"))
            except OSError as e:
                raise CrmStudyError(f"--scheduler {scheduler}: no Dask scheduler answers there ({e})") from None
        else:
            n = max(1, min(workers or 2, max(len(jobs), 1)))
            # one thread per worker process: each runs one branch (itself a process) at a time
            cluster = stack.enter_context(
                LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
            )
            client = stack.enter_context(Client(cluster))
        bar = stack.enter_context(_progress(len(jobs), progress and bool(jobs)))
        futures = [
            # timeout and retries positionally: submit's own ``retries`` would re-run a task dask thinks failed
            client.submit(_branch_task, job, timeout, retries, key=f"branch-{b}", pure=False)
            for b, job in ((job["branch_id"], job) for job in jobs)
        ]
        try:
            for fut in as_completed(futures):
                record(fut.result(), results, bar)
        except BaseException:
            client.cancel(futures)
            raise
    return results
