"""A branch is rendered again only when its cache key changes: the same command twice renders nothing."""

from __future__ import annotations

import pytest

from .fast_runs import run_fast, sha, statuses

#: Each test runs the CLI over real report runs (kernels, renders): the full suite, not the fast lane.
pytestmark = pytest.mark.slow


def test_the_same_command_twice_renders_nothing_the_second_time(bank, params, tmp_path):
    first = run_fast(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r1")
    assert set(statuses(first).values()) == {"ok"}
    before = {p.name: sha(p) for p in (tmp_path / "out" / "latest").glob("B*.html")}
    second = run_fast(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r2")
    assert set(statuses(second).values()) == {"cached"}
    assert not list((tmp_path / "out" / "runs" / "r2").glob("B*.html")), "nothing was rendered"
    assert before == {p.name: sha(p) for p in (tmp_path / "out" / "latest").glob("B*.html")}
    forced = run_fast(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r3", force=True)
    assert set(statuses(forced).values()) == {"ok"}


def test_changing_one_branch_override_renders_that_branch_only(bank, params, tmp_path):
    run_fast(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r1")
    (params / "branches" / "B002.yaml").write_text("tiers:\n  key: 600000\n")
    again = run_fast(bank, tmp_path / "out", params_file=params / "defaults.yaml", run_id="r2")
    assert statuses(again) == {"B001": "cached", "B002": "ok"}


def test_changing_the_data_renders_every_branch(bank, tmp_path):
    from crmstudy.synth import preset_spec, synthesize

    run_fast(bank, tmp_path / "out", run_id="r1")
    synthesize(preset_spec("tiny", seed=1), bank)
    again = run_fast(bank, tmp_path / "out", run_id="r2")
    assert set(statuses(again).values()) == {"ok"}
