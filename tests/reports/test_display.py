"""Specification of the display helpers: the bundles a report notebook's outputs are made of."""

from __future__ import annotations

import base64

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from crmstudy.reports import display

from .samples import TIERS, line_figure


def test_table_bundle_offers_html_markdown_and_plain_text():
    bundle = display.table_bundle(TIERS)
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}


def test_table_markdown_is_a_pipe_table_with_numbers_right_aligned_and_caption():
    md = display.table_bundle(TIERS, caption="By tier", formats={"share": "{:.1%}"})["text/markdown"]
    header, rule, *rows, _, caption = md.splitlines()
    assert header.split("|")[1].strip() == "tier"
    assert [cell.strip()[-1] for cell in rule.strip("|").split("|")] == ["-", ":", ":"]
    assert "51,000" in rows[2] and "51.2%" in rows[0]
    assert caption == ": By tier"


def test_table_cells_are_escaped_for_markdown_and_html():
    df = pd.DataFrame({"name": ["a|b <i>x</i>"]})
    bundle = display.table_bundle(df)
    assert r"a\|b \<i\>x\</i\>" in bundle["text/markdown"]
    assert "a|b &lt;i&gt;x&lt;/i&gt;" in bundle["text/html"]


def test_wide_html_table_sits_in_a_scrolling_wrapper():
    assert display.table_bundle(TIERS)["text/html"].startswith('<div class="table-wrap">')


def test_missing_values_show_as_a_dash_and_index_can_be_shown():
    df = pd.DataFrame({"assets": [1.5, None]}, index=pd.Index(["B1", "B2"], name="branch"))
    md = display.table_bundle(df, index=True)["text/markdown"]
    assert "branch" in md and "| B2" in md and "–" in md


def test_figure_bundle_is_a_200_dpi_png_with_alt_text_and_physical_width():
    fig = line_figure(width_in=4.0)
    data, meta = display.figure_bundle(fig, alt="A line")
    plt.close(fig)
    png = base64.b64decode(data["image/png"])
    width_px = int.from_bytes(png[16:20], "big")
    assert png.startswith(b"\x89PNG")
    assert 700 <= width_px <= 800  # 4 in at 200 dpi, less the tight bounding box
    assert float(meta["image/png"].pop("data-min-font-pt")) > 0  # the browser test reads it
    assert meta["image/png"] == {"alt": "A line", "width": round(width_px * 96 / 200)}


def test_a_figure_says_how_small_its_smallest_text_is():
    fig, ax = plt.subplots()
    ax.set_xlabel("label", fontsize=14)
    ax.tick_params(labelsize=9)
    ax.text(0.5, 0.5, "", fontsize=3)  # empty: nobody reads it
    fig.canvas.draw()  # tick labels get their text when drawn (figure_bundle has saved the figure first)
    assert display.smallest_text(fig) == 9
    plt.close(fig)


def test_a_departed_owner_is_marked_in_every_table_and_a_phone_gets_each_cell_s_label():
    df = pd.DataFrame({"Owner": ["B4-CU01", "B4-CU02"], "Customers": [3, 4]})
    with display.marked_values({"B4-CU01": "B4-CU01 (left)"}):
        html = display.table_bundle(df)["text/html"]
    assert "B4-CU01 (left)" in html and "B4-CU02 (left)" not in html
    assert '<td data-label="Owner">B4-CU02</td>' in html
    assert "(left)" not in display.table_bundle(df)["text/html"], "the marks end with the report"


def test_show_figure_closes_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr(display, "_publish", lambda data, meta=None: shown.append((data, meta)))
    fig = line_figure()
    display.show_figure(fig, alt="A line")
    assert not plt.fignum_exists(fig.number)
    assert "image/png" in shown[0][0]


def test_headings_and_readings_are_plain_markdown():
    assert display.heading_markdown("Who holds the  assets", level=3) == "### Who holds the assets"
    assert display.reading_markdown("Half of it.\nReally.") == "> Half of it.\n> Really."
    with pytest.raises(ValueError, match="level must be 1 to 6"):
        display.heading_markdown("x", level=7)


def test_metrics_show_as_cards_in_html_and_a_headerless_table_in_markdown():
    bundle = display.metrics_bundle({"Customers": 12840, "Top 1% share": "38.2%"})
    assert bundle["text/html"].count('class="metric"') == 2
    lines = bundle["text/markdown"].splitlines()
    assert lines[0].replace("|", "").strip() == ""
    assert "12,840" in lines[2] and "38.2%" in lines[3]
