"""Argument checks shared by the association analyses; each raises in one line.

The checks of a correction or test name (``"bh"``/``"holm"``, ``"pearson"``/``"g"``)
are :func:`crmstudy.stats.check_correction` and :func:`crmstudy.stats.check_method`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ParamsError


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {', '.join(missing)}")


def _alpha(value: float, name: str = "alpha") -> float:
    if not 0 < value < 1:
        raise ParamsError(f"'{name}' must be between 0 and 1, got {value!r}")
    return float(value)


def _binary(holding: pd.DataFrame, what: str) -> pd.DataFrame:
    values = holding.to_numpy()
    if holding.shape[1] == 0 or not np.isin(values, (0, 1)).all():
        raise DataError(f"{what}: the holding matrix must be customers × products of 0/1 values")
    return holding


def _aligned(
    customers: pd.DataFrame, holding: pd.DataFrame, id_col: str, what: str
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
