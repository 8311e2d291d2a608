"""Branch report section: which customer groups hold which products, and whom to offer what.

Called from ``notebooks/branch_report.ipynb`` as
``section_association(ctx, data_dir)``; the context holds the branch's own
customers only and the holdings are read for this branch alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..association import (GroupProductAssociation, NextBestEvaluation, SimilarCustomers, evaluate_next_best,
                           group_product_association, read_holding_matrix)
from ..association_plots import residual_heatmap
from ..features import connect
from ..privacy import mask_customers
from ..tiers import assign_tiers
from . import display as d

#: Reader-facing tier names (seed 001: 重点, 次重点, 一般, 潜在, long tail).
_TIER_LABELS = {"key": "Key", "sub_key": "Sub-key", "general": "General", "potential": "Potential",
                "mass": "Mass (long tail)"}
#: Customers per look-alike group: about this many members each, at most 12 groups.
_CUSTOMERS_PER_CLUSTER = 200


@dataclass(frozen=True)
class AssociationSection:
    """What the section computed (for tests and the notebook)."""

    association: GroupProductAssociation
    cross_sell: pd.DataFrame
    evaluation: NextBestEvaluation | None


def _product_names(data_dir) -> dict[str, str]:
    names = connect(data_dir).execute("SELECT product_id, product_name FROM products").df()
    return dict(zip(names["product_id"], names["product_name"]))


def _reading(assoc: GroupProductAssociation, names: dict[str, str]) -> str:
    cells = assoc.cells
    sig = cells[cells["significant"]]
    level = "false-discovery rate" if assoc.correction == "bh" else "family-wise error rate"
    if sig.empty:
        return (f"No customer group holds any product more or less often than the rest of the branch "
                f"beyond chance ({level} {assoc.alpha:.0%}): offer by need, not by group.")

    def phrase(row) -> str:
        who = str(row["group"]).replace("_", " ")
        what = names.get(row["product_id"], row["product_id"])
        what = what[:1].lower() + what[1:] if what[1:2].islower() else what  # "Mobile banking" mid-sentence
        how = f"{row['rate_ratio']:.1f} times as often as" if row["rate_ratio"] >= 1 else "less often than"
        return f"{who} customers hold {what} {how} the others ({row['rate']:.0%} against {row['rate_rest']:.0%})"

    top = sig.loc[sig["residual"].idxmax()] if (sig["residual"] > 0).any() else None
    low = sig.loc[sig["residual"].idxmin()] if (sig["residual"] < 0).any() else None
    parts = [phrase(r) for r in (top, low) if r is not None]
    return (f"{len(sig)} of {len(cells)} group × product cells differ from the branch beyond chance "
            f"({level} {assoc.alpha:.0%}, marked *): " + "; ".join(parts) + ".")


def cross_sell_list(features: pd.DataFrame, holding: pd.DataFrame, model: SimilarCustomers, *,
                    thresholds, names: dict[str, str], top_n: int = 20) -> pd.DataFrame:
    """The branch's cross-sell list: highest tiers first, then the surest first offer; ids masked."""
    recs = model.recommend(features, holding, top_n=3)
    wide = recs.assign(offer=[f"{names.get(p, p)} ({t:.0%})" for p, t in zip(recs["product_id"],
                                                                              recs["expected_take_up"])])
    offers = wide.pivot(index="customer_id", columns="rank", values="offer")
    first = recs[recs["rank"] == 1].set_index("customer_id")["expected_take_up"].rename("first_take_up")
    f = features.assign(tier=assign_tiers(features, thresholds)).set_index("customer_id")
    cols = [c for c in ("masked_name", "tier", "owner_staff_id") if c in f]
    out = f[cols].join(first, how="inner").join(offers, how="left")
    out = out.sort_values(["tier", "first_take_up"], ascending=[True, False]).head(top_n)
    out = out.drop(columns="first_take_up").reset_index()
    out["tier"] = out["tier"].astype(str).map(_TIER_LABELS)
    out = mask_customers(out)
    return out.rename(columns={"customer_id": "Customer", "masked_name": "Name", "tier": "Tier",
                               "owner_staff_id": "Owner",
                               1: "1st offer", 2: "2nd offer", 3: "3rd offer"})


def section_association(ctx, data_dir, *, by: str = "life_group", alpha: float = 0.05, correction: str = "bh",
                        top_n: int = 20, seed: int = 0) -> AssociationSection:
    """Heatmap of group × product residuals with a reading, then the branch's cross-sell list.

    Parameters
    ----------
    ctx : crmstudy.reports.branch.BranchContext
        The branch's context (features of its own customers, period, tiers).
    data_dir : path
        The bank folder, to read this branch's holdings on the period's last day.
    by : str
        Grouping shown in the heatmap.
    alpha, correction
        Passed to :func:`crmstudy.association.group_product_association`.
    top_n : int
        Customers in the cross-sell list.
    seed : int
        Seed of the look-alike groups and of the hidden-product check.

    Returns
    -------
    AssociationSection
    """
    holding = read_holding_matrix(data_dir, as_of=ctx.period.end, branch=ctx.branch_id)
    names = _product_names(data_dir)
    assoc = group_product_association(ctx.features, holding, by=by, alpha=alpha, correction=correction)
    d.heading("Who holds what: customer groups × products")
    ax = residual_heatmap(assoc.cells, labels=names, alpha=alpha)
    d.show_figure(ax.figure, alt=f"Adjusted residuals of {by.replace('_', ' ')} × product holding; "
                                 f"red above, blue below the branch average, * significant after correction")
    d.say(_reading(assoc, names))

    n = int(ctx.features["customer_id"].isin(holding.index).sum())
    k = max(2, min(12, n // _CUSTOMERS_PER_CLUSTER))
    model = SimilarCustomers(n_clusters=k, seed=seed).fit(ctx.features, holding)
    shown = cross_sell_list(ctx.features, holding, model, thresholds=ctx.thresholds, names=names, top_n=top_n)
    d.heading("Cross-sell list: next-best products", level=3)
    d.show_table(shown, caption=f"Top {len(shown)} customers, highest tier first; in brackets the share of "
                                f"look-alike customers holding the product (ids and names masked)")
    evaluation = evaluate_next_best(ctx.features, holding, n_clusters=k, seed=seed) if n >= 10 * k else None
    if evaluation is not None:
        better = evaluation.recall_at_k > evaluation.baseline_recall_at_k
        d.say(f"Checked on customers with one product hidden, the look-alike list names it among the first three "
              f"for {evaluation.recall_at_k:.0%} of them, against {evaluation.baseline_recall_at_k:.0%} for "
              f"offering everyone the most popular products: "
              + ("give each owner their list." if better else
                 "here it does no better than popularity, so use it to open a conversation, not as a script."))
    return AssociationSection(association=assoc, cross_sell=shown, evaluation=evaluation)
