"""The branch-in-context step of a report run, against the shared work it sits beside, in the same run.

Usage::

    .venv/bin/python benchmarks/run_trends.py --data data_synthetic/demo
    flock /work/wt/bench.lock nice -n 5 .venv/bin/python benchmarks/run_trends.py --data /work/bank1m

The run's shared step (:mod:`crmstudy.reports.pipeline.shared`) computes every customer's
features once; issue 17 adds every branch's month-end lines and headline figures (for the ranks,
:mod:`crmstudy.reports.trends`).  Measured, each in a fresh interpreter (this file with ``--unit``):

- **baseline**: ``customer_features`` of the whole bank over its period (the work already there);
- **monthly_lines**: month-end customers, assets and dormancy of every branch (DuckDB, one query);
- **branch_figures**: every branch's headline figures from the features (pandas group-by).

Wall is around the call only; peak RSS is ``ru_maxrss`` of the measuring process.  Writes
``benchmarks/results/trends_<bank>.json`` and prints a markdown table with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNITS = ("baseline", "monthly_lines", "branch_figures")


def unit(name: str, data: str) -> dict:
    from crmstudy.bank import Bank
    from crmstudy.features import customer_features
    from crmstudy.reports import context  # noqa: F401  (imported before any clock starts)
    from crmstudy.reports.trends import branch_figures, monthly_lines

    bank = Bank.open(data)
    period = bank.period
    if name == "branch_figures":
        features = customer_features(bank, period)
        t = time.perf_counter()
        out = branch_figures(features, period)
    else:
        t = time.perf_counter()
        out = customer_features(bank, period) if name == "baseline" else monthly_lines(bank, period)
    wall = time.perf_counter() - t
    return {"wall": wall, "rows": int(len(out)), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--unit", choices=UNITS)
    args = ap.parse_args()
    if args.unit:
        print(json.dumps(unit(args.unit, args.data)))
        return 0
    results = {}
    for name in UNITS:
        done = subprocess.run(
            [sys.executable, __file__, "--data", args.data, "--unit", name], capture_output=True, text=True, check=True
        )
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    load = os.getloadavg()
    base = results["baseline"]["wall"]
    doc = {"data": args.data, "load_average": load, "results": results}
    out = HERE / "results" / f"trends_{Path(args.data).name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(doc, indent=2))
    print(f"bank {args.data}, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print("| step | wall (s) | vs baseline | peak RSS (MB) | rows |\n|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['wall']:.2f} | {r['wall'] / base:.2f}x | {r['peak_mb']:.0f} | {r['rows']:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
