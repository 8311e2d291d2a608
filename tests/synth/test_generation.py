"""``validate`` refuses a bank whose tables come from different synth runs (bank.json records each table)."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from crmstudy import cli
from crmstudy.errors import EXIT_BAD_INPUT, EXIT_OK


def test_bank_json_records_a_fingerprint_per_table_and_a_generation(tiny_bank):
    meta = json.loads((tiny_bank / "bank.json").read_text())
    assert set(meta["tables"]) == {p.stem for p in tiny_bank.glob("*.parquet")}
    assert len(meta["generation"]) == 16


def test_a_bank_mixing_two_runs_is_refused_in_one_line(tiny_bank, tmp_path, capsys):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    assert cli.main(["validate", str(bank)]) == EXIT_OK
    capsys.readouterr()
    tx = pd.read_parquet(bank / "transactions.parquet")
    tx.iloc[:-1].to_parquet(bank / "transactions.parquet", index=False)  # valid on its own: another run's table
    assert cli.main(["validate", str(bank)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "transactions come from another generation" in err[0], err
    assert str(bank / "bank.json") in err[0] and "seed 0" in err[0]


def test_a_bank_without_fingerprints_is_not_checked(tiny_bank, tmp_path, capsys):
    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    meta = json.loads((bank / "bank.json").read_text())
    del meta["tables"], meta["generation"]
    (bank / "bank.json").write_text(json.dumps(meta))
    assert cli.main(["validate", str(bank)]) == EXIT_OK
