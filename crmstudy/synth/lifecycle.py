"""The customer lifecycle of the synthetic bank: churn precursors, timely contact, dormancy, maturities.

Everything here draws from its own stream, ``SeedSequence(seed, spawn_key=(4, block))``,
so it adds to the other blocks' draws without moving them.  Two steps:

- :func:`plan` runs right after churn is drawn: it gives every planned churner a
  *precursor episode* (a surge of third-party outflows that starts 28-70 days
  before the churn day), gives some customers who stay a *scare* (the same surge,
  which passes), assigns each episode a contact arm (a random comparison group is
  never contacted) and lets a timely contact avert a churn.  Customers who slide
  into dormancy are drawn here too.  Averted churners stay, so every table drawn
  after (holdings, balances, transactions, visits) sees them as staying customers.
- :func:`apply` runs after every table is drawn: it drains the balances of
  churners, adds the surge transactions, stops some salaries, fades the sliders
  out, wakes some dormant customers (more after a contact), adds the episode
  contacts to the visit log and gives time deposits and wealth products a
  maturity date.

docs/generative_model.md ("The customer lifecycle") documents each number.  In the
null bank the processes keep their marginal rates but lose every link: episodes
strike customers independently of churn, no contact averts anything, no balance
drains before a churn, no salary stops and a contact wakes nobody.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import labels
from .presets import BankSpec

#: Precursor episode of a planted churner: starts this many days before the churn day.
PRECURSOR_DAYS = (28, 70)
#: Yearly share of staying, active customers with a scare (a surge that passes).
SCARE_RATE = 0.06
#: Yearly share of active customers with an episode in the null bank (about the demo's rate).
NULL_EPISODE_RATE = 0.10
#: Share of episodes never contacted: the comparison group.
COMPARISON_SHARE = 0.30
#: Of the other episodes, the share contacted within the deadline (days 0-1); the rest are late (4-20 days).
IN_TIME_SHARE = 0.60
#: A contact within the deadline multiplies the churn probability of an episode by this (relative risk).
CONTACT_RR = 0.60
#: Share of churners with a payroll account whose salary stops at the episode's start.
SALARY_STOP_SHARE = 0.50
#: Balances of a churner: × 0.55 in the episode's first 30 days, × 0.25 after; a scare: × 0.55 for 30 days.
#: The same first step for both, so that the day an episode starts shows as one drop of 45 % whatever follows.
DRAIN = (0.55, 0.25, 0.55)
#: Extra third-party outflows per week of an episode (besides the first, large one).
SURGE_PER_WEEK = 1.5
#: Yearly share of active staying customers who slide into dormancy.
SLIDE_RATE = 0.05
#: After the onset a slider's transactions fade with this time constant (days); balances × e^(-0.20/month).
SLIDE_FADE_DAYS, SLIDE_DECAY = 21.0, 0.20
#: Monthly wake-up hazard of a dormant customer, and the chance that a contact wakes one (within 14 days).
WAKE_HAZARD, WAKE_BY_CONTACT, NULL_WAKE_HAZARD = 0.01, 0.30, 0.02
#: Terms in months (and their weights) of time deposits and wealth products.
TERMS = {
    "TIME_DEPOSIT": ((3, 6, 12, 24, 36, 60), (0.15, 0.15, 0.30, 0.15, 0.20, 0.05)),  # the price list's weights
    "WEALTH_MGMT": ((3, 6, 12), (0.3, 0.4, 0.3)),
}

NAT = np.datetime64("NaT", "D")
ARMS = ("none", "comparison", "in_time", "late")
KINDS = ("none", "churn", "averted", "scare")


def stream(spec: BankSpec, block: int) -> np.random.Generator:
    """The lifecycle's own random stream for ``block`` (independent of every other stream)."""
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(4, block)))


