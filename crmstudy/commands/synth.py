"""``crmstudy synth``: generate a synthetic bank as Parquet files."""

from __future__ import annotations

from ..errors import EXIT_OK
from ._args import positive_int

NAME = "synth"
HELP = "generate a synthetic bank as Parquet files"
EXAMPLES = """examples:
  crmstudy synth --preset demo --out data_synthetic/demo
  crmstudy synth --preset tiny --null --seed 3 --out /tmp/null_bank"""


def add_arguments(s) -> None:
    """Add the verb's arguments to its sub-parser ``s``."""
    s.add_argument(
        "--preset",
        default="demo",
        help="tiny, demo or large (1,000,000 customers, 200 branches, ~54M transactions; default demo)",
    )
    s.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    s.add_argument("--null", action="store_true", help="switch every planted effect off (the null bank)")
    s.add_argument("--customers", type=positive_int, default=None, help="override the preset's customer count")
    s.add_argument("--branches", type=positive_int, default=None, help="override the preset's branch count")
    s.add_argument(
        "--chunk",
        type=positive_int,
        default=None,
        help="blocks of 25,000 customers generated at once, one worker process each (default: one per "
        "core); the files are identical whatever the value, memory grows with it",
    )
    s.add_argument("--out", required=True, help="output folder")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from ..synth import preset_spec, synthesize

    spec = preset_spec(
        args.preset, seed=args.seed, null=args.null or None, n_customers=args.customers, n_branches=args.branches
    )
    meta = synthesize(spec, args.out, chunk=args.chunk)
    rows = ", ".join(f"{k} {v:,}" for k, v in meta["rows"].items())
    print(f"wrote {'null ' if spec.null else ''}bank '{spec.preset}' (seed {spec.seed}) to {args.out}: {rows}")
    return EXIT_OK
