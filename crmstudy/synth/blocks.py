"""A bank in blocks of customers, each with its own random streams.

Customers are generated in blocks of :data:`BLOCK_SIZE`.  Block ``b`` holds
customers ``b * BLOCK_SIZE + 1 …`` and draws from streams seeded by
``SeedSequence(seed, spawn_key=(1, b))``; the bank-level tables (branches,
staff, products) draw from ``SeedSequence(seed, spawn_key=(0,))``.  No block
reads another's draws, so a block's data is the same whether it is generated
alone, in sequence or in a worker process: the files do not depend on how
the work is split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParamsError
from . import economics, lifecycle
from .campaigns import campaigns_table, make_contacts
from .ledger import make_transactions
from .population import StaffPools, assign_owners, branch_weights, make_branches, make_customers, make_staff
from .presets import BankSpec
from .products import draw_churn, make_balances, make_holdings, products_table
from .rm_log import make_visits

#: Customers per block: fixed, so that the data never depends on how a run is split.
BLOCK_SIZE = 25_000
#: Ids of a block's transactions and visits start at ``block * ID_STRIDE + 1``.
ID_STRIDE = 1_000_000_000
#: Tables with one part per block; the others are bank-level.
PER_CUSTOMER_TABLES = (
    "customers",
    "holdings",
    "balances",
    "transactions",
    "visits",
    "truth",
    "accounts",
    "campaign_contacts",
)
BANK_TABLES = (
    "branches",
    "staff",
    "products",
    "pricing",
    "channel_costs",
    "staff_costs",
    "branch_operations",
    "campaigns",
)

_BANK_STREAMS = ("branches", "staff")
_BLOCK_STREAMS = ("customers", "owners", "churn", "holdings", "balances", "transactions", "visits")


def _streams(seed: int, key: tuple[int, ...], names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed, spawn_key=key).spawn(len(names))
    return {name: np.random.default_rng(s) for name, s in zip(names, children)}


def n_blocks(spec: BankSpec) -> int:
    """How many blocks of customers the bank has."""
    return -(-spec.n_customers // BLOCK_SIZE)


def block_span(spec: BankSpec, block: int) -> tuple[int, int]:
    """Position of the block's first customer in the bank, and its number of customers."""
    first = block * BLOCK_SIZE
    return first, min(BLOCK_SIZE, spec.n_customers - first)


@dataclass(frozen=True)
class BankLevel:
    """The tables every block shares: branches, staff, products, and the staff pools owners come from."""

    branches: pd.DataFrame
    staff: pd.DataFrame
    products: pd.DataFrame
    pools: StaffPools
    economics: dict[str, pd.DataFrame]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The bank-wide tables: branches, staff, products, then the economics tables (:data:`BANK_TABLES`)."""
        return {"branches": self.branches, "staff": self.staff, "products": self.products, **self.economics}


def make_bank(spec: BankSpec) -> BankLevel:
    """Branches, staff (sized for the customers each branch expects) and the product catalogue."""
    rng = _streams(spec.seed, (0,), _BANK_STREAMS)
    branches = make_branches(spec, rng["branches"])
    staff, pools = make_staff(spec, branches, rng["staff"])
    econ = economics.bank_tables(spec, branches, branch_weights(branches))
    econ["campaigns"] = campaigns_table(spec)
    return BankLevel(branches=branches, staff=staff, products=products_table(), pools=pools, economics=econ)


def generate_block(spec: BankSpec, bank: BankLevel, block: int) -> dict[str, pd.DataFrame]:
    """The per-customer tables of one block (:data:`PER_CUSTOMER_TABLES`)."""
    first, n = block_span(spec, block)
    if n <= 0:
        raise ParamsError(f"synth: block {block} is outside a bank of {spec.n_customers} customers")
    rng = _streams(spec.seed, (1, block), _BLOCK_STREAMS)
    customers, truth = make_customers(spec, bank.branches, rng["customers"], first=first, n=n)
    owner = assign_owners(customers, truth, bank.branches, bank.pools, rng["owners"])
    customers["owner_staff_id"] = bank.pools.staff_id[owner]
    truth = draw_churn(spec, customers, truth, bank.pools.owner_leave(owner), rng["churn"])
    life = lifecycle.stream(spec, block)  # the lifecycle's own stream: the draws above and below do not move
    truth = lifecycle.plan(spec, customers, truth, life)
    holdings, affinity = make_holdings(spec, customers, truth, rng["holdings"])
    truth = pd.concat([truth, affinity.drop(columns="customer_id")], axis=1)
    balances = make_balances(spec, holdings, truth, rng["balances"])
    first_id = block * ID_STRIDE + 1
    transactions = make_transactions(spec, customers, truth, holdings, rng["transactions"], first_id=first_id)
    visits = make_visits(spec, customers, truth, owner, bank.pools, rng["visits"], first_id=first_id)
    leave = bank.pools.owner_leave(owner)
    visits = lifecycle.episode_visits(spec, customers, truth, visits, leave, life, first_id=first_id)
    truth = lifecycle.wake(spec, truth, visits, life)
    balances = lifecycle.apply_balances(truth, balances)
    transactions = lifecycle.apply_transactions(spec, customers, truth, holdings, transactions, life, first_id=first_id)
    holdings = lifecycle.maturities(spec, holdings, life)
    for name, df in (("transactions", transactions), ("visits", visits)):
        if len(df) >= ID_STRIDE:
            raise ParamsError(
                f"synth: block {block} has {len(df):,} {name}, more than the {ID_STRIDE:,} its ids "
                f"allow; lower 'txn_per_customer' ({spec.txn_per_customer})"
            )
    return {
        "customers": customers,
        "holdings": holdings,
        "balances": balances,
        "transactions": transactions,
        "visits": visits,
        "truth": truth,
        # economics: streams of their own, so that every table above is unchanged
        "accounts": economics.make_accounts(spec, customers, holdings, economics.block_stream(spec, block, "accounts")),
        "campaign_contacts": make_contacts(
            spec, customers, truth, holdings, economics.block_stream(spec, block, "campaigns")
        ),
    }
