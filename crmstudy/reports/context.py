"""Everything one branch report needs, computed once: :class:`BranchContext`.

:func:`load_context` opens the bank once (or takes an open :class:`~crmstudy.bank.Bank`),
reads the branch's customer features and the anonymous asset column of the
whole bank, and resolves the parameters.  What several sections use (tiers,
the Gini with its interval, the upgrade candidates, the headline figures) is
computed on first use and kept on the context.

Privacy: a context holds the branch's own customers only; other branches
enter as anonymous asset values for the bank-wide Lorenz curve.
"""

from __future__ import annotations

import functools
import json
import pickle
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import i18n
from ..atomic import write_text_atomic
from ..bank import Bank
from ..errors import BranchError
from ..features import customer_assets, customer_features
from ..params import ReportParams
from ..pareto import GiniResult, customers_holding_share, gini, top_share
from ..period import Period
from ..schema import remember_fingerprint
from ..suggest import near
from ..tiers import OwnershipRule, TierThresholds, assign_tiers, upgrade_candidates

__all__ = [
    "BranchContext",
    "branch_display_name",
    "branch_ids",
    "branch_period",
    "check_branches",
    "count_in_period",
    "headline",
    "load_context",
    "load_scores",
    "open_in_period",
    "write_headline",
]


@dataclass
class BranchContext:
    """Everything a branch report needs, for one branch only.

    Attributes
    ----------
    features : pd.DataFrame
        One row per customer of the branch (:func:`crmstudy.features.customer_features`).
    bank_ada : np.ndarray
        Average daily assets of every customer of the bank, anonymous (the whole-bank curve).
    bank : Bank
        The bank, opened once; sections that read more (holdings, scores) read it here.
    scores_path : str, optional
        The runner's slice of the footprint scores fitted once for the whole bank.
    engine : str
        The render engine, for the provenance section.
    population : dict
        Who was left out of ``features`` and why (:func:`count_in_period`): ``opened_after`` (opened
        after the period's end), ``closed_before`` (closed before it began), ``overdrawn`` (customers
        whose average daily assets were negative, floored at 0) and ``dormancy_known`` (the bank has
        transactions, from which dormancy is read).
    """

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
    bank: Bank | None = field(default=None, repr=False)
    scores_path: str | None = None
    engine: str = "unknown"
    population: dict = field(default_factory=dict)
    standing: dict | None = None
    previous: dict | None = None

    @property
    def lang(self) -> str:
        """The report's language (``params.language``)."""
        return self.params.language

    @functools.cached_property
    def tiers(self) -> pd.Series:
        """Each customer's tier (:func:`crmstudy.tiers.assign_tiers`), aligned with ``features``."""
        return assign_tiers(self.features, self.thresholds)

    @functools.cached_property
    def gini(self) -> GiniResult:
        """The branch's Gini of average daily assets, with its bootstrap interval when ``bootstrap.n_boot``."""
        b = self.params.bootstrap
        return gini(
            self.features["ada"].to_numpy(), ci=0.95 if b.n_boot else None, n_boot=max(b.n_boot, 1), seed=b.seed
        )

    @functools.cached_property
    def bank_gini(self) -> float:
        """The whole bank's Gini of average daily assets (no interval)."""
        return gini(self.bank_ada, ci=None).estimate

    @functools.cached_property
    def rest_ada(self) -> np.ndarray:
        """Average daily assets of the rest of the bank: ``bank_ada`` without the branch's customers.

        ``bank_ada`` is anonymous, so the branch's values are removed as a multiset: each branch value
        takes out one equal bank value (ascending; a branch value the bank lacks removes nothing).
        """
        bank = np.sort(np.asarray(self.bank_ada, dtype="float64"))
        own = np.sort(self.features["ada"].to_numpy(dtype="float64"))
        first = np.searchsorted(own, own, side="left")  # the i-th copy of a value takes the i-th bank copy
        pos = np.searchsorted(bank, own, side="left") + (np.arange(own.size) - first)
        ok = pos < bank.size
        ok[ok] = bank[pos[ok]] == own[ok]
        keep = np.ones(bank.size, dtype=bool)
        keep[pos[ok]] = False
        return bank[keep]

    @functools.cached_property
    def upgrade_candidates(self) -> pd.DataFrame:
        """Every upgrade candidate, smallest gap to the next bar first (:func:`crmstudy.tiers.upgrade_candidates`)."""
        return upgrade_candidates(self.features, self.thresholds, window=self.params.upgrade.window, top_n=None)

    @functools.cached_property
    def headline(self) -> dict:
        """The branch's headline figures (also shown on the index page)."""
        return headline(self)

    @functools.cached_property
    def monthly(self) -> pd.DataFrame:
        """The branch's month-end customers, assets and dormancy (:func:`.trends.monthly_lines`).

        From the run's shared step when it computed them (``standing["monthly"]``), else read here.
        """
        from .trends import monthly_lines

        if self.standing and "monthly" in self.standing:
            df = pd.DataFrame(self.standing["monthly"])
            if len(df):
                df["month_end"] = pd.to_datetime(df["month_end"]).dt.date
                for c in ("dormant", "dormant_share"):
                    df[c] = pd.to_numeric(df[c], errors="coerce")
            return df
        return monthly_lines(self.bank, self.period, branch=self.branch_id)

    @functools.cached_property
    def ranks(self) -> dict:
        """Where the branch stands among the bank's branches on the headline figures (:func:`.trends.ranks`).

        From the run's shared step (``standing["ranks"]``), else from the whole bank's features read here.
        """
        from .trends import branch_figures, ranks

        if self.standing and "ranks" in self.standing:
            return dict(self.standing["ranks"])
        every = customer_features(self.bank, self.period)
        return ranks(
            branch_figures(every, self.period, dormancy_known=self.population.get("dormancy_known", True)),
            self.branch_id,
        )


