"""Segment × product association: which customers hold which products, and what to offer next.

seed 000/003: integrate deposits, loans, cards and e-banking into one customer
view, classify customers (age, gender, occupation, income, life situation),
count the products each class uses, find the correlation between customer
features and product types, find similar groups and what made a product sell;
two gold-accumulation products (积存金, 易存金) serve overlapping customers.
seed 001: relationship depth is product coverage (产品覆盖率).

What this module gives, dataframes in and out:

* :func:`holding_matrix` / :func:`read_holding_matrix` — customer × product
  0/1 at a day; the one definition of "holds a product on day *t*" used here:
  ``open_date <= t`` and (``close_date`` is missing or ``close_date > t``),
  the same rule as :func:`crmstudy.features.product_summary`.  A customer who
  holds nothing on that day is no longer a customer and has no row.
* :func:`contingency_test` — Pearson χ² or G test of one table, adjusted
  standardized residuals, Cramér's V with Bergsma's (2013) bias correction.
* :func:`adjust_pvalues` — Benjamini–Hochberg (default) or Holm.
* :func:`group_product_association` — for every group × product cell: counts,
  holding rates, lift, adjusted residual, a per-cell test (the group against
  everyone else), p-values corrected over the whole family of cells; and per
  product the group × holds table test and Cramér's V.
* :func:`product_logit` — per-product logistic regression (statsmodels
  formulas), odds ratios with confidence intervals.
* :func:`product_pairs`, :func:`association_rules` — co-holding: lift,
  Jaccard, φ with significance; one-to-one rules filtered by FDR.
* :func:`relationship_depth`, :func:`low_coverage_customers` — coverage per
  group, RM or branch; customers with few product lines for their tier.
* :class:`SimilarCustomers`, :func:`next_best_products`,
  :func:`evaluate_next_best` — KMeans look-alikes, next-best-product ranking,
  and its hidden-product evaluation against a popularity baseline.

Planted truth of the synthetic bank (used by the tests): a life group also
shifts planted wealth, and wealth raises the odds of wealth products, so a
group × product cell can be associated through wealth where no direct
affinity is planted.  The truth is therefore taken from the per-customer
planted log-odds ``truth.affinity_<PRODUCT>``: the *implied lift* of cell
(g, p) is mean(sigmoid(affinity_p)) among g over the same mean among everyone
else.  A cell is a *planted association* when the implied lift lies outside
[0.8, 1.25], *planted null* inside [0.95, 1.05], and ambiguous (left out of
precision and recall) in between.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .errors import DataError, ParamsError
from .features import connect, default_period
from .schema import BankFiles, find_bank
from .tiers import TIERS, TierThresholds, assign_tiers

Correction = Literal["bh", "holm"]
Method = Literal["pearson", "g"]

#: Below this expected count a 2 × 2 cell is tested with Fisher's exact test
#: (the χ² approximation is poor there: Cochran's rule of 5).
MIN_EXPECTED = 5.0
_CORRECTIONS = {"bh": "bh", "fdr_bh": "bh", "holm": "holm"}


# --------------------------------------------------------------------------- checks


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _correction(value: str) -> str:
    try:
        return _CORRECTIONS[value]
    except KeyError:
        raise ParamsError(f"correction must be 'bh' or 'holm', got {value!r}") from None


def _alpha(value: float, name: str = "alpha") -> float:
    if not 0 < value < 1:
        raise ParamsError(f"'{name}' must be between 0 and 1, got {value!r}")
    return float(value)


def _method(value: str) -> str:
    if value not in ("pearson", "g"):
        raise ParamsError(f"method must be 'pearson' or 'g', got {value!r}")
    return value


def _binary(holding: pd.DataFrame, what: str) -> pd.DataFrame:
    values = holding.to_numpy()
    if holding.shape[1] == 0 or not np.isin(values, (0, 1)).all():
        raise DataError(f"{what}: the holding matrix must be customers × products of 0/1 values")
    return holding


def _aligned(customers: pd.DataFrame, holding: pd.DataFrame, id_col: str, what: str
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers and holding rows of the same customers, in the same order."""
    _need(customers, [id_col], what)
    _binary(holding, what)
    if customers[id_col].duplicated().any():
        dup = customers.loc[customers[id_col].duplicated(), id_col].iloc[0]
        raise DataError(f"{what}: customer id {dup} appears more than once in column '{id_col}'")
    ids = pd.Index(customers[id_col]).intersection(holding.index, sort=False)
    if len(ids) == 0:
        raise DataError(f"{what}: no customer id of the customers table is in the holding matrix")
    cust = customers.set_index(id_col).loc[ids].reset_index()
    return cust, holding.loc[ids]


def _informative(holding: pd.DataFrame) -> pd.DataFrame:
    """Drop products held by every customer or by none: they carry no association."""
    rate = holding.mean()
    return holding.loc[:, (rate > 0) & (rate < 1)]


# --------------------------------------------------------------------------- holdings


