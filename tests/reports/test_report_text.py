"""Refactoring keeps the reports: the rendered text of a tiny-bank branch is what it was before the reshape.

The golden files in ``tests/fixtures/golden/`` were first rendered by crmstudy 0.1.0 before the package
took its present shape (commit 1762374) and held through the reshape; they were regenerated once,
deliberately, for the evidence gates (commit 9ab594d).  Only the provenance section (version, commit,
time) is left out of the comparison.  A deliberate change of wording or numbers regenerates them with
``python tests/reports/test_report_text.py`` and says why in the commit.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crmstudy import i18n

try:
    from .report_text import report_text
except ImportError:  # run as a script
    from report_text import report_text

pytestmark = pytest.mark.slow
GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
CASES = [("en", "B002"), ("zh", "B001")]


def render_text(bank: Path, out: Path, lang: str, branch: str) -> str:
    """Render one branch with the CLI (builtin engine, HTML) and return its text, provenance aside."""
    params = out / f"params_{lang}" / "defaults.yaml"
    params.parent.mkdir(parents=True, exist_ok=True)
    params.write_text(yaml.safe_dump({"language": lang}))
    reports = out / f"reports_{lang}"
    cmd = [
        sys.executable,
        "-m",
        "crmstudy.cli",
        "report",
        "--data",
        str(bank),
        "--out",
        str(reports),
        "--branches",
        branch,
        "--params",
        str(params),
        "--engine",
        "builtin",
        "--workers",
        "1",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    html = (reports / "latest" / f"{branch}.html").read_text(encoding="utf-8")
    return report_text(html, stop_at=i18n.t("provenance.heading", lang))


@pytest.mark.parametrize(("lang", "branch"), CASES)
def test_a_branch_report_reads_as_before_the_reshape(tiny_bank, tmp_path, lang, branch):
    want = (GOLDEN / f"{branch}_{lang}.txt").read_text(encoding="utf-8")
    got = render_text(tiny_bank, tmp_path, lang, branch)
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "before", "now", n=1))
    assert got == want, diff


if __name__ == "__main__":  # regenerate the golden files
    import tempfile

    from crmstudy.synth import preset_spec, synthesize

    with tempfile.TemporaryDirectory() as tmp:
        bank = Path(tmp) / "tiny"
        synthesize(preset_spec("tiny"), bank)
        for lang, branch in CASES:
            (GOLDEN / f"{branch}_{lang}.txt").write_text(render_text(bank, Path(tmp), lang, branch), encoding="utf-8")
