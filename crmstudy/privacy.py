"""Masking of customer identifiers for everything that leaves the analyst's desk.

Reports never show a full customer id or name: ids keep their first letter and
last four characters (enough for an RM to find the customer in the core
system, as on a bank statement), names keep the surname only.
"""

from __future__ import annotations

import pandas as pd


def mask_id(value: str) -> str:
    """``C0001234`` -> ``C***1234``."""
    s = str(value)
    if len(s) <= 5:
        return s[:1] + "*" * max(len(s) - 1, 0)
    return s[0] + "***" + s[-4:]


def mask_name(value: str) -> str:
    """Keep the first character (the surname), star the rest: ``王*伟`` -> ``王**``."""
    s = str(value)
    return s[:1] + "*" * max(len(s) - 1, 1)


def mask_customers(df: pd.DataFrame, *, id_col: str = "customer_id", name_col: str = "masked_name") -> pd.DataFrame:
    """A copy of ``df`` with customer ids and names masked (columns that exist)."""
    out = df.copy()
    if id_col in out:
        out[id_col] = out[id_col].map(mask_id, na_action="ignore")
    if name_col in out:
        out[name_col] = out[name_col].map(mask_name, na_action="ignore")  # a bank without names shows none
    return out
