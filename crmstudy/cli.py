"""The ``crmstudy`` command: parses arguments, calls the package, prints.

Exit codes: 0 all succeeded; 1 some branches failed (or, for ``verify``, some
files changed); 2 bad input (the message names the file, table, column or
parameter); 3 locked: another run is writing to the same output folder; 4 environment: the
machine refused (disk full, read-only file system, no permission), with the path named.
"""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path

from . import __version__
from .errors import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    CrmStudyError,
    RunLockedError,
)

#: OS errors that are the machine's state, not the input's: disk full, quota, read-only, no permission.
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}

#: The parameters a report run reads when ``--params`` is not given and this file exists (relative to the cwd).
DEFAULT_PARAMS = Path("params") / "defaults.yaml"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _formats(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in parts if p not in ("html", "pdf")]
    if bad or not parts:
        raise argparse.ArgumentTypeError(f"expected html, pdf or html,pdf, got {text!r}")
    return parts


def build_parser() -> argparse.ArgumentParser:
    """The ``crmstudy`` command's arguments, one sub-command per verb."""
    p = argparse.ArgumentParser(prog="crmstudy", description="Retail-bank customer relationship analytics.")
    p.add_argument("--version", action="version", version=f"crmstudy {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="generate a synthetic bank as Parquet files")
    s.add_argument(
        "--preset",
        default="demo",
        help="tiny, demo or large (1,000,000 customers, 200 branches, ~54M transactions; default demo)",
    )
    s.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    s.add_argument("--null", action="store_true", help="switch every planted effect off (the null bank)")
    s.add_argument("--customers", type=_positive_int, default=None, help="override the preset's customer count")
    s.add_argument("--branches", type=_positive_int, default=None, help="override the preset's branch count")
    s.add_argument(
        "--chunk",
        type=_positive_int,
        default=None,
        help="blocks of 25,000 customers generated at once, one worker process each (default: one per "
        "core); the files are identical whatever the value, memory grows with it",
    )
    s.add_argument("--out", required=True, help="output folder")

    r = sub.add_parser("report", help="render one report per branch and an index page")
    r.add_argument("--data", required=True, help="bank folder (Parquet or CSV files)")
    r.add_argument("--out", required=True, help="reports folder; each run goes to OUT/<run-id>/")
    r.add_argument("--branches", default="all", help="all, or ids separated by commas (e.g. B001,B003)")
    r.add_argument("--workers", type=_positive_int, default=None, help="parallel branches (default: one per core)")
    r.add_argument(
        "--params",
        default=None,
        help="defaults YAML, per-branch overrides in branches/ beside it (default: params/defaults.yaml "
        "in the current folder when it exists, else the built-in defaults)",
    )
    r.add_argument("--engine", default="auto", choices=["auto", "builtin", "quarto"], help="render engine")
    r.add_argument("--format", type=_formats, default=["html"], help="html (default), pdf or html,pdf")
    r.add_argument(
        "--timeout",
        type=_positive_int,
        default=None,
        help="seconds allowed per branch; its process is killed when it runs over",
    )
    r.add_argument("--retries", type=int, default=0, help="extra attempts for a failed branch (default 0)")
    r.add_argument("--force", action="store_true", help="render every branch even if nothing changed")
    r.add_argument("--wait", action="store_true", help="wait for another run on OUT instead of exiting")
    r.add_argument("--keep", type=_positive_int, default=None, help="keep only the newest N run folders")
    r.add_argument(
        "--notebook",
        default=None,
        help="report notebook (default: the package's own crmstudy/notebooks/branch_report.ipynb)",
    )
    r.add_argument("--run-id", default=None, help="name of the run folder (default: date and time)")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    t = sub.add_parser("training", help="run the training notebooks on a bank and render them (with code)")
    t.add_argument("--data", required=True, help="bank folder, e.g. data_synthetic/demo")
    t.add_argument("--out", required=True, help="output folder, e.g. reports/training")
    t.add_argument("--only", default=None, help="notebook names separated by commas (default: all)")

    c = sub.add_parser("check", help="open the index and reports in headless Chromium; save screenshots")
    c.add_argument("report_dir", help="reports/latest")
    c.add_argument("--width", type=_positive_int, default=1280, help="window width in pixels (default 1280)")

    f = sub.add_parser("verify", help="check reports against their manifest (sha256 per file)")
    f.add_argument("report_dir", help="reports/latest or reports/runs/<run-id>")

    pa = sub.add_parser(
        "params",
        help="print every parameter at its default (the text of params/defaults.yaml), "
        "or with --check FILE, check a parameters file",
    )
    pa.add_argument("--check", default=None, metavar="FILE", help="a parameters YAML to check")
    pa.add_argument("--branch", default=None, help="with --check: resolve this branch's overrides too")

    v = sub.add_parser("validate", help="check a bank folder against the schemas")
    v.add_argument("data", help="bank folder")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the ``crmstudy`` command (``argv`` defaults to ``sys.argv[1:]``); return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except RunLockedError as err:
        print(f"crmstudy: locked: {err}", file=sys.stderr)
        return EXIT_LOCKED
    except CrmStudyError as err:
        print(f"crmstudy: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl-C: the run stopped its workers and removed its unmasked files
        print("crmstudy: interrupted; branches not yet rendered keep their last report", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:  # the machine, not the input: disk full, read-only, no permission
        if err.errno not in ENVIRONMENT_ERRNOS:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"crmstudy: environment: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_ENVIRONMENT


def _dispatch(args) -> int:
    if args.command == "synth":
        from .synth import preset_spec, synthesize

        spec = preset_spec(
            args.preset, seed=args.seed, null=args.null or None, n_customers=args.customers, n_branches=args.branches
        )
        meta = synthesize(spec, args.out, chunk=args.chunk)
        rows = ", ".join(f"{k} {v:,}" for k, v in meta["rows"].items())
        print(f"wrote {'null ' if spec.null else ''}bank '{spec.preset}' (seed {spec.seed}) to {args.out}: {rows}")
        return EXIT_OK
    if args.command == "validate":
        from .schema import check_bank, data_fingerprint, find_bank

        counts = check_bank(args.data)
        print(
            f"{args.data}: valid ({', '.join(f'{t} {n:,}' for t, n in counts.items())}); "
            f"fingerprint {data_fingerprint(find_bank(args.data))}"
        )
        return EXIT_OK
    if args.command == "params":
        from . import params

        if args.check is None:
            print(params.defaults_yaml(), end="")
        else:
            resolved = params.load(args.check, branch=args.branch)
            print(f"{args.check}: valid (parameters hash {resolved.digest()})")
        return EXIT_OK
    if args.command == "report":
        if args.params is None and DEFAULT_PARAMS.is_file():
            args.params = str(DEFAULT_PARAMS)
            print(f"parameters: {DEFAULT_PARAMS} (pass --params to choose another file)", file=sys.stderr)
        from .reports.pipeline import run_reports

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
        )
        print(summary.table())
        print(f"index: {summary.latest_dir / 'index.html'}")
        return EXIT_SOME_FAILED if summary.failed else EXIT_OK
    if args.command == "training":
        from .reports.training import render_training

        only = [x.strip() for x in args.only.split(",")] if args.only else None
        results = render_training(args.data, args.out, only=only)
        for r in results:
            print(f"  {r.name:<40} {r.status:<7} {r.seconds:6.1f} s  {r.error}")
        print(f"training: {Path(args.out) / 'index.html'}")
        return EXIT_SOME_FAILED if any(r.status != "ok" for r in results) else EXIT_OK
    if args.command == "check":
        from .reports.browser import check_pages

        checks = check_pages(args.report_dir, width=args.width)
        bad = 0
        for page in checks:
            problems = page.problems(args.width)
            bad += bool(problems)
            print(f"  {page.url:<24} {'ok' if not problems else '; '.join(problems)}  ({page.screenshot})")
        print(f"{len(checks) - bad} of {len(checks)} pages clean")
        return EXIT_SOME_FAILED if bad else EXIT_OK
    if args.command == "verify":
        from .reports.pipeline import verify

        checks = verify(args.report_dir)
        for path, state in checks:
            print(f"{state:<8} {path}")
        bad = [c for c in checks if c[1] != "ok"]
        print(f"{len(checks) - len(bad)} of {len(checks)} files match the manifest")
        return EXIT_SOME_FAILED if bad else EXIT_OK
    raise AssertionError(args.command)  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
