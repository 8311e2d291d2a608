"""The synthetic bank: generated from known latent truth, written as Parquet.

>>> from crmstudy.synth import generate_bank, preset_spec
>>> tables = generate_bank(preset_spec("tiny"))
>>> len(tables["customers"]), tables["branches"]["branch_id"].tolist()
(1500, ['B001', 'B002', 'B003'])

Customers come in blocks of 25,000 (:mod:`crmstudy.synth.blocks`), each block
with its own random streams derived from the seed and the block's number, so
the same spec gives the same data however the work is split, and files are
byte-identical run to run.  docs/generative_model.md documents what is planted.
"""

from __future__ import annotations

import pandas as pd

from .blocks import BLOCK_SIZE, PER_CUSTOMER_TABLES, generate_block, make_bank, n_blocks
from .presets import PRESETS, BankSpec, preset_spec
from .products import planted_affinities
from .write import synthesize, write_bank, write_table

__all__ = [
    "BLOCK_SIZE",
    "BankSpec",
    "PRESETS",
    "preset_spec",
    "generate_bank",
    "synthesize",
    "write_bank",
    "write_table",
    "planted_affinities",
]


def generate_bank(spec: BankSpec) -> dict[str, pd.DataFrame]:
    """Generate every table of a synthetic bank in memory (every block, concatenated).

    Returns
    -------
    dict of str to pd.DataFrame
        ``branches, staff, customers, products, holdings, balances,
        transactions, visits`` and the ground truth ``truth``; the same rows
        :func:`synthesize` writes.
    """
    bank = make_bank(spec)
    blocks = [generate_block(spec, bank, b) for b in range(n_blocks(spec))]
    per_customer = {
        t: pd.concat([blk[t] for blk in blocks], ignore_index=True) if len(blocks) > 1 else blocks[0][t]
        for t in PER_CUSTOMER_TABLES
    }
    tables = {**bank.tables(), **per_customer}
    order = ("branches", "staff", "customers", "products", "holdings", "balances", "transactions", "visits", "truth")
    return {t: tables[t] for t in order} | {t: tables[t] for t in tables if t not in order}
