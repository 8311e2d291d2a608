"""What every report section returns: a :class:`Section` of blocks, shown in order.

A section's ``build(ctx)`` computes with the package and *describes* what the
reader sees (headings, readings, tables, figures, headline cards) as blocks;
nothing is displayed until :meth:`Section.show` runs in the report notebook.
Tests read the same object: :attr:`Section.sentences`, :attr:`Section.tables`,
:attr:`Section.summary` (machine-readable figures) and :attr:`Section.data`
(the unmasked frames the section computed from; never shown).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import display as d

__all__ = ["Block", "Section"]


@dataclass(frozen=True)
class Block:
    """One output: ``kind`` (heading, markdown, reading, note, table, figure, metrics) and its MIME ``bundle``."""

    kind: str
    bundle: dict[str, str]
    metadata: dict = field(default_factory=dict)
    text: str = ""
    frame: pd.DataFrame | None = None


@dataclass
class Section:
    """A report section: its key in the registry, its blocks in reading order, and what it measured.

    Parameters
    ----------
    key : str
        The section's name in :data:`crmstudy.reports.sections.SECTIONS` (its module's name).
    """

    key: str
    blocks: list[Block] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    # --- describing ---------------------------------------------------------------------------

    def heading(self, text: str, level: int = 2) -> Section:
        """A heading (level 2 enters the table of contents)."""
        md = d.heading_markdown(text, level)
        return self._add(Block("heading", {"text/markdown": md, "text/plain": md}, text=text))

    def markdown(self, text: str) -> Section:
        """A paragraph of markdown as it is."""
        return self._add(Block("markdown", {"text/markdown": text, "text/plain": text}, text=text))

    def say(self, text: str) -> Section:
        """A one-sentence reading of the output above it, styled as a callout."""
        md = d.reading_markdown(text)
        return self._add(Block("reading", {"text/markdown": md, "text/plain": md}, text=text))

    def note(self, text: str) -> Section:
        """A boxed note about the report itself (a section left out, or one that failed): not a reading."""
        md = d.reading_markdown(f"**{text}**")
        style = "border:1px solid #b8860b;border-radius:4px;padding:.6em 1em;margin:.8em 0"
        html_ = f'<div class="crm-note" role="note" style="{style}">{html.escape(text)}</div>'
        return self._add(Block("note", {"text/markdown": md, "text/html": html_, "text/plain": text}, text=text))

    def table(
        self,
        df: pd.DataFrame,
        *,
        caption: str | None = None,
        index: bool = False,
        formats: Mapping[Any, d.Format] | None = None,
    ) -> Section:
        """A table, as :func:`crmstudy.reports.display.show_table` shows it."""
        bundle = d.table_bundle(df, caption=caption, index=index, formats=formats)
        return self._add(Block("table", bundle, text=caption or "", frame=df))

    def figure(self, fig: Any, *, alt: str) -> Section:
        """A matplotlib figure, embedded as a 200 dpi PNG (the figure is closed)."""
        import matplotlib.pyplot as plt

        try:
            bundle, meta = d.figure_bundle(fig, alt=alt)
        finally:
            plt.close(fig)
        return self._add(Block("figure", bundle, meta, text=alt))

    def metrics(self, metrics: Mapping[str, Any], *, formats: Mapping[str, d.Format] | None = None) -> Section:
        """Headline figures: cards in HTML, a two-column table in PDF."""
        return self._add(Block("metrics", d.metrics_bundle(metrics, formats=formats), text="; ".join(metrics)))

    def _add(self, block: Block) -> Section:
        self.blocks.append(block)
        return self

    # --- reading --------------------------------------------------------------------------------

    @property
    def title(self) -> str | None:
        """The first heading's text, if any."""
        return next((b.text for b in self.blocks if b.kind == "heading"), None)

    @property
    def sentences(self) -> list[str]:
        """The readings, in order: what the section tells staff."""
        return [b.text for b in self.blocks if b.kind == "reading"]

    @property
    def tables(self) -> list[pd.DataFrame]:
        """The tables as shown (masked, labelled in the report's language)."""
        return [b.frame for b in self.blocks if b.kind == "table"]

    @property
    def notes(self) -> list[str]:
        """The boxed notes: what the report says about a section left out or failed."""
        return [b.text for b in self.blocks if b.kind == "note"]

    @property
    def figures(self) -> list[str]:
        """The figures' alt texts."""
        return [b.text for b in self.blocks if b.kind == "figure"]

    def bundles(self) -> list[dict[str, str]]:
        """Every block's MIME bundle, in order."""
        return [b.bundle for b in self.blocks]

    def show(self) -> None:
        """Display every block in the running notebook."""
        for b in self.blocks:
            d._publish(b.bundle, b.metadata)

    def _repr_html_(self) -> str:
        parts = []
        for b in self.blocks:
            if "text/html" in b.bundle:
                parts.append(b.bundle["text/html"])
            elif "image/png" in b.bundle:
                parts.append(f'<img alt="{html.escape(b.text)}" src="data:image/png;base64,{b.bundle["image/png"]}">')
            elif b.kind == "heading":
                parts.append(f"<h3>{html.escape(b.text)}</h3>")
            else:
                parts.append(f"<p>{html.escape(b.text)}</p>")
        return "\n".join(parts)
