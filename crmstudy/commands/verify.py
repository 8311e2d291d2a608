"""``crmstudy verify``: check reports against their manifest (sha256 per file)."""

from __future__ import annotations

from ..errors import EXIT_OK, EXIT_SOME_FAILED

NAME = "verify"
HELP = "check reports against their manifest (sha256 per file)"
EXAMPLES = """examples:
  crmstudy verify reports/latest"""


def add_arguments(f) -> None:
    """Add the verb's arguments to its sub-parser ``f``."""
    f.add_argument("report_dir", help="reports/latest or reports/runs/<run-id>")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from ..reports.pipeline import verify

    checks = verify(args.report_dir)
    for path, state in checks:
        print(f"{state:<8} {path}")
    bad = [c for c in checks if c[1] != "ok"]
    print(f"{len(checks) - len(bad)} of {len(checks)} files match the manifest")
    return EXIT_SOME_FAILED if bad else EXIT_OK
