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
    # the branch among the bank's branches and against its last report (crmstudy.reports.sections.trend)
    ("rank_text", "rank"),
    ("change_text", "change"),
    ("gini", "gini"),
    ("top20_share_pct", "top20_share"),
    ("key_customers", "key_customers"),
    ("dormant_share_pct", "dormant_share"),
    ("upgrade_candidates", "upgrade_candidates"),
    # what the branch earns (crmstudy.reports.sections.earnings), in the bank's currency
    ("profit_text", "profit"),
    ("cost_to_income_pct", "cost_to_income"),
    # alerts: what the branch's action box counts (crmstudy.reports.sections.actions)
    ("orphaned", "orphaned"),
    ("wrong_owner", "wrong_owner"),
    ("rms_outside", "rms_outside"),
    ("risk_flags", "risk_flags"),
    ("findings", "findings"),
    ("status", "status"),
]
#: The alert columns, read from each branch's findings.json (its action box's counts).
ALERTS = ("orphaned", "wrong_owner", "rms_outside", "risk_flags")
#: Columns summed into the bank's totals row.
_SUMMED = ("customers", "key_customers", "upgrade_candidates", *ALERTS)


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
    currency = str(bank.meta.get("currency", "CNY"))  # the bank's own currency (bank.json), not the process's
    entries = [_entry(b, m, folder, lang, currency) for b, m in manifest["branches"].items()]
    totals = bank_totals(entries, lang, currency)
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
        totals=totals,
    )


def _entry(branch: str, m: dict, folder: Path, lang: str, currency: str | None = None) -> dict:
    """One branch's row: headline figures, alert counts, links, and a coloured status with its reason."""
    h = dict(m.get("headline") or {})
    short = str(m.get("branch_name", branch)).replace(" Sub-branch", "").removesuffix("支行")
    e = {"branch_id": branch, "branch": f"{branch} {short}", **h}
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
        e["_sort"] = {
            "ada_text": h["total_ada"],
            "top20_share_pct": h["top20_share"],
            "dormant_share_pct": h["dormant_share"],
        }
    if m.get("files"):
        doc = _findings(folder / f"{branch}.findings.json")
        e.update(_alerts(doc))
        standing = _standing(doc, lang, currency)
        e.setdefault("_sort", {}).update(standing.pop("_sort", {}))
        e.update(standing)
        earned = _earnings(doc)
        if earned:
            e.update(earned)
            e["profit_text"] = i18n.money(earned["contribution_cents"] / 100, lang, currency=currency)
            e.setdefault("_sort", {})["profit_text"] = earned["contribution_cents"]
            if earned.get("revenue_cents", 0) > 0 and "operating_cost_cents" in earned:
                cti = earned["operating_cost_cents"] / earned["revenue_cents"]
                e["cost_to_income_pct"] = i18n.percent(cti, lang)
                e["_sort"]["cost_to_income_pct"] = cti
    e["status"], e["status_html"] = _status({"branch_id": branch, **m}, folder, lang)
    return e


def _findings(path: Path) -> dict:
    """A branch's findings.json (:mod:`crmstudy.reports.findings`); empty when it is missing or unreadable."""
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _evidence(doc: dict, section: str) -> dict:
    evidence = (doc.get("sections") or {}).get(section, {}).get("evidence")
    return evidence if isinstance(evidence, dict) else {}


def _alerts(doc: dict) -> dict:
    """The action box's counts from a branch's findings (empty for an older report without them)."""
    evidence = _evidence(doc, "actions")
    return {k: int(evidence[k]) for k in ALERTS if isinstance(evidence.get(k), int | float)}


#: What the index reads from a branch's earnings section (whole cents).
EARNINGS = ("contribution_cents", "revenue_cents", "operating_cost_cents")


def _earnings(doc: dict) -> dict:
    """The earnings section's sums from a branch's findings (empty without them or without profit data)."""
    evidence = _evidence(doc, "earnings")
    return {k: int(evidence[k]) for k in EARNINGS if isinstance(evidence.get(k), int | float)}


