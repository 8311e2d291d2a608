"""A report run, step by step: plan, lock, shared work, branches, publishing (see :mod:`crmstudy.reports.pipeline`)."""

from __future__ import annotations

import functools
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from .execute import run_jobs
from .lock import run_lock
from .manifest import read_manifest
from .plan import DEFAULT_NOTEBOOK, check_run_options, on_disk, plan_jobs, plan_run
from .publish import prune_runs, publish_run
from .results import RunSummary
from .shared import attach_previous, attach_shared, remove_leftovers, remove_unmasked


def run_reports(
    data_dir,
    out_dir,
    *,
    branches="all",
    workers: int | None = None,
    params_file=None,
    engine: str = "auto",
    formats=("html",),
    notebook=None,
    run_id: str | None = None,
    progress: bool = True,
    timeout: float | None = None,
    retries: int = 0,
    cell_timeout: int | None = None,
    force: bool = False,
    wait: bool = False,
    keep: int | None = None,
    title: str | None = None,
    language: str | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> RunSummary:
    """Render one report per branch, publish good ones to ``latest/``, write the index.

    Parameters
    ----------
    data_dir : path
        A bank folder (``crmstudy synth`` output or the user's own files).
    out_dir : path
        Reports folder: ``runs/<run_id>/`` and ``latest/`` go inside.
    branches : "all" or list of str or comma-separated str
    workers : int, optional
        Parallel branches; default one per core.
    params_file : path, optional
        Defaults YAML; per-branch overrides in ``branches/`` beside it.
    engine : {"auto", "builtin", "quarto"}
    formats : iterable of {"html", "pdf"}
    notebook : path, optional
        The report notebook; by default the package's own (:data:`~.plan.DEFAULT_NOTEBOOK`).
    timeout : float, optional
        Seconds allowed per branch (execution and rendering); the branch's
        process is killed when it runs over.
    retries : int
        Extra attempts for a failed branch.
    force : bool
        Render even when a branch's cache key is unchanged.
    wait : bool
        Wait for another run on ``out_dir`` to finish instead of refusing.
    keep : int, optional
        Keep only the newest ``keep`` run folders.
    title : str, optional
        Title of the reports and the index; by default "Branch report" in each
        report's language.
    language : {"en", "zh"}, optional
        Language of every report and of the index page (``crmstudy report --lang``), over
        the parameter files; by default the index follows the defaults file
        (``language:`` in ``params_file``) and each report its own branch's ``language``.
    executor : {"local", "dask"}
        Where branches run: worker processes of this machine, or tasks on a Dask cluster
        (:mod:`.dask_executor`); planning, the lock and publishing stay here either way.
    scheduler : str, optional
        With ``executor="dask"``: the address of a running Dask scheduler; by default a local
        cluster of ``workers`` processes is started for the run.

    Returns
    -------
    RunSummary

    Raises
    ------
    RunLockedError
        Another run holds ``out_dir`` and ``wait`` is false.
    """
    t0 = time.perf_counter()
    check_run_options(out_dir, run_id=run_id, timeout=timeout, retries=retries, keep=keep, executor=executor)
    with on_disk(notebook, DEFAULT_NOTEBOOK) as nb:
        plan = plan_run(
            data_dir,
            branches=branches,
            params_file=params_file,
            engine=engine,
            formats=formats,
            notebook=nb,
            title=title,
            language=language,
            cell_timeout=cell_timeout,
        )
        out_dir = Path(out_dir).resolve()
        with run_lock(out_dir, wait=wait):
            run_id = run_id or datetime.now().strftime("%Y%m%d-%H%M%S")
            latest = out_dir / "latest"
            previous = read_manifest(latest)  # refused before any folder is made when corrupt
            # the snapshot latest points to now: the source of every report this run does not render
            previous_dir = latest.resolve() if previous else None
            remove_leftovers(out_dir)  # of a run that was killed: work folders, half-written files
            run_dir = _make_folders(out_dir, run_id)
            try:
                published = (latest, previous, previous_dir)
                runner = functools.partial(
                    _executor(executor, scheduler), workers=workers, timeout=timeout, retries=retries
                )
                summary = _run(plan, run_dir, published, run_id, t0, force, runner, progress)
            except BaseException:
                remove_unmasked(run_dir / "_work")
                _remove_if_empty(run_dir)  # refused before any branch ran: no empty run counting toward --keep
                raise
            finally:  # every exit path, Ctrl-C and errors included: nothing unmasked outlives the run
                remove_unmasked(run_dir / "_work")
            if keep:
                prune_runs(out_dir, keep=keep, protect=run_id)
    summary.seconds = time.perf_counter() - t0  # the whole run, pruning included
    return summary


def _run(
    plan,
    run_dir: Path,
    published: tuple[Path, dict, Path | None],
    run_id: str,
    t0: float,
    force,
    runner,
    progress,
) -> RunSummary:
    """The run inside its lock and folders: plan the jobs, shared work, branches, publishing.

    Ctrl-C stops the branches; those that had rendered are still published (in one switch of
    ``latest``), the others keep their last report.  ``published`` is ``latest``, its manifest and
    the snapshot it pointed to when the run started.
    """
    latest, previous, previous_dir = published
    results, jobs = plan_jobs(plan, run_dir, previous_dir or latest, previous, force=force)
    t_shared = time.perf_counter()
    attach_shared(jobs, plan.bank, plan.params, run_dir, plan.fingerprint, wants=plan.inputs)
    if "previous_report" in plan.inputs:
        attach_previous(jobs, previous_dir)  # read before publishing: "since the last report"
    shared_seconds = time.perf_counter() - t_shared
    done: dict = {}
    try:
        runner(jobs, progress=progress, results=done)
    except KeyboardInterrupt:
        results |= done
        if any(r.status == "ok" for r in done.values()):
            _publish(plan, run_dir, latest, previous, previous_dir, run_id, t0, shared_seconds, results)
        raise
    results |= done
    return _publish(plan, run_dir, latest, previous, previous_dir, run_id, t0, shared_seconds, results)


def _publish(plan, run_dir, latest, previous, previous_dir, run_id, t0, shared_seconds, results) -> RunSummary:
    remove_unmasked(run_dir / "_work")
    branches = [results[b] for b in plan.branch_ids if b in results]
    summary = RunSummary(run_id, run_dir, latest, plan.engine, branches, time.perf_counter() - t0, shared_seconds)
    publish_run(summary, plan, previous, previous_dir)
    return summary


def _executor(name: str, scheduler: str | None):
    """The function that runs the branch jobs: :func:`.run_jobs` here, or on Dask."""
    if name == "dask":
        from .dask_executor import run_jobs_dask

        return functools.partial(run_jobs_dask, scheduler=scheduler)
    return run_jobs


def _remove_if_empty(run_dir: Path) -> None:
    """Remove a run folder that holds no file at all (only its empty ``logs/``, ``notebooks/`` and ``_work/``)."""
    if run_dir.is_dir() and not any(p.is_file() for p in run_dir.rglob("*")):
        shutil.rmtree(run_dir, ignore_errors=True)


def _make_folders(out_dir: Path, run_id: str) -> Path:
    """Make ``runs/<run_id>/`` with ``logs/``, ``notebooks/`` and the private ``_work/``; return it."""
    run_dir = out_dir / "runs" / run_id
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    (run_dir / "notebooks").mkdir(exist_ok=True)
    (run_dir / "_work").mkdir(mode=0o700, exist_ok=True)  # unmasked work files: the owner only
    os.chmod(run_dir / "_work", 0o700)  # whatever the umask
    return run_dir
