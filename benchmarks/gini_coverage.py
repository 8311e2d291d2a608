"""Coverage of the Gini interval methods: how often a nominal 95% interval holds the true Gini.

Run from the repository root::

    python benchmarks/gini_coverage.py                 # every case, 500 repetitions
    python benchmarks/gini_coverage.py --reps 100 --cases lognormal-1.38-1400

Cases: lognormal(sigma) samples of n customers, whose true Gini is
2 Phi(sigma / sqrt 2) - 1, and the generator's asset law: the target average
daily assets (``truth.bank_assets``, the law the ledger's balances follow) of
1,000,000 customers drawn by the demo spec's own population code
(docs/generative_model.md) taken as the population, n customers drawn from it
with replacement, true Gini the population's.  Every method of
:func:`crmstudy.pareto.gini` is computed on the same sample and the same
resamples (``n_boot`` of them, the report's default 500; ``--n-boot-large``
at n = 20,000, where each call takes seconds).  Seconds: the mean time of one ``gini(..., method=m)`` call, measured on
a few samples apart from the coverage loop.

The table (method x case -> coverage, mean width, seconds) is printed and
written to ``benchmarks/results/gini_coverage.md`` and ``.csv``.

``--timing 2000`` instead times each method at one size (lognormal sigma 2 samples,
``n_boot`` 1,000, :func:`crmstudy.pareto.gini`'s default, and 500, the reports'), the
methods interleaved and repeated, and prints the median seconds and the ratio to the
first method given.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from crmstudy.pareto import gini
from crmstudy.pareto_intervals import METHODS, gini_intervals

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (200, 1_400, 20_000)


def lognormal_gini(sigma: float) -> float:
    """The Gini of a lognormal(sigma): 2 Phi(sigma / sqrt 2) - 1."""
    return float(2.0 * stats.norm.cdf(sigma / np.sqrt(2.0)) - 1.0)


def asset_population(n: int = 1_000_000) -> np.ndarray:
    """Target average daily assets of ``n`` customers drawn by the demo spec's population code."""
    from crmstudy.synth import preset_spec
    from crmstudy.synth.population import make_branches, make_customers

    spec = preset_spec("demo")
    rng = np.random.default_rng(20261202)
    branches = make_branches(spec, rng)
    return make_customers(spec, branches, rng, n=n)[1]["bank_assets"].to_numpy(dtype="float64")


def cases() -> dict[str, tuple]:
    """name -> (sampler(rng, n), n, true Gini); the asset population is built on first use."""
    out = {}
    for sigma in (1.38, 2.0):
        for n in SIZES:
            out[f"lognormal-{sigma:g}-{n}"] = ("lognormal", sigma, n)
    for n in SIZES:
        out[f"assets-{n}"] = ("assets", None, n)
    return out


def run_case(kind, sigma, n, *, reps: int, n_boot: int, population) -> list[dict]:
    """Coverage, mean width and seconds of every method on one case."""
    if kind == "lognormal":
        truth = lognormal_gini(sigma)

        def draw(rng):
            return rng.lognormal(0.0, sigma, n)
    else:
        truth = gini(population, ci=None).estimate

        def draw(rng):
            return rng.choice(population, size=n, replace=True)

    rng = np.random.default_rng(20261201 + n + int(10 * (sigma or 0)))
    hits = {m: 0 for m in METHODS}
    widths = {m: [] for m in METHODS}
    for rep in range(reps):
        x = np.sort(draw(rng))
        for m, (low, high) in gini_intervals(x, methods=METHODS, n_boot=n_boot, seed=rep).items():
            hits[m] += bool(low <= truth <= high)
            widths[m].append(high - low)
    seconds = {}
    timing_samples = [np.sort(draw(rng)) for _ in range(2 if n >= 20_000 else 10)]
    for m in METHODS:
        start = time.perf_counter()
        for x in timing_samples:
            gini(x, n_boot=n_boot, method=m)
        seconds[m] = (time.perf_counter() - start) / len(timing_samples)
    return [
        {
            "method": m,
            "coverage": hits[m] / reps,
            "mean_width": float(np.nanmean(widths[m])),
            "seconds": seconds[m],
            "true_gini": truth,
        }
        for m in METHODS
    ]


