"""Replay: detection and the contact policy run day by day over the bank's period, and how well they served.

:func:`replay` detects every day's events (a month of days per query: the
same events as day by day, ``tests/events/test_detect.py``), runs
:func:`~crmstudy.events.policy.apply_policy` over the days, and measures the
service: events by kind, the share actioned within the deadline, the
escalations and why, contacts per customer, the load of each assignee, and
customers over the caps (recounted here from the contacts, independently of
the policy's own bookkeeping).  :func:`write_replay` writes what it found.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_text_atomic
from ..bank import Bank
from ..params import ContactPolicyParams, ReportParams
from ..period import Period
from ..results import Result
from .detect import detect
from .policy import PolicyResult, apply_policy
from .prevented import churn_prevented
from .store import write_day

__all__ = ["ReplayResult", "cap_breaches", "compare", "replay", "summarize", "write_replay"]


@dataclass(frozen=True)
class ReplayResult(Result):
    """A replayed period: the events with what the policy did, the contacts, and the service summary."""

    policy: PolicyResult
    summary: dict
    period: Period

    @property
    def events(self) -> pd.DataFrame:
        """Every event with its assignee, status, contact or escalation."""
        return self.policy.events

    @property
    def contacts(self) -> pd.DataFrame:
        """Every contact the policy made."""
        return self.policy.contacts

    def to_frame(self) -> pd.DataFrame:
        """Events by kind: detected, actioned within the deadline, escalated."""
        return pd.DataFrame(self.summary["by_kind"]).T


def detect_period(bank: Bank, period: Period, params: ReportParams) -> pd.DataFrame:
    """Every event of the period, in one detection of all its days.

    A range's events are those of its days one by one (tested), and one query over the
    whole period reads each row once: month by month, each month re-read the rules'
    look-back (up to ``dormant_days + 101`` days), about ten times the work on a year.
    The rules read the whole tables: the slices of a whole period (:mod:`.slices`) are every
    row of it, and copying them into temporary tables first cost the 200,000-customer bank's
    replay 6 s, 0.8 GB of its peak and half its CPU time.  Month by month from a day store
    (:mod:`.daystore`) reads no look-back twice but costs as much as the one query, and the
    store's build on top (there: 53 s of months and a 45 s build against 50 s;
    benchmarks/README.md).
    """
    return detect(bank, period.start, period.end, params=params, sliced=False)


def replay(
    data,
    *,
    params: ReportParams | None = None,
    period: Period | None = None,
    events: pd.DataFrame | None = None,
) -> ReplayResult:
    """Detect and serve every event of the period, day by day.

    Parameters
    ----------
    data : Bank or path
        The bank: its tables, staff (who has left, who leads) and visit log (history, refusals, channels).
    params : ReportParams, optional
        ``events`` (the rules), ``tiers`` and ``contact_policy``.
    period : Period, optional
        Default: the bank's own period.
    events : pd.DataFrame, optional
        Events already detected (to compare two policies on the same events).

    Returns
    -------
    ReplayResult
    """
    bank = Bank.of(data)
    params = params or ReportParams()
    period = period or bank.period
    t = [time.perf_counter()]
    if events is None:
        events = detect_period(bank, period, params)
    t.append(time.perf_counter())
    staff = bank.read("staff")
    visits = bank.read("visits") if bank.has("visits") else None
    result = apply_policy(events, staff, visits=visits, params=params.contact_policy, until=period.end)
    t.append(time.perf_counter())
    summary = summarize(result, visits=visits, params=params.contact_policy, period=period)
    t.append(time.perf_counter())
    summary["churn_prevented"] = churn_prevented(bank, result.events)
    t.append(time.perf_counter())
    # where a replay's time goes (not compared between runs: the rest of the summary is their output)
    summary["seconds"] = {
        "detection": round(t[1] - t[0], 2),
        "policy": round(t[2] - t[1], 2),
        "summary": round(t[3] - t[2], 2),
        "churn_prevented": round(t[4] - t[3], 2),
    }
    return ReplayResult(result, summary, period)


def cap_breaches(contacts: pd.DataFrame, visits: pd.DataFrame | None, params: ContactPolicyParams) -> int:
    """Customers contacted by the policy beyond a cap, counting the visit log known before each contact.

    Recounted from the contacts alone (not the policy's bookkeeping), so that a replay shows it.
    For each contact on day ``t``: the contacts known that day are the log's before ``t`` and the
    policy's up to ``t``; over the cap when those of the 7 days to ``t`` exceed ``max_per_week``
    or those of ``t``'s calendar month ``max_per_month``.  Counted by binary search on
    (customer, day) keys, sorted once (a loop per contact over each customer's list took 6 s of
    the demo replay's 21; ``tests/events/test_replay.py`` holds it equal to that loop).
    """
    if contacts.empty:
        return 0
    mine_c = contacts["customer_id"].astype(str).to_numpy()
    mine_d = _day_numbers(contacts["day"])
    if visits is not None and len(visits):
        vd = pd.to_datetime(visits["visit_date"])
        seen = vd.notna().to_numpy()
        log_c = visits["customer_id"].astype(str).to_numpy()[seen]
        log_d = _day_numbers(vd[seen])
    else:
        log_c, log_d = np.array([], dtype=object), np.array([], dtype=np.int64)
    codes, _ = pd.factorize(np.concatenate([mine_c, log_c]))
    span = int(max(mine_d.max(), log_d.max() if len(log_d) else 0)) + 64  # a customer's keys never reach the next's
    base = -int(min(mine_d.min(), log_d.min() if len(log_d) else 0)) + 32
    mine = codes[: len(mine_c)].astype(np.int64) * (span + base) + mine_d + base
    log = codes[len(mine_c) :].astype(np.int64) * (span + base) + log_d + base
    mine_sorted, log_sorted = np.sort(mine), np.sort(log)
    t = mine
    month_start = t - (_day_of_month(mine_d) - 1)

    def known(lo):  # contacts known on t in [lo, t]: the log's before t, the policy's up to t
        return (np.searchsorted(log_sorted, t, "left") - np.searchsorted(log_sorted, lo, "left")) + (
            np.searchsorted(mine_sorted, t, "right") - np.searchsorted(mine_sorted, lo, "left")
        )

    over = (known(t - 6) > params.max_per_week) | (known(month_start) > params.max_per_month)
    return int(pd.unique(codes[: len(mine_c)][over]).size)


def _day_numbers(days) -> np.ndarray:
    """Days since 1970-01-01 of dates or timestamps (a time of day is dropped)."""
    return pd.to_datetime(pd.Series(days)).to_numpy().astype("datetime64[D]").astype(np.int64)


def _day_of_month(day_numbers: np.ndarray) -> np.ndarray:
    d = day_numbers.astype("datetime64[D]")
    return (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _share(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def summarize(
    result: PolicyResult, *, visits: pd.DataFrame | None, params: ContactPolicyParams, period: Period
) -> dict:
    """The service-level summary of a replay (JSON-ready)."""
    ev, con = result.events, result.contacts
    n = len(ev)
    done = ev["status"] == "actioned"
    esc = ev["status"] == "escalated"
    closed = int((ev["status"] != "open").sum())
    by_kind = {
        k: {
            "events": int(len(g)),
            "actioned_in_time": int((g["status"] == "actioned").sum()),
            "escalated": int((g["status"] == "escalated").sum()),
        }
        for k, g in ev.groupby("kind")
    }
    per_customer = con.groupby("customer_id").size() if len(con) else pd.Series(dtype=int)
    load = con.groupby(["staff_id", "day"]).size() if len(con) else pd.Series(dtype=int)
    per_staff = load.groupby(level=0).agg(["sum", "mean", "max"]) if len(load) else pd.DataFrame()
    at_capacity = 0
    for (who, _), k in load.items():
        at_capacity += int(k >= (params.queue_capacity if who.endswith("/queue") else params.capacity))
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days},
        "policy": json.loads(params.model_dump_json()),
        "events": n,
        "by_kind": by_kind,
        "events_without_owner": int(ev["assigned_to"].isna().sum()),
        "events_without_deadline": int(ev["deadline"].isna().sum()),
        "to_branch_queue": int(ev["queue"].sum()),
        "actioned_in_time": int(done.sum()),
        "share_actioned_in_time": _share(int(done.sum()), closed),
        "escalated": int(esc.sum()),
        "share_escalated": _share(int(esc.sum()), closed),
        "escalated_by_reason": {k: int(v) for k, v in Counter(ev.loc[esc, "reason"]).most_common()},
        "open_at_end": int((ev["status"] == "open").sum()),
        "contacts": int(len(con)),
        "customers_contacted": int(len(per_customer)),
        "contacts_per_customer": {
            "mean": round(float(per_customer.mean()), 3) if len(per_customer) else 0.0,
            "max": int(per_customer.max()) if len(per_customer) else 0,
            "distribution": {str(k): int(v) for k, v in per_customer.value_counts().sort_index().items()},
        },
        "customers_over_caps": cap_breaches(con, visits, params),
        "load": {
            "assignees": int(len(per_staff)),
            "contacts_per_working_day_mean": round(float(load.mean()), 3) if len(load) else 0.0,
            "contacts_per_working_day_p95": float(np.percentile(load, 95)) if len(load) else 0.0,
            "busiest_day": int(load.max()) if len(load) else 0,
            "assignee_days_at_capacity": at_capacity,
            "by_assignee": {
                str(k): {"contacts": int(r["sum"]), "mean_per_day": round(float(r["mean"]), 2), "max": int(r["max"])}
                for k, r in per_staff.iterrows()
            },
        },
    }


def write_replay(result: ReplayResult, out: str | Path, *, day_files: bool = True) -> dict[str, Path]:
    """Write the event log (one file per day), the action queue, the contacts and ``summary.json`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ev = result.events
    if day_files:
        from .detect import COLUMNS

        days = ev.groupby(ev["day"].dt.date)
        d = result.period.start
        empty = ev.iloc[0:0][COLUMNS]
        while d <= result.period.end:
            write_day(out, d, days.get_group(d)[COLUMNS] if d in days.groups else empty, view=d == result.period.end)
            d += timedelta(days=1)
    paths = {"action_queue": out / "action_queue.parquet", "contacts": out / "contacts.parquet"}
    from ..atomic import atomic_path

    for name, frame in (("action_queue", ev), ("contacts", result.contacts)):
        with atomic_path(paths[name], suffix=".parquet") as tmp:
            frame.to_parquet(tmp, index=False)
    paths["summary"] = write_text_atomic(out / "summary.json", json.dumps(result.summary, indent=2, sort_keys=True))
    return paths


#: The figures a side-by-side comparison of two policies shows.
COMPARED = (
    "events",
    "actioned_in_time",
    "share_actioned_in_time",
    "escalated",
    "share_escalated",
    "open_at_end",
    "contacts",
    "customers_contacted",
    "customers_over_caps",
    "events_without_owner",
    "events_without_deadline",
)


def compare(a: dict, b: dict, *, names: tuple[str, str] = ("policy", "compare")) -> pd.DataFrame:
    """Two replay summaries side by side, one row per figure (and the escalations by reason)."""
    rows = {k: (a.get(k), b.get(k)) for k in COMPARED}
    for r in sorted(set(a["escalated_by_reason"]) | set(b["escalated_by_reason"])):
        rows[f"escalated: {r}"] = (a["escalated_by_reason"].get(r, 0), b["escalated_by_reason"].get(r, 0))
    rows["contacts per customer, max"] = (a["contacts_per_customer"]["max"], b["contacts_per_customer"]["max"])
    rows["busiest assignee-day"] = (a["load"]["busiest_day"], b["load"]["busiest_day"])
    for reading in ("estimated", "planted"):
        pair = [(s.get("churn_prevented") or {}).get(reading) for s in (a, b)]
        if all(pair):
            rows[f"churn prevented ({reading}, 95% CI)"] = tuple(
                f"{x['prevented']} ({x['low']} to {x['high']})" for x in pair
            )
    rows["customers reached in time after a warning"] = tuple(
        (s.get("churn_prevented") or {}).get("customers_reached") for s in (a, b)
    )
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(names))
