"""Transactions by channel and merchant category: the customers' footprints.

Planted footprints (seed 002, off in the null bank): customers of high value
potential buy premium fuel in larger fills, travel by air and rail, dine out
and buy luxury goods more often; customers drawn to internet finance send more
money out to third-party payment apps; customers of high risk propensity
withdraw more cash, repay internet lenders more often and miss payroll
months; amounts grow with wealth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import _sigmoid
from .presets import BankSpec

# (category, direction, base share, value-potential slope, pull slope,
#  median amount CNY, typical channels, risk slope)
CATEGORIES = (
    ("supermarket", "out", 0.24, 0.0, 0.0, 120, ("pos", "mobile_app", "third_party"), 0.0),
    ("dining", "out", 0.13, 0.35, 0.0, 150, ("pos", "mobile_app", "third_party"), 0.0),
    ("fuel", "out", 0.07, 0.25, 0.0, 300, ("pos", "mobile_app"), 0.0),
    ("rail_travel", "out", 0.03, 0.5, 0.0, 280, ("mobile_app", "online_banking"), 0.0),
    ("air_travel", "out", 0.01, 0.9, 0.0, 1400, ("mobile_app", "online_banking"), 0.0),
    ("luxury", "out", 0.008, 1.0, 0.0, 4000, ("pos",), 0.0),
    ("education", "out", 0.02, 0.2, 0.0, 2500, ("mobile_app", "counter", "online_banking"), 0.0),
    ("medical", "out", 0.03, 0.0, 0.0, 400, ("pos", "counter"), 0.0),
    ("utilities", "out", 0.06, 0.0, 0.0, 150, ("mobile_app", "wechat", "online_banking"), 0.0),
    ("third_party_transfer", "out", 0.14, 0.0, 0.6, 900, ("mobile_app", "third_party"), 0.0),
    ("cash_withdrawal", "out", 0.08, -0.2, 0.0, 800, ("atm", "counter"), 0.35),
    ("internet_lender", "out", 0.012, 0.0, 0.0, 1200, ("mobile_app", "third_party"), 1.0),
    ("transfer_in", "in", 0.06, 0.0, 0.0, 2000, ("mobile_app", "counter", "online_banking"), 0.0),
    ("other", "out", 0.13, 0.0, 0.0, 200, ("pos", "mobile_app", "counter", "atm"), 0.0),
)
CHANNELS = ("counter", "atm", "smart_counter", "mobile_app", "online_banking", "phone_banking", "wechat",
            "third_party", "pos")


def make_transactions(spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, holdings: pd.DataFrame,
                      rng: np.random.Generator) -> pd.DataFrame:
    """All transactions of the period, sorted by customer and time."""
    n = len(customers)
    null = spec.null
    start = np.datetime64(spec.start, "D")
    days = spec.days
    z_v = truth["value_potential"].to_numpy()
    pull = truth["third_party_pull"].to_numpy()
    z_r = truth["risk_propensity"].to_numpy()
    wealth = truth["true_wealth"].to_numpy()
    age = customers["age"].to_numpy()
    # active window per customer: from opening (or period start) to churn
    first = np.clip((customers["open_date"].to_numpy().astype("datetime64[D]") - start).astype(int), 0, days - 1)
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    last = np.where(np.isnat(churn), days, (churn - start).astype("timedelta64[D]").astype(np.int64).clip(0, days))
    window = np.maximum(last - first, 0)
    activity = np.exp(0.6 * rng.standard_normal(n) - 0.18)
    if not null:
        activity *= np.exp(0.12 * z_v)
    rate = spec.txn_per_customer * activity * window / days
    rate[truth["dormant"].to_numpy()] = 0.0
    count = rng.poisson(rate)
    cust = np.repeat(np.arange(n), count)
    m = len(cust)

    base = np.log(np.array([c[2] for c in CATEGORIES]))
    vslope = np.array([c[3] for c in CATEGORIES])
    pslope = np.array([c[4] for c in CATEGORIES])
    rslope = np.array([c[7] for c in CATEGORIES])
    logits = base[None, :] + (0.0 if null else 1.0) * (
        z_v[:, None] * vslope[None, :] + pull[:, None] * pslope[None, :] + z_r[:, None] * rslope[None, :])
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    cum = (probs / probs.sum(axis=1, keepdims=True)).cumsum(axis=1)
    cat = (rng.random(m)[:, None] > cum[cust]).sum(axis=1)
    cat = np.minimum(cat, len(CATEGORIES) - 1)

    day = first[cust] + (rng.random(m) * window[cust]).astype(int)
    seconds = (rng.normal(14, 3.5, size=m).clip(6, 23.9) * 3600).astype(np.int64)
    ts = (start + day.astype("timedelta64[D]")).astype("datetime64[s]") + seconds.astype("timedelta64[s]")

    median = np.array([c[5] for c in CATEGORIES], dtype=float)[cat]
    wealth_factor = 1.0 if null else (wealth[cust] / 30_000) ** 0.25
    amount = median * wealth_factor * np.exp(0.7 * rng.standard_normal(m))

    # fuel: grade and litres (seed 002: 100 L of 97-octane says "good car")
    is_fuel = cat == [c[0] for c in CATEGORIES].index("fuel")
    premium_p = 0.2 if null else _sigmoid(-1.4 + 1.3 * z_v[cust])
    grade = np.where(rng.random(m) < premium_p, np.where(rng.random(m) < 0.5, 98, 95), 92)
    litres = 35 + (0.0 if null else 15.0) * z_v[cust] + 8 * rng.standard_normal(m)
    litres = litres.clip(10, 110)
    price = np.select([grade == 92, grade == 95], [7.6, 8.1], 8.9)
    amount = np.where(is_fuel, litres * price, amount)

    # channel: from the category's typical channels; older customers use the
    # counter more (realism, kept in the null bank).
    older = rng.random(m) < _sigmoid(-4 + 0.06 * age[cust])
    options = [c[6] for c in CATEGORIES]
    pick = rng.random(m)
    channel = np.empty(m, dtype=object)
    for k, opts in enumerate(options):
        sel = cat == k
        channel[sel] = np.array(opts)[(pick[sel] * len(opts)).astype(int)]
    channel[older & (channel == "mobile_app")] = "counter"
    channel[older & (channel == "third_party")] = "atm"
    # some counter business goes through smart counters, some online through the phone line
    shift = rng.random(m)
    channel[(channel == "counter") & (shift < 0.25)] = "smart_counter"
    channel[(channel == "online_banking") & (shift < 0.3)] = "phone_banking"

    tx = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[cust],
        "ts": ts,
        "amount": np.round(amount, 2),
        "direction": np.array([c[1] for c in CATEGORIES])[cat],
        "channel": channel.astype(str),
        "merchant_category": np.array([c[0] for c in CATEGORIES])[cat],
        "fuel_grade": pd.array(np.where(is_fuel, grade, 0), dtype="Int16"),
        "fuel_litres": np.where(is_fuel, np.round(litres, 1), np.nan),
    })
    tx.loc[~is_fuel, "fuel_grade"] = pd.NA
    tx = pd.concat([tx, _payroll(spec, customers, truth, holdings, rng)], ignore_index=True)
    tx["ts"] = tx["ts"].astype("datetime64[ms]")
    tx = tx.sort_values(["customer_id", "ts"], kind="stable").reset_index(drop=True)
    tx.insert(0, "txn_id", np.char.add("T", np.char.zfill(np.arange(1, len(tx) + 1).astype(str), 10)))
    return tx


def _payroll(spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, holdings: pd.DataFrame,
             rng: np.random.Generator) -> pd.DataFrame:
    """Monthly payroll credits for payroll-account holders until they leave."""
    pay = holdings.loc[holdings["product_id"] == "PAYROLL", ["customer_id", "open_date", "close_date"]]
    idx = customers.reset_index().set_index("customer_id").loc[pay["customer_id"], "index"].to_numpy()
    wealth = truth["true_wealth"].to_numpy()[idx]
    salary = 6000 * (wealth / 30_000) ** (0.0 if spec.null else 0.2) * np.exp(0.3 * rng.standard_normal(len(idx)))
    months = pd.date_range(pd.Timestamp(spec.start), pd.Timestamp(spec.end), freq="MS") + pd.Timedelta(days=9, hours=10)
    t = np.array(months, dtype="datetime64[s]")
    rep = np.repeat(np.arange(len(idx)), len(t))
    when = np.tile(t, len(idx))
    opened = pay["open_date"].to_numpy().astype("datetime64[s]")[rep]
    closed = pay["close_date"].to_numpy().astype("datetime64[s]")[rep]
    dormant = truth["dormant"].to_numpy()[idx][rep]
    # planted: risky customers miss payroll months (irregular income)
    z_r = truth["risk_propensity"].to_numpy()[idx][rep]
    missed = rng.random(len(rep)) < _sigmoid(-3.5 + (0.0 if spec.null else 1.0) * z_r)
    keep = (when >= opened) & (np.isnat(closed) | (when < closed)) & ~dormant & ~missed
    rep, when = rep[keep], when[keep]
    return pd.DataFrame({
        "customer_id": pay["customer_id"].to_numpy()[rep],
        "ts": when,
        "amount": np.round(salary[rep] * np.exp(0.03 * rng.standard_normal(len(rep))), 2),
        "direction": "in",
        "channel": "counter",
        "merchant_category": "payroll_in",
        "fuel_grade": pd.array([pd.NA] * len(rep), dtype="Int16"),
        "fuel_litres": np.nan,
    })
