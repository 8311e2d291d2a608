"""The "This week" section: the customer events of the last seven days that are due, overdue or escalated (004).

Source 004 asks that staff act on a customer event within 24 to 48 hours.
The section detects the events of the week to the period's last day for this
branch (:func:`crmstudy.events.detect`) and reads the visit log:

- **contacted in time**: a contact with the customer is logged between the
  event's detection and its deadline;
- **overdue**: the deadline passed by the period's close with no contact logged;
- **due**: no contact yet and the deadline is still ahead. The contact policy
  (:func:`crmstudy.events.policy.apply_policy`, from the next morning, with
  the log as history) gives each its assignee and channel, or **escalates**
  it to the branch president when it cannot be served in time (opt-out,
  cool-off, caps, capacity).

It is the report's first heading: registered right after the two blocks that
frame every report (the about note and the action box, which must come before
any heading).

Two lists follow the events, each only where its evidence holds (read from the
bank-wide lifecycle results, :mod:`crmstudy.lifecycle.weekly`, computed once
per report run with the week's events of every branch):

- **most likely to leave**: customers whose calibrated 90-day churn chance is at
  least ``retention.risk_threshold``, only when the churn warning passed its
  out-of-time checks (beats the naive baseline, calibrated); a null bank's fails,
  so it lists nobody;
- **dormant, worth a wake-up call**: dormant customers who have not left, largest
  assets first, only when a contact is shown to wake dormant customers (the
  wake-up difference's interval above 0, and, because that comparison is not
  randomized and excludes 0 on some tiny null banks, only where the churn warning
  passed too; not on a null bank).

Both state their true totals and list at most ``events.top_n``.

Every event is a record of what happened in the customer's accounts (a rule
of the catalogue, not a statistical finding), so the section lists them on a
null bank too; it says the true counts, and with nothing due it says so.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from babel.lists import format_list

from ... import i18n
from ...errors import CrmStudyError
from ...events import detect
from ...events.actions import explain
from ...events.policy import apply_policy
from ...lifecycle.weekly import WEEK_DAYS, cached_bankwide
from ...privacy import mask_customers
from ..context import BranchContext
from .base import Section

REQUIRES = ("transactions", "staff")
#: The week: the period's last day and the six before it.
DAYS = 7


def _logged(events: pd.DataFrame, visits: pd.DataFrame | None) -> pd.Series:
    """Whether a contact with the customer is logged between the event's detection and its deadline."""
    if visits is None or visits.empty or events.empty:
        return pd.Series(False, index=events.index)
    v = visits[["customer_id", "visit_date"]].copy()
    v["visit_date"] = pd.to_datetime(v["visit_date"])
    m = events[["event_id", "customer_id", "detected_at", "deadline"]].merge(v, on="customer_id")
    # a contact on the day of the event itself counts: the RM may have met the customer that day
    hit = m[(m["visit_date"] >= m["detected_at"] - pd.Timedelta(days=1)) & (m["visit_date"] < m["deadline"])]
    return events["event_id"].isin(set(hit["event_id"]))


def _bankwide(ctx: BranchContext):
    """The run's bank-wide lifecycle results, or None when they cannot be computed on this bank."""
    if "lifecycle" in ctx.__dict__:  # given (tests)
        return ctx.__dict__["lifecycle"]
    try:
        return cached_bankwide(ctx.bank, ctx.period.end, ctx.params)
    except CrmStudyError:
        return None


