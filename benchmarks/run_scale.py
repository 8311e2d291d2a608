"""Scale benchmark: the 1,000,000-customer bank against a row-by-row Faker generator, in one run.

Usage::

    .venv/bin/python benchmarks/run_scale.py                    # about 3 minutes on 2 cores
    .venv/bin/python benchmarks/run_scale.py --chunks 2         # one crmstudy run only
    .venv/bin/python benchmarks/run_scale.py --customers 200000 --baseline-rows 20000   # a quick look

Issue 5 asks for 1,000,000 customers, at least 50,000,000 transactions and
about 200 branches, generated in chunks to partitioned Parquet with a peak RSS
of at most 6 GB, deterministic per seed whatever the chunk size, at 1,000,000
transaction rows a second or more end to end (Parquet write included).

Every measurement runs in a fresh interpreter (this file with ``--unit``),
which samples the summed RSS of itself and its worker processes every 0.1 s.
The crmstudy runs (one per ``--chunks`` value) must write byte-identical
files: the table's notes compare their fingerprints.  Prints a markdown table
and writes ``benchmarks/results/scale.json``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "scale.json"
MB = 1024 * 1024
#: Issue 5's targets.
TARGET_ROWS_PER_S = 1_000_000
TARGET_PEAK_RSS_BYTES = 6 * 1024**3
TARGET_TRANSACTIONS = 50_000_000


class BenchmarkError(RuntimeError):
    """A measured process failed; the message carries the end of its stderr."""


# --- the units, each run in its own process --------------------------------------------------


def unit_synth(*, customers: int, chunk: int, out: str) -> dict:
    """``synthesize(preset_spec("large"), out, chunk=chunk)``; the timed call writes every table."""
    from crmstudy.schema import data_fingerprint, find_bank
    from crmstudy.synth import preset_spec, synthesize

    spec = preset_spec("large", n_customers=customers)
    facts = _timed(lambda: synthesize(spec, out, chunk=chunk))
    meta = facts.pop("value")
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    facts.update(
        {
            "rows": meta["rows"]["transactions"],
            "all_rows": sum(meta["rows"].values()),
            "table_rows": meta["rows"],
            "blocks": meta["blocks"],
            "files": len(files),
            "disk_bytes": sum(p.stat().st_size for p in files),
            "fingerprint": data_fingerprint(find_bank(out)),
        }
    )
    return facts


def unit_faker(*, rows: int, out: str, seed: int = 0) -> dict:
    """A plain row-by-row generator: Faker names and timestamps, a Python loop, a list of dicts, Parquet.

    The columns of ``transactions`` plus the customer's masked name; the same
    categories, directions, channels and median amounts as the package's ledger,
    and no customer model behind them.
    """
    import random
    from datetime import datetime as dt

    import pandas as pd
    from faker import Faker

    from crmstudy.synth.ledger import CATEGORIES

    names = [c[0] for c in CATEGORIES]
    weights = [c[2] for c in CATEGORIES]
    info = {c[0]: (c[1], float(c[5]), c[6]) for c in CATEGORIES}
    start, end = dt(2025, 1, 1), dt(2025, 12, 31, 23, 59, 59)

    def run() -> int:
        Faker.seed(seed)
        fake, rnd = Faker("zh_CN"), random.Random(seed)
        table = []
        for i in range(rows):
            cat = rnd.choices(names, weights)[0]
            direction, median, channels = info[cat]
            fuel = cat == "fuel"
            table.append(
                {
                    "txn_id": i + 1,
                    "customer_id": f"C{rnd.randint(1, 1_000_000):07d}",
                    "masked_name": fake.name(),
                    "ts": fake.date_time_between(start_date=start, end_date=end),
                    "amount": round(rnd.lognormvariate(0.0, 0.7) * median, 2),
                    "direction": direction,
                    "channel": rnd.choice(channels),
                    "merchant_category": cat,
                    "fuel_grade": rnd.choice((92, 95, 98)) if fuel else None,
                    "fuel_litres": round(rnd.uniform(20, 60), 1) if fuel else None,
                }
            )
        df = pd.DataFrame(table)
        df["fuel_grade"] = df["fuel_grade"].astype("Int16")
        Path(out).mkdir(parents=True, exist_ok=True)
        df.to_parquet(Path(out) / "transactions.parquet", compression="zstd", index=False)
        return len(df)

    facts = _timed(run)
    n = facts.pop("value")
    facts.update(
        {"rows": n, "all_rows": n, "files": 1, "disk_bytes": (Path(out) / "transactions.parquet").stat().st_size}
    )
    return facts


# one sampler for every benchmark: the summed RSS of a process tree
from foundation_cases import _TreeSampler  # noqa: E402


def _timed(call) -> dict:
    sampler = _TreeSampler()
    sampler.start()
    t0 = time.perf_counter()
    value = call()
    wall = time.perf_counter() - t0
    tree_peak = sampler.stop()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    kib = 1024  # ru_maxrss is in KiB on Linux
    return {
        "value": value,
        "wall_s": wall,
        "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        # the largest single process (this one or a worker) and the whole tree at its peak
        "largest_process_rss_bytes": max(me.ru_maxrss, kids.ru_maxrss) * kib,
        "tree_peak_rss_bytes": tree_peak,
        "load_1min": os.getloadavg()[0],
    }


# --- the runner ---------------------------------------------------------------------------------


def measure(unit: str, **args) -> dict:
    """Run one unit in a fresh interpreter; add the process's own wall time (start-up and imports included)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--unit", unit, json.dumps(args)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    process_wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BenchmarkError(f"unit '{unit}' failed (exit {proc.returncode}):\n{tail}")
    return {"unit": unit, "args": args, "process_wall_s": process_wall, **json.loads(lines[-1][len("RESULT ") :])}


