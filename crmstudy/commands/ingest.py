"""``crmstudy ingest``: a bank's export, through a mapping file, to a bank folder and a data-quality report."""

from __future__ import annotations

from ..errors import EXIT_OK

NAME = "ingest"
HELP = "turn a bank's own export into a bank folder, through a mapping file"
EXAMPLES = """examples:
  crmstudy ingest --mapping docs/mappings/cn_bank.yaml --out my_bank
  crmstudy validate my_bank && crmstudy report --data my_bank --out reports"""


def add_arguments(p) -> None:
    """Add the verb's arguments to its sub-parser ``p``."""
    p.add_argument("--mapping", required=True, help="mapping file (YAML; see docs/own_data.md)")
    p.add_argument("--out", required=True, help="bank folder to write (new, empty, or an earlier ingest's)")
    p.add_argument("--lang", default="en", choices=["en", "zh"], help="language of quality.html")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from ..ingest import ingest

    result = ingest(args.mapping, args.out, lang=args.lang)
    counts = result.quality.to_dict()["counts"]
    rows = ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
    print(f"{result.out}: ingested ({rows}); fingerprint {result.fingerprint}")
    print(
        f"quality: {counts['dropped']:,} row(s) dropped, {counts['emptied']:,} value(s) emptied, "
        f"{counts['clipped']:,} clipped; see {result.out / 'quality.html'}"
    )
    print(f"next: crmstudy validate {result.out}")
    return EXIT_OK
