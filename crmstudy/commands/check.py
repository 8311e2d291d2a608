"""``crmstudy check``: open the index and reports in headless Chromium; save screenshots."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import EXIT_ENVIRONMENT, EXIT_OK, EXIT_SOME_FAILED
from ._args import positive_int

NAME = "check"
HELP = "open the index and reports in headless Chromium; save screenshots"
EXAMPLES = """examples:
  crmstudy check reports/latest --width 390"""


def add_arguments(c) -> None:
    """Add the verb's arguments to its sub-parser ``c``."""
    c.add_argument("report_dir", help="reports/latest")
    c.add_argument("--width", type=positive_int, default=1280, help="window width in pixels (default 1280)")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    try:
        import playwright.sync_api  # noqa: F401 - only to know it is there
    except ImportError:
        print(
            "crmstudy: environment: `crmstudy check` needs Playwright: pip install 'crmstudy[test]' "
            "(and Chromium: apt-get install chromium)",
            file=sys.stderr,
        )
        return EXIT_ENVIRONMENT
    from ..reports.browser import check_pages

    report_dir = Path(args.report_dir)
    # a published snapshot is never written into: latest's screenshots go beside it, in OUT/screenshots/
    shots = report_dir.parent / "screenshots" if report_dir.is_symlink() else None
    checks = check_pages(report_dir, width=args.width, screenshots_dir=shots)
    bad = 0
    for page in checks:
        problems = page.problems(args.width)
        bad += bool(problems)
        print(f"  {page.url:<24} {'ok' if not problems else '; '.join(problems)}  ({page.screenshot})")
    print(f"{len(checks) - bad} of {len(checks)} pages clean")
    return EXIT_SOME_FAILED if bad else EXIT_OK
