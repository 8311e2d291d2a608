"""The data-quality report of one ingest: every problem, with counts and examples, as JSON and HTML.

Each :class:`Issue` says what ingest did to a table's rows or values and why:
``dropped`` (rows left out), ``emptied`` (a value it could not read, in a column
that may be empty), ``clipped``, ``coerced`` (read differently from how it was
written, e.g. ids written as numbers kept as text), ``kept`` (a suspicious
value left as it was), ``noted`` (how a file was read, what was inferred).
The words live in the ``ingest`` message catalogue, in English and Chinese.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field

import pandas as pd

from .. import i18n

__all__ = ["Issue", "Quality"]

#: Examples shown per issue.
N_EXAMPLES = 5
ACTIONS = ("dropped", "emptied", "clipped", "coerced", "kept", "noted")


@dataclass
class Issue:
    """One thing ingest did to a table, counted, with up to five example values."""

    table: str
    column: str | None
    action: str
    code: str
    count: int
    examples: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The issue in words, in ``lang``."""
        return i18n.t(f"ingest.issue.{self.code}", lang, count=i18n.integer(self.count, lang), **self.detail)


@dataclass
class TableReport:
    """How one table was read and written."""

    table: str
    files: list[str]
    rows_read: int = 0
    rows_written: int = 0
    read: dict = field(default_factory=dict)


class Quality:
    """Collects the issues and table summaries of one ingest run."""

    def __init__(self, mapping_path: str = ""):
        self.mapping_path = mapping_path
        self.issues: list[Issue] = []
        self.tables: dict[str, TableReport] = {}
        self.bank: dict = {}
        #: Every export file read (sources and lookups), for the source fingerprint.
        self.files_read: list = []

    def add(self, table: str, column: str | None, action: str, code: str, values=None, *, count=None, **detail):
        """Record an issue; ``values`` (the offending values) give the count and the first examples."""
        examples: list[str] = []
        if values is not None:
            values = pd.Series(values)
            count = int(len(values)) if count is None else count
            examples = [_show(v) for v in values.drop_duplicates().head(N_EXAMPLES)]
        if count == 0:
            return
        self.issues.append(Issue(table, column, action, code, int(count or 0), examples, dict(detail)))

    def dropped(self, table: str) -> int:
        """Rows of ``table`` left out, all reasons together."""
        return sum(i.count for i in self.issues if i.table == table and i.action == "dropped")

    def to_dict(self) -> dict:
        """The report as plain data (what ``quality.json`` holds)."""
        return {
            "mapping": self.mapping_path,
            "bank": self.bank,
            "tables": {t: asdict(r) for t, r in self.tables.items()},
            "issues": [{**asdict(i), "message": i.message("en")} for i in self.issues],
            "counts": {a: sum(i.count for i in self.issues if i.action == a) for a in ACTIONS},
        }

    def to_json(self) -> str:
        """``quality.json``."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_html(self, lang: str = "en") -> str:
        """``quality.html``: a one-page, self-contained report a data owner can read."""

        def t(key, **kw):
            return html.escape(i18n.t(f"ingest.html.{key}", lang, **kw))

        rows = "".join(
            f"<tr><td>{html.escape(r.table)}</td><td>{html.escape(', '.join(r.files))}</td>"
            f"<td>{html.escape(_how_read(r.read, lang))}</td>"
            f"<td class=n>{i18n.integer(r.rows_read, lang)}</td><td class=n>{i18n.integer(r.rows_written, lang)}</td>"
            "</tr>"
            for r in self.tables.values()
        )
        issues = "".join(
            f"<tr class={html.escape(i.action)}><td>{html.escape(i.table)}</td>"
            f"<td>{html.escape(i.column or '–')}</td><td>{t('action.' + i.action)}</td>"
            f"<td class=n>{'–' if i.action == 'noted' else i18n.integer(i.count, lang)}</td>"
            f"<td>{html.escape(i.message(lang))}</td>"
            f"<td>{html.escape(' · '.join(i.examples))}</td></tr>"
            for i in sorted(self.issues, key=lambda i: (ACTIONS.index(i.action), i.table))
        )
        bank = html.escape(
            i18n.t(
                "ingest.html.bank",
                lang,
                currency=self.bank.get("currency", "–"),
                start=self.bank.get("period_start", "–"),
                end=self.bank.get("period_end", "–"),
            )
        )
        counts = self.to_dict()["counts"]
        summary = t(
            "summary",
            dropped=i18n.integer(counts["dropped"], lang),
            emptied=i18n.integer(counts["emptied"], lang),
            clipped=i18n.integer(counts["clipped"], lang),
        )
        none = f"<p>{t('no_issues')}</p>" if not self.issues else ""
        return (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t("title")}</title>'
            "<style>body{font-family:sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse;"
            "margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}"
            "td.n{text-align:right}tr.dropped td{background:#fdecea}tr.emptied td,tr.clipped td{background:#fff4e5}"
            "</style></head><body>"
            f"<h1>{t('title')}</h1><p>{html.escape(self.mapping_path)}</p><p>{bank}</p><p><b>{summary}</b></p>"
            f"<h2>{t('tables')}</h2><table><tr><th>{t('table')}</th><th>{t('files')}</th><th>{t('read')}</th>"
            f"<th>{t('rows_read')}</th><th>{t('rows_written')}</th></tr>{rows}</table>"
            f"<h2>{t('issues')}</h2>{none}<table><tr><th>{t('table')}</th><th>{t('column')}</th>"
            f"<th>{t('action_heading')}</th><th>{t('count')}</th><th>{t('what')}</th><th>{t('examples')}</th></tr>"
            f"{issues}</table></body></html>"
        )


def _how_read(read: dict, lang: str) -> str:
    parts = []
    for k, v in read.items():
        if v is None:
            continue
        shown = v if k == "encoding" else f"“{'tab' if v == chr(9) else v}”"
        parts.append(i18n.t(f"ingest.html.read_{k}", lang, value=shown))
    return ", ".join(parts)


def _show(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return "(empty)"
    s = str(v)
    return s if len(s) <= 40 else s[:39] + "…"
