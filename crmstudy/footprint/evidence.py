"""What footprints add to what the bank already knows, and probabilities the next window confirms.

A footprint list is worth a call only when the footprints rank customers better than what
the bank already has on file: their balances and what they declared.  :func:`fit_evidence_card`
fits, on one window pair, the footprint scorecard and a model of the *known* attributes
(balances and declared attributes, a spline logit: :class:`KnownModel`), stacks the two
log-odds in one logistic regression, and then, on the next window pair (months neither card
saw), measures the paired AUC gain of the stacked score over the known one (DeLong
interval) and recalibrates its probabilities (:func:`~crmstudy.footprint.calibration.recalibrate`).
The list ranks by the stacked score, its reasons are the footprint card's, and its
probabilities are the recalibrated ones.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.stats import norm, rankdata

from ..errors import SignalSkipped
from ..feature_defs import customer_assets
from ..features import Period
from ..results import Result
from .calibration import Method, Recalibration, recalibrate
from .design import _sample, active_customers
from .outcomes import declared_attributes, risk_outcome, value_outcome
from .scorecard import Scorecard
from .signals import compute_signals
from .validation import auc

#: Balances of the signal window: what the bank knows without any footprint.
BALANCES = ("ada", "peak_assets", "end_assets")


def balances(eng, window: Period, *, branch: str | None = None) -> pd.DataFrame:
    """``customer_id`` and :data:`BALANCES` of the window (0 for a customer without a balance in it)."""
    return eng.to_pandas(customer_assets(eng.tables, window, branch=branch))


def window_samples(eng, pairs: Mapping[str, tuple[Period, Period]], *, signals=None) -> tuple[dict, list, list]:
    """The value and risk samples of each (signal window, outcome window) pair, with the known attributes.

    Returns
    -------
    tuple
        ``samples``: ``(side, step)`` -> ``customer_id``, ``y``, the signals, the balances of
        the signal window and the declared attributes; ``names``: the footprint signals;
        ``known``: the declared attributes and :data:`BALANCES`.
    """
    declared = declared_attributes(eng)
    known = [c for c in declared.columns if c != "customer_id"] + list(BALANCES)
    samples, names = {}, []
    for i, (step, (sig_w, out_w)) in enumerate(pairs.items()):
        with warnings.catch_warnings():
            if i:
                warnings.simplefilter("ignore", SignalSkipped)  # already said once for the first window
            sig = compute_signals(eng, sig_w, signals=signals)
        names = [c for c in sig.columns if c != "customer_id"]
        was_active = active_customers(eng, sig_w)
        kn = balances(eng, sig_w).merge(declared, on="customer_id", how="right")
        outcomes = {
            "value": value_outcome(eng, sig_w, out_w),
            "risk": risk_outcome(eng, out_w, opened_before=sig_w.start),
        }
        for side, o in outcomes.items():
            samples[(side, step)] = with_known(_sample(sig, o, was_active), kn)
    return samples, names, known


def with_known(sample: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``sample`` with the known attributes joined on (balances 0 where the customer had none)."""
    cols = [c for c in known.columns if c != "customer_id" and c not in sample.columns]
    out = sample.merge(known[["customer_id", *cols]], on="customer_id", how="left")
    fill = {c: 0.0 for c in BALANCES if c in cols}
    return out.fillna(fill)


