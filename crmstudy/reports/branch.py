"""The branch report's sections: each computes with the package, shows, and reads.

``notebooks/branch_report.ipynb`` calls these one per cell.  Computation
(:func:`load_context`, :func:`headline`) is separate from display (the
``section_*`` functions) so that tests can check the numbers directly.
Privacy: a context holds the branch's own customers only; other branches
enter as anonymous asset values for the bank-wide Lorenz curve.
"""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__, plots
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

#: Reader-facing tier names (seed 001: 重点, 次重点, 一般, 潜在, long tail).
TIER_LABELS = {"key": "Key", "sub_key": "Sub-key", "general": "General", "potential": "Potential",
               "mass": "Mass (long tail)"}


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


def load_context(data_dir, branch_id: str, params: ReportParams | dict | None = None) -> BranchContext:
    """Compute the branch's customer features and what the bank comparison needs."""
    if not isinstance(params, ReportParams):
        params = ReportParams.model_validate(params or {})
    bank = find_bank(data_dir)
    branches = read_table(bank, "branches")
    if branch_id not in set(branches["branch_id"]):
        raise BranchError(f"unknown branch id {branch_id}; valid: {', '.join(sorted(branches['branch_id']))}")
    period = default_period(bank)
    if params.period.start or params.period.end:
        period = Period(params.period.start or period.start, params.period.end or period.end)
    features = customer_features(bank, period, branch=branch_id)
    bank_ada = customer_assets(connect(bank), period)["ada"].to_numpy()
    n_all = int(connect(bank).execute("SELECT COUNT(*) FROM customers").fetchone()[0])
    bank_ada = np.concatenate([bank_ada, np.zeros(max(n_all - len(bank_ada), 0))])
    staff = read_table(bank, "staff")
    staff = staff[staff["branch_id"] == branch_id].reset_index(drop=True)
    t = params.tiers
    return BranchContext(
        branch_id=branch_id,
        branch_name=str(branches.set_index("branch_id").at[branch_id, "branch_name"]),
        period=period, params=params, features=features, bank_ada=bank_ada, staff=staff,
        meta=bank.meta, fingerprint=bank.fingerprint,
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
    }


def write_headline(ctx: BranchContext, path) -> dict:
    """Write :func:`headline` as JSON (atomically) for the index page."""
    h = headline(ctx)
    if path:
        write_text_atomic(path, json.dumps(h, indent=2, sort_keys=True))
    return h


# --- sections: one per notebook cell -------------------------------------------------

def _pct(x: float) -> str:
    return "–" if x != x else f"{x:.1%}"


def section_headline(ctx: BranchContext) -> dict:
    h = headline(ctx)
    d.heading(f"{ctx.branch_name} ({ctx.branch_id}): {ctx.period.start} to {ctx.period.end}")
    d.show_metrics({
        "Customers": h["customers"],
        "Average daily assets (CNY)": plots.cny(h["total_ada"]),
        f"Gini of assets (95% CI {h['gini_low']:.2f}–{h['gini_high']:.2f})": f"{h['gini']:.3f}",
        "Assets held by the top 20%": _pct(h["top20_share"]),
        "Customers holding 80% of assets": _pct(h["customers_for_80"]),
        "Key and sub-key customers": h["key_customers"],
        "Dormant customers": _pct(h["dormant_share"]),
        "Upgrade candidates": h["upgrade_candidates"],
    })
    d.say(f"The top 20% of your customers hold {_pct(h['top20_share'])} of the branch's assets; "
          f"{h['upgrade_candidates']} customers sit just below a tier's bar and are the cheapest upgrades this month.")
    return h


