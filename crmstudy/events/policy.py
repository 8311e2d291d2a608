"""The contact policy: who contacts which customer about which event, and when (source 004).

Source 004 asks for "a contact policy so that no customer is ignored and none
is contacted again and again".  :func:`apply_policy` works through the days
one by one, as a branch would:

1. An event detected in the night is in the queue the next morning.  It is
   assigned to the customer's owner; when the owner has left the bank, to the
   branch queue (``<branch>/queue``, worked by the lobby managers).  Every
   event gets an assignee and a deadline on arrival.
2. Each day the open events are taken in priority order (priority, then
   deadline, then the customer's assets, largest first).  A customer is
   contacted at most once a day, and that one contact deals with every open
   event of the customer.
3. A contact is made only if it keeps the customer within the caps (at most
   ``max_per_week`` contacts in any 7 days and ``max_per_month`` in a
   calendar month, counting every contact known that morning: the visit log
   up to the day before and the policy's own), outside the cool-off after a
   refusal (``cooloff_days`` after a visit whose outcome was ``declined``),
   never for a customer who opted out, and within the assignee's daily
   ``capacity`` (``queue_capacity`` for a branch queue).
4. An event that cannot be served before its deadline is **escalated** to the
   branch president the moment that is certain (opt-out, cool-off or caps
   until after the deadline; capacity on the last day), with the reason.  No
   event is dropped: each ends ``actioned`` or ``escalated``, or is still
   ``open`` when the days run out before its deadline.

The channel is the customer's preferred one: the kind of contact that has
reached them most often in the visit log (the latest one on a tie), else
``default_channel``.  The invariants are property-tested
(``tests/events/test_policy.py``).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ..params import ContactPolicyParams
from ..results import Result

__all__ = ["PolicyResult", "apply_policy", "queue_id"]

#: Why an event was escalated.
REASONS = ("opt_out", "cooloff", "cap", "capacity")
_ONE = timedelta(days=1)


def queue_id(branch_id: str) -> str:
    """The branch queue's assignee id, for customers whose owner has left."""
    return f"{branch_id}/queue"


