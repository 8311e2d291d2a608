"""Prospects: footprint value prospects and risk flags an RM can act on (source 002).

Two lists for one branch: the customers whose footprints say they are most likely to move
up a tier or take up a wealth product next, and the current borrowers whose footprints say
a loan may go bad.  Each line carries the customer's top reasons and one sentence to act
on within 24–48 hours (source 004: act on a customer event within 24–48 hours).

The scorecards are fitted on the whole bank (a branch alone is too small for a stable
model), but only the branch's own customers are listed, with masked ids and names.  The
two lists stand on their own: when one scorecard cannot be fitted (a small bank may see
too few delinquencies), the other list is still shown and the report says why the first
is missing.  A scorecard none of whose signals beat chance at the bank's number of events
(``FootprintScores.no_signal``) gives everyone the same score; its side shows no table, only
the sentence that no footprint signal beat chance at this size.  Every reader-facing string
comes from the catalogue (``prospects.*``, ``signal.*``) in the report's language, ``ctx.params.language``.
"""

from __future__ import annotations

import math

import pandas as pd
from babel.dates import format_interval

from ... import i18n
from ...errors import ParamsError
from ...footprint import SIGNALS, FootprintScores, default_design, score_customers
from ...period import Period
from ...privacy import mask_customers
from ...tiers import assign_tiers
from ..context import BranchContext, load_scores
from .base import Section

_SIGNALS = {s.name: s for s in SIGNALS}
#: How a reason writes a signal's value, by the signal's registry format: the message
#: ``signal_value.<kind>`` around a number in the reader's style (shares and amounts need none).
VALUE_KINDS = {
    "{:.0%}": "share",
    "{:,.0f} CNY": "money",
    "{:+.0%} a month": "trend",
    "{:.0f} L": "litres",
    "{:.1f} a month": "per_month",
    "{:.0f} categories": "categories",
    "{:.0f} lines": "lines",
}
_DIGITS = {"per_month": 1, "number": 2}

#: What this section needs besides customers with assets (checked centrally, ``sections._requires``).
REQUIRES = ("transactions", "holdings", "products")


# --- reasons and actions, in the reader's language ---------------------------------------------


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def signal_value(signal: str, value, lang: str = "en") -> str:
    """A signal's value as a reason writes it: ``'75%'``, ``'CNY 750'``, ``'每月1.2次'``."""
    kind = VALUE_KINDS.get(_SIGNALS[signal].fmt, "number")
    if kind == "share":
        return i18n.percent(value, lang, digits=0)
    if kind == "money":
        return i18n.money(value, lang, compact=False)
    if kind == "trend":
        text = ("+" if value >= 0 else "") + i18n.percent(value, lang, digits=0)
    else:
        text = i18n.number(value, lang, digits=_DIGITS.get(kind, 0))
    return text if kind == "number" else i18n.t(f"signal_value.{kind}", lang, value=text)


def reason_text(signal, value, fallback: str = "", lang: str = "en") -> str:
    """One reason, ``'premium fuel share 75%'`` / ``'加高标号油占比75%'``.

    A signal outside the registry keeps the scorecard's own words (``fallback``).
    """
    if signal not in _SIGNALS:
        return fallback
    key = f"signal.{signal}"
    label = i18n.t(key, lang) if i18n.has(key, lang) else _SIGNALS[signal].label
    if _missing(value):
        return i18n.t("signal_value.none", lang, label=label)
    return i18n.t("signal_value.reason", lang, label=label, value=signal_value(signal, value, lang))


def _sentence(reason: str | None, signal: str | None, side: str, lang: str) -> str:
    key = f"prospects.{side}_action.{signal}"
    action = i18n.t(key if signal and i18n.has(key, lang) else f"prospects.{side}_action.default", lang)
    lead = f"{reason[:1].upper()}{reason[1:]}" if reason else i18n.t("prospects.no_reason", lang)
    return i18n.t("prospects.sentence", lang, reason=lead, action=action)


def _actions(df: pd.DataFrame, side: str, lang: str) -> list[str]:
    text = lambda v: v if isinstance(v, str) else None  # noqa: E731  (NaN when no reason)
    return [_sentence(text(r), text(g), side, lang) for r, g in zip(df["top_reason"], df["top_signal"])]


