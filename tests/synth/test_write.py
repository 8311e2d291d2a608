"""A bank is written whole or not at all: an interrupted synth leaves the old bank, a full disk leaves nothing."""

from __future__ import annotations

import hashlib

import pytest

from crmstudy import cli
from crmstudy.errors import EXIT_ENVIRONMENT
from crmstudy.synth import preset_spec, synthesize
from crmstudy.synth import write as synth_write

from ..conftest import fill


def files(folder):
    found = (p for p in sorted(folder.rglob("*")) if p.is_file())
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in found}


def test_an_interrupted_synth_over_a_bank_leaves_the_old_bank_intact(tiny_bank, tmp_path, monkeypatch):
    import shutil

    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    before = files(bank)
    real, written = synth_write.write_table, []

    def interrupted(df, path, table):
        if len(written) == 3:
            raise KeyboardInterrupt
        written.append(table)
        return real(df, path, table)

    monkeypatch.setattr(synth_write, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        synthesize(preset_spec("tiny", seed=7), bank)
    assert files(bank) == before, "the old bank, every table of it"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"], "nothing of the new bank left beside it"


def test_a_synth_killed_earlier_leaves_nothing_after_the_next(tiny_bank, tmp_path):
    (tmp_path / ".bank.synth-abc123").mkdir()  # what a kill -9 mid-synth leaves
    (tmp_path / ".bank.synth-abc123" / "transactions.parquet").write_bytes(b"half")
    synthesize(preset_spec("tiny"), tmp_path / "bank")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"]
    assert files(tmp_path / "bank") == files(tiny_bank)


def test_files_that_are_not_the_banks_own_are_kept(tiny_bank, tmp_path):
    import shutil

    bank = shutil.copytree(tiny_bank, tmp_path / "bank")
    (bank / "README.md").write_text("our notes")
    (bank / "notes").mkdir()
    (bank / "notes" / "a.txt").write_text("a")
    synthesize(preset_spec("tiny", seed=3), bank)
    assert (bank / "README.md").read_text() == "our notes" and (bank / "notes" / "a.txt").read_text() == "a"


def test_synth_on_a_full_disk_is_one_line_exit_4_and_leaves_nothing(small_disk, tmp_path, capsys):
    disk = small_disk("256k")
    code = cli.main(["synth", "--preset", "tiny", "--out", str(disk / "bank")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_ENVIRONMENT, err
    assert len(err) == 1 and err[0].startswith("crmstudy: environment: ") and str(disk) in err[0], err
    assert "No space left on device" in err[0]
    assert list(disk.iterdir()) == [], "no table, no hidden folder left on the full disk"


def test_synth_over_a_bank_on_a_disk_that_fills_keeps_the_old_bank(tiny_bank, small_disk, capsys):
    import shutil

    disk = small_disk("2m")
    bank = shutil.copytree(tiny_bank, disk / "bank")
    fill(disk)
    before = files(bank)
    assert cli.main(["synth", "--preset", "tiny", "--seed", "5", "--out", str(bank)]) == EXIT_ENVIRONMENT
    assert files(bank) == before
    assert sorted(p.name for p in disk.iterdir()) == ["bank", "filler"]
