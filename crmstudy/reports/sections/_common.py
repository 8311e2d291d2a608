"""Small helpers the sections share: labels from the catalogue, the tier names, each customer's owner status."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import i18n
from ...tiers import TIERS, required_owner_role


def labels(prefix: str, lang: str, columns) -> dict[str, str]:
    """Column name -> its reader-facing label ``<prefix>.<column>``."""
    return {c: i18n.t(f"{prefix}.{c}", lang) for c in columns}


def tier_names(lang: str) -> dict[str, str]:
    """Tier code -> its name in ``lang``."""
    return {t: i18n.t(f"tier.{t}", lang) for t in TIERS}


#: What :func:`owner_status` says of a customer's owner.
OWNER_STATUSES = ("ok", "departed", "wrong_role")


def owner_status(features: pd.DataFrame, staff: pd.DataFrame, rule, *, as_of) -> pd.DataFrame:
    """Per customer: the role the rule requires, the owner's role, and whether the owner has left.

    Returns ``features``' rows (same index) with ``required_owner``, ``owner_role``,
    ``departed`` (the owner left the bank by ``as_of``), ``active`` (the customer still
    holds a product on the period's last day: a customer who has left the bank is no
    book to reassign) and ``owner_status``: ``departed``, ``wrong_role`` (the owner is
    still here but not in the role the rule requires, :func:`crmstudy.tiers.ownership_table`)
    or ``ok``; ``unknown`` for everyone when the bank has no staff or no owners on record (the
    ownership sections are then left out, and no one is called wrongly owned).
    """
    need = required_owner_role(features, rule)
    held = features["n_products"] if "n_products" in features else pd.Series(1, index=features.index)
    if staff.empty or features["owner_staff_id"].isna().all():  # no staff or owners on record: unknown, not wrong
        return pd.DataFrame(
            {
                "required_owner": need,
                "owner_role": pd.Series(None, index=features.index, dtype=object),
                "departed": np.zeros(len(features), dtype=bool),
                "active": held.fillna(0).to_numpy() > 0,
                "owner_status": "unknown",
            },
            index=features.index,
        )
    st = staff.set_index("staff_id")
    role = features["owner_staff_id"].map(st["role"])
    leave = pd.to_datetime(features["owner_staff_id"].map(st["leave_date"]))
    departed = (leave.notna() & (leave <= pd.Timestamp(as_of))).to_numpy()
    ok = np.where(need == "staff", role.notna() & ~role.isin(["president", "vice_president"]), role == need)
    status = np.select([departed, ~ok], ["departed", "wrong_role"], "ok")
    return pd.DataFrame(
        {
            "required_owner": need,
            "owner_role": role,
            "departed": departed,
            "active": held.fillna(0).to_numpy() > 0,
            "owner_status": status,
        },
        index=features.index,
    )
