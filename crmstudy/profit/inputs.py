"""What the profit model reads: the drivers of every account-month and the bank's price list and costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..bank import Bank
from ..branch_rows import branch_rows
from ..errors import DataError
from ..period import Period
from ..tiers import TierThresholds, assign_tiers
from .drivers import account_months, channel_months, month_table

__all__ = ["ECONOMICS_TABLES", "ProfitInputs", "profit_inputs"]

#: The tables the profit model needs besides the core ones.
ECONOMICS_TABLES = ("pricing", "channel_costs", "staff_costs")


@dataclass(frozen=True)
class ProfitInputs:
    """Everything :func:`~crmstudy.profit.contribution` prices, as dataframes.

    Attributes
    ----------
    period : Period
    months : pd.DataFrame
        :func:`~crmstudy.profit.drivers.month_table` of the period.
    accounts : pd.DataFrame
        Account-months (:func:`~crmstudy.profit.drivers.account_months`) with each
        account's ``term_months``, ``customer_rate`` and ``sales_channel``.
    channels : pd.DataFrame
        Transactions per customer, month and channel.
    customers : pd.DataFrame
        ``customer_id, branch_id, owner_staff_id, tier`` and the customer attributes.
    staff, pricing, channel_costs, staff_costs, products : pd.DataFrame
        The bank's tables of those names.
    """

    period: Period
    months: pd.DataFrame
    accounts: pd.DataFrame
    channels: pd.DataFrame
    customers: pd.DataFrame
    staff: pd.DataFrame
    pricing: pd.DataFrame
    channel_costs: pd.DataFrame
    staff_costs: pd.DataFrame
    products: pd.DataFrame


def has_economics(data) -> bool:
    """Whether the bank has the price list and cost tables the profit model needs."""
    bank = Bank.of(data)
    return all(bank.has(t) for t in ECONOMICS_TABLES)


def profit_inputs(
    data,
    period: Period | None = None,
    *,
    engine=None,
    branch: str | None = None,
    tiers: pd.Series | None = None,
    thresholds: TierThresholds = TierThresholds(),
) -> ProfitInputs:
    """Read the drivers and the price list of a bank.

    Parameters
    ----------
    data : Bank or path
        The bank.
    period : Period, optional
        The months priced; the bank's own period by default.
    engine : crmstudy.feature_defs.Engine, optional
        Where the drivers are computed (DuckDB on the bank's connection by default; Spark too).
    branch : str, optional
        Only this branch's customers, and its staff (a branch report's view).
    tiers : pd.Series, optional
        Tier of each customer, indexed by ``customer_id``; by default from the
        period's average daily assets (:func:`crmstudy.tiers.assign_tiers`).
    """
    from .. import feature_defs as fd
    from ..features import customer_features

    bank = Bank.of(data)
    missing = [t for t in ECONOMICS_TABLES if not bank.has(t)]
    if missing:
        raise DataError(
            f"{bank.root}: the profit model needs table(s) {', '.join(m + '.parquet' for m in missing)} "
            "(the price list and costs of docs/profit.md)"
        )
    period = period or bank.period
    if branch is not None and engine is None:  # in a report run, the branch's part of one bank-wide pass
        am = branch_rows(bank, account_months, period, branch)
        ch = branch_rows(bank, channel_months, period, branch)
    else:
        eng = engine or fd.backend("duckdb", bank)
        am = eng.to_pandas(account_months(eng.tables, period, branch=branch))
        ch = eng.to_pandas(channel_months(eng.tables, period, branch=branch))
    price = bank.read("pricing")
    # a branch's view reads the branch's rows only (the same rows as the whole tables', sliced)
    mine = None if branch is None else ("branch_id", [branch])
    cust = bank.read("customers", rows=mine)
    staff = bank.read("staff", rows=mine)
    if bank.has("accounts"):
        acc = bank.read("accounts", rows=None if branch is None else ("customer_id", cust["customer_id"]))
    else:  # a bank's own data without contract terms: every account at its product's first listed term
        first = price.drop_duplicates("product_id")[["product_id", "term_months", "customer_rate"]]
        acc = bank.read("holdings", columns=["customer_id", "product_id"]).merge(first, on="product_id")
        acc["sales_channel"] = "unknown"
    am = am.merge(acc, on=["customer_id", "product_id"], how="left", validate="many_to_one")
    am["term_months"] = am["term_months"].fillna(0).astype("int32")
    am["customer_rate"] = am["customer_rate"].fillna(0.0)
    am["sales_channel"] = am["sales_channel"].fillna("unknown")
    am = am.sort_values(["customer_id", "product_id", "month"], ignore_index=True)
    if tiers is None:
        feats = customer_features(bank, period, branch=branch)
        tiers = pd.Series(assign_tiers(feats, thresholds).astype(str).to_numpy(), index=feats["customer_id"])
    cust["tier"] = cust["customer_id"].map(tiers).fillna("mass").astype(str)
    months = month_table(period)
    # integer codes: the model indexes arrays by customer and month instead of hashing text
    ids = pd.CategoricalDtype(cust["customer_id"].astype(str).to_numpy())
    products = pd.CategoricalDtype(sorted(set(bank.read("products")["product_id"]) | set(am["product_id"].unique())))
    month_starts = months["month"].to_numpy().astype("datetime64[us]")
    am, ch = (
        df.assign(
            customer_id=df["customer_id"].astype(str).astype(ids),
            month_idx=np.searchsorted(month_starts, df["month"].to_numpy().astype("datetime64[us]")).astype(np.int64),
        ).drop(columns="month")
        for df in (am, ch)
    )
    am["product_id"] = am["product_id"].astype(str).astype(products)
    am["sales_channel"] = am["sales_channel"].astype(str).astype("category")
    ch["channel"] = ch["channel"].astype(str).astype("category")
    if am["customer_id"].isna().any():
        raise DataError(f"{bank.root}: table 'holdings' has customers that table 'customers' lacks")
    return ProfitInputs(
        period=period,
        months=months,
        accounts=am,
        channels=ch,
        customers=cust,
        staff=staff,
        pricing=price,
        channel_costs=bank.read("channel_costs"),
        staff_costs=bank.read("staff_costs"),
        products=bank.read("products"),
    )
