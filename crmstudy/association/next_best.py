"""Look-alike customers (KMeans), next-best-product ranking and its hidden-product evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParamsError
from ..results import Result
from ..stats import bootstrap_counts
from ._checks import _aligned, _alpha, _informative, _need

#: Default look-alike features: who the customer is and how they behave.
SIMILARITY_NUMERIC = ("age", "ada", "n_txn", "digital_share", "counter_share", "n_categories")
SIMILARITY_CATEGORICAL = ("life_group", "acquisition_group", "gender", "income_band")
SIMILARITY_LOG = ("ada", "n_txn")


class SimilarCustomers:
    """Look-alike groups by KMeans on standardized features, and what their members hold.

    Settings in ``__init__``, learned state in attributes ending in ``_``
    (scikit-learn's convention); :meth:`fit` returns ``self``.

    Parameters
    ----------
    n_clusters : int
        Look-alike groups.
    numeric, categorical : sequence of str
        Feature columns; categorical ones are one-hot encoded.  Numeric
        missing values take the training median.
    log : sequence of str
        Numeric columns taken as log(1 + x) first (skewed amounts, counts).
    use_holdings : bool
        Also cluster on the products a customer already holds (what makes a
        look-alike most: customers who hold the same things).
    prior : float
        Take-up rates are shrunk towards the bank-wide rate with this many
        pseudo-customers, so a small group does not promise 0 % or 100 %.
    seed : int
        KMeans seed.

    Attributes
    ----------
    products_ : list of str
        Products that can be recommended (held by some, not all).
    take_up_ : pd.DataFrame
        Cluster × product: shrunk share of the cluster's customers holding it,
        the *expected take-up* of a member who does not hold it yet.
    popularity_ : pd.Series
        Bank-wide holding rate of each product (the baseline).
    """

    def __init__(
        self,
        *,
        n_clusters: int = 12,
        numeric: Sequence[str] = SIMILARITY_NUMERIC,
        categorical: Sequence[str] = SIMILARITY_CATEGORICAL,
        log: Sequence[str] = SIMILARITY_LOG,
        use_holdings: bool = True,
        prior: float = 10.0,
        seed: int = 0,
    ):
        if n_clusters < 1:
            raise ParamsError(f"'n_clusters' must be a whole number >= 1, got {n_clusters!r}")
        self.n_clusters = n_clusters
        self.numeric = tuple(numeric)
        self.categorical = tuple(categorical)
        self.log = tuple(log)
        self.use_holdings = use_holdings
        self.prior = prior
        self.seed = seed

    def _numeric(self, features: pd.DataFrame) -> pd.DataFrame:
        """The numeric features as floats, the ``log`` ones as log(1 + x)."""
        num = features[list(self.numeric)].astype(float)
        for c in self.log:
            if c in num:
                num[c] = np.log1p(num[c].clip(lower=0))
        return num

    def _design(self, features: pd.DataFrame, holding: pd.DataFrame) -> np.ndarray:
        num = self._numeric(features).fillna(self.medians_)
        parts = [num.to_numpy()]
        for c in self.categorical:
            parts.append((features[c].astype(str).to_numpy()[:, None] == self.levels_[c][None, :]).astype(float))
        if self.use_holdings:
            parts.append(holding[self.products_].to_numpy(dtype=float))
        return np.hstack(parts)

    def fit(self, features: pd.DataFrame, holding: pd.DataFrame, *, id_col: str = "customer_id") -> SimilarCustomers:
        """Learn the look-alike groups and their take-up rates."""
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import StandardScaler

        cust, hold = _aligned(features, holding, id_col, "SimilarCustomers.fit")
        _need(cust, list(self.numeric) + list(self.categorical), "SimilarCustomers.fit")
        if len(cust) < self.n_clusters:
            raise DataError(f"SimilarCustomers.fit: {len(cust)} customers cannot form {self.n_clusters} clusters")
        self.products_ = _informative(hold).columns.astype(str).tolist()
        self.medians_ = self._numeric(cust).median().fillna(0.0)
        self.levels_ = {c: np.array(sorted(cust[c].astype(str).unique())) for c in self.categorical}
        x = self._design(cust, hold)
        self.scaler_ = StandardScaler().fit(x)
        self.kmeans_ = KMeans(n_clusters=self.n_clusters, n_init=4, random_state=self.seed).fit(
            self.scaler_.transform(x)
        )
        h = hold[self.products_].to_numpy(dtype=float)
        self.popularity_ = pd.Series(h.mean(axis=0), index=self.products_, name="popularity")
        labels = self.kmeans_.labels_
        counts = np.bincount(labels, minlength=self.n_clusters)[:, None]
        sums = np.stack([h[labels == k].sum(axis=0) for k in range(self.n_clusters)])
        rate = (sums + self.prior * self.popularity_.to_numpy()) / (counts + self.prior)
        self.take_up_ = pd.DataFrame(rate, columns=self.products_).rename_axis("cluster")
        return self

    def predict(self, features: pd.DataFrame, holding: pd.DataFrame, *, id_col: str = "customer_id") -> pd.Series:
        """The look-alike group of each customer (index: customer id)."""
        cust, hold = _aligned(features, holding, id_col, "SimilarCustomers.predict")
        hold = hold.reindex(columns=self.products_, fill_value=0)
        labels = self.kmeans_.predict(self.scaler_.transform(self._design(cust, hold)))
        return pd.Series(labels, index=pd.Index(cust[id_col], name=id_col), name="cluster")

    def scores(self, features: pd.DataFrame, holding: pd.DataFrame, *, id_col: str = "customer_id") -> pd.DataFrame:
        """Expected take-up of every product not yet held (NaN where held)."""
        cluster = self.predict(features, holding, id_col=id_col)
        held = holding.reindex(index=cluster.index, columns=self.products_, fill_value=0).to_numpy() > 0
        s = self.take_up_.to_numpy()[cluster.to_numpy()]
        return pd.DataFrame(np.where(held, np.nan, s), index=cluster.index, columns=self.products_)

    def recommend(
        self, features: pd.DataFrame, holding: pd.DataFrame, *, top_n: int = 3, id_col: str = "customer_id"
    ) -> pd.DataFrame:
        """Each customer's ``top_n`` next-best products, best first.

        Returns
        -------
        pd.DataFrame
            ``customer_id``, ``rank`` (1 = best), ``product_id``,
            ``expected_take_up``, ``cluster``.
        """
        sc = self.scores(features, holding, id_col=id_col)
        cluster = self.predict(features, holding, id_col=id_col)
        return _top_n(sc, top_n).merge(cluster.reset_index(), on=id_col, how="left")


def _top_n(scores: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Long table of each row's ``top_n`` highest non-missing scores."""
    if top_n < 1:
        raise ParamsError(f"'top_n' must be a whole number >= 1, got {top_n!r}")
    v = scores.to_numpy(dtype=float)
    order = np.argsort(-np.nan_to_num(v, nan=-np.inf), axis=1, kind="stable")[:, :top_n]
    rows = np.repeat(np.arange(len(v)), order.shape[1])
    cols = order.ravel()
    out = pd.DataFrame(
        {
            scores.index.name or "customer_id": scores.index.to_numpy()[rows],
            "rank": np.tile(np.arange(1, order.shape[1] + 1), len(v)),
            "product_id": scores.columns.to_numpy()[cols],
            "expected_take_up": v[rows, cols],
        }
    )
    return out[out["expected_take_up"].notna()].reset_index(drop=True)


def next_best_products(
    features: pd.DataFrame,
    holding: pd.DataFrame,
    *,
    top_n: int = 3,
    n_clusters: int = 12,
    seed: int = 0,
    id_col: str = "customer_id",
) -> pd.DataFrame:
    """Each customer's next-best products: what their look-alikes hold and they do not.

    Parameters
    ----------
    features : pd.DataFrame
        :func:`crmstudy.features.customer_features` (the columns of
        :class:`SimilarCustomers`).
    holding : pd.DataFrame
        :func:`holding_matrix` of the same customers.
    top_n : int
        Products per customer.
    n_clusters, seed : int
        Passed to :class:`SimilarCustomers`.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``rank``, ``product_id``, ``expected_take_up``
        (share of look-alikes holding the product), ``cluster``.
    """
    model = SimilarCustomers(n_clusters=n_clusters, seed=seed).fit(features, holding, id_col=id_col)
    return model.recommend(features, holding, top_n=top_n, id_col=id_col)


@dataclass(frozen=True)
class NextBestEvaluation(Result):
    """Hidden-product evaluation of the next-best ranking against popularity.

    Attributes
    ----------
    k : int
        Length of the list offered to each customer.
    n_test : int
        Test customers with a product hidden.
    recall_at_k, precision_at_k : float
        Look-alike ranking: share of hidden products found in the top k;
        hits per offered product.
    baseline_recall_at_k, baseline_precision_at_k : float
        The same for offering the bank's most popular products not held.
    gain_low, gain_high : float
        Interval of the recall gain ``recall_at_k - baseline_recall_at_k`` (a
        difference of shares) at level ``ci``: the percentile interval of a
        paired bootstrap over the test customers (each resample keeps a
        customer's two hits together), :func:`paired_bootstrap_interval`.
        NaN when ``n_boot`` is 0.
    ci : float
        Confidence level of the interval.
    n_boot : int
        Bootstrap resamples.
    """

    k: int
    n_test: int
    recall_at_k: float
    precision_at_k: float
    baseline_recall_at_k: float
    baseline_precision_at_k: float
    gain_low: float = float("nan")
    gain_high: float = float("nan")
    ci: float = 0.95
    n_boot: int = 0

    @property
    def recall_gain(self) -> float:
        """Recall@k of the look-alikes over that of popularity (1 = no better)."""
        return self.recall_at_k / self.baseline_recall_at_k if self.baseline_recall_at_k else float("nan")

    @property
    def recall_difference(self) -> float:
        """Recall@k of the look-alikes minus that of popularity (0 = no better)."""
        return self.recall_at_k - self.baseline_recall_at_k

    @property
    def beats_baseline(self) -> bool:
        """True only when the whole interval of the gain lies above 0 (NaN bounds: False)."""
        return bool(self.gain_low > 0)

    @property
    def loses_to_baseline(self) -> bool:
        """True only when the whole interval of the gain lies below 0 (popularity does better)."""
        return bool(self.gain_high < 0)


def paired_bootstrap_interval(
    a: np.ndarray, b: np.ndarray, *, n_boot: int = 2000, ci: float = 0.95, seed: int | np.random.Generator = 0
) -> tuple[float, float]:
    """Percentile interval of ``mean(a) - mean(b)`` by a paired bootstrap over rows.

    Each resample draws the rows (customers) with replacement and keeps each
    row's pair ``(a_i, b_i)`` together, so it is the bootstrap of the mean of
    the per-row differences ``a_i - b_i``; the interval is the ``(1 - ci) / 2``
    and ``(1 + ci) / 2`` quantiles (numpy's default, linear) of the resampled
    means.  Resamples come from :func:`crmstudy.stats.bootstrap_counts` with
    ``seed``: with one batch, resample r is ``rng.integers(0, n, size=(n_boot, n))[r]``.

    Parameters
    ----------
    a, b : array-like
        Paired per-row values (hits as 0/1 or booleans), the same length (at least 1).
    n_boot : int
        Resamples (at least 1).
    ci : float
        Confidence level, between 0 and 1.
    seed : int or np.random.Generator
        Seed of the resamples.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Examples
    --------
    >>> paired_bootstrap_interval([1, 1, 1], [0, 0, 0], n_boot=50)
    (1.0, 1.0)
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.size == 0 or a.shape != b.shape:
        raise DataError("paired_bootstrap_interval: 'a' and 'b' must be two non-empty arrays of the same length")
    d = a - b
    if n_boot < 1:
        raise ParamsError(f"'n_boot' must be a whole number >= 1, got {n_boot!r}")
    _alpha(ci, "ci")
    means = np.empty(n_boot)
    for start, counts in bootstrap_counts(d.size, n_boot, seed=seed):
        means[start : start + len(counts)] = counts @ d / d.size
    low, high = np.quantile(means, [(1 - ci) / 2, (1 + ci) / 2])
    return float(low), float(high)


def _hide(hold: pd.DataFrame, products: list[str], rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Hide one held product per customer at random; return the visible matrix and hidden column index."""
    h = hold[products].to_numpy()
    keys = np.where(h > 0, rng.random(h.shape), np.inf)
    hidden = keys.argmin(axis=1)
    visible = h.copy()
    visible[np.arange(len(h)), hidden] = 0
    return pd.DataFrame(visible, index=hold.index, columns=products), hidden


def _hits(scores: np.ndarray, hidden: np.ndarray, k: int) -> np.ndarray:
    top = np.argsort(-np.nan_to_num(scores, nan=-np.inf), axis=1, kind="stable")[:, :k]
    return (top == hidden[:, None]).any(axis=1)


def evaluate_next_best(
    features: pd.DataFrame,
    holding: pd.DataFrame,
    *,
    k: int = 3,
    test_share: float = 0.3,
    n_clusters: int = 12,
    seed: int = 0,
    n_boot: int = 2000,
    ci: float = 0.95,
    id_col: str = "customer_id",
) -> NextBestEvaluation:
    """Hide one held product per test customer and see whether the ranking finds it.

    Customers are split at random into training (``1 − test_share``) and test.
    The look-alike model and the popularity baseline learn from the training
    customers only.  Each test customer holding at least one recommendable
    product has one of them hidden at random; both rankings then order the
    products the customer visibly does not hold.  With one hidden product,
    precision@k = recall@k / k.

    The gain over popularity is judged on the same test customers: each has a
    hit or not under both rankings, and a paired bootstrap of the per-customer
    difference (``n_boot`` resamples, seeded from ``seed``) gives its interval
    at level ``ci`` (:func:`paired_bootstrap_interval`).  Claim that the list
    beats popularity only when :attr:`NextBestEvaluation.beats_baseline`.

    Parameters
    ----------
    features, holding : pd.DataFrame
        Customer features and their holding matrix (customers × products, 0/1).
    k : int
        Products offered per customer.
    test_share : float
        Share of customers held out for the test.
    n_clusters, seed : int
        Look-alike groups; the seed of the split, the hidden products, KMeans and the bootstrap.
    n_boot : int
        Bootstrap resamples of the gain's interval (0: no interval, the bounds are NaN).
    ci : float
        Confidence level of the interval.
    id_col : str
        Customer id column.

    Returns
    -------
    NextBestEvaluation
        Recall@k and precision@k of the look-alike ranking and of popularity, and the interval of the gain.
    """
    _alpha(test_share, "test_share")
    cust, hold = _aligned(features, holding, id_col, "evaluate_next_best")
    rng = np.random.default_rng(seed)
    test = rng.random(len(cust)) < test_share
    model = SimilarCustomers(n_clusters=n_clusters, seed=seed).fit(cust[~test], hold[~test], id_col=id_col)
    products = model.products_
    t_cust, t_hold = cust[test], hold[test].reindex(columns=products, fill_value=0)
    eligible = (t_hold.to_numpy() > 0).any(axis=1)
    t_cust, t_hold = t_cust[eligible], t_hold[eligible]
    if len(t_cust) == 0:
        raise DataError("evaluate_next_best: no test customer holds a product that could be hidden")
    visible, hidden = _hide(t_hold, products, rng)
    model_scores = model.scores(t_cust, visible, id_col=id_col).to_numpy()
    held = visible.to_numpy() > 0
    base_scores = np.where(held, np.nan, model.popularity_.to_numpy()[None, :])
    hit_m, hit_b = _hits(model_scores, hidden, k), _hits(base_scores, hidden, k)
    low, high = (
        paired_bootstrap_interval(hit_m, hit_b, n_boot=n_boot, ci=ci, seed=np.random.default_rng([seed, 1]))
        if n_boot
        else (float("nan"), float("nan"))
    )
    return NextBestEvaluation(
        k=k,
        n_test=int(len(t_cust)),
        recall_at_k=float(hit_m.mean()),
        precision_at_k=float(hit_m.mean() / k),
        baseline_recall_at_k=float(hit_b.mean()),
        baseline_precision_at_k=float(hit_b.mean() / k),
        gain_low=low,
        gain_high=high,
        ci=float(ci),
        n_boot=int(n_boot),
    )