@dataclass(frozen=True)
class PolicyResult(Result):
    """What the policy did with every event, and the contacts it made.

    Attributes
    ----------
    events : pd.DataFrame
        The events with ``assigned_to``, ``queue`` (assigned to a branch queue), ``last_day`` (the last
        day a contact is within the deadline), ``status`` (actioned, escalated, open), ``action_day``,
        ``contact_id``, ``channel``, ``escalated_on``, ``escalated_to`` and ``reason``.
    contacts : pd.DataFrame
        One row per contact: ``contact_id``, ``day``, ``customer_id``, ``staff_id`` (the assignee),
        ``channel`` and ``events`` (how many events it dealt with).
    """

    events: pd.DataFrame
    contacts: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The events with what was done about them."""
        return self.events


def _history(visits: pd.DataFrame | None):
    """Per customer: sorted contact days, refusal days, and (day, contact type) of contacts that reached them."""
    days, refusals, reached = defaultdict(list), defaultdict(list), defaultdict(list)
    if visits is None or visits.empty:
        return days, refusals, reached
    v = visits.sort_values("visit_date", kind="stable")
    # plain lists: iterating Arrow-backed columns element by element costs ~2 us a value
    for c, d, kind, outcome in zip(
        v["customer_id"].tolist(),
        pd.to_datetime(v["visit_date"]).dt.date.tolist(),
        v["contact_type"].tolist(),
        v["outcome"].tolist(),
    ):
        days[c].append(d)
        if outcome == "declined":
            refusals[c].append(d)
        if outcome != "no_contact":
            reached[c].append((d, kind))
    return days, refusals, reached


class _Customers:
    """Contact state of each customer: known contacts (log and policy), refusals, preferred channel."""

    def __init__(self, visits, params: ContactPolicyParams, opt_out: set[str]):
        self.p = params
        self.log, self.refusals, self.reached = _history(visits)
        self.mine: dict[str, list[date]] = defaultdict(list)
        self.opt_out = opt_out

    def _known(self, c: str, t: date) -> list[date]:
        log = self.log.get(c, [])
        return sorted(log[: bisect.bisect_left(log, t)] + self.mine.get(c, []))

    def cap_allows(self, c: str, t: date) -> bool:
        """A contact on ``t`` keeps ``c`` within both caps, given what is known on the morning of ``t``."""
        known = self._known(c, t)
        week = sum(1 for d in known if t - timedelta(days=6) <= d <= t)
        month = sum(1 for d in known if d.year == t.year and d.month == t.month)
        return week < self.p.max_per_week and month < self.p.max_per_month

    def cooling_until(self, c: str, t: date) -> date | None:
        """The first day after the cool-off of a refusal known on ``t``, if ``t`` is inside one."""
        r = self.refusals.get(c, [])
        r = r[: bisect.bisect_left(r, t)]
        if r and t < r[-1] + timedelta(days=self.p.cooloff_days):
            return r[-1] + timedelta(days=self.p.cooloff_days)
        return None

    def channel(self, c: str, t: date) -> str:
        seen = [k for d, k in self.reached.get(c, []) if d < t]
        if not seen:
            return self.p.default_channel
        counts = Counter(seen)
        top = max(counts.values())
        return next(k for k in reversed(seen) if counts[k] == top)


def _leaders(staff: pd.DataFrame) -> dict[str, str]:
    """Branch -> whom escalations go to: the president, else a vice-president, else ``<branch>/leader``."""
    out = {}
    for role in ("vice_president", "president"):  # the president wins
        for b, s in staff.loc[staff["role"] == role, ["branch_id", "staff_id"]].itertuples(index=False):
            out[b] = s
    return out


def apply_policy(
    events: pd.DataFrame,
    staff: pd.DataFrame,
    *,
    visits: pd.DataFrame | None = None,
    params: ContactPolicyParams | None = None,
    until: date | str | None = None,
) -> PolicyResult:
    """Assign, contact or escalate every event, day by day.

    Parameters
    ----------
    events : pd.DataFrame
        Detected events (:data:`crmstudy.events.COLUMNS`: ``event_id``, ``customer_id``, ``branch_id``,
        ``owner_staff_id``, ``detected_at``, ``deadline``, ``priority``, ``assets``).
    staff : pd.DataFrame
        ``staff_id``, ``branch_id``, ``role``, ``leave_date``: whether an owner is still there, who leads.
    visits : pd.DataFrame, optional
        The contact log (``visit_date``, ``customer_id``, ``contact_type``, ``outcome``): earlier
        contacts count towards the caps, refusals start a cool-off, and it gives the preferred channel.
        Only what happened before each day is read on that day.
    params : ContactPolicyParams, optional
        Caps, cool-off, capacities, opt-outs (``contact_policy:`` in the parameters).
    until : date, optional
        The last working day (default: the last deadline); events still in time then stay ``open``.

    Returns
    -------
    PolicyResult
    """
    p = params or ContactPolicyParams()
    ev = events.copy().reset_index(drop=True)
    arrive = pd.to_datetime(ev["detected_at"]).dt.date
    ev["last_day"] = (pd.to_datetime(ev["deadline"]) - pd.Timedelta(microseconds=1)).dt.date
    leave = dict(zip(staff["staff_id"], pd.to_datetime(staff["leave_date"]).dt.date))
    gone = [
        (o in leave and pd.notna(leave[o]) and leave[o] <= a) or o not in leave
        for o, a in zip(ev["owner_staff_id"], arrive)
    ]
    ev["queue"] = gone
    ev["assigned_to"] = [queue_id(b) if g else o for b, o, g in zip(ev["branch_id"], ev["owner_staff_id"], gone)]
    leaders = _leaders(staff)
    ev["escalated_to"] = pd.Series([None] * len(ev), dtype="object")
    status = ["pending"] * len(ev)
    action_day, contact, channel, esc_on, reason = ([None] * len(ev) for _ in range(5))
    if visits is not None:  # only the events' customers are ever asked about
        visits = visits[visits["customer_id"].isin(ev["customer_id"])]
    cust = _Customers(visits, p, set(p.opt_out))
    contacts = []
    if len(ev):
        first = min(arrive)
        last = pd.Timestamp(until).date() if until is not None else max(ev["last_day"])
        by_day = defaultdict(list)
        for i, a in enumerate(arrive):
            by_day[a].append(i)
        order_key = {
            i: (pr, dl, -a, e)
            for i, (pr, dl, a, e) in enumerate(
                zip(ev["priority"], ev["deadline"], ev["assets"].fillna(0.0), ev["event_id"])
            )
        }
        # plain lists: a DataFrame cell lookup (ev.at) costs microseconds, and the loop makes one per event-day
        customer, assignee = ev["customer_id"].tolist(), ev["assigned_to"].tolist()
        last_day, queued = ev["last_day"].tolist(), ev["queue"].tolist()
        open_: list[int] = []
        t = first
        while t <= last:
            open_ = sorted(open_ + by_day.get(t, []), key=order_key.__getitem__)
            left: dict[str, int] = {}
            done_today: dict[str, int] = {}

            def escalate(i, why, t=t):
                status[i], esc_on[i], reason[i] = "escalated", t, why

            for i in open_:
                c, who, deadline_day = customer[i], assignee[i], last_day[i]
                if c in done_today:
                    k = done_today[c]
                    status[i], action_day[i], contact[i], channel[i] = "actioned", t, k, contacts[k]["channel"]
                    contacts[k]["events"] += 1
                    continue
                if c in cust.opt_out:
                    escalate(i, "opt_out")
                    continue
                until_ok = cust.cooling_until(c, t)
                if until_ok is not None:
                    if until_ok > deadline_day:
                        escalate(i, "cooloff")
                    continue
                if not cust.cap_allows(c, t):
                    later = t + _ONE
                    while later <= deadline_day and not cust.cap_allows(c, later):
                        later += _ONE
                    if later > deadline_day:
                        escalate(i, "cap")
                    continue
                if who not in left:
                    left[who] = p.queue_capacity if queued[i] else p.capacity
                if left[who] <= 0:
                    if t >= deadline_day:
                        escalate(i, "capacity")
                    continue
                left[who] -= 1
                k = len(contacts)
                contacts.append(
                    {
                        "contact_id": k,
                        "day": t,
                        "customer_id": c,
                        "staff_id": who,
                        "channel": cust.channel(c, t),
                        "events": 1,
                    }
                )
                cust.mine[c].append(t)
                done_today[c] = k
                status[i], action_day[i], contact[i], channel[i] = "actioned", t, k, contacts[k]["channel"]
            # an event of a customer contacted later in the day's order is dealt with by that contact
            for i in open_:
                c = customer[i]
                if status[i] == "pending" and c in done_today:
                    k = done_today[c]
                    status[i], action_day[i], contact[i], channel[i] = "actioned", t, k, contacts[k]["channel"]
                    contacts[k]["events"] += 1
                elif status[i] == "pending" and t >= last_day[i]:
                    escalate(i, "capacity")
            open_ = [i for i in open_ if status[i] == "pending"]
            t += _ONE
    # the channel to use for an event not (yet) contacted: the customer's preference on arrival
    channel = [ch if ch is not None else cust.channel(c, a) for ch, c, a in zip(channel, ev["customer_id"], arrive)]
    ev["status"] = ["open" if s == "pending" else s for s in status]
    ev["action_day"] = pd.to_datetime(pd.Series(action_day, dtype="object"))
    ev["contact_id"] = pd.array(contact, dtype="Int64")
    ev["channel"] = pd.Series(channel, dtype="object")
    ev["escalated_on"] = pd.to_datetime(pd.Series(esc_on, dtype="object"))
    ev["reason"] = pd.Series(reason, dtype="object")
    ev.loc[ev["status"] == "escalated", "escalated_to"] = [
        leaders.get(b, f"{b}/leader") for b in ev.loc[ev["status"] == "escalated", "branch_id"]
    ]
    ev["last_day"] = pd.to_datetime(ev["last_day"])
    cols = ["contact_id", "day", "customer_id", "staff_id", "channel", "events"]
    con = pd.DataFrame(contacts, columns=cols)
    con["day"] = pd.to_datetime(con["day"])
    return PolicyResult(ev, con)
