"""The profit roll-up against a hand-written DuckDB query of the same sums, in the same run (issue 16).

Usage::

    .venv/bin/python benchmarks/run_profit.py --data data_synthetic/demo
    flock /work/wt/bench.lock nice -n 5 .venv/bin/python benchmarks/run_profit.py --data /work/bank1m

One process: the profit lines are priced once (:func:`crmstudy.profit.profit_inputs` and
:func:`crmstudy.profit.contribution`, wall and peak RSS reported), then for every level of
:data:`crmstudy.profit.rollup.LEVELS`, alternating, best of ``--repeat``:

- **rollup**: :func:`crmstudy.profit.rollup` end to end (binds the lines to a fresh DuckDB
  connection, compiles the Ibis expression, runs it, casts the sums to int64 cents);
- **hand SQL**: the same sums written by hand (``SUM(..)::BIGINT``, ``COUNT(*)``,
  ``COUNT(DISTINCT customer_id)`` grouped and ordered by the level) on a connection with the
  lines already registered.

The roll-up must agree with the hand-written query to the cent at every level, and every
level must add up to the lines' total to the cent (:func:`crmstudy.profit.rollup.check_additive`),
hold every line once, and have each group's contribution equal its interest + fees less its
costs; the run fails otherwise (exit 1).  Writes ``benchmarks/results/profit_<bank>.json`` and prints a
markdown table with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--no-per-level", action="store_true", help="only the all-levels call each way (the 1M bank: minutes a call)"
    )
    args = ap.parse_args(argv)

    import duckdb

    import crmstudy.profit as pf
    from crmstudy.profit.contribution import MEASURES
    from crmstudy.profit.rollup import LEVELS, check_additive, rollup, rollups

    out = {"data": args.data, "load_before": os.getloadavg()}
    t = time.perf_counter()
    inputs = pf.profit_inputs(args.data)
    out["inputs_s"] = time.perf_counter() - t
    t = time.perf_counter()
    profit = pf.contribution(inputs)
    out["price_s"] = time.perf_counter() - t
    lines = profit.lines
    out["lines"] = len(lines)
    out["rss_after_pricing_mb"] = _rss_mb()

    con = duckdb.connect(":memory:")
    con.register("lines", lines)
    sums = ", ".join(f"SUM({m})::BIGINT AS {m}" for m in MEASURES)

    def hand(cols):
        by = ", ".join(cols)
        sql = (
            f"SELECT {by}, {sums}, COUNT(*) AS lines, COUNT(DISTINCT customer_id) AS customers "
            f"FROM lines GROUP BY {by} ORDER BY {by}"
        )
        return con.execute(sql).df()

    def hand_all():
        fresh = duckdb.connect(":memory:")
        fresh.register("lines", lines)
        return {name: _hand(fresh, cols) for name, cols in LEVELS.items()}

    def _hand(c, cols):
        by = ", ".join(cols)
        sql = (
            f"SELECT {by}, {sums}, COUNT(*) AS lines, COUNT(DISTINCT customer_id) AS customers "
            f"FROM lines GROUP BY {by} ORDER BY {by}"
        )
        return c.execute(sql).df()

    # every level in one call each way: what a report or an analyst runs
    best = {"rollup": float("inf"), "hand": float("inf")}
    for _ in range(args.repeat):
        t = time.perf_counter()
        rolled = rollups(lines)
        best["rollup"] = min(best["rollup"], time.perf_counter() - t)
        t = time.perf_counter()
        refs = hand_all()
        best["hand"] = min(best["hand"], time.perf_counter() - t)
    out["all_levels"] = {**best, "ratio": best["rollup"] / best["hand"]}
    rows = []
    for name, cols in LEVELS.items():
        b = {"rollup": float("inf"), "hand": float("inf")}
        for _ in range(0 if args.no_per_level else args.repeat):
            t = time.perf_counter()
            rollup(lines, name)
            b["rollup"] = min(b["rollup"], time.perf_counter() - t)
            t = time.perf_counter()
            hand(cols)
            b["hand"] = min(b["hand"], time.perf_counter() - t)
        ref = refs[name].astype({c: str for c in cols}).sort_values(list(cols), ignore_index=True)
        mine = rolled[name].astype({c: str for c in cols}).sort_values(list(cols), ignore_index=True)
        for m in (*MEASURES, "lines", "customers"):
            if not (mine[m].astype("int64").to_numpy() == ref[m].astype("int64").to_numpy()).all():
                print(f"run_profit: level '{name}' {m}: the roll-up differs from the hand-written SQL", file=sys.stderr)
                return 1
        ratio = b["rollup"] / b["hand"] if b["hand"] < float("inf") else float("nan")
        rows.append({"level": name, "groups": len(rolled[name]), **b, "ratio": ratio})
    t = time.perf_counter()
    totals = check_additive(profit, rolled)  # raises DataError naming the level and measure
    # and, level by level, to the cent: each group's contribution is its interest + fees less its
    # costs, the groups hold every line once, and the hand-written SQL's groups add up to the same totals
    additive = {}
    for name in LEVELS:
        df = rolled[name]
        identity = df["interest"] + df["fees"] - df["cost_to_serve"] - df["rm_cost"] - df["expected_loss"]
        bad = int((identity != df["contribution"]).sum())
        hand_totals = {m: int(refs[name][m].astype("int64").sum()) for m in MEASURES}
        if bad or int(df["lines"].sum()) != len(lines) or hand_totals != totals:
            print(f"run_profit: level '{name}' does not add up to the cent ({bad} groups off)", file=sys.stderr)
            return 1
        additive[name] = {
            "groups": len(df),
            "contribution": int(df["contribution"].sum()),
            "lines": int(df["lines"].sum()),
        }
    out["additive_s"] = time.perf_counter() - t
    out["totals_cents"] = totals
    out["additive"] = additive
    out["levels"] = rows
    out["peak_rss_mb"] = _rss_mb()
    out["load_after"] = os.getloadavg()

    bank = Path(args.data).name
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"profit_{bank}.json").write_text(json.dumps(out, indent=2, default=str))
    print(
        f"bank {bank}: {out['lines']:,} profit lines; inputs {out['inputs_s']:.1f} s, pricing {out['price_s']:.1f} s; "
        f"peak RSS {out['peak_rss_mb']:,.0f} MB; load {out['load_before'][0]:.1f} -> {out['load_after'][0]:.1f}"
    )
    print(
        f"additive to the cent at every level ({', '.join(LEVELS)}): each sums to contribution "
        f"{totals['contribution']:,} cents over {len(lines):,} lines, every group's contribution is its "
        "interest + fees - costs, and the hand-written SQL's groups give the same totals"
    )
    a = out["all_levels"]
    print(
        f"all {len(LEVELS)} levels, one call each way: roll-up {a['rollup']:.2f} s, "
        f"hand SQL {a['hand']:.2f} s, {a['ratio']:.2f}x"
    )
    print("| level (one call each) | groups | roll-up s | hand SQL s (lines registered) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['level']} | {r['groups']:,} | {r['rollup']:.2f} | {r['hand']:.2f} | {r['ratio']:.2f}x |")
    slow = [r["level"] for r in [{"level": "all levels", **a}] if r["ratio"] > 1.3]
    if slow:
        print(f"run_profit: above 1.3x the hand-written SQL: {', '.join(slow)}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
