"""The index page: one row per branch with its headline figures, links to the reports, stale marks.

:func:`render_index` writes any such page (the training index too);
:func:`write_index` writes a report run's, from its manifest, in the index's
language.
"""

from __future__ import annotations

import html
import numbers
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ... import __version__, i18n
from ...atomic import write_text_atomic
from ...errors import RenderError
from ..display import format_value
from .engines import CSS_PATH

_INDEX_KEYS = [
    ("branch", "branch"),
    ("customers", "customers"),
    ("ada_text", "assets"),
    ("gini", "gini"),
    ("top20_share_pct", "top20_share"),
    ("key_customers", "key_customers"),
    ("dormant_share_pct", "dormant_share"),
    ("upgrade_candidates", "upgrade_candidates"),
    ("findings", "findings"),
    ("status", "status"),
]


def index_columns(lang: str = "en") -> list[tuple[str, str]]:
    """The index page's (key, label) columns in ``lang`` (labels from the catalogue)."""
    return [(key, i18n.t(f"index.{label}", lang)) for key, label in _INDEX_KEYS]


INDEX_COLUMNS = index_columns("en")


def write_index(manifest: dict, folder: Path, title: str | None, bank, lang: str = "en") -> Path:
    """Write ``folder/index.html`` for a run's manifest: a row per branch, a footer on the run and the data.

    Parameters
    ----------
    manifest : dict
        The folder's manifest (:func:`~crmstudy.reports.pipeline.manifest.build_manifest`).
    folder : Path
        The run folder or ``latest/``.
    title : str, optional
        Page title; by default the catalogue's ``index.title`` in ``lang``.
    bank : BankFiles
        The bank, for its period and seed.
    lang : str
        Language of the page.
    """
    entries = []
    for b, m in manifest["branches"].items():
        h = dict(m.get("headline") or {})
        short = str(m.get("branch_name", b)).replace(" Sub-branch", "").removesuffix("支行")
        status = i18n.t("index.ok", lang)
        if m.get("stale"):
            made = m.get("made_at", "")[:10]
            status = (
                i18n.t("index.stale_since", lang, date=i18n.date(made, lang) if made else "–")
                if m.get("files")
                else i18n.t("index.failed", lang)
            )
        e = {"branch_id": b, "branch": f"{b} {short}", "status": status, **h}
        html_file = next((f["path"] for f in m.get("files", []) if f["path"].endswith(".html")), None)
        pdf_file = next((f["path"] for f in m.get("files", []) if f["path"].endswith(".pdf")), None)
        if html_file:
            e["href"] = html_file
        if pdf_file:
            e["pdf"] = pdf_file
        if h:
            e["top20_share_pct"] = i18n.percent(h["top20_share"], lang)
            e["dormant_share_pct"] = i18n.percent(h["dormant_share"], lang)
            e["gini"] = round(h["gini"], 3)
            e["ada_text"] = i18n.money(h["total_ada"], lang)
        entries.append(e)
    meta = bank.meta
    n_ok = sum(1 for m in manifest["branches"].values() if not m.get("stale"))
    parts = []
    if "period_start" in meta:
        parts.append(i18n.period(meta["period_start"], meta["period_end"], lang))
    parts += [
        i18n.t("index.footer.last_run", lang, run_id=manifest["run_id"]),
        i18n.t("index.footer.version", lang, version=__version__),
        i18n.t("index.footer.engine", lang, engine=manifest["engine"]),
        i18n.t("index.footer.fingerprint", lang, fingerprint=manifest["data_fingerprint"]),
    ]
    if "seed" in meta:
        parts.append(
            i18n.t("index.footer.seed_null" if meta.get("null") else "index.footer.seed", lang, seed=meta["seed"])
        )
    parts.append(
        i18n.t(
            "index.footer.current",
            lang,
            current=i18n.integer(n_ok, lang),
            total=i18n.integer(len(manifest["branches"]), lang),
        )
    )
    return render_index(
        entries,
        folder / "index.html",
        title=title or i18n.t("index.title", lang),
        columns=index_columns(lang),
        lang=lang,
        footer_html=html.escape(" · ".join(parts)),
    )


def render_index(
    entries: Iterable[dict[str, Any]],
    out_path: Path,
    *,
    title: str,
    columns: Sequence[tuple[str, str]],
    lang: str = "en",
    footer_html: str = "",
) -> Path:
    """Write a self-contained ``index.html`` listing the branch reports.

    Parameters
    ----------
    entries : iterable of dict
        One per branch: ``href`` (the branch's HTML file; absolute paths are
        made relative to the index), optionally ``pdf`` (its PDF), and a value
        for each column key.  The first column links to ``href``.
    out_path : Path
        Where the index goes, usually beside the branch reports.
    title : str
        Page title and heading.
    columns : sequence of (key, label)
        The columns shown, e.g. ``[("branch", "Branch"), ("gini", "Gini")]``.
    footer_html : str
        Trusted HTML placed at the bottom (e.g. the run summary).

    Returns
    -------
    Path
        ``out_path``.
    """
    out_path = Path(out_path)
    entries = list(entries)
    if not columns:
        raise RenderError(f"{out_path}: render_index needs at least one column")
    has_pdf = any(e.get("pdf") for e in entries)
    labels = [label for _, label in columns] + (["PDF"] if has_pdf else [])
    head = "".join(f"<th>{html.escape(str(label))}</th>" for label in labels)
    rows = []
    for entry in entries:
        cells = []
        for i, (key, _) in enumerate(columns):
            value = entry.get(key)
            is_num = isinstance(value, numbers.Real) and not isinstance(value, bool)
            text = html.escape(format_value(value))
            if i == 0 and entry.get("href"):
                text = f'<a href="{_relative_href(entry["href"], out_path)}">{text}</a>'
            cells.append(f'<td class="num">{text}</td>' if is_num else f"<td>{text}</td>")
        if has_pdf:
            pdf = entry.get("pdf")
            cells.append(f'<td><a href="{_relative_href(pdf, out_path)}">PDF</a></td>' if pdf else "<td></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    page = _INDEX_TEMPLATE.format(
        lang=html.escape(lang),
        title=html.escape(title),
        css=CSS_PATH.read_text(encoding="utf-8"),
        head=head,
        rows="\n".join(rows),
        footer=f"<footer>{footer_html}</footer>" if footer_html else "",
    )
    return write_text_atomic(out_path, page)


def _relative_href(target: str | os.PathLike, index: Path) -> str:
    target = Path(target)
    if target.is_absolute():
        target = Path(os.path.relpath(target, index.resolve().parent))
    return html.escape(quote(target.as_posix()))


_INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<header id="title-block-header"><h1 class="title">{title}</h1></header>
<div class="table-wrap">
<table class="report-table index-table">
<thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>
{footer}
</body>
</html>
"""
