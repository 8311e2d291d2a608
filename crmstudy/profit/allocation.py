"""Splitting whole cents among many: the largest-remainder method, vectorised over groups.

A cost known for a group (an RM's monthly cost) is spread over its members
(the customers the RM owns, then each customer's accounts).  Rounding every
share on its own would lose or invent cents; the largest-remainder method
gives each member the whole cents of its exact share, then hands the cents
left over, one each, to the members with the largest fractional parts, so
that the shares add up to the group's total exactly.  Everything is integer
arithmetic (no floating point in the split), so the result is the same on
every machine.  No library offers the grouped, vectorised form (numpy and
pandas round each element alone), hence this module.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["allocate", "allocate_groups"]


def allocate(total: int, weights) -> np.ndarray:
    """Split ``total`` cents over ``weights`` (non-negative integers, not all zero), adding up exactly.

    Ties among equal remainders go to the earlier members.

    Examples
    --------
    >>> allocate(100, [1, 1, 1]).tolist()
    [34, 33, 33]
    >>> allocate(-100, [1, 1, 1]).tolist()
    [-34, -33, -33]
    """
    w = np.asarray(weights, dtype=np.int64)
    return allocate_groups(np.array([total], dtype=np.int64), np.zeros(len(w), dtype=np.int64), w)


def allocate_groups(totals: np.ndarray, group: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each group's total (cents) over its members by weight; every group's shares add up to its total.

    Parameters
    ----------
    totals : np.ndarray of int
        One total per group, in cents (negative totals are split as their absolute value, then negated).
    group : np.ndarray of int
        Each member's group, an index into ``totals``.
    weights : np.ndarray of int
        Each member's non-negative integer weight; a group's weights may not all be zero.

    Returns
    -------
    np.ndarray of int64
        Each member's share, in cents.
    """
    totals = np.asarray(totals, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    w = np.asarray(weights, dtype=np.int64)
    if (w < 0).any():
        raise DataError("allocate: weights must be non-negative")
    wsum = np.bincount(group, weights=w, minlength=len(totals)).astype(np.int64)
    has_members = np.bincount(group, minlength=len(totals)) > 0
    if (has_members & (wsum == 0)).any():
        raise DataError("allocate: a group's weights are all zero")
    sign = np.sign(totals)
    t = np.abs(totals)[group]
    # t * w fits in int64 for totals below about 9e12 cents × weight 1e6
    num = t * w
    den = np.maximum(wsum[group], 1)
    base, rem = num // den, num % den
    short = np.abs(totals) - np.bincount(group, weights=base, minlength=len(totals)).astype(np.int64)
    # rank each member within its group by remainder, largest first; ties by position
    pos = np.arange(len(w))
    order = np.lexsort((pos, -rem, group))
    first = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1] if len(order) else np.array([], dtype=np.int64)
    starts = np.repeat(first, np.diff(np.r_[first, len(order)]))
    rank = np.empty(len(w), dtype=np.int64)
    rank[order] = np.arange(len(order)) - starts
    share = base + (rank < short[group])
    return share * sign[group]
