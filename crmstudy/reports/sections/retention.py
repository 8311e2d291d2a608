"""Retention: churn early warning, timely contact, the dormant book, tier migration (sources 000, 001, 003, 004).

The churn warning, the contact effect and the wake-up rate are estimated on the whole
bank (one branch has too few departures) and computed once per bank and process; the
lists and tables are this branch's.  A list of customers at risk appears only when the
warning, judged out of time, beats chance and the recency-and-balance-trend baseline
(paired interval above 0) and its calibration slope is within ``retention.slope_band``;
the contact and wake-up sentences ask staff to act only when their intervals exclude 0.
"""

from __future__ import annotations

import functools
import math

import pandas as pd

from ... import i18n
from ...lifecycle import churn, dormancy, migration, weekly
from ...privacy import mask_customers
from ...tiers import TIERS
from ..context import BranchContext
from .base import Section

REQUIRES = ("transactions", "holdings", "staff", "customers.owner_staff_id")
_RANK = {t: k for k, t in enumerate(TIERS)}


#: Every customer's churn score on a day, once per run (the branch takes its own rows).
_scores = churn.cached_score


def _pct(x, lang) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else i18n.percent(x, lang)


def _signed(x, lang) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return ("+" if x > 0 else "") + i18n.percent(x, lang)


def _warning(s: Section, ctx: BranchContext, ev, summary: dict) -> None:
    lang, rp = ctx.lang, ctx.params.retention
    num = functools.partial(i18n.number, lang=lang)
    s.heading(i18n.t("retention.warning.heading", lang), level=3)
    if ev is None:
        split = i18n.date(churn.default_split(ctx.bank.period), lang)
        s.say(i18n.t("retention.warning.not_fitted", lang, split=split))
        summary.update(warning="not_applicable", at_risk=0, listed=0)
        return
    auc, lo, hi = ev.value("auc_90")
    base = ev.value("baseline_auc_90")[0]
    gain, glo, ghi = ev.value("auc_gain")
    slope = ev.value("calibration_slope")[0]
    split = i18n.date(ev.model.cutoff, lang)
    s.say(
        i18n.t(
            "retention.warning.judged",
            lang,
            split=split,
            auc=num(auc),
            auc_low=num(lo),
            auc_high=num(hi),
            base=num(base),
            gain=num(gain),
            gain_low=num(glo),
            gain_high=num(ghi),
            slope=num(slope),
        )
    )
    band = tuple(rp.slope_band)
    reasons = []
    if not lo > 0.5:
        reasons.append(i18n.t("retention.warning.reason_chance", lang))
    if not glo > 0:
        reasons.append(i18n.t("retention.warning.reason_baseline", lang))
    if not band[0] <= slope <= band[1]:
        reasons.append(
            i18n.t("retention.warning.reason_calibration", lang, slope=num(slope), low=num(band[0]), high=num(band[1]))
        )
    summary.update(auc=auc, auc_low=lo, auc_high=hi, baseline_auc=base, auc_gain_low=glo, calibration_slope=slope)
    if reasons:
        s.say(i18n.t("retention.warning.no_finding", lang, reason="; ".join(reasons)))
        summary.update(warning="no_finding", at_risk=0, listed=0)
        return
    scores = _scores(ctx.bank, ctx.period.end)
    mine = ctx.features[["customer_id", "masked_name", "owner_staff_id", "ada"]].merge(scores, on="customer_id")
    threshold = rp.risk_threshold
    risky = mine[mine["p_churn_90d"] >= threshold].sort_values("p_churn_90d", ascending=False)
    shown = risky.head(rp.top_n)
    s.data["at_risk"] = risky
    summary.update(warning="finding", at_risk=int(len(risky)), listed=int(len(shown)))
    if risky.empty:
        s.say(i18n.t("retention.warning.none_at_risk", lang, threshold=i18n.percent(threshold, lang)))
    else:
        table = mask_customers(shown[["customer_id", "masked_name", "owner_staff_id", "ada", "p_churn_90d"]])
        table = table.assign(
            ada=table["ada"].map(lambda x: i18n.money(x, lang)),
            p_churn_90d=table["p_churn_90d"].map(lambda x: _pct(x, lang)),
        )
        s.table(_labels(table, lang), caption=i18n.t("retention.warning.caption", lang))
        s.say(
            i18n.t(
                "retention.warning.at_risk",
                lang,
                total=i18n.integer(len(risky), lang),
                threshold=i18n.percent(threshold, lang),
                listed=i18n.integer(len(shown), lang),
            )
        )
    drivers = ev.model.drivers()[["covariate", "odds_ratio", "or_low", "or_high", "selected"]]
    drivers = drivers.assign(
        covariate=drivers["covariate"].map(lambda c: i18n.t(f"retention.driver.{c}", lang)),
        selected=drivers["selected"].map(lambda b: i18n.t("common.yes" if b else "common.no", lang)),
        **{c: drivers[c].map(lambda x: num(x)) for c in ("odds_ratio", "or_low", "or_high")},
    )
    s.table(_labels(drivers, lang), caption=i18n.t("retention.warning.drivers_caption", lang))


