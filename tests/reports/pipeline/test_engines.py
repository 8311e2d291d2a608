"""Specification of the render engines: the notebook a reader sees, builtin and Quarto HTML and PDF.

Most tests build an executed notebook directly (outputs constructed with the
same bundles the display helpers emit) and render it once per module; one
slow test runs a real notebook through papermill and a Jupyter kernel.
"""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pytest

from crmstudy.errors import RenderError
from crmstudy.reports import display
from crmstudy.reports.pipeline import (
    BuiltinEngine,
    QuartoEngine,
    engines,
    prepare_for_report,
    quarto_command,
    select_engine,
)

from ..samples import TIERS, line_figure

ROOT = Path(__file__).resolve().parents[3]


# --------------------------------------------------------------------------
# fixtures


def _executed_notebook() -> nbformat.NotebookNode:
    """What papermill leaves behind, built by hand: every kind of cell and output."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "# Branch report\n\nFor the branch president.\n\n## Overview\n\nWho holds the assets."
        )
    )
    params = nbformat.v4.new_code_cell("branch = 'B000'  # PARAMS_DEFAULT")
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell("branch = 'B042'  # PARAMS_INJECTED")
    injected.metadata["tags"] = ["injected-parameters"]
    fig = line_figure()
    png, png_meta = display.figure_bundle(fig, alt="Lorenz curve of assets")
    plt.close(fig)
    analysis = nbformat.v4.new_code_cell("show_table(tiers)  # CODE_INPUT")
    analysis.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="STDOUT_NOTE\n"),
        nbformat.v4.new_output("stream", name="stderr", text="STDERR_WARNING: deprecated\n"),
        nbformat.v4.new_output("display_data", data=_markdown(display.heading_markdown("Concentration"))),
        nbformat.v4.new_output("display_data", data=display.metrics_bundle({"Customers": 53520})),
        nbformat.v4.new_output(
            "display_data", data=display.table_bundle(TIERS, caption="Customers by tier", formats={"share": "{:.1%}"})
        ),
        nbformat.v4.new_output("display_data", data=png, metadata=png_meta),
        nbformat.v4.new_output(
            "display_data", data=_markdown(display.reading_markdown("Private clients hold half of the assets."))
        ),
    ]
    hidden = nbformat.v4.new_code_cell("debug()")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="REMOVED_CELL_OUTPUT\n")]
    nb.cells.extend([params, injected, analysis, hidden])
    return nb


def _markdown(text: str) -> dict:
    return {"text/markdown": text, "text/plain": text}


@pytest.fixture(scope="module")
def notebook_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("nb") / "B042.ipynb"
    nbformat.write(_executed_notebook(), path)
    return path


@pytest.fixture(scope="module")
def rendered(notebook_path, tmp_path_factory) -> dict:
    """HTML and PDF of the notebook, plus the Typst source the PDF came from."""
    out = tmp_path_factory.mktemp("out")
    captured = {}
    real_typst = engines._typst

    def keep_source(notebook, source, pdf, *, root):
        captured["typst"] = Path(source).read_text(encoding="utf-8")
        captured["media"] = sorted(p.name for p in (Path(root) / "media").glob("*"))
        return real_typst(notebook, source, pdf, root=root)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engines, "_typst", keep_source)
        written = BuiltinEngine().render(
            notebook_path, out / "B042.html", title="Branch B042", pdf_out=out / "B042.pdf"
        )
    return {
        "written": written,
        "html": (out / "B042.html").read_text(encoding="utf-8"),
        "pdf": (out / "B042.pdf").read_bytes(),
        **captured,
        "dir": out,
    }


# --------------------------------------------------------------------------
# preparing the notebook


def test_prepared_notebook_keeps_outputs_but_no_code_parameters_stderr_or_removed_cells():
    prepared = prepare_for_report(_executed_notebook())
    text = nbformat.writes(prepared)
    for hidden in ("PARAMS_DEFAULT", "PARAMS_INJECTED", "CODE_INPUT", "STDERR_WARNING", "REMOVED_CELL_OUTPUT"):
        assert hidden not in text
    assert "STDOUT_NOTE" in text and "Customers by tier" in text


def test_preparing_leaves_the_executed_notebook_alone():
    nb = _executed_notebook()
    before = nbformat.writes(nb)
    prepare_for_report(nb)
    assert nbformat.writes(nb) == before


# --------------------------------------------------------------------------
# builtin engine: HTML


def test_builtin_engine_writes_html_and_pdf_and_returns_them(rendered):
    assert [p.name for p in rendered["written"]] == ["B042.html", "B042.pdf"]
    assert sorted(p.name for p in rendered["dir"].iterdir()) == ["B042.html", "B042.pdf"]


def test_html_report_holds_the_table_as_a_real_table(rendered):
    html = rendered["html"]
    assert "<table" in html and "<caption>Customers by tier</caption>" in html
    for value in ("Private", "51,000", "51.2%", "Mass &lt;&amp;&gt;"):
        assert value in html


def test_html_report_embeds_the_figure_as_a_png_data_uri_with_alt_text(rendered):
    assert "<img " in rendered["html"]
    assert 'src="data:image/png;base64,' in rendered["html"]
    assert 'alt="Lorenz curve of assets"' in rendered["html"]


def test_html_report_has_a_toc_listing_headings_from_markdown_cells_and_outputs(rendered):
    toc = re.search(r'<nav id="TOC".*?</nav>', rendered["html"], re.S).group(0)
    assert "Overview" in toc and "Concentration" in toc


def test_html_report_shows_outputs_but_no_code_parameters_or_stderr(rendered):
    html = rendered["html"]
    assert "STDOUT_NOTE" in html and "Private clients hold half" in html and "53,520" in html
    for hidden in (
        "CODE_INPUT",
        "show_table",
        "PARAMS_DEFAULT",
        "PARAMS_INJECTED",
        "STDERR_WARNING",
        "REMOVED_CELL_OUTPUT",
        "sourceCode",
    ):
        assert hidden not in html


def test_html_report_references_no_external_file_or_url(rendered):
    html = rendered["html"]
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)
    assert all(src.startswith("data:") for src in re.findall(r'src="([^"]*)"', html))
    assert "url(" not in html and "@import" not in html


def test_html_report_carries_the_stylesheet_title_and_language(rendered):
    html = rendered["html"]
    assert "<style" in html and ".table-wrap" in html and "max-width: 1220px" in html
    assert "<title>Branch B042</title>" in html and 'lang="en"' in html


# --------------------------------------------------------------------------
# builtin engine: PDF


@pytest.mark.pdf
def test_pdf_is_an_a4_pdf_with_the_figure_embedded_at_full_resolution(rendered):
    pdf = rendered["pdf"]
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/MediaBox\s*\[0 0 595\.\d+ 841\.\d+\]", pdf)
    assert re.search(rb"/Subtype\s*/Image", pdf)
    widths = [int(w) for w in re.findall(rb"/Subtype\s*/Image.{0,200}?/Width\s+(\d+)", pdf, re.S)]
    widths += [int(w) for w in re.findall(rb"/Width\s+(\d+).{0,200}?/Subtype\s*/Image", pdf, re.S)]
    assert widths and max(widths) >= 700  # not downsampled from 200 dpi


@pytest.mark.pdf
def test_pdf_holds_the_table_values(rendered, tmp_path):
    assert shutil.which("pdftotext"), "pdftotext is needed (Debian: poppler-utils; ./make.sh test installs it)"
    assert "#table(" in rendered["typst"]
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(rendered["pdf"])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for value in ("Private", "51,000", "51.2%", "Customers by tier"):
        assert value in text


def test_typst_source_has_page_numbers_a_toc_the_figure_and_no_hidden_content(rendered):
    typ = rendered["typst"]
    assert 'paper: "a4"' in typ and 'pagenumbering: "1"' in typ and "#outline(" in typ
    assert re.search(r'image\("media/[0-9a-f]+\.png"\)', typ) and rendered["media"]
    assert "#quote(block: true)" in typ and "== Concentration" in typ
    for hidden in ("CODE_INPUT", "PARAMS_INJECTED", "STDERR_WARNING", "text/plain"):
        assert hidden not in typ


def test_font_paths_lists_only_existing_folders():
    assert all(Path(p).is_dir() for p in engines._font_paths())


# --------------------------------------------------------------------------
# builtin engine: failures leave the destination alone


def _fake_tool(folder: Path, name: str, script: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_failing_pandoc_raises_one_line_naming_notebook_exit_code_and_message(notebook_path, tmp_path, monkeypatch):
    # The fake writes half a file to its -o target before failing.
    pandoc = _fake_tool(
        tmp_path / "bin",
        "pandoc",
        """
