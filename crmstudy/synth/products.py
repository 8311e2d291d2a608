"""Product catalogue, churn, holdings and daily-balance segments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import labels
from .population import LIFE_GROUPS, WEALTH_SIGMA, _sigmoid
from .presets import BankSpec

# (product_id, name, name_zh, product line, kind, base holding rate)
# kind: asset (counts in AUM), credit (loan or card: amount is principal or
# limit), service.  Rates: plausible for a Chinese retail bank's personal book.
CATALOGUE = (
    ("DEMAND_DEPOSIT", "Demand deposit", "活期存款", "deposits", "asset", 1.00),
    ("TIME_DEPOSIT", "Time deposit", "定期存款", "deposits", "asset", 0.32),
    ("WEALTH_MGMT", "Wealth-management product", "理财产品", "wealth", "asset", 0.10),
    ("FUND", "Mutual fund", "基金", "wealth", "asset", 0.07),
    ("INSURANCE", "Bancassurance", "保险", "insurance", "asset", 0.08),
    ("GOLD_JICUN", "Gold accumulation (Jicunjin)", "积存金", "precious_metals", "asset", 0.04),
    ("GOLD_YICUN", "Gold accumulation (Yicunjin)", "易存金", "precious_metals", "asset", 0.03),
    ("CONSUMER_LOAN", "Personal consumer loan", "个人消费贷款", "loans", "credit", 0.06),
    ("MORTGAGE", "Mortgage", "住房按揭贷款", "loans", "credit", 0.08),
    ("BUSINESS_LOAN", "Personal business loan", "个人经营贷款", "loans", "credit", 0.03),
    ("CREDIT_CARD", "Credit card", "信用卡", "cards", "credit", 0.25),
    ("MOBILE_BANKING", "Mobile banking", "手机银行", "e_banking", "service", 0.62),
    ("ONLINE_BANKING", "Online banking", "网上银行", "e_banking", "service", 0.28),
    ("POS_MERCHANT", "POS merchant service", "POS收单", "payments", "service", 0.03),
    ("PAYROLL", "Payroll account", "代发工资", "payments", "service", 0.35),
    ("UTILITY_PAY", "Utility payments", "生活缴费", "payments", "service", 0.40),
)
PRODUCT_IDS = tuple(p[0] for p in CATALOGUE)
# holdings and balances are sorted by customer, then product id as text
_PRODUCT_ORDER = np.argsort(np.argsort(PRODUCT_IDS))

# Planted group x product affinities, in log-odds (off in the null bank).
# source 000/003: classify customers by features, find which products each uses.
STRONG, MILD, NEG = 1.5, 0.8, -0.8
PLANTED_AFFINITIES = {
    ("affluent_retiree", "TIME_DEPOSIT"): STRONG,
    ("affluent_retiree", "INSURANCE"): MILD,
    ("affluent_retiree", "MOBILE_BANKING"): NEG,
    ("salaried", "PAYROLL"): STRONG,
    ("salaried", "CREDIT_CARD"): MILD,
    ("salaried", "CONSUMER_LOAN"): MILD,
    ("affluent_homemaker", "WEALTH_MGMT"): STRONG,
    ("affluent_homemaker", "GOLD_JICUN"): MILD,
    ("affluent_homemaker", "INSURANCE"): MILD,
    ("business_owner", "BUSINESS_LOAN"): STRONG,
    ("business_owner", "POS_MERCHANT"): STRONG,
    ("business_owner", "WEALTH_MGMT"): MILD,
    ("executive", "FUND"): STRONG,
    ("executive", "WEALTH_MGMT"): MILD,
    ("executive", "CREDIT_CARD"): MILD,
    ("outreach", "MOBILE_BANKING"): MILD,
    ("outreach", "CREDIT_CARD"): MILD,
    ("lobby", "TIME_DEPOSIT"): MILD,
}
# planted: wealth raises the odds of wealth products (per SD of log wealth)
WEALTH_SLOPE = {
    "TIME_DEPOSIT": 0.4,
    "WEALTH_MGMT": 0.9,
    "FUND": 0.7,
    "INSURANCE": 0.4,
    "GOLD_JICUN": 0.5,
    "GOLD_YICUN": 0.5,
    "CREDIT_CARD": 0.3,
    "ONLINE_BANKING": 0.2,
}
# planted: wealth products taken up during the period by customers of high value potential
WEALTH_PRODUCTS = ("WEALTH_MGMT", "FUND", "INSURANCE", "GOLD_JICUN", "GOLD_YICUN")
# planted: monthly log-drift of assets per SD of value potential
VALUE_DRIFT = 0.025
# planted: the two gold products serve overlapping customers (source 000)
GOLD_OVERLAP_LOG_ODDS = 2.5


def products_table() -> pd.DataFrame:
    """The product catalogue (product lines of DOMAIN.md)."""
    return pd.DataFrame(
        list(CATALOGUE), columns=["product_id", "product_name", "product_name_zh", "product_line", "kind", "base_rate"]
    )


def planted_affinities() -> pd.DataFrame:
    """The planted group x product log-odds, one row per non-zero cell."""
    rows = [
        (g, "life_group" if g in LIFE_GROUPS else "acquisition_group", p, v) for (g, p), v in PLANTED_AFFINITIES.items()
    ]
    return pd.DataFrame(rows, columns=["group", "grouping", "product_id", "log_odds"])


def _logit(p):
    return np.log(p / (1 - p))


def draw_churn(
    spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, owner_leave: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Add churn hazard, churn flag and date to ``truth``.

    Planted (source 001/003): an RM who leaves takes customers with them, and
    customers drawn to third-party payment apps leave more often.

    Parameters
    ----------
    owner_leave : np.ndarray of datetime64[D]
        The leave date of each customer's owner, ``NaT`` if the owner stays.
    """
    n = len(customers)
    start = np.datetime64(spec.start, "D")
    leave = np.asarray(owner_leave).astype("datetime64[D]")
    owner_left = ~np.isnat(leave)
    pull = rng.standard_normal(n)
    if spec.null:
        hazard = np.full(n, _sigmoid(-2.9))
    else:
        hazard = _sigmoid(-3.3 + 1.8 * owner_left + 0.5 * pull)
    churned = (rng.random(n) < hazard) & ~truth["dormant"].to_numpy()
    day = rng.integers(20, spec.days - 10, size=n)
    after_leave = np.clip(
        (leave - start).astype("timedelta64[D]").astype("float64") + rng.integers(5, 90, size=n), 20, spec.days - 10
    )
    day = np.where(owner_left & churned & ~spec.null, np.nan_to_num(after_leave, nan=0).astype(int), day)
    opened = (customers["open_date"].to_numpy().astype("datetime64[D]") - start).astype(int)
    day = np.maximum(day, np.maximum(opened, 0) + 15)
    churned &= day < spec.days - 5
    churn_date = np.where(churned, start + day.astype("timedelta64[D]"), np.datetime64("NaT"))
    truth = truth.copy()
    truth["third_party_pull"] = pull.round(4)
    truth["churn_hazard"] = np.round(hazard, 4)
    truth["churned"] = churned
    truth["churn_date"] = churn_date.astype("datetime64[ms]")
    return truth


