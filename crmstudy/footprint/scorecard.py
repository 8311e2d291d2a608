"""The points scorecard: a logistic regression on WoE values, points of odds and reasons."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..errors import DataError, ParamsError
from .binning import WoEBinner, _as_binary, _iv_table, null_iv
from .catalogue import _BY_NAME


def points_of_odds(odds, *, base_points: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0):
    """Scorecard points of given odds: ``base_points`` at ``base_odds``, ``pdo`` more per doubling.

    Examples
    --------
    >>> float(points_of_odds(100.0) - points_of_odds(50.0))
    20.0
    """
    factor = pdo / math.log(2)
    return base_points + factor * (np.log(odds) - math.log(base_odds))


def max_statistic_p(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Step-down max-statistic p-values (Westfall & Young 1993) of each candidate's statistic.

    Parameters
    ----------
    observed : np.ndarray
        The statistic of each of ``m`` candidates (larger: stronger).
    null : np.ndarray
        Shape ``(B, m)``: the statistics under ``B`` shuffles of the outcome.

    Returns
    -------
    np.ndarray
        Adjusted p-values: the candidate ranked ``r`` is compared with the largest shuffled
        statistic among the candidates ranked ``r`` or lower, counted as ``(1 + hits) / (B + 1)``,
        and p-values never fall down the ranking.  Rejecting those at or below α keeps the
        chance of rejecting any true null at α or less.

    Examples
    --------
    >>> null = np.array([[0.1, 0.3], [0.2, 0.1], [0.0, 0.2], [0.1, 0.1]])
    >>> max_statistic_p(np.array([0.5, 0.15]), null).round(2).tolist()
    [0.2, 0.6]
    """
    observed = np.asarray(observed, dtype=float)
    order = np.argsort(-observed, kind="stable")
    # column r: the largest shuffled statistic over the candidates ranked r, r + 1, ...
    tail_max = np.maximum.accumulate(null[:, order[::-1]], axis=1)[:, ::-1]
    p_sorted = np.maximum.accumulate((1 + (tail_max >= observed[order]).sum(axis=0)) / (len(null) + 1))
    out = np.empty(len(observed))
    out[order] = p_sorted
    return out


