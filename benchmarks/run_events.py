"""Event detection benchmark: a day's detection and the year's replay, against baselines in the same run.

Usage::

    .venv/bin/python benchmarks/run_events.py --data data_synthetic/demo
    flock /work/wt/bench.lock nice -n 5 .venv/bin/python benchmarks/run_events.py --data /work/bank1m --replay

Issue 15 asks for a day's detection on the 1M-customer bank in at most 10 s
and the full-year replay in at most 10 minutes on 2 cores.  Measured, each in
a fresh interpreter (this file with ``--unit``), for each detection day:

- **floor**: a hand-written DuckDB query of the simplest rule (a day's large
  flows per customer, summed and filtered, without the assets they are
  compared with) straight on the Parquet files: what reading a day costs;
- **whole tables**: ``detect(..., sliced=False)``, every rule on the whole
  tables (the implementation before the slices);
- **sliced**: ``detect(...)``, the rules on the rows they can use (:mod:`crmstudy.events.slices`);
- **store build**: :func:`crmstudy.events.daystore.open_store` on an empty folder: the one-time
  cost of the day-ordered copy (:mod:`crmstudy.events.daystore`), once per run;
- **store**: ``detect(..., store=...)`` with the copy built: a day reads its own row groups;
- **command**: ``crmstudy events --date`` end to end (interpreter, imports, writing the day),
  on an output folder whose day store is already built (the first day's command builds it).

With ``--replay``: ``crmstudy replay`` over the bank's whole period.  The
sliced, stored and whole-table events must be equal (checked; printed; ``--no-whole`` leaves
the slow whole-table case out and compares the store with the slices, themselves tested equal
to the whole tables).  Wall is
around the call only (except the command and the replay: the whole process),
peak RSS is ``ru_maxrss`` of the measuring process (or its child).  Writes
``benchmarks/results/events_<bank>.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MB = 1024


def _floor(data: str, day: str) -> dict:
    import duckdb

    from crmstudy.schema import find_bank
    from crmstudy.views import source_sql

    src = source_sql(find_bank(data).files["transactions"])
    con = duckdb.connect()
    t = time.perf_counter()
    n = con.execute(
        f"""SELECT COUNT(*) FROM (
          SELECT customer_id, direction, SUM(amount) FROM {src}
          WHERE ts >= TIMESTAMP '{day}' AND ts < TIMESTAMP '{day}' + INTERVAL 1 DAY
            AND merchant_category <> 'payroll_in'
          GROUP BY customer_id, direction HAVING SUM(amount) >= 10000)"""
    ).fetchone()[0]
    return {"wall": time.perf_counter() - t, "rows": int(n)}


def _build(data: str, store: str) -> dict:
    from crmstudy.bank import Bank
    from crmstudy.events.daystore import open_store

    bank = Bank.open(data)
    _ = bank.con
    t = time.perf_counter()
    st = open_store(bank, store)
    wall = time.perf_counter() - t
    size = sum(f.stat().st_size for f in st.path.glob("*.parquet"))
    return {"wall": wall, "rows": 0, "mb": size / 2**20}


def _detect(data: str, day: str, sliced: bool, store: str | None = None) -> dict:
    from crmstudy.bank import Bank
    from crmstudy.events import detect

    bank = Bank.open(data)
    _ = bank.con  # the views, as every command opens them
    t = time.perf_counter()
    ev = detect(bank, day, sliced=sliced, store=store)
    wall = time.perf_counter() - t
    return {"wall": wall, "rows": int(len(ev)), "ids": sorted(ev["event_id"]), "frame": ev.to_json()}


def _unit(args) -> None:
    if args.unit == "floor":
        out = _floor(args.data, args.day)
    elif args.unit == "build":
        out = _build(args.data, args.store)
    elif args.unit == "store":
        out = _detect(args.data, args.day, sliced=True, store=args.store)
    else:
        out = _detect(args.data, args.day, sliced=args.unit == "sliced")
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB
    print(json.dumps(out))


def _measure(unit: str, data: str, day: str | None = None, store: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--unit", unit, "--data", data] + (["--day", day] if day else [])
    cmd += ["--store", store] if store else []
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if p.returncode:
        raise SystemExit(f"{unit} {day}: {p.stderr.strip().splitlines()[-1]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _process(cmd: list[str]) -> dict:
    """Wall and peak RSS of one child process (``crmstudy events`` or ``replay``), from its own ``wait4``."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        if p.returncode:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)}: {err.read().strip().splitlines()[-1]}")
    return {"wall": wall, "rss_mb": usage.ru_maxrss / MB}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--days", default="2025-06-17,2025-06-30", help="detection days (a mid-month day, a month end)")
    ap.add_argument("--replay", action="store_true", help="also replay the whole period (crmstudy replay)")
    ap.add_argument("--no-whole", action="store_true", help="leave out the whole-table case (a minute a day at 1M)")
    ap.add_argument("--unit", help=argparse.SUPPRESS)
    ap.add_argument("--day", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.unit:
        return _unit(args)
    from crmstudy.bank import Bank

    bank = Bank.open(args.data)
    crm = [str(Path(sys.executable).with_name("crmstudy"))]
    rows, results = [], {"bank": str(args.data), "customers": bank.customer_count, "days": {}}
    work = tempfile.TemporaryDirectory()
    out_dir = Path(work.name) / "out"  # the command's event log, and its day store
    store = out_dir / "daystore"
    build = _measure("build", args.data, store=str(store))
    results["store_build"] = {k: build[k] for k in ("wall", "rss_mb", "mb")}
    first_cmd = None
    for day in args.days.split(","):
        floor = _measure("floor", args.data, day)
        whole = None if args.no_whole else _measure("whole", args.data, day)
        sliced = _measure("sliced", args.data, day)
        stored = _measure("store", args.data, day, store=str(store))
        cli = _process([*crm, "events", "--data", args.data, "--date", day, "--out", str(out_dir)])
        ref = sliced if whole is None else whole
        equal = ref["frame"] == sliced["frame"] == stored["frame"]
        results["days"][day] = {
            "floor": {k: floor[k] for k in ("wall", "rss_mb", "rows")},
            "whole": None if whole is None else {k: whole[k] for k in ("wall", "rss_mb", "rows")},
            "sliced": {k: sliced[k] for k in ("wall", "rss_mb", "rows")},
            "store": {k: stored[k] for k in ("wall", "rss_mb", "rows")},
            "command": {k: cli[k] for k in ("wall", "rss_mb")},
            "equal": equal,
            "load": os.getloadavg()[0],
        }
        w = "-" if whole is None else f"{whole['wall']:.2f} ({whole['rss_mb']:.0f} MB)"
        rows.append(
            f"| {day} | {sliced['rows']:,} | {floor['wall']:.2f} | {w} | "
            f"{sliced['wall']:.2f} ({sliced['rss_mb']:.0f} MB) | {stored['wall']:.2f} ({stored['rss_mb']:.0f} MB) | "
            f"{sliced['wall'] / stored['wall']:.1f}x | {stored['wall'] / floor['wall']:.2f}x | "
            f"{cli['wall']:.1f} ({cli['rss_mb']:.0f} MB) | {'yes' if equal else 'NO'} | {os.getloadavg()[0]:.1f} |"
        )
        first_cmd = first_cmd or cli
    work.cleanup()
    if args.replay:
        with tempfile.TemporaryDirectory() as tmp:
            rep = _process([*crm, "replay", "--data", args.data, "--out", tmp])
            summary = json.loads((Path(tmp) / "summary.json").read_text())
        results["replay"] = {
            "wall": rep["wall"],
            "rss_mb": rep["rss_mb"],
            "events": summary["events"],
            "seconds": summary.get("seconds"),
            "load": os.getloadavg()[0],
        }
    name = Path(args.data).resolve().name
    out = HERE / "results" / f"events_{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"bank {args.data}: {bank.customer_count:,} customers; cores {os.cpu_count()}")
    b = results["store_build"]
    print(f"day store built once: {b['wall']:.1f} s, peak {b['rss_mb']:.0f} MB, {b['mb']:.0f} MB of Parquet")
    print(
        "| day | events | floor s | whole tables s (peak) | sliced s (peak) | store s (peak) | sliced / store |"
        " store / floor | command s (peak) | equal | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.replay:
        r = results["replay"]
        print(
            f"replay of the period: {r['wall']:.1f} s, peak {r['rss_mb']:.0f} MB, {r['events']:,} events "
            f"(detection {r['seconds']['detection']} s, policy {r['seconds']['policy']} s; load {r['load']:.1f})"
        )


if __name__ == "__main__":
    main()
