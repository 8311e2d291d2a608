"""Lists a reader can work from: every customer list of a report, as CSV and Excel files beside it.

A section offers a list with :func:`offer` (the whole list, not only the rows the report
shows; masked like the report, labelled in its language).  The report notebook's
:func:`crmstudy.reports.sections.show_all` writes the files with :func:`write` next to the
report (``<branch>.<list>.csv`` and ``.xlsx``) and keeps the links; without a place to write
them (a notebook opened by hand) the links are dropped, so no report links to nothing.  The
runner publishes the files with the report and lists them in the manifest, so
``crmstudy verify`` covers them.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .. import i18n
from ..atomic import atomic_path
from .display import mark
from .sections.base import Block, Section

__all__ = ["file_names", "offer", "write"]

#: The kinds of file written for every list.
FORMATS = ("csv", "xlsx")


def file_names(branch_id: str, name: str) -> dict[str, str]:
    """``{"csv": "B001.upgrades.csv", "xlsx": "B001.upgrades.xlsx"}``."""
    return {fmt: f"{branch_id}.{name}.{fmt}" for fmt in FORMATS}


def offer(section: Section, name: str, frame: pd.DataFrame, *, branch_id: str, lang: str) -> Section:
    """Offer ``frame`` (already masked and labelled) as a download, linked where the call stands.

    The list goes into ``section.data["downloads"][name]``; a ``download`` block holds the links.
    """
    section.data.setdefault("downloads", {})[name] = frame
    files = file_names(branch_id, name)
    rows = i18n.integer(len(frame), lang)
    label = i18n.t("download.label", lang, n=rows)
    links = " · ".join(
        f'<a href="{html.escape(files[fmt])}" download>{html.escape(i18n.t(f"download.{fmt}", lang))}</a>'
        for fmt in FORMATS
    )
    md_links = " · ".join(f"[{i18n.t(f'download.{fmt}', lang)}]({files[fmt]})" for fmt in FORMATS)
    bundle = {
        "text/html": f'<p class="download">{html.escape(label)} {links}</p>',
        "text/markdown": f"{label} {md_links}",
        "text/plain": f"{label} {', '.join(files.values())}",
    }
    section.blocks.append(Block("download", bundle, {"download": name}, text=label))
    return section


def offer_lists(section: Section, *, branch_id: str, lang: str) -> Section:
    """Offer every customer list the section shows and did not offer itself (its rows as shown).

    A customer list is a table whose first column holds masked customer ids
    (:func:`crmstudy.privacy.mask_id`); tables of figures (tiers, the long tail) are not lists.
    Names are ``<section>`` or, for a second list, ``<section>-2``.
    """
    blocks, out, count = section.blocks, [], 0
    for i, b in enumerate(blocks):
        out.append(b)
        followed = i + 1 < len(blocks) and blocks[i + 1].kind == "download"
        if b.kind != "table" or followed or b.frame is None or b.frame.empty or not _is_customer_list(b.frame):
            continue
        count += 1
        name = section.key if count == 1 else f"{section.key}-{count}"
        while name in (section.data.get("downloads") or {}):
            count += 1
            name = f"{section.key}-{count}"
        section.blocks = out
        offer(section, name, b.frame, branch_id=branch_id, lang=lang)
        out = section.blocks
    section.blocks = out
    return section


def _is_customer_list(frame: pd.DataFrame) -> bool:
    first = frame.iloc[:, 0]
    textual = first.dtype == object or pd.api.types.is_string_dtype(first)
    return bool(textual and first.astype(str).str.contains("***", regex=False).all())


def write(sections: list[Section], folder, branch_id: str) -> list[Path]:
    """Write every offered list of ``sections`` into ``folder`` (atomically); return the files.

    With ``folder`` None the download links are removed instead and nothing is written.
    """
    written: list[Path] = []
    for s in sections:
        lists = s.data.get("downloads") or {}
        if folder is None:
            s.blocks[:] = [b for b in s.blocks if b.kind != "download"]
            continue
        for name, frame in lists.items():
            frame = _readable(frame)
            files = file_names(branch_id, name)
            out = Path(folder)
            with atomic_path(out / files["csv"], suffix=".csv") as tmp:
                frame.to_csv(tmp, index=False, encoding="utf-8-sig")  # the BOM lets Excel read Chinese
            with atomic_path(out / files["xlsx"], suffix=".xlsx") as tmp:
                _excel(frame, tmp, sheet=name)
            written += [out / files["csv"], out / files["xlsx"]]
    return written


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Departed staff marked as in the report; amounts to the cent, shares to four places."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            out[col] = values.round(4 if values.abs().max() <= 1 else 2)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            out[col] = values.map(lambda v: mark(v) if isinstance(v, str) else v)
    return out


def _excel(frame: pd.DataFrame, path, *, sheet: str) -> None:
    """One sheet, header frozen, columns as wide as their text (openpyxl)."""
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        frame.to_excel(xl, index=False, sheet_name=sheet[:31])
        ws = xl.sheets[sheet[:31]]
        ws.freeze_panes = "A2"
        for i, col in enumerate(frame.columns, start=1):
            width = max([len(str(col)), *(len(str(v)) for v in frame[col].head(500))], default=8)
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(max(width + 2, 8), 60)
