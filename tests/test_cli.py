"""The crmstudy command: its verbs, its exit codes and its one-line errors."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from crmstudy import __version__
from crmstudy.cli import build_parser, main
from crmstudy.errors import EXIT_BAD_INPUT, EXIT_OK

ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_synth_writes_every_table_and_metadata(tmp_path, capsys):
    code, out, _ = _run(capsys, "synth", "--preset", "tiny", "--seed", "7", "--out", str(tmp_path))
    assert code == EXIT_OK
    meta = json.loads((tmp_path / "bank.json").read_text())
    assert meta["seed"] == 7 and meta["preset"] == "tiny" and meta["null"] is False
    for table in (
        "branches",
        "staff",
        "customers",
        "products",
        "holdings",
        "balances",
        "transactions",
        "visits",
        "truth",
    ):
        assert (tmp_path / f"{table}.parquet").stat().st_size > 0
    assert "customers 1,500" in out


def test_synth_null_switch_is_recorded(tmp_path, capsys):
    code, out, _ = _run(
        capsys, "synth", "--preset", "tiny", "--null", "--customers", "600", "--branches", "2", "--out", str(tmp_path)
    )
    assert code == EXIT_OK
    meta = json.loads((tmp_path / "bank.json").read_text())
    assert meta["null"] is True and meta["n_customers"] == 600 and meta["n_branches"] == 2
    assert "null bank" in out


def test_unknown_preset_is_one_line_listing_the_valid_ones(tmp_path, capsys):
    code, _, err = _run(capsys, "synth", "--preset", "huge", "--out", str(tmp_path))
    assert code == EXIT_BAD_INPUT
    assert err.strip().count("\n") == 0
    assert "'huge'" in err and "tiny" in err and "demo" in err


def test_validate_accepts_a_good_bank_and_prints_its_fingerprint(tiny_bank, capsys):
    code, out, _ = _run(capsys, "validate", str(tiny_bank))
    assert code == EXIT_OK
    assert "valid" in out and "fingerprint" in out


def test_validate_names_the_file_table_and_column_of_a_schema_break(tiny_bank, tmp_path, capsys):
    import shutil

    import pandas as pd

    bad = tmp_path / "bad"
    shutil.copytree(tiny_bank, bad)
    cust = pd.read_parquet(bad / "customers.parquet")
    cust.loc[3, "gender"] = "X"
    cust.to_parquet(bad / "customers.parquet")
    code, _, err = _run(capsys, "validate", str(bad))
    assert code == EXIT_BAD_INPUT
    line = err.strip()
    assert "\n" not in line
    assert "customers.parquet" in line and "'customers'" in line and "'gender'" in line


def test_validate_of_a_missing_folder_says_how_to_make_one(tmp_path, capsys):
    code, _, err = _run(capsys, "validate", str(tmp_path / "nowhere"))
    assert code == EXIT_BAD_INPUT
    assert "not found" in err and "crmstudy synth" in err


def test_report_with_an_unknown_branch_lists_the_valid_ids(tiny_bank, tmp_path, capsys):
    code, _, err = _run(capsys, "report", "--data", str(tiny_bank), "--out", str(tmp_path), "--branches", "B009")
    assert code == EXIT_BAD_INPUT
    assert "B009" in err and "B001, B002, B003" in err
    assert not any(tmp_path.iterdir()), "nothing is written before the input is known to be good"


@pytest.mark.parametrize("in_child", [False, True], ids=["in-process", "child-process"])
def test_report_on_a_table_file_that_is_not_parquet_names_the_file_and_writes_no_report(
    tiny_bank, tmp_path, capsys, monkeypatch, in_child
):
    # the run's shared work (features, scorecards) runs in a child process on a large bank
    import shutil

    from crmstudy.reports.pipeline import shared

    monkeypatch.setattr(shared, "SHARED_IN_CHILD_ABOVE", 0 if in_child else 10**9)
    monkeypatch.chdir(tmp_path)  # no params/defaults.yaml here: stderr holds the error line only
    bank = tmp_path / "bank"
    shutil.copytree(tiny_bank, bank)
    (bank / "transactions.parquet").write_bytes(b"not parquet at all")
    code, _, err = _run(capsys, "report", "--data", str(bank), "--out", str(tmp_path / "r"), "--branches", "B001")
    assert code == EXIT_BAD_INPUT
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "transactions.parquet" in lines[0], err
    assert not list((tmp_path / "r").rglob("*.html")), "no report from a bank that cannot be read"


def test_report_with_malformed_yaml_names_file_and_line(tiny_bank, tmp_path, capsys):
    params = tmp_path / "defaults.yaml"
    params.write_text("tiers:\n  key: [500000\n")
    code, _, err = _run(
        capsys, "report", "--data", str(tiny_bank), "--out", str(tmp_path / "r"), "--params", str(params)
    )
    assert code == EXIT_BAD_INPUT
    assert str(params) in err and "line" in err


def test_report_with_a_wrongly_typed_override_names_the_parameter(tiny_bank, tmp_path, capsys):
    (tmp_path / "branches").mkdir()
    params = tmp_path / "defaults.yaml"
    params.write_text("upgrade:\n  top_n: 10\n")
    (tmp_path / "branches" / "B002.yaml").write_text("tiers:\n  key: fifty thousand\n")
    code, _, err = _run(
        capsys, "report", "--data", str(tiny_bank), "--out", str(tmp_path / "r"), "--params", str(params)
    )
    assert code == EXIT_BAD_INPUT
    assert "B002.yaml" in err and "'tiers.key'" in err and "fifty thousand" in err


def test_report_with_an_unknown_parameter_lists_the_valid_names(tiny_bank, tmp_path, capsys):
    params = tmp_path / "defaults.yaml"
    params.write_text("upgrade:\n  windw: 0.2\n")
    code, _, err = _run(
        capsys, "report", "--data", str(tiny_bank), "--out", str(tmp_path / "r"), "--params", str(params)
    )
    assert code == EXIT_BAD_INPUT
    assert "'upgrade.windw'" in err and "window" in err


def test_bad_format_and_workers_are_refused_by_the_parser(tiny_bank, tmp_path):
    for extra in (["--format", "docx"], ["--workers", "0"]):
        with pytest.raises(SystemExit) as exc:
            main(["report", "--data", str(tiny_bank), "--out", str(tmp_path), *extra])
        assert exc.value.code == 2


def test_the_installed_command_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "crmstudy.cli", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("crmstudy ")


def test_python_m_crmstudy_is_the_crmstudy_command(tmp_path, capsys):
    def module(*argv):
        return subprocess.run([sys.executable, "-m", "crmstudy", *argv], capture_output=True, text=True)

    version = module("--version")
    assert version.returncode == EXIT_OK and version.stdout == f"crmstudy {__version__}\n"
    assert module("--help").stdout.startswith("usage: crmstudy ")
    missing = module("validate", str(tmp_path / "nowhere"))
    assert missing.returncode == main(["validate", str(tmp_path / "nowhere")]) == EXIT_BAD_INPUT
    assert missing.stderr == capsys.readouterr().err, "the same one-line message"


def _documented_commands() -> list[str]:
    commands = []
    for doc in sorted((ROOT / "docs" / "scheduling").glob("*")):
        text = doc.read_text()
        for line in text.splitlines():
            if "crmstudy report" in line:
                cmd = line[line.index("crmstudy report") :].strip().rstrip("\"',")
                for shell_op in (">>", "2>&1", "|", "&&", ";"):  # the shell's part, not ours
                    cmd = cmd.split(shell_op)[0]
                commands.append(cmd.strip())
    return commands


def test_every_scheduling_example_calls_a_command_the_cli_accepts():
    commands = _documented_commands()
    assert len(commands) >= 3, "crontab, systemd and Airflow examples"
    parser = build_parser()
    for cmd in commands:
        args = parser.parse_args(shlex.split(cmd)[1:])
        assert args.command == "report"


def test_every_verb_explains_itself_with_examples_and_exit_codes(capsys):
    from crmstudy.commands import COMMANDS

    for command in COMMANDS:
        with pytest.raises(SystemExit):
            main([command.NAME, "--help"])
        text = capsys.readouterr().out
        assert "exit codes:" in text and "2 bad input" in text, command.NAME
        assert "examples:" in text and f"crmstudy {command.NAME}" in text, command.NAME


def test_lang_sets_every_reports_language_over_the_parameter_files(tiny_bank, tmp_path):
    from crmstudy.reports.pipeline.plan import prepare_run

    defaults = tmp_path / "defaults.yaml"
    defaults.write_text("language: en\n", encoding="utf-8")
    _, params = prepare_run(tiny_bank, params_file=defaults, language="zh")
    assert {p.language for p in params.values()} == {"zh"}
    _, params = prepare_run(tiny_bank, params_file=defaults)
    assert {p.language for p in params.values()} == {"en"}
