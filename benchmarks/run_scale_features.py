"""Feature and analysis benchmark on the 1,000,000-customer bank, against hand-written baselines in the same run.

Usage::

    .venv/bin/crmstudy synth --preset large --out /tmp/bank1m
    .venv/bin/python benchmarks/run_scale_features.py --data /tmp/bank1m
    .venv/bin/python benchmarks/run_scale_features.py --data /tmp/bank1m --pandas-customers 250000

Issue 5 §4: ``crmstudy.features.customer_features`` (the full feature set)
against (a) a hand-written DuckDB SQL query and (b) a hand-written polars lazy
query of the same features (target: within 1.3x of the faster of the two) and
(c) a plain pandas groupby (target: faster, at no more than half its peak
memory); then the analyses at 1M customers (Gini with a bootstrap, tiers,
group x product tables, the footprint scorecards).

Every case runs in a fresh interpreter (this file with ``--unit``) that samples
the summed RSS of itself and its children every 0.1 s (helpers shared with
``run_scale.py``).  DuckDB runs with ``memory_limit`` and ``threads`` set
(``--duckdb-memory``, default 4GB; threads = cores); crmstudy's own connection
is run both as it is and with the same settings (applied by wrapping
``feature_defs.duckdb_connection`` in the benchmark only).  The baselines'
``ada`` and ``n_txn`` are compared with crmstudy's.  Prints markdown tables and
writes ``benchmarks/results/scale_features.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run_scale import BenchmarkError, _timed  # noqa: E402

REPO = HERE.parent
RESULTS = HERE / "results" / "scale_features.json"
MB = 1024 * 1024
DIGITAL = ("mobile_app", "online_banking", "wechat", "third_party", "phone_banking")
COUNTER = ("counter", "smart_counter")
DORMANT_DAYS = 180


def _period(data: str):
    from crmstudy.features import default_period
    from crmstudy.schema import find_bank

    return default_period(find_bank(data))


def _src(data: str, table: str) -> str:
    p = Path(data) / table
    return f"{p.as_posix()}/*.parquet" if p.is_dir() else f"{p.as_posix()}.parquet"


def _summary(df) -> dict:
    """What the agreement check needs: per-customer ada and n_txn, kept on disk by the runner."""
    return {"rows_out": int(len(df)), "columns_out": sorted(map(str, df.columns))}


def _save_keys(df, out: str | None) -> None:
    if out:
        df[["customer_id", "ada", "n_txn"]].to_parquet(out, index=False)


# --- the cases -------------------------------------------------------------------------------


def unit_crmstudy(*, data: str, limit: str | None, threads: int | None, keys: str | None = None) -> dict:
    """``crmstudy.features.customer_features(data)``, optionally with DuckDB's memory_limit/threads set."""
    from crmstudy import feature_defs
    from crmstudy.features import customer_features

    if limit:
        inner = feature_defs.duckdb_connection

        def bounded(bank):
            con = inner(bank)
            con.execute(f"SET memory_limit = '{limit}'")
            con.execute(f"SET threads = {threads}")
            return con

        feature_defs.duckdb_connection = bounded
    facts = _timed(lambda: customer_features(data))
    df = facts.pop("value")
    _save_keys(df, keys)
    return {**facts, **_summary(df)}


