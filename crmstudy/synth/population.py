"""Branches, staff, customers and their latent truth.

The latent quantities (true wealth, value potential, risk propensity, churn
hazard) are drawn first; everything observable is drawn from them, so tests
can check that analyses recover what was planted.  See
docs/generative_model.md for every coefficient and its source.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .presets import BankSpec

AREA_TYPES = ("urban", "county", "rural")
REGIONS = ("North", "South", "East", "West")
BRANCH_NAMES = (
    "Renmin Road",
    "Xinhua Street",
    "Riverside",
    "Eastgate",
    "Jinqiao",
    "Hexi",
    "Guanghua",
    "Wenhua Road",
    "Zhongshan",
    "Lakeview",
    "Station Square",
    "Nanhu",
)
# the same names as branch staff write them (names of the zh reports)
BRANCH_NAMES_ZH = ("人民路", "新华街", "滨江", "东门", "金桥", "河西", "光华", "文化路", "中山", "湖景", "站前", "南湖")
# source 001: five life-situation groups; "general" holds everyone else.
LIFE_GROUPS = ("affluent_retiree", "salaried", "affluent_homemaker", "business_owner", "executive", "general")
LIFE_GROUP_SHARES = (0.08, 0.42, 0.05, 0.08, 0.05, 0.32)
# planted: log-wealth shift by life group (off in the null bank)
LIFE_GROUP_WEALTH = (0.7, 0.0, 1.0, 1.4, 1.3, -0.5)
AGE_RANGES = ((60, 85), (22, 60), (30, 60), (28, 65), (32, 60), (18, 80))
OCCUPATIONS = {
    "affluent_retiree": ("retired",),
    "salaried": ("employee", "civil_servant", "teacher", "worker"),
    "affluent_homemaker": ("homemaker",),
    "business_owner": ("business_owner", "self_employed"),
    "executive": ("executive",),
    "general": ("student", "farmer", "self_employed", "worker", "freelancer"),
}
# source 001: three large groups by how the bank met the customer.
ACQUISITION_GROUPS = ("lobby", "stock", "outreach")
ACQUISITION_SHARES = (0.40, 0.45, 0.15)
INCOME_BANDS = ("<50k", "50k-100k", "100k-300k", "300k-1M", ">=1M")
INCOME_EDGES = (50e3, 100e3, 300e3, 1e6)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
# source 000: a personal RM holds 250-400 customers; we aim at the middle.
CUSTOMERS_PER_CM = 320
# log-SD of true wealth: calibrated so the top 20 % hold about 80 % of assets (source 001)
WEALTH_SIGMA = 1.38
STAFF_ROLES = ("president", "vice_president", "wealth_manager", "customer_manager", "lobby_manager", "other")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def make_branches(spec: BankSpec, rng: np.random.Generator) -> pd.DataFrame:
    """One row per branch: id, name, region and area type."""
    n = spec.n_branches
    ids = [f"B{i + 1:03d}" for i in range(n)]
    names = [
        f"{BRANCH_NAMES[i % len(BRANCH_NAMES)]} Sub-branch"
        + ("" if i < len(BRANCH_NAMES) else f" {i // len(BRANCH_NAMES) + 1}")
        for i in range(n)
    ]
    area = np.array(AREA_TYPES)[rng.choice(3, size=n, p=[0.5, 0.3, 0.2])]
    area[0] = "urban"
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), size=n)]
    names_zh = [
        f"{BRANCH_NAMES_ZH[i % len(BRANCH_NAMES_ZH)]}"
        + ("" if i < len(BRANCH_NAMES_ZH) else f"{i // len(BRANCH_NAMES_ZH) + 1}")
        + "支行"
        for i in range(n)
    ]
    return pd.DataFrame(
        {"branch_id": ids, "branch_name": names, "branch_name_zh": names_zh, "region": region, "area_type": area}
    )


AREA_WEIGHT = {"urban": 1.6, "county": 1.0, "rural": 0.6}
# planted: log-wealth shift by area type (off in the null bank)
AREA_WEALTH = {"urban": 0.3, "county": 0.0, "rural": -0.4}


def branch_weights(branches: pd.DataFrame) -> np.ndarray:
    """Probability that a customer belongs to each branch (urban 1.6, county 1.0, rural 0.6)."""
    w = branches["area_type"].map(AREA_WEIGHT).to_numpy(dtype=float)
    return w / w.sum()


def pareto_top(raw_t: np.ndarray, spec: BankSpec) -> np.ndarray:
    """What the Pareto top of the wealth law adds to log wealth (0 in the body).

    The customers whose t draw is in the top ``wealth_top_share`` of its law get true wealth
    ``floor * u ** (-1 / alpha)`` before the planted shifts, where ``u`` in (0, 1] is their
    rank within the top (the t's survival function over the share) and ``floor`` is
    ``wealth_top_floor`` (raised to the body's quantile at the splice if that is higher, so
    the law stays increasing in the draw).  Ranks are those of the t draw, so the latent score
    ``z_w`` behind every planted effect keeps its order; the rank comes from the unclipped
    draw, so the top is not capped at 5 SD.  A closed form, no random draw: at a top share of 0
    the law is the body alone.  scipy's t survival function stays accurate far in the tail,
    where ``1 - cdf`` would round to 0.
    """
    top = spec.wealth_top_share
    if top <= 0:
        return np.zeros(len(raw_t))
    from scipy import stats

    df_t = spec.wealth_tail_df
    scale = np.sqrt((df_t - 2) / df_t)
    t_c = stats.t.isf(top, df_t)
    above = raw_t > t_c
    z = np.clip(raw_t[above] * scale, -5, 5)
    body = np.log(spec.wealth_median) + WEALTH_SIGMA * z
    floor = max(np.log(spec.wealth_top_floor), np.log(spec.wealth_median) + WEALTH_SIGMA * min(t_c * scale, 5.0))
    u = stats.t.sf(raw_t[above], df_t) / top
    out = np.zeros(len(raw_t))
    out[above] = floor - np.log(u) / spec.wealth_pareto_alpha - body
    return out


def make_customers(
    spec: BankSpec, branches: pd.DataFrame, rng: np.random.Generator, *, first: int = 0, n: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers ``first + 1 … first + n`` (observable) and their latent truth (not observable).

    Parameters
    ----------
    first, n : int
        Position of the first customer in the bank and how many to draw (a
        block of the bank); by default the whole bank.

    Returns
    -------
    customers, truth : pd.DataFrame
        ``truth`` holds ``true_wealth`` (CNY, all banks), ``wallet_share``
        (share held with us), ``bank_assets`` (target average daily assets),
        ``value_potential`` and ``risk_propensity`` (standard normal scores),
        ``dormant`` flag.  Churn is added later by the ledger.
    """
    n = spec.n_customers if n is None else n
    null = spec.null
    branch_idx = rng.choice(len(branches), size=n, p=branch_weights(branches))
    group_idx = rng.choice(len(LIFE_GROUPS), size=n, p=LIFE_GROUP_SHARES)
    lo = np.array([r[0] for r in AGE_RANGES])[group_idx]
    hi = np.array([r[1] for r in AGE_RANGES])[group_idx]
    age = (lo + rng.random(n) * (hi - lo + 1)).astype(np.int16)
    female_p = np.where(group_idx == LIFE_GROUPS.index("affluent_homemaker"), 0.9, 0.5)
    gender = np.where(rng.random(n) < female_p, "F", "M")
    occ = np.empty(n, dtype=object)
    for g, name in enumerate(LIFE_GROUPS):
        mask = group_idx == g
        options = OCCUPATIONS[name]
        occ[mask] = np.array(options)[rng.integers(0, len(options), size=mask.sum())]
    acq_idx = rng.choice(3, size=n, p=ACQUISITION_SHARES)

    # Latent wealth: log-normal body; planted shifts by life group and area.
    area_shift = branches["area_type"].map(AREA_WEALTH).to_numpy()[branch_idx]
    group_shift = np.array(LIFE_GROUP_WEALTH)[group_idx]
    eff = 0.0 if null else 1.0
    # Student-t (12 df, unit variance, clipped at 5 SD): a heavier upper tail than the normal,
    # so a demo bank has a few customers over 10M CNY (president's tier).
    df_t = spec.wealth_tail_df
    raw_t = rng.standard_t(df_t, size=n)
    z_w = np.clip(raw_t * np.sqrt((df_t - 2) / df_t), -5, 5)
    log_wealth = np.log(spec.wealth_median) + WEALTH_SIGMA * z_w + pareto_top(raw_t, spec)
    log_wealth = log_wealth + eff * (group_shift + area_shift)
    true_wealth = np.exp(log_wealth)
    wallet_share = rng.beta(2.0, 2.5, size=n)
    # Dormant customers (source 001/003: opened, then no business): about 18 %.
    dormant = rng.random(n) < (0.18 if null else _sigmoid(-1.6 - 0.35 * z_w))
    bank_assets = true_wealth * wallet_share * np.where(dormant, 0.15, 1.0)
    if spec.near_empty_share > 0:  # its own stream: at 0 nothing is drawn and every table is unchanged
        empty_rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(4, first)))
        bank_assets = np.where(empty_rng.random(n) < spec.near_empty_share, bank_assets * 0.001, bank_assets)
    # Value potential and risk: standard-normal latent scores.
    value_potential = (0.0 if null else 0.45) * z_w + np.sqrt(1 - (0.0 if null else 0.45) ** 2) * rng.standard_normal(n)
    value_potential = value_potential + (0.0 if null else -0.01 * (age - 45))
    risk_propensity = rng.standard_normal(n)
    # source 002: credit lines granted by internet lenders (from the credit
    # bureau); planted: more lines for risky customers
    ext_lines = rng.poisson(np.exp(-0.7 + (0.0 if null else 0.6) * risk_propensity)).astype(np.int16)
    # Declared income: noisy, only loosely tied to wealth (the articles' point:
    # declarations understate what footprints show).
    log_income = np.log(80_000) + (0.0 if null else 0.35) * z_w + 0.8 * rng.standard_normal(n)
    income_band = np.array(INCOME_BANDS)[np.searchsorted(INCOME_EDGES, np.exp(log_income))]

    open_offset = rng.exponential(6 * 365, size=n).astype(int)
    # about 8 % of customers open during the period
    new = rng.random(n) < 0.08
    open_date = np.where(new, -rng.integers(-spec.days + 30, 0, size=n), -open_offset - 1)
    start = np.datetime64(spec.start, "D")
    open_dates = (start + open_date.astype("timedelta64[D]")).astype("datetime64[ms]")

    ids = customer_ids(first, n)
    names = (
        np.array(list(SURNAMES), dtype=object)[rng.integers(0, len(SURNAMES), n)]
        + "*"
        + np.array(list(GIVEN), dtype=object)[rng.integers(0, len(GIVEN), n)]
    )
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "masked_name": names,
            "branch_id": branches["branch_id"].to_numpy()[branch_idx],
            "age": age,
            "gender": gender,
            "occupation": occ,
            "income_band": income_band,
            "acquisition_group": np.array(ACQUISITION_GROUPS)[acq_idx],
            "life_group": np.array(LIFE_GROUPS)[group_idx],
            "open_date": open_dates,
            "external_credit_lines": ext_lines,
        }
    )
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "true_wealth": true_wealth.round(2),
            "wallet_share": wallet_share.round(4),
            "bank_assets": bank_assets.round(2),
            "value_potential": value_potential.round(4),
            "risk_propensity": risk_propensity.round(4),
            "dormant": dormant,
        }
    )
    return customers, truth


