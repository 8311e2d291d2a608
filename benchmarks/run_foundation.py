"""Foundation benchmark: crmstudy's building blocks against plain baselines, in one run.

Usage::

    .venv/bin/python benchmarks/run_foundation.py [--quick]

Every measurement runs in a fresh process (``foundation_cases.py``) so that
peak memory of one case never mixes with another's.  Writes
``benchmarks/results/foundation.json`` and prints a markdown table; see
``benchmarks/README.md`` for what each case measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "foundation_cases.py"
RESULTS = HERE / "results" / "foundation.json"

#: Rows the stdlib generator writes; its rows/s is reported as measured, not extrapolated.
BASELINE_SYNTH_ROWS = 200_000
#: Gini case: customers and bootstrap resamples.
GINI_N, GINI_BOOT = 1_000_000, 200
#: Largest relative ADA difference still counted as agreement (summation order only).
ADA_TOLERANCE = 1e-9

MB = 1024 * 1024


class BenchmarkError(RuntimeError):
    """A measured process failed; the message carries the end of its stderr."""


@dataclass
class Comparison:
    """One row of the table: a crmstudy call against its baseline, measured in the same run.

    Attributes
    ----------
    case, baseline : str
        What was timed on each side.
    result, base : dict
        What ``foundation_cases.measure`` returned for each side.
    ratio : float
        See ``ratio_meaning``; for most rows ``baseline / case`` (higher is better).
    ratio_meaning : str
        How to read ``ratio``, e.g. ``"x faster"`` or ``"x the floor"``.
    rows_unit : str
        What ``rows`` counts, e.g. ``"transaction rows"``.
    checks : dict
        Agreement of the two sides' answers, where they compute the same thing.
    """

    case: str
    baseline: str
    result: dict
    base: dict
    ratio: float
    ratio_meaning: str
    rows_unit: str
    checks: dict = field(default_factory=dict)


def measure(unit: str, **args) -> dict:
    """Run one unit of ``foundation_cases.py`` in a fresh interpreter and return its measurement."""
    proc = subprocess.run(
        [sys.executable, str(WORKER), unit, json.dumps(args)], cwd=REPO, capture_output=True, text=True
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BenchmarkError(f"unit '{unit}' failed (exit {proc.returncode}):\n{tail}")
    return json.loads(lines[-1][len("RESULT ") :])


def _rate(m: dict) -> float:
    return m["rows"] / m["wall_s"] if m["rows"] else float("nan")


# --- the cases ---


def case_synth(work: Path, *, preset: str) -> tuple[Comparison, Path]:
    """Case 1: ``synthesize`` of a preset vs a stdlib row-by-row generator; returns the bank too.

    The two sides write different numbers of rows, so the ratio is of rows/s.
    """
    bank = work / preset
    new = measure("synth", preset=preset, out=str(bank))
    (work / "baseline_synth").mkdir()
    base = measure("synth_baseline", n_rows=BASELINE_SYNTH_ROWS, n_customers=20_000, out=str(work / "baseline_synth"))
    cmp = Comparison(
        f"1. synthesize({preset})",
        f"stdlib random row loop, {base['rows']:,} rows → parquet",
        new,
        base,
        _rate(new) / _rate(base),
        "x rows/s",
        "transaction rows",
    )
    return cmp, bank


def case_features(bank: Path, work: Path) -> Comparison:
    """Case 2: ``customer_features`` (DuckDB) vs a pandas groupby of ADA and transaction totals."""
    ours, theirs = work / "features_crmstudy.parquet", work / "features_pandas.parquet"
    new = measure("features", bank=str(bank), save_to=str(ours))
    base = measure("features_baseline", bank=str(bank), save_to=str(theirs))
    cmp = Comparison(
        f"2. customer_features({bank.name})",
        "pandas read_parquet + groupby (ADA, n_txn, amounts)",
        new,
        base,
        base["wall_s"] / new["wall_s"],
        "x faster",
        "balance + transaction rows",
    )
    cmp.checks = _compare_features(ours, theirs)
    return cmp


def _compare_features(ours: Path, theirs: Path) -> dict:
    """Largest relative differences between the two feature tables, customer by customer."""
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(ours).set_index("customer_id").sort_index()
    b = pd.read_parquet(theirs).set_index("customer_id").sort_index()

    def max_rel(col: str) -> float:
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        scale = np.maximum(np.abs(x), np.abs(y))
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(scale > 0, np.abs(x - y) / scale, 0.0)
        return float(rel.max())

    same_customers = a.index.equals(b.index)
    checks = {"same_customers": same_customers}
    if same_customers:
        checks.update(
            {
                "ada_max_rel_diff": max_rel("ada"),
                "amount_in_max_rel_diff": max_rel("amount_in"),
                "amount_out_max_rel_diff": max_rel("amount_out"),
                "n_txn_mismatches": int((a["n_txn"] != b["n_txn"]).sum()),
            }
        )
        checks["ada_agree"] = checks["ada_max_rel_diff"] <= ADA_TOLERANCE
    return checks


def case_gini() -> list[Comparison]:
    """Case 3: bootstrap Gini and ``pareto_summary`` on a million lognormal values."""
    new = measure("gini", n=GINI_N, n_boot=GINI_BOOT)
    base = measure("gini_baseline", n=GINI_N, n_boot=GINI_BOOT)
    boot = Comparison(
        f"3a. gini(1M, n_boot={GINI_BOOT})",
        f"np.sort of each of {GINI_BOOT} resamples + formula",
        new,
        base,
        base["wall_s"] / new["wall_s"],
        "x faster",
        "values",
    )
    boot.checks = {
        "estimate_abs_diff": abs(new["estimate"] - base["estimate"]),
        "interval": [new["low"], new["high"]],
        "baseline_interval": [base["low"], base["high"]],
    }
    new = measure("pareto_summary", n=GINI_N)
    base = measure("pareto_summary_baseline", n=GINI_N)
    summary = Comparison(
        "3b. pareto_summary(1M)",
        "gini + 3 top_share + customers_holding_share, a sort each",
        new,
        base,
        base["wall_s"] / new["wall_s"],
        "x faster",
        "values",
    )
    summary.checks = {"max_abs_diff": max(abs(new[k] - base[k]) for k in ("gini", "top20_share", "customers_for_80"))}
    return [boot, summary]


def case_branch_report(tiny: Path, work: Path) -> Comparison:
    """Case 4: one branch report end to end vs papermill + render of an empty notebook."""
    new = measure(
        "reports", bank=str(tiny), out=str(work / "reports-one-branch"), branches="B001", workers=1, run_id="one-branch"
    )
    base = measure("report_floor", out=str(work / "floor"))
    return Comparison(
        "4. run_reports(tiny, B001, workers=1)",
        "floor: papermill one-`pass` notebook + builtin render",
        new,
        base,
        new["wall_s"] / base["wall_s"],
        "x the floor",
        "customers",
    )


def case_all_branches(bank: Path, work: Path) -> Comparison:
    """Case 5: every branch of a bank with two workers vs one.

    Each run writes to its own empty folder, so no branch is served from the
    report cache of the other.
    """
    base = measure(
        "reports",
        bank=str(bank),
        out=str(work / "reports-workers-1"),
        branches="all",
        workers=1,
        run_id="all-workers-1",
    )
    new = measure(
        "reports",
        bank=str(bank),
        out=str(work / "reports-workers-2"),
        branches="all",
        workers=2,
        run_id="all-workers-2",
    )
    cmp = Comparison(
        f"5. run_reports({bank.name}, all, workers=2)",
        "workers=1",
        new,
        base,
        base["wall_s"] / new["wall_s"],
        "x speed-up",
        "customers",
    )
    cmp.checks = {"branches": new["branches"]}
    return cmp


# --- machine and output ---


def machine() -> dict:
    """Cores, memory, CPU, Python and library versions, and the commit measured."""
    mem_kib = next(
        int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal:")
    )
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "crmstudy", "notebooks"], cwd=REPO, capture_output=True, text=True
    )
    versions = {}
    for pkg in ("crmstudy", "numpy", "pandas", "pyarrow", "duckdb", "papermill", "pypandoc-binary"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit.stdout.strip() or None,
        # the package measured is the working tree: say when it differs from the commit
        "uncommitted_package_changes": bool(dirty.stdout.strip()),
        "versions": versions,
        # other work on the machine slows wall times; each measurement records the load too
        "load_1min_start": os.getloadavg()[0],
    }


def _mb(m: dict) -> str:
    return f"{m['peak_rss_bytes'] / MB:,.0f}"


def _rows_per_s(c: Comparison) -> str:
    def fmt(m: dict) -> str:
        return f"{_rate(m):,.0f}" if m["rows"] else "—"

    return f"{fmt(c.result)} (baseline {fmt(c.base)}) {c.rows_unit}/s"


def markdown_table(comparisons: list[Comparison]) -> str:
    """The comparisons as a markdown table, one row each."""
    head = ["case", "baseline", "wall s", "baseline wall s", "ratio", "peak RSS MB", "baseline peak RSS MB", "rows/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in comparisons:
        cells = [
            c.case,
            c.baseline,
            f"{c.result['wall_s']:.2f}",
            f"{c.base['wall_s']:.2f}",
            f"{c.ratio:.2f} {c.ratio_meaning}",
            _mb(c.result),
            _mb(c.base),
            _rows_per_s(c),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(comparisons: list[Comparison], nproc: int) -> list[str]:
    """Checks, process-tree memory peaks and busy-machine warnings worth reading beside the table."""
    out = []
    for c in comparisons:
        busy = max(c.result["load_1min"], c.base["load_1min"])
        if busy > nproc + 1:  # more runnable work than this run alone makes
            out.append(
                f"- {c.case}: machine busy (1-min load {busy:.1f} on {nproc} CPUs); CPU s "
                f"{c.result['cpu_s']:.1f} vs baseline {c.base['cpu_s']:.1f}"
            )
        if c.checks:
            out.append(f"- {c.case}: " + ", ".join(f"{k}={_short(v)}" for k, v in c.checks.items()))
        if c.result["tree_peak_rss_bytes"] > 1.2 * c.result["peak_rss_bytes"]:
            out.append(
                f"- {c.case}: summed RSS of the process tree peaked at "
                f"{c.result['tree_peak_rss_bytes'] / MB:,.0f} MB "
                f"(baseline {c.base['tree_peak_rss_bytes'] / MB:,.0f} MB), sampled every 0.1 s"
            )
    return out


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    return str(v)


def run(quick: bool, work: Path) -> list[Comparison]:
    """Every case in order; the bank of case 1 feeds cases 2 and 5."""
    synth, bank = case_synth(work, preset="tiny" if quick else "demo")
    comparisons = [synth, case_features(bank, work), *case_gini()]
    tiny = bank if quick else work / "tiny"
    if not quick:
        measure("synth", preset="tiny", out=str(tiny))  # untimed: the input of case 4
    comparisons.append(case_branch_report(tiny, work))
    if not quick:
        comparisons.append(case_all_branches(bank, work))
    return comparisons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny bank for cases 1-2, skip case 5 (all demo branches)")
    args = parser.parse_args(argv)
    started = datetime.now().astimezone()
    info = machine()
    print(f"# crmstudy foundation benchmark — {started:%Y-%m-%d %H:%M %Z}{' (quick)' if args.quick else ''}\n")
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}, commit {info['commit']}"
        f"{' + uncommitted changes' if info['uncommitted_package_changes'] else ''}, "
        f"load {info['load_1min_start']:.2f} at start\n",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="crmstudy-bench-"))
    try:
        comparisons = run(args.quick, work)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = markdown_table(comparisons)
    print(table)
    print("\n" + "\n".join(notes(comparisons, info["nproc"])))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": "foundation",
        "date": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": info,
        "comparisons": [asdict(c) for c in comparisons],
        "table_markdown": table,
    }
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
