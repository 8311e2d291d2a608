"""Per-product take-up propensity: who opens which product within the next months, judged out of time.

A holding share (what look-alikes hold) is not the chance of opening a product: most holders
opened it years ago.  This module models *take-up within a horizon*: the products a customer
holds at a cut date, and which of the others they open in the ``horizon`` months after it.
One logistic regression per product (scikit-learn, L2 chosen by cross-validation on the
training window, on standardised covariates) on what the bank knows at the cut: log assets, age,
tenure, the customer's groups, what they already hold, and their history over the months up to
the cut (:mod:`~crmstudy.association.history`: footprint signals, balance trend and peak, recent
product openings; nothing after the cut is read).

It is judged on a true time hold-out against the two baselines a banker already has: plain
popularity (the products most often opened last window) and popularity within the customer's
group.  Windows, for a period ending at ``end`` and a horizon ``h``::

    train:  holdings at end - 2h -> openings in (end - 2h, end - h]
    test:   holdings at end - h  -> openings in (end - h, end]       (scored by the train model)
    deploy: refit on the test window, score the holdings at end      (the chance printed)

The deployed model is fitted on the latest complete window, so its probabilities are the
latest window's rates; the hold-out shows how well the previous window's model predicted the
next (calibration in the large and slope are reported).  A list is said to beat the baseline
only when the paired 95% bootstrap interval of the hit-rate gain over popularity within group
lies above 0.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..bank import Bank
from ..errors import DataError
from ..results import Result
from .history import assets_on, history_features
from .holdings import holding_matrix
from .next_best import paired_bootstrap_interval
from .takeup_model import C_GRID, MIN_EVENTS, PRIOR, MedianImputer, PropensityModel  # noqa: F401  (re-exported)

__all__ = [
    "PropensityEvaluation",
    "PropensityModel",
    "bank_judgement",
    "deployed_model",
    "evaluate_propensity",
    "take_up_data",
    "windows",
]

#: Group columns used as covariates (and the baseline's groups) when the bank has them.
GROUP_COLUMNS = ("life_group", "acquisition_group")
#: Tenure bands of the baseline, in days: a banker knows new customers open more (< 6 months, < 1 year, < 3 years).
TENURE_BANDS = (-1, 182, 365, 1_095, np.inf)
#: Months of customer history before a cut that the model reads (footprints, balance trend and peak).
HISTORY_MONTHS = 4
#: Customers drawn (seeded) from a larger bank to fit the models: the cost stays bounded on 1M customers.
MAX_FIT = 60_000


def windows(end, horizon_months: int) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """The cut dates ``(end - 2h, end - h, end)`` of the train and test windows.

    Examples
    --------
    >>> [str(d.date()) for d in windows("2025-12-31", 4)]
    ['2025-04-30', '2025-08-31', '2025-12-31']
    """
    end = pd.Timestamp(end).normalize()
    step = pd.DateOffset(months=horizon_months)
    return (end - 2 * step + pd.offsets.MonthEnd(0), end - step + pd.offsets.MonthEnd(0), end)


@dataclass
class TakeUpData:
    """Customers at a cut: covariates, what they hold, what they opened in the window after it."""

    covariates: pd.DataFrame
    held: pd.DataFrame
    opened: pd.DataFrame | None
    groups: pd.DataFrame
    assets: pd.Series


def take_up_data(
    bank,
    cut,
    window_end=None,
    *,
    customer_ids=None,
    max_fit: int | None = None,
    seed: int = 0,
    history_months: int | None = HISTORY_MONTHS,
    horizon_months: int = 4,
    branch: str | None = None,
):
    """What the bank knew at ``cut`` and, with ``window_end``, what each customer opened up to it.

    Parameters
    ----------
    bank : Bank or path
        The bank (holdings, balances, customers).
    cut, window_end : date-like
        Holdings and assets at the end of ``cut``; openings with ``cut < open_date <= window_end``.
    customer_ids : sequence, optional
        Keep only these customers (a branch), encoded as in the whole bank's data (the same missing-age
        fill and group columns), so that their rows equal the whole bank's rows.
    max_fit : int, optional
        Keep a seeded random sample of at most this many customers.
    history_months : int or None
        Add :func:`~crmstudy.association.history.history_features` over the months up to the cut
        (None: only assets, age, tenure, groups and holdings).
    horizon_months : int
        The take-up horizon, for the tenure term of the history.
    branch : str, optional
        The branch that ``customer_ids`` belong to: its history is then read for it alone.

    Returns
    -------
    TakeUpData
        Rows: customers holding a product at ``cut``; ``opened`` 1 where a product not held at the
        cut was opened in the window (None without ``window_end``).
    """
    b = Bank.of(bank)
    holdings = b.read("holdings", columns=["customer_id", "product_id", "open_date", "close_date"])
    held = holding_matrix(holdings, as_of=cut)
    bank_holders = held.index
    if customer_ids is not None:
        held = held[held.index.isin(set(customer_ids))]
    if max_fit is not None and len(held) > max_fit:
        keep = np.sort(np.random.default_rng(seed).choice(len(held), size=max_fit, replace=False))
        held = held.iloc[keep]
    if held.empty:
        raise DataError(f"take_up_data: no customer holds a product on {pd.Timestamp(cut).date()}")
    everyone = b.read("customers").set_index("customer_id")
    customers = everyone.reindex(held.index)
    # a branch's customers (customer_ids) are encoded as in the whole bank's data: a missing age takes the median
    # of every holder at the cut, and a column is kept when any holder has it, so that a customer's covariates
    # do not depend on which customers are scored with it
    pool = everyone.reindex(bank_holders) if customer_ids is not None else customers
    assets = assets_on(b.con, cut).reindex(held.index).fillna(0.0).clip(lower=0)
    cut_ts = pd.Timestamp(cut)
    x = pd.DataFrame(index=held.index)
    x["log_assets"] = np.log1p(assets.to_numpy())
    pool_age = pd.to_numeric(pool["age"], errors="coerce") if "age" in pool else None
    if pool_age is not None and pool_age.notna().any():
        age = pd.to_numeric(customers["age"], errors="coerce").astype("float64").fillna(float(pool_age.median()))
        x["age"], x["age2"] = age, (age - 45.0) ** 2 / 100.0
    opened_at = pd.to_datetime(customers["open_date"])
    tenure = (cut_ts - opened_at).dt.days.clip(lower=0).fillna(0)
    x["log_tenure"] = np.log1p(tenure.to_numpy())
    groups = pd.DataFrame(index=held.index)
    groups["tenure_band"] = pd.cut(tenure, TENURE_BANDS, labels=False).astype(int).astype(str)
    for col in GROUP_COLUMNS:
        if col in customers and pool[col].notna().any():
            groups[col] = customers[col].astype(str).fillna("?")
            x = x.join(pd.get_dummies(groups[col], prefix=col, dtype=float))
    x = x.join(held.add_prefix("holds_").astype(float))
    if history_months:
        x = x.join(
            history_features(b, cut_ts, x.index, months=history_months, horizon_months=horizon_months, branch=branch)
        )
    opened = None
    if window_end is not None:
        o = pd.to_datetime(holdings["open_date"]).dt.normalize()
        new = holdings.loc[(o > cut_ts) & (o <= pd.Timestamp(window_end)), ["customer_id", "product_id"]]
        new = new[new["customer_id"].isin(held.index)].drop_duplicates()
        opened = (
            new.assign(v=1)
            .pivot(index="customer_id", columns="product_id", values="v")
            .reindex(index=held.index, columns=held.columns)
            .fillna(0)
            .astype("int64")
        )
        opened = opened.where(held == 0, 0)
    return TakeUpData(covariates=x, held=held, opened=opened, groups=groups, assets=assets)


@dataclass(frozen=True)
class PropensityEvaluation(Result):
    """The propensity model against popularity and popularity within group, on a time hold-out.

    Attributes
    ----------
    k : int
        Offers per customer.
    n_test : int
        Test customers who opened a product in the test window (the hit rates' denominator).
    hit_model, hit_popularity, hit_group : float
        Share of them with an opened product among the top ``k`` offers of each ranking.
    gain_low, gain_high : float
        Paired bootstrap interval (level ``ci``) of ``hit_model - hit_group``.
    popularity_low, popularity_high : float
        The same against plain popularity.
    auc_model, auc_popularity, auc_group : float
        Pooled AUC over every (customer, product not held) pair of the test window.
    predicted, observed : float
        Mean predicted chance and observed take-up over those pairs (calibration in the large).
    slope : float
        Calibration slope: the coefficient of the model's logit in a logistic fit of the outcomes.
    cuts : tuple of str
        The three cut dates (train, test, end).
    """

    k: int
    n_test: int
    hit_model: float
    hit_popularity: float
    hit_group: float
    gain_low: float
    gain_high: float
    popularity_low: float
    popularity_high: float
    auc_model: float
    auc_popularity: float
    auc_group: float
    predicted: float
    observed: float
    slope: float
    ci: float = 0.95
    cuts: tuple = field(default_factory=tuple)

    @property
    def gain(self) -> float:
        """Hit rate of the model minus that of popularity within group."""
        return self.hit_model - self.hit_group

    @property
    def beats_baseline(self) -> bool:
        """True only when the gain's interval over popularity within group lies above 0."""
        return bool(self.gain_low > 0)


def _hits(scores: pd.DataFrame, opened: pd.DataFrame, k: int) -> np.ndarray:
    v = np.nan_to_num(scores.to_numpy(dtype=float), nan=-np.inf)
    top = np.argsort(-v, axis=1, kind="stable")[:, :k]
    o = opened.reindex(columns=scores.columns, fill_value=0).to_numpy()
    return np.take_along_axis(o, top, axis=1).any(axis=1)


def evaluate_propensity(
    bank,
    *,
    end,
    horizon_months: int = 4,
    k: int = 3,
    group: str = "life_group",
    n_boot: int = 2000,
    ci: float = 0.95,
    seed: int = 0,
    customer_ids=None,
    max_fit: int | None = MAX_FIT,
) -> tuple[PropensityEvaluation, PropensityModel]:
    """Fit on the train window, judge on the test window; return the judgement and the train model.

    ``customer_ids`` restricts the *test* customers (a branch); the model learns from the bank.
    """
    return _evaluate(
        bank, end=end, horizon_months=horizon_months, k=k, group=group, n_boot=n_boot, ci=ci, seed=seed,
        customer_ids=customer_ids, max_fit=max_fit,
    )[0]  # fmt: skip


def _evaluate(bank, *, end, horizon_months, k, group, n_boot, ci, seed, customer_ids, max_fit):
    """:func:`evaluate_propensity` and the test window's data (:class:`TakeUpData`) it was judged on."""
    t0, t1, t2 = windows(end, horizon_months)
    train = take_up_data(bank, t0, t1, max_fit=max_fit, seed=seed, horizon_months=horizon_months)
    test = take_up_data(
        bank, t1, t2, customer_ids=customer_ids, max_fit=max_fit, seed=seed + 1, horizon_months=horizon_months
    )
    return _judge(train, test, k=k, group=group, n_boot=n_boot, ci=ci, seed=seed, cuts=(t0, t1, t2)), test


def _judge(train, test, *, k, group, n_boot, ci, seed, cuts) -> tuple[PropensityEvaluation, PropensityModel]:
    """:func:`evaluate_propensity` on its two windows' data."""
    from scipy.special import logit
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    model = PropensityModel(group=group).fit(train)
    ranked = {
        "model": model.scores(test),
        "popularity": model.popularity_scores(test),
        "group": model.group_scores(test),
    }
    opened = test.opened.reindex(columns=model.products_, fill_value=0)
    active = opened.to_numpy().any(axis=1)
    if active.sum() < 10:
        raise DataError(f"evaluate_propensity: {int(active.sum())} customers opened a product in the test window")
    hits = {name: _hits(s[active], opened[active], k) for name, s in ranked.items()}
    rng = np.random.default_rng([seed, 7])
    low, high = paired_bootstrap_interval(hits["model"], hits["group"], n_boot=n_boot, ci=ci, seed=rng)
    p_low, p_high = paired_bootstrap_interval(hits["model"], hits["popularity"], n_boot=n_boot, ci=ci, seed=rng)
    pairs = ~ranked["model"].isna().to_numpy()
    y = opened.to_numpy()[pairs]
    auc = {
        name: float(roc_auc_score(y, s.to_numpy()[pairs])) if 0 < y.sum() < y.size else float("nan")
        for name, s in ranked.items()
    }
    pred = ranked["model"].to_numpy()[pairs]
    lp = logit(np.clip(pred, 1e-6, 1 - 1e-6))[:, None]
    slope = (
        float(LogisticRegression(C=1e6, solver="newton-cholesky").fit(lp, y).coef_[0, 0])
        if 0 < y.sum() < y.size
        else np.nan
    )
    return (
        PropensityEvaluation(
            k=k,
            n_test=int(active.sum()),
            hit_model=float(hits["model"].mean()),
            hit_popularity=float(hits["popularity"].mean()),
            hit_group=float(hits["group"].mean()),
            gain_low=low,
            gain_high=high,
            popularity_low=p_low,
            popularity_high=p_high,
            auc_model=auc["model"],
            auc_popularity=auc["popularity"],
            auc_group=auc["group"],
            predicted=float(pred.mean()),
            observed=float(y.mean()),
            slope=slope,
            ci=ci,
            cuts=tuple(str(t.date()) for t in cuts),
        ),
        model,
    )


def deployed_model(
    bank,
    *,
    end,
    horizon_months: int = 4,
    group: str = "life_group",
    seed: int = 0,
    max_fit: int | None = MAX_FIT,
    data: TakeUpData | None = None,
) -> PropensityModel:
    """The model fitted on the latest complete window (holdings at end - h, openings up to ``end``).

    ``data``: that window's :func:`take_up_data` when the caller already has it (the same
    arguments), so that it is not read twice.
    """
    if data is None:
        _, t1, t2 = windows(end, horizon_months)
        data = take_up_data(bank, t1, t2, max_fit=max_fit, seed=seed, horizon_months=horizon_months)
    return PropensityModel(group=group).fit(data)


@functools.lru_cache(maxsize=4)
def _bank_judgement(root: str, generation: str, end: str, horizon_months: int, group: str, seed: int, max_fit: int):
    """Hold-out judgement and deployed model of one bank, once per process (every branch shares them)."""
    bank = Bank.open(root)
    latest = None
    try:
        (evaluation, _), test = _evaluate(
            bank, end=end, horizon_months=horizon_months, k=3, group=group, n_boot=2000, ci=0.95, seed=seed,
            customer_ids=None, max_fit=max_fit,
        )  # fmt: skip
        # the deployed model learns from the hold-out's test window: the same customers (and so the same
        # data) when that window has fewer than max_fit of them, none drawn; otherwise its own draw
        latest = test if len(test.held) < max_fit else None
    except DataError:
        evaluation = None
    try:
        deployed = deployed_model(
            bank, end=end, horizon_months=horizon_months, group=group, seed=seed, max_fit=max_fit, data=latest
        )
    except DataError:
        deployed = None
    return evaluation, deployed


def bank_judgement(
    bank,
    *,
    end,
    horizon_months: int = 4,
    group: str = "life_group",
    seed: int = 0,
    max_fit: int = MAX_FIT,
    cache_dir=None,
) -> tuple[PropensityEvaluation | None, PropensityModel | None]:
    """:func:`evaluate_propensity` on the whole bank and :func:`deployed_model`, computed once.

    Cached per process, and in ``cache_dir`` when given (a report run's private work folder: the
    shared step writes it before the branches, each branch's kernel reads it).  None for the
    evaluation when too few customers opened a product in the test window, and for the model when
    the latest window cannot be learnt from.
    """
    import pickle
    from pathlib import Path

    from ..atomic import atomic_path

    b = Bank.of(bank)
    key = (str(b.root), str(b.meta.get("generation", b.fingerprint)), str(pd.Timestamp(end).date()))
    args = (*key, int(horizon_months), group, int(seed), int(max_fit))
    if cache_dir is None:
        return _bank_judgement(*args)
    name = "propensity_" + "_".join(str(a) for a in args[1:]).replace("/", "-") + ".pkl"
    path = Path(cache_dir) / name
    if path.exists():
        return pickle.loads(path.read_bytes())
    result = _bank_judgement(*args)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(pickle.dumps(result))
    return result
