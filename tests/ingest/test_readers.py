"""Reading an export file: its encoding and separator, found or refused in one line."""

from __future__ import annotations

import pytest

from crmstudy.errors import IngestRefused
from crmstudy.ingest.mapping import ReadOptions
from crmstudy.ingest.readers import detect_encoding, read_source, sniff_separator

CHINESE = "客户号;姓名;网点\n880001;王*伟;人民路支行\n880002;李*芳;城东支行\n"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (CHINESE, "utf-8", "utf-8"),
        (CHINESE, "utf-8-sig", "utf-8-sig"),
        (CHINESE, "gbk", "gb18030"),  # read as GBK's superset
        (CHINESE.replace("伟", "䶮"), "gb18030", "gb18030"),  # a character GBK lacks
        ("district;name\n1;Kolín\n2;Mělník\n3;Příbram\n", "cp1250", "cp1250"),  # not mistaken for Chinese
    ],
)
def test_the_encoding_of_an_export_is_detected(text, encoding, expected):
    assert detect_encoding(text.encode(encoding)) == expected


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_the_one_that_splits_every_line_alike(sep):
    text = sep.join(["id", "amount", "name"]) + "\n" + sep.join(["1", '"1,5"' if sep == "," else "1,5", "a b"]) + "\n"
    assert sniff_separator(text) == sep


def test_a_detected_gbk_file_reads_its_chinese_text_and_says_what_it_detected(tmp_path):
    (tmp_path / "kh.csv").write_bytes(CHINESE.encode("gbk"))
    sf = read_source(tmp_path, "kh.csv", ReadOptions(), table="customers")
    assert sf.frame["姓名"].tolist() == ["王*伟", "李*芳"]
    assert sf.frame["客户号"].tolist() == ["880001", "880002"]  # text, as written
    assert (sf.encoding, sf.sep, sf.detected) == ("gb18030", ";", ("encoding", "separator"))


def test_a_bom_is_not_part_of_the_first_column_name_even_when_the_mapping_says_utf8(tmp_path):
    (tmp_path / "kh.csv").write_bytes(CHINESE.encode("utf-8-sig"))
    sf = read_source(tmp_path, "kh.csv", ReadOptions(encoding="utf-8", sep=";"), table="customers")
    assert sf.frame.columns[0] == "客户号"


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "kh.csv").write_bytes(b"")
    with pytest.raises(IngestRefused, match=r"kh.csv: table 'customers': the file is empty"):
        read_source(tmp_path, "kh.csv", ReadOptions(encoding="utf-8", sep=";"), table="customers")


def test_a_corrupt_parquet_file_is_refused_naming_it(tmp_path):
    (tmp_path / "kh.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(IngestRefused, match=r"kh.parquet: table 'customers': could not be read as parquet"):
        read_source(tmp_path, "kh.parquet", ReadOptions(), table="customers")


def test_parts_with_different_columns_are_refused(tmp_path):
    (tmp_path / "jy_1.csv").write_text("a;b\n1;2\n")
    (tmp_path / "jy_2.csv").write_text("a;c\n1;2\n")
    with pytest.raises(IngestRefused, match=r"jy_2.csv: table 'transactions': its columns differ from jy_1.csv's"):
        read_source(tmp_path, "jy_*.csv", ReadOptions(), table="transactions")


def test_a_pattern_that_matches_nothing_is_refused(tmp_path):
    with pytest.raises(IngestRefused, match=r"no file matches"):
        read_source(tmp_path, "jy_*.csv", ReadOptions(), table="transactions")
