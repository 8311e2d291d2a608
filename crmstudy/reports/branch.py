"""The branch report's sections: each computes with the package, shows, and reads.

``notebooks/branch_report.ipynb`` calls these one per cell.  Computation
(:func:`load_context`, :func:`headline`) is separate from display (the
``section_*`` functions) so that tests can check the numbers directly.
Privacy: a context holds the branch's own customers only; other branches
enter as anonymous asset values for the bank-wide Lorenz curve.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__, i18n, plots
from ..atomic import write_text_atomic
from ..errors import BranchError
from ..features import Period, connect, customer_assets, customer_features, default_period
from ..pareto import customers_holding_share, gini, lorenz_curve, top_share
from ..privacy import mask_customers
from ..schema import find_bank, read_table
from ..tiers import (OwnershipRule, TierThresholds, assign_tiers, long_tail_profile, ownership_table,
                     rm_workload, tier_table, upgrade_candidates)
from . import display as d
from .params import ReportParams

#: Reader-facing English tier names; every language's are ``tier.<code>`` in the catalogue.
TIER_LABELS = {t: i18n.t(f"tier.{t}", "en") for t in ("key", "sub_key", "general", "potential", "mass")}


@dataclass
class BranchContext:
    """Everything a branch report needs, for one branch only."""

    branch_id: str
    branch_name: str
    period: Period
    params: ReportParams
    features: pd.DataFrame
    bank_ada: np.ndarray
    staff: pd.DataFrame
    meta: dict
    fingerprint: str
    thresholds: TierThresholds = field(default_factory=TierThresholds)
    ownership: OwnershipRule = field(default_factory=OwnershipRule)


def branch_ids(data_dir) -> list[str]:
    """The branch ids of a bank, sorted."""
    bank = find_bank(data_dir)
    return sorted(read_table(bank, "branches")["branch_id"].tolist())


def check_branches(data_dir, wanted: str | list[str]) -> list[str]:
    """Resolve ``all`` or a list of ids; unknown ids raise one line listing the valid ones."""
    valid = branch_ids(data_dir)
    if wanted in ("all", None, ["all"]):
        return valid
    if isinstance(wanted, str):
        wanted = [w.strip() for w in wanted.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in valid]
    if unknown:
        raise BranchError(f"unknown branch id(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
    return list(dict.fromkeys(wanted))


def branch_display_name(branches: pd.DataFrame, branch_id: str, lang: str = "en") -> str:
    """The branch's name in the report's language (``branch_name_zh`` for zh when the bank has it)."""
    row = branches.set_index("branch_id").loc[branch_id]
    zh = row.get("branch_name_zh") if lang == "zh" else None
    return str(zh) if isinstance(zh, str) and zh else str(row["branch_name"])


def load_scores(path):
    """The branch's slice of the footprint scores the runner fitted once for the whole bank (a pickle), or None."""
    if not path:
        return None
    import pickle

    with open(path, "rb") as f:
        return pickle.load(f)


def branch_period(bank, params: ReportParams) -> Period:
    """The period a branch report covers: the bank's own, unless the parameters narrow it."""
    period = default_period(bank)
    if params.period.start or params.period.end:
        period = Period(params.period.start or period.start, params.period.end or period.end)
    return period