def duckdb_sql(data: str, period) -> str:
    s, e = f"TIMESTAMP '{period.start}'", f"TIMESTAMP '{period.end_exclusive}'"
    dig = ", ".join(f"'{c}'" for c in DIGITAL)
    ctr = ", ".join(f"'{c}'" for c in COUNTER)
    return f"""
WITH seg AS (
  SELECT customer_id, balance, greatest(valid_from, {s}) AS f, least(valid_to, {e}) AS t
  FROM read_parquet('{_src(data, "balances")}') WHERE valid_to > {s} AND valid_from < {e}),
lvl AS (
  SELECT customer_id, sum(balance * date_diff('day', f, t)) / {period.days} AS ada,
         sum(CASE WHEN t = {e} THEN balance ELSE 0 END) AS end_assets
  FROM seg GROUP BY customer_id),
net AS (
  SELECT customer_id, d, sum(delta) AS delta FROM (
    SELECT customer_id, f AS d, balance AS delta FROM seg
    UNION ALL SELECT customer_id, t AS d, -balance AS delta FROM seg) GROUP BY customer_id, d),
peak AS (
  SELECT customer_id, max(level) AS peak_assets FROM (
    SELECT customer_id, d, sum(delta) OVER (PARTITION BY customer_id ORDER BY d ROWS UNBOUNDED PRECEDING) AS level
    FROM net) WHERE d < {e} GROUP BY customer_id),
tx AS (
  SELECT customer_id, count(*) AS n_txn,
         sum(CASE WHEN direction = 'in' THEN amount ELSE 0 END) AS amount_in,
         sum(CASE WHEN direction = 'out' THEN amount ELSE 0 END) AS amount_out,
         count(DISTINCT merchant_category) AS n_categories,
         avg(CASE WHEN channel IN ({dig}) THEN 1.0 ELSE 0.0 END) AS digital_share,
         avg(CASE WHEN channel IN ({ctr}) THEN 1.0 ELSE 0.0 END) AS counter_share,
         sum(CASE WHEN merchant_category = 'third_party_transfer' THEN amount ELSE 0 END)
           / nullif(sum(CASE WHEN direction = 'out' THEN amount ELSE 0 END), 0) AS third_party_out_share,
         max(ts) FILTER (WHERE merchant_category <> 'payroll_in') AS last_active_ts
  FROM read_parquet('{_src(data, "transactions")}') WHERE ts >= {s} AND ts < {e} GROUP BY customer_id),
prod AS (
  SELECT h.customer_id, count(DISTINCT h.product_id) AS n_products, count(DISTINCT p.product_line) AS n_product_lines
  FROM read_parquet('{_src(data, "holdings")}') h JOIN read_parquet('{_src(data, "products")}') p USING (product_id)
  WHERE h.open_date < {e} AND (h.close_date IS NULL OR h.close_date >= {e}) GROUP BY h.customer_id),
lines AS (SELECT count(DISTINCT product_line) AS n FROM read_parquet('{_src(data, "products")}')),
j AS (
  SELECT c.*, coalesce(l.ada, 0) AS ada, coalesce(pk.peak_assets, 0) AS peak_assets,
         coalesce(l.end_assets, 0) AS end_assets, coalesce(x.n_txn, 0) AS n_txn,
         coalesce(x.amount_in, 0) AS amount_in, coalesce(x.amount_out, 0) AS amount_out,
         coalesce(x.n_categories, 0) AS n_categories, x.digital_share, x.counter_share,
         x.third_party_out_share, x.last_active_ts,
         coalesce(pr.n_products, 0) AS n_products, coalesce(pr.n_product_lines, 0) AS n_product_lines,
         coalesce(pr.n_product_lines, 0) / (SELECT n FROM lines) AS coverage,
         date_diff('day', c.open_date, {e}) AS since_open
  FROM read_parquet('{_src(data, "customers")}') c
  LEFT JOIN lvl l USING (customer_id) LEFT JOIN peak pk USING (customer_id)
  LEFT JOIN tx x USING (customer_id) LEFT JOIN prod pr USING (customer_id))
SELECT * EXCLUDE (since_open),
       coalesce(date_diff('day', last_active_ts, {e}), least(since_open, {period.days})) AS days_since_active,
       coalesce(date_diff('day', last_active_ts, {e}), least(since_open, {period.days})) >= {DORMANT_DAYS}
         AND since_open >= {DORMANT_DAYS} AS dormant
FROM j ORDER BY customer_id
"""


def unit_duckdb(*, data: str, limit: str, threads: int, keys: str | None = None) -> dict:
    """The same features as one hand-written DuckDB SQL query over the Parquet parts."""
    import duckdb

    period = _period(data)
    sql = duckdb_sql(data, period)

    def run():
        con = duckdb.connect(":memory:")
        con.execute(f"SET memory_limit = '{limit}'")
        con.execute(f"SET threads = {threads}")
        return con.execute(sql).df()

    facts = _timed(run)
    df = facts.pop("value")
    _save_keys(df, keys)
    return {**facts, **_summary(df)}


