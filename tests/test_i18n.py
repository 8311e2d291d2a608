"""Two languages, real glyphs: catalogues, number formats, CJK fonts, a Chinese report end to end.

The font tests *fail* (they do not skip) when no CJK font is installed: the
README's set-up installs one (``fonts-noto-cjk``), and a Chinese report
without it would show empty boxes.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from crmstudy import fonts, i18n, plots
from crmstudy.pareto import lorenz_curve
from crmstudy.reports.pipeline import engines as render

CJK = re.compile(r"[\u4e00-\u9fff]")


def _cjk_font() -> fonts.CjkFont:
    font = fonts.find_cjk_font()
    if font is None:
        pytest.fail(f"crmstudy: {fonts.INSTALL_HINT}")
    return font


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` not found: install poppler-utils (apt-get install poppler-utils)")
    return path


# --------------------------------------------------------------------------
# the catalogues


def test_every_message_exists_in_both_languages():
    en, zh = set(i18n.catalogue("en")), set(i18n.catalogue("zh"))
    assert not en - zh, f"in en.yaml but not zh.yaml: {sorted(en - zh)}"
    assert not zh - en, f"in zh.yaml but not en.yaml: {sorted(zh - en)}"


def test_each_area_file_has_its_counterpart_in_the_other_language():
    areas = {
        lang: {p.name.removesuffix(f".{lang}.yaml") for p in i18n.catalogue_files(lang)[1:]} for lang in ("en", "zh")
    }
    assert areas["en"] == areas["zh"]


def test_a_message_defined_in_two_files_is_refused(tmp_path, monkeypatch):
    (tmp_path / "en.yaml").write_text("common:\n  hello: Hello\n", encoding="utf-8")
    (tmp_path / "extra.en.yaml").write_text("common:\n  hello: Hi\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(
            i18n.MessageError, match=r"extra.en.yaml: message 'common.hello' is already defined in en.yaml"
        ):
            i18n.catalogue("en")
    finally:
        i18n.catalogue.cache_clear()


def test_area_files_merge_into_the_catalogue(tmp_path, monkeypatch):
    (tmp_path / "en.yaml").write_text("common:\n  hello: Hello\n", encoding="utf-8")
    (tmp_path / "extra.en.yaml").write_text("extra:\n  bye: Bye\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue("en") == {"common.hello": "Hello", "extra.bye": "Bye"}
    finally:
        i18n.catalogue.cache_clear()


def test_every_message_has_the_same_placeholders_in_both_languages():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    differ = {
        k: (sorted(i18n.placeholders(en[k])), sorted(i18n.placeholders(zh[k])))
        for k in en
        if k in zh and i18n.placeholders(en[k]) != i18n.placeholders(zh[k])
    }
    assert not differ, f"placeholders differ (en, zh): {differ}"


def test_no_message_is_empty_and_chinese_messages_are_chinese():
    for lang in i18n.LANGUAGES:
        assert all(text.strip() for text in i18n.catalogue(lang).values()), lang
    zh = i18n.catalogue("zh")
    for key in ("report.title", "tiers.heading", "headline.customers", "index.title", "plots.lorenz.xlabel"):
        assert CJK.search(zh[key]), key


def test_a_message_is_filled_from_its_placeholders():
    assert i18n.t("index.stale_since", "en", date="Jan 1, 2025") == "stale since Jan 1, 2025"
    assert i18n.t("tier.key", "zh") == "重点客户"


def test_an_unknown_key_language_or_missing_value_is_named_in_one_line():
    with pytest.raises(i18n.MessageError, match=r"locale/zh.yaml has no message 'no.such.key'"):
        i18n.t("no.such.key", "zh")
    with pytest.raises(i18n.MessageError, match=r"unknown language 'fr'; expected one of en, zh"):
        i18n.t("tier.key", "fr")
    with pytest.raises(i18n.MessageError, match=r"needs a value for \{date\}"):
        i18n.t("index.stale_since", "en", day="x")


# --------------------------------------------------------------------------
# numbers, amounts, dates


@pytest.mark.parametrize(
    "amount, text",
    [
        (8_500, "8,500元"),
        (500_000, "50万元"),
        (12_345_000, "1,234.5万元"),
        (-12_345_000, "-1,234.5万元"),
        (99_999_999, "9,999.9万元"),  # cut, not rounded: below 1亿 it never reads as 1亿
        (19_987, "1.9万元"),  # below the 2万 bar, as it is
        (321_000_000, "3.21亿元"),
        (1_000_000_000, "10亿元"),
    ],
)
def test_chinese_amounts_are_written_in_wan_and_yi_yuan(amount, text):
    assert i18n.money(amount, "zh") == text


@pytest.mark.parametrize(
    "amount, compact, text",
    [
        (1_234_567, True, "CNY 1.2M"),
        (999_999, True, "CNY 999.9k"),  # cut, not rounded: below a million it never reads as CNY 1M
        (12_345, True, "CNY 12.3k"),
        (19_987, True, "CNY 19.9k"),
        (850, True, "CNY 850"),
        (1_234_567, False, "CNY 1,234,567"),
    ],
)
def test_english_amounts_are_compact_or_carry_thousands_separators(amount, compact, text):
    assert i18n.money(amount, "en", compact=compact) == text


def test_table_amounts_are_short_in_english_and_carry_their_unit_in_chinese():
    cell_en, cell_zh = i18n.money_cell("en"), i18n.money_cell("zh")
    assert [cell_en(v) for v in (850, 9_999, 47_851, 1_234_567.4, 80_089_775)] == [
        "850",
        "9,999",
        "47.8k",
        "1.23M",
        "80.08M",
    ]
    assert [cell_zh(v) for v in (13, 9_999, 19_987, 1_234_567.4, 321_000_000)] == [
        "13元",
        "9,999元",
        "1.99万元",
        "123.45万元",
        "3.21亿元",
    ]
    assert cell_zh(float("nan")) == cell_en(None) == i18n.MISSING


def test_a_gap_just_below_a_bar_never_reads_as_zero_or_as_the_bar():
    gap, ada = 13.0, 19_987.0  # 13 元 short of the 2万 bar
    for lang in i18n.LANGUAGES:
        cell = i18n.money_cell(lang)
        assert cell(gap).rstrip("元") == "13"
        assert cell(ada) not in ("2.00万元", "20k", "20.0k")


def test_a_share_is_never_shown_as_100_or_0_percent_unless_it_is():
    assert i18n.percent(3_660 / 3_666, "en", digits=0) == "99.8%"
    assert i18n.percent(1.0, "en", digits=0) == "100%"
    assert i18n.percent(0.00004, "zh", digits=1) == "0.004%"
    assert i18n.percent(0.0, "zh", digits=0) == "0%"


def test_axis_ticks_are_short_amounts():
    assert [i18n.money_tick(x, "en") for x in (500, 20_000, 1_200_000)] == ["500", "20K", "1.2M"]
    assert [i18n.money_tick(x, "zh") for x in (500, 20_000, 1_200_000, 3e8)] == ["500", "2万", "120万", "3亿"]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_counts_shares_and_ginis_read_as_python_formats_them(lang):
    # the English report keeps the formats its tests and readers know
    for n in (0, 7, 1_234, 1_234_567):
        assert i18n.integer(n, lang) == f"{n:,}"
    for x in (0.0, 0.1234, 0.8421, 1.0):
        assert i18n.percent(x, lang) == f"{x:.1%}"
        assert i18n.percent(x, lang, digits=0) == f"{x:.0%}"
    for g in (0.41234, 0.8158):
        assert i18n.number(g, lang, digits=3) == f"{g:.3f}"
    assert i18n.percent(float("nan"), lang) == i18n.integer(None, lang) == "–"


def test_dates_follow_the_language():
    assert i18n.date("2025-01-31", "zh") == "2025年1月31日"
    assert i18n.date(pd.Timestamp("2025-01-31"), "en") == "Jan 31, 2025"
    assert i18n.period("2025-01-01", "2025-12-31", "zh") == "2025年1月1日至2025年12月31日"
    assert i18n.period("2025-01-01", "2025-12-31", "en") == "Jan 1, 2025 to Dec 31, 2025"


# --------------------------------------------------------------------------
# figures


def _all_plots(lang: str) -> list:
    rng = np.random.default_rng(0)
    ada = rng.lognormal(10, 1.5, 500)
    tiers = pd.DataFrame(
        {
            "tier": ["key", "sub_key", "general", "potential", "mass"],
            "customer_share": [0.02, 0.03, 0.15, 0.2, 0.6],
            "asset_share": [0.45, 0.13, 0.25, 0.1, 0.07],
        }
    )
    workload = pd.DataFrame(
        {
            "staff_id": ["B001-CU01", "B001-CU02", "B001-CU03"],
            "customers": [180, 320, 450],
            "status": ["under", "within", "over"],
        }
    )
    profile = pd.DataFrame(
        {
            "part": ["head", "tail"],
            "customers_share": [0.2, 0.8],
            "assets_share": [0.84, 0.16],
            "transactions_share": [0.26, 0.74],
            "products_share": [0.23, 0.77],
        }
    )
    return [
        plots.lorenz_plot(
            {
                "B001": lorenz_curve(ada, points=51),
                i18n.t("concentration.whole_bank", lang): lorenz_curve(ada[:300], points=51),
            },
            title=i18n.t("concentration.heading", lang),
            lang=lang,
        ),
        plots.tier_plot(tiers, lang=lang),
        plots.workload_plot(workload, band=(250, 400), lang=lang),
        plots.long_tail_plot(profile, lang=lang),
        plots.asset_histogram(pd.Series(ada), thresholds={"potential": 20_000, "key": 500_000}, lang=lang),
    ]


def _missing_glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_figures_draw_every_glyph_in_a_cjk_font():
    _cjk_font()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        axes = _all_plots("zh")
        for ax in axes:
            ax.figure.savefig(io.BytesIO(), format="png")
    texts = [t.get_text() for ax in axes for t in ax.figure.findobj(matplotlib.text.Text)]
    for ax in axes:
        plt.close(ax.figure)
    assert not _missing_glyph_warnings(caught), _missing_glyph_warnings(caught)[:3]
    assert sum(bool(CJK.search(t)) for t in texts) >= 10, "labels, legends and ticks are in Chinese"


def test_the_glyph_check_would_catch_a_latin_only_font():
    # guards the test above: the warning it looks for is the one matplotlib gives
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("客户", fontfamily="DejaVu Sans")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    assert _missing_glyph_warnings(caught)


def test_english_figures_take_their_labels_from_the_catalogue_and_keep_their_latin_font():
    axes = _all_plots("en")
    assert axes[0].get_xlabel() == i18n.t("plots.lorenz.xlabel", "en")
    assert [t.get_text() for t in axes[1].get_xticklabels()] == [
        "Key",
        "Sub-key",
        "General",
        "Potential",
        "Mass (long tail)",
    ]
    assert axes[0].xaxis.label.get_fontname() == "DejaVu Sans"
    for ax in axes:
        plt.close(ax.figure)


def test_without_a_cjk_font_one_line_says_how_to_install_one(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            plt.close(
                plots.tier_plot(
                    pd.DataFrame({"tier": ["key"], "customer_share": [1.0], "asset_share": [1.0]}), lang="zh"
                ).figure
            )
    hints = [w for w in caught if issubclass(w.category, fonts.CjkFontWarning)]
    assert len(hints) == 1
    message = str(hints[0].message)
    assert "\n" not in message and "apt-get install fonts-noto-cjk" in message


def test_a_font_named_in_the_environment_is_used(monkeypatch):
    font = _cjk_font()
    monkeypatch.setenv(fonts.ENV_VAR, str(font.path))
    fonts.find_cjk_font.cache_clear()
    try:
        chosen = fonts.find_cjk_font()
        assert chosen is not None and chosen.path == font.path
    finally:
        fonts.find_cjk_font.cache_clear()


# --------------------------------------------------------------------------
# HTML and PDF fonts


def test_the_stylesheet_names_chinese_fonts_for_every_platform():
    css = render.CSS_PATH.read_text(encoding="utf-8")
    for family in ('"Noto Sans CJK SC"', '"Microsoft YaHei"', '"PingFang SC"'):
        assert family in css
    assert "html:lang(zh) body" in css


def test_the_typst_header_sets_a_chinese_report_in_the_cjk_font():
    font = _cjk_font()
    assert render.typst_font_header("zh") == f'#set text(font: ("{font.family}",))\n'
    assert render.typst_font_header("en") == ""
    assert str(font.path.parent) in render._font_paths()


# --------------------------------------------------------------------------
# a Chinese branch report, end to end on the tiny bank


@pytest.fixture(scope="module")
def zh_run(tiny_bank, tmp_path_factory):
    from crmstudy.reports.pipeline import run_reports

    _cjk_font()
    folder = tmp_path_factory.mktemp("zh_params")
    (folder / "defaults.yaml").write_text("language: zh\nbootstrap:\n  n_boot: 50\n", encoding="utf-8")
    (folder / "branches").mkdir()
    (folder / "branches" / "B002.yaml").write_text("language: en\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("zh_reports")
    summary = run_reports(
        tiny_bank,
        out,
        branches="B001,B002",
        workers=2,
        engine="builtin",
        formats=("html", "pdf"),
        params_file=folder / "defaults.yaml",
        progress=False,
    )
    assert [r.status for r in summary.results] == ["ok", "ok"], summary.table()
    return tiny_bank, out / "latest", summary


@pytest.mark.slow
def test_the_chinese_report_has_chinese_headings_and_amounts_in_wan_yuan(zh_run):
    _, latest, summary = zh_run
    html = (latest / "B001.html").read_text(encoding="utf-8")
    h = summary.results[0].headline
    assert re.search(r'<html[^>]* lang="zh"', html)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    for key in ("concentration.heading", "tiers.heading", "ownership.heading", "long_tail.heading"):
        assert i18n.t(key, "zh") in headings
    assert "万元" in html and i18n.money(h["total_ada"], "zh") in html
    assert i18n.percent(h["top20_share"], "zh") in html
    assert "Asset tiers" not in html and "The long tail" not in html
    assert "<title>支行客户报告 · " in html


@pytest.mark.slow
@pytest.mark.pdf
def test_the_chinese_pdf_embeds_a_cjk_font_and_holds_the_customer_count(zh_run):
    _, latest, summary = zh_run
    pdf = latest / "B001.pdf"
    listing = subprocess.run([_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    embedded = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
    assert any(re.search(r"CJK|Noto|WenQuanYi", name) for name in embedded), listing
    text = subprocess.run([_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert str(summary.results[0].headline["customers"]) in text
    assert "客户资产分层" in text


@pytest.mark.slow
def test_a_branch_override_keeps_its_report_english_and_the_index_follows_the_bank_default(zh_run):
    _, latest, summary = zh_run
    html = (latest / "B002.html").read_text(encoding="utf-8")
    h = summary.results[1].headline
    assert re.search(r'<html[^>]* lang="en"', html) and "Asset tiers" in html
    assert f"{h['customers']:,}" in html and f"{h['top20_share']:.1%}" in html
    index = (latest / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in index and "<title>各支行客户报告</title>" in index
    for label in ("支行", "客户数", "日均资产", "状态", "正常"):
        assert f">{label}<" in index
    assert i18n.money(summary.results[0].headline["total_ada"], "zh") in index
    assert "个支行中" in index