def week_events(ctx: BranchContext) -> pd.DataFrame:
    """The branch's events of the week with ``state`` (contacted, overdue, due) and the policy's plan for the due."""
    bank, end = ctx.bank, ctx.period.end
    start = max(ctx.period.start, end - timedelta(days=DAYS - 1))
    lw = _bankwide(ctx)
    if lw is not None and lw.week_events is not None and lw.end == end and DAYS == WEEK_DAYS:
        # detected once for every branch in the run's shared step
        ev = lw.week_events[lw.week_events["branch_id"] == ctx.branch_id].reset_index(drop=True)
        ev = ev[ev["day"] >= pd.Timestamp(start)].reset_index(drop=True)
    else:
        ev = detect(bank, start, end, params=ctx.params, branch=ctx.branch_id)
    # only the week's customers' contacts are read: the log of the rest of the bank (every branch's) says
    # nothing about these events, and on a million customers it is millions of rows to type and walk
    visits = bank.read("visits", rows=("customer_id", ev["customer_id"].unique())) if bank.has("visits") else None
    if visits is not None:
        visits = visits[pd.to_datetime(visits["visit_date"]) <= pd.Timestamp(end)]
    ev["state"] = "due"
    ev.loc[_logged(ev, visits), "state"] = "contacted"
    closed = pd.Timestamp(end) + pd.Timedelta(days=1)
    ev.loc[(ev["state"] == "due") & (ev["deadline"] <= closed), "state"] = "overdue"
    due = ev[ev["state"] == "due"].copy()
    # the plan starts the next morning; the log up to the period's end is the history
    due["detected_at"] = due["detected_at"].clip(lower=closed)
    staff = bank.read("staff")
    plan = apply_policy(due, staff, visits=visits, params=ctx.params.contact_policy).events
    cols = ["event_id", "assigned_to", "queue", "status", "channel", "reason", "escalated_to"]
    ev = ev.merge(plan[cols], on="event_id", how="left")
    return ev


