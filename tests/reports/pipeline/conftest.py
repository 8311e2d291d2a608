"""Fixtures of the run machinery's tests: a private bank and a parameters folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ...conftest import shared_once
from .fast_runs import ROOT, run_fast, statuses


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


@pytest.fixture(scope="session")
def first_run(tiny_bank, tmp_path_factory):
    """``first_run(out, branches="B001,B002")``: ``out`` as a first run ``r1`` of the fast notebook left it.

    Each distinct first run is made once for the whole test run (:func:`tests.conftest.shared_once`, every
    xdist worker reads it) and copied, links as links, into each test's folder: the tests that kill, fail or
    edit a later run start from the same state without paying for the same run again.  The copy's manifest
    names the first run's own bank and log files (a copy of the tiny bank, the same bytes).
    """

    def make(root: Path, branches: str) -> Path:
        bank = root / "bank"
        shutil.copytree(tiny_bank, bank)
        summary = run_fast(bank, root / "out", run_id="r1", branches=branches)
        assert set(statuses(summary).values()) == {"ok"}, summary.table()
        return root / "out"

    def copy(out: Path, branches: str = "B001,B002") -> None:
        made = shared_once(tmp_path_factory, f"first_run-{branches}", lambda root: make(root, branches))
        shutil.copytree(made, out, symlinks=True)

    return copy
