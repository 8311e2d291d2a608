"""The out-of-time evaluation: its windows, its samples, and both scorecards against the baseline.

Both footprint scorecards and the baseline on the declared attributes are fitted on earlier
months and tested on later ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..bank import Bank
from ..errors import DataError, ParamsError
from ..feature_defs import engine_of
from ..features import Period
from ..results import Result
from ._bank import _is_in
from .catalogue import _BY_NAME, _own
from .outcomes import declared_attributes, risk_outcome, value_outcome
from .scorecard import Scorecard
from .signals import _transactions, compute_signals
from .validation import _bootstrap, _interval, auc, brier, calibration_table, ks


@dataclass(frozen=True)
class Design:
    """The windows of an out-of-time evaluation.

    Signals come from ``*_signals``; outcomes from the ``*_outcome`` window that follows.
    The test outcome comes after the training outcome, so the model is judged on months it
    never saw.  The test signal window may overlap the training outcome: by the time the
    model is used, those months are history.
    """

    train_signals: Period
    train_outcome: Period
    test_signals: Period
    test_outcome: Period

    def __post_init__(self):
        for sig, out, what in (
            (self.train_signals, self.train_outcome, "train"),
            (self.test_signals, self.test_outcome, "test"),
        ):
            if sig.end >= out.start:
                raise ParamsError(
                    f"footprint design: the {what} signal window must end before its outcome "
                    f"window starts ({sig.end} ≥ {out.start})"
                )
        if self.test_outcome.start <= self.train_outcome.end:
            raise ParamsError(
                f"footprint design: the test outcome window must start after the training outcome "
                f"window ends ({self.test_outcome.start} ≤ {self.train_outcome.end})"
            )

    def describe(self) -> str:
        """The windows in one line: ``fit on signals Jan 2025–Apr 2025 → outcomes May 2025–Aug 2025; test on ...``."""
        f = lambda p: f"{p.start:%b %Y}–{p.end:%b %Y}"  # noqa: E731
        return (
            f"fit on signals {f(self.train_signals)} → outcomes {f(self.train_outcome)}; "
            f"test on signals {f(self.test_signals)} → outcomes {f(self.test_outcome)}"
        )


def _add_months(d: date, k: int) -> date:
    m = d.month - 1 + k
    return date(d.year + m // 12, m % 12 + 1, 1)


_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}


def consecutive_windows(period: Period, count: int, *, months: int | None = None) -> list[Period]:
    """``count`` consecutive windows of ``months`` whole months from the period's first whole month.

    ``months`` defaults to the most that fit (whole months // ``count``).

    Examples
    --------
    >>> [f"{w.start:%b}–{w.end:%b}" for w in consecutive_windows(Period.of("2025-01-01", "2025-12-31"), 4)]
    ['Jan–Mar', 'Apr–Jun', 'Jul–Sep', 'Oct–Dec']
    """
    first = period.start if period.start.day == 1 else _add_months(period.start, 1)
    whole = (
        (period.end.year - first.year) * 12
        + period.end.month
        - first.month
        + (1 if (period.end + timedelta(days=1)).day == 1 else 0)
    )
    months = months or whole // count
    if months < 1 or count * months > whole:
        raise ParamsError(
            f"footprint design: the period {period.start}–{period.end} holds {whole} whole months; "
            f"{_COUNT_WORDS.get(count, count)} windows of {months} month(s) do not fit"
        )
    return [
        Period(_add_months(first, i * months), _add_months(first, (i + 1) * months) - timedelta(days=1))
        for i in range(count)
    ]


def default_design(period: Period, *, months: int | None = None) -> Design:
    """Three equal windows of whole months: signals → outcome (train), then → outcome (test).

    For the one-year synthetic bank: fit on signals of Jan–Apr and outcomes of May–Aug,
    test on signals of May–Aug and outcomes of Sep–Dec.
    """
    w = consecutive_windows(period, 3, months=months)
    return Design(w[0], w[1], w[1], w[2])


@dataclass(frozen=True, eq=False)
class OutOfTime(Result):
    """An out-of-time evaluation of both scores against the declared baseline.

    Attributes
    ----------
    metrics : pd.DataFrame
        Tidy: ``target`` (value, risk), ``model`` (footprint, declared, and
        ``footprint − declared`` for what the footprints add: a paired bootstrap),
        ``metric`` (auc, ks, brier), ``estimate``, ``low``, ``high``, ``n``, ``events``.
    calibration : pd.DataFrame
        Tidy: ``target``, ``model`` and :func:`calibration_table` columns.
    iv : pd.DataFrame
        Tidy: ``target``, ``model`` and the training Information Value of every signal.
    scorecards : dict
        ``(target, model)`` → fitted :class:`Scorecard`.
    samples : dict
        ``(target, 'train' | 'test')`` → the sample: ``customer_id``, signals, declared
        attributes, ``y``.
    design : Design
    seconds : float
        Wall time of the whole evaluation.
    """

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    iv: pd.DataFrame
    scorecards: dict
    samples: dict
    design: Design
    seconds: float

    _frame = "metrics"

    def card(self, target: str = "value", model: str = "footprint") -> Scorecard:
        """The fitted scorecard of a target and model."""
        try:
            return self.scorecards[(target, model)]
        except KeyError:
            raise ParamsError(
                f"out_of_time: no scorecard ({target!r}, {model!r}); valid: {', '.join(map(str, self.scorecards))}"
            ) from None

    def summary(self) -> pd.DataFrame:
        """One row per target and model: each metric as ``estimate (low–high)``."""
        m = self.metrics.assign(
            text=[
                f"{e:.3f} ({lo:.3f}–{hi:.3f})"
                for e, lo, hi in zip(self.metrics["estimate"], self.metrics["low"], self.metrics["high"])
            ]
        )
        wide = m.pivot_table(index=["target", "model"], columns="metric", values="text", aggfunc="first")
        counts = m.groupby(["target", "model"])[["n", "events"]].first()
        out = wide.join(counts).reset_index()
        return out[["target", "model", "n", "events", "auc", "ks", "brier"]]

    def example_customer(self, target: str = "value") -> str:
        """A good worked example: a test customer who had the event.

        Of those, one with the fullest footprint and, among them, the highest predicted probability.
        """
        test = self.samples[(target, "test")]
        card = self.card(target)
        cols = [c for c in test.columns if c in _BY_NAME]
        rank = pd.DataFrame(
            {
                "customer_id": test["customer_id"],
                "y": test["y"],
                "traces": test[cols].notna().sum(axis=1),
                "p": card.predict(test).to_numpy(),
            }
        )
        rank = rank[rank["y"] == 1] if rank["y"].any() else rank
        best = rank.sort_values(["traces", "p", "customer_id"], ascending=[False, False, True])
        return str(best["customer_id"].iloc[0])

    def reasons(self, customer_id: str, *, target: str = "value", top: int = 3) -> pd.DataFrame:
        """A test customer's top reasons on the footprint scorecard (:meth:`Scorecard.reasons`)."""
        return self.card(target).reasons(self._row(customer_id, target), top=top)

    def _row(self, customer_id: str, target: str) -> pd.DataFrame:
        test = self.samples[(target, "test")]
        row = test[test["customer_id"] == customer_id]
        if row.empty:
            raise DataError(f"out_of_time: customer {customer_id} is not in the {target} test sample")
        return row

    def explain(self, customer_id: str, *, target: str = "value", model: str = "footprint") -> pd.DataFrame:
        """One test-window customer's scorecard: each signal's value, bin, WoE and points."""
        card = self.card(target, model)
        row = self._row(customer_id, target)
        out = []
        for c in card.selected_:
            b = card.binners_[c]
            v = row[c].iloc[0]
            w = float(b.transform(row[c])[0])
            out.append(
                {
                    "signal": c,
                    "value": v,
                    "bin": b.labels(row[c])[0],
                    "woe": w,
                    "points": card.factor_ * card._sign() * card.coef_[c] * w,
                }
            )
        out.append(
            {
                "signal": "(intercept points)",
                "value": np.nan,
                "bin": "",
                "woe": np.nan,
                "points": card.intercept_points_,
            }
        )
        df = pd.DataFrame(out)
        total = pd.DataFrame(
            [{"signal": "total", "value": np.nan, "bin": "", "woe": np.nan, "points": df["points"].sum()}]
        )
        return pd.concat([df, total], ignore_index=True)


def active_customers(data, window: Period) -> set[str]:
    """Customers with at least one transaction of their own (not a payroll credit) in the window.

    Footprint scores are for customers who leave footprints.  A dormant customer has none to
    read; keeping them would let "no transactions" stand in for "small balances" (dormant
    customers hold less, in both synthetic banks), and the value outcome, which crosses
    asset bars, would then be predictable from dormancy even in the null bank.

    ``data`` is a Bank, BankFiles, path, duckdb connection or Engine
    (:func:`crmstudy.feature_defs.engine_of`).
    """
    eng = engine_of(data)
    tx = _transactions(eng.tables, window)
    return set(eng.to_pandas(tx.filter(_own(tx)).select("customer_id").distinct())["customer_id"])


def _sample(
    signals: pd.DataFrame, outcome: pd.DataFrame, active: set[str], declared: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Outcome, signals (and declared attributes) of the active customers of the outcome's population."""
    df = outcome.loc[_is_in(outcome["customer_id"], active), ["customer_id", "y"]].merge(
        signals, on="customer_id", how="left"
    )
    if declared is not None:
        df = df.merge(declared, on="customer_id", how="left")
    return df.reset_index(drop=True)


_CARD_DEFAULTS = {
    "value": {"points_for": "event", "base_odds": 1.0},
    "risk": {"points_for": "non_event", "base_odds": 50.0},
}


def _compare(y: np.ndarray, probs: dict[str, np.ndarray], *, n_boot: int, ci: float, seed: int) -> pd.DataFrame:
    """AUC, KS and Brier of the footprint and declared probabilities, and the footprint's gain.

    The gain is over the declared baseline, with percentile intervals from the same (paired) resamples.
    """
    est = {m: {"auc": auc(y, p), "ks": ks(y, p), "brier": brier(y, p)} for m, p in probs.items()}
    boot = _bootstrap(y, probs, n_boot=n_boot, seed=seed) if n_boot else None
    rows = []
    for model in ("footprint", "declared", "footprint − declared"):
        for metric in ("auc", "ks", "brier"):
            if model == "footprint − declared":
                e = est["footprint"][metric] - est["declared"][metric]
                s = boot["footprint"][metric] - boot["declared"][metric] if boot else None
            else:
                e, s = est[model][metric], boot[model][metric] if boot else None
            lo, hi = _interval(s, ci) if s is not None else (float("nan"), float("nan"))
            rows.append(
                {
                    "model": model,
                    "metric": metric,
                    "estimate": e,
                    "low": lo,
                    "high": hi,
                    "n": len(y),
                    "events": int(y.sum()),
                }
            )
    return pd.DataFrame(rows)


def out_of_time(
    data,
    *,
    design: Design | None = None,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    signals: list[str] | None = None,
    **card_options,
) -> OutOfTime:
    """Fit both scores (and the declared baseline) on earlier months; test on later ones.

    Parameters
    ----------
    data : Bank, BankFiles or path
        A bank (its one DuckDB connection runs every query).
    design : Design, optional
        Defaults to :func:`default_design` of the bank's period.
    n_boot : int
        Bootstrap resamples of the test customers for the intervals.
    signals : list of str, optional
        Restrict the footprint signals.
    **card_options
        Passed to every :class:`Scorecard` (``n_permutations``, ``selection_level``, ``seed``, ``min_iv``,
        ``alpha``, ``min_bin_share``...).

    Returns
    -------
    OutOfTime
        Its ``metrics`` is the tidy table of AUC, KS and Brier with intervals.
    """
    t0 = time.perf_counter()
    bank = Bank.of(data)
    eng = engine_of(bank)
    design = design or default_design(bank.period)
    declared = declared_attributes(eng)
    sig = {w: compute_signals(eng, getattr(design, f"{w}_signals"), signals=signals) for w in ("train", "test")}
    names = [c for c in sig["train"].columns if c != "customer_id"]
    dec_names = [c for c in declared.columns if c != "customer_id"]
    outcomes = {
        ("value", "train"): value_outcome(eng, design.train_signals, design.train_outcome),
        ("value", "test"): value_outcome(eng, design.test_signals, design.test_outcome),
        ("risk", "train"): risk_outcome(eng, design.train_outcome, opened_before=design.train_signals.start),
        ("risk", "test"): risk_outcome(eng, design.test_outcome, opened_before=design.test_signals.start),
    }
    active = {w: active_customers(eng, getattr(design, f"{w}_signals")) for w in ("train", "test")}
    samples = {k: _sample(sig[k[1]], o, active[k[1]], declared) for k, o in outcomes.items()}
    metrics, calib, ivs, cards = [], [], [], {}
    for i, target in enumerate(("value", "risk")):
        train, test = samples[(target, "train")], samples[(target, "test")]
        probs = {}
        for model, cols in (("footprint", names), ("declared", dec_names)):
            card = Scorecard(**{**_CARD_DEFAULTS[target], **card_options}).fit(train[cols], train["y"])
            cards[(target, model)] = card
            probs[model] = card.predict(test[cols]).to_numpy()
            ivs.append(card.iv_.assign(target=target, model=model))
            calib.append(calibration_table(test["y"], probs[model], ci=ci).assign(target=target, model=model))
        metrics.append(
            _compare(test["y"].to_numpy(dtype=float), probs, n_boot=n_boot, ci=ci, seed=seed + i).assign(target=target)
        )
    lead = ["target", "model"]
    iv = pd.concat(ivs, ignore_index=True)
    cal = pd.concat(calib, ignore_index=True)
    met = pd.concat(metrics, ignore_index=True)
    return OutOfTime(
        metrics=met[["target"] + [c for c in met if c != "target"]],
        calibration=cal[lead + [c for c in cal if c not in lead]],
        iv=iv[lead + [c for c in iv if c not in lead]],
        scorecards=cards,
        samples=samples,
        design=design,
        seconds=time.perf_counter() - t0,
    )
