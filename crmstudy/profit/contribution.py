"""Profit contribution of every account and month, in whole cents (source 004, stage 2).

For each account (customer × product) and month::

    contribution = net interest against FTP + fees − cost to serve − allocated RM cost − expected loss

- **net interest**: a deposit earns the FTP rate of its term on its balance
  and pays the customer rate, ``balance-days / 365 × (ftp − rate)``; a loan
  or card pays the customer rate on its drawn amount and is charged FTP,
  ``drawn × held-days / 365 × (rate − ftp)`` (actual/365).
- **fees**: the fee rate on balances (wealth, funds, insurance, gold) and
  the annual fee, pro rata of the days held.
- **cost to serve**: the yearly cost of keeping the account, pro rata, plus
  the customer's transactions at their channel's unit cost, charged to the
  customer's transaction account (the demand deposit; without one that month,
  the first account by product id).
- **RM cost**: each owner's yearly cost × the share of it spent on customers,
  for the days employed in the month, split over the customers they own that
  have an account open that month, then over each customer's accounts, by the
  largest-remainder method (:mod:`crmstudy.profit.allocation`).
- **expected loss**: ``drawn × held-days / 365 × PD × LGD`` for credit.

Every component is rounded to the cent once, per account and month; the
allocated RM cost is split in integer cents.  Every roll-up is then a sum of
integers, and any level (customer, product, branch, RM, tier, channel) adds
up to the bank's total to the cent.  Costs the model cannot place (an RM who
owns no customer with an open account that month; transactions of a
customer without an account that month) are kept apart in ``unallocated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from ..results import Result
from .allocation import allocate_groups

__all__ = ["MEASURES", "Profit", "Scenario", "contribution"]

#: The measures of every profit line, in cents (costs are positive; contribution = the first two − the rest).
MEASURES = ("interest", "fees", "cost_to_serve", "rm_cost", "expected_loss", "contribution")
_YEAR = 365.0


@dataclass(frozen=True)
class Scenario:
    """A change to the price list and to behaviour, for :func:`contribution` and :func:`~crmstudy.profit.what_if`.

    Parameters
    ----------
    rate_change : dict, optional
        Product id -> change of the customer rate (absolute, 0.001 is 10 bp; the rate stays >= 0).
    fee_rate_change, annual_fee_change : dict, optional
        Product id -> change of the fee rate on balances / of the annual fee (CNY).
    counter_to_mobile : float
        Share of counter transactions that move to the mobile app (0 to 1).
    retain_churners : float
        Share of the customers who left in the period who are kept (0 to 1); they go on
        earning their own average monthly contribution before leaving.
    retain_tier : str, optional
        Retain only churners of this tier (``None``: every tier).
    launch_product, launch_segment : str, optional
        Launch ``launch_product`` (priced at its first term in the price list) to the
        customers with ``launch_segment`` (``"column=value"``, e.g. ``"life_group=salaried"``).
    launch_take_up, launch_balance : float
        Share of the segment who take it up, and the balance (or drawn amount) each
        holds for the months remaining after ``launch_month``.
    launch_month : int
        The month of the period (1 = its first) the product is launched.
    """

    rate_change: dict = field(default_factory=dict)
    fee_rate_change: dict = field(default_factory=dict)
    annual_fee_change: dict = field(default_factory=dict)
    counter_to_mobile: float = 0.0
    retain_churners: float = 0.0
    retain_tier: str | None = None
    launch_product: str | None = None
    launch_segment: str | None = None
    launch_take_up: float = 0.0
    launch_balance: float = 0.0
    launch_month: int = 1

    def __post_init__(self):
        for name in ("counter_to_mobile", "retain_churners", "launch_take_up"):
            v = getattr(self, name)
            if not 0 <= v <= 1:
                raise DataError(f"what-if: '{name}' must be a share between 0 and 1, got {v!r}")


@dataclass(frozen=True)
class Profit(Result):
    """Profit lines of a bank: one per account and month, in cents.

    Attributes
    ----------
    lines : pd.DataFrame
        ``customer_id, product_id, month, branch_id, staff_id, tier, sales_channel`` and
        the :data:`MEASURES` (int64 cents).
    unallocated : pd.DataFrame
        Costs no account carries: ``what`` (``rm_cost`` or ``cost_to_serve``), ``branch_id``,
        ``month``, ``cents``.
    """

    lines: pd.DataFrame
    unallocated: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The profit lines."""
        return self.lines

    def total(self, measure: str = "contribution") -> int:
        """The bank's total of ``measure``, in cents (an exact integer)."""
        return int(self.lines[measure].sum())


