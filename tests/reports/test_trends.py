"""A branch in context: month-end lines against a plain pandas reading, branch figures against each headline,
ranks, and what the last published report said."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pandas as pd
import pytest

from crmstudy.bank import Bank
from crmstudy.feature_defs import DORMANT_DAYS
from crmstudy.features import customer_features
from crmstudy.reports.context import load_context
from crmstudy.reports.trends import branch_figures, month_ends, monthly_lines, previous_report, ranks


def _by_hand(bank: Bank, period) -> pd.DataFrame:
    """The month-end state read row by row in pandas, an implementation independent of the SQL."""
    cust = bank.read("customers", validate=False)  # read as they are: the schema checks are not under test
    bal = bank.read("balances", validate=False)
    tx = bank.read("transactions", columns=["customer_id", "ts", "merchant_category"], validate=False)
    tx = tx[tx["merchant_category"] != "payroll_in"]
    ts = pd.to_datetime(tx["ts"])
    opened, closed = pd.to_datetime(cust["open_date"]), pd.to_datetime(cust["close_date"])
    starts, ends = pd.to_datetime(bal["valid_from"]), pd.to_datetime(bal["valid_to"])
    rows = []
    for m in month_ends(period):
        day = pd.Timestamp(m)
        after = day + pd.Timedelta(days=1)
        here = cust[(opened <= day) & (closed.isna() | (closed > day))]
        held = bal[(starts <= day) & (ends > day)].groupby("customer_id")["balance"].sum().clip(lower=0)
        since = after - pd.Timedelta(days=DORMANT_DAYS)
        recent = tx.loc[(ts > since) & (ts < after), "customer_id"]
        quiet = ~here["customer_id"].isin(recent) & (opened[here.index] <= since)
        full = m >= period.start + timedelta(days=DORMANT_DAYS - 1)
        for b, g in here.groupby("branch_id"):
            rows.append(
                {
                    "branch_id": b,
                    "month_end": m,
                    "customers": len(g),
                    "assets": float(held.reindex(g["customer_id"]).fillna(0).sum()),
                    "dormant": int(quiet[g.index].sum()) if full else None,
                }
            )
    return pd.DataFrame(rows).sort_values(["branch_id", "month_end"], ignore_index=True)


@pytest.mark.parametrize("bank_name", ["tiny_bank", pytest.param("tiny_null_bank", marks=pytest.mark.slow)])
def test_month_end_lines_equal_a_plain_pandas_reading_of_balances_and_transactions(bank_name, request):
    bank = Bank.open(request.getfixturevalue(bank_name))
    got = monthly_lines(bank, bank.period)
    want = _by_hand(bank, bank.period)
    assert list(got["branch_id"]) == list(want["branch_id"]) and list(got["month_end"]) == list(want["month_end"])
    assert (got["customers"].to_numpy() == want["customers"].to_numpy()).all()
    assert got["assets"].to_numpy() == pytest.approx(want["assets"].to_numpy(), rel=1e-12)
    for g, w in zip(got["dormant"], want["dormant"]):
        assert (pd.isna(g) and w is None or pd.isna(w)) or int(g) == int(w)
    assert got["dormant"].notna().any() and got["dormant"].isna().any()  # the look-back: only from mid-year
    assert len(got) == 12 * 3  # twelve month ends of three branches


def test_the_last_month_end_is_the_features_state_on_the_periods_last_day(tiny_bank):
    bank = Bank.open(tiny_bank)
    lines = monthly_lines(bank, bank.period)
    last = lines[lines["month_end"] == bank.period.end].set_index("branch_id")
    f = customer_features(bank, bank.period)
    end = pd.Timestamp(bank.period.end)
    closed = pd.to_datetime(f["close_date"])
    here = f[(pd.to_datetime(f["open_date"]) <= end) & (closed.isna() | (closed > end))]
    g = here.groupby("branch_id")
    assert (last["customers"] == g.size()).all()
    assert last["assets"].to_numpy() == pytest.approx(g["end_assets"].sum().to_numpy(), rel=1e-9)
    assert (last["dormant"].astype(int) == g["dormant"].sum()).all()  # the features' dormancy rule, read at m


def test_one_branch_alone_is_its_rows_of_the_whole_bank(tiny_bank):
    bank = Bank.open(tiny_bank)
    every = monthly_lines(bank, bank.period)
    own = monthly_lines(bank, bank.period, branch="B002")
    pd.testing.assert_frame_equal(own, every[every["branch_id"] == "B002"].reset_index(drop=True))


def test_a_short_period_has_no_dormancy_and_ends_on_its_last_day(tiny_bank):
    bank = Bank.open(tiny_bank)
    period = type(bank.period).of("2025-03-10", "2025-05-20")
    lines = monthly_lines(bank, period, branch="B001")
    assert [d.isoformat() for d in lines["month_end"]] == ["2025-03-31", "2025-04-30", "2025-05-20"]
    assert lines["dormant"].isna().all() and lines["dormant_share"].isna().all()


@pytest.mark.slow  # a context per branch
def test_branch_figures_are_each_branchs_own_headline(tiny_bank):
    bank = Bank.open(tiny_bank)
    figures = branch_figures(customer_features(bank, bank.period), bank.period)
    for b in bank.branch_ids:
        h = load_context(bank, b).headline
        assert figures.loc[b, "customers"] == h["customers"]
        assert figures.loc[b, "total_ada"] == pytest.approx(h["total_ada"], rel=1e-12)
        assert figures.loc[b, "dormant_share"] == pytest.approx(h["dormant_share"], rel=1e-12)


def test_ranks_are_a_permutation_the_most_first_and_ties_share_the_better_rank():
    fig = pd.DataFrame(
        {"customers": [5, 9, 7, 9], "total_ada": [4.0, 3.0, 2.0, 1.0], "dormant_share": [0.2, 0.1, 0.3, math.nan]},
        index=["A", "B", "C", "D"],
    )
    got = {b: ranks(fig, b) for b in fig.index}
    assert [got[b]["total_ada"] for b in "ABCD"] == [1, 2, 3, 4]
    assert [got[b]["customers"] for b in "ABCD"] == [4, 1, 3, 1]  # B and D tie for the most
    assert [got[b]["dormant_share"] for b in "ABCD"] == [2, 3, 1, None]  # unknown: no rank
    assert {r["of"] for r in got.values()} == {4}


def _publish(folder, branch="B002", *, made_at="2026-11-30T08:00:00Z", customers=200):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(
        json.dumps({"branches": {branch: {"run_id": "r1", "made_at": made_at, "files": []}}})
    )
    evidence = {"customers": customers, "total_ada": 1.0e7, "dormant_share": 0.15, "gini": 0.6}
    doc = {"period_start": "2025-01-01", "period_end": "2025-12-31", "sections": {"headline": {"evidence": evidence}}}
    (folder / f"{branch}.findings.json").write_text(json.dumps(doc))
    return folder


def test_the_previous_report_is_read_from_the_published_manifest_and_findings(tmp_path):
    latest = _publish(tmp_path / "latest")
    got = previous_report(latest, "B002")
    assert got == {
        "run_id": "r1",
        "made_at": "2026-11-30T08:00:00Z",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "headline": {"total_ada": 1.0e7, "customers": 200, "dormant_share": 0.15},
    }
    assert previous_report(latest, "B001") == {}  # no report of that branch yet: the first
    assert previous_report(None, "B002") == {} and previous_report(tmp_path / "none", "B002") == {}
    (latest / "B002.findings.json").write_text("{not json")
    assert previous_report(latest, "B002") == {}
