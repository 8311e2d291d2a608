"""Reports rendered once per session for the tests that read them as a reader would (browser, PDF)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def published(tiny_bank, tmp_path_factory) -> Path:
    """``latest/`` of a run over the tiny bank: B001 in Chinese, B002 in English, HTML and PDF, and the index."""
    from crmstudy.reports.pipeline import run_reports

    out = tmp_path_factory.mktemp("published")
    params = out / "params"
    (params / "branches").mkdir(parents=True)
    shutil.copy(ROOT / "params" / "defaults.yaml", params / "defaults.yaml")
    (params / "branches" / "B001.yaml").write_text(yaml.safe_dump({"language": "zh"}), encoding="utf-8")
    summary = run_reports(
        tiny_bank,
        out / "reports",
        branches="B001,B002",
        workers=2,
        engine="builtin",
        formats=("html", "pdf"),
        progress=False,
        params_file=params / "defaults.yaml",
    )
    assert not summary.failed, summary.table()
    return out / "reports" / "latest"
