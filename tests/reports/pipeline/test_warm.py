"""Warm kernels (crmstudy.reports.pipeline.warm): a branch rendered after another in one kernel is the
same report as the branch rendered alone, nothing of the first branch is reachable in the second, and a
failed branch's kernel is never reused.

The real report notebook is run on the tiny bank with one extra cell at the end (a probe) that records,
from inside the kernel, the kernel's process id and every object of the package's report types or of
another branch's customers that the garbage collector can reach.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from crmstudy.reports.pipeline import run_reports
from crmstudy.reports.pipeline.plan import DEFAULT_NOTEBOOK

PROBE = """
import gc, json, os, pandas as pd
from crmstudy.reports.context import BranchContext
from crmstudy.reports.sections.base import Section
if branch_id in os.environ.get("CRMSTUDY_TEST_FAIL", "").split(","):
    raise RuntimeError("this branch fails on purpose")
_cust = pd.read_parquet(os.path.join(data_dir, "customers.parquet"), columns=["customer_id", "branch_id"])
_others = {b: set(g["customer_id"]) for b, g in _cust.groupby("branch_id") if b != branch_id}
_found = {"contexts": [], "sections": 0, "frames_of": []}
for _o in gc.get_objects():
    if isinstance(_o, BranchContext):
        _found["contexts"].append(_o.branch_id)
    elif isinstance(_o, Section):
        _found["sections"] += 1
    elif isinstance(_o, (pd.DataFrame, pd.Series)):
        try:
            _ids = _o["customer_id"] if isinstance(_o, pd.DataFrame) else (_o if _o.name == "customer_id" else None)
        except (KeyError, TypeError):
            _ids = None
        if _ids is not None and len(_ids):
            _s = set(_ids.dropna())
            _found["frames_of"] += [b for b, ids in _others.items() if _s and _s <= ids]
_found["pid"] = os.getpid()
with open(os.path.join(os.environ["CRMSTUDY_TEST_PROBE"], branch_id + ".json"), "w") as _f:
    json.dump(_found, _f)
"""


@pytest.fixture()
def probe_notebook(tmp_path):
    nb = nbformat.read(DEFAULT_NOTEBOOK, as_version=4)
    cell = nbformat.v4.new_code_cell(PROBE)
    cell.metadata["tags"] = ["remove-cell"]
    nb.cells.append(cell)
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _render(bank, out, notebook, branches, probe, monkeypatch, fail=""):
    probe.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("CRMSTUDY_TEST_PROBE", str(probe))
    monkeypatch.setenv("CRMSTUDY_TEST_FAIL", fail)
    return run_reports(
        bank, out, branches=branches, workers=1, notebook=notebook, engine="builtin", progress=False, force=True
    )


def _without_provenance(html: str) -> str:
    """The report with the times in its provenance section masked (the only part that may differ)."""
    head, sep, tail = html.partition('id="how-this-report-was-made"')
    assert sep, "the report has a provenance section"
    tail = re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}| ?[A-Z]{2,5})?", "<time>", tail)
    tail = re.sub(r"\d{1,2}:\d{2}(:\d{2})?", "<time>", tail)
    return head + sep + tail


@pytest.mark.slow
def test_a_branch_after_another_in_one_kernel_is_the_branch_alone(bank, tmp_path, probe_notebook, monkeypatch):
    warm = _render(bank, tmp_path / "warm", probe_notebook, "B001,B002", tmp_path / "probe_warm", monkeypatch)
    alone = _render(bank, tmp_path / "alone", probe_notebook, "B002", tmp_path / "probe_alone", monkeypatch)
    assert {b.branch_id: b.status for b in warm.results} == {"B001": "ok", "B002": "ok"}
    assert [b.status for b in alone.results] == ["ok"]

    first, after = (json.loads((tmp_path / "probe_warm" / f"{b}.json").read_text()) for b in ("B001", "B002"))
    by_itself = json.loads((tmp_path / "probe_alone" / "B002.json").read_text())
    assert after["pid"] == first["pid"], "B002 ran in B001's kernel (one warm kernel per worker)"
    assert by_itself["pid"] != after["pid"]
    # nothing of B001 reachable in B002's kernel: no context, no frame of B001's customers only,
    # no more sections alive than when B002 is rendered alone
    assert after["contexts"] == ["B002"] and by_itself["contexts"] == ["B002"]
    assert "B001" not in after["frames_of"]
    assert after["sections"] == by_itself["sections"]
    assert sorted(after["frames_of"]) == sorted(by_itself["frames_of"])

    html_after = (warm.run_dir / "B002.html").read_text()
    html_alone = (alone.run_dir / "B002.html").read_text()
    assert _without_provenance(html_after) == _without_provenance(html_alone)
    # the downloads of the report too, byte for byte
    for f in sorted(alone.run_dir.glob("B002.*.csv")):
        assert (warm.run_dir / f.name).read_bytes() == f.read_bytes()


@pytest.mark.slow
def test_a_failed_branch_kernel_is_not_reused(bank, tmp_path, probe_notebook, monkeypatch):
    run = _render(bank, tmp_path / "out", probe_notebook, "B001,B002,B003", tmp_path / "probe", monkeypatch, "B002")
    assert {b.branch_id: b.status for b in run.results} == {"B001": "ok", "B002": "failed", "B003": "ok"}
    pids = {b: json.loads((tmp_path / "probe" / f"{b}.json").read_text())["pid"] for b in ("B001", "B003")}
    assert not (tmp_path / "probe" / "B002.json").exists()
    assert pids["B003"] != pids["B001"], "the branch after a failure ran in a new kernel"
