"""The documentation keeps up with the code.

docs/data_dictionary.md must describe every column of every schema in the
section of its table, and the columns customer_features documents;
docs/generative_model.md must name every catalogue product and every planted
affinity with its log-odds.  Text checks only: no data is generated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmstudy.features import customer_features
from crmstudy.schema import OPTIONAL_TABLES, REQUIRED_TABLES, SCHEMAS
from crmstudy.synth.products import CATALOGUE, PLANTED_AFFINITIES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _sections(text: str) -> dict[str, str]:
    """Level-2 sections keyed by the first `backticked` word of their heading."""
    out = {}
    for part in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = part.partition("\n")
        m = re.match(r"`([^`]+)`", heading.strip())
        if m:
            out[m.group(1)] = body
    return out


@pytest.fixture(scope="module")
def dictionary() -> str:
    return (DOCS / "data_dictionary.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def model() -> str:
    return (DOCS / "generative_model.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_schema_column_is_documented_in_its_table_section(dictionary, table):
    sections = _sections(dictionary)
    assert table in sections, f"docs/data_dictionary.md has no section '## `{table}`'"
    body = sections[table]
    missing = [c for c in SCHEMAS[table].columns if f"`{c}`" not in body]
    assert not missing, f"section `{table}` does not document column(s) {missing}"


def test_dictionary_covers_required_and_optional_tables_and_metadata(dictionary):
    for table in REQUIRED_TABLES + OPTIONAL_TABLES:
        assert f"`{table}`" in dictionary
    assert "bank.json" in _sections(dictionary)
    for key in ("period_start", "period_end", "seed", "null"):
        assert f"`{key}`" in _sections(dictionary)["bank.json"]


def test_customer_feature_columns_are_documented(dictionary):
    doc = customer_features.__doc__
    returns = doc[doc.index("Returns") :]
    columns = re.findall(r"``(\w+)``", returns)
    assert "ada" in columns and "coverage" in columns
    body = dictionary[dictionary.index("## Customer features") :]
    missing = [c for c in columns + list(SCHEMAS["customers"].columns) if f"`{c}`" not in body]
    assert not missing, f"'Customer features' does not list {missing}"


def test_every_catalogue_product_is_in_the_generative_model(model):
    missing = [p[0] for p in CATALOGUE if p[0] not in model]
    assert not missing, f"docs/generative_model.md does not mention {missing}"


def test_every_planted_affinity_is_tabulated_with_its_log_odds(model):
    rows = [line for line in model.splitlines() if line.startswith("|")]
    missing = []
    for (group, product), value in PLANTED_AFFINITIES.items():
        cells = {f"{value:+.1f}", group, product}
        if not any(cells <= {c.strip() for c in row.split("|")} for row in rows):
            missing.append((group, product, value))
    assert not missing, f"docs/generative_model.md lacks table rows for planted affinities {missing}"
