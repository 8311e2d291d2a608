"""check_bank_once: report's pre-run checks skip a bank that passed as it is, never a changed one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crmstudy import bank_checks
from crmstudy.bank import Bank
from crmstudy.errors import DataProblems

from .bank_cases import base_tables, write_bank


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "crmstudy" / "checked"


def test_a_bank_that_passed_is_not_read_again_while_it_is_unchanged(tmp_path, cache, monkeypatch):
    folder = write_bank(tmp_path / "bank", base_tables())
    bank_checks.check_bank_once(Bank.open(folder))
    assert len(list(cache.iterdir())) == 1

    def read_again(_bank):
        raise AssertionError("checked again")

    monkeypatch.setattr(bank_checks, "check_bank", read_again)
    bank_checks.check_bank_once(Bank.open(folder))


def test_a_changed_table_or_bank_json_is_checked_again(tmp_path, cache):
    folder = write_bank(tmp_path / "bank", base_tables())
    bank_checks.check_bank_once(Bank.open(folder))
    meta = json.loads((folder / "bank.json").read_text())
    (folder / "bank.json").write_text(json.dumps({**meta, "period_start": "2030-01-01", "period_end": "2030-12-31"}))
    with pytest.raises(DataProblems, match="holds no balance"):
        bank_checks.check_bank_once(Bank.open(folder))
    (folder / "bank.json").write_text(json.dumps(meta))
    balances = pd.read_parquet(folder / "balances.parquet")
    balances.loc[0, "balance"] = np.nan
    balances.to_parquet(folder / "balances.parquet", index=False)
    with pytest.raises(DataProblems, match="column 'balance'"):
        bank_checks.check_bank_once(Bank.open(folder))
