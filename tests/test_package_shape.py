"""The package keeps its shape: small modules, every section registered, nothing reaching into the repository."""

from __future__ import annotations

import ast
from pathlib import Path

import crmstudy
from crmstudy.reports import sections

PACKAGE = Path(crmstudy.__file__).resolve().parent
#: Modules that are data catalogues rather than logic may be longer.
CATALOGUES = {"footprint/catalogue.py"}
MAX_LINES = 500


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_is_over_500_lines_data_catalogues_aside():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert set(long) <= CATALOGUES, f"split these into modules of one idea each: {long}"


def test_every_module_in_sections_is_registered_once():
    folder = PACKAGE / "reports" / "sections"
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_") and p.stem != "base"}
    assert sorted(sections.names()) == sorted(modules)
    assert len(set(sections.names())) == len(sections.names())


def test_the_package_never_reaches_into_the_repository():
    """A non-editable install has no repository around it: notebooks and assets are package data."""
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
                if node.value.attr == "parents" and isinstance(node.slice, ast.Constant) and node.slice.value >= 2:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders


def test_every_exception_lives_in_errors():
    defined = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception", "Warning")) for b in node.bases
            ):
                defined.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert all(d.startswith("errors.py:") for d in defined), defined
