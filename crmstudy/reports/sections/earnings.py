"""What the branch earns: profit by tier and product, the whale curve, who loses money and why (source 004, stage 2).

Accounting first (the profit model of :mod:`crmstudy.profit`, in the bank's
currency): the branch's contribution and cost-to-income, the whale curve, the
tiers and products that lose money, the customers who lose the most with the
cost behind it and what lowers it, and one what-if (counter transactions
moved to the app).  These follow from the bank's own price list and records,
in the null bank too.  The one statistical claim is the campaign effect: a
sentence to keep contacting is said only when the take-up interval against
the random control group excludes 0 (``status: finding``).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ... import i18n, plots
from ... import profit as pf
from ...privacy import mask_customers
from ..context import BranchContext
from ._common import tier_names
from .base import Section

#: The profit model's price list and costs; a bank without them gets this section's heading and one sentence.
REQUIRES = ("pricing", "channel_costs", "staff_costs")
_COSTS = ("cost_to_serve", "rm_cost", "expected_loss")


@functools.lru_cache(maxsize=4)
def _model(bank, branch_id: str, period, tier_items: tuple) -> tuple:
    """The branch's profit inputs and lines, computed once per branch (the channels section reads them too)."""
    tiers = pd.Series(dict(tier_items))
    inputs = pf.profit_inputs(bank, period, branch=branch_id, tiers=tiers)
    return inputs, pf.contribution(inputs)


def branch_profit(ctx: BranchContext) -> tuple[pf.ProfitInputs, pf.Profit]:
    """The branch's profit inputs and lines (cached per branch and period)."""
    items = tuple(zip(ctx.features["customer_id"].astype(str), ctx.tiers.astype(str)))
    return _model(ctx.bank, ctx.branch_id, ctx.period, items)


def _money(lang, currency):
    return lambda cents: i18n.money(float(cents) / 100, lang, currency=currency)


def _interval(lang, value, low, high, fmt) -> str:
    return i18n.t("profit.interval", lang, value=fmt(value), low=fmt(low), high=fmt(high))


def build(ctx: BranchContext) -> Section:
    """Metrics, whale curve, tier and product tables, the losers' list, a what-if, the campaigns."""
    lang, knobs = ctx.lang, ctx.params.profit
    currency = ctx.bank.currency if ctx.bank is not None else "CNY"
    money = _money(lang, currency)
    pct = functools.partial(i18n.percent, lang=lang)
    inputs, profit = branch_profit(ctx)
    lines = profit.lines
    s = Section("earnings", data={"lines": lines})
    s.heading(i18n.t("profit.heading", lang))
    tot = {m: int(lines[m].sum()) for m in pf.MEASURES}
    revenue = tot["interest"] + tot["fees"]
    costs = sum(tot[c] for c in _COSTS)
    cti = (tot["cost_to_serve"] + tot["rm_cost"]) / revenue if revenue > 0 else float("nan")
    per = pf.customer_profit(profit, by=("tier",))
    whale = pf.whale_curve(per["contribution"])
    s.metrics(
        {
            i18n.t("profit.total", lang): money(tot["contribution"]),
            i18n.t("profit.revenue", lang): money(revenue),
            i18n.t("profit.cost_to_income", lang): pct(cti),
            i18n.t("profit.destroying", lang): pct(whale.destroying_share),
        }
    )
    s.say(
        i18n.t(
            "profit.reading",
            lang,
            total=money(tot["contribution"]),
            revenue=money(revenue),
            costs=money(costs),
            destroying=pct(whale.destroying_share),
        )
    )
    if whale.total > 0:
        ax = plots.whale_plot(whale.curve, lang=lang)
        s.figure(ax.figure, alt=i18n.t("profit.whale_alt", lang))
        s.say(
            i18n.t(
                "profit.whale_reading",
                lang,
                peak_at=pct(whale.peak_at),
                peak_share=pct(whale.peak_share),
                giveback=pct(whale.peak_share - 1),
            )
        )
    else:
        s.say(
            i18n.t(
                "profit.whale_reading_negative",
                lang,
                total=money(whale.total),
                peak_at=pct(whale.peak_at),
                peak=money(whale.peak),
            )
        )
    _tiers(s, ctx, per, money, pct)
    _products(s, ctx, profit, money)
    n_losing = _losers(s, ctx, profit, money, knobs.top_n)
    _what_if(s, ctx, inputs, profit, money, pct, knobs.counter_shift)
    found = _campaigns(s, ctx, inputs, profit, money, pct, knobs.alpha)
    s.summary = {
        "status": "finding" if found else "no_finding",
        "total": int(n_losing),
        "listed": int(min(n_losing, knobs.top_n)),
        "contribution_cents": tot["contribution"],
        "revenue_cents": revenue,
        "operating_cost_cents": tot["cost_to_serve"] + tot["rm_cost"],
        "cost_to_income": float(cti),
        "destroying_share": whale.destroying_share,
        "peak_share": whale.peak_share,
        "campaigns_found": int(found),
    }
    return s


