"""--keep N removes old run folders, but never one that latest/ still refers to."""

from __future__ import annotations

import json

from crmstudy.reports.pipeline import prune_runs


def test_keep_spares_the_runs_latest_refers_to(tmp_path):
    for run in ("r0", "r1", "r2", "r3"):
        (tmp_path / "runs" / run / "logs").mkdir(parents=True)
    (tmp_path / "latest").mkdir()
    manifest = {"run_id": "r3", "branches": {"B001": {"run_id": "r3"}, "B002": {"run_id": "r0", "stale": True}}}
    (tmp_path / "latest" / "manifest.json").write_text(json.dumps(manifest))
    removed = prune_runs(tmp_path, keep=1, protect="r3")
    assert sorted(removed) == ["r1", "r2"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["r0", "r3"], "B002's evidence is kept"


def test_without_a_manifest_keep_counts_only(tmp_path):
    for run in ("r0", "r1", "r2"):
        (tmp_path / "runs" / run).mkdir(parents=True)
    assert sorted(prune_runs(tmp_path, keep=2)) == ["r0"]
