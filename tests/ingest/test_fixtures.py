"""The fixture exports are what their generator writes: deterministic, small, and in the encodings they claim."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def _generator():
    spec = importlib.util.spec_from_file_location("make_exports", EXPORTS / "make_exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("bank", ["cn_bank", "cz_bank"])
def test_the_generator_rewrites_the_committed_fixture_byte_for_byte(tmp_path, bank):
    getattr(_generator(), bank)(tmp_path)
    committed = sorted(p.name for p in (EXPORTS / bank).iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (EXPORTS / bank / name).read_bytes(), name


@pytest.mark.parametrize("bank", ["cn_bank", "cz_bank"])
def test_every_fixture_file_has_a_few_hundred_rows_at_most(bank):
    for p in (EXPORTS / bank).glob("*.csv"):
        assert p.read_bytes().count(b"\n") <= 800, p.name


def test_the_chinese_export_is_gbk_not_utf8_and_uses_semicolons_and_decimal_commas():
    raw = (EXPORTS / "cn_bank" / "jy.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    header, first = raw.decode("gbk").splitlines()[:2]
    assert header.startswith("流水号;客户号;交易时间") and "," in first.split(";")[3]