def section_concentration(ctx: BranchContext) -> None:
    ada = ctx.features["ada"].to_numpy()
    d.heading("Concentration: the 80/20 of your branch")
    curves = {f"{ctx.branch_id}": lorenz_curve(ada, points=201), "Whole bank": lorenz_curve(ctx.bank_ada, points=201)}
    ax = plots.lorenz_plot(curves)
    d.show_figure(ax.figure, alt="Lorenz curve of average daily assets, branch against the whole bank")
    gb = gini(ctx.bank_ada, ci=None).estimate
    n_boot = max(ctx.params.bootstrap.n_boot, 1)
    gi = gini(ada, ci=0.95 if ctx.params.bootstrap.n_boot else None, n_boot=n_boot, seed=ctx.params.bootstrap.seed)
    if gi.low <= gb <= gi.high:
        reading = (f"Assets here are about as concentrated as in the whole bank (Gini {gi.estimate:.2f}, "
                   f"95% interval {gi.low:.2f}–{gi.high:.2f}, bank {gb:.2f}): ")
    else:
        word = "more" if gi.estimate > gb else "less"
        reading = (f"Assets here are {word} concentrated than in the whole bank (Gini {gi.estimate:.2f}, "
                   f"95% interval {gi.low:.2f}–{gi.high:.2f}, bank {gb:.2f}): ")
    top = customers_holding_share(ada, 0.8)
    d.say(reading + f"{top:.0%} of your customers hold 80% of the assets — give them named owners "
          f"and serve the rest through digital channels.")


def section_tiers(ctx: BranchContext) -> pd.DataFrame:
    f = ctx.features
    tiers = assign_tiers(f, ctx.thresholds)
    table = tier_table(f, tiers)
    d.heading("Asset tiers")
    bars = {"key": ctx.thresholds.key, "sub_key": ctx.thresholds.sub_key, "general": ctx.thresholds.general,
            "potential": ctx.thresholds.potential}
    shown = table.assign(tier=[f"{TIER_LABELS[t]} (≥ {bars[t]:,.0f})" if t in bars else TIER_LABELS[t]
                               for t in table["tier"].astype(str)])
    d.show_table(shown.rename(columns={"tier": "Tier", "customers": "Customers", "assets": "Assets (ADA, CNY)",
                                       "mean_ada": "Mean ADA", "customer_share": "Share of customers",
                                       "asset_share": "Share of assets"}),
                 caption="Customers and average daily assets (ADA) per tier",
                 formats={"Assets (ADA, CNY)": ",.0f", "Mean ADA": ",.0f", "Share of customers": "{:.1%}",
                          "Share of assets": "{:.1%}"})
    ax = plots.tier_plot(table)
    d.show_figure(ax.figure, alt="Share of customers and of assets per tier")
    mass = table.set_index("tier").loc["mass"]
    pit = int(((f["ada"] < ctx.thresholds.potential) & (f["peak_assets"] >= ctx.thresholds.potential_point_in_time)).sum())
    d.say(f"The mass tier is {_pct(mass['customer_share'])} of customers but {_pct(mass['asset_share'])} of assets; "
          f"{pit} customers entered the potential tier only through a point-in-time balance of "
          f"{ctx.thresholds.potential_point_in_time:,.0f} CNY — call them while the money is still here.")
    return table


def section_ownership(ctx: BranchContext) -> pd.DataFrame:
    table = ownership_table(ctx.features, ctx.staff, ctx.ownership, as_of=pd.Timestamp(ctx.period.end))
    d.heading("Ownership by tier")
    shown = table.rename(columns={"required_owner": "Must be owned by", "customers": "Customers",
                                  "assets": "Assets (ADA, CNY)", "correctly_owned": "Correctly owned",
                                  "orphaned": "Owner has left", "correct_share": "Correct share"})
    d.show_table(shown, caption=f"Ownership rule: ≥ {ctx.ownership.president:,.0f} CNY president, "
                                f"≥ {ctx.ownership.vice_president:,.0f} vice-president, everyone else a member of staff",
                 formats={"Assets (ADA, CNY)": ",.0f", "Correct share": "{:.0%}"})
    wrong = int((table["customers"] - table["correctly_owned"] - table["orphaned"]).clip(lower=0).sum())
    orphans = int(table["orphaned"].sum())
    d.say(f"{orphans} customers belong to staff who have left and {wrong} sit with the wrong role: "
          f"reassign them this week, starting with the largest.")
    return table


def section_workload(ctx: BranchContext) -> pd.DataFrame:
    band = (ctx.params.rm_band.min, ctx.params.rm_band.max)
    wl = rm_workload(ctx.features, ctx.staff, band=band, as_of=pd.Timestamp(ctx.period.end))
    d.heading("Customer-manager workload")
    ax = plots.workload_plot(wl, band=band)
    d.show_figure(ax.figure, alt="Customers per customer manager against the target band")
    counts = wl["status"].value_counts()
    d.say(f"{int(counts.get('within', 0))} of {len(wl)} customer managers are within {band[0]}–{band[1]} customers; "
          f"{int(counts.get('over', 0))} are over and {int(counts.get('left', 0))} have left: move books from over to under.")
    return wl


