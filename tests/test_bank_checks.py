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


def _spy_pandera(monkeypatch) -> list[str]:
    from crmstudy import checks

    called, pandera = [], checks._pandera

    def spy(frame, table, src, *, skip):
        called.append(table)
        return pandera(frame, table, src, skip=skip)

    monkeypatch.setattr(checks, "_pandera", spy)
    return called


def test_a_bank_that_passed_reads_its_tables_in_their_types_without_checking_the_values_again(
    tmp_path, cache, monkeypatch
):
    from crmstudy.schema import find_bank, read_table

    folder = write_bank(tmp_path / "bank", base_tables())
    bank_checks.check_bank_once(Bank.open(folder))
    tables = sorted(Bank.open(folder).files)
    checked_in_full = {t: read_table(find_bank(folder), t) for t in tables}
    called = _spy_pandera(monkeypatch)
    bank = Bank.open(folder)  # a report's kernel: the runner checked these bytes and gave their fingerprint
    for t in tables:
        pd.testing.assert_frame_equal(bank.read(t), checked_in_full[t])
    assert called == [], "pandera's value checks ran again on bytes that passed them"


def test_a_bank_changed_since_its_check_or_never_checked_is_read_with_every_check(tmp_path, cache, monkeypatch):
    folder = write_bank(tmp_path / "bank", base_tables())
    called = _spy_pandera(monkeypatch)
    Bank.open(folder).read("customers")
    assert called == ["customers"], "never checked: every check"
    bank_checks.check_bank_once(Bank.open(folder))
    balances = pd.read_parquet(folder / "balances.parquet")
    balances.loc[0, "balance"] = -1.0
    balances.to_parquet(folder / "balances.parquet", index=False)
    called.clear()
    Bank.open(folder).read("customers")
    assert called == ["customers"], "a file changed after the check: every check again"