class KnownModel:
    """What the bank already knows, used as well as it could be: a spline logit on balances and declarations.

    A footprint card is judged against this model, so it must not be a straw man: balances
    act on the value outcome through the tier bars (a customer just below a bar is the
    likeliest to cross it), which monotonic WoE bins cannot follow, and a footprint that
    merely refined coarse balance bins would look as if it added something.  Each numeric
    column enters as a cubic spline of log(1 + x) with knots at quantiles (scikit-learn's
    :class:`~sklearn.preprocessing.SplineTransformer`), each declared attribute one-hot; a
    lightly penalised logistic regression fits them (some 30 parameters).  Where the known
    attributes carry nothing (delinquency in the synthetic bank) a likelihood-ratio test
    against the event rate alone fails and the model gives everyone that rate, instead of
    handing the stack 30 coefficients fitted to noise; where they carry much, its in-sample
    log-odds barely overfit at thousands of rows and are stacked as they are.

    Parameters
    ----------
    n_knots : int
        Knots per numeric column.
    C : float
        Inverse strength of the L2 penalty (on standardised columns).
    level : float
        Level of the likelihood-ratio test that the model beats the event rate alone.

    Attributes
    ----------
    columns_, selected_ : list of str
        The columns; ``selected_`` is empty when the model did not beat the event rate.
    p_value_ : float
        The likelihood-ratio test's p-value.
    pipeline_ : sklearn Pipeline
    """

    def __init__(self, *, n_knots: int = 6, C: float = 1.0, level: float = 0.05):
        self.n_knots, self.C, self.level = n_knots, C, level

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X[self.columns_].copy()
        for c in self.numeric_:
            out[c] = np.log1p(out[c].astype(float).clip(lower=0).fillna(0.0))
        for c in self.categorical_:
            out[c] = out[c].astype(object).where(out[c].notna(), "(missing)").astype(str)
        return out

    def fit(self, X: pd.DataFrame, y) -> KnownModel:
        """Fit on ``X``'s columns; numeric ones get splines, the others are categories."""
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler
        from threadpoolctl import threadpool_limits

        self.columns_ = list(X.columns)
        self.numeric_ = [c for c in self.columns_ if pd.api.types.is_numeric_dtype(X[c])]
        self.categorical_ = [c for c in self.columns_ if c not in self.numeric_]
        spline = make_pipeline(SplineTransformer(n_knots=self.n_knots, knots="quantile"), StandardScaler())
        parts = [("spline", spline, self.numeric_)] if self.numeric_ else []
        if self.categorical_:
            parts.append(("declared", OneHotEncoder(handle_unknown="ignore", min_frequency=20), self.categorical_))
        self.pipeline_ = make_pipeline(ColumnTransformer(parts), LogisticRegression(C=self.C, max_iter=2_000))
        y = np.asarray(y, dtype=int)
        # small dense problems: one thread is several times faster than many on a shared machine
        with threadpool_limits(1):
            self.pipeline_.fit(self._frame(X), y)
            p = np.clip(self.pipeline_.predict_proba(self._frame(X))[:, 1], 1e-12, 1 - 1e-12)
        rate = y.mean()
        lr = 2 * (np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) - len(y) * _bernoulli_ll(rate))
        df = self.pipeline_[-1].coef_.shape[1]
        self.p_value_ = float(stats.chi2.sf(max(lr, 0.0), df))
        self.base_log_odds_ = float(np.log(rate / (1 - rate)))
        self.selected_ = list(self.columns_) if self.p_value_ < self.level else []
        return self

    def log_odds(self, X: pd.DataFrame) -> pd.Series:
        """Log-odds of the event for each row of ``X`` (the event rate's when the model did not beat it)."""
        if not self.selected_:
            return pd.Series(self.base_log_odds_, index=X.index, name="log_odds")
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            z = self.pipeline_.decision_function(self._frame(X))
        return pd.Series(z, index=X.index, name="log_odds")


def _bernoulli_ll(rate: float) -> float:
    return float(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))


