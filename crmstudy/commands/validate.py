"""``crmstudy validate``: check a bank folder as ``crmstudy report`` will before it starts."""

from __future__ import annotations

from ..errors import EXIT_OK

NAME = "validate"
HELP = "check a bank folder: every problem with its file, table, column, count and first examples"
EXAMPLES = """examples:
  crmstudy validate data_synthetic/demo"""


def add_arguments(v) -> None:
    """Add the verb's arguments to its sub-parser ``v``."""
    v.add_argument("data", help="bank folder")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code (2, listing every problem, when it fails)."""
    from ..bank import Bank
    from ..bank_checks import check_bank
    from ..synth.generation import check_generation

    bank = Bank.open(args.data)
    counts = check_bank(bank)
    check_generation(args.data, bank.meta)  # every table of one synth run, when bank.json says
    missing = [t for t in ("transactions", "staff", "products", "holdings") if not bank.has(t)]
    note = f"; without {', '.join(missing)} the report leaves out the sections that need them" if missing else ""
    print(
        f"{args.data}: valid ({', '.join(f'{t} {n:,}' for t, n in counts.items())}); "
        f"fingerprint {bank.fingerprint}{note}"
    )
    return EXIT_OK
