"""What an event means to the person who acts on it: why it was raised, what to do, and each RM's action list.

:func:`explain` adds the reader-facing columns (the event's name, why, what to
do) in the report's language.  :func:`write_action_lists` writes one list per
assignee, CSV and XLSX, with empty outcome columns named like the ``visits``
table's, so that a filled-in list goes back into the visit log through
``crmstudy ingest``.  The lists carry **unmasked** customer ids (an RM needs
them to call): they are written only into the restricted folder given
(``--private-out``), folder mode 0700 and files 0600, never beside a
published report.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from .. import i18n
from ..bank import Bank
from .catalogue import KINDS

__all__ = ["OUTCOME_COLUMNS", "explain", "write_action_lists"]

#: The columns an RM fills in after the contact (the ``visits`` table's, plus a free note).
OUTCOME_COLUMNS = ["contact_date", "contact_type", "attitude", "feedback_code", "outcome", "note"]


def _why(row, lang: str) -> str:
    kind = row.kind
    money = lambda x: i18n.money(x, lang)  # noqa: E731
    base = row.base if pd.notna(row.base) else 0.0
    amount = row.amount if pd.notna(row.amount) else 0.0
    detail = row.detail if isinstance(row.detail, str) else ""
    fmt = {"amount": money(amount), "base": money(base), "assets": money(row.assets), "detail": detail}
    if kind == "large_outflow":
        fmt["share"] = i18n.percent(amount / base, lang) if base else "—"
    elif kind == "balance_drop":
        fmt["now"] = money(base - amount)
    elif kind == "salary_stop":
        fmt["days"] = i18n.integer(row.days_since, lang)
    elif kind == "dormancy_onset":
        fmt["days"] = i18n.integer(row.days_since, lang)
    elif kind == "maturity":
        fmt["days"] = i18n.integer(row.days_since, lang)
    elif kind in ("tier_up", "tier_down") and ">" in detail:
        was, now = detail.split(">")
        fmt["detail"] = f"{i18n.t(f'tier.{was}', lang)} → {i18n.t(f'tier.{now}', lang)}"
    elif kind == "churn_risk":
        fmt["amount"], fmt["base"] = i18n.percent(amount, lang), i18n.percent(base, lang)
    return i18n.t(f"events.why.{kind}", lang, **fmt)


def explain(events: pd.DataFrame, *, lang: str = "en", params=None) -> pd.DataFrame:
    """``events`` with ``event`` (its name), ``why`` and ``todo`` in ``lang``.

    ``why`` states the figures the rule compared; ``todo`` is the offer of the kind's
    :class:`~crmstudy.events.catalogue.Kind`.
    """
    from ..params import EventParams

    p = params or EventParams()
    out = events.copy()
    gap = {"salary_stop": p.salary_gap, "dormancy_onset": p.dormant_days, "maturity": p.maturity_days}
    out["days_since"] = out["kind"].map(gap).fillna(0).astype(int)
    out["event"] = [i18n.t(f"events.kind.{k}", lang) for k in out["kind"]]
    out["why"] = [_why(r, lang) for r in out.itertuples(index=False)]
    out["todo"] = [i18n.t(f"events.offer.{KINDS[k].offer}", lang) for k in out["kind"]]
    return out.drop(columns="days_since")


def _write_private(path: Path, write) -> Path:
    """Write a file readable by its owner only (0600), atomically."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o600)
        write(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def action_list(events: pd.DataFrame, *, lang: str = "en", params=None) -> pd.DataFrame:
    """The rows of an action list: one per event, highest priority and nearest deadline first."""
    ex = explain(events, lang=lang, params=params)
    ex = ex.sort_values(["priority", "deadline", "assets"], ascending=[True, True, False])
    channel = ex["channel"] if "channel" in ex else pd.Series(None, index=ex.index)
    rows = pd.DataFrame(
        {
            "customer_id": ex["customer_id"].astype(str),
            "branch_id": ex["branch_id"],
            "event": ex["event"],
            "detected": pd.to_datetime(ex["detected_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "deadline": pd.to_datetime(ex["deadline"]).dt.strftime("%Y-%m-%d %H:%M"),
            "priority": ex["priority"].astype(int),
            "why": ex["why"],
            "channel": [i18n.t(f"events.channel.{c}", lang) if isinstance(c, str) else "" for c in channel],
            "offer": ex["todo"],
        }
    )
    for c in OUTCOME_COLUMNS:
        rows[c] = ""
    return rows.reset_index(drop=True)


def write_action_lists(
    events: pd.DataFrame, data, private_out: str | Path, *, as_of: date, lang: str = "en", params=None
) -> list[Path]:
    """One CSV and one XLSX per assignee: the events still to act on after ``as_of``, unmasked, mode 0600.

    Parameters
    ----------
    events : pd.DataFrame
        Events with the policy's columns (``status``, ``assigned_to``, ``escalated_to``, ``channel``).
        Open events go to their assignee; escalated events whose deadline is still ahead go to
        whom they were escalated to.
    data : Bank or path
        The bank (for the customers' masked names).
    private_out : path
        The restricted folder (created 0700); never a folder that is published.

    Returns
    -------
    list of Path
        The files written.
    """
    bank = Bank.of(data)
    folder = Path(private_out)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    ahead = pd.to_datetime(events["deadline"]) > pd.Timestamp(as_of) + pd.Timedelta(days=1)
    todo = events[(events["status"] == "open") | ((events["status"] == "escalated") & ahead)].copy()
    todo["for"] = todo["assigned_to"].where(todo["status"] == "open", todo["escalated_to"])
    names = bank.sql("SELECT customer_id, masked_name FROM customers")
    keys = {"customer_id": "customer", "masked_name": "name", "branch_id": "branch", "why": "why"}
    written = []
    for who, rows in todo.groupby("for"):
        lst = action_list(rows, lang=lang, params=params)
        lst.insert(1, "masked_name", lst["customer_id"].map(dict(zip(names["customer_id"], names["masked_name"]))))
        stem = str(who).replace("/", "-")
        written.append(_write_private(folder / f"{stem}.csv", lambda p, df=lst: df.to_csv(p, index=False)))

        def xlsx(p, df=lst, who=who):
            with pd.ExcelWriter(p, engine="openpyxl") as xw:
                # the sheet for people: headers in their language; the CSV keeps the column names for ingest
                head = {c: i18n.t(f"events.column.{keys.get(c, c)}", lang) for c in df.columns}
                df.rename(columns=head).to_excel(xw, sheet_name=str(who).replace("/", "-")[:31], index=False)

        written.append(_write_private(folder / f"{stem}.xlsx", xlsx))
    return written
