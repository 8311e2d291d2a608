"""Upgrade candidates: customers just below a tier's bar and still below it at the period's end (source 001)."""

from __future__ import annotations

from babel.dates import format_interval

from ... import i18n
from ...branch_rows import branch_rows
from ...errors import ParamsError
from ...feature_defs import customer_assets
from ...footprint.design import consecutive_windows
from ...period import Period
from ...privacy import mask_customers
from ...tiers import CrossingRate, crossing_rate, upgrade_candidates
from .. import downloads
from ..context import BranchContext
from ._common import tier_names
from .base import Section

#: Columns of the list and their messages ``upgrades.<key>``.
_COLUMNS = {
    "customer_id": "customer",
    "masked_name": "name",
    "ada": "ada",
    "tier": "tier",
    "next_tier": "next_tier",
    "gap": "gap",
    "gap_share": "gap_share",
    "owner_staff_id": "owner",
}

#: Period lengths in days and their word ``upgrades.period.<word>`` ("this month", ...); others "over the period".
_PERIOD_WORDS = {"month": (28, 31), "quarter": (89, 92), "half": (181, 184), "year": (365, 366)}


def period_word(period: Period, lang: str = "en") -> str:
    """The words for when something is to happen, matching the period's length ("this year" for a year).

    Examples
    --------
    >>> period_word(Period.of("2025-01-01", "2025-12-31")), period_word(Period.of("2025-03-01", "2025-03-31"))
    ('this year', 'this month')
    >>> period_word(Period.of("2025-01-01", "2025-02-14"))
    'over the period'
    """
    word = next((w for w, (lo, hi) in _PERIOD_WORDS.items() if lo <= period.days <= hi), "other")
    return i18n.t(f"upgrades.period.{word}", lang)


def base_rate(ctx: BranchContext) -> tuple[CrossingRate, Period, Period] | None:
    """The branch's crossing rate from the first half of the period to the second (None: too short).

    The earlier half's candidates (:func:`crmstudy.tiers.crossing_rate`) followed into the
    later half: the share that crosses without this list.
    """
    try:
        first, second = consecutive_windows(ctx.period, 2)
    except ParamsError:
        return None
    frame = lambda w: branch_rows(ctx.bank, customer_assets, w, ctx.branch_id)  # noqa: E731
    rate = crossing_rate(frame(first), frame(second), ctx.thresholds, window=ctx.params.upgrade.window)
    return rate, first, second


def build(ctx: BranchContext) -> Section:
    """The ``upgrade.top_n`` smallest gaps, ids and names masked; ``data["candidates"]`` unmasked.

    Candidates are :attr:`BranchContext.upgrade_candidates`: within ``upgrade.window`` below
    the next bar, not over it on the period's last day, still holding a product then;
    ranked by the gap as a share of the bar, then the larger ADA.  The reading gives the
    true number of candidates, the number listed, and how many were left out and why; then
    the base rate (:func:`base_rate`): the share of the first half-year's candidates who
    crossed in the second without a list.

    ``summary``: ``listed``, ``candidates`` (= ``total``), ``total_gap`` (of those listed),
    ``above_at_end`` and ``closed`` (left out), ``status`` (finding / no_finding /
    not_applicable), ``base_rate`` with ``base_rate_low`` / ``base_rate_high`` and
    ``base_candidates`` (when the period has two halves).
    """
    lang = ctx.lang
    every = ctx.upgrade_candidates
    up = every.head(ctx.params.upgrade.top_n).reset_index(drop=True)
    window = ctx.params.upgrade.window
    within = upgrade_candidates(ctx.features, ctx.thresholds, window=window, top_n=None, drop_excluded=False)
    left_out = within["excluded"].value_counts()
    above, closed = int(left_out.get("above_at_end", 0)), int(left_out.get("closed", 0))
    s = Section("upgrades", data={"candidates": up})
    s.heading(i18n.t("upgrades.heading", lang))
    n = lambda x: i18n.integer(x, lang)  # noqa: E731
    when = period_word(ctx.period, lang)
    pct = i18n.percent(window, lang, digits=0 if float(window * 100).is_integer() else 1)
    total_gap = float(up["gap"].sum()) if len(up) else 0.0
    if len(ctx.features) == 0:
        status = "not_applicable"
    else:
        status = "finding" if len(every) else "no_finding"
    s.summary = {
        "listed": int(len(up)),
        "candidates": int(len(every)),
        "total_gap": total_gap,
        "above_at_end": above,
        "closed": closed,
        "status": status,
        "total": int(len(every)),
    }
    if up.empty:
        s.say(i18n.t("upgrades.none", lang, window=pct, when=when))
    else:
        labels = {c: i18n.t(f"upgrades.{k}", lang) for c, k in _COLUMNS.items()}
        names = tier_names(lang)

        def shown(rows):
            out = mask_customers(rows[[c for c in _COLUMNS if c in rows]])
            out["tier"] = out["tier"].map(names)
            out["next_tier"] = out["next_tier"].map(names)
            return out.rename(columns=labels)

        s.table(
            shown(up),
            caption=i18n.t("upgrades.caption", lang, n=n(len(up)), total=n(len(every))),
            formats={
                labels["ada"]: i18n.money_cell(lang),
                labels["gap"]: i18n.money_cell(lang),
                labels["gap_share"]: lambda v: i18n.percent(v, lang, digits=1),
            },
        )
        downloads.offer(s, "upgrades", shown(every), branch_id=ctx.branch_id, lang=lang)
        s.say(
            i18n.tn(
                "upgrades.reading",
                len(every),
                lang,
                total=n(len(every)),
                window=pct,
                n=n(len(up)),
                gap=i18n.money(total_gap, lang, compact=False),
                when=when,
            )
        )
    base = base_rate(ctx) if len(every) else None
    if base is not None and base[0].candidates:
        rate, first, second = base
        pct1 = lambda x: i18n.percent(x, lang, digits=0)  # noqa: E731
        s.say(
            i18n.t(
                "upgrades.base_rate",
                lang,
                n=n(rate.candidates),
                before=format_interval(first.start, first.end, "yMMM", locale=i18n.BABEL_LOCALES[lang]),
                after=format_interval(second.start, second.end, "yMMM", locale=i18n.BABEL_LOCALES[lang]),
                rate=pct1(rate.rate),
                low=pct1(rate.low),
                high=pct1(rate.high),
            )
        )
        s.summary |= {"base_rate": rate.rate, "base_rate_low": rate.low, "base_rate_high": rate.high}
        s.summary["base_candidates"] = rate.candidates
    if above or closed:  # only the reasons that left someone out are named
        key = "both" if above and closed else ("above" if above else "closed")
        s.markdown(i18n.t(f"upgrades.excluded.{key}", lang, above=n(above), closed=n(closed)))
    return s
