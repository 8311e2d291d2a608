"""The branch in context: month by month, against its last report, and among the bank's branches (issue 17, item 5).

Three small lines (month-end assets, customers, dormant share) with the sentence that reads
them; the change in the headline figures since the branch's last published report ("first
report" when there is none); and its rank among the bank's branches on those figures.  Only
the branch's own figures and its ranks appear: no other branch's numbers.
"""

from __future__ import annotations

import math

from ... import i18n
from ...feature_defs import DORMANT_DAYS
from ..context import BranchContext
from ..trends import changes
from .base import Section


def build(ctx: BranchContext) -> Section:
    """Heading, the three lines and their reading, the change since the last report, the rank."""
    lang = ctx.lang
    s = Section("trend")
    s.heading(i18n.t("trend.heading", lang))
    monthly = ctx.monthly
    _lines(s, ctx, monthly)
    before = (ctx.previous or {}).get("headline")
    change = changes(ctx.headline, before) if before else None
    s.say(_since(ctx, change) if change else i18n.t("trend.first", lang))
    rank = ctx.ranks
    s.say(_rank(rank, lang))
    s.summary = {
        "months": int(len(monthly)),
        "ranks": rank,
        "previous_report": (ctx.previous or {}).get("made_at"),
        "changes": {k: v["change"] for k, v in change.items()} if change else None,
    }
    return s


def _lines(s: Section, ctx: BranchContext, monthly) -> None:
    lang = ctx.lang
    if not len(monthly):
        s.say(i18n.t("trend.no_months", lang))
        return
    from ...plots import trend_plot

    first, last = monthly.iloc[0], monthly.iloc[-1]
    date = lambda d: i18n.date(d, lang)  # noqa: E731
    alt = i18n.t("trend.plot.alt", lang, branch=ctx.branch_name, first=date(first.month_end), last=date(last.month_end))
    s.figure(trend_plot(monthly, lang=lang), alt=alt)
    text = i18n.t(
        "trend.lines",
        lang,
        first=date(first.month_end),
        last=date(last.month_end),
        a0=i18n.money(first.assets, lang),
        a1=i18n.money(last.assets, lang),
        da=_signed(last.assets - first.assets, first.assets, lang, money=True),
        c0=i18n.integer(first.customers, lang),
        c1=i18n.integer(last.customers, lang),
        dc=_signed(last.customers - first.customers, first.customers, lang),
    )
    known = monthly[monthly["dormant_share"].notna()]
    if len(known):
        d0, d1 = known.iloc[0], known.iloc[-1]
        text += _space(lang) + i18n.t(
            "trend.dormancy",
            lang,
            d0=i18n.percent(d0.dormant_share, lang),
            d1=i18n.percent(d1.dormant_share, lang),
            first=date(d0.month_end),
            last=date(d1.month_end),
            dd=_points(round(d1.dormant_share, 3) - round(d0.dormant_share, 3), lang),  # of the shares as shown
            days=i18n.integer(DORMANT_DAYS, lang),
        )
    elif ctx.population.get("dormancy_known", True):
        text += _space(lang) + i18n.t("trend.no_dormancy_short", lang, days=i18n.integer(DORMANT_DAYS, lang))
    else:
        text += _space(lang) + i18n.t("trend.no_dormancy_data", lang)
    s.say(text)


def _space(lang: str) -> str:
    """Between two sentences: a space in English, nothing after a Chinese full stop."""
    return "" if lang == "zh" else " "


def _since(ctx: BranchContext, change: dict) -> str:
    lang, prev = ctx.lang, ctx.previous
    when = {
        "date": i18n.date(prev["made_at"], lang),
        "period": i18n.period(prev["period_start"], prev["period_end"], lang)
        if prev.get("period_start")
        else i18n.MISSING,
    }
    if all(v["change"] == 0 for v in change.values()):
        return i18n.t("trend.previous_same", lang, **when)
    a, c, d = change["total_ada"], change["customers"], change["dormant_share"]
    return i18n.t(
        "trend.previous",
        lang,
        **when,
        da=_signed(a["change"], a["before"], lang, money=True),
        dc=_signed(c["change"], c["before"], lang),
        dd=_points(None if d["change"] is None else round(d["now"], 3) - round(d["before"], 3), lang),
    )


def _rank(rank: dict, lang: str) -> str:
    if rank.get("of", 0) <= 1:
        return i18n.t("trend.rank_alone", lang)
    word = {k: ordinal(rank[k], lang) for k in ("total_ada", "customers") if rank.get(k)}
    if rank.get("dormant_share"):
        return i18n.t(
            "trend.rank",
            lang,
            of=i18n.integer(rank["of"], lang),
            assets=word.get("total_ada", i18n.MISSING),
            customers=word.get("customers", i18n.MISSING),
            dormancy=ordinal(rank["dormant_share"], lang),
        )
    return i18n.t(
        "trend.rank_no_dormancy",
        lang,
        of=i18n.integer(rank["of"], lang),
        assets=word.get("total_ada", i18n.MISSING),
        customers=word.get("customers", i18n.MISSING),
    )


def ordinal(n: int, lang: str) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``22nd``; ``第3`` in Chinese (forms in the catalogue).

    Examples
    --------
    >>> [ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd']
    >>> ordinal(3, "zh")
    '第3'
    """
    n = int(n)
    form = "other" if 11 <= n % 100 <= 13 else {1: "one", 2: "two", 3: "few"}.get(n % 10, "other")
    return i18n.t(f"trend.ordinal.{form}", lang, n=i18n.integer(n, lang))


def _sign(x: float) -> str:
    return "+" if x > 0 else ("-" if x < 0 else "±")


def _signed(change, base, lang: str, *, money: bool = False) -> str:
    """A change with its sign, and relative to ``base`` when there is one: ``+CNY 1.2M, +3.4%``."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return i18n.MISSING
    x = i18n.money(abs(change), lang) if money else i18n.integer(abs(change), lang)
    if not base:
        return i18n.t("trend.signed", lang, sign=_sign(change), x=x)
    rel = i18n.percent(abs(change) / abs(base), lang)
    return i18n.t("trend.signed_relative", lang, sign=_sign(change), x=x, rel=rel)


def _points(change, lang: str) -> str:
    """A change of a share in percentage points: ``+1.2 percentage points``.

    Callers pass the difference of the shares as shown (to 0.1 %), so that 16.7 % to 16.4 % reads
    as -0.3 points, never the -0.4 of the unrounded shares.
    """
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return i18n.MISSING
    return i18n.t("trend.points", lang, sign=_sign(change), x=i18n.number(abs(change) * 100, lang, digits=1))
