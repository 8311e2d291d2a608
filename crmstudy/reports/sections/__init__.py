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
['about', 'actions', 'this_week']
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
    channels,
    concentration,
    earnings,
    glossary,
    headline,
    long_tail,
    ownership,
    prospects,
    provenance,
    retention,
    this_week,
    tiers,
    trend,
    upgrades,
    workload,
)
from ._requires import failed, left_out, missing_inputs
from .base import Block, Section

#: The report's sections, in reading order.
SECTIONS: list[ModuleType] = [
    about,
    actions,  # reads other sections' summaries (READS_SECTIONS): built after them, shown here
    this_week,  # the customer events due now: the report's first heading, under the frame and the action box
    headline,
    trend,  # item 5 of issue 17: month by month, since the last report, rank among branches
    concentration,
    tiers,
    ownership,
    workload,
    upgrades,
    prospects,
    long_tail,
    retention,
    association,
    earnings,  # issue 16: profit contribution, whale curve, what-if, campaigns
    channels,  # issue 16: channel mix, preferences, counter capacity, migration
    glossary,
    provenance,
]

__all__ = [
    "SECTIONS",
    "Block",
    "Section",
    "SectionError",
    "build",
    "build_all",
    "failed",
    "left_out",
    "missing_inputs",
    "names",
    "show_all",
]


def names() -> list[str]:
    """The registered sections' names, in reading order."""
    return [m.__name__.rsplit(".", 1)[-1] for m in SECTIONS]


def build(name: str, ctx: BranchContext) -> Section:
    """Build one registered section by name (left out, with a sentence, when its inputs are missing)."""
    by_name = dict(zip(names(), SECTIONS))
    if name not in by_name:
        raise SectionError(f"unknown section {name!r}; valid: {', '.join(by_name)}")
    missing = missing_inputs(by_name[name], ctx)
    return left_out(name, ctx, missing) if missing else by_name[name].build(ctx)


def _build_one(
    name: str, module: ModuleType, ctx: BranchContext, built: dict[str, Section], *, isolate: bool = False
) -> Section:
    """The section; left out with one sentence when its inputs are missing (``sections._requires``).

    A section that raises is, with ``isolate``, replaced by a boxed note naming it and the reason
    (status ``failed``); without, it raises :class:`SectionError` naming it.
    """
    try:
        missing = missing_inputs(module, ctx)
        if missing:
            return left_out(name, ctx, missing)
        if getattr(module, "READS_SECTIONS", None):
            return module.build(ctx, {k: built[k] for k in module.READS_SECTIONS})
        return module.build(ctx)
    except Exception as err:  # the runner's summary names the section and the error in one line
        if isolate:
            return failed(name, ctx, err)
        raise SectionError(f"section '{name}': {type(err).__name__}: {err}") from err


def build_all(ctx: BranchContext, *, isolate: bool = False) -> list[Section]:
    """Every registered section, built, in reading order.

    A section that reads others' summaries (``READS_SECTIONS``, e.g. the action box at the
    top) is built after every other section and takes its place in the order.  A member of
    staff who has left is marked in every table that names them (:func:`departed_marks`).
    A section whose inputs the bank lacks is left out with one sentence (``REQUIRES``); with
    ``isolate`` one that raises becomes a boxed note (:func:`failed`) and the others still build.
    """
    modules = dict(zip(names(), SECTIONS))
    built: dict[str, Section] = {}
    with marked_values(departed_marks(ctx)):
        for name, module in modules.items():
            if not getattr(module, "READS_SECTIONS", None):
                built[name] = _build_one(name, module, ctx, built, isolate=isolate)
        for name, module in modules.items():
            if name not in built:
                built[name] = _build_one(name, module, ctx, built, isolate=isolate)
    from .. import downloads

    for section in built.values():
        downloads.offer_lists(section, branch_id=ctx.branch_id, lang=ctx.lang)
        glossary.add_notes(section, ctx)
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

    A section that raises on this branch's data is replaced by a boxed note naming it and the
    reason, and the rest of the report renders; its summary is ``status: failed`` with the
    ``reason``, so the branch's findings.json and the run's summary name it (the run exits 1).
    With ``findings_path``, what the sections found is written there as JSON
    (:func:`crmstudy.reports.findings.write_findings`) once every section has been built.
    """
    summaries = {}
    built = build_all(ctx, isolate=True)
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
