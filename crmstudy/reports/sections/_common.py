"""Small helpers the sections share: labels from the catalogue, the tier names."""

from __future__ import annotations

from ... import i18n
from ...tiers import TIERS


def labels(prefix: str, lang: str, columns) -> dict[str, str]:
    """Column name -> its reader-facing label ``<prefix>.<column>``."""
    return {c: i18n.t(f"{prefix}.{c}", lang) for c in columns}


def tier_names(lang: str) -> dict[str, str]:
    """Tier code -> its name in ``lang``."""
    return {t: i18n.t(f"tier.{t}", lang) for t in TIERS}
