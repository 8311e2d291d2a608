"""What the report run's bank-wide lifecycle costs (This week and Retention, once per run; issue 12).

    .venv/bin/crmstudy synth --preset large --out /tmp/bank1m
    .venv/bin/python benchmarks/run_lifecycle_bankwide.py --data /tmp/bank1m

Runs the steps of :func:`crmstudy.lifecycle.weekly.bankwide` one after another in this process,
in its order and with its caches (the month-end snapshots are made once and shared by the
evaluation and the score's fit), and prints each step's wall time, CPU time (DuckDB's threads
included) and the process's peak RSS after it, then the load average.  No run folder is used, so
nothing is read from an earlier run.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import timedelta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/bank1m")
    ns = parser.parse_args(argv)
    os.environ.pop("CRMSTUDY_RUN_CACHE", None)
    from crmstudy.bank import Bank
    from crmstudy.events import detect
    from crmstudy.lifecycle import churn, contact_effect, dormancy, weekly
    from crmstudy.params import ReportParams

    bank, params = Bank.open(ns.data), ReportParams()
    rp, end = params.retention, bank.period.end
    rows = []

    def step(name, fn):
        u0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        out = fn()
        u1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = u1.ru_utime + u1.ru_stime - u0.ru_utime - u0.ru_stime
        rows.append((name, time.perf_counter() - w0, cpu, u1.ru_maxrss / 1e6))
        print(f"{name:34s} {rows[-1][1]:7.1f} s wall {cpu:7.1f} s cpu  peak {rows[-1][3]:.2f} GB", flush=True)
        return out

    load0 = os.getloadavg()[0]
    snaps = step("month-end snapshots", lambda: churn.month_end_snapshots(bank))
    ev = step("churn evaluation (fits + bootstrap)", lambda: churn.evaluate(bank, snaps=snaps, n_boot=rp.n_boot))
    drains = step("balance drains", lambda: contact_effect.drain_events(bank, min_drop=rp.min_drop))
    step(
        "contact effect",
        lambda: contact_effect.contact_effect(bank, drains, deadline_days=rp.deadline_days, horizon=rp.horizon_days),
    )
    step("wake-up after a contact", lambda: dormancy.wake_up(bank))
    reasons = weekly.warning_reasons(ev, tuple(rp.slope_band))
    step("scores at the period's end", lambda: churn.score(bank, end))
    start = max(bank.period.start, end - timedelta(days=weekly.WEEK_DAYS - 1))
    step("the week's events", lambda: detect(bank, start, end, params=params))
    print(
        f"total {sum(r[1] for r in rows):.1f} s wall, {sum(r[2] for r in rows):.1f} s cpu, "
        f"peak {max(r[3] for r in rows):.2f} GB; warning reasons {reasons or 'none'}; "
        f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
