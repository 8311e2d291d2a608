"""Publishing: ``latest`` switches to a complete snapshot in one step; a failed branch keeps its last good report.

A run killed at any point of publishing leaves ``latest`` as it was or fully switched, and it verifies.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from crmstudy.cli import main
from crmstudy.errors import EXIT_SOME_FAILED
from crmstudy.reports.pipeline import verify
from crmstudy.reports.pipeline.publish import SNAPSHOTS, prune_runs, remove_partial_publishing, switch_latest

from .fast_runs import fast_argv, hold, run_fast, sha, start_cli, statuses, wait_until

KILL_AT = Path(__file__).with_name("kill_at.py")


def _snapshot(out: Path, name: str, text: str) -> Path:
    snap = out / SNAPSHOTS / name
    snap.mkdir(parents=True)
    (snap / "index.html").write_text(text)
    return snap


def test_latest_is_a_relative_link_switched_to_the_new_snapshot(tmp_path):
    one, two = _snapshot(tmp_path, "r1", "one"), _snapshot(tmp_path, "r2", "two")
    switch_latest(tmp_path, one)
    assert os.readlink(tmp_path / "latest") == f"{SNAPSHOTS}/r1"
    assert (tmp_path / "latest" / "index.html").read_text() == "one"
    switch_latest(tmp_path, two)
    assert (tmp_path / "latest").resolve() == two.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", SNAPSHOTS], "no temporary link left"


def test_a_real_latest_folder_of_an_older_crmstudy_is_exchanged_for_the_link(tmp_path):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "index.html").write_text("old")
    switch_latest(tmp_path, _snapshot(tmp_path, "r1", "new"))
    assert (tmp_path / "latest").is_symlink() and (tmp_path / "latest" / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", SNAPSHOTS], "the old folder is gone"


def test_what_a_killed_publish_left_is_removed_and_latest_kept(tmp_path):
    switch_latest(tmp_path, _snapshot(tmp_path, "r1", "one"))
    _snapshot(tmp_path, ".partial-r2", "half")
    os.symlink(f"{SNAPSHOTS}/r1", tmp_path / ".latest-next-r2")
    remove_partial_publishing(tmp_path)
    assert sorted(p.name for p in (tmp_path / SNAPSHOTS).iterdir()) == ["r1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", SNAPSHOTS]


def test_snapshots_go_with_their_runs_but_never_the_one_latest_points_to(tmp_path):
    for run in ("r1", "r2", "r3"):
        (tmp_path / "runs" / run).mkdir(parents=True)
        _snapshot(tmp_path, run, run)
    _snapshot(tmp_path, "r0", "a run already pruned")
    switch_latest(tmp_path, tmp_path / SNAPSHOTS / "r1")
    (tmp_path / "latest" / "manifest.json").write_text(json.dumps({"run_id": "r1", "branches": {}}))
    assert sorted(prune_runs(tmp_path, keep=1, protect="r3")) == ["r2"]
    assert sorted(p.name for p in (tmp_path / SNAPSHOTS).iterdir()) == ["r1", "r3"]


@pytest.mark.slow
@pytest.mark.parametrize("point", ["building", "built", "linked", "published"])
def test_kill_9_at_any_point_of_publishing_leaves_a_latest_that_verifies(point, bank, tmp_path, first_run):
    out = tmp_path / "out"
    first_run(out, branches="B001")
    before = {p.name: sha(p) for p in (out / "latest").iterdir()}
    argv = fast_argv(out, bank, "--run-id", "r2", "--branches", "B001")
    done = subprocess.run([sys.executable, str(KILL_AT), point, *argv], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stderr
    checks = verify(out / "latest")
    assert checks and {state for _, state in checks} == {"ok"}, checks
    now = {p.name: sha(p) for p in (out / "latest").iterdir()}
    if point == "published":
        assert os.readlink(out / "latest") == f"{SNAPSHOTS}/r2"
        assert json.loads((out / "latest" / "manifest.json").read_text())["run_id"] == "r2"
    else:
        assert os.readlink(out / "latest") == f"{SNAPSHOTS}/r1" and now == before, "latest untouched"
    # the next run (nothing changed: B001 is taken from latest, not rendered again) cleans up and publishes
    after = run_fast(bank, out, run_id="r3", branches="B001")
    assert set(statuses(after).values()) == {"cached"}
    assert json.loads((out / "latest" / "manifest.json").read_text())["run_id"] == "r3"
    assert {state for _, state in verify(out / "latest")} == {"ok"}
    leftovers = [p for p in out.rglob(".*") if p.name != ".lock"] + list(out.glob("runs/*/_work"))
    assert leftovers == [], "the killed publish's partial snapshot, link and work folder are removed"


@pytest.mark.slow
def test_a_latest_folder_made_before_snapshots_is_migrated_with_its_reports(bank, tmp_path, first_run):
    out = tmp_path / "out"
    first_run(out)
    target = (out / "latest").resolve()
    (out / "latest").unlink()
    shutil.copytree(target, out / "latest")  # what an older crmstudy left: a real folder
    shutil.rmtree(out / SNAPSHOTS)
    summary = run_fast(bank, out, run_id="r2")  # nothing changed: both branches come from the old folder
    assert set(statuses(summary).values()) == {"cached"}
    assert (out / "latest").is_symlink()
    assert {state for _, state in verify(out / "latest")} == {"ok"}
    assert {"B001.html", "B002.html"} <= {p.name for p in (out / "latest").iterdir()}


@pytest.mark.slow
def test_a_failing_branch_keeps_its_last_good_report_marked_stale(bank, tmp_path, monkeypatch, capsys, first_run):
    out = tmp_path / "out"
    first_run(out)
    good = sha(out / "latest" / "B002.html")
    monkeypatch.setenv("CRMSTUDY_TEST_FAIL", "B002")
    code = main(fast_argv(out, bank, "--run-id", "r2"))
    printed = capsys.readouterr().out
    assert code == EXIT_SOME_FAILED
    assert "cell" in printed and "RuntimeError: planted failure in B002" in printed
    assert sha(out / "latest" / "B002.html") == good, "latest keeps the last good report"
    index = (out / "latest" / "index.html").read_text()
    assert "stale since" in index
    manifest = json.loads((out / "latest" / "manifest.json").read_text())
    assert manifest["branches"]["B002"]["stale"] is True
    assert manifest["branches"]["B001"]["stale"] is False
    assert (out / "runs" / "r2" / "notebooks" / "B002.ipynb").exists(), "the failed notebook is kept"
    assert "planted failure" in (out / "runs" / "r2" / "logs" / "B002.log").read_text()


@pytest.mark.slow
def test_kill_9_mid_run_leaves_latest_whole_and_the_lock_free(bank, tmp_path, first_run):
    out = tmp_path / "out"
    first_run(out)
    before = {p.name: sha(p) for p in (out / "latest").iterdir()}
    ready, release = tmp_path / "ready", tmp_path / "release"
    victim = start_cli(out, bank, "--run-id", "r2", "--branches", "B001,B002", env=hold(ready, release))
    try:
        wait_until(ready.exists, victim, "a branch running")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        release.touch()  # the killed run's workers finish on their own, into its run folder only
    assert {p.name: sha(p) for p in (out / "latest").iterdir()} == before, "latest unchanged"
    assert not [p for p in (out / "latest").iterdir() if p.name.startswith(".")], "no partial files"
    after = run_fast(bank, out, run_id="r3", force=True)  # the lock is free without --wait
    assert set(statuses(after).values()) == {"ok"}


@pytest.mark.slow
def test_keep_removes_old_runs(bank, tmp_path):
    out = tmp_path / "out"
    for i in range(3):
        run_fast(bank, out, run_id=f"r{i}", branches="B001", keep=2, force=True)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["r1", "r2"]
