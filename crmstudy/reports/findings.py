"""What a branch report found, machine-readable: ``<branch>.findings.json`` beside the report.

Per section of the registry: ``status`` — ``finding`` (the section tells staff to act:
on an effect that passed its test, or on a bank rule applied to the bank's own records,
such as an orphaned book or customers just below a tier's bar), ``no_finding`` (it looked and found nothing beyond
chance, and says so), ``not_applicable`` (it describes, it does not claim) or ``failed`` (it
raised on the branch's data: the report shows a boxed note in its place, the ``reason`` is in
its evidence and in the document's ``failed``, and the run exits 1); ``total``
(the true count behind a list), ``listed`` (how many the report shows) and the
``evidence`` (effect, interval, p or q, baseline: the section's other figures).
Schedulers and the index read it; it holds counts and figures only, never a customer.
"""

from __future__ import annotations

import json
import math
import numbers
from datetime import date, datetime

from .. import __version__
from ..atomic import write_text_atomic
from .context import BranchContext

__all__ = ["STATUSES", "findings", "write_findings"]

#: The statuses a section may report.
STATUSES = ("finding", "no_finding", "not_applicable", "failed")


def _plain(value):
    """A JSON-ready value: numbers as numbers (NaN as null), dates as ISO text, containers recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return None if math.isnan(x) or math.isinf(x) else x
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return str(value)


def _section(summary: dict) -> dict:
    status = summary.get("status", "not_applicable")
    if status not in STATUSES:
        raise ValueError(f"section status must be one of {', '.join(STATUSES)}, got {status!r}")
    evidence = {k: v for k, v in summary.items() if k not in ("status", "total", "listed")}
    listed = summary.get("listed")
    if isinstance(listed, dict):  # per part (prospects: value and risk): the sum, and the parts as evidence
        evidence["listed_by_part"] = listed
        listed = sum(int(v) for v in listed.values())
    return {
        "status": status,
        "total": _plain(summary.get("total")),
        "listed": _plain(listed),
        "evidence": _plain(evidence),
    }


def findings(ctx: BranchContext, summaries: dict[str, dict]) -> dict:
    """The findings document of one branch from its sections' summaries (in registry order).

    Examples
    --------
    >>> _section({"status": "finding", "total": 120, "listed": 10, "p_value": 0.01})
    {'status': 'finding', 'total': 120, 'listed': 10, 'evidence': {'p_value': 0.01}}
    >>> _section({"customers": 232})["status"]
    'not_applicable'
    """
    sections = {name: _section(summary) for name, summary in summaries.items() if name != "provenance"}
    return {
        "schema_version": 1,
        "branch_id": ctx.branch_id,
        "period_start": ctx.period.start.isoformat(),
        "period_end": ctx.period.end.isoformat(),
        "data_fingerprint": ctx.fingerprint,
        "parameters_hash": ctx.params.digest(),
        "crmstudy_version": __version__,
        "findings": sum(s["status"] == "finding" for s in sections.values()),
        "failed": {n: s["evidence"].get("reason", "") for n, s in sections.items() if s["status"] == "failed"},
        "sections": sections,
    }


def write_findings(ctx: BranchContext, summaries: dict[str, dict], path) -> dict:
    """Write :func:`findings` as JSON (atomically: a temporary file, then a rename); return it."""
    doc = findings(ctx, summaries)
    if path:
        write_text_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False))
    return doc