def unit_polars(*, data: str, keys: str | None = None) -> dict:
    """The same features as one hand-written polars lazy query (``scan_parquet`` over the parts)."""
    import polars as pl

    period = _period(data)
    s = datetime.combine(period.start, datetime.min.time())
    e = datetime.combine(period.end_exclusive, datetime.min.time())

    def run():
        b = (
            pl.scan_parquet(_src(data, "balances"))
            .filter((pl.col("valid_to") > s) & (pl.col("valid_from") < e))
            .select(
                "customer_id",
                "balance",
                f=pl.max_horizontal(pl.col("valid_from"), pl.lit(s)),
                t=pl.min_horizontal(pl.col("valid_to"), pl.lit(e)),
            )
        )
        lvl = b.group_by("customer_id").agg(
            ada=(pl.col("balance") * (pl.col("t") - pl.col("f")).dt.total_days()).sum() / period.days,
            end_assets=pl.when(pl.col("t") == e).then(pl.col("balance")).otherwise(0.0).sum(),
        )
        changes = pl.concat(
            [b.select("customer_id", d="f", delta="balance"), b.select("customer_id", d="t", delta=-pl.col("balance"))]
        )
        peak = (
            changes.group_by("customer_id", "d")
            .agg(pl.col("delta").sum())
            .sort("customer_id", "d")
            .with_columns(level=pl.col("delta").cum_sum().over("customer_id"))
            .filter(pl.col("d") < e)
            .group_by("customer_id")
            .agg(peak_assets=pl.col("level").max())
        )
        tx = pl.scan_parquet(_src(data, "transactions")).filter((pl.col("ts") >= s) & (pl.col("ts") < e))
        out_amt = pl.when(pl.col("direction") == "out").then(pl.col("amount")).otherwise(0.0).sum()
        txs = tx.group_by("customer_id").agg(
            n_txn=pl.len(),
            amount_in=pl.when(pl.col("direction") == "in").then(pl.col("amount")).otherwise(0.0).sum(),
            amount_out=out_amt,
            n_categories=pl.col("merchant_category").n_unique(),
            digital_share=pl.col("channel").is_in(DIGITAL).mean(),
            counter_share=pl.col("channel").is_in(COUNTER).mean(),
            third_party_out_share=(
                pl.when(pl.col("merchant_category") == "third_party_transfer")
                .then(pl.col("amount"))
                .otherwise(0.0)
                .sum()
                / pl.when(out_amt != 0).then(out_amt)
            ),
            last_active_ts=pl.col("ts").filter(pl.col("merchant_category") != "payroll_in").max(),
        )
        h = pl.scan_parquet(_src(data, "holdings")).filter(
            (pl.col("open_date") < e) & (pl.col("close_date").is_null() | (pl.col("close_date") >= e))
        )
        p = pl.scan_parquet(_src(data, "products")).select("product_id", "product_line")
        prod = (
            h.join(p, on="product_id")
            .group_by("customer_id")
            .agg(n_products=pl.col("product_id").n_unique(), n_product_lines=pl.col("product_line").n_unique())
        )
        n_lines = p.select(pl.col("product_line").n_unique()).collect().item()
        since_open = (pl.lit(e) - pl.col("open_date")).dt.total_days()
        dsa = pl.coalesce(
            (pl.lit(e) - pl.col("last_active_ts")).dt.total_days(), pl.min_horizontal(since_open, period.days)
        )
        feat = (
            pl.scan_parquet(_src(data, "customers"))
            .join(lvl, on="customer_id", how="left")
            .join(peak, on="customer_id", how="left")
            .join(txs, on="customer_id", how="left")
            .join(prod, on="customer_id", how="left")
            .with_columns(
                pl.col("ada", "peak_assets", "end_assets", "amount_in", "amount_out").fill_null(0.0),
                pl.col("n_txn", "n_categories", "n_products", "n_product_lines").fill_null(0),
            )
            .with_columns(days_since_active=dsa, coverage=pl.col("n_product_lines") / max(n_lines, 1))
            .with_columns(dormant=(pl.col("days_since_active") >= DORMANT_DAYS) & (since_open >= DORMANT_DAYS))
            .sort("customer_id")
        )
        return feat.collect().to_pandas()

    facts = _timed(run)
    df = facts.pop("value")
    _save_keys(df, keys)
    return {**facts, **_summary(df)}


