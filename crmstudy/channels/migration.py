"""Channel migration month by month: is each branch's business moving to digital channels.

The digital share of a branch's transactions is counted per month and its
trend tested with a binomial GLM of the monthly digital count on the month
(logit link; quasi-binomial, the dispersion estimated from Pearson's χ²,
because one customer's transactions are not independent), the p-values of every branch adjusted
together (:func:`crmstudy.stats.adjust_pvalues`).  A branch migrates when its
slope is significant after the correction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ..bank import Bank
from ..feature_defs import DIGITAL_CHANNELS
from ..period import Period
from ..stats import adjust_pvalues, check_correction

__all__ = ["channel_migration", "migration_trend"]


def channel_migration(data, period: Period | None = None) -> pd.DataFrame:
    """Transactions per branch, month and channel, with the channel's share of the branch's month."""
    bank = Bank.of(data)
    period = period or bank.period
    df = bank.sql(
        f"""
        SELECT c.branch_id, date_trunc('month', t.ts) AS month, t.channel, COUNT(*) AS n_txn
        FROM transactions t JOIN customers c USING (customer_id)
        WHERE t.ts >= TIMESTAMP '{period.start}' AND t.ts < TIMESTAMP '{period.end_exclusive}'
          AND t.merchant_category <> 'payroll_in'
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """
    )
    df["share"] = df["n_txn"] / df.groupby(["branch_id", "month"])["n_txn"].transform("sum")
    return df


def migration_trend(
    monthly: pd.DataFrame, *, digital=DIGITAL_CHANNELS, alpha: float = 0.05, correction: str = "bh"
) -> pd.DataFrame:
    """Per branch: digital share in the first and last month, the trend per year and whether it is significant.

    Payroll credits are left out of :func:`channel_migration` (the employer, not the
    customer, chooses their channel).

    Returns
    -------
    pd.DataFrame
        ``branch_id, first_share, last_share, slope_per_year`` (change of the digital share
        per year at the branch's mean share, from the logit slope), ``p_value``,
        ``p_adjusted``, ``significant``.
    """
    correction = check_correction(correction)
    rows = []
    for branch, g in monthly.groupby("branch_id"):
        g = g.assign(digital=g["channel"].isin(digital))
        per = g.groupby("month").apply(
            lambda m: pd.Series({"d": m.loc[m["digital"], "n_txn"].sum(), "n": m["n_txn"].sum()}), include_groups=False
        )
        per = per[per["n"] > 0].sort_index()
        share = per["d"] / per["n"]
        t = np.arange(len(per), dtype=float)
        if len(per) < 3 or share.nunique() < 2:
            rows.append(
                (
                    branch,
                    share.iloc[0] if len(share) else np.nan,
                    share.iloc[-1] if len(share) else np.nan,
                    np.nan,
                    np.nan,
                )
            )
            continue
        endog = np.column_stack([per["d"], per["n"] - per["d"]])
        fit = sm.GLM(endog, sm.add_constant(t), family=sm.families.Binomial()).fit()
        # quasi-binomial: Pearson's dispersion (never below 1), a t test on the residual degrees of freedom
        phi = max(1.0, float(fit.pearson_chi2) / fit.df_resid)
        z = float(fit.params[1]) / (float(fit.bse[1]) * np.sqrt(phi))
        p_value = float(2 * stats.t.sf(abs(z), fit.df_resid))
        p_bar = float(per["d"].sum() / per["n"].sum())
        slope = float(fit.params[1]) * p_bar * (1 - p_bar) * 12  # d share / d month × 12
        rows.append((branch, float(share.iloc[0]), float(share.iloc[-1]), slope, p_value))
    out = pd.DataFrame(rows, columns=["branch_id", "first_share", "last_share", "slope_per_year", "p_value"])
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), method=correction)
    out["significant"] = out["p_adjusted"].fillna(1.0) <= alpha
    return out
