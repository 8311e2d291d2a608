"""The deployed footprint scorecards, for reports.

Current customers' scores and reasons, and one customer's footprint next to the bank's.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
import pandas as pd

from ..bank import Bank
from ..errors import DataError, ParamsError, SignalSkipped, TooFewEvents
from ..feature_defs import customer_assets, engine_of
from ..features import Period
from ..results import Result
from ._bank import _is_in
from .catalogue import _BY_NAME
from .design import _CARD_DEFAULTS, Design, active_customers, default_design
from .evidence import fit_evidence_card, window_samples, with_known
from .outcomes import declared_attributes, risk_outcome
from .scorecard import Scorecard
from .signals import compute_signals


@dataclass(frozen=True, eq=False)
class FootprintScores(Result):
    """Both scores of the current customers, fitted on the latest complete windows.

    Attributes
    ----------
    scores : pd.DataFrame
        One row per customer: ``customer_id``, ``value_p`` (probability of moving up a tier or
        taking up a wealth product next window), ``value_points``, ``borrower`` (holds open
        credit and is not delinquent), ``risk_p`` and ``risk_points`` (borrowers only).
    reasons : pd.DataFrame
        ``customer_id``, ``score`` (value, risk) and :meth:`Scorecard.reasons` columns.
    value_card, risk_card : Scorecard or None
        None for a card that was not fitted (``strict=False`` and too few events), and for
        a card that selected no signal (see ``no_signal``): a card that ranks no one is no
        list, so it is treated as unfitted, its columns NaN and its reasons empty.
    fit_design : Design
        ``train_signals`` → ``train_outcome`` is what the scorecards were fitted on;
        customers are scored on ``test_signals`` (the latest window) for ``test_outcome``,
        the window after the data ends.
    seconds : float
    unfitted : dict
        Card (``value``, ``risk``) -> the events its training window held, for each card
        left unfitted; empty when both were fitted.
    no_signal : dict
        Card -> the fitted :class:`Scorecard` whose signals none beat chance at the bank's
        number of events (``selected_ == []``; its ``iv_`` says how close each came and
        ``iv_threshold_`` what it had to beat); empty when both cards found something.
    no_gain : dict
        Card -> its :class:`~crmstudy.footprint.evidence.EvidenceCard` when the card selected
        signals but, out of time, added nothing to what balances and declared attributes
        say (the interval of the AUC gain reaches 0): it scores no one either.
    evidence : dict
        Card -> :class:`~crmstudy.footprint.evidence.EvidenceCard` of every card that selected
        signals: its gain over the known baseline, its recalibration (``value_p`` and
        ``risk_p`` are its calibrated probabilities).
    calibration_design : Design
        The windows: developed on ``train_signals`` → ``train_outcome``, judged and
        recalibrated on ``test_signals`` → ``test_outcome`` (the latest months).
    short_windows : dict
        Card -> the outcome window that held too few events (the ``unfitted`` count's).
    """

    scores: pd.DataFrame
    reasons: pd.DataFrame
    value_card: Scorecard | None
    risk_card: Scorecard | None
    fit_design: Design
    seconds: float
    unfitted: dict = field(default_factory=dict)
    no_signal: dict = field(default_factory=dict)
    no_gain: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    calibration_design: Design | None = None
    short_windows: dict = field(default_factory=dict)

    _frame = "scores"

    def status(self, side: str) -> str:
        """``'finding'``, ``'no_finding'`` or ``'unfitted'`` of one card.

        ``'finding'``: the card selected signals and they add to what the bank knows;
        ``'no_finding'``: no signal beat chance, or the footprints add nothing out of time.
        """
        if side not in ("value", "risk"):
            raise ParamsError(f"FootprintScores.status: side must be 'value' or 'risk', got {side!r}")
        if getattr(self, f"{side}_card") is not None:
            return "finding"
        return "no_finding" if side in self.no_signal or side in self.no_gain else "unfitted"

    def base_rate(self, side: str) -> float:
        """The event rate of the latest window, on which the probabilities were recalibrated (NaN without a card)."""
        card = self.evidence.get(side)
        return card.recalibration.event_rate if card is not None else float("nan")

    def split(self, group_of: pd.Series) -> dict:
        """The scores cut into one :class:`FootprintScores` per group of customers, e.g. per branch.

        Parameters
        ----------
        group_of : pd.Series
            Group (e.g. ``branch_id``) indexed by ``customer_id``.  Customers it
            does not name are left out.

        Returns
        -------
        dict
            Group -> the scores and reasons of its customers only, with the same
            scorecards and design (a branch's report then loads its own rows).
        """
        by = {}
        for name, part in (("scores", self.scores), ("reasons", self.reasons)):
            groups = part["customer_id"].map(group_of)
            for g, rows in part.groupby(groups, sort=True):
                by.setdefault(g, {"scores": self.scores.iloc[:0], "reasons": self.reasons.iloc[:0]})[name] = (
                    rows.reset_index(drop=True)
                )
        return {g: replace(self, **parts) for g, parts in by.items()}


#: Columns of :attr:`FootprintScores.reasons`.
REASON_COLUMNS = ["customer_id", "score", "rank", "signal", "value", "bin", "log_odds", "points", "reason"]
_OUTCOME_WORDS = {"value": "customers moving up", "risk": "first delinquencies"}


def score_customers(
    data,
    *,
    period: Period | None = None,
    branch: str | None = None,
    top: int = 3,
    signals: list[str] | None = None,
    min_events: int = 10,
    strict: bool = True,
    require_gain: bool = True,
    recalibration: str = "auto",
    **card_options,
) -> FootprintScores:
    """Fit both footprint scorecards on the whole bank, judge and recalibrate them on the latest months, score.

    The period's three windows (:func:`default_design`): each scorecard is developed on
    signals of the first window against outcomes of the second (the whole bank, so that a
    small branch gets a stable model), stacked on a scorecard of what the bank already
    knows (balances and declared attributes, :mod:`~crmstudy.footprint.evidence`); on
    signals of the second window against outcomes of the third, months the cards never
    saw, the footprints' AUC gain over the known card is measured (DeLong interval) and
    the probabilities recalibrated (:func:`~crmstudy.footprint.calibration.recalibrate`).
    The cards are then applied to the signals of the last window: a forecast for the
    window after the data ends, in probabilities the latest window confirms.

    Parameters
    ----------
    data : Bank, BankFiles or path
        The bank (its one DuckDB connection runs every query).
    period : Period, optional
        Defaults to the bank's period; its last third is "now".
    branch : str, optional
        Return only this branch's customers (the fit still uses the whole bank).
    top : int
        Reasons per customer and score.
    min_events : int
        Fewest events of each outcome in the development and in the latest window.
    require_gain : bool
        Score with a card only when its footprints add to what the bank knows (the interval
        of the AUC gain over the known card lies above 0); else it goes to ``no_gain``.
    recalibration : str
        :func:`~crmstudy.footprint.calibration.recalibrate`'s ``method``.
    strict : bool
        Raise when either card cannot be fitted (the default).  With ``False`` a card
        short of events is left out (None, its columns empty, its events in
        ``unfitted``) and the other is still fitted: one list must not take the other
        with it in a report.
    **card_options
        Passed to both :class:`Scorecard` (``n_permutations``, ``selection_level``, ``seed``,
        ``min_iv``...).  A card none of whose signals beat the permutation test is kept in
        ``no_signal`` and scores no one, whatever ``strict`` says: that is a finding (nothing
        to act on), not an error.

    Raises
    ------
    TooFewEvents
        ``strict`` and a training window holding fewer than ``min_events`` events of either
        outcome (or nothing but events).
    """
    t0 = time.perf_counter()
    bank = Bank.of(data)
    eng = engine_of(bank)
    d = default_design(period or bank.period)
    # develop on the first pair of windows, recalibrate (and judge against what the bank knows)
    # on the latest pair, score the latest window's signals for the window after the data ends
    after = d.test_outcome.end + timedelta(days=1)
    fit = Design(
        d.train_signals, d.train_outcome, d.test_outcome, Period(after, after + timedelta(days=d.test_outcome.days - 1))
    )
    samples, names, known = window_samples(
        eng, {"train": (d.train_signals, d.train_outcome), "later": (d.test_signals, d.test_outcome)}, signals=signals
    )
    declared = declared_attributes(eng)
    cards, unfitted, no_signal, no_gain, evidence, short_windows = {}, {}, {}, {}, {}, {}
    for side in ("value", "risk"):
        train, later = samples[(side, "train")], samples[(side, "later")]
        events = int(train["y"].sum())
        events_later = int(later["y"].sum())
        if min(events, events_later) < max(min_events, 1) or events == len(train) or events_later == len(later):
            if strict:
                raise TooFewEvents(
                    f"footprint: {min(events, events_later)} {_OUTCOME_WORDS[side]} among {len(train)} customers in "
                    f"{fit.train_outcome.start}–{d.test_outcome.end}; a scorecard needs at least "
                    f"{min_events} in each window, and some customers without"
                )
            unfitted[side] = min(events, events_later)
            short_windows[side] = fit.train_outcome if events <= events_later else d.test_outcome
            continue
        card = fit_evidence_card(
            side,
            train,
            later,
            names,
            {"known": known},
            card_defaults=_CARD_DEFAULTS[side],
            method=recalibration,
            **card_options,
        )
        # a card without a signal gives everyone the same score: listing "the top ten" of it
        # would list the first ids, so it is kept apart and scores no one; so is a card whose
        # footprints add nothing out of time to what balances and declarations already say
        if isinstance(card, Scorecard):
            no_signal[side] = card
            continue
        evidence[side] = card
        if card.adds or not require_gain:
            cards[side] = card.footprint
        else:
            no_gain[side] = card
    del samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SignalSkipped)  # already said once for the training window
        now = compute_signals(eng, fit.test_signals, branch=branch, signals=signals)
    current = eng.to_pandas(customer_assets(eng.tables, fit.test_signals, branch=branch))
    holders = set(current.loc[current["end_assets"] > 0, "customer_id"])
    borrowers = set(risk_outcome(eng, Period(after, after), opened_before=after)["customer_id"])
    now = now[_is_in(now["customer_id"], (holders | borrowers) & active_customers(eng, fit.test_signals))]
    now = with_known(now.reset_index(drop=True), current.merge(declared, on="customer_id", how="right"))
    out = now[["customer_id"]].assign(borrower=_is_in(now["customer_id"], borrowers))
    reasons = []
    for side, rows in (("value", pd.Series(True, index=out.index)), ("risk", out["borrower"])):
        card = cards.get(side)
        out[f"{side}_p"] = evidence[side].predict(now).where(rows).to_numpy() if card else np.nan
        out[f"{side}_points"] = card.points(now).where(rows).to_numpy() if card else np.nan
        if card is not None:
            reasons.append(card.reasons(now[rows.to_numpy()], top=top).assign(score=side))
    reasons = [r for r in reasons if len(r)]
    reasons = pd.concat(reasons, ignore_index=True)[REASON_COLUMNS] if reasons else pd.DataFrame(columns=REASON_COLUMNS)
    out = out[["customer_id", "value_p", "value_points", "borrower", "risk_p", "risk_points"]]
    return FootprintScores(
        scores=out,
        reasons=reasons,
        value_card=cards.get("value"),
        risk_card=cards.get("risk"),
        fit_design=fit,
        seconds=time.perf_counter() - t0,
        unfitted=unfitted,
        no_signal=no_signal,
        no_gain=no_gain,
        evidence=evidence,
        calibration_design=d,
        short_windows=short_windows,
    )


def customer_footprint(data, customer_id: str | None = None, *, window: Period | None = None) -> pd.DataFrame:
    """One customer's signals next to the bank's: value, bank median and the customer's percentile.

    Parameters
    ----------
    data : Bank, BankFiles or path
    customer_id : str, optional
        Defaults to a customer with a full set of traces (fuel fills, travel, RM contacts),
        the first by id: a good worked example.
    window : Period, optional
        Defaults to the first window of :func:`default_design`.
    """
    bank = Bank.of(data)
    window = window or default_design(bank.period).train_signals
    sig = compute_signals(bank, window)
    if customer_id is None:
        full = sig.dropna()
        if "rail_trips" in full:
            full = full[full["rail_trips"] > 0]
        customer_id = (full if len(full) else sig)["customer_id"].iloc[0]
    row = sig[sig["customer_id"] == customer_id]
    if row.empty:
        raise DataError(f"customer_footprint: no customer {customer_id} in the bank")
    out = []
    for c in sig.columns.drop("customer_id"):
        v = row[c].iloc[0]
        col = sig[c].dropna()
        pct = float((col < v).mean() + 0.5 * (col == v).mean()) if pd.notna(v) and len(col) else float("nan")
        out.append(
            {
                "customer_id": customer_id,
                "signal": c,
                "label": _BY_NAME[c].label,
                "unit": _BY_NAME[c].unit,
                "value": v,
                "bank_median": float(col.median()) if len(col) else float("nan"),
                "percentile": pct,
            }
        )
    return pd.DataFrame(out)
