"""Which customers use which channels, where: customer type × area × channel, branch × channel, product × channel.

Source 004's first stage asks of a CRM system "customer type and location
against channel, which region's channels which customers prefer, channel
against product".  A raw cross-table answers with confounding: older
customers go to the counter, and a group that is older (affluent retirees)
or richer looks like it prefers a channel because of its age or wealth.  So
every group × channel cell is tested with the association machinery: the
customers who used the channel in the period, group against the rest,
within strata of like wealth (quintiles of average daily assets) and age
(single years) and activity (quintiles of transactions), pooled by Cochran–Mantel–Haenszel
(:func:`crmstudy.association.mantel_haenszel_cells`), and the p-values of
all cells adjusted together (Benjamini–Hochberg by default,
:func:`crmstudy.stats.adjust_pvalues`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..association.adjusted import confounder_strata, mantel_haenszel_cells
from ..bank import Bank
from ..branch_rows import branch_rows
from ..errors import DataError
from ..period import Period
from ..results import Result
from ..runcache import bankwide
from ..stats import adjust_pvalues, check_correction

__all__ = ["ChannelAssociation", "channel_association", "channel_mix", "channel_use"]

#: Fewest customers a group needs for its cells to be tested.
MIN_GROUP = 30


def channel_use(data, period: Period | None = None, *, branch: str | None = None) -> pd.DataFrame:
    """Customer-initiated transactions per customer and channel: one row per customer with any, a column per channel.

    Payroll credits are left out: the employer, not the customer, chose their channel.
    ``branch``: that branch's customers only, filtered in the query (a branch report reads a
    twentieth of the rows at demo scale); the columns are still every channel the bank's
    customers used in the period, so the frame is the whole bank's sliced to the branch.
    """
    from .. import feature_defs as fd
    from ..profit.drivers import channel_months

    bank = Bank.of(data)
    period = period or bank.period
    eng = fd.backend("duckdb", bank)
    if branch is None:
        long = eng.to_pandas(channel_months(eng.tables, period, customer_initiated=True))
    else:  # in a report run, the branch's part of one bank-wide pass
        long = branch_rows(bank, channel_months, period, branch, customer_initiated=True)
    wide = long.pivot_table(index="customer_id", columns="channel", values="n_txn", aggfunc="sum", fill_value=0)
    wide.columns = wide.columns.astype(str)
    if branch is not None:  # a channel none of the branch's customers used stays a column of zeros
        every = channels_used(bank, period)
        wide = wide.reindex(columns=pd.Index(every, dtype=wide.columns.dtype), fill_value=0)
        wide.index.name = "customer_id"
    return wide.reset_index().rename_axis(columns=None)


@bankwide()
def channels_used(bank: Bank, period: Period) -> list[str]:
    """The channels of the bank's customer-initiated transactions in ``period``, sorted (once per run)."""
    from .. import feature_defs as fd
    from ..profit.drivers import transactions_in

    eng = fd.backend("duckdb", bank)
    used = eng.to_pandas(transactions_in(eng.tables, period, customer_initiated=True).select("channel").distinct())
    return sorted(str(c) for c in used["channel"].dropna())


def _channels(use: pd.DataFrame) -> list[str]:
    return [c for c in use.columns if c != "customer_id"]


def channel_mix(use: pd.DataFrame, customers: pd.DataFrame, *, by: Sequence[str]) -> pd.DataFrame:
    """Share of each group's transactions made in each channel (rows: groups, columns: channels)."""
    df = customers[["customer_id", *by]].merge(use, on="customer_id")
    sums = df.groupby(list(by), observed=True)[_channels(use)].sum()
    return sums.div(sums.sum(axis=1), axis=0)


