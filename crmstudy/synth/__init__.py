"""The synthetic bank: generated from known latent truth, written as Parquet.

>>> from crmstudy.synth import generate_bank, preset_spec
>>> tables = generate_bank(preset_spec("tiny"))           # doctest: +SKIP

Each table draws from its own random stream (``SeedSequence.spawn``), so the
same spec gives the same data whatever else changes, and files are
byte-identical run to run.  docs/generative_model.md documents what is planted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..atomic import atomic_path, write_text_atomic
from ..schema import validate_table
from .ledger import make_transactions
from .population import make_branches, make_customers, make_staff
from .presets import PRESETS, BankSpec, preset_spec
from .products import make_balances, make_holdings, planted_affinities, products_table, draw_churn
from .rm_log import make_visits

__all__ = ["BankSpec", "PRESETS", "preset_spec", "generate_bank", "write_bank", "planted_affinities"]

_STREAMS = ("branches", "customers", "staff", "churn", "holdings", "balances", "transactions", "visits")


def generate_bank(spec: BankSpec) -> dict[str, pd.DataFrame]:
    """Generate every table of a synthetic bank in memory.

    Returns
    -------
    dict of str to pd.DataFrame
        ``branches, staff, customers, products, holdings, balances,
        transactions, visits`` and the ground truth ``truth``.
    """
    seeds = np.random.SeedSequence(spec.seed).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, seeds)}
    branches = make_branches(spec, rng["branches"])
    customers, truth = make_customers(spec, branches, rng["customers"])
    staff, owner = make_staff(spec, branches, customers, truth, rng["staff"])
    customers["owner_staff_id"] = owner
    truth = draw_churn(spec, customers, truth, staff, owner, rng["churn"])
    holdings, affinity = make_holdings(spec, customers, truth, rng["holdings"])
    truth = truth.merge(affinity, on="customer_id", how="left")
    balances = make_balances(spec, holdings, truth, rng["balances"])
    transactions = make_transactions(spec, customers, truth, holdings, rng["transactions"])
    visits = make_visits(spec, customers, truth, owner, staff, rng["visits"])
    return {
        "branches": branches, "staff": staff, "customers": customers, "products": products_table(),
        "holdings": holdings, "balances": balances, "transactions": transactions, "visits": visits,
        "truth": truth,
    }


def write_table(df: pd.DataFrame, path: Path, table: str) -> Path:
    """Validate ``df`` and write it as deterministic Parquet, atomically."""
    df = validate_table(df, table, source=path) if table != "truth" else df
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(arrow, tmp, compression="zstd", row_group_size=1_000_000)
    return path


def write_bank(tables: dict[str, pd.DataFrame], out: str | Path, spec: BankSpec) -> dict:
    """Write tables as ``<out>/<table>.parquet`` plus ``bank.json`` metadata."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        write_table(df, out / f"{name}.parquet", name)
    meta = {
        "generator": "crmstudy.synth",
        "crmstudy_version": __version__,
        "preset": spec.preset,
        "seed": spec.seed,
        "null": spec.null,
        "n_branches": spec.n_branches,
        "n_customers": spec.n_customers,
        "period_start": spec.start.isoformat(),
        "period_end": spec.end.isoformat(),
        "rows": {name: len(df) for name, df in tables.items()},
    }
    write_text_atomic(out / "bank.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def synthesize(spec: BankSpec, out: str | Path) -> dict:
    """Generate and write a bank; return its metadata."""
    return write_bank(generate_bank(spec), out, spec)
