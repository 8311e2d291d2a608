"""What the cross-sell judgement costs a report run: the run's shared step, timed in this process.

Run from the repository root, one bank per process (peak RSS is the process's)::

    /usr/bin/time -v python benchmarks/judge_cost.py data_synthetic/demo

Times :func:`crmstudy.reports.sections._offers.judge_for_run` (the hold-out judgement and the
deployed take-up models of the whole bank, with the default report parameters) into a temporary
work folder and prints its seconds, the process's peak RSS and the hold-out's result.  Run it with
another checkout first on ``PYTHONPATH`` to time that version of the code on the same bank.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time


def main(argv=None) -> None:
    from crmstudy.bank import Bank
    from crmstudy.params import ReportParams
    from crmstudy.reports.sections._offers import judge_for_run, judged

    bank = Bank.open((argv or sys.argv[1:])[0])
    knobs = ReportParams().association
    end = bank.period.end
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        judge_for_run(bank, end, knobs, work)
        seconds = time.perf_counter() - t0
        ev, model = judged(bank, end, knobs, work)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"judge_for_run {seconds:.2f} s, peak RSS {peak:.0f} MB, end {end}")
    if ev is not None:
        print(
            f"hold-out: {ev.n_test} customers, hit@{ev.k} model {ev.hit_model:.1%}, group {ev.hit_group:.1%}, "
            f"popularity {ev.hit_popularity:.1%}; gain {100 * ev.gain:+.1f} ({100 * ev.gain_low:.1f} to "
            f"{100 * ev.gain_high:.1f}) points, beats it: {ev.beats_baseline}; {len(model.columns_)} covariates"
        )


if __name__ == "__main__":
    main()
