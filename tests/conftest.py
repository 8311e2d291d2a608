"""Shared fixtures: synthetic banks generated once per test session.

The tiny bank (3 branches, 1,500 customers) costs about half a second and is
the default for every test.  The demo bank (8 branches, 20,000 customers)
costs several seconds; use ``demo_features`` only where the tiny bank is too
small to show a property (realism figures, planted effects at useful power).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmstudy.features import customer_features
from crmstudy.synth import generate_bank, preset_spec, synthesize


@pytest.fixture(scope="session")
def tiny_bank(tmp_path_factory) -> Path:
    """A tiny synthetic bank written as Parquet: ``<dir>/<table>.parquet`` + ``bank.json``."""
    out = tmp_path_factory.mktemp("tiny_bank")
    synthesize(preset_spec("tiny"), out)
    return out


@pytest.fixture(scope="session")
def tiny_null_bank(tmp_path_factory) -> Path:
    """The tiny bank with every planted effect switched off (``null=True``)."""
    out = tmp_path_factory.mktemp("tiny_null_bank")
    synthesize(preset_spec("tiny", null=True), out)
    return out


@pytest.fixture(scope="session")
def tiny_tables() -> dict[str, pd.DataFrame]:
    """The tiny bank's tables in memory (including ``truth``); do not mutate, copy first."""
    return generate_bank(preset_spec("tiny"))


@pytest.fixture(scope="session")
def demo_bank(tmp_path_factory) -> Path:
    """The demo bank (20,000 customers) written once per session."""
    out = tmp_path_factory.mktemp("demo_bank")
    synthesize(preset_spec("demo"), out)
    return out


@pytest.fixture(scope="session")
def demo_features(demo_bank) -> pd.DataFrame:
    """``customer_features`` of the demo bank over its own period (one row per customer)."""
    return customer_features(demo_bank)


@pytest.fixture(scope="session")
def demo_tables(demo_bank) -> dict[str, pd.DataFrame]:
    """The demo bank's tables read back from Parquet (already validated when written)."""
    return {p.stem: pd.read_parquet(p) for p in sorted(demo_bank.glob("*.parquet"))}
