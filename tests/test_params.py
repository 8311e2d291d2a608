"""Parameters: one model holds every default; the YAML files only override it."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmstudy import params
from crmstudy.errors import ParamsError
from crmstudy.tiers import OwnershipRule, TierThresholds

ROOT = Path(__file__).resolve().parents[1]


def test_params_defaults_yaml_is_the_model_written_out():
    """Edit the model, then run `python -m crmstudy params > params/defaults.yaml`."""
    assert (ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8") == params.defaults_yaml()


def test_the_defaults_file_resolves_to_the_model_defaults():
    assert params.load(ROOT / "params" / "defaults.yaml") == params.ReportParams()


def test_every_section_knob_is_a_parameter():
    p = params.ReportParams()
    assert (p.prospects.top_n, p.prospects.flag_ratio, p.prospects.min_events) == (10, 2.0, 10)
    assert (p.association.by, p.association.alpha, p.association.correction, p.association.top_n) == (
        "life_group",
        0.05,
        "bh",
        20,
    )


def test_the_analyses_defaults_are_the_models():
    assert TierThresholds() == TierThresholds.from_params(params.ReportParams().tiers)
    assert OwnershipRule() == OwnershipRule.from_params(params.ReportParams().ownership)


def test_a_branch_file_overrides_only_the_keys_it_names(tmp_path):
    (tmp_path / "defaults.yaml").write_text("upgrade:\n  top_n: 5\n")
    (tmp_path / "branches").mkdir()
    (tmp_path / "branches" / "B007.yaml").write_text("upgrade:\n  window: 0.2\n")
    p = params.load(tmp_path / "defaults.yaml", branch="B007")
    assert (p.upgrade.top_n, p.upgrade.window, p.tiers.key) == (5, 0.2, 500_000)
    assert params.load(tmp_path / "defaults.yaml", branch="B001").upgrade.window == 0.1
    assert p.digest() != params.load(tmp_path / "defaults.yaml").digest()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiers:\n  key: fifty thousand\n", "'tiers.key' (CNY)"),
        ("association:\n  correction: bonferroni\n", "'association.correction'"),
        ("association:\n  by: shoe_size\n", "'association.by'"),
        ("prospects:\n  top_n: 0\n", "'prospects.top_n' (customers)"),
        ("prospects:\n  topn: 3\n", "unknown parameter 'prospects.topn'; valid here: top_n, flag_ratio, min_events"),
        ("tiers:\n  key: 10\n", "'tiers' must decrease"),
        ("tiers: [1, 2\n", "line 2, column 1: malformed YAML"),
        ("- 1\n- 2\n", "expected a mapping"),
    ],
)
def test_a_bad_parameter_is_one_line_naming_the_file_and_the_parameter(tmp_path, text, expected):
    path = tmp_path / "defaults.yaml"
    path.write_text(text)
    with pytest.raises(ParamsError) as err:
        params.load(path)
    message = str(err.value)
    assert str(path) in message and expected in message and "\n" not in message
