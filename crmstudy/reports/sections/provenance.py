"""How the report was made: version, commit, data fingerprint, seed, parameters, engine, time."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ... import __version__, i18n
from ..context import BranchContext
from ._common import labels
from .base import Section


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def local_time(moment: datetime, zone: str) -> str:
    """``'2026-01-05 09:30 (Asia/Shanghai, UTC+08:00)'``: a time as the report's readers read their clocks."""
    from zoneinfo import ZoneInfo

    here = moment.astimezone(ZoneInfo(zone))
    offset = here.strftime("%z")
    return f"{here:%Y-%m-%d %H:%M} ({zone}, UTC{offset[:3]}:{offset[3:]})"


def provenance(ctx: BranchContext, engine: str | None = None) -> dict:
    """How this report was made (in the report's language); ``engine`` defaults to ``ctx.engine``."""
    lang = ctx.lang
    return {
        "crmstudy_version": __version__,
        "git_commit": _git_commit() or i18n.t("provenance.not_a_checkout", lang),
        "data_fingerprint": ctx.fingerprint,
        "seed": ctx.meta.get("seed", i18n.t("provenance.user_data", lang)),
        "preset": ctx.meta.get("preset", i18n.t("provenance.not_applicable", lang)),
        "null_bank": ctx.meta.get("null", False),
        "period": i18n.period(ctx.period.start, ctx.period.end, lang),
        "data_as_of": i18n.date(ctx.period.end, lang),
        "parameters_hash": ctx.params.digest(),
        "render_engine": engine or ctx.engine,
        "python": platform.python_version(),
        "made_at": local_time(datetime.now(UTC), ctx.params.time_zone),
    }


def _value(v, lang: str) -> str:
    """A parameter's value as a reader writes it: 500,000 rather than 500000.0; yes/no; a list as a list."""
    if isinstance(v, bool):
        return i18n.t(f"common.{'yes' if v else 'no'}", lang)
    if isinstance(v, float) and v.is_integer():
        return i18n.integer(v, lang)
    if isinstance(v, int | float):
        return i18n.number(v, lang, digits=3).rstrip("0").rstrip(".")
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) or "–"
    return "–" if v is None else str(v)


def build(ctx: BranchContext) -> Section:
    """The provenance table and every resolved parameter; ``summary`` is the provenance."""
    lang = ctx.lang
    p = provenance(ctx)
    s = Section("provenance", summary=p)
    s.heading(i18n.t("provenance.heading", lang))

    def shown(v) -> str:
        return i18n.t(f"common.{'yes' if v else 'no'}", lang) if isinstance(v, bool) else str(v)

    s.table(
        pd.DataFrame(
            {
                i18n.t("provenance.item", lang): [i18n.t(f"provenance.label.{k}", lang) for k in p],
                i18n.t("provenance.value", lang): [shown(v) for v in p.values()],
            }
        )
    )
    flat = pd.json_normalize(ctx.params.as_dict(), sep=".").T.reset_index()
    flat.columns = ["parameter", "value"]
    flat["value"] = [_value(v, lang) for v in flat["value"]]
    return s.table(
        flat.rename(columns=labels("provenance", lang, flat.columns)),
        caption=i18n.t("provenance.parameters_caption", lang),
    )
