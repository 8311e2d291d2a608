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
['about', 'headline', 'concentration']
"""

from __future__ import annotations

from types import ModuleType

from ...errors import SectionError
from ..context import BranchContext
from . import (
    about,
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


def build_all(ctx: BranchContext) -> list[Section]:
    """Every registered section, built in order."""
    return [module.build(ctx) for module in SECTIONS]


def show_all(ctx: BranchContext, *, findings_path=None) -> dict[str, dict]:
    """Build and show every section in turn (the report notebook's one cell); return their summaries.

    A section that fails raises :class:`SectionError` naming it, after the sections before it were shown.
    With ``findings_path``, what the sections found is written there as JSON
    (:func:`crmstudy.reports.findings.write_findings`) once every section has been built.
    """
    summaries = {}
    for name, module in zip(names(), SECTIONS):
        try:
            section = module.build(ctx)
        except Exception as err:  # the runner's summary names the section and the error in one line
            raise SectionError(f"section '{name}': {type(err).__name__}: {err}") from err
        section.show()
        summaries[name] = section.summary
    if findings_path:
        from ..findings import write_findings

        write_findings(ctx, summaries, findings_path)
    return summaries
