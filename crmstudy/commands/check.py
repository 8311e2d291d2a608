"""``crmstudy check``: open the index and reports in headless Chromium; save screenshots."""

from __future__ import annotations

from ..errors import EXIT_OK, EXIT_SOME_FAILED
from ._args import positive_int

NAME = "check"
HELP = "open the index and reports in headless Chromium; save screenshots"


def add_arguments(c) -> None:
    """Add the verb's arguments to its sub-parser ``c``."""
    c.add_argument("report_dir", help="reports/latest")
    c.add_argument("--width", type=positive_int, default=1280, help="window width in pixels (default 1280)")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from ..reports.browser import check_pages

    checks = check_pages(args.report_dir, width=args.width)
    bad = 0
    for page in checks:
        problems = page.problems(args.width)
        bad += bool(problems)
        print(f"  {page.url:<24} {'ok' if not problems else '; '.join(problems)}  ({page.screenshot})")
    print(f"{len(checks) - bad} of {len(checks)} pages clean")
    return EXIT_SOME_FAILED if bad else EXIT_OK
