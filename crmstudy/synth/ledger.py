"""Transactions by channel and merchant category: the customers' footprints.

Planted footprints (source 002, off in the null bank): customers of high value
potential buy premium fuel in larger fills, travel by air and rail, dine out
and buy luxury goods more often; customers drawn to internet finance send more
money out to third-party payment apps; customers of high risk propensity
withdraw more cash, repay internet lenders more often and miss payroll
months; amounts grow with wealth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import labels
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
CHANNELS = (
    "counter",
    "atm",
    "smart_counter",
    "mobile_app",
    "online_banking",
    "phone_banking",
    "wechat",
    "third_party",
    "pos",
)


CATEGORY_NAMES = tuple(c[0] for c in CATEGORIES) + ("payroll_in",)
_PAYROLL = len(CATEGORIES)
_FUEL = CATEGORY_NAMES.index("fuel")
_DIRECTIONS = ("in", "out")
_DIRECTION = np.array([_DIRECTIONS.index(c[1]) for c in CATEGORIES] + [_DIRECTIONS.index("in")], dtype=np.int8)
_CH = {c: k for k, c in enumerate(CHANNELS)}
# typical channels of each category, padded: _OPTIONS[cat, floor(u * _N_OPTIONS[cat])]
_N_OPTIONS = np.array([len(c[6]) for c in CATEGORIES])
_OPTIONS = np.array(
    [[_CH[ch] for ch in c[6]] + [0] * (_N_OPTIONS.max() - len(c[6])) for c in CATEGORIES], dtype=np.int8
)
_DAY_MS = 86_400_000


def make_transactions(
    spec: BankSpec,
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    holdings: pd.DataFrame,
    rng: np.random.Generator,
    *,
    first_id: int = 1,
) -> pd.DataFrame:
    """All transactions of the period, sorted by customer and time.

    ``txn_id`` counts up from ``first_id`` in that order.  Everything is
    drawn per column over all rows at once (no loop over rows or customers),
    with integer codes for categories and channels.
    """
    null = spec.null
    z_v = truth["value_potential"].to_numpy()
    first, window, count = _counts(spec, customers, truth, rng)
    cust, cat = _categories(null, truth, count, rng)
    m = len(cust)

    # time: a uniform day in the active window, the hour around 14:00
    day = first[cust] + (rng.random(m) * window[cust]).astype(np.int64)
    ms = day * _DAY_MS + (rng.normal(14, 3.5, size=m).clip(6, 23.9) * 3600).astype(np.int64) * 1000

    median = np.array([c[5] for c in CATEGORIES], dtype=float)[cat]
    wealth_factor = 1.0 if null else ((truth["true_wealth"].to_numpy() / 30_000) ** 0.25)[cust]
    amount = median * wealth_factor * np.exp(0.7 * rng.standard_normal(m))

    # fuel: grade and litres (source 002: 100 L of 97-octane says "good car")
    fuel = np.flatnonzero(cat == _FUEL)
    grade, litres = _fuel(null, z_v[cust[fuel]], rng)
    amount[fuel] = litres * np.select([grade == 92, grade == 95], [7.6, 8.1], 8.9)
    fuel_grade = np.zeros(m, dtype=np.int16)
    fuel_grade[fuel] = grade
    fuel_litres = np.full(m, np.nan)
    fuel_litres[fuel] = np.round(litres, 1)
    channel = _channels(cat, _sigmoid(-4 + 0.06 * customers["age"].to_numpy())[cust], rng)
    channel_rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(5, first_id)))
    channel = _off_branch(channel, cat, spec.branch_channel_keep, channel_rng)

    # payroll credits: no fuel; the employer's batch (online banking), at the counter in the old mix
    p_cust, p_ms, p_amount = _payroll(spec, customers, truth, holdings, rng)
    k = len(p_cust)
    cust, ms, amount = np.concatenate([cust, p_cust]), np.concatenate([ms, p_ms]), np.concatenate([amount, p_amount])
    cat = np.concatenate([cat, np.full(k, _PAYROLL, dtype=np.int8)])
    payroll_channel = _CH["counter"] if spec.branch_channel_keep >= 1 else _CH["online_banking"]
    channel = np.concatenate([channel, np.full(k, payroll_channel, dtype=np.int8)])
    fuel_grade = np.concatenate([fuel_grade, np.zeros(k, dtype=np.int16)])
    fuel_litres = np.concatenate([fuel_litres, np.full(k, np.nan)])
    # by customer, then time; stable, so ties keep purchases before payroll
    order = np.argsort(cust.astype(np.int64) * (spec.days * _DAY_MS) + ms, kind="stable")
    cust, cat, grade = cust[order], cat[order], fuel_grade[order]
    return pd.DataFrame(
        {
            "txn_id": np.arange(first_id, first_id + len(order), dtype=np.int64),
            "customer_id": labels(customers["customer_id"].to_numpy(), cust),
            "ts": np.datetime64(spec.start, "ms") + ms[order].astype("timedelta64[ms]"),
            "amount": np.round(amount[order], 2),
            "direction": labels(_DIRECTIONS, _DIRECTION[cat]),
            "channel": labels(CHANNELS, channel[order]),
            "merchant_category": labels(CATEGORY_NAMES, cat),
            "fuel_grade": pd.arrays.IntegerArray(grade, grade == 0),
            "fuel_litres": fuel_litres[order],
        }
    )


def _counts(
    spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer: first active day, active days (opening or period start to churn), transactions."""
    days = spec.days
    start = np.datetime64(spec.start, "D")
    first = np.clip((customers["open_date"].to_numpy().astype("datetime64[D]") - start).astype(int), 0, days - 1)
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    last = np.where(np.isnat(churn), days, (churn - start).astype("timedelta64[D]").astype(np.int64).clip(0, days))
    window = np.maximum(last - first, 0)
    activity = np.exp(0.6 * rng.standard_normal(len(customers)) - 0.18)
    if not spec.null:
        activity *= np.exp(0.12 * truth["value_potential"].to_numpy())
    rate = spec.txn_per_customer * activity * window / days
    rate[truth["dormant"].to_numpy()] = 0.0
    return first, window, rng.poisson(rate)


