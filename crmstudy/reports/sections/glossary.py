"""Plain words: a glossary at the end of the report, and a one-line note under each section that uses a statistic.

Every statistic a reader meets (the Gini, a 95% interval, adjusted residuals, the false-discovery
rate, the dormancy rule, the upgrade window, the risk and value points, the target band) is
explained in one line, in the report's language, with the report's own numbers (the window, the
days, the band).  :func:`add_notes` puts the lines a section needs under it;
:func:`build` lists them all.
"""

from __future__ import annotations

import html

from ... import i18n
from ...feature_defs import DORMANT_DAYS
from ..context import BranchContext
from .base import Block, Section

#: The terms, in the glossary's order.
TERMS = (
    "ada",
    "gini",
    "ci95",
    "p_value",
    "dormant",
    "upgrade_window",
    "orphaned",
    "band",
    "value_points",
    "risk_points",
    "adjusted_residual",
    "fdr",
    "amounts",
)
#: Which terms each section's note explains.
NOTES = {
    "headline": ("ada", "gini", "ci95", "dormant"),
    "concentration": ("gini", "ci95", "p_value"),
    "ownership": ("orphaned",),
    "workload": ("band",),
    "upgrades": ("upgrade_window", "amounts"),
    "prospects": ("value_points", "risk_points"),
    "long_tail": ("dormant",),
    "association": ("adjusted_residual", "fdr"),
}


def explain(term: str, ctx: BranchContext) -> tuple[str, str]:
    """A term's name and its one-line meaning, with this report's own numbers filled in."""
    lang, p = ctx.lang, ctx.params
    n = lambda x: i18n.integer(x, lang)  # noqa: E731
    fill = {
        "days": n(DORMANT_DAYS),
        "window": i18n.percent(p.upgrade.window, lang, digits=0),
        "low": n(p.rm_band.min),
        "high": n(p.rm_band.max),
    }
    return i18n.t(f"glossary.{term}.name", lang), i18n.t(f"glossary.{term}.text", lang, **fill)


def _note_bundle(lines: list[tuple[str, str]], lang: str) -> dict[str, str]:
    sep = i18n.t("glossary.note_sep", lang)
    body = sep.join(
        f"<b>{html.escape(name)}</b>{html.escape(i18n.t('glossary.colon', lang))}{html.escape(text)}"
        for name, text in lines
    )
    text = sep.join(f"{name}{i18n.t('glossary.colon', lang)}{text}" for name, text in lines)
    md = sep.join(f"**{name}**{i18n.t('glossary.colon', lang)}{text}" for name, text in lines)
    return {"text/html": f'<p class="note">{body}</p>', "text/markdown": f"<small>{md}</small>", "text/plain": text}


def add_notes(section: Section, ctx: BranchContext) -> Section:
    """Put the one-line notes of the statistics ``section`` uses under it (nothing for a section without)."""
    terms = NOTES.get(section.key)
    if terms and not any(b.kind == "note" for b in section.blocks):
        lines = [explain(t, ctx) for t in terms]
        section.blocks.append(Block("note", _note_bundle(lines, ctx.lang), text=" ".join(t for _, t in lines)))
    return section


def build(ctx: BranchContext) -> Section:
    """The glossary: every term, one line each."""
    lang = ctx.lang
    s = Section("glossary")
    s.heading(i18n.t("glossary.heading", lang))
    terms = [explain(t, ctx) for t in TERMS]
    colon = i18n.t("glossary.colon", lang)
    items = "\n".join(f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>" for name, text in terms)
    md = "\n".join(f"- **{name}**{colon}{text}" for name, text in terms)
    bundle = {"text/html": f'<dl class="glossary">\n{items}\n</dl>', "text/markdown": md, "text/plain": md}
    s.blocks.append(Block("glossary", bundle, text=md))
    s.summary = {"terms": len(TERMS)}
    return s
