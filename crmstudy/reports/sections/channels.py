"""Channels: the branch's channel mix by customer group, preferences beyond wealth and age, counter capacity, migration.

Source 004, stage 1.  The mix is a description.  A channel preference is
said only for a customer group × channel cell that differs from customers of
like wealth, age and activity after the false-discovery-rate correction
(:func:`crmstudy.channels.channel_association`); a migration only when the
branch's monthly digital-share trend survives the correction across every
branch (:func:`crmstudy.channels.migration_trend`).  Counter productivity and
the busiest hour follow from the branch's own records (``branch_operations``).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ... import channels as ch
from ... import i18n
from ...feature_defs import COUNTER_CHANNELS, DIGITAL_CHANNELS
from ...runcache import bankwide
from ..context import BranchContext
from .base import Section

REQUIRES = ("transactions", "branch_operations")
#: The channel families of the mix table.
FAMILIES = {"counter": COUNTER_CHANNELS, "self_service": ("atm",), "digital": DIGITAL_CHANNELS, "pos": ("pos",)}


@bankwide(maxsize=2)  # once per run, shared by every branch's process (crmstudy.runcache)
def _bank_wide(bank, period) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Productivity and migration of every branch, and the bank's mix: computed once per run."""
    prod = ch.counter_productivity(bank, period)
    monthly = ch.channel_migration(bank, period)
    return prod, monthly, monthly.groupby("channel")["n_txn"].sum()


@bankwide(maxsize=2)
def _trend(bank, period, alpha: float) -> pd.DataFrame:
    """Every branch's digital-share trend, tested across the branches (indexed by branch): once per run."""
    return ch.migration_trend(_bank_wide(bank, period)[1], alpha=alpha).set_index("branch_id")


def _group(g: str, lang: str) -> str:
    key = f"group.life_group.{g}"
    return i18n.t(key, lang) if i18n.has(key, lang) else g


def _families(counts: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=counts.index)
    for fam, members in FAMILIES.items():
        out[fam] = counts[[c for c in members if c in counts]].sum(axis=1)
    return out.div(counts.sum(axis=1), axis=0)


def build(ctx: BranchContext) -> Section:
    """Mix by life group, adjusted preference cells, counter productivity, digital migration."""
    lang, alpha = ctx.lang, ctx.params.profit.alpha
    pct = functools.partial(i18n.percent, lang=lang)
    s = Section("channels")
    s.heading(i18n.t("channels.heading", lang))
    use = ch.channel_use(ctx.bank, ctx.period, branch=ctx.branch_id)  # the whole bank's, sliced to the branch
    feats = ctx.features.assign(tier=ctx.tiers.astype(str).to_numpy())
    use = use[use["customer_id"].isin(feats["customer_id"])]
    prod, _, bank_counts = _bank_wide(ctx.bank, ctx.period)

    # the mix, by life group
    df = feats[["customer_id", "life_group"]].merge(use, on="customer_id")
    counts = df.drop(columns="customer_id").groupby("life_group").sum()
    mix = _families(counts)
    total = _families(counts.sum().to_frame().T).iloc[0]
    bank_mix = _families(bank_counts.to_frame().T).iloc[0]
    show = mix.reset_index()
    show["life_group"] = [_group(g, lang) for g in show["life_group"]]
    names = {"life_group": i18n.t("channels.group", lang), **{f: i18n.t(f"channels.{f}", lang) for f in FAMILIES}}
    s.table(show.rename(columns=names), formats={names[f]: pct for f in FAMILIES})
    s.say(
        i18n.t(
            "channels.mix_reading",
            lang,
            digital=pct(total["digital"]),
            counter=pct(total["counter"]),
            bank_digital=pct(bank_mix["digital"]),
            bank_counter=pct(bank_mix["counter"]),
        )
    )

    # preferences beyond wealth, age and activity
    assoc = ch.channel_association(feats, use, by=("life_group",), alpha=alpha)
    sig = assoc.significant
    tested = int(assoc.cells["p_value_mh"].notna().sum())
    if len(sig):
        cname = lambda c: i18n.t(f"channels.names.{c}", lang) if i18n.has(f"channels.names.{c}", lang) else c  # noqa: E731
        table = pd.DataFrame(
            {
                i18n.t("channels.group", lang): [_group(g, lang) for g in sig["group"]],
                i18n.t("channels.channel", lang): sig["channel"].map(cname),
                i18n.t("channels.share_group", lang): sig["share_group"],
                i18n.t("channels.share_rest", lang): sig["share_rest"],
                i18n.t("channels.odds_ratio", lang): sig["odds_ratio_mh"],
            }
        )
        s.table(
            table,
            caption=i18n.t("channels.cells", lang),
            formats={
                i18n.t("channels.share_group", lang): pct,
                i18n.t("channels.share_rest", lang): pct,
                i18n.t("channels.odds_ratio", lang): functools.partial(i18n.number, lang=lang),
            },
        )
        s.say(
            i18n.t(
                "channels.cells_found",
                lang,
                n=i18n.integer(len(sig), lang),
                tested=i18n.integer(tested, lang),
                alpha=pct(alpha, digits=0),
            )
        )
    else:
        s.say(i18n.t("channels.cells_none", lang, tested=i18n.integer(tested, lang), alpha=pct(alpha, digits=0)))

    # counter productivity and the busiest hour
    mine = prod.set_index("branch_id").loc[ctx.branch_id]
    hour = (
        i18n.t("channels.hour", lang, hour=int(mine["peak_hour"])) if np.isfinite(mine["peak_hour"]) else i18n.MISSING
    )
    num = functools.partial(i18n.number, lang=lang, digits=1)
    s.metrics(
        {
            i18n.t("channels.per_hour", lang): num(mine["txns_per_staff_hour"]),
            i18n.t("channels.bank_per_hour", lang): num(prod["txns_per_staff_hour"].median()),
            i18n.t("channels.load", lang): pct(mine["load"]),
            i18n.t("channels.peak_hour", lang): hour,
            i18n.t("channels.peak_load", lang): pct(mine["peak_load"]),
        }
    )
    s.say(
        i18n.t(
            "channels.productivity_reading",
            lang,
            per_hour=num(mine["txns_per_staff_hour"]),
            bank=num(prod["txns_per_staff_hour"].median()),
            load=pct(mine["load"]),
            hour=hour,
            peak=pct(mine["peak_load"]),
        )
    )
    if mine["peak_load"] > 1:
        s.say(i18n.t("channels.queue", lang, hour=hour))

    # migration, tested across every branch
    trend = _trend(ctx.bank, ctx.period, alpha)
    t = trend.loc[ctx.branch_id]
    s.say(
        i18n.t(
            "channels.migration_reading",
            lang,
            first=pct(t["first_share"]),
            last=pct(t["last_share"]),
            slope=pct(t["slope_per_year"]),
            verdict=i18n.t("channels.migrating" if t["significant"] else "channels.not_migrating", lang),
        )
    )
    s.data.update({"association": assoc.cells, "productivity": prod, "trend": trend, "mix": mix})
    s.summary = {
        "status": "finding" if (len(sig) or bool(t["significant"])) else "no_finding",
        "total": int(len(sig)),
        "listed": int(len(sig)),
        "cells_tested": tested,
        "digital_share": float(total["digital"]),
        "counter_share": float(total["counter"]),
        "txns_per_staff_hour": float(mine["txns_per_staff_hour"]),
        "peak_load": float(mine["peak_load"]),
        "migrating": bool(t["significant"]),
    }
    return s
