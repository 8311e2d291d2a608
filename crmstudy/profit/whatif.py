"""What-if: the profit change of a new price, a channel shift, kept churners or a launch, from the same model.

:func:`what_if` prices the bank twice with :func:`~crmstudy.profit.contribution`
— as it is and under a :class:`~crmstudy.profit.Scenario` — and adds what the
model cannot see in the data: churners who are kept (they go on earning their
own average monthly contribution, product by product, for the months they
were gone; the expected value for a share ``y``) and a product launched to a
segment (take-up × balance priced by the price list from the launch month).
It is a pure function of its inputs and the scenario: a scenario that changes
nothing gives a change of exactly 0 cents, everywhere.

The model is mechanical: customers do not react to a price (no elasticity) and
moved transactions keep their count; say so when reading a result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..results import Result
from .contribution import Profit, Scenario, contribution

__all__ = ["WhatIf", "offer_profit", "what_if"]

_YEAR = 365.0


def offer_profit(inputs, product_id: str, amount, days) -> np.ndarray:
    """Contribution (CNY, unrounded) of ``amount`` held in ``product_id`` for ``days``, at its first listed term.

    Deposits earn FTP less the rate; credit the rate less FTP and expected loss
    on the drawn share; fees on balance and the annual fee; less the account
    cost.  No RM cost or transactions (the relationship already exists).
    """
    price = inputs.pricing[inputs.pricing["product_id"] == product_id]
    if price.empty:
        raise DataError(f"what-if: product {product_id!r} is not in table 'pricing'")
    p = price.iloc[0]
    kind = inputs.products.set_index("product_id")["kind"].get(product_id, "asset")
    years = np.asarray(days, dtype=float) / _YEAR
    amount = np.asarray(amount, dtype=float)
    if kind == "credit":
        drawn = amount * p["drawn_share"]
        margin = drawn * (p["customer_rate"] - p["ftp_rate"] - p["pd"] * p["lgd"])
    elif kind == "asset":
        margin = amount * (p["ftp_rate"] - p["customer_rate"] + p["fee_rate"])
    else:
        margin = np.zeros_like(amount)
    return (margin + p["annual_fee"] - p["account_cost"]) * years


@dataclass(frozen=True)
class WhatIf(Result):
    """The profit change of a scenario, in cents.

    Attributes
    ----------
    scenario : Scenario
    base, changed, change : int
        Total contribution now, under the scenario, and the difference.
    by_branch, by_product : pd.DataFrame
        ``base``, ``scenario``, ``change`` (cents) per branch / product.
    """

    scenario: Scenario
    base: int
    changed: int
    change: int
    by_branch: pd.DataFrame
    by_product: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The comparison by branch."""
        return self.by_branch


def _retained(inputs, profit: Profit, scenario: Scenario) -> pd.DataFrame:
    """Cents a share of churners would have gone on earning, per branch and product."""
    empty = pd.DataFrame(columns=["branch_id", "product_id", "cents"])
    if scenario.retain_churners == 0:
        return empty
    lines = profit.lines
    n_m = len(inputs.months)
    month = inputs.accounts["month_idx"].to_numpy()
    last = pd.Series(month).groupby(lines["customer_id"].cat.codes.to_numpy()).max()
    gone = last[last < n_m - 1]
    if scenario.retain_tier is not None:
        tiers = inputs.customers["tier"].to_numpy()[gone.index.to_numpy()]
        gone = gone[tiers == scenario.retain_tier]
    if gone.empty:
        return empty
    code = lines["customer_id"].cat.codes.to_numpy()
    mine = np.isin(code, gone.index.to_numpy())
    per = (
        pd.DataFrame(
            {
                "c": code[mine],
                "branch_id": lines["branch_id"].to_numpy()[mine],
                "product_id": lines["product_id"].astype(str).to_numpy()[mine],
                "month": month[mine],
                "cents": lines["contribution"].to_numpy()[mine],
            }
        )
        .groupby(["c", "branch_id", "product_id"], as_index=False)
        .agg(cents=("cents", "sum"), months=("month", "nunique"))
    )
    missing = n_m - 1 - gone.reindex(per["c"]).to_numpy()
    per["cents"] = np.rint(scenario.retain_churners * per["cents"] / per["months"] * missing).astype(np.int64)
    return per.groupby(["branch_id", "product_id"], as_index=False)["cents"].sum()