def customer_ids(first: int, n: int) -> np.ndarray:
    """``C0000001``-style ids of customers ``first + 1 … first + n``."""
    return np.array([f"C{i:07d}" for i in range(first + 1, first + n + 1)], dtype=object)


# --- staff and ownership ---------------------------------------------------------------------

_ROLE = {r: k for k, r in enumerate(STAFF_ROLES)}
# Monte Carlo sample behind the expected share of customers owned by customer managers;
# a fixed seed, so the staff of a bank depends on its spec and never on its blocks.
CALIBRATION_N = 100_000
CALIBRATION_SEED = 20_250_101


def owner_roles(bank_assets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The role (index into ``STAFF_ROLES``) that owns each customer, from their target assets.

    The branch's practice only partly follows the tier rule (source 001: >= 10M ->
    president, >= 1M -> vice-president): that gap is what the ownership table of
    a report shows.
    """
    a = np.asarray(bank_assets)
    u = rng.random(len(a))
    v = rng.random(len(a))
    role = np.full(len(a), _ROLE["customer_manager"], dtype=np.int8)
    role[(a >= 200_000) & (u < 0.6)] = _ROLE["wealth_manager"]
    role[(a >= 1_000_000) & (u < 0.6)] = _ROLE["vice_president"]
    role[(a >= 1_000_000) & (u >= 0.6)] = _ROLE["wealth_manager"]
    role[(a >= 10_000_000) & (u < 0.7)] = _ROLE["president"]
    small = a < 200_000
    role[small & (v < 0.08)] = _ROLE["lobby_manager"]
    role[small & (v >= 0.08) & (v < 0.11)] = _ROLE["other"]
    return role


WEALTH_LAW = (
    "wealth_median",
    "wealth_tail_df",
    "wealth_top_share",
    "wealth_top_floor",
    "wealth_pareto_alpha",
    "near_empty_share",
)


def expected_cm_share(area_type: str, spec: BankSpec) -> float:
    """:func:`_expected_cm_share` for the wealth law of ``spec``."""
    law = tuple((k, getattr(spec, k)) for k in WEALTH_LAW)
    return _expected_cm_share(area_type, spec.null, law)


@functools.cache
def _expected_cm_share(area_type: str, null: bool, law: tuple) -> float:
    """Expected share of a branch's customers owned by customer managers.

    Staff are hired for the customers a branch *expects* (its weight × the bank's
    size), not for those a run happens to draw, so that blocks of customers can
    be generated independently.  The share depends on the area type through the
    planted wealth shift, hence one Monte Carlo estimate per area type.
    """
    spec = BankSpec(n_branches=1, n_customers=CALIBRATION_N, null=null, **dict(law))
    branch = pd.DataFrame({"branch_id": ["B001"], "branch_name": ["-"], "region": ["North"], "area_type": [area_type]})
    rng = np.random.default_rng(CALIBRATION_SEED)
    _, truth = make_customers(spec, branch, rng)
    role = owner_roles(truth["bank_assets"].to_numpy(), rng)
    return float(np.mean(role == _ROLE["customer_manager"]))


@dataclass(frozen=True)
class StaffPools:
    """The staff who can own customers, grouped in one pool per branch × role.

    Staff are in the order of the ``staff`` table; pool ``b * len(STAFF_ROLES) + r``
    holds the members of role ``r`` in branch ``b``.  ``cum`` is the pool index
    plus the cumulative share of the pool's weight up to and including each
    member, so one ``searchsorted`` picks an owner for every customer at once.
    """

    staff_id: np.ndarray
    leave_date: np.ndarray
    cum: np.ndarray
    pool_end: np.ndarray

    def owner_leave(self, owner: np.ndarray) -> np.ndarray:
        """The leave date (``NaT`` if none) of each customer's owner."""
        return self.leave_date[owner]

    @classmethod
    def of(cls, staff: pd.DataFrame, pool: np.ndarray, weight: np.ndarray, n_pools: int) -> StaffPools:
        """Pools from the staff table, each member's pool (non-decreasing) and weight."""
        total = np.bincount(pool, weights=weight, minlength=n_pools)
        before = np.repeat(np.cumsum(total) - total, np.bincount(pool, minlength=n_pools))
        share = (np.cumsum(weight) - before) / total[pool]
        share[np.r_[pool[1:] != pool[:-1], True]] = 1.0  # exactly 1 at each pool's last member
        return cls(
            staff_id=staff["staff_id"].to_numpy(dtype=object),
            leave_date=staff["leave_date"].to_numpy().astype("datetime64[D]"),
            cum=pool + share,
            pool_end=np.searchsorted(pool, np.arange(n_pools), side="right"),
        )


