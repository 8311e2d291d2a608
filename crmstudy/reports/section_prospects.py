"""The branch report's "prospects" section: footprint scores an RM can act on (seed 002).

Two lists for one branch: the customers whose footprints say they are most likely to move
up a tier or take up a wealth product next, and the current borrowers whose footprints say
a loan may go bad.  Each line carries the customer's top reasons and one sentence to act
on within 24–48 hours (seed 004: act on a customer event within 24–48 hours).

The scorecards are fitted on the whole bank (a branch alone is too small for a stable
model), but only the branch's own customers are listed, with masked ids and names.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ParamsError
from ..footprint import FootprintScores, TooFewEvents, default_design, score_customers
from ..privacy import mask_customers
from ..tiers import assign_tiers
from . import display as d
from .branch import TIER_LABELS

#: What to do when a signal is a customer's top reason for a high value score.
VALUE_ACTIONS = {
    "premium_fuel_share": "drives a good car: offer a car-owner credit card and a wealth review",
    "litres_per_fill": "drives a large car: offer a car-owner credit card and a wealth review",
    "air_trips": "flies often: offer a travel card with lounge access and a wealth review",
    "rail_trips": "travels often: offer a travel card and a wealth review",
    "dining_share": "dines out often: invite to the next wealth salon and offer a fund",
    "luxury_share": "buys luxury goods: invite to the next wealth salon and offer gold accumulation",
    "txn_amount": "pays large amounts: raise the e-banking limit and offer a wealth-management product",
    "visit_positive_share": "was warm at the last contact: call back with a wealth-management offer",
    "visit_sold_share": "has bought from the RM before: call back with the next product",
    "education_share": "pays for education: offer an education savings plan",
}
VALUE_DEFAULT = "an active customer: offer a first wealth product through the app"
#: What to do when a signal is a borrower's top reason for a high risk score.
RISK_ACTIONS = {
    "internet_lender_share": "repays internet lenders often: check repayment capacity before any new credit "
                             "and offer to consolidate",
    "external_credit_lines": "holds many internet-lender credit lines: review the limit and call before the "
                             "next instalment",
    "cash_share": "draws much cash: ask what it is for at the next visit and watch the next instalment",
    "payroll_regularity": "gets paid irregularly: confirm employer and income, and move the instalment "
                          "to after payday",
    "third_party_out_share": "moves money to payment apps: check where the repayment money will come from",
}
RISK_DEFAULT = "call before the next instalment is due and check cash flow; do not raise limits"


def _sentence(reason: str | None, signal: str | None, actions: dict, default: str) -> str:
    action = actions.get(signal, default) if signal else default
    lead = f"{reason[:1].upper()}{reason[1:]}" if reason else "No single trace stands out"
    return f"{lead} — {action}, within 48 hours."


def _actions(df: pd.DataFrame, actions: dict, default: str) -> list[str]:
    text = lambda v: v if isinstance(v, str) else None  # noqa: E731  (NaN when no reason)
    return [_sentence(text(r), text(g), actions, default) for r, g in zip(df["top_reason"], df["top_signal"])]


def _why(reasons: pd.DataFrame, score: str) -> pd.DataFrame:
    """Per customer: the reasons joined, the top reason and its signal."""
    r = reasons[reasons["score"] == score].sort_values(["customer_id", "rank"])
    if r.empty:
        return pd.DataFrame(columns=["customer_id", "why", "top_reason", "top_signal"])
    g = r.groupby("customer_id", sort=False)
    return pd.DataFrame({"why": g["reason"].agg("; ".join), "top_reason": g["reason"].first(),
                         "top_signal": g["signal"].first()}).reset_index()


def prospects_tables(scores: FootprintScores, features: pd.DataFrame, *, thresholds, top_n: int = 10,
                     flag_ratio: float = 2.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two lists (unmasked): top value prospects, and flagged borrowers.

    A borrower is flagged when their probability of delinquency is at least ``flag_ratio``
    times the bank's rate in the training window.
    """
    if top_n < 1 or flag_ratio <= 0:
        raise ParamsError(f"prospects: 'top_n' must be at least 1 and 'flag_ratio' positive, got {top_n}, {flag_ratio}")
    f = features[["customer_id", "masked_name", "owner_staff_id"]].assign(
        tier=assign_tiers(features, thresholds).astype(str).to_numpy())
    s = scores.scores.merge(f, on="customer_id")  # only the branch's own customers
    value = s.sort_values(["value_p", "customer_id"], ascending=[False, True]).head(top_n)
    value = value.merge(_why(scores.reasons, "value"), on="customer_id", how="left")
    value["action"] = _actions(value, VALUE_ACTIONS, VALUE_DEFAULT)
    bar = flag_ratio * scores.risk_card.event_rate_
    risk = s[s["borrower"] & (s["risk_p"] >= bar)].sort_values(["risk_p", "customer_id"], ascending=[False, True])
    risk = risk.head(top_n).merge(_why(scores.reasons, "risk"), on="customer_id", how="left")
    risk["action"] = _actions(risk, RISK_ACTIONS, RISK_DEFAULT)
    return value.reset_index(drop=True), risk.reset_index(drop=True)


