"""The cross-sell offers of every branch: one bank-wide pass in the run's shared step against each branch alone.

Usage::

    .venv/bin/crmstudy synth --preset demo --out /tmp/bench_demo
    .venv/bin/python benchmarks/run_offers.py --data /tmp/bench_demo

* **alone**: :func:`crmstudy.reports.sections._offers.branch_offers` with no run folder, as a branch
  rendered by itself computes it (the branch's holdings, assets and history, then the scores);
* **one pass**: :func:`~crmstudy.reports.sections._offers.judge_for_run` scores the whole bank once
  and writes the chances sorted by branch; each branch then reads its own rows.

Both sides start after the bank's judgement (the cross-sell models, fitted once per run either way)
and check that every branch's offers are equal.  Prints one markdown table with the load average
before and after; the temporary work folder is deleted at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import statistics
import tempfile
import time

import pandas as pd

from crmstudy.reports.context import load_context
from crmstudy.reports.pipeline.shared import shared_slices
from crmstudy.reports.sections import _offers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a bank folder (crmstudy synth --out ...)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    first = load_context(args.data, "B001")
    bank, end, knobs = first.bank, first.period.end, first.params.association
    work = tempfile.mkdtemp(prefix="crmstudy-bench-offers-")
    try:
        features, _ = shared_slices(bank, str(first.period.start), str(end), work, bank.branch_ids, scores=False)
        _offers.judged(bank, end, knobs, work)  # the models, outside both timings
        t = time.perf_counter()
        _offers.judge_for_run(bank, end, knobs, work, features)
        one_pass = time.perf_counter() - t
        alone, read = [], []
        for branch in bank.branch_ids:
            ctx = load_context(args.data, branch, features_path=features)
            t = time.perf_counter()
            by_itself = _offers.branch_offers(ctx)
            alone.append(time.perf_counter() - t)
            in_run = dataclasses.replace(ctx, scores_path=os.path.join(work, "footprint_period", f"{branch}.pkl"))
            t = time.perf_counter()
            from_file = _offers.branch_offers(in_run)
            read.append(time.perf_counter() - t)
            pd.testing.assert_frame_equal(from_file["offers"], by_itself["offers"], check_exact=False, rtol=1e-12)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(alone)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {n} branches | seconds |\n|---|---|")
    print(f"| each branch alone, median | {statistics.median(alone):.2f} |")
    print(f"| each branch alone, all | {sum(alone):.1f} |")
    print(f"| one pass, whole bank | {one_pass:.2f} |")
    print(f"| then each branch reads its rows, median | {statistics.median(read):.3f} |")
    print(f"| one pass + every read | {one_pass + sum(read):.1f} ({sum(alone) / (one_pass + sum(read)):.1f}x faster) |")
    load_after = os.getloadavg()[0]
    print(f"\noffers equal in {n} of {n} branches; peak RSS {peak:.0f} MB; load {load_before:.1f} / {load_after:.1f}")


if __name__ == "__main__":
    main()
