"""The customer snapshots: one query per as-of date, against the range join they replaced."""

from datetime import date

import pandas as pd
import pytest

from crmstudy.bank import Bank
from crmstudy.lifecycle import panel

# The reference: every as-of date range-joined with the transactions and balances in one query
# (the implementation before 2026-12-03; six minutes on a million customers).
_RANGE_JOIN = """
WITH s AS (SELECT CAST(as_of AS TIMESTAMP) + INTERVAL 1 DAY AS t0, CAST(as_of AS DATE) AS as_of FROM {snaps}),
gone AS (
    SELECT customer_id, CASE WHEN COUNT(*) = COUNT(close_date) THEN MAX(close_date) END AS left_date
    FROM holdings GROUP BY customer_id
),
base AS (
    SELECT s.t0, s.as_of, c.customer_id, c.branch_id, c.open_date, st.leave_date AS owner_leave, g.left_date
    FROM s CROSS JOIN customers c
    LEFT JOIN staff st ON st.staff_id = c.owner_staff_id
    LEFT JOIN gone g ON g.customer_id = c.customer_id
    WHERE c.open_date <= s.t0 - INTERVAL 30 DAY AND (g.left_date IS NULL OR g.left_date >= s.t0)
),
tx AS (
    SELECT b.customer_id, b.t0,
        MAX(t.ts) FILTER (WHERE t.merchant_category <> 'payroll_in') AS last_ts,
        COUNT(*) FILTER (WHERE t.ts >= b.t0 - INTERVAL 30 DAY AND t.merchant_category <> 'payroll_in') AS n30,
        SUM(t.amount) FILTER (WHERE t.ts >= b.t0 - INTERVAL 30 DAY AND t.direction = 'out') AS out30,
        SUM(t.amount) FILTER (WHERE t.ts >= b.t0 - INTERVAL 30 DAY
                              AND t.merchant_category = 'third_party_transfer') AS tp30,
        SUM(t.amount) FILTER (WHERE t.ts < b.t0 - INTERVAL 30 DAY AND t.direction = 'out') AS out_prev,
        SUM(t.amount) FILTER (WHERE t.ts < b.t0 - INTERVAL 30 DAY
                              AND t.merchant_category = 'third_party_transfer') AS tp_prev,
        COUNT(*) FILTER (WHERE t.ts >= b.t0 - INTERVAL 45 DAY AND t.merchant_category = 'payroll_in') AS pay_recent,
        COUNT(*) FILTER (WHERE t.ts < b.t0 - INTERVAL 45 DAY AND t.ts >= b.t0 - INTERVAL 120 DAY
                         AND t.merchant_category = 'payroll_in') AS pay_before
    FROM base b JOIN transactions t
      ON t.customer_id = b.customer_id AND t.ts < b.t0 AND t.ts >= b.t0 - INTERVAL {active} DAY
    GROUP BY b.customer_id, b.t0
),
bal AS (
    SELECT b.customer_id, b.t0,
        SUM(x.balance * GREATEST(0, date_diff('day', GREATEST(x.valid_from, b.t0 - INTERVAL 30 DAY),
                                                  LEAST(x.valid_to, b.t0)))) / 30.0 AS ada30,
        SUM(x.balance * GREATEST(0, date_diff('day', GREATEST(x.valid_from, b.t0 - INTERVAL 90 DAY),
                                                  LEAST(x.valid_to, b.t0 - INTERVAL 30 DAY)))) / 60.0 AS ada_prev,
        SUM(x.balance) FILTER (WHERE x.valid_from < b.t0 AND x.valid_to >= b.t0) AS bal_now
    FROM base b JOIN balances x
      ON x.customer_id = b.customer_id AND x.valid_to > b.t0 - INTERVAL 90 DAY AND x.valid_from < b.t0
    GROUP BY b.customer_id, b.t0
)
SELECT b.as_of, b.customer_id, b.branch_id, b.open_date, b.owner_leave, b.left_date,
       date_diff('day', b.open_date, b.t0) AS tenure_days,
       tx.last_ts, COALESCE(tx.n30, 0) AS n30, COALESCE(tx.out30, 0) AS out30, COALESCE(tx.tp30, 0) AS tp30,
       COALESCE(tx.out_prev, 0) AS out_prev, COALESCE(tx.tp_prev, 0) AS tp_prev,
       COALESCE(tx.pay_recent, 0) AS pay_recent, COALESCE(tx.pay_before, 0) AS pay_before,
       COALESCE(bal.ada30, 0) AS ada30, COALESCE(bal.ada_prev, 0) AS ada_prev, COALESCE(bal.bal_now, 0) AS bal_now,
       CAST(date_diff('day', b.t0, b.left_date) AS INTEGER) AS days_to_leave,
       CAST(date_diff('day', COALESCE(tx.last_ts, b.open_date), b.t0) AS INTEGER) AS idle_days
FROM base b
LEFT JOIN tx ON tx.customer_id = b.customer_id AND tx.t0 = b.t0
LEFT JOIN bal ON bal.customer_id = b.customer_id AND bal.t0 = b.t0
ORDER BY b.as_of, b.customer_id
"""


def _reference(bank: Bank, dates: list[date]) -> pd.DataFrame:
    bank.con.register("_ref_snaps", pd.DataFrame({"as_of": pd.to_datetime(dates)}))
    try:
        raw = bank.con.execute(_RANGE_JOIN.format(snaps="_ref_snaps", active=panel.ACTIVE_DAYS)).df()
    finally:
        bank.con.unregister("_ref_snaps")
    return panel.derive(raw, bank.period.end)


@pytest.mark.parametrize("name", ["tiny_bank", "tiny_null_bank"])
def test_the_snapshots_of_every_month_end_are_the_range_joins(name, request):
    bank = Bank.open(request.getfixturevalue(name))
    dates = [*panel.month_ends(bank.period, tail=0), date(2025, 10, 15)]
    got = panel.snapshots(bank, dates)
    want = _reference(bank, sorted(dates))
    assert len(got) > 1000 and got["as_of"].nunique() == len(dates)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


def test_a_branchs_snapshots_are_its_rows_of_the_banks(tiny_bank):
    bank = Bank.open(tiny_bank)
    d = [date(2025, 6, 30)]
    whole = panel.snapshots(bank, d)
    b = whole["branch_id"].iloc[0]
    own = panel.snapshots(bank, d, branch=b)
    pd.testing.assert_frame_equal(own, whole[whole["branch_id"] == b].reset_index(drop=True))


def test_no_date_gives_no_rows_with_every_column(tiny_bank):
    out = panel.snapshots(Bank.open(tiny_bank), [])
    assert out.empty and {"as_of", "customer_id", *panel.COVARIATES, "known_90"} <= set(out.columns)