def _why(reasons: pd.DataFrame, score: str, lang: str = "en") -> pd.DataFrame:
    """Per customer: the reasons joined, the top reason and its signal."""
    r = reasons[reasons["score"] == score].sort_values(["customer_id", "rank"])
    if r.empty:
        return pd.DataFrame(columns=["customer_id", "why", "top_reason", "top_signal"])
    r = r.assign(reason=[reason_text(s, v, f, lang) for s, v, f in zip(r["signal"], r["value"], r["reason"])])
    g = r.groupby("customer_id", sort=False)
    return pd.DataFrame(
        {
            "why": g["reason"].agg(i18n.t("prospects.reason_sep", lang).join),
            "top_reason": g["reason"].first(),
            "top_signal": g["signal"].first(),
        }
    ).reset_index()


def prospects_tables(
    scores: FootprintScores,
    features: pd.DataFrame,
    *,
    thresholds,
    top_n: int = 10,
    flag_ratio: float = 2.0,
    lang: str = "en",
    tiers: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two lists (unmasked): top value prospects, and flagged borrowers.

    A borrower is flagged when their (recalibrated) probability of delinquency is at least
    ``flag_ratio`` times the bank's rate in the latest window, the one the chances were
    recalibrated on.  A list whose scorecard was not fitted (``scores.value_card`` or
    ``risk_card`` is None: too few events, no signal beat chance, or the footprints add
    nothing to balances and declared attributes) is empty.  Reasons and actions are in
    ``lang``; ``tiers`` are the customers' tiers when the caller has them (else assigned
    from ``thresholds``).
    """
    if top_n < 1 or flag_ratio <= 0:
        raise ParamsError(f"prospects: 'top_n' must be at least 1 and 'flag_ratio' positive, got {top_n}, {flag_ratio}")
    f = features[["customer_id", "masked_name", "owner_staff_id"]].assign(
        tier=(assign_tiers(features, thresholds) if tiers is None else tiers).astype(str).to_numpy()
    )
    s = scores.scores.merge(f, on="customer_id")  # only the branch's own customers
    if scores.value_card is None:
        value = s.iloc[:0]
    else:
        value = s.sort_values(["value_p", "customer_id"], ascending=[False, True]).head(top_n)
    risk = _flagged(s, scores, flag_ratio).sort_values(["risk_p", "customer_id"], ascending=[False, True]).head(top_n)
    out = []
    for side, df in (("value", value), ("risk", risk)):
        listed = scores.reasons[scores.reasons["customer_id"].isin(df["customer_id"])]  # words for the few shown
        df = df.merge(_why(listed, side, lang), on="customer_id", how="left")
        out.append(df.assign(action=_actions(df, side, lang)).reset_index(drop=True))
    return out[0], out[1]


def _flagged(s: pd.DataFrame, scores: FootprintScores, flag_ratio: float) -> pd.DataFrame:
    """The rows of ``s`` (scores of the branch's customers) whose borrower meets the flag rule."""
    if scores.risk_card is None:
        return s.iloc[:0]
    return s[s["borrower"] & (s["risk_p"] >= flag_ratio * scores.base_rate("risk"))]


def flagged_count(scores: FootprintScores, features: pd.DataFrame, *, flag_ratio: float = 2.0) -> int:
    """How many of the branch's borrowers (``features``' customers) meet the flag rule, listed or not."""
    s = scores.scores[scores.scores["customer_id"].isin(features["customer_id"])]
    return int(len(_flagged(s, scores, flag_ratio)))


# --- the section ---------------------------------------------------------------------------------


def _ratio(x: float, lang: str) -> str:
    return i18n.number(x, lang, digits=0 if float(x).is_integer() else 1)


def _months(p: Period, lang: str) -> str:
    """``'May – Aug 2025'``, ``'2025年5月至8月'``."""
    return format_interval(p.start, p.end, "yMMM", locale=i18n.BABEL_LOCALES[lang])


def _show_value(s: Section, value: pd.DataFrame, scores: FootprintScores, lang: str) -> None:
    columns = ["customer_id", "masked_name", "owner_staff_id", "tier", "value_points", "value_p", "why", "action"]
    labels = {
        c: i18n.t(f"prospects.{k}", lang)
        for c, k in zip(columns, ["customer", "name", "owner", "tier", "value_points", "value_p", "why", "action"])
    }
    shown = mask_customers(value)
    shown["tier"] = [i18n.t(f"tier.{t}", lang) for t in shown["tier"]]
    s.table(
        shown[columns].rename(columns=labels),
        caption=i18n.t(
            "prospects.value_caption",
            lang,
            n=i18n.integer(len(value), lang),
            months=i18n.integer(scores.fit_design.test_outcome.days // 30, lang),
            rate=i18n.percent(scores.base_rate("value"), lang, digits=0),
        ),
        formats={
            labels["value_points"]: lambda v: i18n.number(v, lang, digits=0),
            labels["value_p"]: lambda v: i18n.percent(v, lang, digits=0),
        },
    )
    s.say(i18n.t("prospects.value_reading", lang, n=i18n.integer(len(value), lang)))


def _show_risk(
    s: Section, risk: pd.DataFrame, total: int, scores: FootprintScores, flag_ratio: float, lang: str
) -> None:
    """The risk table of the ``len(risk)`` highest of the ``total`` borrowers who meet the rule."""
    rate, ratio = i18n.percent(scores.base_rate("risk"), lang, digits=1), _ratio(flag_ratio, lang)
    if risk.empty:
        s.say(i18n.t("prospects.risk_none", lang, ratio=ratio, rate=rate))
        return
    columns = ["customer_id", "masked_name", "owner_staff_id", "risk_points", "risk_p", "why", "action"]
    labels = {
        c: i18n.t(f"prospects.{k}", lang)
        for c, k in zip(columns, ["customer", "name", "owner", "risk_points", "risk_p", "why", "action"])
    }
    s.table(
        mask_customers(risk)[columns].rename(columns=labels),
        caption=i18n.t("prospects.risk_caption", lang, ratio=ratio, rate=rate),
        formats={
            labels["risk_points"]: lambda v: i18n.number(v, lang, digits=0),
            labels["risk_p"]: lambda v: i18n.percent(v, lang, digits=1),
        },
    )
    if total > len(risk):  # say the true count: the table holds only the highest
        s.say(i18n.t("prospects.risk_listed", lang, total=i18n.integer(total, lang), n=i18n.integer(len(risk), lang)))
    s.say(i18n.t("prospects.risk_reading", lang, n=i18n.integer(total, lang)))


def _no_signal(side: str, card, window: str, lang: str) -> str:
    """The sentence for a card none of whose signals beat chance: no table, no list."""
    return i18n.t(
        f"prospects.{side}_no_signal",
        lang,
        events=i18n.integer(card.events_, lang),
        n=i18n.integer(card.n_, lang),
        window=window,
    )


def _gain_words(card, lang: str) -> dict:
    """An evidence card's AUCs and gain over what the bank knows, as a sentence writes them."""
    g, lo, hi = card.gain("known")
    t = card.auc.set_index("model")["auc"]
    points = lambda x: i18n.number(100 * x, lang, digits=1)  # noqa: E731
    return {
        "auc": i18n.number(t["stacked"], lang, digits=3),
        "baseline": i18n.number(t["known"], lang, digits=3),
        "gain": points(g),
        "low": points(lo),
        "high": points(hi),
        "level": i18n.percent(card.ci, lang, digits=0),
    }


def _adds(side: str, scores: FootprintScores, lang: str) -> str:
    """What the footprints add to balances and declared attributes, and the rate the chances were calibrated to."""
    card, d = scores.evidence[side], scores.calibration_design
    return i18n.t(
        "prospects.adds",
        lang,
        side=i18n.t(f"prospects.side.{side}", lang),
        window=_months(d.test_outcome, lang),
        rate=i18n.percent(scores.base_rate(side), lang, digits=1),
        **_gain_words(card, lang),
    )


def build(ctx: BranchContext, *, scores: FootprintScores | None = None) -> Section:
    """Show the branch's value prospects and risk flags; ``data`` holds the unmasked tables.

    The knobs are ``ctx.params.prospects``: ``top_n`` customers per list; a borrower is
    flagged at ``flag_ratio`` times the bank's delinquency rate or more; ``min_events`` is
    the fewest events in a scorecard's training window.

    Parameters
    ----------
    ctx : BranchContext
        The branch's context; ``ctx.params.language`` is the report's language.
    scores : FootprintScores, optional
        :func:`crmstudy.footprint.score_customers` of the whole bank; by default the slice the
        runner fitted once (``ctx.scores_path``), else fitted here on the whole bank.  Only this
        branch's customers are shown either way.

    Returns
    -------
    Section
        ``data``: ``prospects`` and ``risk_flags`` (unmasked DataFrames; empty for a scorecard that
        could not be fitted or selected no signal), ``scores`` (:class:`crmstudy.footprint.FootprintScores`,
        whose ``value_card`` or ``risk_card`` is then None), ``unfitted`` (scorecard -> the sentence
        the report said instead) and ``no_signal`` (scorecard whose signals none beat chance -> the
        sentence said instead).  ``summary``: ``value_status`` / ``risk_status`` (``'finding'`` or
        ``'no_finding'``), ``risk_total`` (every borrower of the branch who meets the flag rule),
        ``listed`` (rows shown per side), ``unfitted``, ``no_signal``.  Empty ``data``, with the
        reason said, when the period is too short for any scorecard.
    """
    lang, knobs = ctx.lang, ctx.params.prospects
    top_n, flag_ratio, min_events = knobs.top_n, knobs.flag_ratio, knobs.min_events
    s = Section("prospects")
    s.heading(i18n.t("prospects.heading", lang))
    try:
        default_design(ctx.period)
    except ParamsError:
        s.summary = _summary(None, pd.DataFrame(), pd.DataFrame(), 0)
        return s.say(i18n.t("prospects.no_design", lang, period=i18n.period(ctx.period.start, ctx.period.end, lang)))
    if scores is None:
        scores = load_scores(ctx.scores_path)
    if scores is None:  # one scorecard short of events must not take the other list with it: strict=False
        scores = score_customers(ctx.bank, period=ctx.period, branch=ctx.branch_id, min_events=min_events, strict=False)
    short = scores.unfitted
    value, risk = prospects_tables(
        scores, ctx.features, thresholds=ctx.thresholds, top_n=top_n, tiers=ctx.tiers, flag_ratio=flag_ratio, lang=lang
    )
    fit = scores.fit_design
    window = _months(fit.train_outcome, lang)
    unfitted = {
        side: i18n.t(
            f"prospects.{side}_unfitted",
            lang,
            n=i18n.integer(n, lang),
            window=_months(scores.short_windows.get(side, fit.train_outcome), lang),
            min=i18n.integer(max(min_events, 1), lang),
        )
        for side, n in short.items()
    }
    no_signal = {side: _no_signal(side, card, window, lang) for side, card in scores.no_signal.items()}
    no_signal |= {
        side: i18n.t(f"prospects.{side}_no_gain", lang, **_gain_words(card, lang))
        for side, card in scores.no_gain.items()
    }
    total = flagged_count(scores, ctx.features, flag_ratio=flag_ratio)
    if scores.value_card is None:
        s.say(no_signal.get("value") or unfitted["value"])
    else:
        _show_value(s, value, scores, lang)
        s.say(_adds("value", scores, lang))
    if scores.risk_card is None:
        s.say(no_signal.get("risk") or unfitted["risk"])
    else:
        _show_risk(s, risk, total, scores, flag_ratio, lang)
        s.say(_adds("risk", scores, lang))
    if scores.value_card is not None or scores.risk_card is not None:
        s.say(
            i18n.t(
                "prospects.fitted",
                lang,
                signals=_months(fit.train_signals, lang),
                outcomes=_months(fit.train_outcome, lang),
                months=i18n.integer(fit.test_signals.days // 30, lang),
            )
        )
    s.data = {"prospects": value, "risk_flags": risk, "scores": scores, "unfitted": unfitted, "no_signal": no_signal}
    s.summary = _summary(scores, value, risk, total) | {"unfitted": sorted(unfitted), "no_signal": sorted(no_signal)}
    s.summary["evidence"] = {side: card.evidence() for side, card in scores.evidence.items()}
    return s


def _summary(scores: FootprintScores | None, value: pd.DataFrame, risk: pd.DataFrame, total: int) -> dict:
    """Machine-readable: each side's status, the true count of flagged borrowers, the rows listed.

    ``status`` is ``'finding'`` when either side is; ``total`` the value prospects shown plus
    every borrower meeting the flag rule.  ``value_status`` / ``risk_status`` are ``'finding'``
    when the card selected signals and the side has rows to act on, else ``'no_finding'`` (no
    card, no signal beat chance, or no borrower meets the flag rule).
    """
    found = lambda side, rows: scores is not None and scores.status(side) == "finding" and len(rows) > 0  # noqa: E731
    either = found("value", value) or found("risk", risk)
    return {
        "status": "finding" if either else "no_finding",  # the section's own, for findings.json
        "total": int(len(value)) + int(total),  # value prospects shown, and every borrower meeting the flag rule
        "value_status": "finding" if found("value", value) else "no_finding",
        "risk_status": "finding" if found("risk", risk) else "no_finding",
        "risk_total": int(total),
        "listed": {"value": int(len(value)), "risk": int(len(risk))},
        "prospects": int(len(value)),
        "risk_flags": int(len(risk)),
    }
