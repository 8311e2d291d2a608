"""Group × product cells adjusted for wealth and age: Cochran–Mantel–Haenszel over strata.

A life group that is richer than the rest holds more wealth products because it is
richer, not because of who it is (docs/generative_model.md plants exactly that).  The
unadjusted cell test of :func:`~crmstudy.association.group_product_association` cannot
tell the two apart; here every cell's 2 × 2 table (group / rest × holds / does not) is
split into strata of customers alike in the confounders — quintiles of average daily
assets, age bands — and the strata are pooled: the Mantel–Haenszel odds ratio and the
Cochran–Mantel–Haenszel χ² (1 degree of freedom, no continuity correction).

Written here rather than calling ``statsmodels.stats.contingency_tables.StratifiedTable``
once per cell because a report tests ~100 cells per grouping: the same formulas as
arrays over every cell at once (the tests check them against statsmodels).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError

__all__ = ["AGE_BANDS", "WEALTH_QUANTILES", "confounder_strata", "mantel_haenszel_cells"]

#: Quantile bins of a numeric confounder (average daily assets: quintiles).
WEALTH_QUANTILES = 5
#: Age bands (years): under 35, 35–54, 55 and over.
AGE_BANDS = (35, 55)


def confounder_strata(customers: pd.DataFrame, adjust_for: Sequence[str]) -> np.ndarray:
    """One stratum number per customer: the cross of the confounders' bins.

    ``age`` is cut at :data:`AGE_BANDS`; any other numeric column (``ada``) into
    :data:`WEALTH_QUANTILES` quantile bins; a text column is used as it is.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [20, 40, 60, 70], "ada": [1.0, 2.0, 3.0, 4.0]})
    >>> confounder_strata(df, ["age"]).tolist()
    [0, 1, 2, 2]
    """
    missing = [c for c in adjust_for if c not in customers.columns]
    if missing:
        raise DataError(f"group_product_association: cannot adjust for missing column(s) {', '.join(missing)}")
    codes = np.zeros(len(customers), dtype="int64")
    for col in adjust_for:
        v = customers[col]
        if col == "age":
            bins = np.digitize(v.to_numpy(dtype=float), AGE_BANDS)
        elif pd.api.types.is_numeric_dtype(v):
            ranks = v.rank(method="first").to_numpy()
            bins = np.minimum((ranks - 1) * WEALTH_QUANTILES // max(len(v), 1), WEALTH_QUANTILES - 1).astype(int)
        else:
            bins = pd.factorize(v)[0]
        codes = codes * (int(bins.max()) + 1 if len(bins) else 1) + bins
    return pd.factorize(codes)[0]


def mantel_haenszel_cells(onehot: np.ndarray, held: np.ndarray, strata: np.ndarray) -> dict[str, np.ndarray]:
    """Pooled odds ratio and CMH test of every group × product cell across strata.

    Parameters
    ----------
    onehot : np.ndarray
        Groups × customers, 1 where the customer is in the group.
    held : np.ndarray
        Customers × products, 1 where the customer holds the product.
    strata : np.ndarray
        Stratum number of each customer (:func:`confounder_strata`).

    Returns
    -------
    dict
        ``odds_ratio_mh``, ``statistic_mh`` (χ², 1 df) and ``p_value_mh``, each groups × products;
        NaN where no stratum holds both a group member and someone else with a varying outcome.
    """
    G, P = onehot.shape[0], held.shape[1]
    num = np.zeros((G, P))
    den = np.zeros((G, P))
    dev = np.zeros((G, P))
    var = np.zeros((G, P))
    for k in np.unique(strata):
        m = strata == k
        N = float(m.sum())
        if N < 2:
            continue
        og, h = onehot[:, m], held[m]
        a = og @ h  # holders in the group
        n1 = og.sum(axis=1)[:, None]  # group members in the stratum
        m1 = h.sum(axis=0)[None, :]  # holders in the stratum
        b, c = n1 - a, m1 - a
        d = N - n1 - m1 + a
        num += a * d / N
        den += b * c / N
        dev += a - n1 * m1 / N
        var += n1 * (N - n1) * m1 * (N - m1) / (N * N * (N - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(den > 0, num / den, np.where(num > 0, np.inf, np.nan))
        chi2 = np.where(var > 0, dev * dev / var, np.nan)
    p = np.where(np.isnan(chi2), np.nan, stats.chi2.sf(np.nan_to_num(chi2), 1))
    return {"odds_ratio_mh": odds, "statistic_mh": chi2, "p_value_mh": p}