def to_markdown(table: pd.DataFrame) -> str:
    """Coverage % (mean width) per method and case, then seconds per call."""
    cell = table.assign(
        cell=[f"{c:.1%} ({w:.3f})" for c, w in zip(table["coverage"], table["mean_width"], strict=True)]
    )
    cov = cell.pivot(index="method", columns="case", values="cell").reindex(METHODS)
    sec = table.pivot(index="method", columns="case", values="seconds").reindex(METHODS).map(lambda s: f"{s:.3f}")
    order = list(dict.fromkeys(table["case"]))
    truth = table.drop_duplicates("case").set_index("case")["true_gini"]
    lines = ["Coverage of a nominal 95% interval (mean width):", ""]
    lines += _md(cov[order]) + ["", "True Gini: " + ", ".join(f"{c} {truth[c]:.4f}" for c in order), ""]
    lines += ["Seconds per call (n_boot as above):", ""] + _md(sec[order])
    return "\n".join(lines) + "\n"


def _md(frame: pd.DataFrame) -> list[str]:
    head = "| method | " + " | ".join(frame.columns) + " |"
    rule = "|---|" + "---|" * len(frame.columns)
    return [head, rule] + ["| " + str(i) + " | " + " | ".join(map(str, r)) + " |" for i, r in frame.iterrows()]


def timing(n: int, methods, *, repeats: int = 15) -> str:
    """Median seconds of one call per method at size ``n``, interleaved, and ratios to the first."""
    rng = np.random.default_rng(7)
    samples = [np.sort(rng.lognormal(0.0, 2.0, n)) for _ in range(repeats)]
    lines = [f"n = {n:,}, {repeats} samples, median seconds per call (ratio to {methods[0]})", ""]
    for n_boot in (1_000, 500):
        times = {m: [] for m in methods}
        for seed, x in enumerate(samples):
            for m in methods:
                start = time.perf_counter()
                gini(x, n_boot=n_boot, method=m, seed=seed)
                times[m].append(time.perf_counter() - start)
        base = float(np.median(times[methods[0]]))
        for m in methods:
            med = float(np.median(times[m]))
            lines.append(f"n_boot {n_boot:>5}: {m:28s} {med:.3f} s ({med / base:.2f}x)")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    """Run the cases, print the table, write it to benchmarks/results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--n-boot-large", type=int, default=200, help="n_boot at n >= 20,000")
    parser.add_argument("--cases", nargs="*", default=None, help="case names (default: all)")
    parser.add_argument("--out", default="gini_coverage")
    parser.add_argument("--methods", nargs="*", default=None, help="methods (default: all)")
    parser.add_argument("--tail-exponent", type=float, default=None, help="semiparametric: k = n ** this")
    parser.add_argument("--timing", type=int, default=None, help="only time the methods at this n")
    args = parser.parse_args(argv)
    global METHODS
    if args.methods:
        METHODS = tuple(args.methods)
    if args.timing:
        print(timing(args.timing, METHODS))
        return
    if args.tail_exponent is not None:
        import crmstudy.pareto_intervals as intervals
        from crmstudy.pareto_tail import tail_size

        intervals.tail_size = lambda n: tail_size(n, args.tail_exponent)
    chosen = cases() if not args.cases else {k: v for k, v in cases().items() if k in args.cases}
    population = asset_population() if any(kind == "assets" for kind, _, _ in chosen.values()) else None
    rows = []
    for name, (kind, sigma, n) in chosen.items():
        start = time.perf_counter()
        n_boot = args.n_boot_large if n >= 20_000 else args.n_boot
        for row in run_case(kind, sigma, n, reps=args.reps, n_boot=n_boot, population=population):
            rows.append({"case": name, **row})
        print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    tail = f", tail exponent {args.tail_exponent}" if args.tail_exponent is not None else ""
    text = f"reps {args.reps}{tail}, n_boot {args.n_boot} ({args.n_boot_large} at n = 20,000)\n\n" + to_markdown(table)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    table.to_csv(RESULTS / f"{args.out}.csv", index=False)
    (RESULTS / f"{args.out}.md").write_text(text)


if __name__ == "__main__":
    main()
