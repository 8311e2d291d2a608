"""Manifests follow their JSON schema, and ``verify`` finds a report changed after the run."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from crmstudy.cli import main
from crmstudy.errors import EXIT_OK, EXIT_SOME_FAILED
from crmstudy.reports.pipeline import MANIFEST_SCHEMA, verify

from .fast_runs import run_fast

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def test_manifests_validate_against_the_json_schema(bank, tmp_path, monkeypatch):
    from crmstudy.reports.pipeline import shared

    monkeypatch.setattr(shared, "SHARED_IN_CHILD_ABOVE", 0)  # as on a large bank: shared work in a child process
    run_fast(bank, tmp_path / "out", run_id="r1")
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


def test_verify_finds_a_report_changed_after_the_run(tmp_path, capsys, first_run):
    out = tmp_path / "out"
    first_run(out)
    assert {state for _, state in verify(out / "latest")} == {"ok"}
    with open(out / "latest" / "B002.html", "a") as f:
        f.write("<!-- edited -->")
    assert dict(verify(out / "latest"))["B002.html"] == "changed"
    assert main(["verify", str(out / "latest")]) == EXIT_SOME_FAILED
    assert "changed  B002.html" in capsys.readouterr().out
    assert main(["verify", str(out / "runs" / "r1")]) == EXIT_OK