@dataclass(frozen=True, eq=False)
class EvidenceCard(Result):
    """A footprint card stacked on a card of what the bank knows, recalibrated on a later window.

    Attributes
    ----------
    side : str
        ``'value'`` or ``'risk'``.
    footprint : Scorecard
        The footprint scorecard: its points and reasons are what the list shows.
    baselines : dict
        Name (``'known'``: balances and declared attributes; the study adds ``'balance'`` and
        ``'declared'``) -> its fitted :class:`KnownModel`.
    weights : pd.Series
        ``const``, ``footprint``, ``known``: the stacking regression of the two log-odds,
        fitted on the development window.
    recalibration : Recalibration
        Learned on the later window: the probabilities a report prints.
    auc : pd.DataFrame
        On the later window: one row per model (``stacked``, ``footprint`` and each baseline)
        with ``auc``, and for each baseline the stacked score's ``gain`` over it with
        ``low`` and ``high`` (the paired DeLong interval at ``ci``, :func:`auc_difference`).
    n, events : int
        Customers and events of the later window.
    ci : float
    """

    side: str
    footprint: Scorecard
    baselines: dict
    weights: pd.Series
    recalibration: Recalibration
    auc: pd.DataFrame
    n: int
    events: int
    ci: float = 0.95
    columns: dict = field(default_factory=dict)

    _frame = "auc"

    def gain(self, baseline: str = "known") -> tuple[float, float, float]:
        """The stacked score's AUC over ``baseline`` on the later window: ``(gain, low, high)``."""
        r = self.auc.set_index("model").loc[baseline]
        return float(r["gain"]), float(r["low"]), float(r["high"])

    @property
    def adds(self) -> bool:
        """True when the footprints add to what the bank knows: the gain's interval lies above 0."""
        return bool(self.gain("known")[1] > 0)

    def log_odds(self, X: pd.DataFrame) -> pd.Series:
        """The stacked log-odds of the event for each row of ``X`` (signals and known columns)."""
        z = self.weights["const"] + self.weights["footprint"] * self.footprint.log_odds(X)
        if "known" in self.weights:
            z = z + self.weights["known"] * self.baselines["known"].log_odds(X[self.columns["known"]])
        return z.rename("log_odds")

    def predict(self, X: pd.DataFrame) -> pd.Series:
        """The calibrated probability of the event: the number a report prints."""
        return pd.Series(self.recalibration.predict(self.log_odds(X)), index=X.index, name="p_event")

    def evidence(self) -> dict:
        """What findings.json says of the card: AUCs, the gain over the known baseline and its interval."""
        t = self.auc.set_index("model")
        g, lo, hi = self.gain("known")
        r = self.recalibration
        return {
            "auc": float(t.loc["stacked", "auc"]),
            "baseline": "balances and declared attributes",
            "baseline_auc": float(t.loc["known", "auc"]),
            "gain": g,
            "gain_low": lo,
            "gain_high": hi,
            "ci": self.ci,
            "calibration": {"method": r.method, "intercept": r.intercept, "slope": r.slope, "event_rate": r.event_rate},
            "n": self.n,
            "events": self.events,
        }


def auc_difference(y, a, b, *, ci: float = 0.95) -> tuple[float, float, float]:
    """AUC of score ``a`` minus AUC of score ``b`` on the same customers, with DeLong's interval.

    DeLong, DeLong & Clarke-Pearson (1988): each AUC is a two-sample U statistic, and the
    covariance of the two comes from each event's and non-event's placement among the
    other class (midranks count ties one half).  Exact enough at hundreds of events and,
    unlike a bootstrap of both curves, costs one sort per score.

    Returns
    -------
    tuple of float
        ``(difference, low, high)``.

    Examples
    --------
    >>> y = np.r_[np.zeros(50), np.ones(50)]
    >>> d, lo, hi = auc_difference(y, np.arange(100.0), np.zeros(100))
    >>> d, lo > 0.4
    (0.5, True)
    """
    y = np.asarray(y, dtype=float)
    pos, neg = y == 1, y == 0
    m, n = int(pos.sum()), int(neg.sum())
    v10, v01, aucs = [], [], []
    for s in (np.asarray(a, dtype=float), np.asarray(b, dtype=float)):
        r_all, r_pos, r_neg = rankdata(s), rankdata(s[pos]), rankdata(s[neg])
        p10 = (r_all[pos] - r_pos) / n  # each event: share of non-events below it
        p01 = 1 - (r_all[neg] - r_neg) / m  # each non-event: share of events above it
        aucs.append(p10.mean())
        v10.append(p10)
        v01.append(p01)
    s10, s01 = np.cov(np.vstack(v10)), np.cov(np.vstack(v01))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    d = float(aucs[0] - aucs[1])
    half = float(norm.ppf(0.5 + ci / 2) * np.sqrt(max(var, 0.0)))
    return d, d - half, d + half


