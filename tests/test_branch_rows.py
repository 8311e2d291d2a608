"""crmstudy.branch_rows: in a report run a branch's rows come from one bank-wide pass, equal to its own query's."""

from __future__ import annotations

import pandas as pd
import pytest

from crmstudy import runcache
from crmstudy.bank import Bank
from crmstudy.branch_rows import _bank_parts, branch_rows
from crmstudy.feature_defs import customer_assets, engine_of
from crmstudy.period import Period
from crmstudy.profit.drivers import account_months, channel_months

DEFINITIONS = {
    "account_months": (account_months, {}),
    "channel_months": (channel_months, {}),
    "channel_months of the customer's own": (channel_months, {"customer_initiated": True}),
    "customer_assets": (customer_assets, {}),
}


def _alone(bank: Bank, definition, period, branch, options) -> pd.DataFrame:
    eng = engine_of(bank)
    df = eng.to_pandas(definition(eng.tables, period, branch=branch, **options))
    return df.sort_values(list(df.columns), ignore_index=True, kind="stable")


@pytest.fixture()
def in_a_run(tmp_path, monkeypatch):
    """The environment of a branch process inside a report run: the run's folder of bank-wide results."""
    folder = runcache.run_folder(tmp_path / "it's a run" / "_work")  # a quote in the path, too
    monkeypatch.setenv(runcache.ENV, str(folder))
    _bank_parts.cache_clear()
    yield folder
    _bank_parts.cache_clear()


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_every_branchs_part_of_the_bank_wide_pass_is_its_own_query(name, tiny_bank, in_a_run):
    definition, options = DEFINITIONS[name]
    bank = Bank.of(tiny_bank)
    period = bank.period
    for branch in [*bank.branch_ids, "no such branch"]:
        alone = _alone(bank, definition, period, branch, options)
        shared = branch_rows(bank, definition, period, branch, **options)
        pd.testing.assert_frame_equal(shared, alone, check_dtype=True)
    assert len(list(in_a_run.glob("parts-*"))) == 1, "one bank-wide pass for every branch"
    assert not list(in_a_run.glob(".parts-*")), "no temporary folder left"


def test_outside_a_run_the_branch_query_runs_and_nothing_is_written(tiny_bank, monkeypatch, tmp_path):
    monkeypatch.delenv(runcache.ENV, raising=False)
    bank = Bank.of(tiny_bank)
    branch = bank.branch_ids[0]
    got = branch_rows(bank, account_months, bank.period, branch)
    pd.testing.assert_frame_equal(got, _alone(bank, account_months, bank.period, branch, {}))
    assert len(got) > 0


def test_a_shorter_period_is_a_pass_of_its_own(tiny_bank, in_a_run):
    bank = Bank.of(tiny_bank)
    half = Period.of(bank.period.start, bank.period.start + (bank.period.end - bank.period.start) / 2)
    branch = bank.branch_ids[0]
    for period in (bank.period, half):
        got = branch_rows(bank, customer_assets, period, branch)
        pd.testing.assert_frame_equal(got, _alone(bank, customer_assets, period, branch, {}))
    assert len(list(in_a_run.glob("parts-*"))) == 2