def section_prospects(ctx, data_dir, *, top_n: int = 10, flag_ratio: float = 2.0,
                      scores: FootprintScores | None = None) -> dict:
    """Show the branch's value prospects and risk flags; return the unmasked tables.

    Parameters
    ----------
    ctx : crmstudy.reports.branch.BranchContext
    data_dir : path
        The bank folder the context was loaded from (the scorecards are fitted on all of it).
    top_n : int
        Customers per list.
    flag_ratio : float
        A borrower is flagged at ``flag_ratio`` times the bank's delinquency rate or more.
    scores : FootprintScores, optional
        :func:`crmstudy.footprint.score_customers` of the whole bank, when a runner computes
        it once for every branch; only this branch's customers are shown either way.

    Returns
    -------
    dict
        ``prospects`` and ``risk_flags`` (unmasked DataFrames) and ``scores``
        (:class:`crmstudy.footprint.FootprintScores`); empty, with the reason said in the
        report, when the period is too short or the bank too small for a scorecard.
    """
    d.heading("Prospects: what the footprints say")
    try:
        default_design(ctx.period)
    except ParamsError as exc:
        d.say(f"No prospects this time: {exc}. Footprint scores need three windows of whole months.")
        return {}
    try:
        scores = scores or score_customers(data_dir, period=ctx.period, branch=ctx.branch_id)
    except TooFewEvents as exc:
        d.say(f"No prospects this time: {exc}.")
        return {}
    value, risk = prospects_tables(scores, ctx.features, thresholds=ctx.thresholds, top_n=top_n,
                                   flag_ratio=flag_ratio)
    fit = scores.fit_design
    vrate, rrate = scores.value_card.event_rate_, scores.risk_card.event_rate_
    shown = mask_customers(value)
    shown["tier"] = shown["tier"].map(TIER_LABELS)
    d.show_table(shown[["customer_id", "masked_name", "owner_staff_id", "tier", "value_points", "value_p", "why",
                        "action"]].rename(columns={
        "customer_id": "Customer", "masked_name": "Name", "owner_staff_id": "Owner", "tier": "Tier now",
        "value_points": "Value points", "value_p": "Chance to move up", "why": "Why", "action": "What to do"}),
        caption=f"Top {len(value)} by value potential: chance of moving up a tier or taking up a wealth product "
                f"in the next {fit.test_outcome.days // 30} months (bank average {vrate:.0%})",
        formats={"Value points": ",.0f", "Chance to move up": "{:.0%}"})
    d.say(f"Footprints, not declarations, put these {len(value)} customers first: call them within 48 hours "
          f"with the offer in the last column.")
    if risk.empty:
        d.say(f"No current borrower's footprints put them at {flag_ratio:g} times the bank's delinquency rate "
              f"({rrate:.1%}) or more.")
    else:
        shownr = mask_customers(risk)
        d.show_table(shownr[["customer_id", "masked_name", "owner_staff_id", "risk_points", "risk_p", "why",
                             "action"]].rename(columns={
            "customer_id": "Customer", "masked_name": "Name", "owner_staff_id": "Owner", "risk_points": "Risk points",
            "risk_p": "Chance of delinquency", "why": "Why", "action": "What to do"}),
            caption=f"Risk flags: borrowers at {flag_ratio:g}× the bank's delinquency rate ({rrate:.1%}) or more; "
                    f"fewer points, more risk",
            formats={"Risk points": ",.0f", "Chance of delinquency": "{:.1%}"})
        d.say(f"{len(risk)} borrowers leave the footprints of a loan going bad: their owners should call before "
              f"the next instalment, and no limit should rise until they have.")
    d.say(f"The scores were fitted on the whole bank, signals of {fit.train_signals.start:%b}–"
          f"{fit.train_signals.end:%b %Y} against outcomes of {fit.train_outcome.start:%b}–"
          f"{fit.train_outcome.end:%b %Y}, and read each customer's last {fit.test_signals.days // 30} months; "
          f"notebooks/training/03_footprints.ipynb shows how well they rank out of time.")
    return {"prospects": value, "risk_flags": risk, "scores": scores}
