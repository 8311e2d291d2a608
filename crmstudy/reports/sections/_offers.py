"""The cross-sell list of the association section: calibrated take-up chances, or the labelled baseline.

The per-product propensity models (:mod:`crmstudy.association.propensity`) learn from the whole
bank, once per process, and are judged on the bank's time hold-out against popularity within
group and tenure.  When the paired 95% interval of the gain lies above 0 the list offers the
model's products with the chance of opening each within ``association.horizon_months``;
otherwise it offers the baseline (the group's take-up rate), and the caption and the reading say
so.  Products in ``association.not_offered[tier]`` are never offered to that tier.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ... import i18n
from ...association import PropensityEvaluation, bank_judgement, take_up_data
from ...errors import DataError
from ...privacy import mask_customers

#: Columns of the cross-sell list and their messages ``association.cross_sell.<key>``.
COLUMNS = {
    "customer_id": "customer",
    "masked_name": "name",
    "tier": "tier",
    "owner_staff_id": "owner",
    1: "offer_1",
    2: "offer_2",
    3: "offer_3",
}


def eligible(scores: pd.DataFrame, tiers: pd.Series, not_offered: dict[str, list[str]]) -> pd.DataFrame:
    """``scores`` with the products a customer's tier is not offered blanked (NaN).

    Examples
    --------
    >>> s = pd.DataFrame({"A": [0.1, 0.2], "B": [0.3, 0.4]}, index=["c1", "c2"])
    >>> eligible(s, pd.Series(["key", "mass"], index=["c1", "c2"]), {"key": ["B"]}).to_dict("list")
    {'A': [0.1, 0.2], 'B': [nan, 0.4]}
    """
    out = scores.copy()
    tier = tiers.reindex(out.index).astype(str).to_numpy()
    for t, products in not_offered.items():
        cols = [p for p in products if p in out.columns]
        if cols:
            out.loc[tier == t, cols] = np.nan
    return out


def top_offers(scores: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """Each customer's ``k`` highest chances: ``customer_id``, ``rank``, ``product_id``, ``chance``."""
    v = scores.to_numpy(dtype=float)
    order = np.argsort(-np.nan_to_num(v, nan=-np.inf), axis=1, kind="stable")[:, :k]
    rows = np.repeat(np.arange(len(v)), order.shape[1])
    out = pd.DataFrame(
        {
            "customer_id": scores.index.to_numpy()[rows],
            "rank": np.tile(np.arange(1, order.shape[1] + 1), len(v)),
            "product_id": scores.columns.to_numpy()[order.ravel()],
            "chance": v[rows, order.ravel()],
        }
    )
    return out[out["chance"].notna()].reset_index(drop=True)


def work_dir(ctx):
    """The report run's private work folder (where the shared step left the bank's judgement), or None."""
    return Path(ctx.scores_path).parents[1] if ctx.scores_path else None


def judged(bank, end, knobs, cache_dir=None):
    """The bank's cross-sell judgement and deployed model for the report's knobs (``params.association``).

    ``cache_dir``: a report run's private work folder, where the shared step leaves it for the branches.
    """
    return bank_judgement(
        bank,
        end=pd.Timestamp(end),
        horizon_months=knobs.horizon_months,
        group=knobs.by,
        seed=knobs.seed,
        max_fit=knobs.fit_customers,
        cache_dir=cache_dir,
    )


#: Rows per Parquet row group of the run's offers file (sorted by branch: a branch decodes its own row groups).
_OFFERS_ROW_GROUP = 8192


def offers_file(work, bank, end, knobs) -> Path:
    """Where a report run keeps every customer's chances for these knobs (``params.association``) and period end."""
    import hashlib

    generation = str(bank.meta.get("generation", bank.fingerprint))
    key = hashlib.sha256(f"{bank.root}|{generation}|{knobs.model_dump_json()}".encode()).hexdigest()[:16]
    return Path(work) / f"offers_{pd.Timestamp(end).date()}_{key}.parquet"


def judge_for_run(bank, end, knobs, work, features_path=None) -> None:
    """The run's shared step: judge and fit the propensity models once, into ``work``, before the branches.

    With ``features_path`` (the run's features file) it also scores every customer of the bank at the
    period's end in one pass, with the model or the baseline as the judgement decides, and writes the
    chances beside the features, sorted by branch: each branch then reads its own rows
    (:func:`branch_offers`) instead of rebuilding the bank's holdings, assets and history for itself
    (on a million customers, ~15 s a branch).  The file holds unmasked ids and is removed with the
    run's work folder.
    """
    from ...atomic import atomic_path

    evaluation, model = judged(bank, end, knobs, work)
    if features_path is None or model is None:
        return
    try:
        now = take_up_data(bank, pd.Timestamp(end), horizon_months=knobs.horizon_months)
    except DataError:  # no customer holds a product: every branch's list is empty (branch_offers)
        scores = pd.DataFrame(columns=model.products_, dtype=float)
    else:
        used = evaluation is not None and evaluation.beats_baseline
        scores = model.scores(now) if used else model.group_scores(now)
        del now
    branch_of = pd.read_parquet(features_path, columns=["customer_id", "branch_id"]).set_index("customer_id")
    table = scores.rename_axis("customer_id").reset_index()
    table.insert(1, "branch_id", table["customer_id"].map(branch_of["branch_id"]))
    table = table[table["branch_id"].notna()].sort_values("branch_id", kind="stable", ignore_index=True)
    with atomic_path(offers_file(work, bank, end, knobs)) as tmp:
        table.to_parquet(tmp, index=False, row_group_size=_OFFERS_ROW_GROUP)