def monte_carlo_bounds(p: np.ndarray, n_permutations: int, *, level: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson interval of the p-value a permutation test would give with endless shuffles.

    ``p = (1 + hits) / (B + 1)`` after ``B`` shuffles; the interval is that of the hit rate
    ``hits / B`` at ``level``.  A selection made where the interval holds the test's level is
    made by the shuffles drawn, not by the data: on the demo bank's risk card (issue 13)
    ``luxury_share`` had p 0.045 after 200 shuffles and 0.047, 0.054 and 0.0525 after 2,000
    with three seeds (about 0.051), yet is unrelated to the planted risk (Spearman -0.008).

    Examples
    --------
    >>> low, high = monte_carlo_bounds(np.array([1 / 201, 10 / 201]), 200)
    >>> bool(high[0] < 0.05 < high[1]), bool(low[1] < 0.05)
    (True, True)
    """
    from scipy.stats import beta

    p = np.asarray(p, dtype=float)
    hits = np.clip(np.rint(p * (n_permutations + 1) - 1), 0, n_permutations)
    tail = (1 - level) / 2
    low = np.where(hits > 0, beta.ppf(tail, np.maximum(hits, 1), n_permutations - hits + 1), 0.0)
    high = np.where(hits < n_permutations, beta.ppf(1 - tail, hits + 1, np.maximum(n_permutations - hits, 1)), 1.0)
    return low, high


class Scorecard:
    """A points scorecard: WoE bins, logistic regression (statsmodels), points and reasons.

    Parameters
    ----------
    base_points, base_odds, pdo : float
        Points at ``base_odds`` (odds of the favourable outcome, see ``points_for``) and
        points to double the odds; 600 at 50:1 and 20 by default.
    points_for : {'non_event', 'event'}
        Which outcome more points mean: ``'non_event'`` for a risk score (more points, safer:
        odds of good to bad), ``'event'`` for a value score (more points, likelier to move up).
    min_iv : float
        Signals below this Information Value are not offered to the regression
        (0.02: Siddiqi's "useless" bar).
    n_permutations : int
        Shuffles of the outcome that say what Information Value chance alone reaches at
        this number of events (:func:`~crmstudy.footprint.binning.null_iv`).  A signal is
        offered to the regression only when its IV beats the shuffles' *largest* IV over
        all candidates (Westfall–Young step-down max-statistic, see Notes).  0 switches
        the test off: then ``min_iv`` alone decides, as in the textbook card.
    selection_level : float
        Chance that any candidate with no information at all enters the card (the
        family-wise error of the permutation test).
    max_permutations : int
        Shuffles drawn at most.  When a candidate's p-value is within Monte Carlo error of
        ``selection_level`` after ``n_permutations`` shuffles (its 99 % Clopper–Pearson interval
        holds the level), shuffles are added up to this many; a candidate is selected only when
        the upper end of that interval is at or below the level (:func:`monte_carlo_bounds`).
    seed : int
        Seed of the shuffles: the same data and seed give the same card.
    p_value : float
        Backward elimination: the signal with the largest p-value above this, or with a
        negative coefficient (a WoE pointing the wrong way, from collinearity), leaves
        the model, one at a time.
    missing : {'neutral', 'separate'}
        How :class:`WoEBinner` treats a missing signal.  ``'neutral'`` by default: a share
        is missing when its denominator is empty (no outgoing payment, no fuel fill, no RM
        contact), and "no trace at all" is already the evidence of the count signals
        (``txn_count`` 0 for a dormant customer).  A separate bin would count that one fact
        once per share signal, inflate every share's IV with it (by about 0.05 on the demo
        bank) and hand the regression a dozen copies of the same indicator.
    max_bins, min_bin_share, alpha, prebins
        Passed to :class:`WoEBinner`.

    Attributes
    ----------
    binners_ : dict of str to WoEBinner
    iv_ : pd.DataFrame
        :func:`information_value` of every column offered, and ``p_perm``: the step-down
        max-statistic p-value of its IV (adjusted for all candidates; NaN without shuffles), and
        ``p_perm_high``: the upper end of its Monte Carlo interval, which decides.
    n_permutations_ : int
        Shuffles drawn (``n_permutations``, or ``max_permutations`` when a p-value was too close to call).
    iv_threshold_ : float
        The IV a signal needed to beat chance: the ``1 − selection_level`` quantile of the
        largest IV over all candidates in the shuffles (NaN without shuffles).
    selected_ : list of str
        Signals in the model; empty when no signal beat chance (every customer then gets
        the same score, which ranks no one).
    model_ : statsmodels LogitResults
    coef_ : pd.Series
        Coefficient of each selected signal's WoE.
    intercept_ : float
    intercept_points_ : float
        Points everyone gets; a customer's score is this plus their attribute points.
    points_table_ : pd.DataFrame
        ``signal``, ``bin``, ``label``, ``woe``, ``points`` for every bin of every selected signal.
    mean_woe_ : pd.Series
        Mean WoE of each selected signal in the training data (the reference for reasons).
    event_rate_ : float
        Share of events in the training data.
    n_, events_ : int
        Rows and events of the training data.

    Notes
    -----
    Why a permutation test and not ``min_iv`` and Wald p-values alone: the bins are learned
    on the same outcome they are judged on, so a noise signal's IV is biased upwards by
    about (bins − 1)·(1/events + 1/non-events), and with thirty candidates one of them
    clears a fixed bar and a 5 % Wald test by chance at a few hundred events.  Shuffling
    the outcome and re-binning every candidate gives the IV that chance alone reaches at
    the actual number of events, binning included.  The step-down max-statistic
    (Westfall & Young 1993): candidates in order of IV; the first is selected when its IV
    beats the ``1 − selection_level`` quantile of the shuffles' largest IV over all
    candidates, the next when it beats the quantile over the candidates not yet
    selected, and so on until one fails.  This bounds the chance of selecting any pure
    noise signal by ``selection_level``, whatever the dependence between signals.  The
    p-values are estimates from a finite number of shuffles; a candidate whose p-value could
    lie on either side of the level by Monte Carlo error alone gets more shuffles, and enters
    only when the upper end of its 99 % interval is at or below the level (a slightly
    conservative test: its family-wise error stays at or below ``selection_level``).
    """

    def __init__(
        self,
        *,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
        points_for: Literal["non_event", "event"] = "non_event",
        min_iv: float = 0.02,
        n_permutations: int = 200,
        selection_level: float = 0.05,
        max_permutations: int = 2000,
        seed: int = 0,
        p_value: float = 0.05,
        missing: Literal["neutral", "separate"] = "neutral",
        max_bins: int = 5,
        min_bin_share: float = 0.05,
        alpha: float = 0.05,
        prebins: int = 20,
    ):
        if pdo <= 0 or base_odds <= 0:
            raise ParamsError(f"scorecard: 'pdo' and 'base_odds' must be positive, got {pdo}, {base_odds}")
        if points_for not in ("non_event", "event"):
            raise ParamsError(f"scorecard: 'points_for' must be 'non_event' or 'event', got {points_for!r}")
        self.base_points, self.base_odds, self.pdo, self.points_for = base_points, base_odds, pdo, points_for
        if n_permutations < 0 or not 0 < selection_level < 1:
            raise ParamsError(
                f"scorecard: 'n_permutations' must be at least 0 and 'selection_level' in (0, 1), "
                f"got {n_permutations}, {selection_level}"
            )
        self.min_iv, self.p_value = min_iv, p_value
        self.n_permutations, self.selection_level, self.seed = n_permutations, selection_level, seed
        self.max_permutations = max(int(max_permutations), n_permutations)
        self.binning = {
            "max_bins": max_bins,
            "min_bin_share": min_bin_share,
            "alpha": alpha,
            "prebins": prebins,
            "missing": missing,
        }

    @property
    def factor_(self) -> float:
        """Points per unit of log-odds (``pdo / ln 2``)."""
        return self.pdo / math.log(2)

    def _sign(self) -> float:
        return 1.0 if self.points_for == "event" else -1.0

    def fit(self, X: pd.DataFrame, y) -> Scorecard:
        """Bin every column of ``X``, keep the informative ones, fit the regression."""
        y = _as_binary(y, "Scorecard.fit")
        if len(X) != len(y):
            raise DataError(f"Scorecard.fit: X has {len(X)} rows but y has {len(y)}")
        if y.sum() in (0, len(y)):
            raise DataError(f"Scorecard.fit: the outcome has a single class in {len(y)} rows; nothing to learn")
        X = X.reset_index(drop=True)
        self.binners_ = {c: WoEBinner(**self.binning).fit(X[c], y) for c in X.columns}
        self.iv_ = _iv_table(self.binners_)
        self.iv_["p_perm"], self.iv_threshold_ = np.nan, np.nan
        passed = set(X.columns)
        if self.n_permutations and len(X.columns):
            null = null_iv(X, y, n_permutations=self.n_permutations, seed=self.seed, **self.binning)
            observed = np.array([self.binners_[c].iv_ for c in X.columns])
            p = max_statistic_p(observed, null)
            low, high = monte_carlo_bounds(p, len(null))
            if (
                len(null) < self.max_permutations
                and ((low <= self.selection_level) & (high > self.selection_level)).any()
            ):
                more = null_iv(
                    X, y, n_permutations=self.max_permutations - len(null), seed=[self.seed, 1], **self.binning
                )
                null = np.vstack([null, more])
                p = max_statistic_p(observed, null)
                low, high = monte_carlo_bounds(p, len(null))
            p, high = pd.Series(p, index=X.columns), pd.Series(high, index=X.columns)
            self.iv_["p_perm"] = self.iv_["signal"].map(p).to_numpy()
            self.iv_["p_perm_high"] = self.iv_["signal"].map(high).to_numpy()
            self.n_permutations_ = len(null)
            self.iv_threshold_ = float(np.quantile(null.max(axis=1), 1 - self.selection_level))
            passed = set(high.index[high <= self.selection_level])
        offered = [c for c in self.iv_["signal"] if self.binners_[c].iv_ >= self.min_iv and c in passed]
        W = pd.DataFrame({c: self.binners_[c].transform(X[c]) for c in offered}, index=X.index)
        # strongest first, skip a signal whose WoE column adds nothing new (two signals binned
        # into the same groups of customers make the regression singular)
        chosen: list[str] = []
        for c in offered:
            M = np.column_stack([np.ones(len(W))] + [W[k].to_numpy() for k in chosen + [c]])
            if np.linalg.matrix_rank(M) == M.shape[1]:
                chosen.append(c)
        while True:
            exog = pd.concat([pd.Series(1.0, index=W.index, name="const"), W[chosen]], axis=1)
            model = sm.Logit(y, exog).fit(disp=0, maxiter=100)
            coef, pv = model.params.drop("const"), model.pvalues.drop("const")
            wrong = coef[coef <= 0]
            if len(wrong):
                chosen.remove(str(wrong.idxmin()))
            elif len(pv) and pv.max() > self.p_value:
                chosen.remove(str(pv.idxmax()))
            else:
                break
        self.selected_ = list(chosen)
        # keep the estimates, drop the copies of the training rows (hundreds of MB on a large
        # bank) so that a fitted card is small to pickle and hand to every branch report
        model.remove_data()
        self.model_ = model
        self.coef_ = model.params.drop("const")
        self.intercept_ = float(model.params["const"])
        self.mean_woe_ = W[chosen].mean() if chosen else pd.Series(dtype=float)
        self.event_rate_ = float(y.mean())
        self.n_, self.events_ = len(y), int(y.sum())
        s, f = self._sign(), self.factor_
        self.intercept_points_ = float(
            points_of_odds(1.0, base_points=self.base_points, base_odds=self.base_odds, pdo=self.pdo)
            + f * s * self.intercept_
        )
        rows = []
        for c in chosen:
            t = self.binners_[c].table_
            for _, r in t.iterrows():
                rows.append(
                    {
                        "signal": c,
                        "bin": int(r["bin"]),
                        "label": r["label"],
                        "woe": r["woe"],
                        "points": f * s * self.coef_[c] * r["woe"],
                    }
                )
        self.points_table_ = pd.DataFrame(rows, columns=["signal", "bin", "label", "woe", "points"])
        return self

    def _woe(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.selected_ if c not in X.columns]
        if missing:
            raise DataError(f"Scorecard: data lacks the scorecard's signal(s) {', '.join(missing)}")
        return pd.DataFrame({c: self.binners_[c].transform(X[c]) for c in self.selected_}, index=X.index)

    def log_odds(self, X: pd.DataFrame) -> pd.Series:
        """Log-odds of the event for each row of ``X``."""
        W = self._woe(X)
        z = self.intercept_ + (W.to_numpy() @ self.coef_[self.selected_].to_numpy() if self.selected_ else 0.0)
        return pd.Series(np.broadcast_to(z, (len(X),)).astype(float), index=X.index, name="log_odds")

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """Probability of the event (delinquency, moving up) for each row of ``X``."""
        return (1 / (1 + np.exp(-self.log_odds(X)))).rename("p_event")

    def points(self, X: pd.DataFrame) -> pd.Series:
        """Scorecard points of each row: :attr:`intercept_points_` plus attribute points."""
        z = self.log_odds(X)
        return (self.intercept_points_ + self.factor_ * self._sign() * (z - self.intercept_)).rename("points")

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each selected signal's push on the log-odds of the event, against the training average."""
        W = self._woe(X)
        return (W - self.mean_woe_[self.selected_]) * self.coef_[self.selected_]

    def reasons(self, X: pd.DataFrame, *, top: int = 3, id_col: str = "customer_id") -> pd.DataFrame:
        """The signals that moved each customer's probability of the event up the most.

        A signal's push is its coefficient × (the customer's WoE − the training mean WoE):
        how far the customer's bin moves the log-odds from an average customer's.  Only
        pushes towards the event are reasons.

        Returns
        -------
        pd.DataFrame
            One row per customer and reason: ``customer_id`` (when ``X`` has it), ``rank``,
            ``signal``, ``value``, ``bin``, ``log_odds`` (the push), ``points`` (the push in
            points; negative for a risk score, where fewer points mean riskier) and
            ``reason`` (``"premium fuel share 75%"``).
        """
        if top < 1:
            raise ParamsError(f"reasons: 'top' must be at least 1, got {top}")
        cols = ["rank", "signal", "value", "bin", "log_odds", "points", "reason"]
        ids = X[id_col].to_numpy() if id_col in X else X.index.to_numpy()
        if not self.selected_:
            return pd.DataFrame(columns=[id_col] + cols)
        C = self.contributions(X).to_numpy()
        k = min(top, C.shape[1])
        order = np.argsort(-C, axis=1, kind="stable")[:, :k]
        rows, ranks = np.repeat(np.arange(len(X)), k), np.tile(np.arange(1, k + 1), len(X))
        cols_idx = order.ravel()
        push = C[rows, cols_idx]
        keep = push > 0
        rows, ranks, cols_idx, push = rows[keep], ranks[keep], cols_idx[keep], push[keep]
        names = np.array(self.selected_)[cols_idx]
        values = np.empty(len(rows), dtype=object)
        bins = np.empty(len(rows), dtype=object)
        for j, n in enumerate(self.selected_):
            at = cols_idx == j
            values[at] = X[n].to_numpy()[rows[at]]
            bins[at] = self.binners_[n].labels(X[n].iloc[rows[at]])
        reason = [_BY_NAME[n].describe(v) if n in _BY_NAME else f"{n} {v}" for n, v in zip(names, values)]
        return pd.DataFrame(
            {
                id_col: ids[rows],
                "rank": ranks,
                "signal": names,
                "value": values,
                "bin": bins,
                "log_odds": push,
                "points": push * self.factor_ * self._sign(),
                "reason": reason,
            }
        )
