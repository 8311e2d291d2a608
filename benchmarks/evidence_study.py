"""The evidence gates on null banks: how often does a report call noise a finding?

Run from the repository root::

    python benchmarks/evidence_study.py                  # tiny null banks, seeds 1-20
    python benchmarks/evidence_study.py --seeds 1-5 --demo

For each tiny null bank (every planted effect off, ``crmstudy synth --preset tiny --null``):

* the footprint cards as the reports fit them (:func:`crmstudy.footprint.score_customers`,
  ``min_events=1`` so that every card is fitted): does the value card, the risk card, select
  any signal?  Does it pass the gate of adding to balances and declared attributes?
* every branch's sections as a report builds them: prospects (risk flags and value
  prospects), association (the cross-sell list beating its baseline) and concentration (the
  branch told apart from the rest of the bank): their ``findings.json`` status.

Then, with ``--demo``, the demo bank (planted effects on): which planted value and risk
signals the deployed cards select (recall) and what they add out of time.

The tables are printed and written to ``benchmarks/results/evidence_study.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
PLANTED_VALUE = {
    "litres_per_fill", "premium_fuel_share", "air_trips", "luxury_share", "txn_amount", "rail_trips",
    "dining_share", "education_share", "visit_positive_share", "visit_sold_share", "txn_count",
    "txn_variety", "txn_frequency",
}  # fmt: skip
PLANTED_RISK = {"internet_lender_share", "external_credit_lines", "cash_share", "payroll_regularity"}


def _md(frame: pd.DataFrame, index: bool = True) -> str:
    """A markdown table (no tabulate dependency)."""
    f = frame.reset_index() if index else frame
    head = "| " + " | ".join(map(str, f.columns)) + " |"
    rule = "|" + "---|" * len(f.columns)
    body = ["| " + " | ".join(map(str, r)) + " |" for r in f.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def null_bank(seed: int, folder: Path) -> list[dict]:
    """One row per card and one per branch-section of the tiny null bank of ``seed``."""
    from crmstudy.footprint import score_customers
    from crmstudy.reports.context import load_context
    from crmstudy.reports.sections import association, concentration, prospects
    from crmstudy.synth import preset_spec, synthesize

    synthesize(preset_spec("tiny", seed=seed, null=True), folder)
    scores = score_customers(folder, min_events=1, strict=False)
    rows = []
    for side in ("value", "risk"):
        card = scores.evidence.get(side) or scores.no_signal.get(side)
        selected = card.footprint.selected_ if hasattr(card, "footprint") else (card.selected_ if card else [])
        rows.append(
            {
                "seed": seed,
                "what": f"{side} card",
                "selects": bool(selected),
                "status": scores.status(side),
                "signals": ", ".join(selected),
            }
        )
    branches = pd.read_parquet(folder / "branches.parquet")["branch_id"]
    for branch in branches:
        ctx = load_context(folder, branch)
        p = prospects.build(ctx, scores=scores).summary
        found = {
            "risk flags": p["risk_status"],
            "value prospects": p["value_status"],
            "cross-sell beats baseline": association.build(ctx).summary["status"],
            "concentration vs bank": concentration.build(ctx).summary["status"],
        }
        rows += [{"seed": seed, "branch": branch, "what": k, "status": v} for k, v in found.items()]
    return rows


def demo_recall() -> pd.DataFrame:
    """The demo bank's deployed cards: planted signals selected, and what they add out of time."""
    from crmstudy.footprint import score_customers
    from crmstudy.synth import preset_spec, synthesize

    with tempfile.TemporaryDirectory() as folder:
        synthesize(preset_spec("demo"), folder)
        s = score_customers(folder)
    out = []
    for side, planted in (("value", PLANTED_VALUE), ("risk", PLANTED_RISK)):
        card = s.evidence[side]
        sel = set(card.footprint.selected_)
        g, lo, hi = card.gain("known")
        out.append(
            {
                "card": side,
                "selected": ", ".join(card.footprint.selected_),
                "planted selected": f"{len(sel & planted)} of {len(planted)}",
                "not planted": ", ".join(sorted(sel - planted)) or "-",
                "AUC gain over balances and declarations": f"{g:.3f} ({lo:.3f} to {hi:.3f})",
            }
        )
    return pd.DataFrame(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-20")
    ap.add_argument("--demo", action="store_true", help="also the demo bank's recall")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in _seeds(args.seeds):
            rows += null_bank(seed, Path(tmp) / str(seed))
            print(f"seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    df = pd.DataFrame(rows)
    cards = df[df["what"].str.endswith("card")]
    card_table = cards.groupby("what").agg(
        banks=("seed", "size"), selects_a_signal=("selects", "sum"), listed=("status", lambda s: (s == "finding").sum())
    )
    secs = df[df["branch"].notna()] if "branch" in df else df.iloc[:0]
    sec_table = secs.groupby("what").agg(
        branch_sections=("status", "size"), finding=("status", lambda s: int((s == "finding").sum()))
    )
    total = pd.DataFrame(
        {"branch_sections": [int(sec_table["branch_sections"].sum())], "finding": [int(sec_table["finding"].sum())]},
        index=["all four"],
    )
    sec_table = pd.concat([sec_table, total])
    sec_table["share"] = (sec_table["finding"] / sec_table["branch_sections"]).map("{:.1%}".format)
    parts = [
        f"# Evidence gates on tiny null banks (seeds {args.seeds}), {time.perf_counter() - t0:.0f} s\n",
        "## Footprint cards (selects: any signal past the permutation test; listed: also adds to balances)\n",
        _md(card_table),
        "\n## Branch-sections reporting `finding`\n",
        _md(sec_table),
        "\n## Cards that selected a signal\n",
        _md(cards[cards["selects"]][["seed", "what", "signals", "status"]], index=False),
    ]
    if args.demo:
        parts += ["\n## Demo bank (planted effects on): the deployed cards\n", _md(demo_recall(), index=False)]
    text = "\n".join(parts) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "evidence_study.md").write_text(text, encoding="utf-8")
    df.to_csv(RESULTS / "evidence_study.csv", index=False)


if __name__ == "__main__":
    main()
