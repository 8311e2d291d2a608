"""Group × product association: every cell tested as the group against everyone else.

Per cell: counts, holding rates, lift, adjusted residual, a 2 × 2 test,
p-values corrected over the whole family of cells; per product: the
groups × holds table test and Cramér's V.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..results import Result
from ..stats import MIN_EXPECTED, Correction, Method, adjust_pvalues, check_correction, check_method, two_by_two_test
from ._checks import _aligned, _alpha, _informative, _need
from .adjusted import confounder_strata, mantel_haenszel_cells
from .contingency import adjusted_residuals_2col, contingency_test


@dataclass(frozen=True)
class GroupProductAssociation(Result):
    """Group × product association of one call (one family of tests).

    Attributes
    ----------
    cells : pd.DataFrame
        One row per grouping × group × product: ``grouping``, ``group``,
        ``product_id``, ``customers`` (in the group), ``holders``, ``rate``,
        ``rate_rest`` (everyone else), ``lift`` (rate / overall rate),
        ``rate_ratio`` (rate / rate_rest), ``expected`` (holders under
        independence), ``residual`` (adjusted standardized), ``statistic``,
        ``test``, ``p_value``, ``p_adjusted``, ``significant``.
    tables : pd.DataFrame
        One row per grouping × product: the groups × holds table's
        ``statistic``, ``dof``, ``p_value``, ``p_adjusted`` (over products and
        groupings), ``cramers_v`` and ``cramers_v_corrected``.
    correction, method : str
    alpha : float
    adjusted_for : tuple of str
        The confounders the cells were adjusted for (empty: unadjusted).
    product_names : dict, optional
        product_id -> name, shown instead of ids in a notebook (:meth:`named`).
    """

    cells: pd.DataFrame
    tables: pd.DataFrame
    correction: str
    method: str
    alpha: float
    product_names: dict | None = None
    adjusted_for: tuple[str, ...] = ()

    _frame = "cells"

    def named(self, names: dict[str, str]) -> GroupProductAssociation:
        """The same result, showing product names (product_id -> name) instead of ids."""
        return dataclasses.replace(self, product_names=dict(names))

    def matrix(self, value: str = "residual", *, grouping: str | None = None) -> pd.DataFrame:
        """Groups × products of one column of :attr:`cells` (default: the first grouping)."""
        grouping = grouping or str(self.cells["grouping"].iloc[0])
        c = self.cells[self.cells["grouping"] == grouping]
        m = c.pivot(index="group", columns="product_id", values=value)
        return m.reindex(index=list(dict.fromkeys(c["group"])), columns=list(dict.fromkeys(c["product_id"])))

    def significant_cells(self) -> pd.DataFrame:
        """The significant cells, strongest residual first."""
        s = self.cells[self.cells["significant"]]
        return s.reindex(s["residual"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _grouping_cells(
    groups: pd.Series,
    held: np.ndarray,
    products: list[str],
    *,
    method: str,
    min_expected: float,
    strata: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    present = set(groups.dropna())
    order = groups.cat.categories if isinstance(groups.dtype, pd.CategoricalDtype) else sorted(present, key=str)
    levels = [lv for lv in order if lv in present]
    ok = groups.notna().to_numpy()
    h = held[ok]
    g = groups[ok].to_numpy()
    onehot = np.stack([(g == lv) for lv in levels]).astype(float)  # groups × customers
    n_g = onehot.sum(axis=1)[:, None]  # groups × 1
    a = onehot @ h  # holders per group × product
    n, tot = h.shape[0], h.sum(axis=0)[None, :]
    b, c = n_g - a, tot - a
    d = n - n_g - c
    stat, p, test = two_by_two_test(a, b, c, d, method=method, min_expected=min_expected)
    resid = adjusted_residuals_2col(a, n_g, tot, n)
    rate, rate_rest = a / n_g, c / np.maximum(n - n_g, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift, ratio = rate / (tot / n), rate / rate_rest
    R, P = len(levels), len(products)
    cells = pd.DataFrame(
        {
            "group": np.repeat(levels, P),
            "product_id": np.tile(products, R),
            "customers": np.repeat(n_g[:, 0], P).astype("int64"),
            "holders": a.ravel().astype("int64"),
            "rate": rate.ravel(),
            "rate_rest": rate_rest.ravel(),
            "lift": lift.ravel(),
            "rate_ratio": ratio.ravel(),
            "expected": (n_g * tot / n).ravel(),
            "residual": resid.ravel(),
            "statistic": stat.ravel(),
            "test": test.ravel().astype(str),
            "p_value": p.ravel(),
        }
    )
    if strata is not None:  # the same cells within strata of wealth and age, pooled
        for name, values in mantel_haenszel_cells(onehot, h, strata[ok]).items():
            cells[name] = values.ravel()
    tables = pd.DataFrame([_product_table(a[:, j], n_g[:, 0], method) for j in range(P)])
    tables.insert(0, "product_id", products)
    return cells, tables


def _product_table(holders: np.ndarray, n_group: np.ndarray, method: str) -> dict:
    t = np.column_stack([holders, n_group - holders])
    t = t[t.sum(axis=1) > 0]
    res = contingency_test(t, method=method)
    return {
        "statistic": res.statistic,
        "dof": res.dof,
        "p_value": res.p_value,
        "cramers_v": res.cramers_v,
        "cramers_v_corrected": res.cramers_v_corrected,
    }


def group_product_association(
    customers: pd.DataFrame,
    holding: pd.DataFrame,
    *,
    by: str | Sequence[str] = "life_group",
    id_col: str = "customer_id",
    method: Method = "pearson",
    correction: Correction = "bh",
    alpha: float = 0.05,
    min_expected: float = MIN_EXPECTED,
    adjust_for: Sequence[str] | None = None,
) -> GroupProductAssociation:
    """Which groups hold which products more (or less) often than everyone else.

    Each cell (group g, product p) is tested as the 2 × 2 table g / rest ×
    holds / does not hold; its Pearson χ² equals the square of the cell's
    adjusted residual in the groups × holds table of p.  Cells with an
    expected count below ``min_expected`` use Fisher's exact test.  All cells
    of the call (every grouping in ``by``) form one family for the correction.

    Parameters
    ----------
    customers : pd.DataFrame
        One row per customer with ``id_col`` and the ``by`` columns
        (e.g. :func:`crmstudy.features.customer_features`).
    holding : pd.DataFrame
        :func:`holding_matrix`; products held by everyone or no one are skipped.
    by : str or sequence of str
        Grouping column(s), e.g. ``"life_group"`` or
        ``["life_group", "acquisition_group"]``.  Missing values are left out.
    id_col : str
        Customer id column of ``customers``.
    method : {"pearson", "g"}
        Per-cell and per-table test.
    correction : {"bh", "holm"}
        Benjamini–Hochberg (false discovery rate) or Holm (family-wise).
    alpha : float
        Level at which an adjusted p-value is significant.
    min_expected : float
        Expected count under which a cell gets Fisher's exact test.
    adjust_for : sequence of str, optional
        Confounders, e.g. ``("ada", "age")``: each cell is then also tested within strata of
        them (Cochran–Mantel–Haenszel, :mod:`crmstudy.association.adjusted`), and
        ``significant`` follows the adjusted test (``odds_ratio_mh``, ``p_value_mh``).
        Without it the cells are unadjusted, and a report must say so.

    Returns
    -------
    GroupProductAssociation
        ``cells`` and ``tables``; see the class.
    """
    by = [by] if isinstance(by, str) else list(by)
    check_method(method)
    correction = check_correction(correction)
    _alpha(alpha)
    cust, hold = _aligned(customers, holding, id_col, "group_product_association")
    _need(cust, by, "group_product_association")
    hold = _informative(hold)
    if hold.shape[1] == 0:
        raise DataError("group_product_association: every product is held by all customers or by none")
    held = hold.to_numpy(dtype=float)
    products = hold.columns.astype(str).tolist()
    adjust_for = tuple(adjust_for or ())
    strata = confounder_strata(cust, adjust_for) if adjust_for else None
    cells, tables = [], []
    for col in by:
        cl, tb = _grouping_cells(cust[col], held, products, method=method, min_expected=min_expected, strata=strata)
        cells.append(cl.assign(grouping=col))
        tables.append(tb.assign(grouping=col))
    cells = pd.concat(cells, ignore_index=True)
    tables = pd.concat(tables, ignore_index=True)
    tested = cells["p_value_mh"].fillna(1.0) if adjust_for else cells["p_value"]
    cells["p_adjusted"] = adjust_pvalues(tested.to_numpy(), method=correction)
    cells["significant"] = cells["p_adjusted"] <= alpha
    tables["p_adjusted"] = adjust_pvalues(tables["p_value"].to_numpy(), method=correction)
    cells = cells[["grouping"] + [c for c in cells.columns if c != "grouping"]]
    tables = tables[
        ["grouping", "product_id", "statistic", "dof", "p_value", "p_adjusted", "cramers_v", "cramers_v_corrected"]
    ]
    return GroupProductAssociation(
        cells=cells, tables=tables, correction=correction, method=method, alpha=alpha, adjusted_for=adjust_for
    )