@dataclass(frozen=True)
class ChannelAssociation(Result):
    """Group × channel cells, adjusted for wealth and age, with their multiple-testing decision.

    Attributes
    ----------
    cells : pd.DataFrame
        ``group, channel, n_group, share_group, share_rest, odds_ratio_mh, p_value_mh,
        p_adjusted, significant`` (the share of the group's / the rest's customers who used
        the channel).
    alpha : float
    correction : str
    """

    cells: pd.DataFrame
    alpha: float
    correction: str

    def to_frame(self) -> pd.DataFrame:
        """The cells."""
        return self.cells

    @property
    def significant(self) -> pd.DataFrame:
        """The cells that survive the correction, strongest first."""
        s = self.cells[self.cells["significant"]]
        return s.sort_values("p_adjusted", kind="stable", ignore_index=True)


def channel_association(
    customers: pd.DataFrame,
    use: pd.DataFrame,
    *,
    by: Sequence[str] = ("life_group", "area_type"),
    adjust_for: Sequence[str] = ("ada", "age", "n_txn"),
    alpha: float = 0.05,
    correction: str = "bh",
) -> ChannelAssociation:
    """Test every group × channel cell for customers who use the channel more (or less) than the rest.

    Parameters
    ----------
    customers : pd.DataFrame
        One row per customer: ``customer_id``, the ``by`` columns and the ``adjust_for`` columns.
    use : pd.DataFrame
        :func:`channel_use`: transactions per customer and channel.
    by : sequence of str
        The columns whose cross makes a group (``("branch_id",)``, ``("tier",)`` ...).
    adjust_for : sequence of str
        Confounders: ``ada`` and ``n_txn`` in quintiles, ``age`` in single years, a text
        column as it is; ``()`` for the unadjusted test (still CMH, one stratum).  The
        number of transactions is a confounder of "used the channel at all": a customer who
        does more business uses more channels.

    Returns
    -------
    ChannelAssociation
    """
    correction = check_correction(correction)
    need = ["customer_id", *by, *adjust_for]
    missing = [c for c in need if c not in customers.columns]
    if missing:
        raise DataError(f"channel_association: customers lack column(s) {', '.join(missing)}")
    df = customers[need].merge(use, on="customer_id")  # active customers only: those with a transaction
    channels = _channels(use)
    if df.empty or not channels:
        raise DataError("channel_association: no customer has a transaction in the period")
    # age in single years, as text under another name (confounder_strata cuts "age" into three bands):
    # the chance of going to the counter rises with every year of age, so wide bands leave confounding behind
    conf = df[list(adjust_for)].rename(columns={"age": "age_year"})
    if "age_year" in conf:
        conf["age_year"] = conf["age_year"].astype(int).astype(str)
    strata = confounder_strata(conf, list(conf.columns)) if adjust_for else np.zeros(len(df), dtype=int)
    group = df[list(by)].astype(str).agg(" · ".join, axis=1)
    sizes = group.value_counts()
    groups = sorted(sizes[sizes >= MIN_GROUP].index)
    onehot = np.stack([(group == g).to_numpy(dtype=float) for g in groups]) if groups else np.zeros((0, len(df)))
    used = (df[channels].to_numpy() > 0).astype(float)
    mh = mantel_haenszel_cells(onehot, used, strata)
    n_g = onehot.sum(axis=1)[:, None]
    share_g = (onehot @ used) / np.maximum(n_g, 1)
    share_r = (used.sum(axis=0)[None, :] - onehot @ used) / np.maximum(len(df) - n_g, 1)
    cells = pd.DataFrame(
        {
            "group": np.repeat(groups, len(channels)),
            "channel": np.tile(channels, len(groups)),
            "n_group": np.repeat(n_g[:, 0].astype(int), len(channels)),
            "share_group": share_g.ravel(),
            "share_rest": share_r.ravel(),
            "odds_ratio_mh": mh["odds_ratio_mh"].ravel(),
            "p_value_mh": mh["p_value_mh"].ravel(),
        }
    )
    cells["p_adjusted"] = adjust_pvalues(cells["p_value_mh"].to_numpy(), method=correction)
    cells["significant"] = cells["p_adjusted"].fillna(1.0) <= alpha
    return ChannelAssociation(cells=cells, alpha=alpha, correction=correction)