while [ $# -gt 0 ]; do [ "$1" = "-o" ] && echo '<html><body>half' > "$2"; shift; done
echo 'pandoc: Unknown reader: ipynb-broken' >&2
exit 64
""",
    )
    monkeypatch.setattr(engines, "_pandoc_path", lambda: str(pandoc))
    out = tmp_path / "reports" / "B042.html"
    out.parent.mkdir()
    out.write_text("previous report")
    with pytest.raises(RenderError) as err:
        BuiltinEngine().render(notebook_path, out, title="B042")
    message = str(err.value)
    assert "\n" not in message
    assert "B042.ipynb" in message and "exit 64" in message and "Unknown reader" in message
    assert out.read_text() == "previous report"
    assert [p.name for p in out.parent.iterdir()] == ["B042.html"]


def test_a_corrupt_notebook_raises_render_error_and_writes_nothing(tmp_path):
    broken = tmp_path / "B007.ipynb"
    broken.write_text('{"cells": [ this is not json')
    out = tmp_path / "reports" / "B007.html"
    with pytest.raises(RenderError, match="B007.ipynb: not a readable notebook"):
        BuiltinEngine().render(broken, out, title="B007")
    assert not out.exists()


def test_when_typst_fails_neither_html_nor_pdf_appears(notebook_path, tmp_path, monkeypatch):
    bad_header = tmp_path / "bad.typ"
    bad_header.write_text("#let broken = (\n")
    monkeypatch.setattr(engines, "TYPST_HEADER", bad_header)
    html, pdf = tmp_path / "out" / "B042.html", tmp_path / "out" / "B042.pdf"
    with pytest.raises(RenderError, match=r"^typst failed on .*B042\.ipynb: "):
        BuiltinEngine().render(notebook_path, html, title="B042", pdf_out=pdf)
    assert list((tmp_path / "out").iterdir()) == []


# --------------------------------------------------------------------------
# quarto engine


def test_quarto_command_for_given_arguments():
    cmd = quarto_command(
        Path("/tmp/work/B042.ipynb"), Path("/reports/B042.html"), title="Branch B042: assets", lang="zh"
    )
    assert cmd == [
        "quarto",
        "render",
        "/tmp/work/B042.ipynb",
        "--to",
        "html",
        "--output",
        "B042.html",
        "-M",
        "embed-resources:true",
        "-M",
        "toc:true",
        "-M",
        "echo:false",
        "-M",
        'title:"Branch B042: assets"',
        "-M",
        'lang:"zh"',
    ]


def test_quarto_command_for_pdf_uses_typst_and_no_html_options():
    cmd = quarto_command(Path("B042.ipynb"), Path("B042.pdf"), title="B042", lang="en", fmt="typst")
    assert cmd[3:7] == ["--to", "typst", "--output", "B042.pdf"]
    assert "embed-resources:true" not in cmd


@pytest.fixture
def fake_path(tmp_path, monkeypatch) -> Path:
    """An otherwise empty PATH folder to put fake tools in."""
    folder = tmp_path / "fakebin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_a_failing_quarto_raises_one_line_naming_exit_code_and_its_message(notebook_path, tmp_path, fake_path):
    _fake_tool(fake_path, "quarto", "echo 'Rendering...' >&2\necho 'ERROR: YAML validation failed' >&2\nexit 1\n")
    out = tmp_path / "B042.html"
    with pytest.raises(RenderError) as err:
        QuartoEngine().render(notebook_path, out, title="B042")
    message = str(err.value)
    assert message.startswith("quarto failed on ") and "B042.ipynb" in message
    assert "exit 1" in message and message.endswith("ERROR: YAML validation failed")
    assert not out.exists()


def test_a_successful_quarto_output_is_moved_into_place(notebook_path, tmp_path, fake_path):
    # Like quarto: write --output next to the input notebook; record the call.
    _fake_tool(
        fake_path,
        "quarto",
        """
nb="$2"; out=""; all="$*"
while [ $# -gt 0 ]; do [ "$1" = "--output" ] && out="$2"; shift; done
echo "<html>fake quarto: $all</html>" > "${nb%/*}/$out"
""",
    )
    out = tmp_path / "reports" / "B042.html"
    out.parent.mkdir()
    out.write_text("previous report")
    written = QuartoEngine().render(notebook_path, out, title="Branch B042")
    assert written == [out]
    assert out.read_text().startswith("<html>fake quarto: render ")
    assert 'title:"Branch B042"' in out.read_text()
    assert [p.name for p in out.parent.iterdir()] == ["B042.html"]


def test_select_engine_auto_prefers_quarto_when_on_path(fake_path):
    assert isinstance(select_engine("auto"), BuiltinEngine)
    _fake_tool(fake_path, "quarto", "exit 0\n")
    assert isinstance(select_engine("auto"), QuartoEngine)
    assert isinstance(select_engine("builtin"), BuiltinEngine)


def test_asking_for_quarto_without_it_says_how_to_install_it_and_offers_builtin(fake_path):
    with pytest.raises(RenderError) as err:
        select_engine("quarto")
    message = str(err.value)
    assert "quarto-cli" in message and "conda" in message and "'builtin'" in message
    assert "offline" in message and "\n" not in message


def test_an_unknown_engine_name_lists_the_valid_ones():
    with pytest.raises(RenderError, match=r"unknown render engine 'pdflatex'; .*auto, builtin, quarto"):
        select_engine("pdflatex")


def test_engines_have_their_names():
    assert (BuiltinEngine.name, QuartoEngine.name) == ("builtin", "quarto")


# --------------------------------------------------------------------------
# end to end through a Jupyter kernel


@pytest.mark.slow
def test_display_helpers_in_a_papermill_run_render_to_a_clean_report(tmp_path, monkeypatch):
    import papermill  # a dependency: the kernel run must happen, not be skipped

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Kernel run\n\nFor the test."))
    params = nbformat.v4.new_code_cell("branch = 'B000'")
    params.metadata["tags"] = ["parameters"]
    nb.cells.append(params)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "import sys\n"
            "import pandas as pd\n"
            "import matplotlib.pyplot as plt\n"
            "from crmstudy.reports.display import heading, say, show_figure, show_metrics, show_table\n"
            "heading(f'Branch {branch}')\n"
            "show_metrics({'Customers': 12840})\n"
            "show_table(pd.DataFrame({'tier': ['Private'], 'n': [1200]}), caption='By tier')\n"
            "fig, ax = plt.subplots(figsize=(4, 2)); ax.plot([1, 2])\n"
            "show_figure(fig, alt='A rising line')\n"
            "say('Numbers go up.')\n"
            "print('KERNEL_STDERR', file=sys.stderr)\n"
        )
    )
    source, executed = tmp_path / "in.ipynb", tmp_path / "B042.ipynb"
    nbformat.write(nb, source)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters={"branch": "B042"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    html_out = tmp_path / "B042.html"
    BuiltinEngine().render(executed, html_out, title="B042")
    html = html_out.read_text(encoding="utf-8")
    toc = re.search(r'<nav id="TOC".*?</nav>', html, re.S).group(0)
    assert "Branch B042" in toc
    assert "12,840" in html and "1,200" in html and "<caption>By tier</caption>" in html
    assert 'src="data:image/png;base64,' in html and "Numbers go up." in html
    for hidden in ("KERNEL_STDERR", "import pandas", "B000", "injected", "show_table"):
        assert hidden not in html


# --------------------------------------------------------------------------
# builtin engine: a table too wide for a portrait page goes on a landscape one


def _wide_table_notebook() -> nbformat.NotebookNode:
    """A heading and sentence, two tables of prose far wider than a page, a download line, a narrow table."""
    import pandas as pd

    why = "Trailing average assets fell to CNY 49.1k, from the General tier to the Potential tier, this month."
    todo = "Ask what prompted it and what would keep the money here; offer a rate or a product review."
    wide = pd.DataFrame(
        {
            "Customer": [f"C***{i:04d}" for i in range(3)],
            "Event": ["Moved down a tier"] * 3,
            "Why": [why] * 3,
            "What to do": [todo] * 3,
            "Owner": ["B002-CU01"] * 3,
            "Deadline": ["2026-01-03 00:00"] * 3,
            "Channel": ["visit"] * 3,
            "Status": ["planned"] * 3,
        }
    )
    out = lambda data: nbformat.v4.new_output("display_data", data=data)  # noqa: E731
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        out(_markdown(display.heading_markdown("Due events"))),
        out(_markdown(display.reading_markdown("WIDELEAD the three events to act on first."))),
        out(display.table_bundle(wide, caption="Due events, highest priority first")),
        out(_markdown("WIDEDOWNLOAD all 3 rows: [CSV](B042.events.csv) · [Excel](B042.events.xlsx)")),
        out(_markdown(display.reading_markdown("WIDESECOND the events past their deadline."))),
        out(display.table_bundle(wide.assign(Customer=[f"C***{i:04d}" for i in range(1000, 1003)]), caption="Overdue")),
        out(_markdown(display.heading_markdown("Tiers"))),
        out(display.table_bundle(TIERS, caption="NARROWTABLE customers by tier")),
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(cell)
    return nb


def _pdf_pages(pdf: Path) -> list[dict]:
    """Each page's size and words with their box heights (pdftotext -bbox)."""
    assert shutil.which("pdftotext"), "pdftotext is needed (Debian: poppler-utils; ./make.sh test installs it)"
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        w, h = (float(x) for x in re.match(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)
        pages.append({"landscape": w > h, "words": [(float(y1) - float(y0), t) for y0, y1, t in words]})
    return pages


@pytest.mark.pdf
def test_a_table_too_wide_for_portrait_is_set_landscape_with_its_heading_sentence_and_download_line(tmp_path):
    nb = tmp_path / "B042.ipynb"
    nbformat.write(_wide_table_notebook(), nb)
    BuiltinEngine().render(nb, tmp_path / "B042.html", title="Branch B042", pdf_out=tmp_path / "B042.pdf")
    pages = _pdf_pages(tmp_path / "B042.pdf")
    on = lambda word: [n for n, p in enumerate(pages) if any(word in t for _, t in p["words"])]  # noqa: E731
    (wide,) = on("C***0001")
    assert pages[wide]["landscape"], "the wide table is on a landscape page"
    assert on("WIDELEAD") == [wide] and on("WIDEDOWNLOAD") == [wide], "its sentence and download line go with it"
    assert wide in on("Due"), "and its heading"
    assert on("C***1001") == [wide] and on("WIDESECOND") == [wide], "a wide table right after shares the page"
    (narrow,) = on("NARROWTABLE")
    assert not pages[narrow]["landscape"], "a table that fits stays on a portrait page"
    assert not pages[0]["landscape"], "the report starts portrait"
    # table text is 8.5 pt where a table fits (the narrow one); the wide one keeps at least 8 pt of it,
    # where on a portrait page it would have been shrunk to 7 pt
    unscaled = max(h for h, t in pages[narrow]["words"] if t == "Private")
    smallest = min(h for h, t in pages[wide]["words"] if t.startswith("C***"))
    assert smallest / unscaled >= 8 / 8.5 - 0.01, f"wide table text at {8.5 * smallest / unscaled:.2f} pt"