def _table(rows: pd.DataFrame, ctx: BranchContext, *, plan: bool) -> pd.DataFrame:
    lang = ctx.lang
    ex = explain(rows, lang=lang, params=ctx.params.events)
    ex = mask_customers(ex)
    out = pd.DataFrame(
        {
            "customer": ex["customer_id"],
            "event": ex["event"],
            "why": ex["why"],
            "todo": ex["todo"],
            "owner": ex["assigned_to"].where(ex["assigned_to"].notna(), ex["owner_staff_id"])
            if plan
            else ex["owner_staff_id"],
            "deadline": pd.to_datetime(ex["deadline"]).dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    if plan:
        out["owner"] = [
            i18n.t("events.queue", lang, branch=ctx.branch_name) if isinstance(o, str) and o.endswith("/queue") else o
            for o in out["owner"]
        ]
        out["channel"] = [i18n.t(f"events.channel.{c}", lang) if isinstance(c, str) else "" for c in ex["channel"]]
        out["status"] = [
            i18n.t("events.status.escalated", lang, reason=i18n.t(f"events.reason.{r}", lang))
            if s == "escalated"
            else i18n.t("events.status.planned", lang)
            for s, r in zip(ex["status"], ex["reason"])
        ]
    return out.rename(columns={c: i18n.t(f"events.column.{c}", lang) for c in out.columns})


def _customers(ctx: BranchContext, rows: pd.DataFrame, extra: dict) -> pd.DataFrame:
    """A masked customer list: customer, owner, assets and the ``extra`` columns (label key -> values)."""
    lang = ctx.lang
    ex = mask_customers(rows)
    out = pd.DataFrame(
        {
            i18n.t("events.column.customer", lang): ex["customer_id"].to_numpy(),
            i18n.t("events.column.owner", lang): ex["owner_staff_id"].to_numpy(),
            i18n.t("this_week.column_assets", lang): [i18n.money(x, lang) for x in ex["ada"]],
        }
    )
    for key, values in extra.items():
        out[i18n.t(key, lang)] = list(values)
    return out


def _left(ctx: BranchContext) -> set:
    """Customers of the bank who have left (every holding closed): not called back, not counted."""
    left = ctx.bank.sql("SELECT customer_id FROM holdings GROUP BY customer_id HAVING COUNT(*) = COUNT(close_date)")
    return set(left["customer_id"].astype(str))


def _churn_list(s: Section, ctx: BranchContext, lw) -> dict:
    """The customers most likely to leave, when the churn warning passed; its counts."""
    lang, rp, top = ctx.lang, ctx.params.retention, ctx.params.events.top_n
    threshold = i18n.percent(rp.risk_threshold, lang)
    if lw is None or lw.evaluation is None:  # not fitted (too few departures): Retention says so
        return {"churn_warning": "not_applicable", "churn_at_risk": 0, "churn_listed": 0}
    if not lw.warning_passes or lw.scores is None:
        s.say(i18n.t("this_week.churn_not_used", lang))
        return {"churn_warning": "not_used", "churn_at_risk": 0, "churn_listed": 0}
    mine = ctx.features[["customer_id", "masked_name", "owner_staff_id", "ada"]].merge(lw.scores, on="customer_id")
    risky = mine[mine["p_churn_90d"] >= rp.risk_threshold]
    risky = risky.sort_values(["p_churn_90d", "ada", "customer_id"], ascending=[False, False, True])
    s.data["churn"] = risky
    shown = risky.head(top)
    if risky.empty:
        s.say(i18n.t("this_week.churn_none", lang, threshold=threshold))
    else:
        n = lambda x: i18n.integer(x, lang)  # noqa: E731
        key = "this_week.churn_reading_all" if len(shown) == len(risky) else "this_week.churn_reading"
        s.say(i18n.t(key, lang, total=n(len(risky)), threshold=threshold, listed=n(len(shown))))
        table = _customers(
            ctx,
            shown,
            {
                "this_week.column_chance": [i18n.percent(p, lang) for p in shown["p_churn_90d"]],
                "events.column.todo": [i18n.t("this_week.todo_churn", lang)] * len(shown),
            },
        )
        s.table(table, caption=i18n.t("this_week.caption_churn", lang))
    return {"churn_warning": "used", "churn_at_risk": int(len(risky)), "churn_listed": int(len(shown))}


def _dormant_list(s: Section, ctx: BranchContext, lw) -> dict:
    """Dormant customers worth a wake-up call, when a contact is shown to wake them; its counts."""
    lang, top = ctx.lang, ctx.params.events.top_n
    w = None if lw is None else lw.wake
    if w is None or not w.n_contacted or not w.n_other or not np.isfinite(w.difference):
        return {"wake_up": "not_applicable", "dormant_to_call": 0, "dormant_listed": 0}
    pts = lambda x: i18n.number(100 * x, lang, digits=1)  # noqa: E731
    figures = {"diff": pts(w.difference), "low": pts(w.low), "high": pts(w.high)}
    # the wake-up comparison (contacted dormant customers vs dormant months without a contact) is
    # not randomized, and on tiny null banks it excludes 0 (seeds 0 and 2): until it is, the list
    # also needs the bank's churn warning to have passed, which a null bank's does not
    if not (lw.wake_up_works and lw.warning_passes):
        s.say(i18n.t("this_week.dormant_not_shown", lang, **figures))
        return {"wake_up": "not_shown", "dormant_to_call": 0, "dormant_listed": 0}
    f = ctx.features
    sleepers = f[f["dormant"].fillna(False).astype(bool) & ~f["customer_id"].astype(str).isin(_left(ctx))]
    sleepers = sleepers.sort_values(["ada", "customer_id"], ascending=[False, True])
    s.data["dormant"] = sleepers
    shown = sleepers.head(top)
    if len(sleepers):
        n = lambda x: i18n.integer(x, lang)  # noqa: E731
        key = "this_week.dormant_reading_all" if len(shown) == len(sleepers) else "this_week.dormant_reading"
        rates = {"contacted": i18n.percent(w.rate_contacted, lang), "other": i18n.percent(w.rate_other, lang)}
        s.say(i18n.t(key, lang, total=n(len(sleepers)), listed=n(len(shown)), **rates, **figures))
        todo = [i18n.t("events.offer.wake_up", lang)] * len(shown)
        s.table(_customers(ctx, shown, {"events.column.todo": todo}), caption=i18n.t("this_week.caption_dormant", lang))
    return {"wake_up": "shown", "dormant_to_call": int(len(sleepers)), "dormant_listed": int(len(shown))}


def _week(ctx: BranchContext) -> Section:
    """The week's events: counts, the due events ranked, the overdue, the load per owner (see :func:`build`)."""
    lang = ctx.lang
    n = lambda x: i18n.integer(x, lang)  # noqa: E731
    ev = week_events(ctx)
    s = Section("this_week", data={"events": ev})
    s.heading(i18n.t("this_week.heading", lang))
    counts = {k: int((ev["state"] == k).sum()) for k in ("contacted", "due", "overdue")}
    escalated = int((ev["status"] == "escalated").sum())
    top = ctx.params.events.top_n
    due = ev[ev["state"] == "due"].sort_values(["priority", "deadline", "assets"], ascending=[True, True, False])
    overdue = ev[ev["state"] == "overdue"].sort_values("assets", ascending=False)
    listed_due, listed_over = due.head(top), overdue.head(top)
    total = counts["due"] + counts["overdue"]
    s.summary = {
        "events": int(len(ev)),
        **counts,
        "escalated": escalated,
        "by_kind": {k: int(v) for k, v in ev["kind"].value_counts().items()},
        "status": "finding" if total else "no_finding",
        "total": total,
        "listed": int(len(listed_due) + len(listed_over)),
    }
    end = i18n.date(ctx.period.end, lang)
    if ev.empty:
        return s.say(i18n.t("this_week.no_events", lang, end=end))
    metrics = {
        i18n.t("this_week.metric.events", lang): n(len(ev)),
        i18n.t("this_week.metric.contacted", lang): n(counts["contacted"]),
        i18n.t("this_week.metric.due", lang): n(counts["due"]),
        i18n.t("this_week.metric.overdue", lang): n(counts["overdue"]),
        i18n.t("this_week.metric.escalated", lang): n(escalated),
    }
    s.metrics(metrics)
    if not total:
        return s.say(i18n.t("this_week.nothing_due", lang, events=n(len(ev)), end=end))
    # only counts above zero are named
    parts = [i18n.t(f"this_week.part.{k}", lang, n=n(v)) for k, v in counts.items() if v]
    parts = format_list(parts, locale=i18n.BABEL_LOCALES[lang])
    s.say(i18n.t("this_week.reading", lang, events=n(len(ev)), end=end, parts=parts))
    if len(listed_due):
        s.say(i18n.t("this_week.reading_due", lang, listed=n(len(listed_due))))
        s.table(_table(listed_due, ctx, plan=True), caption=i18n.t("this_week.caption_due", lang))
    if escalated:
        reasons = ev.loc[ev["status"] == "escalated", "reason"].value_counts()
        text = format_list(
            [f"{i18n.t(f'events.reason.{r}', lang)} ({n(k)})" for r, k in reasons.items()],
            locale=i18n.BABEL_LOCALES[lang],
        )
        s.say(i18n.t("this_week.reading_escalated", lang, escalated=n(escalated), reasons=text))
    if len(listed_over):
        if len(listed_over) == counts["overdue"]:
            s.say(i18n.t("this_week.reading_overdue_all", lang, overdue=n(counts["overdue"])))
        else:
            s.say(i18n.t("this_week.reading_overdue", lang, overdue=n(counts["overdue"]), listed=n(len(listed_over))))
        s.table(_table(listed_over, ctx, plan=False), caption=i18n.t("this_week.caption_overdue", lang))
    if len(due):
        load = due.groupby("assigned_to").size().sort_values(ascending=False).rename("due").reset_index()
        load["assigned_to"] = [
            i18n.t("events.queue", lang, branch=ctx.branch_name) if a.endswith("/queue") else a
            for a in load["assigned_to"]
        ]
        cap = ctx.params.contact_policy.capacity
        s.say(i18n.t("this_week.reading_load", lang, capacity=n(cap)))
        labels = {"assigned_to": i18n.t("events.column.assignee", lang), "due": i18n.t("events.column.due", lang)}
        s.table(load.rename(columns=labels), caption=i18n.t("this_week.caption_load", lang))
    return s


def build(ctx: BranchContext) -> Section:
    """The week's events (counts, the due ranked, the overdue, the load per owner), then the two customer lists.

    ``summary``: ``events``, ``contacted``, ``due``, ``overdue``, ``escalated`` (of the due),
    ``by_kind``, ``total`` (due + overdue) and ``listed`` (events listed); ``churn_warning``
    (used / not_used), ``churn_at_risk``, ``churn_listed``; ``wake_up`` (shown / not_shown),
    ``dormant_to_call``, ``dormant_listed``; ``status`` (finding when an event is due or
    overdue or a list names someone, else no_finding).  ``data`` holds the events and the
    lists unmasked.
    """
    s = _week(ctx)
    lw = _bankwide(ctx)
    s.summary.update(_churn_list(s, ctx, lw))
    s.summary.update(_dormant_list(s, ctx, lw))
    named = s.summary["churn_at_risk"] + s.summary["dormant_to_call"]
    s.summary["status"] = "finding" if s.summary["total"] or named else "no_finding"
    return s