def unit_pandas(*, data: str, customers: int | None = None, keys: str | None = None) -> dict:
    """A plain pandas baseline: read the needed columns, groupby, merge.

    With ``customers`` set, only the first that many customer ids (and their
    rows) are kept, by a pyarrow filter on read: a subset for when the whole
    bank does not fit.
    """
    import numpy as np
    import pandas as pd

    period = _period(data)
    s, e = pd.Timestamp(period.start), pd.Timestamp(period.end_exclusive)

    def read(table, columns, ids=None):
        filters = [("customer_id", "in", ids)] if ids is not None else None
        return pd.read_parquet(
            Path(data) / table if (Path(data) / table).is_dir() else f"{Path(data) / table}.parquet",
            columns=columns,
            filters=filters,
        )

    def run():
        cust = read("customers", None)
        ids = None
        if customers:
            cust = cust.sort_values("customer_id").head(customers)
            ids = cust["customer_id"].tolist()
        b = read("balances", ["customer_id", "valid_from", "valid_to", "balance"], ids)
        b = b[(b.valid_to > s) & (b.valid_from < e)]
        f, t = b.valid_from.clip(lower=s), b.valid_to.clip(upper=e)
        b = pd.DataFrame({"customer_id": b.customer_id, "balance": b.balance, "f": f, "t": t})
        lvl = (
            b.assign(w=b.balance * (b.t - b.f).dt.days, ea=b.balance.where(b.t == e, 0.0))
            .groupby("customer_id")
            .agg(ada=("w", "sum"), end_assets=("ea", "sum"))
        )
        lvl["ada"] /= period.days
        ch = pd.concat(
            [
                b[["customer_id", "f", "balance"]].set_axis(["customer_id", "d", "delta"], axis=1),
                pd.DataFrame({"customer_id": b.customer_id, "d": b.t, "delta": -b.balance}),
            ]
        )
        del b
        net = ch.groupby(["customer_id", "d"], sort=True)["delta"].sum().reset_index()
        del ch
        net["level"] = net.groupby("customer_id")["delta"].cumsum()
        peak = net[net.d < e].groupby("customer_id").agg(peak_assets=("level", "max"))
        del net
        tx = read("transactions", ["customer_id", "ts", "amount", "direction", "channel", "merchant_category"], ids)
        tx = tx[(tx.ts >= s) & (tx.ts < e)]
        amt_in = tx.amount.where(tx.direction == "in", 0.0)
        amt_out = tx.amount.where(tx.direction == "out", 0.0)
        tx = tx.assign(
            amount_in=amt_in,
            amount_out=amt_out,
            dig=tx.channel.isin(DIGITAL).astype(float),
            ctr=tx.channel.isin(COUNTER).astype(float),
            tp=tx.amount.where(tx.merchant_category == "third_party_transfer", 0.0),
            act=tx.ts.where(tx.merchant_category != "payroll_in"),
        )
        txs = tx.groupby("customer_id").agg(
            n_txn=("amount", "size"),
            amount_in=("amount_in", "sum"),
            amount_out=("amount_out", "sum"),
            n_categories=("merchant_category", "nunique"),
            digital_share=("dig", "mean"),
            counter_share=("ctr", "mean"),
            tp=("tp", "sum"),
            last_active_ts=("act", "max"),
        )
        del tx
        txs["third_party_out_share"] = txs.pop("tp") / txs.amount_out.replace(0.0, np.nan)
        h = read("holdings", ["customer_id", "product_id", "open_date", "close_date"], ids)
        h = h[(h.open_date < e) & (h.close_date.isna() | (h.close_date >= e))]
        p = read("products", ["product_id", "product_line"])
        prod = (
            h.merge(p, on="product_id")
            .groupby("customer_id")
            .agg(n_products=("product_id", "nunique"), n_product_lines=("product_line", "nunique"))
        )
        out = (
            cust.merge(lvl, on="customer_id", how="left")
            .merge(peak, on="customer_id", how="left")
            .merge(txs, on="customer_id", how="left")
            .merge(prod, on="customer_id", how="left")
        )
        for c in ("ada", "peak_assets", "end_assets", "amount_in", "amount_out"):
            out[c] = out[c].fillna(0.0)
        for c in ("n_txn", "n_categories", "n_products", "n_product_lines"):
            out[c] = out[c].fillna(0).astype("int64")
        since_open = (e - out.open_date).dt.days
        last = out.last_active_ts
        out["days_since_active"] = (e - last).dt.days.where(last.notna(), since_open.clip(upper=period.days))
        out["dormant"] = (out.days_since_active >= DORMANT_DAYS) & (since_open >= DORMANT_DAYS)
        out["coverage"] = out.n_product_lines / max(p.product_line.nunique(), 1)
        return out.sort_values("customer_id", ignore_index=True)

    facts = _timed(run)
    df = facts.pop("value")
    _save_keys(df, keys)
    return {**facts, **_summary(df)}