def load_context(data_dir, branch_id: str, params: ReportParams | dict | None = None, *,
                 features_path=None, fingerprint: str | None = None) -> BranchContext:
    """Compute the branch's customer features and what the bank comparison needs.

    Parameters
    ----------
    features_path : path, optional
        Customer features of the whole bank for this branch's period, computed
        once per run (:func:`crmstudy.features.customer_features`); the report
        then reads only its branch's slice and the anonymous asset column.
    fingerprint : str, optional
        The data fingerprint, when the caller already has it (hashing a large
        bank's files once per branch would be wasteful).
    """
    if not isinstance(params, ReportParams):
        params = ReportParams.model_validate(params or {})
    bank = find_bank(data_dir)
    branches = read_table(bank, "branches")
    if branch_id not in set(branches["branch_id"]):
        raise BranchError(f"unknown branch id {branch_id}; valid: {', '.join(sorted(branches['branch_id']))}")
    period = branch_period(bank, params)
    if features_path:
        features = pd.read_parquet(features_path, filters=[("branch_id", "==", branch_id)])
        features = features.sort_values("customer_id").reset_index(drop=True)
        bank_ada = pd.read_parquet(features_path, columns=["ada"])["ada"].to_numpy()
    else:
        features = customer_features(bank, period, branch=branch_id)
        bank_ada = customer_assets(connect(bank), period)["ada"].to_numpy()
        n_all = int(connect(bank).execute("SELECT COUNT(*) FROM customers").fetchone()[0])
        bank_ada = np.concatenate([bank_ada, np.zeros(max(n_all - len(bank_ada), 0))])
    staff = read_table(bank, "staff")
    staff = staff[staff["branch_id"] == branch_id].reset_index(drop=True)
    t = params.tiers
    return BranchContext(
        branch_id=branch_id,
        branch_name=branch_display_name(branches, branch_id, params.language),
        period=period, params=params, features=features, bank_ada=bank_ada, staff=staff,
        meta=bank.meta, fingerprint=fingerprint or bank.fingerprint,
        thresholds=TierThresholds(t.key, t.sub_key, t.general, t.potential, t.potential_point_in_time),
        ownership=OwnershipRule(params.ownership.president, params.ownership.vice_president),
    )


def headline(ctx: BranchContext) -> dict:
    """The branch's headline figures (also shown on the index page)."""
    f = ctx.features
    ada = f["ada"].to_numpy()
    g = gini(ada, ci=0.95 if ctx.params.bootstrap.n_boot else None, n_boot=max(ctx.params.bootstrap.n_boot, 1),
             seed=ctx.params.bootstrap.seed)
    tiers = assign_tiers(f, ctx.thresholds)
    cands = upgrade_candidates(f, ctx.thresholds, window=ctx.params.upgrade.window, top_n=None)
    return {
        "branch_id": ctx.branch_id,
        "branch_name": ctx.branch_name,
        "customers": int(len(f)),
        "total_ada": float(ada.sum()),
        "gini": float(g.estimate),
        "gini_low": float(g.low),
        "gini_high": float(g.high),
        "top20_share": float(top_share(ada, 0.2)),
        "customers_for_80": float(customers_holding_share(ada, 0.8)),
        "key_customers": int(tiers.isin(["key", "sub_key"]).sum()),
        "dormant_share": float(f["dormant"].mean()),
        "upgrade_candidates": int(len(cands)),
        "period_start": ctx.period.start.isoformat(),
        "period_end": ctx.period.end.isoformat(),
    }


def write_headline(ctx: BranchContext, path) -> dict:
    """Write :func:`headline` as JSON (atomically) for the index page."""
    h = headline(ctx)
    if path:
        write_text_atomic(path, json.dumps(h, indent=2, sort_keys=True))
    return h


# --- sections: one per notebook cell -------------------------------------------------
# Every reader-facing string comes from the catalogue (crmstudy/locale/*.yaml) in
# the report's language, ctx.params.language; numbers go through crmstudy.i18n.


def _lang(ctx: BranchContext) -> str:
    return ctx.params.language


def _labels(prefix: str, lang: str, columns) -> dict[str, str]:
    """Column name -> its reader-facing label ``<prefix>.<column>``."""
    return {c: i18n.t(f"{prefix}.{c}", lang) for c in columns}


def section_about(ctx: BranchContext) -> None:
    """Who the report is for and what it shows (the report's first paragraph)."""
    d._markdown(i18n.t("report.about", _lang(ctx)))


