"""Every customer list of a report downloads as CSV and Excel beside it, masked as the report shows it."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from crmstudy.reports import downloads
from crmstudy.reports.display import marked_values
from crmstudy.reports.sections.base import Section


def _section():
    s = Section("upgrades")
    frame = pd.DataFrame(
        {"Customer": ["C***0973", "C***0250"], "ADA": [49929.6421, 19931.8647], "Owner": ["B1-CU01", "B1-CU02"]}
    )
    s.table(frame)
    return s, frame


def test_a_list_is_written_as_csv_and_xlsx_with_its_links_beside_it(tmp_path):
    s, frame = _section()
    downloads.offer_lists(s, branch_id="B001", lang="en")
    assert [b.kind for b in s.blocks] == ["table", "download"]
    assert 'href="B001.upgrades.csv"' in s.blocks[1].bundle["text/html"]
    with marked_values({"B1-CU01": "B1-CU01 (left)"}):
        files = downloads.write([s], tmp_path, "B001")
    assert sorted(f.name for f in files) == ["B001.upgrades.csv", "B001.upgrades.xlsx"]
    csv = pd.read_csv(tmp_path / "B001.upgrades.csv", encoding="utf-8-sig")
    assert list(csv["Customer"]) == ["C***0973", "C***0250"], "ids stay masked"
    assert list(csv["Owner"]) == ["B1-CU01 (left)", "B1-CU02"], "a departed owner is marked"
    assert list(csv["ADA"]) == [49929.64, 19931.86]
    sheet = load_workbook(tmp_path / "B001.upgrades.xlsx").active
    assert [c.value for c in sheet[1]] == ["Customer", "ADA", "Owner"] and sheet.freeze_panes == "A2"
    assert sheet.max_row == 3


def test_without_a_folder_to_write_to_no_link_is_left_pointing_at_nothing(tmp_path):
    s, _ = _section()
    downloads.offer_lists(s, branch_id="B001", lang="zh")
    assert downloads.write([s], None, "B001") == []
    assert [b.kind for b in s.blocks] == ["table"]
    assert not list(tmp_path.iterdir())


def test_a_table_of_figures_is_not_a_customer_list():
    s = Section("tiers").table(pd.DataFrame({"Tier": ["Key", "Mass"], "Customers": [16, 385]}))
    downloads.offer_lists(s, branch_id="B001", lang="en")
    assert [b.kind for b in s.blocks] == ["table"]