def unit_analyses(*, data: str, n_boot: int = 200) -> dict:
    """Gini with a bootstrap, tiers, group x product tables and the footprint scorecards at full size."""
    from crmstudy.association import group_product_association, read_holding_matrix
    from crmstudy.features import customer_features
    from crmstudy.footprint import score_customers
    from crmstudy.pareto import gini
    from crmstudy.tiers import assign_tiers, tier_table

    feats = customer_features(data)
    steps = {}

    def step(name, call):
        facts = _timed(call)
        steps[name] = {k: facts[k] for k in ("wall_s", "tree_peak_rss_bytes")}
        return facts["value"]

    g = step(f"gini (n_boot={n_boot})", lambda: gini(feats["ada"], n_boot=n_boot))
    step("assign_tiers + tier_table", lambda: tier_table(feats, assign_tiers(feats)))
    holding = step("read_holding_matrix", lambda: read_holding_matrix(data))
    step("group_product_association (life_group)", lambda: group_product_association(feats, holding))
    step("score_customers (both scorecards fitted)", lambda: score_customers(data))
    return {
        "steps": steps,
        "customers": int(len(feats)),
        "gini": float(g.estimate),
        "rows": int(len(feats)),
        "wall_s": sum(v["wall_s"] for v in steps.values()),
    }


UNITS = {
    "crmstudy": unit_crmstudy,
    "duckdb": unit_duckdb,
    "polars": unit_polars,
    "pandas": unit_pandas,
    "analyses": unit_analyses,
}


# --- the runner ---------------------------------------------------------------------------------