def _standing(doc: dict, lang: str, currency: str | None = None) -> dict:
    """Rank by assets among the bank's branches, and the change in assets since the branch's last report.

    Both are what the branch's own report says (its trend section, :mod:`crmstudy.reports.trends`):
    the rank computed in the run's shared step over every branch of the bank, the change against
    the last published report of the branch.  The change is shown as a share of the assets then
    (the amount and the report's date in the cell's title), ``first report`` when there was none;
    an older report without a trend section gives neither column.
    """
    trend = _evidence(doc, "trend")
    if not trend:
        return {}
    out: dict[str, Any] = {"_sort": {}}
    ranks = trend.get("ranks") or {}
    rank, of = ranks.get("total_ada"), ranks.get("of")
    if isinstance(rank, int) and isinstance(of, int) and of > 1:
        n, total = i18n.integer(rank, lang), i18n.integer(of, lang)
        out["rank"] = rank
        out["rank_text"] = i18n.t("index.rank_of", lang, rank=n, of=total)
        title = html.escape(i18n.t("index.rank_title", lang, rank=n, of=total), quote=True)
        out["rank_text_html"] = f'<span title="{title}">{html.escape(out["rank_text"])}</span>'
        out["_sort"]["rank_text"] = rank
    change = (trend.get("changes") or {}).get("total_ada")
    now = _evidence(doc, "headline").get("total_ada")
    if not trend.get("previous_report"):
        out["change_text"] = i18n.t("index.first_report", lang)
    elif isinstance(change, int | float) and isinstance(now, int | float):
        before = now - change
        out["ada_change"] = change
        sign = "up" if change > 0 else ("down" if change < 0 else "same")
        mark = {"up": "▲", "down": "▼", "same": "±"}[sign]
        if before > 0:
            share = change / before
            shown = i18n.percent(abs(share), lang)
            out["_sort"]["change_text"] = share
        else:  # nothing held before: the amount itself
            shown = i18n.money(abs(change), lang, currency=currency)
        out["change_text"] = f"{mark} {shown}"
        amount = i18n.money(abs(change), lang, currency=currency)
        when = str(trend["previous_report"])[:10]
        title = i18n.t(f"index.change_title.{sign}", lang, amount=amount, date=i18n.date(when, lang))
        title, text = html.escape(title, quote=True), html.escape(out["change_text"])
        out["change_text_html"] = f'<span class="change {sign}" title="{title}">{text}</span>'
    return out


def _status(m: dict, folder: Path, lang: str) -> tuple[str, str]:
    """The status as text and as a coloured mark; a stale or failed branch gives its last good date, reason, log."""
    if not m.get("stale"):
        text = i18n.t("index.ok", lang)
        return text, f'<span class="mark ok">{html.escape(text)}</span>'
    made = (m.get("made_at") or "")[:10]
    if m.get("files"):
        text, kind = i18n.t("index.stale_since", lang, date=i18n.date(made, lang) if made else "–"), "stale"
        error, run = m.get("last_error", ""), m.get("last_failed_run")
        log = (folder.parent / "runs" / run / "logs" / f"{m.get('branch_id', '')}.log") if run else None
    else:
        text, kind = i18n.t("index.failed", lang), "failed"
        error, log = m.get("error", ""), Path(m["log"]) if m.get("log") else None
    parts = [f'<span class="mark {kind}">{html.escape(text)}</span>']
    if error:
        parts.append(f'<span class="reason">{html.escape(i18n.t("index.reason", lang, reason=error))}</span>')
    if log is not None:
        href, word = _relative_href(log, folder / "index.html"), html.escape(i18n.t("index.log", lang))
        parts.append(f'<a class="log" href="{href}">{word}</a>')
    return text, " ".join(parts)


def bank_totals(entries: list[dict], lang: str, currency: str | None = None) -> dict:
    """The bank's row: counts, assets and profit summed; dormant share and cost-to-income pooled; the rest blank.

    A Gini or a top-20% share does not add up over branches, so the totals row leaves them empty.
    Profit is summed in whole cents (every branch's lines add up to it to the cent); the bank's
    cost-to-income is its summed costs over its summed income, not an average of the branches'.
    """
    rows = [e for e in entries if "customers" in e]
    out: dict[str, Any] = {"branch": i18n.t("index.total", lang)}
    for key in _SUMMED:
        values = [e[key] for e in rows if isinstance(e.get(key), int | float)]
        out[key] = int(sum(values)) if values else None
    assets = sum(float(e.get("total_ada", 0.0)) for e in rows)
    people = sum(int(e.get("customers", 0)) for e in rows)
    out["ada_text"] = i18n.money(assets, lang) if rows else None
    if people:
        dormant = sum(float(e.get("dormant_share", 0.0)) * int(e["customers"]) for e in rows) / people
        out["dormant_share_pct"] = i18n.percent(dormant, lang)
    out["_sort"] = {"ada_text": assets}
    earned = [e for e in rows if "contribution_cents" in e]
    if earned:
        cents = sum(int(e["contribution_cents"]) for e in earned)
        out["contribution_cents"] = cents
        out["profit_text"] = i18n.money(cents / 100, lang, currency=currency)
        revenue = sum(int(e.get("revenue_cents", 0)) for e in earned)
        costs = [e["operating_cost_cents"] for e in earned if "operating_cost_cents" in e]
        if revenue > 0 and len(costs) == len(earned):
            out["cost_to_income_pct"] = i18n.percent(sum(costs) / revenue, lang)
    return out


