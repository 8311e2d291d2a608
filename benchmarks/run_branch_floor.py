"""Per-branch cost inside an all-branches run, against the floor, measured in the same run.

Usage::

    .venv/bin/crmstudy synth --preset demo --out /tmp/bench_demo
    .venv/bin/python benchmarks/run_branch_floor.py --demo /tmp/bench_demo [--workers 2] [--executor local]

* **floor**: a fresh ``python`` process in which papermill executes a one-cell notebook (``pass``),
  whole process timed (interpreter start, imports, kernel start and shutdown); median of 3.
* **all-branches run**: ``crmstudy report --force --engine builtin`` over every branch of the bank,
  whole process timed; then, from the run's manifest and the branch logs (each cell's start and end),
  each branch's execute and render seconds, and the cells that take the time.
* **ratio**: the median branch's execute + render seconds over the floor, and the run's branch
  phase per branch ((whole run - shared step) x workers / branches) over the floor.

Prints a markdown table and writes ``benchmarks/results/branch_floor.json`` (git-ignored), with
the one-minute load average before and after: a load above the core count marks the numbers as
measured on a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "branch_floor.json"
_CELL_END = re.compile(r"cell (\d+)/\d+ end \((\d+\.\d) s\)")
_CELL_START = re.compile(r"cell (\d+)/\d+ start: (.*)$")

FLOOR_SCRIPT = """
import sys, nbformat, papermill as pm
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
pm.execute_notebook(nb, sys.argv[1], kernel_name="python3", progress_bar=False)
"""


def floor(work: Path, repeats: int = 3) -> list[float]:
    """Whole-process seconds of papermill executing a one-cell notebook, ``repeats`` times."""
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        cmd = [sys.executable, "-c", FLOOR_SCRIPT, str(work / f"floor_{i}.ipynb")]
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def all_branches(bank: Path, out: Path, workers: int, executor: str) -> dict:
    """One ``crmstudy report`` over every branch; whole-process time, the manifest's figures, cell times."""
    cmd = [sys.executable, "-m", "crmstudy", "report", "--data", str(bank), "--out", str(out), "--force"]
    cmd += ["--engine", "builtin", "--no-progress", "--workers", str(workers), "--executor", executor]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"report run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    manifest = json.loads((out / "latest" / "manifest.json").read_text())
    branches = {
        b: {**e["durations"], "log": e["log"]} for b, e in manifest["branches"].items() if e.get("status") == "ok"
    }
    cells: dict[str, list[float]] = defaultdict(list)
    for entry in branches.values():
        names = {}
        for line in Path(entry.pop("log")).read_text().splitlines():
            if m := _CELL_START.search(line):
                names[m.group(1)] = m.group(2)[:50]
            elif m := _CELL_END.search(line):
                cells[f"cell {m.group(1)}: {names.get(m.group(1), '?')}"].append(float(m.group(2)))
    return {
        "seconds": seconds,
        "shared_seconds": manifest["shared_seconds"],
        "branches": branches,
        "cells": {k: statistics.median(v) for k, v in sorted(cells.items(), key=lambda kv: -statistics.median(kv[1]))},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", required=True, help="a bank folder (the demo preset)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executor", default="local", choices=["local", "dask"])
    args = ap.parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="branch-floor-") as tmp:
        work = Path(tmp)
        floors = floor(work)
        (work / "run").mkdir()
        run = all_branches(Path(args.demo).resolve(), work / "run" / "out", args.workers, args.executor)
    load_after = os.getloadavg()[0]
    f = statistics.median(floors)
    per = [d["execute_seconds"] + d["render_seconds"] for d in run["branches"].values()]
    n = len(per)
    phase_per_branch = (run["seconds"] - run["shared_seconds"]) * args.workers / n
    loaded = max(load_before, load_after) > (os.cpu_count() or 1)
    result = {
        "floor_seconds": floors,
        "run": run,
        "workers": args.workers,
        "executor": args.executor,
        "median_branch_seconds": statistics.median(per),
        "ratio_median_branch_to_floor": statistics.median(per) / f,
        "ratio_phase_per_branch_to_floor": phase_per_branch / f,
        "load": [load_before, load_after],
        "cpus": os.cpu_count(),
        "loaded_machine": loaded,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    mark = " (loaded machine)" if loaded else ""
    print(f"| measure{mark} | seconds | x the floor |\n|---|---|---|")
    print(f"| floor: papermill, one-cell notebook, whole process (median of 3) | {f:.2f} | 1.0 |")
    print(
        f"| median branch, execute + render, inside the run ({n} branches) | {statistics.median(per):.2f} | "
        f"{statistics.median(per) / f:.1f} |"
    )
    print(
        f"| run's branch phase per branch (x {args.workers} workers) | {phase_per_branch:.2f} | "
        f"{phase_per_branch / f:.1f} |"
    )
    print(f"| whole run, {n} branches, shared step {run['shared_seconds']:.1f} s | {run['seconds']:.1f} | |")
    print(f"\nload average before/after: {load_before:.1f} / {load_after:.1f} on {os.cpu_count()} CPUs")
    print("slowest cells (median over branches):")
    for name, s in list(run["cells"].items())[:6]:
        print(f"  {s:5.1f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