def _cents(x) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) * 100.0).astype(np.int64)


def _by_product(codes: np.ndarray, products: pd.Index, change: dict) -> np.ndarray:
    per = np.array([float(change.get(p, 0.0)) for p in products])
    return per[codes]


def _priced(inputs, scenario: Scenario) -> dict[str, np.ndarray]:
    a = inputs.accounts
    prods = a["product_id"].cat.categories
    pc = a["product_id"].cat.codes.to_numpy()
    price = inputs.pricing
    pkey = pd.Index(prods).get_indexer(price["product_id"]).astype(np.int64) * 10_000 + price["term_months"].to_numpy()
    order = np.argsort(pkey)
    key = pc.astype(np.int64) * 10_000 + a["term_months"].to_numpy()
    at = np.searchsorted(pkey[order], key).clip(0, len(pkey) - 1)
    found = pkey[order][at] == key
    if not found.all():
        bad = a.loc[~found, ["product_id", "term_months"]].drop_duplicates().head(3)
        raise DataError(
            "profit: table 'pricing' has no row for product × term "
            + ", ".join(f"{p} {t}m" for p, t in bad.itertuples(index=False))
        )
    row = order[at]

    def col(name):
        return price[name].to_numpy(dtype=float)[row]

    kinds = inputs.products.set_index("product_id")["kind"].reindex(prods).to_numpy()[pc]
    rate = np.maximum(a["customer_rate"].to_numpy() + _by_product(pc, prods, scenario.rate_change), 0.0)
    fee_rate = np.maximum(col("fee_rate") + _by_product(pc, prods, scenario.fee_rate_change), 0.0)
    annual_fee = np.maximum(col("annual_fee") + _by_product(pc, prods, scenario.annual_fee_change), 0.0)
    bd = a["balance_days"].to_numpy() / _YEAR
    held = a["held_days"].to_numpy() / _YEAR
    credit = kinds == "credit"
    drawn = np.where(credit, a["amount"].to_numpy() * col("drawn_share"), 0.0) * held
    ftp = col("ftp_rate")
    interest = np.where(credit, drawn * (rate - ftp), np.where(kinds == "asset", bd * (ftp - rate), 0.0))
    days = np.maximum(a["days"].to_numpy(), 1)
    return {
        "interest": _cents(interest),
        "fees": _cents(bd * fee_rate + annual_fee * held),
        "account_cost": _cents(col("account_cost") * held),
        "expected_loss": _cents(drawn * col("pd") * col("lgd")),
        # the size of the account (average CNY over the month, balance or drawn): its share of the RM's time
        "size": 1 + np.rint((bd + drawn) * _YEAR / days).astype(np.int64),
    }


def _keys(inputs) -> tuple[np.ndarray, int]:
    a = inputs.accounts
    n_m = len(inputs.months)
    return a["customer_id"].cat.codes.to_numpy().astype(np.int64) * n_m + a["month_idx"].to_numpy(), n_m


