"""Counter productivity per branch: transactions per staffed hour, load, the peak hour."""

from __future__ import annotations

import numpy as np

import crmstudy.channels as C
from crmstudy.bank import Bank


def test_productivity_is_counter_transactions_over_staffed_hours(tiny_bank):
    bank = Bank.open(tiny_bank)
    prod = C.counter_productivity(bank)
    ops = bank.read("branch_operations").groupby("branch_id")["counter_staff_hours"].sum()
    tx = bank.sql(
        "SELECT c.branch_id, COUNT(*) AS n FROM transactions t JOIN customers c USING (customer_id) "
        "WHERE t.channel = 'counter' GROUP BY 1"
    ).set_index("branch_id")["n"]
    p = prod.set_index("branch_id")
    assert (p["counter_txns"] == tx.reindex(p.index)).all()
    assert np.allclose(p["txns_per_staff_hour"], tx.reindex(p.index) / ops.reindex(p.index))
    # six teller minutes per counter transaction
    assert np.allclose(p["load"], p["txns_per_staff_hour"] * 6 / 60)


def test_the_peak_hour_is_the_busiest_hour_of_the_hourly_profile(tiny_bank):
    hours = C.hourly_profile(tiny_bank)
    assert np.allclose(hours.groupby("branch_id")["share"].sum(), 1.0)
    prod = C.counter_productivity(tiny_bank).set_index("branch_id")
    busiest = hours.loc[hours.groupby("branch_id")["n_txn"].idxmax()].set_index("branch_id")["hour"]
    assert (prod["peak_hour"] == busiest).all()
    assert (prod["peak_hour"].between(9, 16)).all()  # transactions centre on 14:00 ± 3.5 h
