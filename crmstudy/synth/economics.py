"""Account economics of the synthetic bank: prices, funding, costs and credit risk, as tables.

A bank's profit model reads four parameter tables and one table of contract
terms, and the synthetic bank writes all of them:

``pricing``
    One row per product × term: the customer rate, the funds-transfer-pricing
    (FTP) rate of that term, the fee rate on balances, the annual fee, the
    yearly cost of keeping the account, the drawn share of a credit limit and,
    for credit, the probability of default and the loss given default.
``channel_costs``
    What one transaction costs in each channel (the counter far above mobile)
    and the teller minutes it takes.
``staff_costs``
    The yearly cost of each role and the share of it spent on the customers a
    member of staff owns (allocated to those customers).
``accounts``
    One row per holding: its term in months, its contracted customer rate (the
    table's rate plus a negotiated spread) and the channel it was sold through.
``branch_operations``
    Per branch and month: counter staff and their staffed hours.

The figures are plausible for a Chinese retail bank in 2025 (demand deposits
near 0.1 %, one-year time deposits near 1.25 %, a five-year LPR of 3.5 %); no
source article gives them, so every one is a documented choice of this
project (docs/generative_model.md, docs/profit.md).  The accounting is the same
in the null bank: only planted *effects* are switched off, and there are none
here (the planted campaign take-up is in :mod:`crmstudy.synth.campaigns`).

Every draw here comes from its own stream, ``SeedSequence(seed, spawn_key=(2,))``
for the bank and ``(3, block)`` for a block, so every older table stays
byte-identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import labels
from .presets import BankSpec

#: FTP curve: annual rate by term in months (0 = overnight / demand).  One curve credits
#: deposits and charges loans (a single-curve simplification many mid-sized banks use).
FTP_CURVE = {0: 0.0160, 3: 0.0155, 6: 0.0160, 12: 0.0170, 24: 0.0185, 36: 0.0200, 60: 0.0220, 240: 0.0260, 360: 0.0270}

# (product, term months, term weight, customer rate, fee rate on balance, annual fee,
#  yearly account cost, drawn share of the limit, probability of default, loss given default)
PRICING = (
    ("DEMAND_DEPOSIT", 0, 1.00, 0.0010, 0.0, 0.0, 30.0, 0.0, 0.0, 0.0),
    ("TIME_DEPOSIT", 3, 0.15, 0.0085, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0),
    ("TIME_DEPOSIT", 6, 0.15, 0.0105, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0),
    ("TIME_DEPOSIT", 12, 0.30, 0.0125, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0),
    ("TIME_DEPOSIT", 24, 0.15, 0.0135, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0),
    ("TIME_DEPOSIT", 36, 0.20, 0.0165, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0),
    ("TIME_DEPOSIT", 60, 0.05, 0.0170, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0),
    # off balance sheet: the bank earns a fee on the balance, no interest margin
    ("WEALTH_MGMT", 0, 1.00, 0.0, 0.0050, 0.0, 5.0, 0.0, 0.0, 0.0),
    ("FUND", 0, 1.00, 0.0, 0.0080, 0.0, 5.0, 0.0, 0.0, 0.0),
    ("INSURANCE", 0, 1.00, 0.0, 0.0120, 0.0, 5.0, 0.0, 0.0, 0.0),
    ("GOLD_JICUN", 0, 1.00, 0.0, 0.0030, 0.0, 5.0, 0.0, 0.0, 0.0),
    ("GOLD_YICUN", 0, 1.00, 0.0, 0.0030, 0.0, 5.0, 0.0, 0.0, 0.0),
    ("CONSUMER_LOAN", 12, 0.40, 0.0420, 0.0, 0.0, 200.0, 1.0, 0.020, 0.60),
    ("CONSUMER_LOAN", 24, 0.30, 0.0450, 0.0, 0.0, 200.0, 1.0, 0.020, 0.60),
    ("CONSUMER_LOAN", 36, 0.30, 0.0480, 0.0, 0.0, 200.0, 1.0, 0.020, 0.60),
    ("MORTGAGE", 240, 0.40, 0.0330, 0.0, 0.0, 300.0, 1.0, 0.004, 0.25),
    ("MORTGAGE", 360, 0.60, 0.0335, 0.0, 0.0, 300.0, 1.0, 0.004, 0.25),
    ("BUSINESS_LOAN", 12, 0.50, 0.0400, 0.0, 0.0, 250.0, 1.0, 0.025, 0.45),
    ("BUSINESS_LOAN", 36, 0.50, 0.0440, 0.0, 0.0, 250.0, 1.0, 0.025, 0.45),
    # a card's limit is its amount; about a third of it is drawn and pays the revolving rate
    ("CREDIT_CARD", 0, 1.00, 0.1460, 0.0, 100.0, 80.0, 0.35, 0.025, 0.80),
    ("MOBILE_BANKING", 0, 1.00, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0),
    ("ONLINE_BANKING", 0, 1.00, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0),
    ("POS_MERCHANT", 0, 1.00, 0.0, 0.0, 1200.0, 150.0, 0.0, 0.0, 0.0),
    ("PAYROLL", 0, 1.00, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0),
    ("UTILITY_PAY", 0, 1.00, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0),
)
PRICING_COLUMNS = (
    "product_id",
    "term_months",
    "term_weight",
    "customer_rate",
    "fee_rate",
    "annual_fee",
    "account_cost",
    "drawn_share",
    "pd",
    "lgd",
)

#: CNY per transaction and teller minutes per transaction, by channel: the counter costs
#: about fifty times the mobile app (the order counter >> ATM >> digital is what banks report).
CHANNEL_COSTS = {
    "counter": (15.0, 6.0),
    "smart_counter": (4.0, 1.0),
    "atm": (2.5, 0.0),
    "phone_banking": (3.0, 0.0),
    "online_banking": (0.5, 0.0),
    "mobile_app": (0.3, 0.0),
    "wechat": (0.3, 0.0),
    "third_party": (0.2, 0.0),
    "pos": (0.4, 0.0),
}

#: Yearly fully loaded cost of each role (CNY) and the share of it spent on owned customers.
STAFF_COSTS = {
    "president": (600_000.0, 0.05),
    "vice_president": (400_000.0, 0.10),
    "wealth_manager": (300_000.0, 0.80),
    "customer_manager": (200_000.0, 0.80),
    "lobby_manager": (150_000.0, 0.20),
    "other": (120_000.0, 0.10),
}

#: Channels a product is sold through (``rm``: the relationship manager in person).
SALES_CHANNELS = ("counter", "smart_counter", "mobile_app", "online_banking", "rm")
#: Negotiated spread on the table rate: SD in percentage points (rounded to 1 bp).
RATE_SPREAD_SD = 0.0005
#: One teller per this many expected customers, plus one (realism, not planted).
CUSTOMERS_PER_TELLER = 1_500
#: Staffed counter hours per teller per working day.
TELLER_HOURS = 7.5


def pricing_table() -> pd.DataFrame:
    """The price list: one row per product × term, with the FTP rate of the term.

    Examples
    --------
    >>> p = pricing_table()
    >>> row = p.loc[p["product_id"] == "TIME_DEPOSIT"].iloc[2]
    >>> int(row["term_months"]), float(row["customer_rate"]), float(row["ftp_rate"])
    (12, 0.0125, 0.017)
    """
    df = pd.DataFrame(list(PRICING), columns=list(PRICING_COLUMNS))
    df["term_months"] = df["term_months"].astype("int32")
    ftp_term = df["term_months"].where(df["product_id"] != "CREDIT_CARD", 12)  # cards are funded at one year
    # FTP credits deposits and charges credit: products with a customer rate; fee products are off balance sheet
    ftp = np.where(df["customer_rate"] > 0, ftp_term.map(FTP_CURVE).astype(float), 0.0)
    df.insert(4, "ftp_rate", ftp)
    return df


def channel_costs_table() -> pd.DataFrame:
    """Cost per transaction (CNY) and teller minutes per transaction, by channel."""
    return pd.DataFrame(
        [(ch, cost, minutes) for ch, (cost, minutes) in CHANNEL_COSTS.items()],
        columns=["channel", "cost_per_txn", "teller_minutes"],
    )


def staff_costs_table() -> pd.DataFrame:
    """Yearly cost of each role (CNY) and the share of it allocated to the customers owned."""
    return pd.DataFrame(
        [(role, cost, share) for role, (cost, share) in STAFF_COSTS.items()],
        columns=["role", "annual_cost", "relationship_share"],
    )


def _month_starts(spec: BankSpec) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(spec.start).replace(day=1), pd.Timestamp(spec.end), freq="MS")


def branch_operations(spec: BankSpec, branches: pd.DataFrame, weights: np.ndarray, rng) -> pd.DataFrame:
    """Counter staff and staffed hours per branch and month.

    Tellers follow the customers a branch expects (one per
    :data:`CUSTOMERS_PER_TELLER`, plus one); each month a few teller-days are
    lost to leave and training (Poisson, about 4 %).
    """
    months = _month_starts(spec)
    tellers = (np.floor(weights * spec.n_customers / CUSTOMERS_PER_TELLER) + 1).astype(int)
    workdays = np.array([np.busday_count(m.date(), (m + pd.offsets.MonthBegin(1)).date()) for m in months])
    rows = []
    for b, branch_id in enumerate(branches["branch_id"]):
        lost = rng.poisson(0.04 * tellers[b] * workdays)
        hours = (tellers[b] * workdays - np.minimum(lost, tellers[b] * workdays)) * TELLER_HOURS
        rows += [(branch_id, m, tellers[b], float(h)) for m, h in zip(months, hours)]
    df = pd.DataFrame(rows, columns=["branch_id", "month", "counter_staff", "counter_staff_hours"])
    df["month"] = df["month"].to_numpy().astype("datetime64[ms]")
    df["counter_staff"] = df["counter_staff"].astype("int32")
    return df


def make_accounts(spec: BankSpec, customers: pd.DataFrame, holdings: pd.DataFrame, rng) -> pd.DataFrame:
    """Contract terms of every holding: term, customer rate, sales channel.

    The term is drawn with the price list's ``term_weight``; the rate is the
    list rate of that term plus a negotiated spread (normal, SD
    :data:`RATE_SPREAD_SD`, never below zero, 1 bp steps) on products that have
    a rate.  Older customers bought more at the counter and fewer on the app
    (realism, kept in the null bank).  Rows follow ``holdings``.
    """
    price = pricing_table()
    n = len(holdings)
    pid = holdings["product_id"].to_numpy(dtype=object)
    term = np.zeros(n, dtype="int32")
    rate = np.zeros(n)
    u = rng.random(n)
    for product, grp in price.groupby("product_id", sort=False):
        m = np.flatnonzero(pid == product)
        cum = np.cumsum(grp["term_weight"].to_numpy())
        k = np.minimum(np.searchsorted(cum / cum[-1], u[m], side="right"), len(grp) - 1)
        term[m] = grp["term_months"].to_numpy()[k]
        rate[m] = grp["customer_rate"].to_numpy()[k]
    spread = np.round(rng.normal(0.0, RATE_SPREAD_SD, n), 4)
    rate = np.where(rate > 0, np.maximum(np.round(rate + spread, 4), 0.0), 0.0)
    age = pd.Series(customers["age"].to_numpy(), index=customers["customer_id"]).reindex(holdings["customer_id"])
    old = (age.to_numpy(dtype=float) - 18) / 60  # 0 at 18, 1 at 78
    # counter, smart counter, app, online, RM: the app loses share with age, the counter gains
    w = np.column_stack([0.20 + 0.35 * old, 0.10 + 0.0 * old, 0.45 - 0.35 * old, 0.10 + 0.0 * old, 0.15 + 0.0 * old])
    w = np.clip(w, 0.01, None)
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    channel = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(SALES_CHANNELS) - 1)
    return pd.DataFrame(
        {
            "customer_id": holdings["customer_id"].to_numpy(),
            "product_id": holdings["product_id"].to_numpy(),
            "term_months": term,
            "customer_rate": rate,
            "sales_channel": labels(SALES_CHANNELS, channel),
        }
    )


def bank_tables(spec: BankSpec, branches: pd.DataFrame, weights: np.ndarray) -> dict[str, pd.DataFrame]:
    """The bank-level economics tables (price list, channel and staff costs, branch operations)."""
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(2,)))
    return {
        "pricing": pricing_table(),
        "channel_costs": channel_costs_table(),
        "staff_costs": staff_costs_table(),
        "branch_operations": branch_operations(spec, branches, weights, rng),
    }


def block_stream(spec: BankSpec, block: int, name: str) -> np.random.Generator:
    """An economics stream of one block, apart from every older stream: ``(3, block, k)``."""
    k = ("accounts", "campaigns").index(name)
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(3, block, k)))
