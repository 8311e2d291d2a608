"""Report runs that are safe to schedule: incremental, locked, never publishing a broken report.

These tests use a fast stand-in notebook (tests/fixtures/fast_report.ipynb), so
that they exercise the run machinery, not the analysis.  Environment variables
reach the notebook's kernel: ``CRMSTUDY_TEST_SLEEP`` (seconds) and
``CRMSTUDY_TEST_FAIL`` (branch ids that raise).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from crmstudy.cli import build_parser, main
from crmstudy.errors import EXIT_LOCKED, EXIT_OK, EXIT_SOME_FAILED
from crmstudy.reports.pipeline import MANIFEST_SCHEMA, run_reports, verify

ROOT = Path(__file__).resolve().parents[1]
FAST = ROOT / "tests" / "fixtures" / "fast_report.ipynb"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(bank, out, **kw):
    kw.setdefault("branches", "B001,B002")  # two branches show every behaviour, at half the cost
    kw.setdefault("notebook", FAST)
    kw.setdefault("engine", "builtin")
    kw.setdefault("progress", False)
    kw.setdefault("workers", 2)
    return run_reports(bank, out, **kw)


def _statuses(summary):
    return {r.branch_id: r.status for r in summary.results}


@pytest.fixture()
def bank(tiny_bank, tmp_path):
    """A private copy of the tiny bank, so a test may change it."""
    dst = tmp_path / "bank"
    shutil.copytree(tiny_bank, dst)
    return dst


@pytest.fixture()
def params(tmp_path):
    d = tmp_path / "params"
    (d / "branches").mkdir(parents=True)
    shutil.copy(ROOT / "params" / "defaults.yaml", d / "defaults.yaml")
    return d


def test_manifests_validate_against_the_json_schema(bank, tmp_path, monkeypatch):
    from crmstudy.reports.pipeline import shared

    monkeypatch.setattr(shared, "SHARED_IN_CHILD_ABOVE", 0)  # as on a large bank: shared work in a child process
    _run(bank, tmp_path / "out", run_id="r1")
    schema = json.loads(MANIFEST_SCHEMA.read_text())
    for folder in (tmp_path / "out" / "runs" / "r1", tmp_path / "out" / "latest"):
        manifest = json.loads((folder / "manifest.json").read_text())
        jsonschema.validate(manifest, schema)
        assert set(manifest["branches"]) == {"B001", "B002"}
        b = manifest["branches"]["B001"]
        assert b["status"] == "ok" and len(b["files"][0]["sha256"]) == 64
        assert b["input_fingerprint"] == manifest["data_fingerprint"]
        assert Path(b["log"]).exists()
        assert 0 < manifest["shared_seconds"] < manifest["seconds"], "the once-per-run work is timed apart"


def test_the_same_command_twice_renders_nothing_the_second_time(bank, params, tmp_path):
    first = _run(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r1")
    assert set(_statuses(first).values()) == {"ok"}
    before = {p.name: _sha(p) for p in (tmp_path / "out" / "latest").glob("B*.html")}
    second = _run(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r2")
    assert set(_statuses(second).values()) == {"cached"}
    assert not list((tmp_path / "out" / "runs" / "r2").glob("B*.html")), "nothing was rendered"
    assert before == {p.name: _sha(p) for p in (tmp_path / "out" / "latest").glob("B*.html")}
    forced = _run(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r3", force=True)
    assert set(_statuses(forced).values()) == {"ok"}


def test_changing_one_branch_override_renders_that_branch_only(bank, params, tmp_path):
    _run(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r1")
    (params / "branches" / "B002.yaml").write_text("tiers:\n  key: 600000\n")
    again = _run(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r2")
    assert _statuses(again) == {"B001": "cached", "B002": "ok"}


def test_changing_the_data_renders_every_branch(bank, tmp_path):
    from crmstudy.synth import preset_spec, synthesize

    _run(bank, tmp_path / "out", run_id="r1")
    synthesize(preset_spec("tiny", seed=1), bank)
    again = _run(bank, tmp_path / "out", run_id="r2")
    assert set(_statuses(again).values()) == {"ok"}


def test_a_failing_branch_keeps_its_last_good_report_marked_stale(bank, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    _run(bank, out, run_id="r1")
    good = _sha(out / "latest" / "B002.html")
    monkeypatch.setenv("CRMSTUDY_TEST_FAIL", "B002")
    code = main(["report", "--data", str(bank), "--out", str(out), "--notebook", str(FAST), "--engine", "builtin",
                 "--force", "--no-progress", "--run-id", "r2"])
    printed = capsys.readouterr().out
    assert code == EXIT_SOME_FAILED
    assert "cell" in printed and "RuntimeError: planted failure in B002" in printed
    assert _sha(out / "latest" / "B002.html") == good, "latest keeps the last good report"
    index = (out / "latest" / "index.html").read_text()
    assert "stale since" in index
    manifest = json.loads((out / "latest" / "manifest.json").read_text())
    assert manifest["branches"]["B002"]["stale"] is True
    assert manifest["branches"]["B001"]["stale"] is False
    assert (out / "runs" / "r2" / "_work" / "B002.ipynb").exists(), "the failed notebook is kept"
    assert "planted failure" in (out / "runs" / "r2" / "logs" / "B002.log").read_text()


def test_a_branch_over_its_timeout_is_killed_and_retried(bank, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMSTUDY_TEST_SLEEP", "60")
    summary = _run(bank, tmp_path / "out", branches="B001", timeout=4, retries=1, workers=1)
    r = summary.results[0]
    assert r.status == "failed" and "timed out after 4 s" in r.error
    assert r.attempts == 2


def _cli(out, bank, *extra, env=None):
    cmd = [sys.executable, "-m", "crmstudy.cli", "report", "--data", str(bank), "--out", str(out),
           "--notebook", str(FAST), "--engine", "builtin", "--no-progress", "--force", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def test_two_runs_started_together_give_one_run_and_one_clean_refusal(bank, tmp_path):
    out = tmp_path / "out"
    env = {"CRMSTUDY_TEST_SLEEP": "3"}
    a = _cli(out, bank, "--branches", "B001", env=env)
    time.sleep(1.0)
    b = _cli(out, bank, "--branches", "B001", env=env)
    codes = sorted([a.wait(timeout=120), b.wait(timeout=120)])
    assert codes == [EXIT_OK, EXIT_LOCKED]
    refused = a if a.returncode == EXIT_LOCKED else b
    err = refused.stderr.read().strip()
    assert "\n" not in err and "another report run" in err and "--wait" in err


def test_wait_queues_behind_a_running_run(bank, tmp_path):
    out = tmp_path / "out"
    env = {"CRMSTUDY_TEST_SLEEP": "2"}
    a = _cli(out, bank, "--branches", "B001", env=env)
    time.sleep(1.0)
    b = _cli(out, bank, "--branches", "B001", "--wait", env=env)
    assert [a.wait(timeout=120), b.wait(timeout=120)] == [EXIT_OK, EXIT_OK]


def test_kill_9_mid_run_leaves_latest_whole_and_the_lock_free(bank, tmp_path):
    out = tmp_path / "out"
    _run(bank, out, run_id="r1")
    before = {p.name: _sha(p) for p in (out / "latest").iterdir()}
    victim = _cli(out, bank, "--run-id", "r2", "--branches", "B001,B002", env={"CRMSTUDY_TEST_SLEEP": "8"})
    deadline = time.time() + 60
    while not list((out / "runs" / "r2" / "_work").glob("*.job.json")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert {p.name: _sha(p) for p in (out / "latest").iterdir()} == before, "latest unchanged"
    assert not [p for p in (out / "latest").iterdir() if p.name.startswith(".")], "no partial files"
    after = _run(bank, out, run_id="r3", force=True)  # the lock is free without --wait
    assert set(_statuses(after).values()) == {"ok"}


def test_keep_removes_old_runs(bank, tmp_path):
    out = tmp_path / "out"
    for i in range(3):
        _run(bank, out, run_id=f"r{i}", branches="B001", keep=2, force=True)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["r1", "r2"]


def test_verify_finds_a_report_changed_after_the_run(bank, tmp_path, capsys):
    out = tmp_path / "out"
    _run(bank, out, run_id="r1")
    assert {state for _, state in verify(out / "latest")} == {"ok"}
    with open(out / "latest" / "B002.html", "a") as f:
        f.write("<!-- edited -->")
    assert dict(verify(out / "latest"))["B002.html"] == "changed"
    assert main(["verify", str(out / "latest")]) == EXIT_SOME_FAILED
    assert "changed  B002.html" in capsys.readouterr().out
    assert main(["verify", str(out / "runs" / "r1")]) == EXIT_OK


def _documented_commands() -> list[str]:
    commands = []
    for doc in sorted((ROOT / "docs" / "scheduling").glob("*")):
        text = doc.read_text()
        for line in text.splitlines():
            if "crmstudy report" in line:
                cmd = line[line.index("crmstudy report"):].strip().rstrip("\"',")
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
