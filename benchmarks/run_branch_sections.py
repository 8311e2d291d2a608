"""Where a branch's time goes: each section of a few branches, built warm after the run's shared step.

Usage::

    .venv/bin/crmstudy synth --preset large --out /tmp/bank1m
    .venv/bin/python benchmarks/run_branch_sections.py --data /tmp/bank1m --branches B001,B002,B003

What a report run does, in one process: the bank's checks (:func:`crmstudy.bank_checks.check_bank_once`,
as planning runs them: after a pass, reads coerce types without checking values again), the run's shared step
(:func:`crmstudy.reports.pipeline.shared.attach_shared`: features, footprint scores, the cross-sell
judgement), then for each branch :func:`crmstudy.reports.context.load_context` and every section
with :func:`crmstudy.reports.sections.build`, timed one by one.  The first branch also computes
the run's bank-wide results (the lifecycle's churn evaluation and the rest of
:mod:`crmstudy.runcache`), as the first branch of a worker does; the later ones show the
per-branch cost of a warm kernel.  Prints one markdown row per branch (sections over 0.05 s) and
the peak RSS; the work folder (it holds unmasked features) is deleted at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import tempfile
import time
from pathlib import Path

from crmstudy import runcache
from crmstudy.bank import Bank
from crmstudy.bank_checks import check_bank_once
from crmstudy.params import load_params
from crmstudy.reports import context, sections
from crmstudy.reports.pipeline.shared import attach_shared


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="a bank folder")
    ap.add_argument("--branches", default="B001,B002,B003", help="comma-separated branch ids")
    ap.add_argument("--params", default=str(Path(__file__).parents[1] / "params" / "defaults.yaml"))
    ap.add_argument(
        "--profile",
        default="",
        help="comma-separated sections to profile in every branch after the first (top 25, cumulative)",
    )
    args = ap.parse_args(argv)
    branches = [b for b in args.branches.split(",") if b]
    profiled = {s for s in args.profile.split(",") if s}
    bank = Bank.open(args.data)
    params = {b: load_params(args.params, branch=b) for b in branches}
    t = time.perf_counter()
    check_bank_once(bank)  # as the run's planning does; found marked after a first pass
    print(f"bank checks: {time.perf_counter() - t:.1f} s", flush=True)
    run = Path(tempfile.mkdtemp(prefix="crmstudy-sections-"))
    try:
        jobs = [{"branch_id": b} for b in branches]
        t = time.perf_counter()
        attach_shared(jobs, bank, params, run, bank.fingerprint)
        print(f"shared step: {time.perf_counter() - t:.1f} s", flush=True)
        os.environ[runcache.ENV] = jobs[0]["bankwide_dir"]
        print("| branch | total s | load_context and sections over 0.05 s (s) |\n|---|---|---|")
        for job in jobs:
            b = job["branch_id"]
            t0 = time.perf_counter()
            ctx = context.load_context(
                args.data,
                b,
                params[b].as_dict(),
                features_path=job.get("features_path"),
                fingerprint=job["data_fingerprint"],
                scores_path=job.get("scores_path"),
                standing=job.get("standing"),
            )
            times = {"load_context": time.perf_counter() - t0}
            built = {}
            modules = dict(zip(sections.names(), sections.SECTIONS))
            # as build_all does: a section that reads others' (the action box) last, from what they built
            order = sorted(modules, key=lambda n: bool(getattr(modules[n], "READS_SECTIONS", None)))
            for name in order:
                t1 = time.perf_counter()
                reads = getattr(modules[name], "READS_SECTIONS", None)
                profiler = cProfile.Profile() if name in profiled and job is not jobs[0] else None
                if profiler:
                    profiler.enable()
                if reads:
                    built[name] = modules[name].build(ctx, {k: built[k] for k in reads})
                else:
                    built[name] = sections.build(name, ctx)
                times[name] = time.perf_counter() - t1
                if profiler:
                    profiler.disable()
                    print(f"--- {b} {name} under cProfile ---")
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            shown = ", ".join(f"{k} {v:.2f}" for k, v in times.items() if v > 0.05)
            print(f"| {b} | {time.perf_counter() - t0:.1f} | {shown} |", flush=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
