"""A bad mapping file is refused with one line naming the mapping file and the key (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmstudy.cli import main
from crmstudy.errors import MappingError
from crmstudy.ingest.mapping import load_mapping

GOOD = """
bank: {currency: EUR}
tables:
  customers:
    file: client.csv
    columns: {customer_id: client_id}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mapping.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _refusal(tmp_path, capsys, text: str) -> str:
    path = _write(tmp_path, text)
    assert main(["ingest", "--mapping", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err
    assert not (tmp_path / "out").exists()
    return err


def test_a_good_mapping_reads_with_its_files_relative_to_the_mapping_file(tmp_path):
    m = load_mapping(_write(tmp_path, GOOD))
    assert m.base == tmp_path.resolve() and m.sources("customers")[0].file == "client.csv"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (GOOD.replace("EUR", "euro"), "bank.currency"),
        (GOOD.replace("customers:", "clients:"), "tables.clients"),
        (GOOD.replace("customer_id: client_id", "customer_number: client_id"), "tables.customers.columns"),
        (GOOD + "    read: {encoding: ebcdic}\n", "read.encoding"),
        (GOOD + "    read: {sep: '::'}\n", "read.sep"),
        (GOOD + "    dates: {open_date: yyyymmdd}\n", "tables.customers.dates.open_date"),
        (GOOD + "    colums: {}\n", "colums"),
        (GOOD.replace("bank: {currency: EUR}", "bank: {currency: EUR, period_start: 2025-01-01}"), "period_end"),
        ("bank: {currency: EUR}\ntables: {}\n", "tables.customers"),
        ("bank: [1, 2\n", "line"),
    ],
)
def test_a_bad_mapping_is_one_line_naming_the_file_and_the_key(tmp_path, capsys, text, key):
    assert key in _refusal(tmp_path, capsys, text)


def test_a_mapping_file_that_does_not_exist_is_refused(tmp_path, capsys):
    assert main(["ingest", "--mapping", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "mapping file not found" in capsys.readouterr().err


def test_a_bare_yaml_on_key_of_a_lookup_is_read_as_the_word_on(tmp_path):
    text = GOOD + "    lookups:\n      - {file: disp.csv, on: client_id, take: [account_id]}\n"
    (lk,) = load_mapping(_write(tmp_path, text)).sources("customers")[0].lookups
    assert lk.on == "client_id"


def test_a_table_may_stack_several_sources(tmp_path):
    text = GOOD + "  holdings:\n    - {file: loan.csv}\n    - {file: card.csv}\n"
    assert [s.file for s in load_mapping(_write(tmp_path, text)).sources("holdings")] == ["loan.csv", "card.csv"]


def test_mapping_errors_are_crmstudy_errors(tmp_path):
    with pytest.raises(MappingError):
        load_mapping(_write(tmp_path, "just text"))
