"""The contact policy's promises, for any events, history and knobs (hypothesis), and on a few cases by hand."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmstudy.events.policy import REASONS, apply_policy, queue_id
from crmstudy.params import ContactPolicyParams

DAY0 = date(2025, 3, 1)
CUSTOMERS = [f"C{i}" for i in range(6)]
STAFF = pd.DataFrame(
    {
        "staff_id": ["B1-CU01", "B1-CU02", "B1-LO01", "B1-PR01"],
        "branch_id": "B1",
        "role": ["customer_manager", "customer_manager", "lobby_manager", "president"],
        "leave_date": [pd.NaT, pd.Timestamp(DAY0 + timedelta(days=5)), pd.NaT, pd.NaT],
    }
)


def _events(rows) -> pd.DataFrame:
    out = []
    for k, (c, offset, kind_priority, hours) in enumerate(rows):
        day = pd.Timestamp(DAY0 + timedelta(days=offset))
        out.append(
            {
                "event_id": f"E{k}",
                "customer_id": c,
                "branch_id": "B1",
                "owner_staff_id": "B1-CU02" if c in ("C4", "C5") else "B1-CU01",
                "day": day,
                "detected_at": day + pd.Timedelta(days=1),
                "deadline": day + pd.Timedelta(days=1) + pd.Timedelta(hours=hours),
                "priority": kind_priority,
                "assets": 1000.0 * k,
            }
        )
    cols = ["event_id", "customer_id", "branch_id", "owner_staff_id", "day", "detected_at", "deadline", "priority"]
    return pd.DataFrame(out, columns=[*cols, "assets"])


events_st = st.lists(
    st.tuples(st.sampled_from(CUSTOMERS), st.integers(0, 20), st.integers(1, 3), st.sampled_from([24, 48])),
    max_size=40,
)
visits_st = st.lists(
    st.tuples(
        st.sampled_from(CUSTOMERS),
        st.integers(-10, 22),
        st.sampled_from(["phone", "visit", "wechat"]),
        st.sampled_from(["declined", "follow_up", "no_contact", "product_sold"]),
    ),
    max_size=15,
)
params_st = st.builds(
    ContactPolicyParams,
    max_per_week=st.integers(1, 2),
    max_per_month=st.integers(1, 5),
    cooloff_days=st.integers(0, 10),
    capacity=st.integers(0, 3),
    queue_capacity=st.integers(0, 2),
    opt_out=st.lists(st.sampled_from(CUSTOMERS), max_size=2),
)


def _visits(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"visit_date": pd.Timestamp(DAY0 + timedelta(days=o)), "customer_id": c, "contact_type": t, "outcome": r}
            for c, o, t, r in rows
        ],
        columns=["visit_date", "customer_id", "contact_type", "outcome"],
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=events_st, history=visits_st, p=params_st)
def test_every_event_is_owned_and_ends_actioned_in_time_or_escalated_and_no_promise_is_broken(rows, history, p):
    events, visits = _events(rows), _visits(history)
    r = apply_policy(events, STAFF, visits=visits, params=p)
    ev, con = r.events, r.contacts
    # every event has an assignee and a deadline, and ends actioned (in time) or escalated (with a reason)
    assert len(ev) == len(events)
    assert ev["assigned_to"].notna().all() and ev["deadline"].notna().all()
    assert set(ev["status"]) <= {"actioned", "escalated"}
    done = ev[ev["status"] == "actioned"]
    assert (done["action_day"] <= done["last_day"]).all()
    assert (done["action_day"] >= pd.to_datetime(done["detected_at"]).dt.normalize()).all()
    esc = ev[ev["status"] == "escalated"]
    assert esc["reason"].isin(REASONS).all() and esc["escalated_to"].eq("B1-PR01").all()
    # an owner who has left hands the customer to the branch queue
    gone = pd.to_datetime(ev["detected_at"]) >= STAFF.loc[1, "leave_date"]
    left = ev["owner_staff_id"].eq("B1-CU02") & gone
    assert (ev.loc[left, "assigned_to"] == queue_id("B1")).all()
    assert (ev.loc[~left, "assigned_to"] == ev.loc[~left, "owner_staff_id"]).all()
    # opt-outs are never contacted
    assert not set(con["customer_id"]) & set(p.opt_out)
    # capacity: contacts per assignee per day
    for (who, _day), n in Counter(zip(con["staff_id"], con["day"])).items():
        assert n <= (p.queue_capacity if who.endswith("/queue") else p.capacity)
    # caps and cool-off, counting the log known before each contact and the policy's own contacts
    for c, mine in con.groupby("customer_id"):
        log = visits[visits["customer_id"] == c]
        for t in mine["day"]:
            known = list(log.loc[log["visit_date"] < t, "visit_date"]) + list(mine.loc[mine["day"] <= t, "day"])
            week = sum(t - pd.Timedelta(days=6) <= d <= t for d in known)
            month = sum(d.year == t.year and d.month == t.month for d in known)
            assert week <= p.max_per_week and month <= p.max_per_month, (c, t)
            refused = log.loc[(log["outcome"] == "declined") & (log["visit_date"] < t), "visit_date"]
            if len(refused):
                assert t >= refused.max() + pd.Timedelta(days=p.cooloff_days), (c, t)
    # one contact a day per customer, dealing with all their events of that day
    assert not con.duplicated(["customer_id", "day"]).any()
    assert con["events"].sum() == len(done)


def test_one_contact_deals_with_every_open_event_of_the_customer():
    events = _events([("C0", 0, 1, 24), ("C0", 0, 3, 48)])
    r = apply_policy(events, STAFF)
    assert (r.events["status"] == "actioned").all() and len(r.contacts) == 1 and r.contacts["events"].iloc[0] == 2


def test_with_no_capacity_an_event_is_escalated_on_its_last_day_not_dropped():
    events = _events([("C0", 0, 1, 48)])
    r = apply_policy(events, STAFF, params=ContactPolicyParams(capacity=0))
    e = r.events.iloc[0]
    assert e["status"] == "escalated" and e["reason"] == "capacity"
    assert e["escalated_on"] == e["last_day"] == pd.Timestamp(DAY0 + timedelta(days=2))


def test_a_customer_contacted_yesterday_is_not_called_again_within_the_week():
    events = _events([("C0", 0, 1, 24), ("C0", 2, 1, 48)])
    r = apply_policy(events, STAFF)
    assert r.events["status"].tolist() == ["actioned", "escalated"]
    assert r.events["reason"].iloc[1] == "cap"


def test_the_channel_is_the_one_that_reached_the_customer_most_often():
    visits = _visits(
        [
            ("C0", -20, "wechat", "follow_up"),
            ("C0", -15, "wechat", "declined"),
            ("C0", -12, "visit", "no_contact"),
            ("C1", -8, "phone", "product_sold"),
        ]
    )
    r = apply_policy(
        _events([("C0", 0, 1, 24), ("C2", 0, 1, 24)]),
        STAFF,
        visits=visits,
        params=ContactPolicyParams(default_channel="visit", cooloff_days=0),
    )
    assert r.events["channel"].tolist() == ["wechat", "visit"]


def test_events_still_in_time_on_the_last_working_day_stay_open():
    r = apply_policy(_events([("C0", 3, 1, 48)]), STAFF, until=DAY0 + timedelta(days=3))
    assert r.events["status"].tolist() == ["open"]
