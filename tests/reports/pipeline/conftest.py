"""Fixtures of the run machinery's tests: a private bank and a parameters folder."""

from __future__ import annotations

import shutil

import pytest

from .fast_runs import ROOT


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