def markdown_table(runs: list[dict], baseline: dict) -> str:
    head = [
        "run",
        "transaction rows",
        "all rows",
        "wall s",
        "transaction rows/s",
        "all rows/s",
        "× Faker rows/s",
        "peak RSS MB (all processes)",
        "largest process MB",
        "on disk MB",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    base_rate = baseline["rows"] / baseline["wall_s"]
    for r in [baseline, *runs]:
        rate = r["rows"] / r["wall_s"]
        cells = [
            r["label"],
            f"{r['rows']:,}",
            f"{r['all_rows']:,}",
            f"{r['wall_s']:.1f}",
            f"{rate:,.0f}",
            f"{r['all_rows'] / r['wall_s']:,.0f}",
            f"{rate / base_rate:,.1f}",
            f"{r['tree_peak_rss_bytes'] / MB:,.0f}",
            f"{r['largest_process_rss_bytes'] / MB:,.0f}",
            f"{r['disk_bytes'] / MB:,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(runs: list[dict], nproc: int) -> list[str]:
    """Issue 5's targets, met or not, and whether the chunk sizes gave the same bytes."""
    out = []
    for r in runs:
        rate = r["rows"] / r["wall_s"]
        out.append(
            f"- {r['label']}: {r['rows']:,} transactions (target ≥ {TARGET_TRANSACTIONS:,}: "
            f"{'met' if r['rows'] >= TARGET_TRANSACTIONS else 'NOT met'}); {rate:,.0f} rows/s "
            f"(target ≥ {TARGET_ROWS_PER_S:,}: {'met' if rate >= TARGET_ROWS_PER_S else 'NOT met'}); "
            f"peak RSS {r['tree_peak_rss_bytes'] / 1024**3:.2f} GB summed over all processes "
            f"(target ≤ 6 GB: {'met' if r['tree_peak_rss_bytes'] <= TARGET_PEAK_RSS_BYTES else 'NOT met'}); "
            f"{r['blocks']} blocks in {r['files']} files; {r['process_wall_s']:.1f} s with interpreter "
            f"start-up and imports; {r['cpu_s']:.0f} CPU s"
        )
        if r["load_1min"] > nproc + 1:
            out.append(f"- {r['label']}: machine busy (1-min load {r['load_1min']:.1f} on {nproc} CPUs)")
    prints = {r["fingerprint"] for r in runs}
    if len(runs) > 1:
        out.append(
            f"- byte-identical files whatever the chunk: {'yes' if len(prints) == 1 else 'NO'} "
            f"(fingerprints {', '.join(sorted(prints))})"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers of the large preset")
    parser.add_argument("--chunks", default="2,1", help="chunk sizes to run, separated by commas (default 2,1)")
    parser.add_argument("--baseline-rows", type=int, default=100_000, help="rows the Faker loop writes")
    parser.add_argument("--keep", default=None, help="keep the banks in this folder instead of a temporary one")
    parser.add_argument("--unit", default=None, help=argparse.SUPPRESS)
    parser.add_argument("unit_args", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.unit:  # a child process: run one unit and report
        result = globals()[f"unit_{args.unit}"](**json.loads(args.unit_args))
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    sys.path.insert(0, str(HERE))
    from run_foundation import machine

    chunks = [int(c) for c in args.chunks.split(",") if c.strip()]
    started = datetime.now().astimezone()
    info = machine()
    print(f"# crmstudy scale benchmark — {started:%Y-%m-%d %H:%M %Z}\n")
    print(
        f"machine: {info['usable_cpus']} usable CPUs ({info['cpu']}), {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}, commit {info['commit']}"
        f"{' + uncommitted changes' if info['uncommitted_package_changes'] else ''}, "
        f"load {info['load_1min_start']:.2f} at start\n",
        flush=True,
    )
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crmstudy-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        baseline = measure("faker", rows=args.baseline_rows, out=str(work / "faker"))
        baseline["label"] = f"Faker row loop → Parquet ({args.baseline_rows:,} rows)"
        runs = []
        for chunk in chunks:
            out = work / f"large-chunk{chunk}"
            shutil.rmtree(out, ignore_errors=True)
            r = measure("synth", customers=args.customers, chunk=chunk, out=str(out))
            r["label"] = f"crmstudy synth large ({args.customers:,} customers), chunk {chunk}"
            runs.append(r)
            print(f"  {r['label']}: {r['wall_s']:.1f} s", flush=True)
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table = markdown_table(runs, baseline)
    print("\n" + table + "\n")
    print("\n".join(verdicts(runs, info["usable_cpus"])))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "scale",
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": info,
        "targets": {
            "rows_per_s": TARGET_ROWS_PER_S,
            "peak_rss_bytes": TARGET_PEAK_RSS_BYTES,
            "transactions": TARGET_TRANSACTIONS,
        },
        "baseline": baseline,
        "runs": runs,
        "table_markdown": table,
    }
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
