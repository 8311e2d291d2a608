"""The words of the rendered reports: no instruction about nothing, no file path, no raw key, both catalogues."""

from __future__ import annotations

import re

import pytest

from crmstudy import i18n

from .report_text import report_text

pytestmark = pytest.mark.slow
REPORTS = {"B001": "zh", "B002": "en"}
#: A count of zero in front of what it counts ("0 customers ... reassign", "0位客户").
ZERO = re.compile(r"(?<![\d.,])0 (customers?|borrowers?|managers?|customer managers?)\b|(?<![\d.,])0位")
PATH = re.compile(r"(?:\b[\w.-]+/)+[\w.-]+\.(?:ipynb|py|yaml|json|parquet)\b|/tmp/|/home/|/work/")


def _text(published, branch):
    html = (published / f"{branch}.html").read_text(encoding="utf-8")
    return report_text(html, stop_at=i18n.t("provenance.heading", REPORTS[branch]))


@pytest.mark.parametrize("branch", REPORTS)
def test_no_sentence_tells_anyone_to_act_on_a_count_of_zero(published, branch):
    said = [line for line in _text(published, branch).splitlines() if ZERO.search(line)]
    assert not said, said


@pytest.mark.parametrize("branch", REPORTS)
def test_no_report_shows_a_file_path(published, branch):
    html = (published / f"{branch}.html").read_text(encoding="utf-8")
    text = report_text(html, stop_at="\x00")  # the whole report, provenance too
    assert not PATH.findall(text), PATH.findall(text)[:5]


@pytest.mark.parametrize("branch", REPORTS)
def test_every_statistic_is_explained_in_the_glossary(published, branch):
    lang, text = REPORTS[branch], _text(published, branch)
    assert i18n.t("glossary.heading", lang) in text
    for term in ("gini", "ci95", "fdr", "adjusted_residual", "dormant", "upgrade_window", "risk_points"):
        assert i18n.t(f"glossary.{term}.name", lang) in text


def test_every_reader_facing_message_exists_in_both_catalogues_with_the_same_placeholders():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    assert set(en) == set(zh)
    assert {k: i18n.placeholders(v) for k, v in en.items()} == {k: i18n.placeholders(v) for k, v in zh.items()}
