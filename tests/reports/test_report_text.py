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


def render_texts(bank: Path, out: Path) -> dict[tuple[str, str], str]:
    """Render every case's branch in one CLI run (builtin engine, HTML), each in its language.

    The defaults file says English and ``branches/<id>.yaml`` the language of every other case, as a bank
    with branches in two languages is set up.  Returns each case's text, provenance aside.
    """
    params = out / "params" / "defaults.yaml"
    (params.parent / "branches").mkdir(parents=True, exist_ok=True)
    params.write_text(yaml.safe_dump({"language": "en"}))
    for lang, branch in CASES:
        if lang != "en":
            (params.parent / "branches" / f"{branch}.yaml").write_text(yaml.safe_dump({"language": lang}))
    reports = out / "reports"
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
        ",".join(branch for _, branch in CASES),
        "--params",
        str(params),
        "--engine",
        "builtin",
        "--workers",
        str(len(CASES)),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    texts = {}
    for lang, branch in CASES:
        html = (reports / "latest" / f"{branch}.html").read_text(encoding="utf-8")
        texts[lang, branch] = report_text(html, stop_at=i18n.t("provenance.heading", lang))
    return texts


@pytest.fixture(scope="module")
def rendered(tiny_bank, tmp_path_factory):
    """Both cases rendered once, in one run of the command (a shared step, not one per case)."""
    return render_texts(tiny_bank, tmp_path_factory.mktemp("report_text"))


@pytest.mark.parametrize(("lang", "branch"), CASES)
def test_a_branch_report_reads_as_before_the_reshape(rendered, lang, branch):
    want = (GOLDEN / f"{branch}_{lang}.txt").read_text(encoding="utf-8")
    got = rendered[lang, branch]
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "before", "now", n=1))
    assert got == want, diff


if __name__ == "__main__":  # regenerate the golden files
    import tempfile

    from crmstudy.synth import preset_spec, synthesize

    with tempfile.TemporaryDirectory() as tmp:
        bank = Path(tmp) / "tiny"
        synthesize(preset_spec("tiny"), bank)
        for (lang, branch), text in render_texts(bank, Path(tmp)).items():
            (GOLDEN / f"{branch}_{lang}.txt").write_text(text, encoding="utf-8")