def _labels(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    return df.rename(columns={c: i18n.t(f"retention.col.{c}", lang) for c in df.columns})


def _contact(s: Section, ctx: BranchContext, ce, summary: dict) -> None:
    lang, rp = ctx.lang, ctx.params.retention
    s.heading(i18n.t("retention.contact.heading", lang), level=3)
    fmt = {
        "drop": i18n.percent(rp.min_drop, lang, digits=0),
        "days": i18n.integer(rp.deadline_days, lang),
        "horizon": i18n.integer(rp.horizon_days, lang),
    }
    summary.update(contact_difference=ce.difference, contact_low=ce.diff_low, contact_high=ce.diff_high)
    if not (ce.n_in_time and ce.n_comparison):
        summary["contact"] = "not_applicable"
        s.say(i18n.t("retention.contact.none", lang, **fmt))
        return
    helps = ce.diff_high < 0
    summary["contact"] = "finding" if helps else "no_finding"
    s.say(
        i18n.t(
            "retention.contact.finding" if helps else "retention.contact.no_finding",
            lang,
            **fmt,
            rate_in=_pct(ce.rate_in_time, lang),
            rate_out=_pct(ce.rate_comparison, lang),
            diff=_signed(ce.difference, lang),
            low=_signed(ce.diff_low, lang),
            high=_signed(ce.diff_high, lang),
            n_in=i18n.integer(ce.n_in_time, lang),
            n_out=i18n.integer(ce.n_comparison, lang),
        )
    )


def _dormant(s: Section, ctx: BranchContext, wake, summary: dict) -> None:
    lang = ctx.lang
    s.heading(i18n.t("retention.dormancy.heading", lang), level=3)
    book = dormancy.dormant_book(ctx.bank, thresholds=ctx.thresholds, features=ctx.features)
    s.data["dormant_book"] = book
    n_dormant, n_all = int(book["dormant"].sum()), int(book["customers"].sum())
    summary.update(dormant=n_dormant, customers_not_left=n_all)
    shown = book.drop(columns="branch_id").assign(
        tier=book["tier"].map(lambda t: i18n.t(f"tier.{t}", lang)),
        dormant_share=book["dormant_share"].map(lambda x: i18n.percent(x, lang)),
        dormant_assets=book["dormant_assets"].map(lambda x: i18n.money(x, lang)),
    )
    s.table(_labels(shown, lang), caption=i18n.t("retention.dormancy.caption", lang))
    s.say(
        i18n.t(
            "retention.dormancy.book",
            lang,
            dormant=i18n.integer(n_dormant, lang),
            customers=i18n.integer(n_all, lang),
            assets=i18n.money(float(book["dormant_assets"].sum()), lang),
        )
    )
    # Contacts to dormant customers are not assigned at random (staff call whom they choose), so a
    # wake-up difference is an association, never a finding that tells staff to act: on tiny null
    # banks it excluded 0 in 2 of 6 seeds (8.3 points, 2.2 to 20.3) with nothing planted.
    wakes = wake.low > 0
    summary["wake_up"] = "no_finding"
    summary.update(
        wake_association=bool(wakes), wake_difference=wake.difference, wake_low=wake.low, wake_high=wake.high
    )
    s.say(
        i18n.t(
            "retention.dormancy.wake_association" if wakes else "retention.dormancy.wake_no_finding",
            lang,
            rate_c=_pct(wake.rate_contacted, lang),
            rate_o=_pct(wake.rate_other, lang),
            diff=_signed(wake.difference, lang),
            low=_signed(wake.low, lang),
            high=_signed(wake.high, lang),
        )
    )


def _migration(s: Section, ctx: BranchContext, summary: dict) -> None:
    lang = ctx.lang
    s.heading(i18n.t("retention.migration.heading", lang), level=3)
    moves = migration.migration(ctx.bank, thresholds=ctx.thresholds, branch=ctx.branch_id)
    s.data["migration"] = moves
    m = migration.transition_matrix(moves)
    before, after = moves["tier_before"].map(_RANK), moves["tier_after"].map(_RANK)
    both = before.notna() & after.notna()
    counts = {
        "up": int((after[both] < before[both]).sum()),
        "down": int((after[both] > before[both]).sum()),
        "same": int((after[both] == before[both]).sum()),
        "left": int((moves["tier_after"] == "left").sum()),
    }
    summary.update({f"moved_{k}": v for k, v in counts.items()})
    label = {t: i18n.t(f"tier.{t}", lang) for t in TIERS} | {
        "new": i18n.t("retention.col.new", lang),
        "left": i18n.t("retention.col.left", lang),
    }
    shown = m.rename(index=label, columns=label).reset_index()
    shown = shown.rename(columns={"tier_before": i18n.t("retention.col.tier_before", lang)})
    s.table(shown, caption=i18n.t("retention.migration.caption", lang))
    s.say(i18n.t("retention.migration.reading", lang, **{k: i18n.integer(v, lang) for k, v in counts.items()}))


def build(ctx: BranchContext) -> Section:
    """The retention section: warning (and at-risk list when it passes), contact effect, dormancy, migration.

    ``summary``: ``status`` (``finding`` when the warning passes and lists customers, or a
    contact or wake-up effect is established; else ``no_finding``), ``total`` (customers at
    risk), ``listed``, the warning's metrics, the effects with intervals, ``dormant`` and the
    migration counts.
    """
    lang = ctx.lang
    s = Section("retention")
    s.heading(i18n.t("retention.heading", lang))
    summary: dict = {}
    ev, ce, wake = weekly.judged(ctx.bank, ctx.params)  # once per run, shared with This week
    _warning(s, ctx, ev, summary)
    _contact(s, ctx, ce, summary)
    _dormant(s, ctx, wake, summary)
    _migration(s, ctx, summary)
    found = summary.get("warning") == "finding" and summary.get("at_risk", 0) > 0
    found |= summary.get("contact") == "finding" or summary.get("wake_up") == "finding"
    s.summary = {
        **summary,
        "status": "finding" if found else "no_finding",
        "total": int(summary.get("at_risk", 0)),
        "listed": int(summary.get("listed", 0)),
    }
    return s