def make_holdings(
    spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Holdings (customer x product) and per-customer planted affinities.

    Returns
    -------
    holdings : pd.DataFrame
        One row per held product: open/close date, ``amount`` (principal or
        limit for credit products, 0 for asset and service products),
        ``delinquent_date`` for credit products that fell 90+ days past due.
        Sorted by customer, then product id.
    affinity : pd.DataFrame
        ``customer_id`` and one ``affinity_<PRODUCT>`` log-odds column each.
    """
    n = len(customers)
    null = spec.null
    z_w = (np.log(truth["true_wealth"].to_numpy()) - np.log(spec.wealth_median)) / WEALTH_SIGMA
    life = customers["life_group"].to_numpy()
    acq = customers["acquisition_group"].to_numpy()
    age = customers["age"].to_numpy()
    logits = {}
    for pid, *_rest, base in CATALOGUE:
        if base >= 1.0:
            continue
        lo = np.full(n, _logit(base))
        if not null:
            for (g, p), v in PLANTED_AFFINITIES.items():
                if p == pid:
                    lo += v * ((life == g) | (acq == g))
            lo += WEALTH_SLOPE.get(pid, 0.0) * z_w
            if pid == "MOBILE_BANKING":
                lo += -0.04 * (age - 40)
            if pid in ("MORTGAGE", "CONSUMER_LOAN"):
                lo += -0.05 * np.clip(age - 50, 0, None)
        logits[pid] = lo
    held = {pid: rng.random(n) < _sigmoid(lo) for pid, lo in logits.items()}
    held["DEMAND_DEPOSIT"] = np.ones(n, dtype=bool)
    if not null:
        # second gold product: far more likely for holders of the first
        lo = logits["GOLD_YICUN"] + GOLD_OVERLAP_LOG_ODDS * held["GOLD_JICUN"]
        held["GOLD_YICUN"] = rng.random(n) < _sigmoid(lo - 0.6)
        logits["GOLD_YICUN"] = lo - 0.6
    affinity = pd.DataFrame({"customer_id": customers["customer_id"]})
    for pid in PRODUCT_IDS:
        affinity[f"affinity_{pid}"] = np.round(logits.get(pid, np.full(n, np.inf)), 4)

    start = np.datetime64(spec.start, "D")
    end_excl = start + np.timedelta64(spec.days, "D")
    cust_open = customers["open_date"].to_numpy().astype("datetime64[D]")
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    kinds = {p[0]: p[4] for p in CATALOGUE}
    wealth = truth["true_wealth"].to_numpy()
    risk = truth["risk_propensity"].to_numpy()
    parts = []
    for k, pid in enumerate(PRODUCT_IDS):
        idx = np.flatnonzero(held[pid])
        m = len(idx)
        span = np.maximum((end_excl - np.timedelta64(30, "D") - cust_open[idx]).astype(int), 1)
        lag = (rng.random(m) * span).astype(int) if pid != "DEMAND_DEPOSIT" else np.zeros(m, dtype=int)
        opened = cust_open[idx] + lag.astype("timedelta64[D]")
        if pid in WEALTH_PRODUCTS:
            # planted: high value potential -> wealth products taken up during the period
            z = truth["value_potential"].to_numpy()[idx]
            p_new = _sigmoid(-1.5 + (0.0 if null else 0.9) * z)
            first = np.maximum(cust_open[idx], start)
            room = np.maximum((end_excl - np.timedelta64(30, "D") - first).astype(int), 1)
            in_period = first + (rng.random(m) * room).astype(int).astype("timedelta64[D]")
            before = np.minimum(opened, start - np.timedelta64(1, "D"))
            old_customer = cust_open[idx] < start
            opened = np.where(rng.random(m) < p_new, in_period, np.where(old_customer, before, opened))
        closed = churn[idx].copy()
        if pid != "DEMAND_DEPOSIT":
            early = rng.random(m) < 0.05
            early_day = start + rng.integers(30, spec.days, size=m).astype("timedelta64[D]")
            closed = np.where(
                early & (early_day > opened) & (np.isnat(closed) | (early_day < closed)), early_day, closed
            )
        kind = kinds[pid]
        if kind == "credit":
            scale = {"CONSUMER_LOAN": 80_000, "MORTGAGE": 600_000, "BUSINESS_LOAN": 400_000, "CREDIT_CARD": 30_000}[pid]
            amount = scale * np.exp(0.5 * rng.standard_normal(m)) * (wealth[idx] / 30_000) ** (0.0 if null else 0.15)
            p_bad = _sigmoid(-2.8 + (0.0 if null else 1.1) * risk[idx])
            bad = rng.random(m) < p_bad
            # the day a bad loan goes bad: uniform over a year from 30 days after it is open in the
            # period, censored at the period's end, so that the monthly delinquency rate of a book is
            # steady (drawn within 300 days, Nov-Dec saw half the rate and no recalibration on the
            # latest window could hold); the same draws, stretched, keep every other table identical
            lag = 30 + (rng.integers(30, 300, size=m) - 30) * spec.days // 270
            bad_day = np.maximum(opened, start) + lag.astype("timedelta64[D]")
            delinquent = np.where(bad & (bad_day < end_excl), bad_day, np.datetime64("NaT"))
        else:
            amount = np.zeros(m)
            delinquent = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
        parts.append((idx, np.full(m, k, dtype=np.int8), opened, closed, amount, delinquent))
    idx, product, opened, closed, amount, delinquent = (np.concatenate(c) for c in zip(*parts))
    order = np.lexsort((_PRODUCT_ORDER[product], idx))
    idx, product = idx[order], product[order]
    holdings = pd.DataFrame(
        {
            "customer_id": labels(customers["customer_id"].to_numpy(), idx),
            "product_id": labels(PRODUCT_IDS, product),
            "open_date": opened[order].astype("datetime64[ms]"),
            "close_date": closed[order].astype("datetime64[ms]"),
            "amount": np.round(amount[order], 2),
            "delinquent_date": delinquent[order].astype("datetime64[ms]"),
        }
    )
    return holdings, affinity


def _month_edges(spec: BankSpec) -> np.ndarray:
    """Start of every calendar month in the period, the period's start and its end (exclusive)."""
    months = pd.date_range(pd.Timestamp(spec.start), pd.Timestamp(spec.end), freq="MS")
    edges = list(months) + [pd.Timestamp(spec.end) + pd.Timedelta(days=1)]
    if edges[0] > pd.Timestamp(spec.start):
        edges.insert(0, pd.Timestamp(spec.start))
    return np.array(edges, dtype="datetime64[D]")


def make_balances(
    spec: BankSpec, holdings: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Daily-balance segments of asset holdings over the period.

    One row per customer x product x interval ``[valid_from, valid_to)`` on
    which the end-of-day balance was constant; intervals of one holding do not
    overlap.  Average daily assets over any sub-period follow exactly.  About
    4 % of customers get a short spike (property sale, bonus) so that the
    "≥ 50k at a point in time" rule of source 001 has customers to find.
    Sorted by customer, product and ``valid_from`` (``holdings`` is sorted).
    """
    kinds = {p[0]: p[4] for p in CATALOGUE}
    assets = holdings[holdings["product_id"].map(kinds) == "asset"].reset_index(drop=True)
    pos = pd.Index(truth["customer_id"]).get_indexer(assets["customer_id"])
    target = truth["bank_assets"].to_numpy()[pos]
    # split each customer's assets over their asset products (Dirichlet shares)
    is_dd = (assets["product_id"] == "DEMAND_DEPOSIT").to_numpy()
    w = rng.gamma(np.where(is_dd, 1.0, 1.5), size=len(assets))
    share = w / np.bincount(pos, weights=w, minlength=len(truth))[pos]
    level = target * share
    edges = _month_edges(spec)
    k = len(edges) - 1
    h = np.repeat(np.arange(len(assets)), k)
    seg = np.tile(np.arange(k), len(assets))
    # a multiplicative random walk per holding, monthly steps of about 10 %
    # planted (off in the null bank): value potential drifts assets upwards,
    # 2.5 % a month per SD, centred on the middle of the period so the
    # period's average stays at the customer's level.
    z_v = truth["value_potential"].to_numpy()[pos]
    drift = (0.0 if spec.null else VALUE_DRIFT) * z_v
    steps = rng.normal(0, 0.10, size=(len(assets), k)).cumsum(axis=1).ravel()
    bal = np.round(level[h] * np.exp(steps - 0.005 * seg + drift[h] * (seg - (k - 1) / 2)), 2)
    opened = assets["open_date"].to_numpy().astype("datetime64[D]")[h]
    closed = assets["close_date"].to_numpy().astype("datetime64[D]")[h]
    frm = np.maximum(edges[seg], opened)
    to = np.where(np.isnat(closed), edges[seg + 1], np.minimum(edges[seg + 1], closed))
    keep = to > frm
    h, frm, to, bal = h[keep], frm[keep], to[keep], bal[keep]
    frm, to, bal, h = _spikes(frm, to, bal, h, pos, is_dd, rng)
    return pd.DataFrame(
        {
            "customer_id": labels(truth["customer_id"].to_numpy(), pos[h]),
            "product_id": labels(assets["product_id"].to_numpy(), h),
            "valid_from": frm.astype("datetime64[ms]"),
            "valid_to": to.astype("datetime64[ms]"),
            "balance": bal,
        }
    )


def _spikes(frm, to, bal, h, pos, is_dd, rng):
    """Split the first demand-deposit segment of about 4 % of customers into before / spike / after.

    The spike lasts 5-7 days and adds 40,000-150,000 CNY; segments shorter than
    10 days are left alone.  Rows stay in order: a split row becomes three
    consecutive rows.
    """
    dd = np.flatnonzero(is_dd[h])
    cust = pos[h[dd]]
    first = dd[np.r_[True, cust[1:] != cust[:-1]]] if len(dd) else dd
    chosen = first[rng.random(len(first)) < 0.04]
    length = (to[chosen] - frm[chosen]).astype(int)
    a = rng.integers(1, np.maximum(length - 8, 2))
    b = a + rng.integers(5, 8, size=len(chosen))
    spike = rng.uniform(40_000, 150_000, size=len(chosen))
    ok = length >= 10
    chosen, a, b, spike = chosen[ok], a[ok], b[ok], spike[ok]
    reps = np.ones(len(frm), dtype=np.int64)
    reps[chosen] = 3
    row = np.repeat(np.arange(len(frm)), reps)
    frm, to, bal, h = frm[row], to[row], bal[row], h[row]
    p = (np.cumsum(reps) - reps)[chosen]  # new position of each split row's first piece
    cut1 = frm[p] + a.astype("timedelta64[D]")
    cut2 = frm[p] + b.astype("timedelta64[D]")
    to[p], frm[p + 1], to[p + 1], frm[p + 2] = cut1, cut1, cut2, cut2
    bal[p + 1] = np.round(bal[p + 1] + spike, 2)
    return frm, to, bal, h
