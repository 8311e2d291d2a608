"""``crmstudy training``: run the training notebooks on a bank and render them (with code)."""

from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK, EXIT_SOME_FAILED

NAME = "training"
HELP = "run the training notebooks on a bank and render them (with code)"
EXAMPLES = """examples:
  crmstudy training --data data_synthetic/demo --out reports/training"""


def add_arguments(t) -> None:
    """Add the verb's arguments to its sub-parser ``t``."""
    t.add_argument("--data", required=True, help="bank folder, e.g. data_synthetic/demo")
    t.add_argument("--out", required=True, help="output folder, e.g. reports/training")
    t.add_argument("--only", default=None, help="notebook names separated by commas (default: all)")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from ..reports.training import render_training

    only = [x.strip() for x in args.only.split(",")] if args.only else None
    results = render_training(args.data, args.out, only=only)
    for r in results:
        print(f"  {r.name:<40} {r.status:<7} {r.seconds:6.1f} s  {r.error}")
    print(f"training: {Path(args.out) / 'index.html'}")
    return EXIT_SOME_FAILED if any(r.status != "ok" for r in results) else EXIT_OK
