"""One contingency table: Pearson χ² or G test, adjusted residuals, Cramér's V.

The G statistic itself is :func:`crmstudy.stats.g_statistic` (the 2 × 2 tests
of :func:`crmstudy.stats.two_by_two_test` use it too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from ..results import Result
from ..stats import Method, check_method, g_statistic


@dataclass(frozen=True)
class ContingencyTest(Result):
    """The test of independence of one contingency table.

    Attributes
    ----------
    statistic : float
        Pearson χ² or the G statistic (likelihood ratio), no continuity correction.
    dof : int
        (rows − 1) × (columns − 1).
    p_value : float
    cramers_v : float
        sqrt(χ² / (n · (min(r, c) − 1))), from Pearson's χ².
    cramers_v_corrected : float
        Bergsma's (2013) bias-corrected V, 0 under independence on average.
    n : int
    expected : pd.DataFrame
        Counts expected under independence.
    residuals : pd.DataFrame
        Adjusted standardized residuals, about N(0, 1) per cell under independence.
    method : str
    """

    statistic: float
    dof: int
    p_value: float
    cramers_v: float
    cramers_v_corrected: float
    n: int
    expected: pd.DataFrame
    residuals: pd.DataFrame
    method: str

    _frame = "residuals"


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Counts expected under independence: row total × column total / n."""
    t = np.asarray(table, dtype=float)
    return t.sum(axis=1, keepdims=True) * t.sum(axis=0, keepdims=True) / t.sum()


def adjusted_residuals(table: np.ndarray) -> np.ndarray:
    """Adjusted standardized residuals (O − E) / sqrt(E (1 − r_i/n) (1 − c_j/n)).

    Haberman's residuals: about standard normal in every cell under
    independence, unlike Pearson's (O − E)/sqrt(E).  A cell whose row or
    column holds everyone has variance 0 and residual NaN.
    """
    t = np.asarray(table, dtype=float)
    n = t.sum()
    e = expected_counts(t)
    var = e * (1 - t.sum(axis=1, keepdims=True) / n) * (1 - t.sum(axis=0, keepdims=True) / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, (t - e) / np.sqrt(var), np.nan)


def cramers_v(chi2: float, n: int, shape: tuple[int, int], *, corrected: bool = True) -> float:
    """Cramér's V of a table from its Pearson χ².

    Parameters
    ----------
    chi2 : float
        Pearson's χ² of the table.
    n : int
        Total count.
    shape : (int, int)
        Rows and columns of the table.
    corrected : bool
        Bergsma's (2013) bias correction: φ²₊ = max(0, φ² − (r−1)(c−1)/(n−1)),
        r̃ = r − (r−1)²/(n−1), c̃ = c − (c−1)²/(n−1),
        V = sqrt(φ²₊ / min(r̃ − 1, c̃ − 1)).  The plain V is biased upwards in
        small samples and many-celled tables.

    Returns
    -------
    float
        Between 0 and 1; NaN for a table with one row or column.

    Examples
    --------
    >>> round(cramers_v(100.0, 1000, (2, 2), corrected=False), 4)
    0.3162
    """
    r, c = shape
    phi2 = chi2 / n
    if not corrected:
        k = min(r, c) - 1
        return float(np.sqrt(phi2 / k)) if k > 0 else float("nan")
    phi2c = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    cc = c - (c - 1) ** 2 / (n - 1)
    k = min(rc - 1, cc - 1)
    return float(np.sqrt(phi2c / k)) if k > 0 else float("nan")


def contingency_test(table: pd.DataFrame | np.ndarray, *, method: Method = "pearson") -> ContingencyTest:
    """Test a contingency table for independence.

    Parameters
    ----------
    table : pd.DataFrame or array
        Counts, rows × columns (at least 2 × 2, no empty row or column).
    method : {"pearson", "g"}
        Pearson's χ² or the G (log-likelihood ratio) test; both without
        Yates' continuity correction, so that χ² = Σ adjusted residual² holds
        for 2 × 2 tables.

    Returns
    -------
    ContingencyTest

    Examples
    --------
    >>> t = contingency_test(pd.DataFrame([[30, 10], [10, 30]]))
    >>> round(t.statistic, 1), round(float(t.residuals.iloc[0, 0]), 2)
    (20.0, 4.47)
    """
    check_method(method)
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(np.asarray(table))
    t = frame.to_numpy(dtype=float)
    if t.ndim != 2 or min(t.shape) < 2:
        raise DataError(f"contingency_test: need a table of at least 2 × 2 counts, got shape {t.shape}")
    if (t < 0).any() or (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        raise DataError("contingency_test: counts must be >= 0 with no empty row or column")
    n = t.sum()
    e = expected_counts(t)
    chi2 = float(((t - e) ** 2 / e).sum())
    stat = chi2 if method == "pearson" else float(g_statistic(t, e))
    dof = (t.shape[0] - 1) * (t.shape[1] - 1)
    like = dict(index=frame.index, columns=frame.columns)
    return ContingencyTest(
        statistic=stat,
        dof=dof,
        p_value=float(stats.chi2.sf(stat, dof)),
        cramers_v=cramers_v(chi2, n, t.shape, corrected=False),
        cramers_v_corrected=cramers_v(chi2, n, t.shape, corrected=True),
        n=int(n),
        expected=pd.DataFrame(e, **like),
        residuals=pd.DataFrame(adjusted_residuals(t), **like),
        method=method,
    )


def adjusted_residuals_2col(holders: np.ndarray, n_group: np.ndarray, total: np.ndarray, n: int) -> np.ndarray:
    """Adjusted residuals of the "holds" column of each product's groups × holds table."""
    e = n_group * total / n
    var = e * (1 - n_group / n) * (1 - total / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, (holders - e) / np.sqrt(var), np.nan)
