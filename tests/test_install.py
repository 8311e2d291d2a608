"""A normal (non-editable) install renders a report: the notebooks ship as package data.

The slow test builds a wheel from a copy of the package's sources, installs it
into a fresh virtualenv and renders a tiny bank's branch report there, from a
folder outside the repository.  The new venv borrows this one's third-party
packages (a ``.pth`` line, as ``--system-site-packages`` would), which saves
downloading them; a ``.pth`` line adds a folder without running the ``.pth``
files inside it, so this venv's editable crmstudy stays out.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "crmstudy" / "notebooks"


def test_the_notebooks_folder_links_to_the_packaged_notebooks():
    for name in ("branch_report.ipynb", "training"):
        link = ROOT / "notebooks" / name
        assert link.is_symlink() and not os.path.isabs(os.readlink(link)), f"{link}: a relative symlink"
        assert link.resolve() == (PACKAGED / name).resolve()
    assert (ROOT / "notebooks" / "explore.ipynb").is_file() and not (ROOT / "notebooks" / "explore.ipynb").is_symlink()


def test_package_data_holds_every_packaged_notebook():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["crmstudy"]
    books = [
        p.relative_to(ROOT / "crmstudy").as_posix()
        for p in PACKAGED.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    ]
    assert len(books) >= 13, "the branch report and the curriculum"
    assert [b for b in books if not any(fnmatch.fnmatch(b, g) for g in globs)] == []


def _run(cmd, **kw) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_a_wheel_installed_in_a_fresh_venv_renders_a_branch_report(tmp_path):
    src = tmp_path / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT / "crmstudy", src / "crmstudy", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp_path / "wheels", src])
    (wheel,) = (tmp_path / "wheels").glob("crmstudy-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv])
    python, bindir = venv / "bin" / "python", venv / "bin"
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel])
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip()
    # after the install, so that pip never sees this venv's crmstudy; appended after the venv's own packages
    Path(site, "borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    work = tmp_path / "work"  # outside the repository: no crmstudy/ and no params/ in the current folder
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"  # as after `source venv/bin/activate`
    where = _run([python, "-c", "import crmstudy; print(crmstudy.__file__)"], cwd=work, env=env).strip()
    assert Path(where).is_relative_to(venv), f"the installed crmstudy is imported, not {where}"
    kernel = _run(
        [
            python,
            "-c",
            "from jupyter_client.kernelspec import KernelSpecManager as M; "
            "print(M().get_kernel_spec('python3').argv[0])",
        ],
        cwd=work,
        env=env,
    ).strip()
    kernel_crmstudy = _run(
        [shutil.which(kernel, path=env["PATH"]), "-c", "import crmstudy; print(crmstudy.__file__)"], cwd=work, env=env
    ).strip()
    assert Path(kernel_crmstudy).is_relative_to(venv), "the notebooks' kernel imports the installed crmstudy too"
    assert _run([python, "-m", "crmstudy", "--version"], cwd=work, env=env).startswith("crmstudy ")

    _run([bindir / "crmstudy", "synth", "--preset", "tiny", "--out", "D"], cwd=work, env=env)
    printed = _run(
        [bindir / "crmstudy", "report", "--data", "D", "--out", "R", "--branches", "B001"], cwd=work, env=env
    )
    assert "1 rendered, 0 unchanged, 0 failed" in printed, printed
    html = (work / "R" / "latest" / "B001.html").read_text(encoding="utf-8")
    name = pd.read_parquet(work / "D" / "branches.parquet").set_index("branch_id").loc["B001", "branch_name"]
    assert html.startswith("<!DOCTYPE html>") and "B001" in html and name in html
