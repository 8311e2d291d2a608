"""``crmstudy params``: print every parameter at its default, or check a parameters file."""

from __future__ import annotations

from ..errors import EXIT_OK

NAME = "params"
HELP = (
    "print every parameter at its default (the text of params/defaults.yaml), "
    "or with --check FILE, check a parameters file"
)
EXAMPLES = """examples:
  crmstudy params > params/defaults.yaml
  crmstudy params --check params/defaults.yaml --branch B004"""


def add_arguments(pa) -> None:
    """Add the verb's arguments to its sub-parser ``pa``."""
    pa.add_argument("--check", default=None, metavar="FILE", help="a parameters YAML to check")
    pa.add_argument("--branch", default=None, help="with --check: resolve this branch's overrides too")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from .. import params

    if args.check is None:
        print(params.defaults_yaml(), end="")
    else:
        resolved = params.load(args.check, branch=args.branch)
        print(f"{args.check}: valid (parameters hash {resolved.digest()})")
    return EXIT_OK