def _launched(inputs, scenario: Scenario) -> pd.DataFrame:
    """Cents a product launched to a segment earns from the launch month, per branch."""
    empty = pd.DataFrame(columns=["branch_id", "product_id", "cents"])
    if scenario.launch_product is None or scenario.launch_take_up == 0 or scenario.launch_balance == 0:
        return empty
    col, _, value = (scenario.launch_segment or "").partition("=")
    cust = inputs.customers
    if scenario.launch_segment and col not in cust:
        raise DataError(f"what-if: 'launch_segment' names column {col!r}, which the customers do not have")
    months = inputs.months
    if not 1 <= scenario.launch_month <= len(months):
        raise DataError(f"what-if: 'launch_month' must be 1 to {len(months)}, got {scenario.launch_month}")
    start = scenario.launch_month - 1
    days = int(months["days"].iloc[start:].sum())
    # customers in the segment still with the bank in the launch month
    active = np.unique(inputs.accounts["customer_id"].cat.codes.to_numpy()[inputs.accounts["month_idx"] >= start])
    seg = cust.iloc[active]
    if scenario.launch_segment:
        seg = seg[seg[col].astype(str) == value]
    n = seg.groupby("branch_id").size()
    each = float(offer_profit(inputs, scenario.launch_product, scenario.launch_balance, days))
    cents = np.rint(n.to_numpy() * scenario.launch_take_up * each * 100).astype(np.int64)
    return pd.DataFrame({"branch_id": n.index, "product_id": scenario.launch_product, "cents": cents})


def what_if(inputs, scenario: Scenario, *, base: Profit | None = None) -> WhatIf:
    """The profit change of ``scenario``, with its breakdown by branch and product.

    Parameters
    ----------
    inputs : ProfitInputs
        :func:`crmstudy.profit.profit_inputs` of the bank.
    scenario : Scenario
        What changes.
    base : Profit, optional
        ``contribution(inputs)`` if already computed.

    Examples
    --------
    >>> r = what_if(inputs, Scenario())      # doctest: +SKIP
    >>> r.change                             # doctest: +SKIP
    0
    """
    base = base if base is not None else contribution(inputs)
    new = contribution(inputs, scenario)
    keys = ["branch_id", "product_id"]
    frame = pd.DataFrame(
        {
            "branch_id": base.lines["branch_id"].astype(str).to_numpy(),
            "product_id": base.lines["product_id"].astype(str).to_numpy(),
            "base": base.lines["contribution"].to_numpy(),
            "scenario": new.lines["contribution"].to_numpy(),
        }
    )
    extra = pd.concat([_retained(inputs, new, scenario), _launched(inputs, scenario)], ignore_index=True)
    if len(extra):
        extra = extra.rename(columns={"cents": "scenario"}).assign(base=0)
        frame = pd.concat([frame, extra[keys + ["base", "scenario"]]], ignore_index=True)
    frame[["base", "scenario"]] = frame[["base", "scenario"]].astype(np.int64)
    frame["change"] = frame["scenario"] - frame["base"]

    def by(col):
        return frame.groupby(col, as_index=False)[["base", "scenario", "change"]].sum()

    return WhatIf(
        scenario=scenario,
        base=int(frame["base"].sum()),
        changed=int(frame["scenario"].sum()),
        change=int(frame["change"].sum()),
        by_branch=by("branch_id"),
        by_product=by("product_id"),
    )