def section_headline(ctx: BranchContext) -> dict:
    lang = _lang(ctx)
    h = headline(ctx)
    d.heading(i18n.t("headline.heading", lang, branch_name=ctx.branch_name, branch_id=ctx.branch_id,
                     period=i18n.period(ctx.period.start, ctx.period.end, lang)))
    pct = functools.partial(i18n.percent, lang=lang)
    d.show_metrics({
        i18n.t("headline.customers", lang): i18n.integer(h["customers"], lang),
        i18n.t("headline.total_ada", lang): i18n.money(h["total_ada"], lang),
        i18n.t("headline.gini", lang, low=i18n.number(h["gini_low"], lang),
               high=i18n.number(h["gini_high"], lang)): i18n.number(h["gini"], lang, digits=3),
        i18n.t("headline.top20_share", lang): pct(h["top20_share"]),
        i18n.t("headline.customers_for_80", lang): pct(h["customers_for_80"]),
        i18n.t("headline.key_customers", lang): i18n.integer(h["key_customers"], lang),
        i18n.t("headline.dormant_share", lang): pct(h["dormant_share"]),
        i18n.t("headline.upgrade_candidates", lang): i18n.integer(h["upgrade_candidates"], lang),
    })
    d.say(i18n.t("headline.reading", lang, top20=pct(h["top20_share"]),
                 n=i18n.integer(h["upgrade_candidates"], lang)))
    return h


def section_concentration(ctx: BranchContext) -> None:
    lang = _lang(ctx)
    ada = ctx.features["ada"].to_numpy()
    d.heading(i18n.t("concentration.heading", lang))
    curves = {f"{ctx.branch_id}": lorenz_curve(ada, points=201),
              i18n.t("concentration.whole_bank", lang): lorenz_curve(ctx.bank_ada, points=201)}
    ax = plots.lorenz_plot(curves, lang=lang)
    d.show_figure(ax.figure, alt=i18n.t("concentration.alt", lang))
    gb = gini(ctx.bank_ada, ci=None).estimate
    n_boot = max(ctx.params.bootstrap.n_boot, 1)
    gi = gini(ada, ci=0.95 if ctx.params.bootstrap.n_boot else None, n_boot=n_boot, seed=ctx.params.bootstrap.seed)
    if gi.low <= gb <= gi.high:
        key = "concentration.similar"
    else:
        key = "concentration.more" if gi.estimate > gb else "concentration.less"
    num = functools.partial(i18n.number, lang=lang)
    d.say(i18n.t(key, lang, gini=num(gi.estimate), low=num(gi.low), high=num(gi.high), bank=num(gb),
                 share=i18n.percent(customers_holding_share(ada, 0.8), lang, digits=0)))


def section_tiers(ctx: BranchContext) -> pd.DataFrame:
    lang = _lang(ctx)
    f = ctx.features
    tiers = assign_tiers(f, ctx.thresholds)
    table = tier_table(f, tiers)
    d.heading(i18n.t("tiers.heading", lang))
    bars = {"key": ctx.thresholds.key, "sub_key": ctx.thresholds.sub_key, "general": ctx.thresholds.general,
            "potential": ctx.thresholds.potential}
    shown = table.assign(tier=[
        i18n.t("tier.with_bar", lang, tier=i18n.t(f"tier.{t}", lang), bar=i18n.money(bars[t], lang, compact=False))
        if t in bars else i18n.t(f"tier.{t}", lang) for t in table["tier"].astype(str)])
    labels = _labels("tiers", lang, ["tier", "customers", "assets", "mean_ada", "customer_share", "asset_share"])
    amount, pct = i18n.money_cell(lang), functools.partial(i18n.percent, lang=lang)
    d.show_table(shown.rename(columns=labels), caption=i18n.t("tiers.caption", lang),
                 formats={labels["customers"]: functools.partial(i18n.integer, lang=lang),
                          labels["assets"]: amount, labels["mean_ada"]: amount,
                          labels["customer_share"]: pct, labels["asset_share"]: pct})
    ax = plots.tier_plot(table, lang=lang)
    d.show_figure(ax.figure, alt=i18n.t("tiers.alt", lang))
    mass = table.set_index("tier").loc["mass"]
    pit = int(((f["ada"] < ctx.thresholds.potential)
               & (f["peak_assets"] >= ctx.thresholds.potential_point_in_time)).sum())
    d.say(i18n.t("tiers.reading", lang, mass_customers=pct(mass["customer_share"]),
                 mass_assets=pct(mass["asset_share"]), n=i18n.integer(pit, lang),
                 bar=i18n.money(ctx.thresholds.potential_point_in_time, lang, compact=False)))
    return table