def measure(unit: str, timeout: float | None = None, **args) -> dict:
    """Run one unit in a fresh interpreter; the process's own wall time (imports included) is added."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--unit", unit, json.dumps(args)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(f"unit '{unit}' did not finish within {timeout:.0f} s") from None
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BenchmarkError(f"unit '{unit}' failed (exit {proc.returncode}):\n{tail}")
    return {
        "unit": unit,
        "args": args,
        "process_wall_s": time.perf_counter() - t0,
        **json.loads(lines[-1][len("RESULT ") :]),
    }


def agreement(ref: str, other: str) -> dict:
    import numpy as np
    import pandas as pd

    a, b = pd.read_parquet(ref), pd.read_parquet(other)
    m = a.merge(b, on="customer_id", suffixes=("", "_b"))

    def rel(c):
        x, y = m[c].to_numpy(float), m[f"{c}_b"].to_numpy(float)
        return float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-9))) if len(m) else float("nan")

    return {"customers_compared": int(len(m)), "max_rel_diff_ada": rel("ada"), "max_rel_diff_n_txn": rel("n_txn")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/bank1m", help="the bank folder (crmstudy synth --preset large)")
    parser.add_argument("--duckdb-memory", default="4GB", help="DuckDB memory_limit for the bounded runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="DuckDB threads")
    parser.add_argument(
        "--pandas-customers",
        type=int,
        default=None,
        help="run pandas on this many customers only (labelled, extrapolated linearly)",
    )
    parser.add_argument("--pandas-timeout", type=float, default=900.0)
    parser.add_argument("--skip", nargs="*", default=[], help="cases to leave out (crmstudy-default, pandas, analyses)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the JSON file written (and read by --table)")
    parser.add_argument("--table", action="store_true", help="print the tables of the last results file and stop")
    parser.add_argument("--unit", default=None, help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="?", default="{}", help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)
    if ns.unit:
        print("RESULT " + json.dumps(UNITS[ns.unit](**json.loads(ns.args))), flush=True)
        return 0
    if ns.table:
        saved = json.loads(ns.results.read_text())
        print(report(saved["runs"], saved["analyses"], saved["machine"]))
        return 0

    import tempfile

    meta = json.loads((Path(ns.data) / "bank.json").read_text())
    n_tx, n_cust = meta["rows"]["transactions"], meta["rows"]["customers"]
    tmp = Path(tempfile.mkdtemp(prefix="crm_feat_bench_"))
    lim, th = ns.duckdb_memory, ns.threads
    cases = [
        ("crmstudy customer_features (DuckDB defaults)", "crmstudy", dict(limit=None, threads=None)),
        (f"crmstudy customer_features (memory_limit {lim}, threads {th})", "crmstudy", dict(limit=lim, threads=th)),
        (f"hand-written DuckDB SQL (memory_limit {lim}, threads {th})", "duckdb", dict(limit=lim, threads=th)),
        ("hand-written polars lazy query", "polars", {}),
    ]
    if "crmstudy-default" in ns.skip:
        cases.pop(0)
    runs = []
    for i, (label, unit, args) in enumerate(cases):
        keys = str(tmp / f"k{i}.parquet")
        print(f"... {label}", file=sys.stderr, flush=True)
        r = measure(unit, data=ns.data, keys=keys, **args)
        r.update(label=label, rows=n_tx, customers=n_cust, keys=keys)
        runs.append(r)
    ref = runs[-3 if len(runs) >= 3 else 0]["keys"]
    if "pandas" not in ns.skip:
        k = ns.pandas_customers
        label = "plain pandas groupby" + (f" ({k:,} customers, subset)" if k else "")
        print(f"... {label}", file=sys.stderr, flush=True)
        try:
            r = measure("pandas", timeout=ns.pandas_timeout, data=ns.data, customers=k, keys=str(tmp / "kp.parquet"))
            r.update(
                label=label,
                rows=n_tx if not k else round(n_tx * k / n_cust),
                customers=k or n_cust,
                keys=str(tmp / "kp.parquet"),
                subset=bool(k),
            )
            runs.append(r)
        except BenchmarkError as err:
            runs.append({"label": label, "failed": str(err)})
    for r in runs:
        if "keys" in r and r["keys"] != ref:
            r["agreement"] = agreement(ref, r["keys"])
    analyses = None
    if "analyses" not in ns.skip:
        print("... analyses", file=sys.stderr, flush=True)
        analyses = measure("analyses", data=ns.data)
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
    }
    ns.results.parent.mkdir(exist_ok=True)
    ns.results.write_text(
        json.dumps(
            {
                "date": datetime.now().isoformat(timespec="seconds"),
                "machine": machine,
                "data": ns.data,
                "bank_rows": meta["rows"],
                "runs": runs,
                "analyses": analyses,
            },
            indent=2,
            default=str,
        )
    )
    print(report(runs, analyses, machine))
    return 0


def report(runs: list[dict], analyses: dict | None, machine: dict) -> str:
    head = [
        "case",
        "customers",
        "transaction rows",
        "wall s (in process)",
        "process wall s",
        "CPU s",
        "load (1 min)",
        "rows/s",
        "peak RSS MB (tree)",
        "max rel diff ada",
        "max rel diff n_txn",
    ]
    lines = [
        f"{machine['cpus']} cores, {machine['memory_bytes'] / 1024**3:.0f} GB, {machine['platform']}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in runs:
        if "failed" in r:
            lines.append(f"| {r['label']} | failed: {r['failed'].splitlines()[0]} |" + " |" * (len(head) - 2))
            continue
        a = r.get("agreement", {})
        lines.append(
            "| "
            + " | ".join(
                [
                    r["label"],
                    f"{r['customers']:,}",
                    f"{r['rows']:,}",
                    f"{r['wall_s']:.1f}",
                    f"{r['process_wall_s']:.1f}",
                    f"{r['cpu_s']:.1f}",
                    f"{r['load_1min']:.1f}",
                    f"{r['rows'] / r['wall_s']:,.0f}",
                    f"{r['tree_peak_rss_bytes'] / MB:,.0f}",
                    f"{a['max_rel_diff_ada']:.1e}" if a else "(reference)",
                    f"{a['max_rel_diff_n_txn']:.1e}" if a else "(reference)",
                ]
            )
            + " |"
        )
    if analyses:
        lines += [
            "",
            f"Analyses on {analyses['customers']:,} customers (one process; peak RSS of the process tree "
            "during each step, features already in memory):",
            "",
            "| step | wall s | peak RSS MB |",
            "|---|---|---|",
        ]
        for name, s in analyses["steps"].items():
            lines.append(f"| {name} | {s['wall_s']:.1f} | {s['tree_peak_rss_bytes'] / MB:,.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
