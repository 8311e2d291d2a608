"""What the foundation benchmark measures: one unit per process.

Run by ``run_foundation.py``, never imported by it::

    python benchmarks/foundation_cases.py UNIT '{"arg": ...}'

Each unit is a ``setup_<unit>(**args)`` function that does its preparation
(untimed) and returns a zero-argument callable: the thing timed.  The callable
returns a dict of facts (``rows`` and anything checked later); a ``_frame``
entry is written to ``args["save_to"]`` after the clock has stopped.

The process prints one line ``RESULT <json>`` with the wall time of the call,
its CPU time, the peak RSS of this process and of its largest
waited-for child (``getrusage``), the one-minute load average when it
finished, and the peak summed RSS of the process tree sampled with
psutil (for the report runs, whose kernels and workers are children).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

Run = Callable[[], dict]

# --- case 1: synthetic bank generation ---


def setup_synth(*, preset: str, out: str) -> Run:
    """``crmstudy.synth.synthesize`` of a preset into ``out``."""
    from crmstudy.synth import preset_spec, synthesize

    spec = preset_spec(preset)

    def run() -> dict:
        meta = synthesize(spec, out)
        return {"rows": meta["rows"]["transactions"], "all_rows": sum(meta["rows"].values())}

    return run


def setup_synth_baseline(*, n_rows: int, n_customers: int, out: str, seed: int = 0) -> Run:
    """A plain row-by-row generator: stdlib ``random``, a list of dicts, pandas, Parquet.

    Same columns, categories, directions, channels and median amounts as the
    package's ledger, so the rows are comparable; no customer model behind them.
    """
    import random
    from datetime import datetime, timedelta

    from crmstudy.synth.ledger import CATEGORIES

    names = [c[0] for c in CATEGORIES]
    weights = [c[2] for c in CATEGORIES]
    info = {c[0]: (c[1], float(c[5]), c[6]) for c in CATEGORIES}
    start = datetime(2025, 1, 1)
    seconds = 365 * 86_400

    def run() -> dict:
        rnd = random.Random(seed)
        rows = []
        for i in range(n_rows):
            cat = rnd.choices(names, weights)[0]
            direction, median, channels = info[cat]
            fuel = cat == "fuel"
            rows.append(
                {
                    "txn_id": f"T{i + 1:010d}",
                    "customer_id": f"C{rnd.randint(1, n_customers):07d}",
                    "ts": start + timedelta(seconds=rnd.randrange(seconds)),
                    "amount": round(rnd.lognormvariate(0.0, 0.9) * median, 2),
                    "direction": direction,
                    "channel": rnd.choice(channels),
                    "merchant_category": cat,
                    "fuel_grade": rnd.choice((92, 95, 98)) if fuel else None,
                    "fuel_litres": round(rnd.uniform(20, 60), 1) if fuel else None,
                }
            )
        df = pd.DataFrame(rows)
        df["fuel_grade"] = df["fuel_grade"].astype("Int16")
        df.to_parquet(Path(out) / "transactions.parquet", compression="zstd", index=False)
        return {"rows": n_rows}

    return run


# --- case 2: customer features ---


def setup_features(*, bank: str, save_to: str) -> Run:
    """``crmstudy.features.customer_features`` (DuckDB over Parquet) of a bank."""
    from crmstudy.features import customer_features

    def run() -> dict:
        df = customer_features(bank)
        return {"rows": _input_rows(bank), "_frame": df[["customer_id", "ada", "n_txn", "amount_in", "amount_out"]]}

    return run


def setup_features_baseline(*, bank: str, save_to: str) -> Run:
    """Plain pandas: read the Parquet files, overlap days, groupby per customer.

    Computes only ADA and transaction count and amounts in/out, a subset of
    what ``customer_features`` returns.
    """

    def run() -> dict:
        root = Path(bank)
        meta = json.loads((root / "bank.json").read_text())
        start = pd.Timestamp(meta["period_start"])
        end_excl = pd.Timestamp(meta["period_end"]) + pd.Timedelta(days=1)
        days = (end_excl - start).days
        bal = pd.read_parquet(root / "balances.parquet", columns=["customer_id", "valid_from", "valid_to", "balance"])
        overlap = (bal["valid_to"].clip(upper=end_excl) - bal["valid_from"].clip(lower=start)).dt.days.clip(lower=0)
        ada = (bal["balance"] * overlap).groupby(bal["customer_id"]).sum() / days
        txn = pd.read_parquet(root / "transactions.parquet", columns=["customer_id", "ts", "amount", "direction"])
        txn = txn[(txn["ts"] >= start) & (txn["ts"] < end_excl)]
        by = txn["customer_id"]
        summary = pd.DataFrame(
            {
                "n_txn": by.groupby(by).size(),
                "amount_in": txn["amount"].where(txn["direction"] == "in", 0.0).groupby(by).sum(),
                "amount_out": txn["amount"].where(txn["direction"] == "out", 0.0).groupby(by).sum(),
            }
        )
        customers = pd.read_parquet(root / "customers.parquet", columns=["customer_id"])
        df = (
            customers.join(ada.rename("ada"), on="customer_id")
            .join(summary, on="customer_id")
            .fillna({"ada": 0.0, "n_txn": 0, "amount_in": 0.0, "amount_out": 0.0})
        )
        return {"rows": _input_rows(bank), "_frame": df}

    return run


def _input_rows(bank: str) -> int:
    """Rows of balances and transactions, the tables the features aggregate."""
    rows = json.loads((Path(bank) / "bank.json").read_text())["rows"]
    return rows["balances"] + rows["transactions"]


# --- case 3: concentration statistics ---


def _lognormal(n: int, seed: int) -> np.ndarray:
    # a wealth-like spread: median about 22k CNY, a long right tail
    return np.random.default_rng(seed).lognormal(mean=10.0, sigma=1.5, size=n)


def setup_gini(*, n: int, n_boot: int, seed: int = 0) -> Run:
    """``crmstudy.pareto.gini`` with a bootstrap interval (one sort, multinomial weights)."""
    from crmstudy.pareto import gini

    values = _lognormal(n, seed)

    def run() -> dict:
        r = gini(values, n_boot=n_boot, seed=seed)
        return {"rows": n, "estimate": r.estimate, "low": r.low, "high": r.high}

    return run


def setup_gini_baseline(*, n: int, n_boot: int, seed: int = 0) -> Run:
    """Naive bootstrap: draw a resample, ``np.sort`` it, apply the textbook formula."""
    values = _lognormal(n, seed)

    def sorted_gini(s: np.ndarray) -> float:
        # G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n, x ascending, i = 1..n
        m = s.size
        return float(2.0 * np.dot(np.arange(1, m + 1), s) / (m * s.sum()) - (m + 1) / m)

    def run() -> dict:
        rng = np.random.default_rng(seed)
        boot = np.array([sorted_gini(np.sort(values[rng.integers(0, n, n)])) for _ in range(n_boot)])
        low, high = np.quantile(boot, [0.025, 0.975])
        return {"rows": n, "estimate": sorted_gini(np.sort(values)), "low": float(low), "high": float(high)}

    return run


def setup_pareto_summary(*, n: int, seed: int = 0) -> Run:
    """``crmstudy.pareto.pareto_summary``: every headline number from one sort."""
    from crmstudy.pareto import pareto_summary

    values = _lognormal(n, seed)

    def run() -> dict:
        s = pareto_summary(values)
        return {"rows": n, "gini": s.gini, "top20_share": s.top20_share, "customers_for_80": s.customers_for_80}

    return run


def setup_pareto_summary_baseline(*, n: int, seed: int = 0) -> Run:
    """The same numbers from separate public calls, each sorting on its own."""
    from crmstudy.pareto import customers_holding_share, gini, top_share

    values = _lognormal(n, seed)

    def run() -> dict:
        g = gini(values, ci=None).estimate
        shares = [top_share(values, k) for k in (0.01, 0.1, 0.2)]
        c80 = customers_holding_share(values, 0.8)
        return {"rows": n, "gini": g, "top20_share": shares[2], "customers_for_80": c80}

    return run


# --- cases 4 and 5: branch reports ---


def setup_reports(*, bank: str, out: str, branches: str, workers: int, run_id: str) -> Run:
    """``crmstudy.reports.pipeline.run_reports`` with the builtin engine, HTML only, into an empty ``out``."""
    import papermill  # noqa: F401  imported before the clock, as in the floor

    from crmstudy.reports.pipeline import run_reports

    customers = pd.read_parquet(Path(bank) / "customers.parquet", columns=["branch_id"])
    wanted = None if branches == "all" else branches.split(",")
    n_customers = len(customers) if wanted is None else int(customers["branch_id"].isin(wanted).sum())

    def run() -> dict:
        summary = run_reports(
            bank, out, branches=branches, workers=workers, engine="builtin", progress=False, run_id=run_id
        )
        # "cached" would mean nothing was rendered: every run gets a fresh ``out``
        not_rendered = [r for r in summary.results if r.status != "ok"]
        if not_rendered:
            raise RuntimeError(
                "branch reports not rendered: "
                + "; ".join(f"{r.branch_id} {r.status} {r.error}".strip() for r in not_rendered)
            )
        return {"rows": n_customers, "branches": len(summary.results)}

    return run


def setup_report_floor(*, out: str) -> Run:
    """The floor of any report: papermill runs a one-``pass`` notebook, then the builtin engine renders it."""
    import nbformat
    import papermill as pm

    from crmstudy.reports.pipeline import BuiltinEngine

    work = Path(out)
    work.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("pass")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    empty = work / "empty.ipynb"
    nbformat.write(nb, empty)

    def run() -> dict:
        executed = work / "executed.ipynb"
        pm.execute_notebook(
            str(empty), str(executed), kernel_name="python3", language="python", progress_bar=False, cwd=str(work)
        )
        BuiltinEngine().render(executed, work / "empty.html", title="Empty")
        return {"rows": 0}

    return run


# --- the harness ---


class _TreeSampler(threading.Thread):
    """Peak of the summed RSS of this process and all its descendants, sampled."""

    def __init__(self, interval: float = 0.1):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop_event.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:  # a child ended between listing and reading
                    pass
            self.peak = max(self.peak, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def measure(unit: str, args: dict) -> dict:
    """Set up ``unit``, time its call, and collect wall time and peak memory."""
    run = globals()[f"setup_{unit}"](**args)
    sampler = _TreeSampler()
    sampler.start()
    t0 = time.perf_counter()
    facts = run()
    wall = time.perf_counter() - t0
    tree_peak = sampler.stop()
    frame = facts.pop("_frame", None)
    if frame is not None:
        frame.to_parquet(args["save_to"], index=False)
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    kib = 1024  # ru_maxrss is in KiB on Linux
    return {
        "unit": unit,
        "wall_s": wall,
        # CPU includes set-up; less disturbed than wall time when the machine is shared
        "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
        "self_peak_rss_bytes": me.ru_maxrss * kib,
        "child_peak_rss_bytes": kids.ru_maxrss * kib,
        "peak_rss_bytes": max(me.ru_maxrss, kids.ru_maxrss) * kib,
        "tree_peak_rss_bytes": tree_peak,
        "load_1min": os.getloadavg()[0],
        **facts,
    }


if __name__ == "__main__":
    result = measure(sys.argv[1], json.loads(sys.argv[2]))
    print("RESULT " + json.dumps(result), flush=True)