def _branch_scores(ctx, end, knobs, model, used) -> pd.DataFrame | None:
    """The branch's customers' chances (rows: customers holding a product at the end), or None if none holds one.

    Read from the run's offers file when the shared step wrote it (:func:`judge_for_run`), else computed
    for the branch alone; both encode the customers as the whole bank's data does, so they are equal.
    """
    work = work_dir(ctx)
    path = offers_file(work, ctx.bank, end, knobs) if work is not None else None
    if path is not None and path.exists():
        table = pd.read_parquet(path, filters=[("branch_id", "==", ctx.branch_id)])
        table = table[table["customer_id"].isin(ctx.features["customer_id"])]
        scores = table.drop(columns="branch_id").set_index("customer_id").rename_axis(None)
        return scores if len(scores) else None
    try:
        now = take_up_data(
            ctx.bank,
            end,
            customer_ids=ctx.features["customer_id"],
            horizon_months=knobs.horizon_months,
            branch=ctx.branch_id,
        )
    except DataError:
        return None
    return model.scores(now) if used else model.group_scores(now)


def branch_offers(ctx) -> dict:
    """The branch's offers at the period's end and the bank's judgement of the model.

    Returns
    -------
    dict
        ``evaluation`` (:class:`PropensityEvaluation` or None), ``model_used`` (bool: the
        model's chances; False: the baseline's), ``offers`` (long table, see :func:`top_offers`).
    """
    knobs = ctx.params.association
    end = pd.Timestamp(ctx.period.end)
    # in a report run, what the shared step judged (judge_for_run); else judged here
    evaluation, model = judged(ctx.bank, end, knobs, work_dir(ctx))
    empty = pd.DataFrame(columns=["customer_id", "rank", "product_id", "chance"])
    if model is None:
        return {"evaluation": evaluation, "model_used": False, "offers": empty}
    used = evaluation is not None and evaluation.beats_baseline
    scores = _branch_scores(ctx, end, knobs, model, used)
    if scores is None:
        return {"evaluation": evaluation, "model_used": False, "offers": empty}
    tiers = pd.Series(ctx.tiers.to_numpy(), index=ctx.features["customer_id"].to_numpy())
    scores = eligible(scores, tiers, knobs.not_offered)
    return {"evaluation": evaluation, "model_used": used, "offers": top_offers(scores)}


def cross_sell_list(ctx, offers: pd.DataFrame, names: dict[str, str], *, top_n: int, lang: str) -> pd.DataFrame:
    """Highest tiers first, then the surest first offer; in brackets the chance; ids masked."""
    first = offers[offers["rank"] == 1].set_index("customer_id")["chance"].rename("first")
    f = ctx.features.assign(tier=ctx.tiers).set_index("customer_id")
    cols = [c for c in ("masked_name", "tier", "owner_staff_id") if c in f]
    out = f[cols].join(first, how="inner")
    out = out.sort_values(["tier", "first"], ascending=[True, False]).head(top_n).drop(columns="first")
    # only the listed customers' offers are worded (a branch has thousands of customers with offers)
    shown = offers[offers["customer_id"].isin(out.index)]
    wide = shown.assign(
        offer=[
            i18n.t(
                "association.cross_sell.offer", lang, product=names.get(p, p), take_up=i18n.percent(c, lang, digits=1)
            )
            for p, c in zip(shown["product_id"], shown["chance"], strict=True)
        ]
    )
    table = wide.pivot(index="customer_id", columns="rank", values="offer")
    table = table.reindex(columns=sorted(offers["rank"].unique()))  # every rank any customer has, as before
    out = out.join(table, how="left").reset_index()
    out["tier"] = [i18n.t(f"tier.{t}", lang) for t in out["tier"].astype(str)]
    out = mask_customers(out)
    return out.rename(columns={c: i18n.t(f"association.cross_sell.{k}", lang) for c, k in COLUMNS.items()})


def reading(evaluation: PropensityEvaluation | None, months: int, lang: str = "en") -> str:
    """The hold-out in words: the model is offered only when the gain's interval lies above 0."""
    if evaluation is None:
        return i18n.t("offers.not_checked", lang, months=i18n.integer(months, lang))
    key = (
        "offers.better"
        if evaluation.beats_baseline
        else ("offers.worse" if evaluation.gain_high < 0 else "offers.same")
    )
    pct = lambda x: i18n.percent(x, lang, digits=1)  # noqa: E731
    points = lambda x: i18n.number(100 * x, lang, digits=1)  # noqa: E731
    return i18n.t(
        key,
        lang,
        cut=evaluation.cuts[1],
        months=i18n.integer(months, lang),
        n_test=i18n.integer(evaluation.n_test, lang),
        hit=pct(evaluation.hit_model),
        group=pct(evaluation.hit_group),
        popularity=pct(evaluation.hit_popularity),
        gain=points(evaluation.gain),
        low=points(evaluation.gain_low),
        high=points(evaluation.gain_high),
        level=i18n.percent(evaluation.ci, lang, digits=0),
        predicted=pct(evaluation.predicted),
        observed=pct(evaluation.observed),
    )
