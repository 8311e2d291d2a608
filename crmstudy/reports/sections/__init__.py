"""The sections of a branch report: one module each, one interface, one registry.

Every section is a module with ``build(ctx) -> Section``
(:class:`~crmstudy.reports.sections.base.Section`): it computes with the
package from the :class:`~crmstudy.reports.context.BranchContext`, reads its
knobs from ``ctx.params``, and describes what the reader sees.  The report
notebook builds and shows :data:`SECTIONS` in order; adding a section is one
new module plus one line below (``CONTRIBUTING.md`` walks through it).

Examples
--------
>>> [m.__name__.rsplit(".", 1)[-1] for m in SECTIONS][:3]
['about', 'actions', 'headline']
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ...errors import SectionError
from ..context import BranchContext
from ..display import marked_values
from . import (
    about,
    actions,
    association,
    concentration,
    headline,
    long_tail,
    ownership,
    prospects,
    provenance,
    tiers,
    upgrades,
    workload,
)
from .base import Block, Section

#: The report's sections, in reading order.
SECTIONS: list[ModuleType] = [
    about,
    actions,  # reads other sections' summaries (READS_SECTIONS): built after them, shown here
    headline,
    concentration,
    tiers,
    ownership,
    workload,
    upgrades,
    prospects,
    long_tail,
    association,
    provenance,
]

__all__ = ["SECTIONS", "Block", "Section", "SectionError", "build", "build_all", "names", "show_all"]


def names() -> list[str]:
    """The registered sections' names, in reading order."""
    return [m.__name__.rsplit(".", 1)[-1] for m in SECTIONS]


def build(name: str, ctx: BranchContext) -> Section:
    """Build one registered section by name."""
    by_name = dict(zip(names(), SECTIONS))
    if name not in by_name:
        raise SectionError(f"unknown section {name!r}; valid: {', '.join(by_name)}")
    return by_name[name].build(ctx)


def _build_one(name: str, module: ModuleType, ctx: BranchContext, built: dict[str, Section]) -> Section:
    try:
        if getattr(module, "READS_SECTIONS", None):
            return module.build(ctx, {k: built[k] for k in module.READS_SECTIONS})
        return module.build(ctx)
    except Exception as err:  # the runner's summary names the section and the error in one line
        raise SectionError(f"section '{name}': {type(err).__name__}: {err}") from err


def build_all(ctx: BranchContext) -> list[Section]:
    """Every registered section, built, in reading order.

    A section that reads others' summaries (``READS_SECTIONS``, e.g. the action box at the
    top) is built after every other section and takes its place in the order.  A member of
    staff who has left is marked in every table that names them (:func:`departed_marks`).
    """
    modules = dict(zip(names(), SECTIONS))
    built: dict[str, Section] = {}
    with marked_values(departed_marks(ctx)):
        for name, module in modules.items():
            if not getattr(module, "READS_SECTIONS", None):
                built[name] = _build_one(name, module, ctx, built)
        for name, module in modules.items():
            if name not in built:
                built[name] = _build_one(name, module, ctx, built)
    from .. import downloads

    for section in built.values():
        downloads.offer_lists(section, branch_id=ctx.branch_id, lang=ctx.lang)
    return [built[name] for name in modules]


def departed_marks(ctx: BranchContext) -> dict[str, str]:
    """Staff id -> its marked form (``'B004-CU01 (left)'``) for every member of staff gone by the period's end."""
    import pandas as pd

    from ... import i18n

    st = ctx.staff
    gone = pd.to_datetime(st["leave_date"]).notna() & (pd.to_datetime(st["leave_date"]) <= pd.Timestamp(ctx.period.end))
    return {sid: i18n.t("departed_mark", ctx.lang, staff_id=sid) for sid in st.loc[gone, "staff_id"]}


def show_all(ctx: BranchContext, *, findings_path=None) -> dict[str, dict]:
    """Build every section, then show each in turn (the report notebook's one cell); return their summaries.

    A section that fails raises :class:`SectionError` naming it.  With ``findings_path``, what
    the sections found is written there as JSON (:func:`crmstudy.reports.findings.write_findings`)
    once every section has been built.
    """
    summaries = {}
    built = build_all(ctx)
    from .. import downloads

    folder = Path(findings_path).parent if findings_path else None
    with marked_values(departed_marks(ctx)):
        downloads.write(built, folder, ctx.branch_id)
    for name, section in zip(names(), built):
        section.show()
        summaries[name] = section.summary
    if findings_path:
        from ..findings import write_findings

        write_findings(ctx, summaries, findings_path)
    return summaries
