"""Reports rendered once per session for the tests that read them as a reader would (browser, PDF)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ..conftest import shared_once

ROOT = Path(__file__).resolve().parents[2]


#: The period of the run before ``published``: its reports are the "last report" the published ones compare with.
EARLIER_END = "2025-09-30"


@pytest.fixture(scope="session")
def published(tiny_bank, tmp_path_factory) -> Path:
    """``latest/`` of a run over the tiny bank: B001 in Chinese, B002 in English, HTML and PDF, and the index.

    It is the second run on its folder: the first (``runs/before/``, HTML only) covered the year to
    :data:`EARLIER_END`, so each report and the index compare the branch with that report.  Made once
    for the whole test run (every xdist worker reads the same folder, :func:`tests.conftest.shared_once`):
    the browser, PDF, words and index tests only read it.
    """
    return shared_once(tmp_path_factory, "published", lambda out: _publish(tiny_bank, out))


def _publish(tiny_bank, out: Path) -> Path:
    from crmstudy.reports.pipeline import run_reports

    for name, end in (("params_before", EARLIER_END), ("params", None)):
        params = out / name
        (params / "branches").mkdir(parents=True)
        defaults = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8"))
        defaults["period"]["end"] = end
        (params / "defaults.yaml").write_text(yaml.safe_dump(defaults, allow_unicode=True), encoding="utf-8")
        (params / "branches" / "B001.yaml").write_text(yaml.safe_dump({"language": "zh"}), encoding="utf-8")
    for run_id, params, formats in (("before", "params_before", ("html",)), ("now", "params", ("html", "pdf"))):
        summary = run_reports(
            tiny_bank,
            out / "reports",
            branches="B001,B002",
            workers=2,
            engine="builtin",
            formats=formats,
            progress=False,
            run_id=run_id,
            params_file=out / params / "defaults.yaml",
        )
        assert not summary.failed, summary.table()
    return out / "reports" / "latest"


@pytest.fixture(scope="session")
def b002_run(tiny_bank, tmp_path_factory):
    """``(bank, out, summary)`` of one run of the report notebook over the tiny bank's B002 alone (HTML).

    The default parameters file, one worker, run id ``test``; made once for the whole test run
    (:func:`tests.conftest.shared_once`) and only read: the end-to-end and findings tests check it.
    """
    out, summary = shared_once(tmp_path_factory, "b002_run", lambda out: (out, _run_b002(tiny_bank, out)))
    return tiny_bank, out, summary


def _run_b002(tiny_bank, out: Path):
    from crmstudy.reports.pipeline import run_reports

    return run_reports(
        tiny_bank,
        out,
        branches="B002",
        workers=1,
        params_file=ROOT / "params" / "defaults.yaml",
        engine="builtin",
        run_id="test",
        progress=False,
    )