def _tiers(s, ctx, per, money, pct) -> None:
    lang = ctx.lang
    g = per.assign(losing=per["contribution"] < 0).groupby("tier", observed=True)
    t = pd.DataFrame(
        {"customers": g.size(), "contribution": g["contribution"].sum(), "losing": g["losing"].mean()}
    ).reindex([k for k in tier_names(lang) if k in g.groups])
    t["per_customer"] = t["contribution"] / t["customers"]
    show = pd.DataFrame(
        {
            i18n.t("profit.tier", lang): [tier_names(lang)[k] for k in t.index],
            i18n.t("profit.customers", lang): t["customers"].to_numpy(),
            i18n.t("profit.contribution", lang): t["contribution"].to_numpy(),
            i18n.t("profit.per_customer", lang): t["per_customer"].to_numpy(),
            i18n.t("profit.destroying_share", lang): t["losing"].to_numpy(),
        }
    )
    s.table(
        show,
        caption=i18n.t("profit.by_tier", lang),
        formats={
            i18n.t("profit.customers", lang): functools.partial(i18n.integer, lang=lang),
            i18n.t("profit.contribution", lang): money,
            i18n.t("profit.per_customer", lang): money,
            i18n.t("profit.destroying_share", lang): pct,
        },
    )


def _product_names(ctx) -> dict:
    prods = ctx.bank.read("products") if ctx.bank is not None else pd.DataFrame()
    col = "product_name_zh" if ctx.lang == "zh" and "product_name_zh" in prods else "product_name"
    return dict(zip(prods.get("product_id", []), prods.get(col, [])))


def _products(s, ctx, profit, money) -> None:
    lang = ctx.lang
    by = pf.rollup(profit, "product").sort_values("contribution", ascending=False, ignore_index=True)
    names = _product_names(ctx)
    cols = ["interest", "fees", *_COSTS, "contribution"]
    show = pd.DataFrame({i18n.t("profit.product", lang): by["product_id"].map(names).fillna(by["product_id"])})
    for c in cols:
        show[i18n.t(f"profit.{c}", lang)] = by[c].to_numpy()
    s.table(show, caption=i18n.t("profit.by_product", lang), formats={i18n.t(f"profit.{c}", lang): money for c in cols})
    losing = by.loc[by["contribution"] < 0, "product_id"].map(names).fillna(by["product_id"]).tolist()
    if losing:
        from babel.lists import format_list

        s.say(i18n.t("profit.losing_products", lang, products=format_list(losing, locale=i18n.BABEL_LOCALES[lang])))
    else:
        s.say(i18n.t("profit.no_losing_products", lang))


def _losers(s, ctx, profit, money, top_n: int) -> int:
    lang = ctx.lang
    cust = profit.lines.groupby("customer_id", observed=True)[["contribution", *_COSTS]].sum()
    losing = cust[cust["contribution"] < 0].sort_values("contribution", kind="stable")
    if losing.empty:
        return 0
    top = losing.head(top_n)
    driver = top[list(_COSTS)].idxmax(axis=1)
    f = ctx.features.set_index("customer_id")
    tiers = pd.Series(ctx.tiers.astype(str).to_numpy(), index=ctx.features["customer_id"])
    show = mask_customers(
        pd.DataFrame(
            {
                "customer_id": top.index.astype(str),
                "masked_name": f["masked_name"].reindex(top.index.astype(str)).to_numpy(),
            }
        )
    )
    table = pd.DataFrame(
        {
            i18n.t("profit.customer", lang): show["customer_id"] + " " + show["masked_name"].fillna(""),
            i18n.t("profit.tier", lang): tiers.reindex(top.index.astype(str)).map(tier_names(lang)).to_numpy(),
            i18n.t("profit.owner", lang): f["owner_staff_id"].reindex(top.index.astype(str)).to_numpy(),
            i18n.t("profit.contribution", lang): top["contribution"].to_numpy(),
            i18n.t("profit.driver", lang): [i18n.t(f"profit.driver_name.{d}", lang) for d in driver],
            i18n.t("profit.action", lang): [i18n.t(f"profit.todo.{d}", lang) for d in driver],
        }
    )
    s.table(table, caption=i18n.t("profit.losers", lang), formats={i18n.t("profit.contribution", lang): money})
    s.say(i18n.t("profit.losers_reading", lang, n=i18n.integer(len(losing), lang), listed=i18n.integer(len(top), lang)))
    return int(len(losing))


