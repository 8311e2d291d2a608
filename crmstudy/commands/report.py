"""``crmstudy report``: render one report per branch and an index page."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import EXIT_OK, EXIT_SOME_FAILED
from ._args import formats, positive_int

NAME = "report"
HELP = "render one report per branch and an index page"
EXAMPLES = """examples:
  crmstudy report --data data_synthetic/demo --out reports
  crmstudy report --data data_synthetic/demo --out reports --branches B001,B003 --lang zh --format html,pdf
  crmstudy report --data my_bank --out reports --params params/defaults.yaml --workers 2 --timeout 600 --keep 10"""

#: The parameters a report run reads when ``--params`` is not given and this file exists (relative to the cwd).
DEFAULT_PARAMS = Path("params") / "defaults.yaml"


def add_arguments(r) -> None:
    """Add the verb's arguments to its sub-parser ``r``."""
    r.add_argument("--data", required=True, help="bank folder (Parquet or CSV files)")
    r.add_argument(
        "--out",
        required=True,
        help="reports folder: each run goes to OUT/runs/<run-id>/, the newest reports are OUT/latest/",
    )
    r.add_argument("--branches", default="all", help="all, or ids separated by commas (e.g. B001,B003)")
    r.add_argument("--workers", type=positive_int, default=None, help="parallel branches (default: one per core)")
    r.add_argument(
        "--params",
        default=None,
        help="defaults YAML, per-branch overrides in branches/ beside it (default: params/defaults.yaml "
        "in the current folder when it exists, else the built-in defaults)",
    )
    r.add_argument("--engine", default="auto", choices=["auto", "builtin", "quarto"], help="render engine")
    r.add_argument("--format", type=formats, default=["html"], help="html (default), pdf or html,pdf")
    r.add_argument(
        "--timeout",
        type=positive_int,
        default=None,
        help="seconds allowed per branch; its process is killed when it runs over",
    )
    r.add_argument("--retries", type=int, default=0, help="extra attempts for a failed branch (default 0)")
    r.add_argument("--force", action="store_true", help="render every branch even if nothing changed")
    r.add_argument("--wait", action="store_true", help="wait for another run on OUT instead of exiting")
    r.add_argument("--keep", type=positive_int, default=None, help="keep only the newest N run folders")
    r.add_argument(
        "--notebook",
        default=None,
        help="report notebook (default: the package's own crmstudy/notebooks/branch_report.ipynb)",
    )
    r.add_argument("--run-id", default=None, help="name of the run folder (default: date and time)")
    r.add_argument(
        "--executor",
        default="local",
        choices=["local", "dask"],
        help="where branches run: local worker processes (default) or a Dask cluster (pip install 'crmstudy[dask]')",
    )
    r.add_argument(
        "--scheduler",
        default=None,
        help="with --executor dask: address of a Dask scheduler (default: a local cluster of --workers processes)",
    )
    r.add_argument(
        "--lang",
        choices=["en", "zh"],
        default=None,
        help="language of every report and the index (default: each branch's `language` parameter)",
    )
    r.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (shown only when stderr is a terminal)"
    )


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    if args.params is None and DEFAULT_PARAMS.is_file():
        args.params = str(DEFAULT_PARAMS)
        print(f"parameters: {DEFAULT_PARAMS} (pass --params to choose another file)", file=sys.stderr)
    from ..reports.pipeline import run_reports

    summary = run_reports(
        args.data,
        args.out,
        branches=args.branches,
        workers=args.workers,
        params_file=args.params,
        engine=args.engine,
        formats=args.format,
        run_id=args.run_id,
        notebook=args.notebook,
        progress=not args.no_progress,
        timeout=args.timeout,
        retries=args.retries,
        force=args.force,
        wait=args.wait,
        keep=args.keep,
        executor=args.executor,
        scheduler=args.scheduler,
        language=args.lang,
    )
    summary.process_seconds = _process_seconds()  # a cached run's truth: start-up and planning are most of it
    print(summary.table())
    print(f"index: {summary.latest_dir / 'index.html'}")
    return EXIT_SOME_FAILED if summary.failed or summary.partial else EXIT_OK


def _process_seconds() -> float | None:
    """Seconds since this process started (psutil, which Jupyter's kernel already needs), or None."""
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:  # psutil missing or refused: the run's own time is still reported
        return None