def _categories(
    null: bool, truth: pd.DataFrame, count: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Customer and category of every transaction, grouped by customer then category.

    Given a customer's count the categories are multinomial, which is the same
    as drawing one category per transaction.
    """
    # elementwise, not a matrix product: BLAS kernels may round differently from machine to machine
    effect = sum(
        truth[col].to_numpy()[:, None] * np.array([c[k] for c in CATEGORIES])[None, :]
        for col, k in (("value_potential", 3), ("third_party_pull", 4), ("risk_propensity", 7))
    )
    logits = np.log(np.array([c[2] for c in CATEGORIES]))[None, :] + (0.0 if null else 1.0) * effect
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    per_cat = rng.multinomial(count, probs).ravel()
    n, k = len(count), len(CATEGORIES)
    cust = np.repeat(np.repeat(np.arange(n, dtype=np.int32), k), per_cat)
    cat = np.repeat(np.tile(np.arange(k, dtype=np.int8), n), per_cat)
    return cust, cat


def _fuel(null: bool, z_v: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Octane and litres of each fill, from the buyer's value potential."""
    premium_p = 0.2 if null else _sigmoid(-1.4 + 1.3 * z_v)
    grade = np.where(rng.random(len(z_v)) < premium_p, np.where(rng.random(len(z_v)) < 0.5, 98, 95), 92)
    litres = (35 + (0.0 if null else 15.0) * z_v + 8 * rng.standard_normal(len(z_v))).clip(10, 110)
    return grade, litres


def _channels(cat: np.ndarray, p_older: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Channel codes: uniform among the category's typical channels.

    Older customers use the counter more (realism, kept in the null bank):
    with probability ``p_older`` the app becomes the counter and a payment
    app the ATM.
    """
    channel = _OPTIONS[cat, (rng.random(len(cat)) * _N_OPTIONS[cat]).astype(np.int64)]
    app = np.flatnonzero((channel == _CH["mobile_app"]) | (channel == _CH["third_party"]))
    app = app[rng.random(len(app)) < p_older[app]]
    channel[app] = np.where(channel[app] == _CH["mobile_app"], _CH["counter"], _CH["atm"])
    # some counter business goes through smart counters, some online through the phone line
    desk = np.flatnonzero((channel == _CH["counter"]) | (channel == _CH["online_banking"]))
    shift = rng.random(len(desk))
    channel[desk[(channel[desk] == _CH["counter"]) & (shift < 0.25)]] = _CH["smart_counter"]
    channel[desk[(channel[desk] == _CH["online_banking"]) & (shift < 0.3)]] = _CH["phone_banking"]
    return channel


_BRANCH = np.array([_CH["counter"], _CH["smart_counter"], _CH["atm"]], dtype=np.int8)
_CASH = CATEGORY_NAMES.index("cash_withdrawal")


def _off_branch(channel: np.ndarray, cat: np.ndarray, keep: float, rng: np.random.Generator) -> np.ndarray:
    """Move branch transactions (counter, smart counter, ATM) off the branch with probability ``1 - keep``.

    What moves goes to the mobile app (three in four) or the bank's WeChat service.

    Cash withdrawals stay where they are (cash needs a machine or a teller).  Its own stream:
    at ``keep = 1`` nothing is drawn.  The older customers' lean to the counter stays, scaled.
    """
    if keep >= 1:
        return channel
    movable = np.flatnonzero(np.isin(channel, _BRANCH) & (cat != _CASH))
    u = rng.random(len(movable))
    channel = channel.copy()
    # a quarter of what leaves the branch goes through the bank's WeChat service, the rest the app
    channel[movable[u >= keep]] = np.where(u[u >= keep] < keep + 0.25 * (1 - keep), _CH["wechat"], _CH["mobile_app"])
    return channel


def _payroll(
    spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, holdings: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly payroll credits for payroll-account holders until they leave.

    Returns each credit's customer (position in ``customers``), time (ms after
    the period's start) and amount.
    """
    pay = holdings.loc[holdings["product_id"] == "PAYROLL", ["customer_id", "open_date", "close_date"]]
    idx = pd.Index(customers["customer_id"]).get_indexer(pay["customer_id"])
    wealth = truth["true_wealth"].to_numpy()[idx]
    salary = 6000 * (wealth / 30_000) ** (0.0 if spec.null else 0.2) * np.exp(0.3 * rng.standard_normal(len(idx)))
    months = pd.date_range(pd.Timestamp(spec.start), pd.Timestamp(spec.end), freq="MS") + pd.Timedelta(days=9, hours=10)
    t = np.array(months, dtype="datetime64[ms]")
    rep = np.repeat(np.arange(len(idx)), len(t))
    when = np.tile(t, len(idx))
    opened = pay["open_date"].to_numpy().astype("datetime64[ms]")[rep]
    closed = pay["close_date"].to_numpy().astype("datetime64[ms]")[rep]
    dormant = truth["dormant"].to_numpy()[idx][rep]
    # planted: risky customers miss payroll months (irregular income)
    z_r = truth["risk_propensity"].to_numpy()[idx][rep]
    missed = rng.random(len(rep)) < _sigmoid(-3.5 + (0.0 if spec.null else 1.0) * z_r)
    keep = (when >= opened) & (np.isnat(closed) | (when < closed)) & ~dormant & ~missed
    rep, when = rep[keep], when[keep]
    amount = salary[rep] * np.exp(0.03 * rng.standard_normal(len(rep)))
    start = np.datetime64(spec.start, "ms")
    return idx[rep].astype(np.int32), (when - start).astype(np.int64), amount