def _what_if(s, ctx, inputs, profit, money, pct, share: float) -> None:
    if share <= 0:
        return
    r = pf.what_if(inputs, pf.Scenario(counter_to_mobile=share), base=profit)
    unit = inputs.channel_costs.set_index("channel")["cost_per_txn"]
    cur = ctx.bank.currency if ctx.bank is not None else "CNY"

    def unit_money(x: float) -> str:  # a unit cost needs its cents: 0.30, not 0
        n = i18n.number(x, ctx.lang, digits=2)
        return f"{n}{i18n._zh_unit(cur)}" if ctx.lang == "zh" else f"{cur} {n}"

    s.say(
        i18n.t(
            "profit.what_if",
            ctx.lang,
            share=pct(share, digits=0),
            change=money(r.change),
            base=money(r.base),
            changed=money(r.changed),
            counter=unit_money(float(unit.get("counter", np.nan))),
            app=unit_money(float(unit.get("mobile_app", np.nan))),
        )
    )
    s.data["what_if"] = r


def _campaigns(s, ctx, inputs, profit, money, pct, alpha: float) -> int:
    lang = ctx.lang
    effects = pf.campaign_effects(ctx.bank, inputs, profit, branch=ctx.branch_id, alpha=alpha)
    if effects.empty:
        return 0
    s.data["campaigns"] = effects
    camp = ctx.bank.read("campaigns").set_index("campaign_id")["campaign_name"]
    names = _product_names(ctx)
    per_month = functools.partial(i18n.money, lang=lang, compact=False, currency=ctx.bank.currency)
    table = pd.DataFrame(
        {
            i18n.t("profit.campaign", lang): effects["campaign_id"].map(camp).fillna(effects["campaign_id"]),
            i18n.t("profit.offer", lang): effects["offer_product_id"].map(names).fillna(effects["offer_product_id"]),
            i18n.t("profit.treated", lang): effects["n_treated"],
            i18n.t("profit.control", lang): effects["n_control"],
            i18n.t("profit.take_up", lang): [
                f"{pct(a)} / {pct(b)}" for a, b in zip(effects["take_up_treated"], effects["take_up_control"])
            ],
            i18n.t("profit.lift", lang): [
                _interval(lang, r.take_up_lift, r.take_up_low, r.take_up_high, pct) for r in effects.itertuples()
            ],
            i18n.t("profit.profit_lift", lang): [
                _interval(lang, r.profit_lift, r.profit_low, r.profit_high, per_month) for r in effects.itertuples()
            ],
            i18n.t("profit.did", lang): [
                _interval(lang, r.did, r.did_low, r.did_high, per_month) if np.isfinite(r.did) else i18n.MISSING
                for r in effects.itertuples()
            ],
        }
    )
    s.table(table, caption=i18n.t("profit.campaigns", lang))
    found = effects[effects["significant"] & (effects["take_up_lift"] > 0)]
    for r in found.itertuples():
        s.say(
            i18n.t(
                "profit.campaign_found",
                lang,
                campaign=camp.get(r.campaign_id, r.campaign_id),
                offer=names.get(r.offer_product_id, r.offer_product_id),
                lift=pct(r.take_up_lift),
                low=pct(r.take_up_low),
                high=pct(r.take_up_high),
            )
        )
    if found.empty:
        s.say(i18n.t("profit.campaign_none", lang))
    return int(len(found))
