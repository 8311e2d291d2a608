"""environment.yml (conda users) and pyproject.toml list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: in environment.yml only: the interpreter, its installer, the optional quarto binary
CONDA_ONLY = {"python", "pip", "quarto"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    reqs = list(project["dependencies"]) + list(extras["test"]) + list(extras["lab"])
    return {_name(r): r.replace(" ", "") for r in reqs}


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e"):
                continue
            out[_name(item)] = item.replace(" ", "")
    return {k: v for k, v in out.items() if k not in CONDA_ONLY}


def test_environment_yml_lists_exactly_the_dependencies_of_pyproject():
    assert sorted(_environment_requirements()) == sorted(_pyproject_requirements())


def test_environment_yml_pins_the_same_minimum_versions_as_pyproject():
    env, proj = _environment_requirements(), _pyproject_requirements()
    assert {k: env[k] for k in proj} == proj


def test_quarto_is_an_optional_extra_and_in_environment_yml():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "quarto-cli" in project["optional-dependencies"]["quarto"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "quarto" in [_name(d) for d in env["dependencies"] if isinstance(d, str)]