def section_upgrades(ctx: BranchContext) -> pd.DataFrame:
    up = upgrade_candidates(ctx.features, ctx.thresholds, window=ctx.params.upgrade.window,
                            top_n=ctx.params.upgrade.top_n)
    d.heading("Upgrade candidates: just below a tier's bar")
    shown = mask_customers(up[["customer_id", "masked_name", "ada", "tier", "next_tier", "gap", "owner_staff_id"]])
    shown["tier"] = shown["tier"].map(TIER_LABELS)
    shown["next_tier"] = shown["next_tier"].map(TIER_LABELS)
    d.show_table(shown.rename(columns={"customer_id": "Customer", "masked_name": "Name", "ada": "ADA (CNY)",
                                       "tier": "Tier now", "next_tier": "Next tier", "gap": "Gap (CNY)",
                                       "owner_staff_id": "Owner"}),
                 caption=f"Top {len(up)} by smallest gap to the next bar (ids and names masked)",
                 formats={"ADA (CNY)": ",.0f", "Gap (CNY)": ",.0f"})
    total_gap = float(up["gap"].sum()) if len(up) else 0.0
    d.say(f"Lifting these {len(up)} customers over their bars needs {total_gap:,.0f} CNY of average daily assets in all; "
          f"give each owner their list today.")
    return up


def section_long_tail(ctx: BranchContext) -> pd.DataFrame:
    prof = long_tail_profile(ctx.features, head_share=ctx.params.long_tail.head_share)
    d.heading("The long tail")
    ax = plots.long_tail_plot(prof)
    d.show_figure(ax.figure, alt="Head against long tail: shares of customers, assets, transactions and products")
    show = prof[["part", "customers", "assets_share", "transactions_share", "products_share", "mean_products",
                 "dormant_share"]].rename(columns={
        "part": "Part", "customers": "Customers", "assets_share": "Share of assets",
        "transactions_share": "Share of transactions", "products_share": "Share of products held",
        "mean_products": "Products per customer", "dormant_share": "Dormant"})
    show["Part"] = show["Part"].map({"head": f"Head (top {ctx.params.long_tail.head_share:.0%})", "tail": "Long tail"})
    d.show_table(show, formats={"Share of assets": "{:.1%}", "Share of transactions": "{:.1%}",
                                "Share of products held": "{:.1%}", "Products per customer": "{:.2f}",
                                "Dormant": "{:.1%}"})
    tail = prof.set_index("part").loc["tail"]
    d.say(f"The long tail makes {_pct(tail['transactions_share'])} of transactions but holds {_pct(tail['assets_share'])} of assets, "
          f"and {_pct(tail['dormant_share'])} of it is dormant: wake it with digital offers rather than RM hours.")
    return prof


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(ctx: BranchContext, engine: str = "unknown") -> dict:
    """How this report was made: version, data, seed, parameters, engine, time."""
    return {
        "crmstudy_version": __version__,
        "git_commit": _git_commit() or "not a checkout",
        "data_fingerprint": ctx.fingerprint,
        "seed": ctx.meta.get("seed", "n/a (user data)"),
        "preset": ctx.meta.get("preset", "n/a"),
        "null_bank": ctx.meta.get("null", False),
        "period": f"{ctx.period.start} to {ctx.period.end}",
        "parameters_hash": ctx.params.digest(),
        "render_engine": engine,
        "python": platform.python_version(),
        "made_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def section_provenance(ctx: BranchContext, engine: str = "unknown") -> dict:
    p = provenance(ctx, engine)
    d.heading("How this report was made")
    d.show_table(pd.DataFrame({"item": list(p), "value": [str(v) for v in p.values()]}))
    params = ctx.params.as_dict()
    flat = pd.json_normalize(params, sep=".").T.reset_index()
    flat.columns = ["parameter", "value"]
    flat["value"] = flat["value"].astype(str)
    d.show_table(flat, caption="Resolved parameters")
    return p
