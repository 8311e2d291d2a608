"""Who the report is for and what it shows: the report's first paragraph."""

from __future__ import annotations

from ... import i18n
from ..context import BranchContext
from .base import Section


def build(ctx: BranchContext) -> Section:
    """The paragraph that opens every branch report."""
    return Section("about").markdown(i18n.t("report.about", ctx.lang))
