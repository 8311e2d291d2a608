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


def shared_bank(tmp_path_factory, preset: str, **spec) -> Path:
    """The bank of ``preset_spec(preset, **spec)``, generated once for the whole test run.

    pytest-xdist runs a session fixture once per worker; the workers share the parent of their
    base temporary folders, so the first worker to need a bank generates it there (under a file
    lock, into a temporary folder renamed into place) and the others read it.  The bank is
    read-only by convention, like every session fixture: copy it before changing it.
    """
    import fcntl
    import os
    import shutil

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared_banks"
    root.mkdir(exist_ok=True)
    name = "-".join([preset, *(f"{k}={v}" for k, v in sorted(spec.items()))]).replace("/", "_")
    folder = root / name
    with open(root / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "bank.json").exists():
            tmp = root / f".{name}.{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            synthesize(preset_spec(preset, **spec), tmp)
            os.replace(tmp, folder)
    return folder


def shared_once(tmp_path_factory, name: str, build):
    """``build(folder)``'s value, computed once for the whole test run (all xdist workers) and kept on disk.

    As :func:`shared_bank` does for banks: the first worker to ask builds ``folder`` (under a file lock,
    in place, so that absolute paths written into it stay true) and pickles what ``build`` returned
    beside it; the others, and every later ask, read that.  A build that failed or was interrupted
    leaves no value, so the next ask starts over in an empty folder.  The folder is read-only by
    convention: copy it before changing it.
    """
    import fcntl
    import os
    import pickle
    import shutil

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared_once"
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f"{name}.pickle"
    with open(root / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            value = build(folder)
            tmp = root / f".{name}.{os.getpid()}.pickle"
            tmp.write_bytes(pickle.dumps(value))
            os.replace(tmp, done)
        return pickle.loads(done.read_bytes())


@pytest.fixture(scope="session")
def tiny_bank(tmp_path_factory) -> Path:
    """A tiny synthetic bank written as Parquet: ``<dir>/<table>.parquet`` + ``bank.json``."""
    return shared_bank(tmp_path_factory, "tiny")


@pytest.fixture(scope="session")
def tiny_null_bank(tmp_path_factory) -> Path:
    """The tiny bank with every planted effect switched off (``null=True``)."""
    return shared_bank(tmp_path_factory, "tiny", null=True)


@pytest.fixture(scope="session")
def tiny_null_banks(tmp_path_factory):
    """``tiny_null_banks(seed)``: the tiny null bank of that seed, generated once for the test run."""
    return lambda seed: shared_bank(tmp_path_factory, "tiny", null=True, seed=seed)


#: The generator's wealth and channel law before the realism defaults (issue 16): median 30k, no Pareto
#: top, no near-empty accounts, branch business kept at the branch.
PRE_REALISM_LAW = {
    "wealth_median": 30_000,
    "wealth_top_share": 0.0,
    "near_empty_share": 0.0,
    "branch_channel_keep": 1.0,
}


@pytest.fixture(scope="session")
def tiny_footprint_bank(tmp_path_factory) -> Path:
    """The tiny bank under :data:`PRE_REALISM_LAW`, where the footprint value card beats balances.

    Under the realistic defaults the tiny bank's 1,500 customers are too few for footprints to add to
    what balances say (the gate shows no list, rightly); tests of how a list reads use this bank.
    """
    return shared_bank(tmp_path_factory, "tiny", **PRE_REALISM_LAW)


@pytest.fixture(scope="session")
def tiny_tables() -> dict[str, pd.DataFrame]:
    """The tiny bank's tables in memory (including ``truth``); do not mutate, copy first."""
    return generate_bank(preset_spec("tiny"))


@pytest.fixture(scope="session")
def demo_bank(tmp_path_factory) -> Path:
    """The demo bank (20,000 customers) written once per session."""
    return shared_bank(tmp_path_factory, "demo")


@pytest.fixture(scope="session")
def demo_null_bank(tmp_path_factory) -> Path:
    """The demo bank with every planted effect switched off, written once for the test run."""
    return shared_bank(tmp_path_factory, "demo", null=True)


@pytest.fixture(scope="session")
def demo_features(demo_bank) -> pd.DataFrame:
    """``customer_features`` of the demo bank over its own period (one row per customer)."""
    return customer_features(demo_bank)


@pytest.fixture(scope="session")
def demo_tables(demo_bank) -> dict[str, pd.DataFrame]:
    """The demo bank's tables read back from Parquet (already validated when written)."""
    return {p.stem: pd.read_parquet(p) for p in sorted(demo_bank.glob("*.parquet"))}


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole worker (each new one starts a JVM, 10-20 s), stopped at its end.

    pyspark and Java 17 are test requirements: without Java the tests that use it fail rather than skip.
    Keep what a test does to the session to itself (its own temporary views, databases dropped after).
    """
    import os
    import shutil

    from crmstudy import feature_defs as fd

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("Java not found: pyspark 4 needs Java 17 or later (Debian: openjdk-17-jre-headless)")
    session = fd.spark_session()
    yield session
    session.stop()


@pytest.fixture()
def small_disk(tmp_path):
    """``small_disk(size)``: a folder on a tmpfs of ``size`` (e.g. ``"2m"``), unmounted after the test.

    Mounting needs root (or CAP_SYS_ADMIN); where the machine refuses, the test is skipped and
    says why (a skip is not a pass).
    """
    import os
    import subprocess

    mounted = []

    def make(size: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("a full disk is simulated with a small tmpfs, which needs root to mount")
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        mounted.append(point)
        return point

    yield make
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(folder: Path) -> None:
    """Fill the file system ``folder`` is on until it refuses another byte."""
    import contextlib

    with open(folder / "filler", "wb", buffering=0) as f:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * size)


#: Fixtures that generate or read a demo-size bank (20,000 customers or more): a test that needs one
#: takes seconds to minutes, so it runs in ``./make.sh test`` and not in the fast lane.
BANK_SCALE_FIXTURES = frozenset(
    {"demo_bank", "demo_features", "demo_tables", "demo_null_bank", "null_oot", "null_cells"}
)


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that needs a demo-size bank (:data:`BANK_SCALE_FIXTURES`)."""
    for item in items:
        if BANK_SCALE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