def section_ownership(ctx: BranchContext) -> pd.DataFrame:
    lang = _lang(ctx)
    table = ownership_table(ctx.features, ctx.staff, ctx.ownership, as_of=pd.Timestamp(ctx.period.end))
    d.heading(i18n.t("ownership.heading", lang))
    labels = _labels("ownership", lang, ["required_owner", "customers", "assets", "correctly_owned", "orphaned",
                                         "correct_share"])
    shown = table.assign(required_owner=[i18n.t(f"owner.{r}", lang) if i18n.has(f"owner.{r}", lang) else r
                                         for r in table["required_owner"].astype(str)])
    count = functools.partial(i18n.integer, lang=lang)
    d.show_table(shown.rename(columns=labels),
                 caption=i18n.t("ownership.caption", lang,
                                president=i18n.money(ctx.ownership.president, lang, compact=False),
                                vice_president=i18n.money(ctx.ownership.vice_president, lang, compact=False)),
                 formats={labels["customers"]: count, labels["correctly_owned"]: count, labels["orphaned"]: count,
                          labels["assets"]: i18n.money_cell(lang),
                          labels["correct_share"]: functools.partial(i18n.percent, lang=lang, digits=0)})
    wrong = int((table["customers"] - table["correctly_owned"] - table["orphaned"]).clip(lower=0).sum())
    orphans = int(table["orphaned"].sum())
    d.say(i18n.t("ownership.reading", lang, orphans=count(orphans), wrong=count(wrong)))
    return table


def section_workload(ctx: BranchContext) -> pd.DataFrame:
    lang = _lang(ctx)
    band = (ctx.params.rm_band.min, ctx.params.rm_band.max)
    wl = rm_workload(ctx.features, ctx.staff, band=band, as_of=pd.Timestamp(ctx.period.end))
    d.heading(i18n.t("workload.heading", lang))
    ax = plots.workload_plot(wl, band=band, lang=lang)
    d.show_figure(ax.figure, alt=i18n.t("workload.alt", lang))
    counts = wl["status"].value_counts()
    n = functools.partial(i18n.integer, lang=lang)
    d.say(i18n.t("workload.reading", lang, within=n(counts.get("within", 0)), total=n(len(wl)), low=n(band[0]),
                 high=n(band[1]), over=n(counts.get("over", 0)), left=n(counts.get("left", 0))))
    return wl


def section_upgrades(ctx: BranchContext) -> pd.DataFrame:
    lang = _lang(ctx)
    up = upgrade_candidates(ctx.features, ctx.thresholds, window=ctx.params.upgrade.window,
                            top_n=ctx.params.upgrade.top_n)
    d.heading(i18n.t("upgrades.heading", lang))
    columns = {"customer_id": "customer", "masked_name": "name", "ada": "ada", "tier": "tier",
               "next_tier": "next_tier", "gap": "gap", "owner_staff_id": "owner"}
    shown = mask_customers(up[list(columns)])
    tier_name = {t: i18n.t(f"tier.{t}", lang) for t in TIER_LABELS}
    shown["tier"] = shown["tier"].map(tier_name)
    shown["next_tier"] = shown["next_tier"].map(tier_name)
    labels = {c: i18n.t(f"upgrades.{k}", lang) for c, k in columns.items()}
    d.show_table(shown.rename(columns=labels), caption=i18n.t("upgrades.caption", lang, n=i18n.integer(len(up), lang)),
                 formats={labels["ada"]: i18n.money_cell(lang), labels["gap"]: i18n.money_cell(lang)})
    total_gap = float(up["gap"].sum()) if len(up) else 0.0
    d.say(i18n.t("upgrades.reading", lang, n=i18n.integer(len(up), lang),
                 gap=i18n.money(total_gap, lang, compact=False)))
    return up