def render_index(
    entries: Iterable[dict[str, Any]],
    out_path: Path,
    *,
    title: str,
    columns: Sequence[tuple[str, str]],
    lang: str = "en",
    footer_html: str = "",
    totals: dict[str, Any] | None = None,
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
    totals : dict, optional
        A last row (the bank's totals), shown under the branches and never sorted with them.

    A column's cell shows ``entry[key + "_html"]`` (trusted HTML) when given, and sorts by
    ``entry["_sort"][key]`` when given, else by its value: clicking a header sorts the rows
    (a few lines of inline script, no library).  On a phone each row is a card.

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
    labels = [label for _, label in columns]
    head = "".join(  # a header may wrap after a slash ("Cost/income"): a narrower column
        f'<th scope="col" data-col="{i}"><button type="button">{html.escape(str(label)).replace("/", "/<wbr>")}'
        "</button></th>"
        for i, label in enumerate(labels)
    )
    rows = [_row(entry, columns, labels, out_path, has_pdf) for entry in entries]
    foot = _row(totals, columns, labels, out_path, has_pdf, tag="th") if totals else ""
    page = _INDEX_TEMPLATE.format(
        lang=html.escape(lang),
        title=html.escape(title),
        css=CSS_PATH.read_text(encoding="utf-8"),
        head=head,
        rows="\n".join(rows),
        foot=f"<tfoot>{foot}</tfoot>" if foot else "",
        footer=f"<footer>{footer_html}</footer>" if footer_html else "",
        script=_SORT_JS,
    )
    return write_text_atomic(out_path, page)


def _row(entry: dict, columns, labels, out_path: Path, has_pdf: bool, *, tag: str = "td") -> str:
    cells = []
    sort = entry.get("_sort") or {}
    for i, (key, _) in enumerate(columns):
        value = entry.get(key)
        is_num = isinstance(value, numbers.Real) and not isinstance(value, bool)
        text = entry.get(f"{key}_html") or html.escape(format_value(value))
        if i == 0 and entry.get("href"):
            text = f'<a href="{_relative_href(entry["href"], out_path)}">{text}</a>'
        if i == 0 and has_pdf and entry.get("pdf"):  # the PDF beside the branch: one column fewer to scroll to
            text += f' <a class="pdf" href="{_relative_href(entry["pdf"], out_path)}">PDF</a>'
        key_value = sort.get(key, value if is_num else format_value(value))
        attrs = f' data-label="{html.escape(str(labels[i]))}" data-sort="{html.escape(str(key_value))}"'
        cls = ' class="num"' if is_num or key in sort else ""
        cells.append(f"<{tag}{cls}{attrs}>{text}</{tag}>")
    return "<tr>" + "".join(cells) + "</tr>"


# Click a header to sort by it (numbers as numbers, then text); click again to reverse.  A cell
# without a number ("–", "first report") goes below the numbers either way.
_SORT_JS = """(function () {
  var table = document.querySelector("table.index-table");
  if (!table) return;
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      var down = th.getAttribute("aria-sort") !== "descending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "descending" : "ascending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var key = function (r) { var c = r.cells[col]; return c ? c.getAttribute("data-sort") || "" : ""; };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        if (isNaN(nx) !== isNaN(ny)) return isNaN(nx) ? 1 : -1;
        var d = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return down ? -d : d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();"""


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
<body class="index-page">
<header id="title-block-header"><h1 class="title">{title}</h1></header>
<div class="table-wrap">
<table class="report-table index-table">
<thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody>
{foot}
</table>
</div>
{footer}
<script>
{script}
</script>
</body>
</html>
"""