def holding_matrix(holdings: pd.DataFrame, *, as_of, customer_ids: Sequence[str] | None = None,
                   product_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Customer × product 0/1: who holds what at the end of day ``as_of``.

    Parameters
    ----------
    holdings : pd.DataFrame
        ``customer_id``, ``product_id``, ``open_date``, ``close_date`` (missing
        while open), one row per holding.
    as_of : date-like
        The day; a holding counts when ``open_date <= as_of`` and
        ``close_date`` is missing or later than ``as_of``.
    customer_ids : sequence of str, optional
        Rows to return (customers holding nothing get zeros).  By default the
        customers holding at least one product on ``as_of``.
    product_ids : sequence of str, optional
        Columns to return, in this order (the catalogue).  By default the
        products held by someone, sorted.

    Returns
    -------
    pd.DataFrame
        Index ``customer_id``, columns ``product_id``, int64 values 0/1.

    Examples
    --------
    >>> h = pd.DataFrame({"customer_id": ["C1", "C1"], "product_id": ["A", "B"],
    ...                   "open_date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                   "close_date": pd.to_datetime([None, "2025-06-01"])})
    >>> holding_matrix(h, as_of="2025-12-31").to_dict("records")
    [{'A': 1}]
    """
    _need(holdings, ["customer_id", "product_id", "open_date", "close_date"], "holding_matrix")
    day = pd.Timestamp(as_of).normalize()
    opened = pd.to_datetime(holdings["open_date"]).dt.normalize()
    closed = pd.to_datetime(holdings["close_date"]).dt.normalize()
    held = holdings.loc[(opened <= day) & (closed.isna() | (closed > day)), ["customer_id", "product_id"]]
    held = held.drop_duplicates()
    m = (held.assign(v=1).pivot(index="customer_id", columns="product_id", values="v")
             .fillna(0).astype("int64"))
    if product_ids is not None:
        m = m.reindex(columns=list(product_ids), fill_value=0)
    else:
        m = m.reindex(columns=sorted(m.columns))
    if customer_ids is not None:
        m = m.reindex(list(customer_ids), fill_value=0)
    m.index.name, m.columns.name = "customer_id", "product_id"
    return m


def read_holding_matrix(data: BankFiles | str | Path, *, as_of=None, branch: str | None = None) -> pd.DataFrame:
    """:func:`holding_matrix` of a bank folder, optionally for one branch's customers.

    Parameters
    ----------
    data : BankFiles or path
        A bank folder in crmstudy's schema.
    as_of : date-like, optional
        Defaults to the last day of the bank's period.
    branch : str, optional
        Keep only this branch's customers (DuckDB filters before reading).

    Returns
    -------
    pd.DataFrame
        Customers holding at least one product on ``as_of`` × every product of
        the catalogue, in catalogue order.
    """
    bank = data if isinstance(data, BankFiles) else find_bank(data)
    as_of = as_of if as_of is not None else default_period(bank).end
    con = connect(bank)
    where = "WHERE customer_id IN (SELECT customer_id FROM customers WHERE branch_id = $branch)" if branch else ""
    rows = con.execute(f"SELECT customer_id, product_id, open_date, close_date FROM holdings {where}",
                       {"branch": branch} if branch else {}).df()
    products = con.execute("SELECT product_id FROM products").df()["product_id"].tolist()
    return holding_matrix(rows, as_of=as_of, product_ids=products)


# --------------------------------------------------------------------------- one table


@dataclass(frozen=True)
class ContingencyTest:
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


def _g_statistic(observed: np.ndarray, expected: np.ndarray, axis=None) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
    return 2 * terms.sum(axis=axis)


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
    _method(method)
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(np.asarray(table))
    t = frame.to_numpy(dtype=float)
    if t.ndim != 2 or min(t.shape) < 2:
        raise DataError(f"contingency_test: need a table of at least 2 × 2 counts, got shape {t.shape}")
    if (t < 0).any() or (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        raise DataError("contingency_test: counts must be >= 0 with no empty row or column")
    n = t.sum()
    e = expected_counts(t)
    chi2 = float(((t - e) ** 2 / e).sum())
    stat = chi2 if method == "pearson" else float(_g_statistic(t, e))
    dof = (t.shape[0] - 1) * (t.shape[1] - 1)
    like = dict(index=frame.index, columns=frame.columns)
    return ContingencyTest(
        statistic=stat, dof=dof, p_value=float(stats.chi2.sf(stat, dof)),
        cramers_v=cramers_v(chi2, n, t.shape, corrected=False),
        cramers_v_corrected=cramers_v(chi2, n, t.shape, corrected=True),
        n=int(n), expected=pd.DataFrame(e, **like), residuals=pd.DataFrame(adjusted_residuals(t), **like),
        method=method)


def adjust_pvalues(p_values, *, method: Correction = "bh") -> np.ndarray:
    """P-values adjusted for testing a whole family at once.

    Parameters
    ----------
    p_values : array-like
        Raw p-values; NaN entries are not tested (left NaN, not counted).
    method : {"bh", "holm"}
        ``"bh"``: Benjamini–Hochberg, controls the false discovery rate
        (the default: a branch acts on a list of findings, and a few false
        leads among many true ones are acceptable).  ``"holm"``: Holm's
        step-down, controls the chance of any false finding.

    Returns
    -------
    np.ndarray
        Adjusted p-values, same shape; reject where adjusted <= alpha.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    how = _correction(method)
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = np.flatnonzero(~np.isnan(flat))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(flat[ok], kind="stable")]
    ranked = flat[order]
    i = np.arange(1, m + 1)
    if how == "bh":
        adj = np.minimum.accumulate((m / i * ranked)[::-1])[::-1]
    else:
        adj = np.maximum.accumulate((m - i + 1) * ranked)
    res = out.ravel()
    res[order] = np.minimum(adj, 1.0)
    return res.reshape(p.shape)


def _two_by_two_p(a, b, c, d, *, method: str, min_expected: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-cell tests of many 2 × 2 tables [[a, b], [c, d]] (vectorised).

    Returns statistic, p-value and the test used ("pearson", "g" or "fisher").
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    obs = np.stack([a, b, c, d])
    exp = np.stack([(a + b) * (a + c), (a + b) * (b + d), (c + d) * (a + c), (c + d) * (b + d)]) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = ((obs - exp) ** 2 / exp).sum(axis=0) if method == "pearson" else _g_statistic(obs, exp, axis=0)
    p = stats.chi2.sf(stat, 1)
    test = np.full(a.shape, method, dtype=object)
    small = exp.min(axis=0) < min_expected
    for k in np.flatnonzero(small):
        table = [[a.flat[k], b.flat[k]], [c.flat[k], d.flat[k]]]
        p.flat[k] = stats.fisher_exact(np.asarray(table, dtype=int)).pvalue
        test.flat[k] = "fisher"
    return stat, p, test


# --------------------------------------------------------------------------- group × product


@dataclass(frozen=True)
class GroupProductAssociation:
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
    """

    cells: pd.DataFrame
    tables: pd.DataFrame
    correction: str
    method: str
    alpha: float

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


def _grouping_cells(groups: pd.Series, held: np.ndarray, products: list[str], *, method: str,
                    min_expected: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    present = set(groups.dropna())
    order = groups.cat.categories if isinstance(groups.dtype, pd.CategoricalDtype) else sorted(present, key=str)
    levels = [lv for lv in order if lv in present]
    ok = groups.notna().to_numpy()
    h = held[ok]
    g = groups[ok].to_numpy()
    onehot = np.stack([(g == lv) for lv in levels]).astype(float)        # groups × customers
    n_g = onehot.sum(axis=1)[:, None]                                     # groups × 1
    a = onehot @ h                                                        # holders per group × product
    n, tot = h.shape[0], h.sum(axis=0)[None, :]
    b, c = n_g - a, tot - a
    d = n - n_g - c
    stat, p, test = _two_by_two_p(a, b, c, d, method=method, min_expected=min_expected)
    resid = adjusted_residuals_2col(a, n_g, tot, n)
    rate, rate_rest = a / n_g, c / np.maximum(n - n_g, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift, ratio = rate / (tot / n), rate / rate_rest
    R, P = len(levels), len(products)
    cells = pd.DataFrame({
        "group": np.repeat(levels, P), "product_id": np.tile(products, R),
        "customers": np.repeat(n_g[:, 0], P).astype("int64"), "holders": a.ravel().astype("int64"),
        "rate": rate.ravel(), "rate_rest": rate_rest.ravel(), "lift": lift.ravel(), "rate_ratio": ratio.ravel(),
        "expected": (n_g * tot / n).ravel(), "residual": resid.ravel(), "statistic": stat.ravel(),
        "test": test.ravel().astype(str), "p_value": p.ravel()})
    tables = pd.DataFrame([_product_table(a[:, j], n_g[:, 0], method) for j in range(P)])
    tables.insert(0, "product_id", products)
    return cells, tables


def adjusted_residuals_2col(holders: np.ndarray, n_group: np.ndarray, total: np.ndarray, n: int) -> np.ndarray:
    """Adjusted residuals of the "holds" column of each product's groups × holds table."""
    e = n_group * total / n
    var = e * (1 - n_group / n) * (1 - total / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, (holders - e) / np.sqrt(var), np.nan)


def _product_table(holders: np.ndarray, n_group: np.ndarray, method: str) -> dict:
    t = np.column_stack([holders, n_group - holders])
    t = t[t.sum(axis=1) > 0]
    res = contingency_test(t, method=method)
    return {"statistic": res.statistic, "dof": res.dof, "p_value": res.p_value,
            "cramers_v": res.cramers_v, "cramers_v_corrected": res.cramers_v_corrected}


def group_product_association(customers: pd.DataFrame, holding: pd.DataFrame, *,
                              by: str | Sequence[str] = "life_group", id_col: str = "customer_id",
                              method: Method = "pearson", correction: Correction = "bh",
                              alpha: float = 0.05, min_expected: float = MIN_EXPECTED
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

    Returns
    -------
    GroupProductAssociation
        ``cells`` and ``tables``; see the class.
    """
    by = [by] if isinstance(by, str) else list(by)
    _method(method)
    correction = _correction(correction)
    _alpha(alpha)
    cust, hold = _aligned(customers, holding, id_col, "group_product_association")
    _need(cust, by, "group_product_association")
    hold = _informative(hold)
    if hold.shape[1] == 0:
        raise DataError("group_product_association: every product is held by all customers or by none")
    held = hold.to_numpy(dtype=float)
    products = hold.columns.astype(str).tolist()
    cells, tables = [], []
    for col in by:
        cl, tb = _grouping_cells(cust[col], held, products, method=method, min_expected=min_expected)
        cells.append(cl.assign(grouping=col))
        tables.append(tb.assign(grouping=col))
    cells = pd.concat(cells, ignore_index=True)
    tables = pd.concat(tables, ignore_index=True)
    cells["p_adjusted"] = adjust_pvalues(cells["p_value"].to_numpy(), method=correction)
    cells["significant"] = cells["p_adjusted"] <= alpha
    tables["p_adjusted"] = adjust_pvalues(tables["p_value"].to_numpy(), method=correction)
    cells = cells[["grouping"] + [c for c in cells.columns if c != "grouping"]]
    tables = tables[["grouping", "product_id", "statistic", "dof", "p_value", "p_adjusted",
                     "cramers_v", "cramers_v_corrected"]]
    return GroupProductAssociation(cells=cells, tables=tables, correction=correction, method=method, alpha=alpha)


# --------------------------------------------------------------------------- logistic regression

_TERM = re.compile(r"^C\((?P<var>[^,)]+)(?:,.*)?\)\[T\.(?P<level>.+)\]$")


def _split_term(term: str) -> tuple[str, str]:
    m = _TERM.match(term)
    return (m["var"].strip(), m["level"]) if m else (term, "")


def _odds_ratios(fit, product_id: str, ci: float) -> pd.DataFrame:
    conf = fit.conf_int(alpha=1 - ci)
    keep = [t for t in fit.params.index if t != "Intercept"]
    var_level = [_split_term(t) for t in keep]
    return pd.DataFrame({
        "product_id": product_id, "term": keep, "variable": [v for v, _ in var_level],
        "level": [lv for _, lv in var_level], "odds_ratio": np.exp(fit.params[keep].to_numpy()),
        "ci_low": np.exp(conf.loc[keep, 0].to_numpy()), "ci_high": np.exp(conf.loc[keep, 1].to_numpy()),
        "p_value": fit.pvalues[keep].to_numpy(), "n": int(fit.nobs),
        "converged": bool(fit.mle_retvals.get("converged", True))})


def product_logit(customers: pd.DataFrame, holding: pd.DataFrame, *,
                  rhs: str = "C(life_group, Treatment('general')) + C(acquisition_group, Treatment('stock'))",
                  products: Sequence[str] | None = None, id_col: str = "customer_id", ci: float = 0.95,
                  correction: Correction = "bh", min_events: int = 10) -> pd.DataFrame:
    """Per-product logistic regression of holding on customer features: odds ratios.

    Parameters
    ----------
    customers : pd.DataFrame
        One row per customer with ``id_col`` and the columns used in ``rhs``.
    holding : pd.DataFrame
        :func:`holding_matrix`.
    rhs : str
        Right-hand side of a statsmodels formula; the default compares each
        life group with ``general`` and each acquisition group with ``stock``,
        adjusted for each other.  Add e.g. ``"+ np.log1p(ada)"`` to adjust for
        assets.
    products : sequence of str, optional
        Products to model; by default every product held by some but not all.
    id_col : str
        Customer id column.
    ci : float
        Level of the Wald confidence intervals.
    correction : {"bh", "holm"}
        Applied over every (product, term) p-value of the call.
    min_events : int
        Skip a product with fewer holders or non-holders than this (the fit
        would not be identified).

    Returns
    -------
    pd.DataFrame
        One row per product × term (no intercept): ``product_id``, ``term``,
        ``variable``, ``level``, ``odds_ratio``, ``ci_low``, ``ci_high``,
        ``p_value``, ``p_adjusted``, ``n``, ``converged`` (False when the fit
        did not converge, typically a group with no holders: its odds ratios
        and intervals are not to be trusted).
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    correction = _correction(correction)
    _alpha(ci, "ci")
    cust, hold = _aligned(customers, holding, id_col, "product_logit")
    hold = _informative(hold) if products is None else hold.reindex(columns=list(products))
    if hold.isna().any().any():
        missing = [p for p in products if p not in holding.columns]
        raise DataError(f"product_logit: product(s) {', '.join(missing)} not in the holding matrix")
    data = cust.reset_index(drop=True)
    # build the design once (formula parsing costs far more than a fit), then fit per product
    design = smf.logit(f"_held ~ {rhs}", data=data.assign(_held=0.0))
    x = pd.DataFrame(design.exog, columns=design.exog_names)
    rows = np.asarray(design.data.row_labels, dtype=int)
    frames = []
    for pid in hold.columns:
        y = hold[pid].to_numpy()[rows]
        if min(y.sum(), len(y) - y.sum()) < min_events:
            continue
        # a group with no holders separates perfectly: recorded in `converged`, not printed
        with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore"):
            warnings.simplefilter("always")
            fit = sm.Logit(y, x).fit(disp=0, maxiter=200)
            table = _odds_ratios(fit, pid, ci)
        failed = [w for w in caught if issubclass(w.category, (ConvergenceWarning, HessianInversionWarning))]
        table["converged"] &= not failed
        for w in caught:
            if w not in failed:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        frames.append(table)
    if not frames:
        raise DataError(f"product_logit: no product has at least {min_events} holders and non-holders")
    out = pd.concat(frames, ignore_index=True)
    out.insert(out.columns.get_loc("p_value") + 1, "p_adjusted",
               adjust_pvalues(out["p_value"].to_numpy(), method=correction))
    return out


# --------------------------------------------------------------------------- product pairs


def product_pairs(holding: pd.DataFrame, *, correction: Correction = "bh", alpha: float = 0.05,
                  min_expected: float = MIN_EXPECTED) -> pd.DataFrame:
    """Co-holding of every pair of products, with significance.

    Parameters
    ----------
    holding : pd.DataFrame
        :func:`holding_matrix`; products held by everyone or no one are skipped.
    correction : {"bh", "holm"}
        Over all pairs of the call.
    alpha : float
        Level of ``significant``.
    min_expected : float
        Pairs with an expected cell below this get Fisher's exact test,
        the others Pearson's χ² (= n φ²).

    Returns
    -------
    pd.DataFrame
        One row per unordered pair ``product_a``, ``product_b``: ``n_a``,
        ``n_b``, ``n_both``, ``support`` (share holding both), ``jaccard``,
        ``lift`` (P(a, b) / (P(a) P(b))), ``phi``, ``p_value``, ``p_adjusted``,
        ``significant``; strongest φ first.
    """
    correction = _correction(correction)
    _alpha(alpha)
    hold = _informative(_binary(holding, "product_pairs"))
    x = hold.to_numpy(dtype=float)
    n = x.shape[0]
    co = x.T @ x
    i, j = np.triu_indices(x.shape[1], k=1)
    na, nb, nab = co[i, i], co[j, j], co[i, j]
    a, b, c, d = nab, na - nab, nb - nab, n - na - nb + nab
    _, p, test = _two_by_two_p(a, b, c, d, method="pearson", min_expected=min_expected)
    names = hold.columns.astype(str).to_numpy()
    out = pd.DataFrame({
        "product_a": names[i], "product_b": names[j], "n_a": na.astype("int64"), "n_b": nb.astype("int64"),
        "n_both": nab.astype("int64"), "support": nab / n, "jaccard": nab / (na + nb - nab),
        "lift": n * nab / (na * nb), "phi": (a * d - b * c) / np.sqrt(na * (n - na) * nb * (n - nb)),
        "test": test.astype(str), "p_value": p})
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), method=correction)
    out["significant"] = out["p_adjusted"] <= alpha
    return out.sort_values("phi", ascending=False, kind="stable").reset_index(drop=True)


def association_rules(holding: pd.DataFrame, *, min_support: float = 0.005, min_confidence: float = 0.1,
                      correction: Correction = "bh", alpha: float = 0.05) -> pd.DataFrame:
    """One-to-one rules "holds A ⇒ holds B" that survive the false discovery rate.

    The family is every pair of :func:`product_pairs` (the test of a pair is
    the test of both its rules); a rule is kept when its pair is significant
    with lift > 1, its support reaches ``min_support`` and its confidence
    ``min_confidence``.

    Returns
    -------
    pd.DataFrame
        ``antecedent``, ``consequent``, ``support``, ``confidence``
        (P(B | A)), ``consequent_support`` (P(B)), ``lift``, ``p_adjusted``;
        highest lift first.
    """
    _alpha(min_confidence, "min_confidence")
    pairs = product_pairs(holding, correction=correction, alpha=alpha)
    n = len(holding)
    pos = pairs[pairs["significant"] & (pairs["lift"] > 1) & (pairs["support"] >= min_support)]
    rows = []
    for ante, cons, n_ante, n_cons in (("product_a", "product_b", "n_a", "n_b"),
                                       ("product_b", "product_a", "n_b", "n_a")):
        rows.append(pd.DataFrame({
            "antecedent": pos[ante], "consequent": pos[cons], "support": pos["support"],
            "confidence": pos["n_both"] / pos[n_ante], "consequent_support": pos[n_cons] / n,
            "lift": pos["lift"], "p_adjusted": pos["p_adjusted"]}))
    rules = pd.concat(rows, ignore_index=True)
    rules = rules[rules["confidence"] >= min_confidence]
    return rules.sort_values(["lift", "confidence"], ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- relationship depth


def relationship_depth(features: pd.DataFrame, *, by: str = "life_group") -> pd.DataFrame:
    """Product coverage (seed 001: 产品覆盖率) per group, RM or branch.

    Parameters
    ----------
    features : pd.DataFrame
        :func:`crmstudy.features.customer_features` (``n_products``,
        ``n_product_lines``, ``coverage``) with the ``by`` column.
    by : str
        e.g. ``"life_group"``, ``"owner_staff_id"``, ``"branch_id"`` or a
        tier column added by the caller.

    Returns
    -------
    pd.DataFrame
        ``by``, ``customers``, ``mean_products``, ``mean_lines``,
        ``mean_coverage``, ``single_line_share`` (customers with one product
        line or none); deepest relationships first.
    """
    _need(features, [by, "n_products", "n_product_lines", "coverage"], "relationship_depth")
    f = features.assign(_single=features["n_product_lines"] <= 1)
    out = f.groupby(by, observed=True, dropna=False).agg(
        customers=("coverage", "size"), mean_products=("n_products", "mean"),
        mean_lines=("n_product_lines", "mean"), mean_coverage=("coverage", "mean"),
        single_line_share=("_single", "mean"))
    return out.sort_values("mean_coverage", ascending=False).reset_index()


def low_coverage_customers(features: pd.DataFrame, *, tiers: pd.Series | None = None,
                           thresholds: TierThresholds = TierThresholds(), min_gap: int = 2) -> pd.DataFrame:
    """Customers holding clearly fewer product lines than is usual in their tier.

    A customer is flagged when their product lines are at least ``min_gap``
    below their tier's median: a key customer with deposits only is a
    relationship at risk and the plainest cross-sell target.

    Parameters
    ----------
    features : pd.DataFrame
        :func:`crmstudy.features.customer_features`.
    tiers : pd.Series, optional
        Tier of each row of ``features``; by default
        :func:`crmstudy.tiers.assign_tiers` with ``thresholds``.
    thresholds : TierThresholds
        Used only when ``tiers`` is not given.
    min_gap : int
        Product lines below the tier median that count as low.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``tier``, ``ada``, ``n_product_lines``,
        ``coverage``, ``tier_median_lines``, ``gap_lines`` (and
        ``owner_staff_id`` when present); highest tier, widest gap, largest
        assets first.
    """
    if min_gap < 1:
        raise ParamsError(f"'min_gap' must be a whole number of product lines >= 1, got {min_gap!r}")
    _need(features, ["customer_id", "ada", "n_product_lines", "coverage"], "low_coverage_customers")
    tier = assign_tiers(features, thresholds) if tiers is None else tiers
    f = features.assign(tier=pd.Categorical(tier, categories=list(TIERS), ordered=True))
    f["tier_median_lines"] = f.groupby("tier", observed=True)["n_product_lines"].transform("median")
    f["gap_lines"] = f["tier_median_lines"] - f["n_product_lines"]
    cols = ["customer_id", "tier", "ada", "n_product_lines", "coverage", "tier_median_lines", "gap_lines"]
    cols += ["owner_staff_id"] if "owner_staff_id" in f else []
    low = f.loc[f["gap_lines"] >= min_gap, cols]
    return low.sort_values(["tier", "gap_lines", "ada"], ascending=[True, False, False]).reset_index(drop=True)


# --------------------------------------------------------------------------- similar customers, next best

#: Default look-alike features: who the customer is and how they behave.
SIMILARITY_NUMERIC = ("age", "ada", "n_txn", "digital_share", "counter_share", "n_categories")
SIMILARITY_CATEGORICAL = ("life_group", "acquisition_group", "gender", "income_band")
SIMILARITY_LOG = ("ada", "n_txn")


class SimilarCustomers:
    """Look-alike groups by KMeans on standardized features, and what their members hold.

    Settings in ``__init__``, learned state in attributes ending in ``_``
    (scikit-learn's convention); :meth:`fit` returns ``self``.

    Parameters
    ----------
    n_clusters : int
        Look-alike groups.
    numeric, categorical : sequence of str
        Feature columns; categorical ones are one-hot encoded.  Numeric
        missing values take the training median.
    log : sequence of str
        Numeric columns taken as log(1 + x) first (skewed amounts, counts).
    use_holdings : bool
        Also cluster on the products a customer already holds (what makes a
        look-alike most: customers who hold the same things).
    prior : float
        Take-up rates are shrunk towards the bank-wide rate with this many
        pseudo-customers, so a small group does not promise 0 % or 100 %.
    seed : int
        KMeans seed.

    Attributes
    ----------
    products_ : list of str
        Products that can be recommended (held by some, not all).
    take_up_ : pd.DataFrame
        Cluster × product: shrunk share of the cluster's customers holding it,
        the *expected take-up* of a member who does not hold it yet.
    popularity_ : pd.Series
        Bank-wide holding rate of each product (the baseline).
    """

    def __init__(self, *, n_clusters: int = 12, numeric: Sequence[str] = SIMILARITY_NUMERIC,
                 categorical: Sequence[str] = SIMILARITY_CATEGORICAL, log: Sequence[str] = SIMILARITY_LOG,
                 use_holdings: bool = True, prior: float = 10.0, seed: int = 0):
        if n_clusters < 1:
            raise ParamsError(f"'n_clusters' must be a whole number >= 1, got {n_clusters!r}")
        self.n_clusters = n_clusters
        self.numeric = tuple(numeric)
        self.categorical = tuple(categorical)
        self.log = tuple(log)
        self.use_holdings = use_holdings
        self.prior = prior
        self.seed = seed

    def _design(self, features: pd.DataFrame, holding: pd.DataFrame) -> np.ndarray:
        num = features[list(self.numeric)].astype(float)
        for c in self.log:
            if c in num:
                num[c] = np.log1p(num[c].clip(lower=0))
        num = num.fillna(self.medians_)
        parts = [num.to_numpy()]
        for c in self.categorical:
            parts.append((features[c].astype(str).to_numpy()[:, None] == self.levels_[c][None, :]).astype(float))
        if self.use_holdings:
            parts.append(holding[self.products_].to_numpy(dtype=float))
        return np.hstack(parts)

    def fit(self, features: pd.DataFrame, holding: pd.DataFrame, *, id_col: str = "customer_id"
            ) -> "SimilarCustomers":
        """Learn the look-alike groups and their take-up rates."""
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import StandardScaler

        cust, hold = _aligned(features, holding, id_col, "SimilarCustomers.fit")
        _need(cust, list(self.numeric) + list(self.categorical), "SimilarCustomers.fit")
        if len(cust) < self.n_clusters:
            raise DataError(f"SimilarCustomers.fit: {len(cust)} customers cannot form {self.n_clusters} clusters")
        self.products_ = _informative(hold).columns.astype(str).tolist()
        num = cust[list(self.numeric)].astype(float)
        for c in self.log:
            if c in num:
                num[c] = np.log1p(num[c].clip(lower=0))
        self.medians_ = num.median().fillna(0.0)
        self.levels_ = {c: np.array(sorted(cust[c].astype(str).unique())) for c in self.categorical}
        x = self._design(cust, hold)
        self.scaler_ = StandardScaler().fit(x)
        self.kmeans_ = KMeans(n_clusters=self.n_clusters, n_init=4, random_state=self.seed).fit(
            self.scaler_.transform(x))
        h = hold[self.products_].to_numpy(dtype=float)
        self.popularity_ = pd.Series(h.mean(axis=0), index=self.products_, name="popularity")
        labels = self.kmeans_.labels_
        counts = np.bincount(labels, minlength=self.n_clusters)[:, None]
        sums = np.stack([h[labels == k].sum(axis=0) for k in range(self.n_clusters)])
        rate = (sums + self.prior * self.popularity_.to_numpy()) / (counts + self.prior)
        self.take_up_ = pd.DataFrame(rate, columns=self.products_).rename_axis("cluster")
        return self

    def predict(self, features: pd.DataFrame, holding: pd.DataFrame, *, id_col: str = "customer_id") -> pd.Series:
        """The look-alike group of each customer (index: customer id)."""
        cust, hold = _aligned(features, holding, id_col, "SimilarCustomers.predict")
        hold = hold.reindex(columns=self.products_, fill_value=0)
        labels = self.kmeans_.predict(self.scaler_.transform(self._design(cust, hold)))
        return pd.Series(labels, index=pd.Index(cust[id_col], name=id_col), name="cluster")

    def scores(self, features: pd.DataFrame, holding: pd.DataFrame, *, id_col: str = "customer_id") -> pd.DataFrame:
        """Expected take-up of every product not yet held (NaN where held)."""
        cluster = self.predict(features, holding, id_col=id_col)
        held = holding.reindex(index=cluster.index, columns=self.products_, fill_value=0).to_numpy() > 0
        s = self.take_up_.to_numpy()[cluster.to_numpy()]
        return pd.DataFrame(np.where(held, np.nan, s), index=cluster.index, columns=self.products_)

    def recommend(self, features: pd.DataFrame, holding: pd.DataFrame, *, top_n: int = 3,
                  id_col: str = "customer_id") -> pd.DataFrame:
        """Each customer's ``top_n`` next-best products, best first.

        Returns
        -------
        pd.DataFrame
            ``customer_id``, ``rank`` (1 = best), ``product_id``,
            ``expected_take_up``, ``cluster``.
        """
        sc = self.scores(features, holding, id_col=id_col)
        cluster = self.predict(features, holding, id_col=id_col)
        return _top_n(sc, top_n).merge(cluster.reset_index(), on=id_col, how="left")


def _top_n(scores: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Long table of each row's ``top_n`` highest non-missing scores."""
    if top_n < 1:
        raise ParamsError(f"'top_n' must be a whole number >= 1, got {top_n!r}")
    v = scores.to_numpy(dtype=float)
    order = np.argsort(-np.nan_to_num(v, nan=-np.inf), axis=1, kind="stable")[:, :top_n]
    rows = np.repeat(np.arange(len(v)), order.shape[1])
    cols = order.ravel()
    out = pd.DataFrame({scores.index.name or "customer_id": scores.index.to_numpy()[rows],
                        "rank": np.tile(np.arange(1, order.shape[1] + 1), len(v)),
                        "product_id": scores.columns.to_numpy()[cols], "expected_take_up": v[rows, cols]})
    return out[out["expected_take_up"].notna()].reset_index(drop=True)


def next_best_products(features: pd.DataFrame, holding: pd.DataFrame, *, top_n: int = 3,
                       n_clusters: int = 12, seed: int = 0, id_col: str = "customer_id") -> pd.DataFrame:
    """Each customer's next-best products: what their look-alikes hold and they do not.

    Parameters
    ----------
    features : pd.DataFrame
        :func:`crmstudy.features.customer_features` (the columns of
        :class:`SimilarCustomers`).
    holding : pd.DataFrame
        :func:`holding_matrix` of the same customers.
    top_n : int
        Products per customer.
    n_clusters, seed : int
        Passed to :class:`SimilarCustomers`.

    Returns
    -------
    pd.DataFrame
        ``customer_id``, ``rank``, ``product_id``, ``expected_take_up``
        (share of look-alikes holding the product), ``cluster``.
    """
    model = SimilarCustomers(n_clusters=n_clusters, seed=seed).fit(features, holding, id_col=id_col)
    return model.recommend(features, holding, top_n=top_n, id_col=id_col)


@dataclass(frozen=True)
class NextBestEvaluation:
    """Hidden-product evaluation of the next-best ranking against popularity.

    Attributes
    ----------
    k : int
        Length of the list offered to each customer.
    n_test : int
        Test customers with a product hidden.
    recall_at_k, precision_at_k : float
        Look-alike ranking: share of hidden products found in the top k;
        hits per offered product.
    baseline_recall_at_k, baseline_precision_at_k : float
        The same for offering the bank's most popular products not held.
    """

    k: int
    n_test: int
    recall_at_k: float
    precision_at_k: float
    baseline_recall_at_k: float
    baseline_precision_at_k: float

    @property
    def recall_gain(self) -> float:
        """Recall@k of the look-alikes over that of popularity (1 = no better)."""
        return self.recall_at_k / self.baseline_recall_at_k if self.baseline_recall_at_k else float("nan")


def _hide(hold: pd.DataFrame, products: list[str], rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Hide one held product per customer at random; return the visible matrix and hidden column index."""
    h = hold[products].to_numpy()
    keys = np.where(h > 0, rng.random(h.shape), np.inf)
    hidden = keys.argmin(axis=1)
    visible = h.copy()
    visible[np.arange(len(h)), hidden] = 0
    return pd.DataFrame(visible, index=hold.index, columns=products), hidden


def _hits(scores: np.ndarray, hidden: np.ndarray, k: int) -> np.ndarray:
    top = np.argsort(-np.nan_to_num(scores, nan=-np.inf), axis=1, kind="stable")[:, :k]
    return (top == hidden[:, None]).any(axis=1)


def evaluate_next_best(features: pd.DataFrame, holding: pd.DataFrame, *, k: int = 3, test_share: float = 0.3,
                       n_clusters: int = 12, seed: int = 0, id_col: str = "customer_id") -> NextBestEvaluation:
    """Hide one held product per test customer; does the ranking find it?

    Customers are split at random into training (``1 − test_share``) and test.
    The look-alike model and the popularity baseline learn from the training
    customers only.  Each test customer holding at least one recommendable
    product has one of them hidden at random; both rankings then order the
    products the customer visibly does not hold.  With one hidden product,
    precision@k = recall@k / k.

    Returns
    -------
    NextBestEvaluation
        Recall@k and precision@k of the look-alike ranking and of popularity.
    """
    _alpha(test_share, "test_share")
    cust, hold = _aligned(features, holding, id_col, "evaluate_next_best")
    rng = np.random.default_rng(seed)
    test = rng.random(len(cust)) < test_share
    model = SimilarCustomers(n_clusters=n_clusters, seed=seed).fit(cust[~test], hold[~test], id_col=id_col)
    products = model.products_
    t_cust, t_hold = cust[test], hold[test].reindex(columns=products, fill_value=0)
    eligible = (t_hold.to_numpy() > 0).any(axis=1)
    t_cust, t_hold = t_cust[eligible], t_hold[eligible]
    if len(t_cust) == 0:
        raise DataError("evaluate_next_best: no test customer holds a product that could be hidden")
    visible, hidden = _hide(t_hold, products, rng)
    model_scores = model.scores(t_cust, visible, id_col=id_col).to_numpy()
    held = visible.to_numpy() > 0
    base_scores = np.where(held, np.nan, model.popularity_.to_numpy()[None, :])
    hit_m, hit_b = _hits(model_scores, hidden, k), _hits(base_scores, hidden, k)
    return NextBestEvaluation(k=k, n_test=int(len(t_cust)),
                              recall_at_k=float(hit_m.mean()), precision_at_k=float(hit_m.mean() / k),
                              baseline_recall_at_k=float(hit_b.mean()), baseline_precision_at_k=float(hit_b.mean() / k))
