"""The association and prospects sections in both languages, and prospects that stand on their own.

Both sections are built on the tiny bank and their MIME bundles read, so that every
heading, table, figure alt text and reading is checked as the reader would get it.  Catalogue parity (same keys,
same placeholders) is tests/test_i18n.py's concern.
"""

from __future__ import annotations

import io
import re
import string
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from crmstudy import fonts, i18n
from crmstudy.footprint import SIGNALS, TooFewEvents, score_customers
from crmstudy.plots import residual_heatmap
from crmstudy.reports.context import load_context
from crmstudy.reports.sections import association, prospects
from crmstudy.reports.sections.association import _group_names, _product_names
from crmstudy.reports.sections.prospects import VALUE_KINDS, signal_value

CJK = re.compile(r"[\u4e00-\u9fff]")
#: Three English words in a row: a sentence left untranslated (ids, staff codes and file paths have no spaces).
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ -][A-Za-z]{2,}){2,}\b")
#: The catalogue sections these two report sections read.
PREFIXES = ("association.", "prospects.", "signal.", "signal_value.", "group.", "grouping.", "tier.")
BRANCH = "B002"


def _render(section, ctx):
    """Build a section: the data it computed and the bundles it shows."""
    try:
        built = section.build(ctx)
    finally:
        plt.close("all")
    return built.data, built.bundles()


def _text(bundles) -> str:
    """What a reader reads: markdown (headings, tables, readings) and figure alt text, unescaped."""
    return "\n".join(b.get("text/markdown") or b.get("text/plain", "") for b in bundles).replace("\\", "")


def _prose(bundles) -> list[str]:
    """Headings and readings only (tables also hold customers' masked Chinese names)."""
    return [b["text/markdown"].lstrip("#> ") for b in bundles if b.get("text/markdown", "")[:1] in ("#", ">")]


def _english_fragments() -> set[str]:
    """Literal text of the English messages of both sections: two words or more between placeholders."""
    out = set()
    for key, text in i18n.catalogue("en").items():
        if key.startswith(PREFIXES):
            for literal, *_ in string.Formatter().parse(text):
                literal = literal.strip(" ;:,.()—")
                if len(re.findall(r"[A-Za-z]{2,}", literal)) >= 2:
                    out.add(literal)
    return out


@pytest.fixture(scope="module")
def rendered(tiny_footprint_bank):
    """Both sections in both languages on the tiny bank where footprints beat balances (a list to read)."""
    out = {}
    for lang in i18n.LANGUAGES:
        ctx = load_context(
            tiny_footprint_bank, BRANCH, {"language": lang, "association": {"top_n": 10}, "prospects": {"top_n": 5}}
        )
        out["association", lang] = _render(association, ctx)
        out["prospects", lang] = _render(prospects, ctx)
    return out


# --- Chinese: all of it ------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["association", "prospects"])
def test_in_chinese_every_heading_and_reading_is_chinese(rendered, section):
    _, bundles = rendered[section, "zh"]
    prose = _prose(bundles)
    assert len(prose) >= 3
    assert all(CJK.search(p) for p in prose), [p for p in prose if not CJK.search(p)]


@pytest.mark.parametrize("section", ["association", "prospects"])
def test_in_chinese_no_english_sentence_is_left(rendered, section):
    text = _text(rendered[section, "zh"][1])
    left = sorted(f for f in _english_fragments() if f in text)
    assert not left, f"English left in the Chinese {section} section: {left[:5]}"
    assert not ENGLISH_RUN.findall(text), ENGLISH_RUN.findall(text)[:5]


def test_the_check_for_leftover_english_would_catch_an_english_reading(rendered):
    # guards the test above: the English section trips both of its checks
    text = _text(rendered["prospects", "en"][1])
    assert any(f in text for f in _english_fragments()) and ENGLISH_RUN.search(text)