def _stack(fp: Scorecard, known: KnownModel | None, X: pd.DataFrame, y) -> pd.Series:
    """The stacking regression of the two log-odds on the training rows."""
    parts = {"const": np.ones(len(X)), "footprint": fp.log_odds(X).to_numpy()}
    if known is not None and known.selected_:
        parts["known"] = known.log_odds(X).to_numpy()
    exog = pd.DataFrame(parts)
    return sm.Logit(np.asarray(y, dtype=float), exog).fit(disp=0, maxiter=100).params


def fit_evidence_card(
    side: str,
    train: pd.DataFrame,
    later: pd.DataFrame,
    signals: Sequence[str],
    baselines: Mapping[str, Sequence[str]],
    *,
    card_defaults: dict | None = None,
    method: Method = "auto",
    ci: float = 0.95,
    **card_options,
) -> EvidenceCard | Scorecard:
    """Fit the footprint and baseline cards on ``train``; judge and recalibrate them on ``later``.

    Parameters
    ----------
    side : {'value', 'risk'}
    train, later : pd.DataFrame
        Samples of two consecutive window pairs: ``y``, the signals and the baselines' columns.
    signals : sequence of str
        The footprint signals offered to the footprint card.
    baselines : mapping
        Name -> columns of each baseline card; ``'known'`` (what the bank already knows) is the
        one stacked with the footprints and the one the gain that gates a list is measured over.
    card_defaults : dict, optional
        Scorecard settings of the side (points direction, base odds).
    method : str
        :func:`~crmstudy.footprint.calibration.recalibrate`'s method.
    ci : float
        Level of the AUC gains' intervals (:func:`auc_difference`, on ``later``'s customers).
    **card_options
        Passed to every :class:`Scorecard`.

    Returns
    -------
    EvidenceCard, or the footprint Scorecard alone when it selected no signal (nothing to stack).
    """
    opts = {**(card_defaults or {}), **card_options}
    y0, y1 = train["y"].to_numpy(), later["y"].to_numpy(dtype=float)
    fp = Scorecard(**opts).fit(train[list(signals)], y0)
    if not fp.selected_:
        return fp
    cards = {name: KnownModel().fit(train[list(cols)], y0) for name, cols in baselines.items()}
    cols = {name: list(c) for name, c in baselines.items()}
    w = _stack(fp, cards.get("known"), train, y0)
    card = EvidenceCard(side, fp, cards, w, None, pd.DataFrame(), 0, 0, ci, cols)  # recalibrated below
    z = card.log_odds(later).to_numpy()
    scores = {"stacked": z, "footprint": fp.log_odds(later).to_numpy()}
    scores |= {name: c.log_odds(later[cols[name]]).to_numpy() for name, c in cards.items()}
    rows = []
    for model, s in scores.items():
        row = {"model": model, "auc": auc(y1, s), "gain": np.nan, "low": np.nan, "high": np.nan}
        if model in cards:
            row["gain"], row["low"], row["high"] = auc_difference(y1, z, s, ci=ci)
        rows.append(row)
    return EvidenceCard(
        side,
        fp,
        cards,
        w,
        recalibrate(z, y1, method=method),
        pd.DataFrame(rows),
        len(y1),
        int(y1.sum()),
        ci,
        cols,
    )


@dataclass(frozen=True, eq=False)
class EvidenceStudy(Result):
    """The deployed procedure run one step back, so that its probabilities and gains are checked out of time.

    Four consecutive windows: develop on signals of the first against outcomes of the second,
    judge and recalibrate on the second against the third (what :func:`score_customers` does
    on the bank's latest months), check on the third against the fourth, months neither
    step saw.

    Attributes
    ----------
    cards : dict
        Side -> :class:`EvidenceCard` (or the footprint :class:`Scorecard` when it selected no
        signal); a side with too few events in a window is missing.
    checks : pd.DataFrame
        One row per side and ``probability`` (``card``: the developed card's own; ``calibrated``:
        recalibrated on the third window): the :class:`~crmstudy.footprint.calibration.CalibrationCheck`
        figures on the fourth window (``slope``, ``slope_low``, ``slope_high``, ``intercept``,
        ``predicted``, ``observed``, ``relative``, ``n``, ``events``).
    reliability : pd.DataFrame
        ``side``, ``probability`` and the reliability table (deciles) on the fourth window.
    auc : pd.DataFrame
        ``side``, ``model`` (``stacked``, ``footprint``, ``known``, ``balance``, ``declared``),
        ``auc`` on the fourth window and the stacked score's ``gain`` over each baseline with
        its DeLong interval ``low``–``high``.
    windows : list of Period
    """

    cards: dict
    checks: pd.DataFrame
    reliability: pd.DataFrame
    auc: pd.DataFrame
    windows: list

    _frame = "checks"