def branch_ids(data) -> list[str]:
    """The branch ids of a bank, sorted."""
    return Bank.of(data).branch_ids


def check_branches(data, wanted: str | list[str]) -> list[str]:
    """Resolve ``all`` or a list of ids; unknown ids raise one line listing the valid ones."""
    valid = branch_ids(data)
    if wanted in ("all", None, ["all"]):
        return valid
    if isinstance(wanted, str):
        wanted = [w.strip() for w in wanted.split(",") if w.strip()]
    if not wanted:
        raise BranchError(f"no branch named; pass 'all' or ids separated by commas, e.g. {valid[0]}")
    unknown = [w for w in wanted if w not in valid]
    if unknown:
        hints = [h for h in (near(w, valid) for w in unknown) if h]
        hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
        if len(valid) > 12:  # a big bank: the first few ids, not a screen of them
            shown = f"{', '.join(valid[:8])}, ... ({len(valid)} branches in the bank's branches table)"
        else:
            shown = ", ".join(valid)
        raise BranchError(f"unknown branch id(s) {', '.join(unknown)}{hint}; valid: {shown}")
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
    with open(path, "rb") as f:
        return pickle.load(f)


def branch_period(bank, params: ReportParams) -> Period:
    """The period a branch report covers: the bank's own, unless the parameters narrow it."""
    period = Bank.of(bank).period
    if params.period.start or params.period.end:
        period = Period(params.period.start or period.start, params.period.end or period.end)
    return period


def open_in_period(customers: pd.DataFrame, period: Period) -> pd.Series:
    """Whether each customer was open at some time in ``period``: opened by its end, not closed before its start.

    A customer without an ``open_date`` counts as open; ``close_date`` is the day the relationship ended.
    """
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end_exclusive)
    opened = pd.to_datetime(customers["open_date"])
    closed = (
        pd.to_datetime(customers["close_date"]) if "close_date" in customers else pd.Series(pd.NaT, customers.index)
    )
    return (opened.isna() | (opened < end)) & (closed.isna() | (closed >= start))