def test_chinese_cross_sell_list_names_products_from_product_name_zh_and_tiers_in_chinese(
    rendered, tiny_footprint_bank
):
    out, _ = rendered["association", "zh"]
    names = _product_names(tiny_footprint_bank, "zh")
    assert names["MOBILE_BANKING"] == "手机银行" and names["CREDIT_CARD"] == "信用卡"
    table = out["cross_sell"]
    assert list(table.columns) == [
        i18n.t(f"association.cross_sell.{k}", "zh")
        for k in ("customer", "name", "tier", "owner", "offer_1", "offer_2", "offer_3")
    ]
    tiers = {i18n.t(f"tier.{t}", "zh") for t in ("key", "sub_key", "general", "potential", "mass")}
    assert set(table["层级"]) <= tiers
    offer = re.compile(r"(.+)（[\d.]+%）")
    products = {offer.fullmatch(o).group(1) for o in table["首推产品"].dropna()}
    assert products and products <= set(names.values())


def test_chinese_prospects_give_reasons_and_actions_in_chinese_and_amounts_in_yuan(rendered):
    out, bundles = rendered["prospects", "zh"]
    value = out["prospects"]
    assert len(value) == 5
    assert all(s.endswith("请在48小时内跟进。") and CJK.search(s) for s in value["action"])
    assert all(CJK.search(w) for w in value["why"].dropna())
    amounts = re.findall(r"典型单笔支付([\d,.]+万?元)", _text(bundles))
    assert all(a.endswith("元") for a in amounts)
    assert "CNY" not in _text(bundles)


def test_the_chinese_heatmap_draws_chinese_labels_in_a_cjk_font(rendered, tiny_footprint_bank):
    if fonts.find_cjk_font() is None:
        pytest.fail(f"crmstudy: {fonts.INSTALL_HINT}")
    cells = rendered["association", "zh"][0]["association"].cells
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = residual_heatmap(
            cells,
            labels=_product_names(tiny_footprint_bank, "zh"),
            group_labels=_group_names("life_group", cells["group"], "zh"),
            lang="zh",
        )
        ax.figure.savefig(io.BytesIO(), format="png")
    ticks = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    colorbar = ax.figure.axes[-1].get_ylabel()
    plt.close(ax.figure)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert all(CJK.search(t) for t in ticks), ticks
    assert colorbar == i18n.t("association.colorbar", "zh")


def test_every_footprint_signal_has_a_label_in_both_languages_and_a_known_value_format():
    for s in SIGNALS:
        assert s.fmt in VALUE_KINDS, f"{s.name}: add its format {s.fmt!r} to sections.prospects.VALUE_KINDS"
        for lang in i18n.LANGUAGES:
            assert i18n.has(f"signal.{s.name}", lang), f"locale/{lang}.yaml: no label signal.{s.name}"


@pytest.mark.parametrize(
    "signal, value, en, zh",
    [
        ("premium_fuel_share", 0.75, "75%", "75%"),
        ("txn_amount", 12_345.0, "CNY 12,345", "1.2万元"),
        ("rail_trips", 1.25, "1.2 a month", "每月1.2次"),
        ("income_trend", 0.05, "+5% a month", "每月+5%"),
        ("litres_per_fill", 45.4, "45 L", "45升"),
    ],
)
def test_a_signal_value_is_written_in_the_readers_style(signal, value, en, zh):
    assert (signal_value(signal, value, "en"), signal_value(signal, value, "zh")) == (en, zh)


# --- English: today's wording --------------------------------------------------------------------


def test_in_english_the_association_section_keeps_its_wording(rendered):
    out, bundles = rendered["association", "en"]
    prose = _prose(bundles)
    assert prose[0] == "Who holds what: customer groups × products"
    # adjusted for wealth and age by default (association.adjust_for), and the sentence says so
    assert prose[1].startswith("Compared with customers of like wealth and age")
    assert "group × product cells differ beyond chance" in prose[1]
    assert "Cross-sell list: next-best products" in prose
    assert prose[-1].startswith("On the bank's hold-out (holdings on")
    assert list(out["cross_sell"].columns) == [
        "Customer",
        "Name",
        "Tier",
        "Owner",
        "1st offer",
        "2nd offer",
        "3rd offer",
    ]
    assert set(out["cross_sell"]["Tier"]) <= {"Key", "Sub-key", "General", "Potential", "Mass (long tail)"}
    assert not any(CJK.search(p) for p in prose)