def plan(spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Episodes, contact arms, averted churn and dormancy onsets, as new ``truth`` columns.

    Adds ``episode_date``, ``episode_kind`` (none / churn / averted / scare), ``contact_arm``
    (none / comparison / in_time / late), ``contact_date``, ``salary_stop``,
    ``churn_averted``, ``slide_date``; planted churners contacted in time stay with
    probability 1 - :data:`CONTACT_RR` (``churned`` and ``churn_date`` change for them).
    """
    n = len(customers)
    start = np.datetime64(spec.start, "D")
    days = spec.days
    opened = np.maximum((customers["open_date"].to_numpy().astype("datetime64[D]") - start).astype(int), 0)
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    churned = truth["churned"].to_numpy().copy()
    dormant = truth["dormant"].to_numpy()
    active = ~dormant
    year = days / 365
    u = rng.random((6, n))
    lag = rng.integers(*PRECURSOR_DAYS, size=n, endpoint=True)
    any_day = rng.integers(0, max(days - 30, 1), size=n)
    kind = np.zeros(n, dtype=np.int8)
    ep_day = np.full(n, -1)
    if spec.null:
        hit = active & (u[0] < NULL_EPISODE_RATE * year)
        kind[hit] = 3
        ep_day[hit] = np.maximum(any_day[hit], opened[hit])
    else:
        churn_day = (churn - start).astype("timedelta64[D]").astype(np.int64)
        kind[churned] = 1
        ep_day[churned] = np.maximum(churn_day[churned] - lag[churned], opened[churned])
        scare = active & ~churned & (u[0] < SCARE_RATE * year)
        kind[scare] = 3
        ep_day[scare] = np.maximum(any_day[scare], opened[scare])
    has = kind > 0
    arm = np.where(~has, 0, np.where(u[1] < COMPARISON_SHARE, 1, np.where(u[2] < IN_TIME_SHARE, 2, 3)))
    delay = np.where(arm == 2, rng.integers(0, 2, size=n), rng.integers(4, 21, size=n))
    contact_day = np.where(arm >= 2, ep_day + delay, -1)
    if not spec.null:
        # planted: a contact within the deadline averts the churn with probability 1 - CONTACT_RR
        averted = (kind == 1) & (arm == 2) & (u[3] >= CONTACT_RR)
        kind[averted] = 2
        churned = churned & ~averted
    averted = kind == 2
    pay_stop = (kind == 1) & (u[4] < SALARY_STOP_SHARE)
    slide = active & ~churned & ~has & (u[5] < SLIDE_RATE * year)
    slide_day = np.maximum(rng.integers(30, max(days - 60, 31), size=n), opened + 30)
    slide &= slide_day < days - 30

    def dates(day, mask):
        return np.where(mask, start + np.maximum(day, 0).astype("timedelta64[D]"), NAT).astype("datetime64[ms]")

    truth = truth.copy()
    truth["churned"] = churned
    truth["churn_date"] = np.where(churned, churn, NAT).astype("datetime64[ms]")
    truth["churn_averted"] = averted
    truth["episode_date"] = dates(ep_day, has)
    truth["episode_kind"] = np.array(KINDS)[kind]
    truth["contact_arm"] = np.array(ARMS)[arm]
    truth["contact_date"] = dates(contact_day, (arm >= 2) & (contact_day < days))
    truth["salary_stop"] = pay_stop
    truth["slide_date"] = dates(slide_day, slide)
    return truth


def _split(frm, to, row, cut):
    """Split every segment that straddles its customer's ``cut`` day in two; ``row`` follows the pieces."""
    straddle = ~np.isnat(cut) & (frm < cut) & (to > cut)
    reps = 1 + straddle
    idx = np.repeat(np.arange(len(frm)), reps)
    frm, to, row = frm[idx].copy(), to[idx].copy(), row[idx]
    first = (np.cumsum(reps) - reps)[straddle]
    to[first] = cut[straddle]
    frm[first + 1] = cut[straddle]
    return frm, to, row


def apply_balances(truth: pd.DataFrame, balances: pd.DataFrame) -> pd.DataFrame:
    """The balances with churners' drains, scares' dips, sliders' fades and the woken's return.

    Segments are split at each customer's episode start, 30 days after it, slide onset
    and wake-up, so that the factors start on the day; rows stay in order.
    """
    pos0 = pd.Index(truth["customer_id"]).get_indexer(balances["customer_id"])
    frm = balances["valid_from"].to_numpy().astype("datetime64[D]")
    to = balances["valid_to"].to_numpy().astype("datetime64[D]")
    row = np.arange(len(frm))
    ep, slide, wake = (truth[c].to_numpy().astype("datetime64[D]") for c in ("episode_date", "slide_date", "wake_date"))
    cuts = (ep, ep + np.timedelta64(30, "D"), slide, wake)
    for cut in cuts:
        frm, to, row = _split(frm, to, row, cut[pos0[row]])
    pos = pos0[row]
    kind = truth["episode_kind"].to_numpy()[pos]

    def since(cut):
        return (frm - cut[pos]).astype("timedelta64[D]").astype("float64")  # NaN where no cut

    t_ep = since(ep)
    first = (t_ep >= 0) & (t_ep < 30)
    f = np.ones(len(frm))
    f = np.where((kind == "churn") & first, DRAIN[0], f)
    f = np.where((kind == "churn") & (t_ep >= 30), DRAIN[1], f)
    f = np.where(((kind == "scare") | (kind == "averted")) & first, DRAIN[2], f)
    t_sl = since(slide)
    f = np.where(t_sl >= 0, f * np.maximum(np.exp(-SLIDE_DECAY * np.clip(t_sl, 0, None) / 30.4), 0.15), f)
    f = np.where(since(wake) >= 0, f / 0.15, f)
    return pd.DataFrame(
        {
            "customer_id": labels(balances["customer_id"].to_numpy(), row),
            "product_id": labels(balances["product_id"].to_numpy(), row),
            "valid_from": frm.astype("datetime64[ms]"),
            "valid_to": to.astype("datetime64[ms]"),
            "balance": np.round(balances["balance"].to_numpy()[row] * f, 2),
        }
    )


def wake(spec: BankSpec, truth: pd.DataFrame, visits: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Add ``wake_date`` and ``woken_by_contact``: dormant customers who come back.

    A dormant customer wakes at a monthly hazard of :data:`WAKE_HAZARD`; planted (off in
    the null bank, where the hazard is :data:`NULL_WAKE_HAZARD` and contacts do nothing),
    each contact wakes them with probability :data:`WAKE_BY_CONTACT`, 0-14 days after it.
    Wake-ups in the last 20 days of the period are dropped.
    """
    n = len(truth)
    start = np.datetime64(spec.start, "D")
    dormant = truth["dormant"].to_numpy()
    hazard = NULL_WAKE_HAZARD if spec.null else WAKE_HAZARD
    base = rng.exponential(30.4 / hazard, size=n)
    by_contact = np.full(n, np.inf)
    if not spec.null and len(visits):
        c = pd.Index(truth["customer_id"]).get_indexer(visits["customer_id"])
        day = (visits["visit_date"].to_numpy().astype("datetime64[D]") - start).astype(np.int64)
        hit = dormant[c] & (rng.random(len(c)) < WAKE_BY_CONTACT)
        when = day[hit] + rng.integers(0, 15, size=int(hit.sum()))
        np.minimum.at(by_contact, c[hit], when)
    day = np.minimum(base, by_contact)
    woken = dormant & (day < spec.days - 20)
    truth = truth.copy()
    truth["wake_date"] = np.where(
        woken, start + np.where(woken, day, 0).astype(np.int64).astype("timedelta64[D]"), NAT
    ).astype("datetime64[ms]")
    truth["woken_by_contact"] = woken & (by_contact <= base)
    return truth


def episode_visits(
    spec: BankSpec,
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    visits: pd.DataFrame,
    owner_leave: np.ndarray,
    rng: np.random.Generator,
    *,
    first_id: int = 1,
) -> pd.DataFrame:
    """The visit log plus one contact per contacted episode, in date order, ``visit_id`` renumbered.

    The contact is by the owner (the branch's lobby manager once the owner has left); what
    the customer says does not depend on the episode's kind, so the log does not give it away.
    """
    from .rm_log import CONTACT_TYPES

    cd = truth["contact_date"].to_numpy().astype("datetime64[D]")
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    idx = np.flatnonzero(~np.isnat(cd) & (np.isnat(churn) | (cd < churn)))
    m = len(idx)
    leave = np.asarray(owner_leave).astype("datetime64[D]")[idx]
    gone = ~np.isnat(leave) & (cd[idx] >= leave)
    lobby = customers["branch_id"].to_numpy()[idx] + "-LO01"
    staff = np.where(gone, lobby, customers["owner_staff_id"].to_numpy()[idx])
    contact = np.array(CONTACT_TYPES)[rng.choice(3, size=m, p=[0.25, 0.6, 0.15])]
    attitude = np.array(["positive", "neutral", "negative"])[rng.choice(3, size=m, p=[0.3, 0.5, 0.2])]
    codes = np.array(["interested_wealth", "rate_sensitive", "no_need", "moved_funds_elsewhere"])
    feedback = codes[rng.choice(4, size=m, p=[0.2, 0.3, 0.3, 0.2])]
    new = pd.DataFrame(
        {
            "visit_id": np.zeros(m, dtype=np.int64),
            "visit_date": cd[idx].astype("datetime64[ms]"),
            "staff_id": staff,
            "customer_id": customers["customer_id"].to_numpy()[idx],
            "contact_type": contact,
            "attitude": attitude,
            "feedback_code": feedback,
            "outcome": np.full(m, "follow_up", dtype=object),
        }
    )
    both = pd.concat([visits, new], ignore_index=True)
    pos = pd.Index(customers["customer_id"]).get_indexer(both["customer_id"])
    order = np.lexsort((np.r_[np.zeros(len(visits)), np.ones(m)], pos, both["visit_date"].to_numpy()))
    both = both.iloc[order].reset_index(drop=True)
    both["visit_id"] = np.arange(first_id, first_id + len(both), dtype=np.int64)
    return both


_DAY = np.timedelta64(1, "D")


def _surge(spec: BankSpec, customers: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Third-party outflows of each episode: one large transfer on its first day, then more each week."""
    from .ledger import CATEGORY_NAMES, CHANNELS

    start = np.datetime64(spec.start, "D")
    end = start + spec.days * _DAY
    ep = truth["episode_date"].to_numpy().astype("datetime64[D]")
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")
    idx = np.flatnonzero(~np.isnat(ep))
    kind = truth["episode_kind"].to_numpy()[idx]
    stop = np.where(kind == "churn", churn[idx], ep[idx] + 30 * _DAY)
    stop = np.minimum(np.where(np.isnat(churn[idx]), stop, np.minimum(stop, churn[idx])), end)
    span = np.maximum((stop - ep[idx]).astype(np.int64), 1)
    extra = rng.poisson(SURGE_PER_WEEK * span / 7)
    c = np.r_[idx, np.repeat(idx, extra)]
    k = np.r_[np.zeros(len(idx), dtype=np.int64), np.ones(int(extra.sum()), dtype=np.int64)]
    offset = np.r_[np.zeros(len(idx)), (rng.random(int(extra.sum())) * np.repeat(span, extra))].astype(np.int64)
    day = ep[c] + offset * _DAY
    hour = rng.normal(14, 3.5, size=len(c)).clip(6, 23.9)
    ts = day.astype("datetime64[ms]") + (hour * 3_600_000).astype(np.int64).astype("timedelta64[ms]")
    wealth = 1.0 if spec.null else (truth["true_wealth"].to_numpy()[c] / 30_000) ** 0.25
    big = np.maximum(0.3 * truth["bank_assets"].to_numpy()[c], 3_000) * np.exp(0.2 * rng.standard_normal(len(c)))
    usual = 900 * wealth * np.exp(0.7 * rng.standard_normal(len(c)))
    amount = np.round(np.where(k == 0, big, usual), 2)
    channel = np.where(rng.random(len(c)) < 0.5, CHANNELS.index("third_party"), CHANNELS.index("mobile_app"))
    m = len(c)
    return pd.DataFrame(
        {
            "txn_id": np.zeros(m, dtype=np.int64),
            "customer_id": labels(customers["customer_id"].to_numpy(), c),
            "ts": ts,
            "amount": amount,
            "direction": labels(("in", "out"), np.ones(m, dtype=np.int8)),
            "channel": labels(CHANNELS, channel),
            "merchant_category": labels(CATEGORY_NAMES, np.full(m, CATEGORY_NAMES.index("third_party_transfer"))),
            "fuel_grade": pd.arrays.IntegerArray(np.zeros(m, dtype=np.int16), np.ones(m, dtype=bool)),
            "fuel_litres": np.full(m, np.nan),
        }
    )


def apply_transactions(
    spec: BankSpec,
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    holdings: pd.DataFrame,
    transactions: pd.DataFrame,
    rng: np.random.Generator,
    *,
    first_id: int = 1,
) -> pd.DataFrame:
    """Transactions with salaries stopped, sliders faded, surges added and the woken active again.

    Sorted by customer, then time (existing rows keep their order); ``txn_id`` renumbered
    from ``first_id``.
    """
    from .ledger import make_transactions

    pos = pd.Index(customers["customer_id"]).get_indexer(transactions["customer_id"])
    ts = transactions["ts"].to_numpy().astype("datetime64[ms]")
    payroll = (transactions["merchant_category"] == "payroll_in").to_numpy()
    ep = truth["episode_date"].to_numpy().astype("datetime64[ms]")[pos]
    keep = ~(truth["salary_stop"].to_numpy()[pos] & payroll & (ts >= ep))
    slide = truth["slide_date"].to_numpy().astype("datetime64[ms]")[pos]
    t = (ts - slide).astype("timedelta64[s]").astype("float64") / 86_400
    fade = np.flatnonzero(t >= 0)
    gone = payroll[fade] | (rng.random(len(fade)) >= np.exp(-t[fade] / SLIDE_FADE_DAYS))
    keep[fade[gone]] = False
    parts = [transactions[keep], _surge(spec, customers, truth, rng)]
    wake = truth["wake_date"].to_numpy()
    woken = np.flatnonzero(~np.isnat(wake))
    if len(woken):
        cust = customers.iloc[woken].reset_index(drop=True).assign(open_date=wake[woken])
        tr = truth.iloc[woken].reset_index(drop=True).assign(dormant=False)
        hold = holdings[holdings["customer_id"].isin(cust["customer_id"])].copy()
        w = pd.Series(wake[woken], index=cust["customer_id"])
        hold["open_date"] = np.maximum(hold["open_date"].to_numpy(), w.reindex(hold["customer_id"]).to_numpy())
        parts.append(make_transactions(spec, cust, tr, hold, rng))
    both = pd.concat(parts, ignore_index=True)
    p = pd.Index(customers["customer_id"]).get_indexer(both["customer_id"])
    order = np.lexsort((both["ts"].to_numpy(), p))
    both = both.iloc[order].reset_index(drop=True)
    both["txn_id"] = np.arange(first_id, first_id + len(both), dtype=np.int64)
    return both


def maturities(
    spec: BankSpec, holdings: pd.DataFrame, rng: np.random.Generator, *, term_months: np.ndarray | None = None
) -> pd.DataFrame:
    """Holdings with ``maturity_date``: the end of the current term of time deposits and wealth products.

    ``term_months`` (one per holding, e.g. the ``accounts`` table's contract terms) gives the
    term where it is above 0; otherwise a term is drawn from :data:`TERMS`.  A term rolls over
    from the opening date; the date is the first term end on or after the period's start (or
    after opening), left empty once the holding has closed before it and for every other product.
    """
    start = np.datetime64(spec.start, "D")
    opened = holdings["open_date"].to_numpy().astype("datetime64[D]")
    closed = holdings["close_date"].to_numpy().astype("datetime64[D]")
    prod = holdings["product_id"].to_numpy()
    out = np.full(len(holdings), NAT)
    for pid, (terms, weights) in TERMS.items():
        idx = np.flatnonzero(prod == pid)
        months = np.array(terms)[rng.choice(len(terms), size=len(idx), p=weights)]
        if term_months is not None:
            given = np.asarray(term_months)[idx]
            months = np.where(given > 0, given, months)
        term = np.round(months * 30.4375).astype(np.int64)
        age = (start - opened[idx]).astype(np.int64)
        rolls = np.maximum(-(-age // term), 1)
        due = opened[idx] + (rolls * term) * _DAY
        out[idx] = np.where(np.isnat(closed[idx]) | (due < closed[idx]), due, NAT)
    return holdings.assign(maturity_date=out.astype("datetime64[ms]"))