def count_in_period(features: pd.DataFrame, period: Period, *, dormancy_known: bool = True):
    """The population rules of a report: who counts in ``period``, and what is said about those who do not.

    - a customer counts only while open in the period (:func:`open_in_period`): one opened after
      the period's end, or closed before it began, is left out, not counted as a zero-asset customer;
    - a customer closed by the period's end has left, so is not dormant;
    - without transactions dormancy cannot be read: ``dormant`` is unknown (NA), not "everyone";
    - assets are floored at 0 for concentration and tiers: an overdrawn customer (negative average
      daily assets, signed balances) holds nothing with the bank; ``ada_signed`` keeps the value.

    Returns
    -------
    pd.DataFrame, dict
        The customers who count, and ``opened_after``, ``closed_before``, ``overdrawn``, ``dormancy_known``.
    """
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end_exclusive)
    opened = pd.to_datetime(features["open_date"])
    closed = pd.to_datetime(features.get("close_date", pd.Series(pd.NaT, features.index)))
    after, before = opened >= end, closed < start
    f = features[open_in_period(features, period)].reset_index(drop=True)
    f_closed = pd.to_datetime(f.get("close_date", pd.Series(pd.NaT, f.index)))
    if dormancy_known:
        f["dormant"] = f["dormant"].astype(bool) & ~(f_closed < end)
    else:
        f["dormant"] = pd.array([pd.NA] * len(f), dtype="boolean")
    f["ada_signed"] = f["ada"]
    overdrawn = int((f["ada"] < 0).sum())
    for c in ("ada", "peak_assets", "end_assets"):
        f[c] = f[c].clip(lower=0)
    info = {
        "opened_after": int(after.sum()),
        "closed_before": int((before & ~after).sum()),
        "overdrawn": overdrawn,
        "dormancy_known": bool(dormancy_known),
    }
    return f, info


def _bank_ada(bank: Bank, period: Period) -> np.ndarray:
    """Average daily assets of every customer open in the period, floored at 0 (no balance: zero)."""
    cust = bank.sql("SELECT customer_id, open_date, close_date FROM customers")
    ids = cust.loc[open_in_period(cust, period), "customer_id"]
    assets = customer_assets(bank.con, period)
    ada = assets.loc[assets["customer_id"].isin(ids), "ada"].clip(lower=0).to_numpy()
    return np.concatenate([ada, np.zeros(max(len(ids) - len(ada), 0))])


