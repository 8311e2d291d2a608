"""Customers in groups: the checks of a group column, and Theil's decomposition by group.

:func:`theil_decomposition` splits the inequality of a value (Theil T) exactly
into a part between group means and a part within the groups.  The per-group
Lorenz statistics, :func:`crmstudy.pareto.concentration_by_group`, stay with the
Lorenz arithmetic in :mod:`crmstudy.pareto` and split the customers with
:func:`_groups` from here.  Every public name here is importable from
:mod:`crmstudy.pareto` too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError
from .results import Result
from .stats import nonnegative_array


@dataclass(frozen=True, eq=False)
class TheilResult(Result):
    """Theil T index split exactly into between-group and within-group parts.

    Attributes
    ----------
    total : float
        Theil T of all customers together.
    between : float
        Part due to differences between group means.
    within : float
        Part due to inequality inside the groups; ``between + within == total``.
    between_share : float
        ``between / total``; NaN when there is no inequality at all.
    by_group : pd.DataFrame
        One row per group (indexed by group): ``n``, ``total``, ``mean``,
        ``value_share``, ``theil``, ``within`` and ``between`` (the group's
        contributions to the two parts).

    Notes
    -----
    Compared by identity (``eq=False``) because it holds a DataFrame.
    """

    total: float
    between: float
    within: float
    between_share: float
    by_group: pd.DataFrame

    _frame = "by_group"


def _require_columns(df: pd.DataFrame, columns: list[str], *, caller: str) -> None:
    for col in columns:
        if col not in df.columns:
            raise DataError(f"{caller}: no column {col!r}; columns are {list(df.columns)}")
    for col in columns[1:]:
        n_missing = int(df[col].isna().sum())
        if n_missing:
            raise DataError(f"{caller}: group column {col!r} has {n_missing} missing values")


def _groups(df: pd.DataFrame, *, value: str, group: str, caller: str):
    """Validated values and, per group in sorted order, (key, row positions)."""
    _require_columns(df, [value, group], caller=caller)
    x = nonnegative_array(df[value], caller=caller, what=f"column {value!r}")
    indices = df.groupby(group, sort=True, observed=True).indices
    return x, list(indices.items())


def _theil_t(x: np.ndarray) -> float:
    """Theil T = mean of (x/mu) ln(x/mu), with 0 ln 0 = 0; NaN for a zero total."""
    mu = x.mean()
    if not mu > 0:
        return float("nan")
    r = x / mu
    return float(np.mean(r * np.log(np.where(r > 0, r, 1.0))))


def theil_decomposition(df: pd.DataFrame, *, value: str, group: str) -> TheilResult:
    r"""Theil T index of ``value``, split into between- and within-group parts.

    Parameters
    ----------
    df : pd.DataFrame
        One row per customer.
    value : str
        Column of non-negative values with a positive total.
    group : str
        Column naming each customer's group; it may not have missing values.

    Returns
    -------
    TheilResult
        ``total``, ``between``, ``within``, ``between_share`` and ``by_group``.

    Notes
    -----
    Theil T is :math:`T = \frac{1}{n}\sum_i \frac{x_i}{\mu}\ln\frac{x_i}{\mu}`,
    0 for all-equal values and ln n for one holder of everything. Customers
    holding 0 contribute 0 (the limit :math:`0 \ln 0 = 0`), so unlike
    Theil L they are allowed. The decomposition is exact:

    .. math:: T = \sum_g s_g T_g + \sum_g s_g \ln\frac{\mu_g}{\mu},

    with :math:`s_g` the group's share of the total. A group whose total is 0
    has ``theil`` NaN and contributes 0 to both parts.
    """
    caller = "theil_decomposition"
    x, groups = _groups(df, value=value, group=group, caller=caller)
    if not x.sum() > 0:
        raise DataError(f"{caller}: column {value!r} sums to 0, so its inequality is undefined")
    mu, grand_total = x.mean(), x.sum()
    rows = []
    for _, idx in groups:
        xg = x[idx]
        total = xg.sum()
        s_g, mu_g = total / grand_total, total / xg.size
        t_g = _theil_t(xg)
        rows.append(
            {
                "n": xg.size,
                "total": total,
                "mean": mu_g,
                "value_share": s_g,
                "theil": t_g,
                "within": s_g * t_g if s_g > 0 else 0.0,
                "between": s_g * np.log(mu_g / mu) if s_g > 0 else 0.0,
            }
        )
    by_group = pd.DataFrame(rows, index=pd.Index([key for key, _ in groups], name=group))
    total_t = _theil_t(x)
    between = float(by_group["between"].sum())
    within = float(by_group["within"].sum())
    between_share = between / total_t if total_t > 0 else float("nan")
    return TheilResult(total_t, between, within, between_share, by_group)