def _first_per_key(key: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unique keys and, for each, the position of its line of lowest rank."""
    order = np.lexsort((np.arange(len(key)), rank, key))
    first = order[np.r_[True, key[order][1:] != key[order][:-1]]] if len(key) else order
    return key[first], first


def _transaction_cost(inputs, key: np.ndarray, n_m: int, scenario: Scenario) -> tuple[np.ndarray, pd.DataFrame]:
    """Each line's share of its customer's transaction cost that month (on the primary account)."""
    ch = inputs.channels
    unit = inputs.channel_costs.set_index("channel")["cost_per_txn"]
    names = ch["channel"].cat.categories
    per_unit = unit.reindex(names).fillna(0.0).to_numpy()[ch["channel"].cat.codes.to_numpy()]
    n = ch["n_txn"].to_numpy(dtype=float)
    moved = np.where((ch["channel"] == "counter").to_numpy(), n * scenario.counter_to_mobile, 0.0)
    cost = (n - moved) * per_unit + moved * float(unit.get("mobile_app", 0.0))
    ckey = ch["customer_id"].cat.codes.to_numpy().astype(np.int64) * n_m + ch["month_idx"].to_numpy()
    ukey, inv = np.unique(ckey, return_inverse=True)
    cents = _cents(np.bincount(inv, weights=cost, minlength=len(ukey)))
    # primary account: the demand deposit, else the first product id
    a = inputs.accounts
    pc = a["product_id"].cat.codes.to_numpy().astype(np.int64)
    dd = (
        list(a["product_id"].cat.categories).index("DEMAND_DEPOSIT")
        if "DEMAND_DEPOSIT" in a["product_id"].cat.categories
        else -1
    )
    rank = np.where(pc == dd, -1, pc)
    lkey, line = _first_per_key(key, rank)
    at = np.searchsorted(lkey, ukey).clip(0, max(len(lkey) - 1, 0))
    ok = (lkey[at] == ukey) if len(lkey) else np.zeros(len(ukey), bool)
    share = np.zeros(len(key), dtype=np.int64)
    np.add.at(share, line[at[ok]], cents[ok])
    cust = inputs.customers
    lost = pd.DataFrame(
        {
            "branch_id": cust["branch_id"].to_numpy()[ukey[~ok] // n_m],
            "month": inputs.months["month"].to_numpy()[ukey[~ok] % n_m],
            "cents": cents[~ok],
        }
    )
    return share, lost


def _rm_cost(inputs, key: np.ndarray, n_m: int, size: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Each line's share of its owner's monthly relationship cost."""
    staff = inputs.staff.merge(inputs.staff_costs, on="role", how="left")
    months = inputs.months
    start = staff["start_date"].to_numpy().astype("datetime64[D]")[:, None]
    leave = staff["leave_date"].to_numpy().astype("datetime64[D]")[:, None]
    lo = np.maximum(start, months["m_start"].to_numpy().astype("datetime64[D]")[None, :])
    hi = np.broadcast_to(months["m_end"].to_numpy().astype("datetime64[D]")[None, :], lo.shape)
    hi = np.where(np.isnat(leave), hi, np.minimum(hi, leave))
    days = np.maximum((hi - lo).astype(np.int64), 0)
    yearly = (staff["annual_cost"] * staff["relationship_share"]).fillna(0.0).to_numpy()[:, None]
    staff_cents = _cents(yearly * days / _YEAR).ravel()  # staff × month
    owner = pd.Index(staff["staff_id"]).get_indexer(inputs.customers["owner_staff_id"])
    ukey, inv = np.unique(key, return_inverse=True)  # customer-months with an open account
    s = owner[ukey // n_m]
    has = s >= 0
    group = np.where(has, s * n_m + ukey % n_m, 0)
    cust_cents = np.zeros(len(ukey), dtype=np.int64)
    cust_cents[has] = allocate_groups(staff_cents, group[has], np.ones(int(has.sum()), dtype=np.int64))
    covered = np.bincount(group[has], minlength=len(staff_cents)) > 0
    idx = np.flatnonzero(~covered & (staff_cents > 0))
    lost = pd.DataFrame(
        {
            "branch_id": staff["branch_id"].to_numpy()[idx // n_m],
            "month": months["month"].to_numpy()[idx % n_m],
            "cents": staff_cents[idx],
        }
    )
    return allocate_groups(cust_cents, inv, size), lost


def contribution(inputs, scenario: Scenario | None = None) -> Profit:
    """Price every account-month of ``inputs`` (:func:`crmstudy.profit.profit_inputs`) in cents.

    A pure function of the drivers and the price list: the same inputs and
    scenario give the same cents.

    Returns
    -------
    Profit
        The lines and the costs no account carries.
    """
    scenario = scenario or Scenario()
    a = inputs.accounts
    priced = _priced(inputs, scenario)
    key, n_m = _keys(inputs)
    txn, lost_txn = _transaction_cost(inputs, key, n_m, scenario)
    rm, lost_rm = _rm_cost(inputs, key, n_m, priced["size"])
    c = a["customer_id"].cat.codes.to_numpy()
    cust = inputs.customers
    lines = pd.DataFrame(
        {
            "customer_id": a["customer_id"],
            "product_id": a["product_id"],
            "month": inputs.months["month"].to_numpy()[a["month_idx"].to_numpy()],
            "branch_id": pd.Categorical(cust["branch_id"].to_numpy()[c]),
            "staff_id": pd.Categorical(cust["owner_staff_id"].to_numpy()[c]),
            "tier": pd.Categorical(cust["tier"].to_numpy()[c]),
            "sales_channel": a["sales_channel"],
            "interest": priced["interest"],
            "fees": priced["fees"],
            "cost_to_serve": priced["account_cost"] + txn,
            "rm_cost": rm,
            "expected_loss": priced["expected_loss"],
        }
    )
    lines["contribution"] = (
        lines["interest"] + lines["fees"] - lines["cost_to_serve"] - lines["rm_cost"] - lines["expected_loss"]
    )
    unallocated = pd.concat([lost_rm.assign(what="rm_cost"), lost_txn.assign(what="cost_to_serve")], ignore_index=True)[
        ["what", "branch_id", "month", "cents"]
    ]
    return Profit(lines=lines, unallocated=unallocated)