def evidence_out_of_time(
    data,
    *,
    months: int | None = None,
    method: Method = "auto",
    ci: float = 0.95,
    signals: list[str] | None = None,
    min_events: int = 10,
    **card_options,
) -> EvidenceStudy:
    """Check the deployed procedure out of time: calibration and what footprints add (:class:`EvidenceStudy`).

    Parameters
    ----------
    data : Bank, BankFiles or path
    months : int, optional
        Length of each of the four windows (default: the bank's whole months // 4).
    method : str
        :func:`~crmstudy.footprint.calibration.recalibrate`'s method.
    ci : float
        Level of the slope's and the gains' intervals.
    signals : list of str, optional
        Restrict the footprint signals.
    min_events : int
        Fewest events in each window; a side with fewer is left out of ``cards`` and the tables.
    **card_options
        Passed to every :class:`Scorecard`.
    """
    from ..bank import Bank
    from ..feature_defs import engine_of
    from .calibration import calibration_check
    from .design import _CARD_DEFAULTS, consecutive_windows

    bank = Bank.of(data)
    eng = engine_of(bank)
    w = consecutive_windows(bank.period, 4, months=months)
    pairs = {"train": (w[0], w[1]), "later": (w[1], w[2]), "check": (w[2], w[3])}
    samples, names, known = window_samples(eng, pairs, signals=signals)
    declared = [c for c in known if c not in BALANCES]
    groups = {"known": known, "balance": list(BALANCES), "declared": declared}
    cards, checks, reliability, aucs = {}, [], [], []
    for side in ("value", "risk"):
        train, later, check = (samples[(side, k)] for k in pairs)
        if min(int(d["y"].sum()) for d in (train, later, check)) < max(min_events, 1) or any(
            d["y"].all() for d in (train, later, check)
        ):
            continue  # too few events in some window to develop, recalibrate or check a card
        card = fit_evidence_card(
            side, train, later, names, groups, card_defaults=_CARD_DEFAULTS[side], method=method, ci=ci, **card_options
        )
        cards[side] = card
        if isinstance(card, Scorecard):
            continue
        y = check["y"].to_numpy(dtype=float)
        z = card.log_odds(check).to_numpy()
        for prob, p in (("card", 1 / (1 + np.exp(-z))), ("calibrated", card.recalibration.predict(z))):
            c = calibration_check(y, p, ci=ci)
            checks.append({"side": side, "probability": prob} | {k: v for k, v in c._scalars().items()})
            reliability.append(c.reliability.assign(side=side, probability=prob))
        scores = {"stacked": z, "footprint": card.footprint.log_odds(check).to_numpy()}
        scores |= {g: c.log_odds(check[groups[g]]).to_numpy() for g, c in card.baselines.items()}
        for model, s in scores.items():
            row = {"side": side, "model": model, "auc": auc(y, s), "gain": np.nan, "low": np.nan, "high": np.nan}
            if model in card.baselines:
                row["gain"], row["low"], row["high"] = auc_difference(y, z, s, ci=ci)
            aucs.append(row)
    lead = ["side", "probability"]
    rel = pd.concat(reliability, ignore_index=True) if reliability else pd.DataFrame(columns=lead)
    check_cols = lead + ["slope", "slope_low", "slope_high", "intercept", "predicted", "observed", "relative"]
    return EvidenceStudy(
        cards=cards,
        checks=pd.DataFrame(checks, columns=check_cols + ["n", "events"]),
        reliability=rel[lead + [c for c in rel.columns if c not in lead]],
        auc=pd.DataFrame(aucs, columns=["side", "model", "auc", "gain", "low", "high"]),
        windows=w,
    )
