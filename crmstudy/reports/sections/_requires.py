"""What each section needs of the data, checked in one place; the note that stands in for a section.

A section module declares ``REQUIRES``: tables (``"transactions"``) and
columns (``"customers.owner_staff_id"``) it cannot do without, ``"varied:<column>"`` for a
grouping column that must take two values among the branch's customers, or a function of
the context returning them (when a parameter picks the column).  A bank lacking
one (no file, no rows, or a column left out or empty) gets, in the section's
place, its heading and one sentence saying what data it needs; nothing is
invented to stand in for the missing data.  Two needs are about the branch
rather than the bank: ``"customers"`` (customers open in the period) and
``"assets"`` (balances in the period); every section but the report's frame
(``about``, ``provenance``) needs both unless it declares otherwise.
"""

from __future__ import annotations

from types import ModuleType

from babel.lists import format_list

from ... import i18n
from ...errors import CrmStudyError, MessageError
from .base import Section

#: What a section needs when it does not say: customers of the branch, with assets in the period.
DEFAULT_REQUIRES = ("customers", "assets")
#: The sections that frame the report and need nothing.
FRAME = ("about", "provenance")


def _name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def requirements(module: ModuleType, ctx=None) -> tuple[str, ...]:
    """The section's needs: its own ``REQUIRES`` plus, unless it frames the report, customers and assets.

    ``REQUIRES`` is a tuple, or a function of the context when the needs follow a parameter.
    """
    own = getattr(module, "REQUIRES", ())
    own = tuple(own(ctx) if callable(own) else own)
    if _name(module) in FRAME:
        return own
    return tuple(dict.fromkeys(DEFAULT_REQUIRES + own))


def missing_inputs(module: ModuleType, ctx) -> list[str]:
    """The needs of ``module`` this branch's data does not meet, in the order declared."""
    out = []
    for need in requirements(module, ctx):
        if need == "customers":
            ok = len(ctx.features) > 0
        elif need == "assets":
            ok = len(ctx.features) == 0 or float(ctx.features["ada"].clip(lower=0).sum()) > 0
        elif need.startswith("varied:"):  # a grouping column needs two values among the branch's customers
            column = need.split(":", 1)[1]
            ok = len(ctx.features) == 0 or column not in ctx.features or ctx.features[column].nunique() >= 2
        elif ctx.bank is None:
            ok = True
        else:
            table, _, column = need.partition(".")
            ok = ctx.bank.available(table, column or None)
        if not ok:
            out.append(need)
    if "customers" in out:  # no customers: saying there are no assets either adds nothing
        out = [n for n in out if n != "assets"]
    return out


def _heading(name: str, ctx) -> str:
    key, lang = f"{name}.heading", ctx.lang
    if i18n.has(key, lang):
        try:
            return i18n.t(key, lang)
        except MessageError:  # a heading with placeholders: the headline's names the branch and period
            if name == "headline":
                period = i18n.period(ctx.period.start, ctx.period.end, lang)
                return i18n.t(key, lang, branch_name=ctx.branch_name, branch_id=ctx.branch_id, period=period)
    return i18n.t("data.section_name", lang, section=name.replace("_", " "))


def _need(need: str, lang: str) -> str:
    if need in ("customers", "assets"):
        return i18n.t(f"data.need_{need}", lang)
    if need.startswith("varied:"):
        return i18n.t("data.need_varied", lang, column=need.split(":", 1)[1])
    table, _, column = need.partition(".")
    if column:
        return i18n.t("data.need_column", lang, table=table, column=column)
    return i18n.t("data.need_table", lang, table=table)


def left_out(name: str, ctx, missing: list[str]) -> Section:
    """The section's heading and one sentence: what data it needs and the bank lacks (no figures)."""
    lang = ctx.lang
    s = Section(name, summary={"status": "not_applicable", "left_out": list(missing)})
    s.heading(_heading(name, ctx))
    if missing == ["customers"]:
        return s.note(i18n.t("data.no_customers", lang))
    if missing == ["assets"]:
        return s.note(i18n.t("data.no_assets", lang))
    needs = format_list([_need(m, lang) for m in missing], locale=i18n.BABEL_LOCALES[lang])
    return s.note(i18n.t("data.left_out", lang, needs=needs))


def failed(name: str, ctx, err: BaseException) -> Section:
    """The boxed note standing in for a section that raised on this branch's data (names it and the reason)."""
    text = (str(err).strip().splitlines() or [""])[0]
    reason = text if isinstance(err, CrmStudyError) and text else f"{type(err).__name__}: {text}".rstrip(": ")
    lang = ctx.lang
    s = Section(name, summary={"status": "failed", "reason": reason})
    s.heading(_heading(name, ctx))
    return s.note(i18n.t("data.section_failed", lang, section=name.replace("_", " "), reason=reason))