def section_long_tail(ctx: BranchContext) -> pd.DataFrame:
    lang = _lang(ctx)
    prof = long_tail_profile(ctx.features, head_share=ctx.params.long_tail.head_share)
    d.heading(i18n.t("long_tail.heading", lang))
    ax = plots.long_tail_plot(prof, lang=lang)
    d.show_figure(ax.figure, alt=i18n.t("long_tail.alt", lang))
    columns = ["part", "customers", "assets_share", "transactions_share", "products_share", "mean_products",
               "dormant_share"]
    labels = _labels("long_tail", lang, columns)
    show = prof[columns].rename(columns=labels)
    show[labels["part"]] = show[labels["part"]].map({
        "head": i18n.t("long_tail.head", lang, share=i18n.percent(ctx.params.long_tail.head_share, lang, digits=0)),
        "tail": i18n.t("long_tail.tail", lang)})
    pct = functools.partial(i18n.percent, lang=lang)
    d.show_table(show, formats={labels["customers"]: functools.partial(i18n.integer, lang=lang),
                                labels["assets_share"]: pct, labels["transactions_share"]: pct,
                                labels["products_share"]: pct, labels["dormant_share"]: pct,
                                labels["mean_products"]: functools.partial(i18n.number, lang=lang)})
    tail = prof.set_index("part").loc["tail"]
    d.say(i18n.t("long_tail.reading", lang, transactions=pct(tail["transactions_share"]),
                 assets=pct(tail["assets_share"]), dormant=pct(tail["dormant_share"])))
    return prof


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(ctx: BranchContext, engine: str = "unknown") -> dict:
    """How this report was made: version, data, seed, parameters, engine, time (in the report's language)."""
    lang = _lang(ctx)
    return {
        "crmstudy_version": __version__,
        "git_commit": _git_commit() or i18n.t("provenance.not_a_checkout", lang),
        "data_fingerprint": ctx.fingerprint,
        "seed": ctx.meta.get("seed", i18n.t("provenance.user_data", lang)),
        "preset": ctx.meta.get("preset", i18n.t("provenance.not_applicable", lang)),
        "null_bank": ctx.meta.get("null", False),
        "period": i18n.period(ctx.period.start, ctx.period.end, lang),
        "parameters_hash": ctx.params.digest(),
        "render_engine": engine,
        "python": platform.python_version(),
        "made_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def section_provenance(ctx: BranchContext, engine: str = "unknown") -> dict:
    lang = _lang(ctx)
    p = provenance(ctx, engine)
    d.heading(i18n.t("provenance.heading", lang))

    def shown(v) -> str:
        return i18n.t(f"common.{'yes' if v else 'no'}", lang) if isinstance(v, bool) else str(v)

    d.show_table(pd.DataFrame({i18n.t("provenance.item", lang): [i18n.t(f"provenance.label.{k}", lang) for k in p],
                               i18n.t("provenance.value", lang): [shown(v) for v in p.values()]}))
    params = ctx.params.as_dict()
    flat = pd.json_normalize(params, sep=".").T.reset_index()
    flat.columns = ["parameter", "value"]
    flat["value"] = flat["value"].astype(str)
    d.show_table(flat.rename(columns=_labels("provenance", lang, flat.columns)),
                 caption=i18n.t("provenance.parameters_caption", lang))
    return p
