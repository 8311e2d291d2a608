"""The take-up model's history covariates (crmstudy.association.history): read up to the cut, never after.

The proof of no leakage is a rewrite: every row dated after the cut is changed (transactions
scaled and thinned, balances after the cut multiplied, holdings opened after the cut dropped,
visits after it dropped) and the covariates at the cut come out the same.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from crmstudy.association import history as H
from crmstudy.association import propensity as P

CUT = pd.Timestamp("2025-08-31")
AFTER = CUT + pd.Timedelta(days=1)  # the first day that must not be read


def _rewrite_after_the_cut(src, dst) -> dict[str, int]:
    """A copy of the bank whose rows after the cut are all different; the count changed per table."""
    shutil.copytree(src, dst)
    changed = {}
    tx = pd.read_parquet(dst / "transactions.parquet")
    late = tx["ts"] >= AFTER
    tx.loc[late, "amount"] = tx.loc[late, "amount"] * 7.0
    tx.loc[late, "merchant_category"] = "luxury"
    tx = tx[~late | (np.arange(len(tx)) % 3 != 0)]
    changed["transactions"] = int(late.sum())
    tx.to_parquet(dst / "transactions.parquet", index=False)
    bal = pd.read_parquet(dst / "balances.parquet")
    late = pd.to_datetime(bal["valid_from"]) >= AFTER
    bal.loc[late, "balance"] = bal.loc[late, "balance"] * 50.0 + 1_000.0
    changed["balances"] = int(late.sum())
    bal.to_parquet(dst / "balances.parquet", index=False)
    h = pd.read_parquet(dst / "holdings.parquet")
    late = pd.to_datetime(h["open_date"]) >= AFTER
    changed["holdings"] = int(late.sum())
    h[~late].to_parquet(dst / "holdings.parquet", index=False)
    if (dst / "visits.parquet").exists():
        v = pd.read_parquet(dst / "visits.parquet")
        late = pd.to_datetime(v["visit_date"]) >= AFTER
        changed["visits"] = int(late.sum())
        v[~late].to_parquet(dst / "visits.parquet", index=False)
    meta = json.loads((dst / "bank.json").read_text())
    meta["generation"] = f"{meta.get('generation', '')}-rewritten-after-{CUT.date()}"
    (dst / "bank.json").write_text(json.dumps(meta))
    return changed


@pytest.fixture(scope="module")
def rewritten(tiny_bank, tmp_path_factory):
    dst = tmp_path_factory.mktemp("after_the_cut") / "bank"
    return dst, _rewrite_after_the_cut(tiny_bank, dst)


def test_changing_every_row_after_the_cut_leaves_the_covariates_at_the_cut_unchanged(tiny_bank, rewritten):
    dst, changed = rewritten
    assert all(n > 0 for n in changed.values()), changed  # the rewrite did touch every table
    before = P.take_up_data(tiny_bank, CUT).covariates
    after = P.take_up_data(dst, CUT).covariates
    assert any(c.startswith("sig_") for c in before) and "asset_trend" in before
    pd.testing.assert_frame_equal(before, after)


def test_the_rewrite_is_seen_by_a_cut_after_it(tiny_bank, rewritten):
    # the control: the same comparison a month later reads the rewritten rows and differs
    dst, _ = rewritten
    later = CUT + pd.offsets.MonthEnd(1)
    ids = P.take_up_data(tiny_bank, later).covariates.index
    a = H.history_features(tiny_bank, later, ids)
    b = H.history_features(dst, later, ids)
    assert not np.allclose(a["sig_txn_amount"].fillna(0), b["sig_txn_amount"].fillna(0))
    assert not np.allclose(a["asset_trend"], b["asset_trend"])


def test_the_tenure_term_is_the_log_of_tenure_plus_the_horizon(tiny_bank):
    c = pd.read_parquet(tiny_bank / "customers.parquet").set_index("customer_id")
    x = H.history_features(tiny_bank, CUT, c.index[:50], horizon_months=4)
    tenure = (CUT - pd.to_datetime(c["open_date"].iloc[:50])).dt.days.clip(lower=0)
    assert np.allclose(x["log_tenure_h"], np.log(tenure + 122))  # Aug 31 + 4 months = Dec 31: 122 days


def test_a_branch_reads_the_same_history_for_its_customers_as_the_whole_bank(tiny_bank):
    c = pd.read_parquet(tiny_bank / "customers.parquet")
    branch = c["branch_id"].iloc[0]
    ids = pd.Index(c.loc[c["branch_id"] == branch, "customer_id"])
    whole = H.history_features(tiny_bank, CUT, ids)
    alone = H.history_features(tiny_bank, CUT, ids, branch=branch)
    pd.testing.assert_frame_equal(whole, alone)


def test_the_assets_of_customers_on_days_are_the_whole_banks_assets_on_each_day(tiny_bank):
    from datetime import date

    from crmstudy.bank import Bank

    bank = Bank.open(tiny_bank)
    ids = bank.read("customers", columns=["customer_id"])["customer_id"]
    some = pd.Index(ids.iloc[::7].tolist() + ["C9999999"])  # one customer the bank does not have
    days = [date(2025, 3, 1), date(2025, 6, 30), date(2025, 12, 31)]
    got = H.assets_on_days(bank.con, days, some)
    want = np.column_stack([H.assets_on(bank.con, d).reindex(some).fillna(0.0).to_numpy() for d in days])
    assert got.shape == (len(some), 3) and (got[:, 1] > 0).sum() > 10
    assert (got[-1] == 0).all(), "a customer without balances has none"
    np.testing.assert_allclose(got, want, rtol=1e-12)
