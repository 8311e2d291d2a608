"""The whale curve: cumulative profit over customers ranked from most to least profitable.

Profit is signed: the most profitable customers earn *more* than the bank's
total (the curve peaks above 100 %), the customers who destroy value bring it
back down to 100 % at the end.  The curve is drawn in shares of the total when
the total is positive; with a total of zero or below a share of it means
nothing, and the curve is given in money only (``peak_share`` is NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..results import Result
from .contribution import Profit

__all__ = ["WhaleCurve", "customer_profit", "value_destroyers", "whale_curve"]


def customer_profit(profit: Profit | pd.DataFrame, *, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Contribution per customer (cents), with the columns ``by`` (e.g. ``branch_id``, ``tier``)."""
    lines = profit.lines if isinstance(profit, Profit) else profit
    keys = ["customer_id", *by]
    out = lines.groupby(keys, observed=True, as_index=False)["contribution"].sum()
    # a customer's branch and tier are the same on every line; keep one row per customer
    return out.drop_duplicates("customer_id", ignore_index=True)


@dataclass(frozen=True)
class WhaleCurve(Result):
    """The whale curve of a set of customers.

    Attributes
    ----------
    curve : pd.DataFrame
        ``customer_share`` (0–1, customers ranked by profit, highest first),
        ``cumulative`` (cents) and ``cumulative_share`` (of the total; NaN if the total is not positive).
    total : int
        Total profit, cents.
    peak : int
        Highest cumulative profit, cents (what the profitable customers earn).
    peak_share : float
        ``peak / total`` (above 1 when some customers destroy value).
    peak_at : float
        Share of customers at the peak: those who earn money.
    destroying_share : float
        Share of customers whose profit is below zero.
    n : int
        Customers.
    """

    curve: pd.DataFrame
    total: int
    peak: int
    peak_share: float
    peak_at: float
    destroying_share: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        """The curve."""
        return self.curve


def whale_curve(values: pd.Series | np.ndarray, *, points: int | None = 200) -> WhaleCurve:
    """The whale curve of signed per-customer profits (cents).

    Parameters
    ----------
    values : array-like of int
        One profit per customer.
    points : int, optional
        Rows kept in ``curve`` (evenly spaced; the peak and the end are always
        kept); ``None`` keeps every customer.

    Examples
    --------
    >>> w = whale_curve([300, 100, -200])
    >>> w.total, w.peak, round(w.peak_share, 3), round(w.destroying_share, 3)
    (200, 400, 2.0, 0.333)
    """
    v = np.sort(np.asarray(values, dtype=np.int64))[::-1]
    n = len(v)
    if n == 0:
        raise DataError("whale_curve: no customers")
    cum = np.cumsum(v)
    total = int(cum[-1])
    k = int(np.argmax(cum))
    share = np.arange(1, n + 1) / n
    keep = np.arange(n)
    if points is not None and n > points:
        keep = np.unique(np.r_[np.linspace(0, n - 1, points).round().astype(int), k, n - 1])
    curve = pd.DataFrame(
        {
            "customer_share": np.r_[0.0, share[keep]],
            "cumulative": np.r_[0, cum[keep]],
        }
    )
    curve["cumulative_share"] = curve["cumulative"] / total if total > 0 else np.nan
    return WhaleCurve(
        curve=curve,
        total=total,
        peak=int(cum[k]),
        peak_share=float(cum[k] / total) if total > 0 else float("nan"),
        peak_at=float(share[k]),
        destroying_share=float((v < 0).mean()),
        n=n,
    )


def value_destroyers(profit: Profit | pd.DataFrame, *, by: tuple[str, ...] = ("branch_id", "tier")) -> pd.DataFrame:
    """Per group: customers, how many destroy value, their share, the profit and the loss they make (cents)."""
    per = customer_profit(profit, by=by)
    per["destroying"] = per["contribution"] < 0
    per["loss"] = per["contribution"].where(per["destroying"], 0)
    g = per.groupby(list(by), observed=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "destroying": g["destroying"].sum().astype(int),
            "contribution": g["contribution"].sum(),
            "loss": g["loss"].sum(),
        }
    ).reset_index()
    out["destroying_share"] = out["destroying"] / out["customers"]
    return out
