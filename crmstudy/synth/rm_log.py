"""The RM visit log: soft information recorded after each contact (source 000)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import StaffPools, _sigmoid
from .presets import BankSpec

CONTACT_TYPES = ("visit", "phone", "wechat", "event")
ATTITUDES = ("positive", "neutral", "negative")
FEEDBACK_CODES = (
    "interested_wealth",
    "interested_loan",
    "rate_sensitive",
    "no_need",
    "complaint",
    "moved_funds_elsewhere",
)
OUTCOMES = ("product_sold", "follow_up", "declined", "no_contact")


def make_visits(
    spec: BankSpec,
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    owner: np.ndarray,
    pools: StaffPools,
    rng: np.random.Generator,
    *,
    first_id: int = 1,
) -> pd.DataFrame:
    """Visits and calls; richer customers are contacted more often.

    Planted (off in the null bank): attitude and outcome improve with value
    potential; customers about to churn say they moved funds elsewhere.
    ``owner`` is each customer's owner as a position in the staff table;
    ``visit_id`` counts up from ``first_id`` in date order.
    """
    n = len(customers)
    assets = truth["bank_assets"].to_numpy()
    rate = 0.3 + 1.5 * (assets > 50_000) + 3.0 * (assets > 500_000)
    count = rng.poisson(rate * spec.days / 365)
    c = np.repeat(np.arange(n), count)
    m = len(c)
    start = np.datetime64(spec.start, "D")
    day = start + rng.integers(0, spec.days, size=m).astype("timedelta64[D]")
    staff_of = pools.staff_id[owner[c]]
    leave = pools.owner_leave(owner[c])
    gone = ~np.isnat(leave) & (day >= leave)
    # after an RM leaves, a lobby manager of the branch picks up the contact
    lobby = customers["branch_id"].to_numpy()[c] + "-LO01"
    staff_of = np.where(gone, lobby, staff_of)
    z = 0.0 if spec.null else truth["value_potential"].to_numpy()[c]
    churning = np.zeros(m, dtype=bool) if spec.null else truth["churned"].to_numpy()[c]
    u = rng.random(m)
    p_pos = _sigmoid(0.0 + 0.7 * z - 1.2 * churning)
    attitude = np.where(u < p_pos, "positive", np.where(u < p_pos + (1 - p_pos) * 0.6, "neutral", "negative"))
    fb_logits = np.zeros((m, len(FEEDBACK_CODES)))
    fb_logits[:, 0] = 0.6 * z
    fb_logits[:, 5] = -1.5 + 2.5 * churning
    fb_logits[:, 4] = -1.5
    p = np.exp(fb_logits)
    cum = (p / p.sum(axis=1, keepdims=True)).cumsum(axis=1)
    feedback = np.array(FEEDBACK_CODES)[np.minimum((rng.random(m)[:, None] > cum).sum(axis=1), len(FEEDBACK_CODES) - 1)]
    p_sold = _sigmoid(-1.8 + 0.8 * z)
    v = rng.random(m)
    outcome = np.where(
        v < p_sold,
        "product_sold",
        np.where(v < p_sold + 0.35, "follow_up", np.where(v < p_sold + 0.85, "declined", "no_contact")),
    )
    # no visits after a customer has left the bank
    churn = truth["churn_date"].to_numpy().astype("datetime64[D]")[c]
    stay = np.isnat(churn) | (day < churn)
    c, day, staff_of, attitude, feedback, outcome = (
        c[stay],
        day[stay],
        staff_of[stay],
        attitude[stay],
        feedback[stay],
        outcome[stay],
    )
    m = len(c)
    contact = np.array(CONTACT_TYPES)[rng.choice(4, size=m, p=[0.35, 0.4, 0.2, 0.05])]
    order = np.lexsort((c, day))
    return pd.DataFrame(
        {
            "visit_id": np.arange(first_id, first_id + m, dtype=np.int64),
            "visit_date": day[order].astype("datetime64[ms]"),
            "staff_id": staff_of[order],
            "customer_id": customers["customer_id"].to_numpy()[c[order]],
            "contact_type": contact[order],
            "attitude": attitude[order],
            "feedback_code": feedback[order],
            "outcome": outcome[order],
        }
    )