def test_in_english_the_prospects_section_keeps_its_wording(rendered):
    out, bundles = rendered["prospects", "en"]
    prose = _prose(bundles)
    assert prose[0] == "Prospects: what the footprints say"
    lead = "Footprints, on top of balances and declarations, put these 5 customers first"
    assert any(p.startswith(lead) for p in prose)
    assert any(p.startswith("Out of time (") and "footprints lift the value ranking" in p for p in prose)
    assert prose[-1].startswith("The scores were fitted on the whole bank")
    assert all(s.endswith(", within 48 hours.") for s in out["prospects"]["action"])
    assert not any(CJK.search(p) for p in prose)
    # the tiny bank's development months (May–Aug) hold 9 first delinquencies, one short of a risk card
    assert set(out["unfitted"]) <= {"risk"}


# --- value prospects and risk flags stand on their own ------------------------------------------


@pytest.fixture(scope="module")
def events(tiny_footprint_bank):
    """Training events of each scorecard on the tiny bank (a bar no bank reaches fits neither)."""
    ctx = load_context(tiny_footprint_bank, BRANCH, {})
    scores = score_customers(tiny_footprint_bank, period=ctx.period, branch=BRANCH, min_events=10**9, strict=False)
    assert scores.value_card is None and scores.risk_card is None
    assert scores.scores["value_p"].isna().all() and scores.reasons.empty
    return scores.unfitted


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_value_prospects_are_listed_when_the_risk_scorecard_cannot_be_fitted(tiny_footprint_bank, events, lang):
    too_few = events["risk"] + 1  # one more delinquency than the bank had
    assert events["value"] >= too_few, "the tiny bank should see more moves up than delinquencies"
    ctx = load_context(
        tiny_footprint_bank, BRANCH, {"language": lang, "prospects": {"top_n": 5, "min_events": too_few}}
    )
    out, bundles = _render(prospects, ctx)
    assert out["scores"].risk_card is None and out["scores"].value_card is not None
    assert len(out["prospects"]) == 5 and out["risk_flags"].empty
    assert set(out["unfitted"]) == {"risk"}
    prose = _prose(bundles)
    assert out["unfitted"]["risk"] in prose
    assert i18n.t("prospects.value_reading", lang, n=i18n.integer(5, lang)) in prose
    assert any(b.get("text/html", "").count("<tr>") == 6 for b in bundles), "a value table of five rows"


def test_when_neither_scorecard_can_be_fitted_the_section_says_why_for_each(tiny_footprint_bank, events):
    too_few = max(events.values()) + 1
    ctx = load_context(tiny_footprint_bank, BRANCH, {"language": "zh", "prospects": {"min_events": too_few}})
    out, bundles = _render(prospects, ctx)
    assert out["prospects"].empty and out["risk_flags"].empty and set(out["unfitted"]) == {"value", "risk"}
    assert _prose(bundles)[1:] == [out["unfitted"]["value"], out["unfitted"]["risk"]]
    assert not any("text/html" in b for b in bundles), "no tables"


def test_a_card_left_unfitted_does_not_change_the_other_cards_scores(tiny_footprint_bank, events):
    ctx = load_context(tiny_footprint_bank, BRANCH, {})
    both = score_customers(tiny_footprint_bank, period=ctx.period, branch=BRANCH, min_events=1)
    value_only = score_customers(
        tiny_footprint_bank, period=ctx.period, branch=BRANCH, min_events=events["risk"] + 1, strict=False
    )
    assert both.unfitted == {} and value_only.unfitted == {"risk": events["risk"]}
    cols = ["customer_id", "value_p", "value_points", "borrower"]
    pd.testing.assert_frame_equal(value_only.scores[cols], both.scores[cols])
    assert value_only.scores["risk_p"].isna().all()
    pd.testing.assert_frame_equal(
        value_only.reasons.reset_index(drop=True), both.reasons[both.reasons["score"] == "value"].reset_index(drop=True)
    )
    with pytest.raises(TooFewEvents, match="first delinquencies"):
        score_customers(tiny_footprint_bank, period=ctx.period, branch=BRANCH, min_events=events["risk"] + 1)


def test_a_period_too_short_for_footprints_is_said_in_the_readers_language(tiny_bank):
    ctx = load_context(tiny_bank, BRANCH, {"language": "zh", "period": {"start": "2025-01-01", "end": "2025-02-28"}})
    out, bundles = _render(prospects, ctx)
    assert out == {}
    assert _prose(bundles)[-1] == i18n.t(
        "prospects.no_design", "zh", period=i18n.period(ctx.period.start, ctx.period.end, "zh")
    )
