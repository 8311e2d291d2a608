"""Fan a parameterized notebook out over branches: execute, render, publish.

Safe to hand to cron, a systemd timer or Airflow:

* one run at a time per output folder (a lock; a second run exits at once
  with :data:`~crmstudy.errors.EXIT_LOCKED`, or waits with ``wait=True``); the
  lock is an ``flock`` held by the running process, so the kernel releases it
  when a run is killed and the next run simply takes it;
* each branch runs in its own process with a timeout and retries; one branch
  failing does not stop the others;
* every run writes into its own folder, and ``latest/`` switches a branch to
  its new report only once it has rendered completely (copy to a temporary
  name, then an atomic rename); a branch that fails keeps its last good report, marked stale on the
  index page;
* a branch is rendered again only when its cache key changes: notebook
  content, the branch's resolved parameters, data fingerprint, crmstudy
  version, render engine and formats (``force=True`` renders anyway).

Layout of ``out``::

    out/runs/<run_id>/<branch>.html     this run's reports (and .pdf, .findings.json)
    out/runs/<run_id>/manifest.json     status, hashes, durations, logs per branch
    out/runs/<run_id>/logs/             one log per branch: each cell's start and end
    out/runs/<run_id>/notebooks/        the executed notebooks
    out/runs/<run_id>/_work/            private (0700), only while the run lasts: job files,
                                        the unmasked features and scores of every customer
    out/snapshots/<run_id>/             what a run published: every branch's newest good report,
                                        index.html, manifest.json (sha256 per file); never changed
    out/latest -> snapshots/<run_id>    the newest snapshot (a symlink, switched atomically)

One concern per module, in the order a run meets them: :mod:`.plan` (branches,
parameters, cache-key decisions, the jobs), :mod:`.lock`, :mod:`.shared` (the
features and scores computed once per run), :mod:`.execute` (worker processes,
timeouts, retries) and :mod:`.worker` (what runs inside one), :mod:`.engines`
(HTML and PDF), :mod:`.cells` (each cell in the branch log), :mod:`.publish` (snapshots, the
``latest`` switch, pruning), :mod:`.manifest`
(and :func:`verify`), :mod:`.index` (the index page); :mod:`.run` strings them
together in :func:`run_reports`.

The names below load their module on first use, so that a worker process,
which imports :mod:`.worker` only, starts without the planning side's imports.
"""

from __future__ import annotations

import importlib

#: Public name -> the module of this package that defines it.
_EXPORTS = {
    "run_reports": "run",
    "BranchResult": "results",
    "RunSummary": "results",
    "DEFAULT_NOTEBOOK": "plan",
    "RunPlan": "plan",
    "plan_run": "plan",
    "plan_jobs": "plan",
    "prepare_run": "plan",
    "on_disk": "plan",
    "RunLockedError": "lock",
    "run_lock": "lock",
    "cache_key": "cache",
    "notebook_digest": "cache",
    "sha256": "cache",
    "shared_slices": "shared",
    "run_branch": "execute",
    "run_jobs": "execute",
    "run_jobs_dask": "dask_executor",
    "one_line_error": "worker",
    "ENGINES": "engines",
    "BuiltinEngine": "engines",
    "Engine": "engines",
    "QuartoEngine": "engines",
    "prepare_for_report": "engines",
    "quarto_command": "engines",
    "select_engine": "engines",
    "prune_runs": "publish",
    "MANIFEST_SCHEMA": "manifest",
    "build_manifest": "manifest",
    "read_manifest": "manifest",
    "verify": "manifest",
    "INDEX_COLUMNS": "index",
    "index_columns": "index",
    "render_index": "index",
    "write_index": "index",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
