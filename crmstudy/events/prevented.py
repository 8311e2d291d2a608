"""Churn prevented by a replayed contact policy: the customers it reached in time, times the contact effect.

A customer whose accounts warn of a departure (a large outflow, a balance
drop, a salary stop, a third-party surge, a churn-risk jump) and whom the
policy contacted within the deadline leaves less often, by the effect of a
timely contact.  Two readings of that effect, each with a 95 % interval:

- **estimated**: the relative risk of a departure within 90 days after a
  balance drain, contacted within 2 days against not
  (:func:`crmstudy.lifecycle.contact_effect`, log interval), from the bank's
  own visit log.  It is causal only where who is contacted after a drain is
  random (the synthetic bank draws it; a bank's own data needs a held-back share);
- **planted** (the synthetic bank only): ``CONTACT_RR`` (docs/generative_model.md; 1
  in the null bank, where contacts avert nothing).

Prevented = customers reached x ``p0`` x (1 - relative risk), where ``p0`` is the
departure rate within 90 days after the replay's first warning of each customer
when no contact followed within 2 days (Wilson interval).  The customers the
log did contact in time are left out of ``p0``: they are not like the others (a
synthetic episode is contacted on purpose).  The interval multiplies the bounds
(``p0`` low x (1 - RR high) to ``p0`` high x (1 - RR low)), which covers at
least the product's 95 % (conservative).

Both count a customer once (one departure to prevent) and are an expectation
over the customers reached, not a count of named people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ..bank import Bank

__all__ = ["WARNING_KINDS", "churn_prevented"]

#: The kinds of event that warn of a departure (the churn precursors of the synthetic bank).
WARNING_KINDS = ("large_outflow", "balance_drop", "salary_stop", "third_party_surge", "churn_risk")


def _planted_rr(bank: Bank) -> float | None:
    """The synthetic bank's planted relative risk of a timely contact, or None for a bank's own data."""
    if bank.meta.get("generator") != "crmstudy.synth":
        return None
    from ..synth.lifecycle import CONTACT_RR

    return 1.0 if bank.meta.get("null") else float(CONTACT_RR)


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 1)


def churn_prevented(bank: Bank, events: pd.DataFrame, *, horizon: int = 90, deadline_days: int = 2) -> dict:
    """Departures prevented by the policy's timely contacts (JSON-ready), estimated and planted, with intervals.

    Parameters
    ----------
    bank : Bank
    events : pd.DataFrame
        The replay's events with the policy's ``status`` (``actioned`` = contacted within the deadline).
    horizon, deadline_days : int
        The contact effect's window: departures within ``horizon`` days, contact within ``deadline_days``.

    Returns
    -------
    dict
        ``customers_reached`` (distinct customers with a warning event actioned in time),
        ``estimated`` {``prevented``, ``low``, ``high``, ``difference``, ``events``, ...},
        ``planted`` (or ``None`` for a bank's own data) and ``significant``.
    """
    from ..lifecycle.contact_effect import contact_effect

    warn = events[events["kind"].isin(WARNING_KINDS)].sort_values("day")
    reached = int(warn.loc[warn["status"] == "actioned", "customer_id"].nunique())
    first = warn.drop_duplicates("customer_id")
    first = pd.DataFrame({"customer_id": first["customer_id"].astype(str), "event_date": first["day"].dt.date})
    out: dict = {"customers_reached": reached, "warning_kinds": list(WARNING_KINDS), "horizon_days": horizon}
    if first.empty or not bank.has("visits"):
        out.update(status="not_available", why="no warning events or no visit log to estimate the effect from")
        return out
    base = contact_effect(bank, first, deadline_days=deadline_days, horizon=horizon)
    n0, k0 = base.n_comparison, base.left_comparison
    if not n0:
        out.update(status="not_available", why="no warning event without a timely contact to read p0 from")
        return out
    p0 = k0 / n0
    p_lo, p_hi = proportion_confint(k0, n0, method="wilson")
    out["p0"] = {"events": n0, "left": k0, "rate": round(p0, 4), "low": round(p_lo, 4), "high": round(p_hi, 4)}

    def reading(rr: float, rr_lo: float, rr_hi: float) -> dict:
        return {
            "relative_risk": round(rr, 3),
            "rr_low": round(rr_lo, 3),
            "rr_high": round(rr_hi, 3),
            "prevented": _round(reached * p0 * (1 - rr)),
            "low": _round(reached * p_lo * (1 - rr_hi) if rr_hi <= 1 else reached * p_hi * (1 - rr_hi)),
            "high": _round(reached * p_hi * (1 - rr_lo) if rr_lo <= 1 else reached * p_lo * (1 - rr_lo)),
        }

    drains = contact_effect(bank, deadline_days=deadline_days, horizon=horizon)
    if np.isfinite(drains.ratio):
        out["estimated"] = reading(drains.ratio, drains.ratio_low, drains.ratio_high)
        out["estimated"].update(drain_events=drains.n_in_time + drains.n_comparison, in_time=drains.n_in_time)
        out["significant"] = bool(drains.ratio_high < 1 or drains.ratio_low > 1)
    else:
        out["estimated"], out["significant"] = None, False
    rr = _planted_rr(bank)
    out["planted"] = None if rr is None else reading(rr, rr, rr)
    out["status"] = "ok"
    return out
