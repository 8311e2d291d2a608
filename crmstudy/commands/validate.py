"""``crmstudy validate``: check a bank folder against the schemas."""

from __future__ import annotations

from ..errors import EXIT_OK

NAME = "validate"
HELP = "check a bank folder against the schemas"


def add_arguments(v) -> None:
    """Add the verb's arguments to its sub-parser ``v``."""
    v.add_argument("data", help="bank folder")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from ..schema import check_bank, data_fingerprint, find_bank
    from ..synth.generation import check_generation

    counts = check_bank(args.data)
    check_generation(args.data, find_bank(args.data).meta)  # every table of one synth run, when bank.json says
    print(
        f"{args.data}: valid ({', '.join(f'{t} {n:,}' for t, n in counts.items())}); "
        f"fingerprint {data_fingerprint(find_bank(args.data))}"
    )
    return EXIT_OK
