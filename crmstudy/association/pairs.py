"""Co-holding of products: pair measures with significance, one-to-one rules filtered by FDR."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import MIN_EXPECTED, Correction, adjust_pvalues, check_correction, two_by_two_test
from ._checks import _alpha, _binary, _informative


def product_pairs(
    holding: pd.DataFrame, *, correction: Correction = "bh", alpha: float = 0.05, min_expected: float = MIN_EXPECTED
) -> pd.DataFrame:
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
    correction = check_correction(correction)
    _alpha(alpha)
    hold = _informative(_binary(holding, "product_pairs"))
    x = hold.to_numpy(dtype=float)
    n = x.shape[0]
    co = x.T @ x
    i, j = np.triu_indices(x.shape[1], k=1)
    na, nb, nab = co[i, i], co[j, j], co[i, j]
    a, b, c, d = nab, na - nab, nb - nab, n - na - nb + nab
    _, p, test = two_by_two_test(a, b, c, d, method="pearson", min_expected=min_expected)
    names = hold.columns.astype(str).to_numpy()
    out = pd.DataFrame(
        {
            "product_a": names[i],
            "product_b": names[j],
            "n_a": na.astype("int64"),
            "n_b": nb.astype("int64"),
            "n_both": nab.astype("int64"),
            "support": nab / n,
            "jaccard": nab / (na + nb - nab),
            "lift": n * nab / (na * nb),
            "phi": (a * d - b * c) / np.sqrt(na * (n - na) * nb * (n - nb)),
            "test": test.astype(str),
            "p_value": p,
        }
    )
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), method=correction)
    out["significant"] = out["p_adjusted"] <= alpha
    return out.sort_values("phi", ascending=False, kind="stable").reset_index(drop=True)


def association_rules(
    holding: pd.DataFrame,
    *,
    min_support: float = 0.005,
    min_confidence: float = 0.1,
    correction: Correction = "bh",
    alpha: float = 0.05,
) -> pd.DataFrame:
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
    for ante, cons, n_ante, n_cons in (
        ("product_a", "product_b", "n_a", "n_b"),
        ("product_b", "product_a", "n_b", "n_a"),
    ):
        rows.append(
            pd.DataFrame(
                {
                    "antecedent": pos[ante],
                    "consequent": pos[cons],
                    "support": pos["support"],
                    "confidence": pos["n_both"] / pos[n_ante],
                    "consequent_support": pos[n_cons] / n,
                    "lift": pos["lift"],
                    "p_adjusted": pos["p_adjusted"],
                }
            )
        )
    rules = pd.concat(rows, ignore_index=True)
    rules = rules[rules["confidence"] >= min_confidence]
    return rules.sort_values(["lift", "confidence"], ascending=False, kind="stable").reset_index(drop=True)