def load_context(
    data,
    branch_id: str,
    params: ReportParams | dict | None = None,
    *,
    features_path=None,
    fingerprint: str | None = None,
    scores_path: str | None = None,
    engine: str = "unknown",
    standing: dict | None = None,
    previous: dict | None = None,
) -> BranchContext:
    """Compute the branch's customer features and what the bank comparison needs.

    Parameters
    ----------
    data : Bank or path
        The bank, opened once by the caller or opened here.
    branch_id : str
        The branch; an unknown id raises :class:`~crmstudy.errors.BranchError` listing the valid ones.
    params : ReportParams or dict, optional
        Resolved parameters (:func:`crmstudy.params.load`); a dict is checked against the model.
    features_path : path, optional
        Customer features of the whole bank for this branch's period, computed
        once per run (:func:`crmstudy.features.customer_features`); the report
        then reads only its branch's slice and the anonymous asset column.
    fingerprint : str, optional
        The data fingerprint, when the caller already has it (hashing a large
        bank's files once per branch would be wasteful).
    scores_path, engine
        Kept on the context for the prospects and provenance sections.
    standing : dict, optional
        From the run's shared step: the branch's month-end lines (``monthly``) and its ``ranks``
        among the bank's branches (:mod:`.trends`); computed here when not given.
    previous : dict, optional
        The branch's last published report (:func:`.trends.previous_report`); ``{}`` or None: none.
    """
    if not isinstance(params, ReportParams):
        params = ReportParams.model_validate(params or {})
    bank = Bank.of(data)
    if fingerprint:  # the runner hashed the files once: every Bank this process opens on them reuses it
        remember_fingerprint(bank, fingerprint)
    i18n.set_currency(bank.currency)  # every amount and label of the report in the bank's currency
    branches = bank.branches
    if branch_id not in set(branches["branch_id"]):
        raise BranchError(f"unknown branch id {branch_id}; valid: {', '.join(sorted(branches['branch_id']))}")
    period = branch_period(bank, params)
    if features_path:
        features = pd.read_parquet(features_path, filters=[("branch_id", "==", branch_id)])
        features = features.sort_values("customer_id").reset_index(drop=True)
        every = pd.read_parquet(features_path, columns=["ada", "open_date", "close_date"])
        bank_ada = every.loc[open_in_period(every, period), "ada"].clip(lower=0).to_numpy()
    else:
        features = customer_features(bank, period, branch=branch_id)
        bank_ada = _bank_ada(bank, period)
    features, population = count_in_period(features, period, dormancy_known=bank.available("transactions"))
    staff = bank.read("staff")
    staff = staff[staff["branch_id"] == branch_id].reset_index(drop=True)
    return BranchContext(
        branch_id=branch_id,
        branch_name=branch_display_name(branches, branch_id, params.language),
        period=period,
        params=params,
        features=features,
        bank_ada=bank_ada,
        staff=staff,
        meta=bank.meta,
        fingerprint=fingerprint or bank.fingerprint,
        thresholds=TierThresholds.from_params(params.tiers),
        ownership=OwnershipRule.from_params(params.ownership),
        bank=bank,
        scores_path=scores_path or None,
        engine=engine,
        population=population,
        standing=standing or None,
        previous=previous or {},
    )


def headline(ctx: BranchContext) -> dict:
    """The branch's headline figures (also shown on the index page).

    A branch without customers open in the period, or whose customers hold nothing in it, has
    counts but no concentration figures (NaN: shown as a dash), rather than an error.
    """
    f = ctx.features
    ada = f["ada"].to_numpy()
    nan = float("nan")
    assets = len(f) > 0 and float(ada.sum()) > 0
    g = ctx.gini if assets else None
    dormant = f["dormant"].astype("boolean")
    return {
        "branch_id": ctx.branch_id,
        "branch_name": ctx.branch_name,
        "customers": int(len(f)),
        "total_ada": float(ada.sum()),
        "gini": float(g.estimate) if g else nan,
        "gini_low": float(g.low) if g else nan,
        "gini_high": float(g.high) if g else nan,
        "top20_share": float(top_share(ada, 0.2)) if assets else nan,
        "customers_for_80": float(customers_holding_share(ada, 0.8)) if assets else nan,
        "key_customers": int(ctx.tiers.isin(["key", "sub_key"]).sum()) if len(f) else 0,
        "dormant_share": float(dormant.mean()) if len(f) and dormant.notna().any() else nan,
        "upgrade_candidates": int(len(ctx.upgrade_candidates)) if len(f) else 0,
        "period_start": ctx.period.start.isoformat(),
        "period_end": ctx.period.end.isoformat(),
        "left_out_opened_after": int(ctx.population.get("opened_after", 0)),
        "left_out_closed_before": int(ctx.population.get("closed_before", 0)),
        "overdrawn": int(ctx.population.get("overdrawn", 0)),
    }


def write_headline(ctx: BranchContext, path) -> dict:
    """Write the headline figures as JSON (atomically) for the index page."""
    h = ctx.headline
    if path:
        write_text_atomic(path, json.dumps(h, indent=2, sort_keys=True))
    return h
