"""Report throughput: the papermill floor, one branch, 1 worker against 2, and the 1M-customer bank.

Usage::

    .venv/bin/crmstudy synth --preset demo --out /tmp/bench_demo
    .venv/bin/crmstudy synth --preset large --out /tmp/bank1m
    .venv/bin/python benchmarks/run_reports_scale.py --demo /tmp/bench_demo --large /tmp/bank1m
    .venv/bin/python benchmarks/run_reports_scale.py --large-branches 20     # a subset, extrapolated

Issue 5 §4: per-branch report throughput against the floor (papermill running
an empty notebook, then rendering it), the speed-up of 2 workers over 1
(target: at least 1.7x), and the 1M-customer bank's reports within a peak RSS
of 6 GB.  Every case runs in a fresh interpreter (this file with ``--unit``)
that samples the summed RSS of itself and every descendant (the CLI, its
branch workers, their kernels, pandoc) every 0.1 s.  Each ``crmstudy report``
run writes to a new, empty folder with ``--force`` and the builtin engine, so
nothing is cached.  Prints markdown tables and writes
``benchmarks/results/reports_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run_scale import BenchmarkError, _timed  # noqa: E402

REPO = HERE.parent
RESULTS = HERE / "results" / "reports_scale.json"
MB = 1024 * 1024
TARGET_SPEEDUP = 1.7
TARGET_PEAK_RSS_BYTES = 6 * 1024**3


def unit_floor(*, out: str, repeats: int = 3) -> dict:
    """papermill runs a notebook with one empty parameters cell, then the builtin engine renders it."""
    import nbformat
    import papermill as pm

    from crmstudy.reports.pipeline import BuiltinEngine

    work = Path(out)
    work.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = work / "empty.ipynb"
    nbformat.write(nb, src)

    def once(i):
        done = work / f"empty_{i}.ipynb"
        pm.execute_notebook(str(src), str(done), parameters={"branch_id": "B001"}, progress_bar=False)
        BuiltinEngine().render(done, work / f"empty_{i}.html", title="empty")

    once("warm")  # the first kernel start pays for cold caches, which a branch run does not
    walls = []
    for i in range(repeats):
        facts = _timed(lambda i=i: once(i))
        walls.append(facts["wall_s"])
    return {"wall_s": min(walls), "walls": walls, "tree_peak_rss_bytes": facts["tree_peak_rss_bytes"]}


def unit_report(*, data: str, out: str, workers: int, branches: str) -> dict:
    """``crmstudy report`` in a child process (fresh output folder, --force, builtin engine)."""
    cmd = [
        str(Path(sys.executable).with_name("crmstudy")),
        "report",
        "--data",
        data,
        "--out",
        out,
        "--workers",
        str(workers),
        "--branches",
        branches,
        "--engine",
        "builtin",
        "--force",
        "--no-progress",
        "--run-id",
        "bench",
    ]
    facts = _timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
    proc = facts.pop("value")
    if proc.returncode != 0:
        raise RuntimeError(f"crmstudy report exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    manifest = json.loads((Path(out) / "runs" / "bench" / "manifest.json").read_text())
    branches_info = manifest.get("branches", {})
    durations = [b.get("durations", {}) for b in branches_info.values()]
    statuses = [b.get("status") for b in branches_info.values()]
    return {
        **facts,
        "command": " ".join(cmd),
        "n_branches": len(branches_info),
        "shared_seconds": manifest.get("shared_seconds"),
        "n_ok": sum(s == "ok" for s in statuses),
        "branch_seconds": [d.get("total_seconds") for d in durations],
        "execute_seconds": [d.get("execute_seconds") for d in durations],
    }


UNITS = {"floor": unit_floor, "report": unit_report}


def measure(unit: str, **args) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--unit", unit, json.dumps(args)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BenchmarkError(f"unit '{unit}' failed (exit {proc.returncode}):\n{tail}")
    return {
        "unit": unit,
        "args": args,
        "process_wall_s": time.perf_counter() - t0,
        **json.loads(lines[-1][len("RESULT ") :]),
    }


def _branches(data: str) -> list[str]:
    import pandas as pd

    p = Path(data) / "branches"
    return sorted(pd.read_parquet(p if p.is_dir() else f"{p}.parquet", columns=["branch_id"]).branch_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default="/tmp/bench_demo")
    parser.add_argument("--large", default="/tmp/bank1m")
    parser.add_argument(
        "--large-branches",
        type=int,
        default=None,
        help="run only the first N branches of the large bank (extrapolated, labelled)",
    )
    parser.add_argument("--skip", nargs="*", default=[], help="floor, one, workers, large")
    parser.add_argument("--unit", default=None, help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="?", default="{}", help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    if ns.unit:
        print("RESULT " + json.dumps(UNITS[ns.unit](**json.loads(ns.args))), flush=True)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="crm_reports_bench_"))
    rows: list[dict] = []

    def case(label, unit, **args):
        print(f"... {label}", file=sys.stderr, flush=True)
        r = measure(unit, **args)
        r["label"] = label
        rows.append(r)
        return r

    demo_b = _branches(ns.demo)
    if "floor" not in ns.skip:
        case("floor: papermill empty notebook + builtin render (best of 3)", "floor", out=str(tmp / "floor"))
    if "one" not in ns.skip:
        case(
            f"demo bank, 1 branch ({demo_b[0]}), 1 worker",
            "report",
            data=ns.demo,
            out=str(tmp / "one"),
            workers=1,
            branches=demo_b[0],
        )
    if "workers" not in ns.skip:
        for w in (1, 2):
            case(
                f"demo bank, {len(demo_b)} branches, {w} worker{'s' * (w > 1)}",
                "report",
                data=ns.demo,
                out=str(tmp / f"w{w}"),
                workers=w,
                branches=",".join(demo_b),
            )
    if "large" not in ns.skip:
        large_b = _branches(ns.large)
        chosen = large_b[: ns.large_branches] if ns.large_branches else large_b
        label = f"1M bank, {len(chosen)} of {len(large_b)} branches, 2 workers"
        r = case(label, "report", data=ns.large, out=str(tmp / "large"), workers=2, branches=",".join(chosen))
        r["all_branches"] = len(large_b)
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"date": datetime.now().isoformat(timespec="seconds"), "machine": machine, "runs": rows},
            indent=2,
            default=str,
        )
    )
    print(report(rows, machine))
    return 0


def _median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else float("nan")


def report(rows: list[dict], machine: dict) -> str:
    head = [
        "case",
        "branches",
        "wall s",
        "branches/min",
        "median s per branch (manifest)",
        "peak RSS MB (tree)",
        "largest process MB",
        "shared work s",
    ]
    lines = [
        f"{machine['cpus']} cores, {machine['memory_bytes'] / 1024**3:.0f} GB, {machine['platform']}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    notes = []
    for r in rows:
        n = r.get("n_branches", 1)
        lines.append(
            "| "
            + " | ".join(
                [
                    r["label"],
                    str(n),
                    f"{r['wall_s']:.1f}",
                    f"{60 * n / r['wall_s']:.1f}",
                    f"{_median(r['branch_seconds']):.1f}" if "branch_seconds" in r else "-",
                    f"{r['tree_peak_rss_bytes'] / MB:,.0f}",
                    f"{r['largest_process_rss_bytes'] / MB:,.0f}" if "largest_process_rss_bytes" in r else "-",
                    f"{r['shared_seconds']:.1f}" if r.get("shared_seconds") is not None else "-",
                ]
            )
            + " |"
        )
        if "n_ok" in r and r["n_ok"] != n:
            notes.append(f"- {r['label']}: only {r['n_ok']} of {n} branches ok")
    by = {r["label"]: r for r in rows}
    w1 = next((r for k, r in by.items() if "branches, 1 worker" in k), None)
    w2 = next((r for k, r in by.items() if "branches, 2 workers" in k and k.startswith("demo")), None)
    if w1 and w2:
        sp = w1["wall_s"] / w2["wall_s"]
        notes.append(
            f"- speed-up of 2 workers over 1 (whole run, demo bank): {sp:.2f}x "
            f"(target ≥ {TARGET_SPEEDUP}x: {'met' if sp >= TARGET_SPEEDUP else 'NOT met'})"
        )
        if w1.get("shared_seconds") is not None and w2.get("shared_seconds") is not None:
            b1, b2 = w1["wall_s"] - w1["shared_seconds"], w2["wall_s"] - w2["shared_seconds"]
            notes.append(
                f"- of which the per-run shared work (features and scorecards, before any branch): "
                f"{w1['shared_seconds']:.1f} s and {w2['shared_seconds']:.1f} s; the branch phase "
                f"alone {b1:.1f} s -> {b2:.1f} s: {b1 / b2:.2f}x"
            )
    large = next((r for r in rows if r["label"].startswith("1M bank")), None)
    if large:
        ok = large["tree_peak_rss_bytes"] <= TARGET_PEAK_RSS_BYTES
        notes.append(
            f"- 1M bank peak RSS of the whole process tree: {large['tree_peak_rss_bytes'] / MB:,.0f} MB "
            f"(target ≤ 6,144 MB: {'met' if ok else 'NOT met'})"
        )
        n, total = large["n_branches"], large.get("all_branches", large["n_branches"])
        if n < total:
            med = _median(large["branch_seconds"])
            per = med / 2  # two workers
            fixed = large["wall_s"] - n * per
            notes.append(
                f"- EXTRAPOLATED, not measured: all {total} branches ≈ {fixed:.0f} s per-run work + "
                f"{total} × {med:.1f} s / 2 workers ≈ {(fixed + total * per) / 60:.0f} min"
            )
    return "\n".join(lines + [""] + notes)


if __name__ == "__main__":
    sys.exit(main())