def make_staff(spec: BankSpec, branches: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, StaffPools]:
    """Staff per branch, sized for the customers the branch is expected to have."""
    start = np.datetime64(spec.start, "D")
    expected = branch_weights(branches) * spec.n_customers
    rows, weights, pools = [], [], []
    for b, (branch_id, area, n_b) in enumerate(zip(branches["branch_id"], branches["area_type"], expected)):
        n_cm = max(1, int(round(n_b * expected_cm_share(area, spec) / CUSTOMERS_PER_CM)))
        counts = {
            "president": 1,
            "vice_president": 2,
            "wealth_manager": max(1, int(n_b // 1500)),
            "customer_manager": n_cm,
            "lobby_manager": 2,
            "other": 2,
        }
        for r in STAFF_ROLES:
            for k in range(counts[r]):
                tenure = int(rng.integers(200, 5000))
                # about one customer manager in ten leaves during the period
                leaves = r == "customer_manager" and rng.random() < 0.10
                leave = (
                    start + np.timedelta64(int(rng.integers(30, spec.days - 30)), "D")
                    if leaves
                    else np.datetime64("NaT")
                )
                rows.append(
                    (
                        f"{branch_id}-{r[:2].upper()}{k + 1:02d}",
                        branch_id,
                        r,
                        start - np.timedelta64(tenure, "D"),
                        leave,
                    )
                )
                pools.append(b * len(STAFF_ROLES) + _ROLE[r])
            # uneven books: some RMs carry more than others (band 250-400)
            weights.append(rng.uniform(0.88, 1.12, size=counts[r]) if r == "customer_manager" else np.ones(counts[r]))
    staff = pd.DataFrame(rows, columns=["staff_id", "branch_id", "role", "start_date", "leave_date"])
    for c in ("start_date", "leave_date"):
        staff[c] = staff[c].to_numpy().astype("datetime64[ms]")
    return staff, StaffPools.of(staff, np.array(pools), np.concatenate(weights), len(branches) * len(STAFF_ROLES))


def assign_owners(
    customers: pd.DataFrame, truth: pd.DataFrame, branches: pd.DataFrame, pools: StaffPools, rng: np.random.Generator
) -> np.ndarray:
    """The owning member of staff of every customer, as a position in the staff table.

    The role follows :func:`owner_roles`; within a role the owner is picked
    uniformly, except customer managers, picked in proportion to their weight.
    """
    branch = pd.Index(branches["branch_id"]).get_indexer(customers["branch_id"])
    role = owner_roles(truth["bank_assets"].to_numpy(), rng)
    pool = branch * len(STAFF_ROLES) + role
    owner = np.searchsorted(pools.cum, pool + rng.random(len(pool)), side="right")
    # k + u can round up to k + 1 for u within 2**-53 of 1: stay inside the pool
    return np.minimum(owner, pools.pool_end[pool] - 1)
