"""Turn an executed report notebook into HTML (and PDF): two engines, one interface.

* ``builtin`` -- pandoc (from ``pypandoc-binary``) writes one self-contained
  HTML file; for PDF, pandoc writes Typst markup and the ``typst`` wheel
  compiles it.  Works offline, nothing to install beyond the wheels.
* ``quarto`` -- used when a ``quarto`` executable is on PATH.

Both render a *prepared* copy of the notebook (:func:`prepare_for_report`):
a branch president sees outputs, never code.  Every file is written
atomically: a reader finds the old report or the new one, never half of one,
and when a PDF is asked for, HTML and PDF appear together or not at all.
"""

from __future__ import annotations

import abc
import contextlib
import copy
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat

from ... import fonts
from ...atomic import atomic_path
from ...errors import RenderError

ASSETS = Path(__file__).resolve().parents[1] / "assets"
CSS_PATH = ASSETS / "report.css"
LUA_FILTER = ASSETS / "notebook.lua"
TYPST_HEADER = ASSETS / "report.typ"

#: Seconds a single pandoc or quarto run may take before it is abandoned.
TOOL_TIMEOUT = 600

#: Folders searched for CJK fonts, for PDFs of Chinese reports (Debian/Ubuntu
#: packages fonts-noto-cjk, fonts-wqy-*; macOS; a user's own fonts).
CJK_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/opentype/source-han-sans",
    "/System/Library/Fonts",
    "~/.local/share/fonts",
)

_TOC_TITLES = {"en": "Contents", "zh": "目录"}
#: Region of each language, for Typst's punctuation and line breaking.
_REGIONS = {"zh": "CN"}
_REMOVED_TAGS = {"parameters", "injected-parameters", "remove-cell"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --------------------------------------------------------------------------
# the notebook a reader sees


def prepare_for_report(nb: nbformat.NotebookNode, *, show_code: bool = False) -> nbformat.NotebookNode:
    """A copy of an executed notebook holding only what a report reader sees.

    Drops the cells tagged ``parameters``, ``injected-parameters`` (papermill)
    and ``remove-cell``; blanks every code input (unless ``show_code``, for
    teaching notebooks) but keeps its outputs, minus stderr streams; strips
    terminal colour codes from text outputs.
    """
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _REMOVED_TAGS:
            continue
        if cell.cell_type == "code":
            if not show_code:
                cell.source = ""
            cell.outputs = [
                _clean_output(o)
                for o in cell.get("outputs", [])
                if not (o.output_type == "stream" and o.get("name") == "stderr")
            ]
        cells.append(cell)
    out.cells = cells
    return out


def _clean_output(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if output.output_type == "stream":
        output.text = _ANSI.sub("", output.text)
    elif output.output_type == "error":
        output.traceback = [_ANSI.sub("", line) for line in output.traceback]
    return output


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise RenderError(f"{path}: notebook not found") from None
    except Exception as exc:  # nbformat raises several unrelated types
        raise RenderError(f"{path}: not a readable notebook ({_last_line(str(exc))})") from exc


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# --------------------------------------------------------------------------
# engines


class Engine(abc.ABC):
    """Something that turns an executed notebook into report files."""

    #: Name used by :func:`select_engine` and the CLI.
    name: str = ""

    @abc.abstractmethod
    def render(
        self,
        executed_notebook: Path,
        html_out: Path,
        *,
        title: str,
        lang: str = "en",
        pdf_out: Path | None = None,
        running_header: str | None = None,
    ) -> list[Path]:
        """Write the HTML report (and the PDF when ``pdf_out`` is given).

        Parameters
        ----------
        executed_notebook : Path
            A notebook papermill has run; it is not modified.
        html_out : Path
            Where the self-contained HTML goes.
        title : str
            Title shown at the top of the report.
        lang : str
            Language of the report (``"en"``, ``"zh"``), for hyphenation,
            fonts and the contents heading.
        pdf_out : Path, optional
            Where the A4 PDF goes; no PDF when omitted.
        running_header : str, optional
            Right-hand text of the PDF's running header from page 2 on (the
            title is on the left), e.g. the branch and period.

        Returns
        -------
        list of Path
            The files written, HTML first.

        Raises
        ------
        RenderError
            The notebook is unreadable or a tool failed; no output was touched.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BuiltinEngine(Engine):
    """pandoc for HTML, pandoc + the ``typst`` wheel for PDF; works offline.

    Parameters
    ----------
    show_code : bool
        Keep code inputs (teaching notebooks); reports hide them.
    """

    name = "builtin"

    def __init__(self, *, show_code: bool = False):
        self.show_code = show_code

    def render(
        self,
        executed_notebook: Path,
        html_out: Path,
        *,
        title: str,
        lang: str = "en",
        pdf_out: Path | None = None,
        running_header: str | None = None,
    ) -> list[Path]:
        """Pandoc's HTML, and the PDF Typst compiles from pandoc's Typst markup (see :meth:`Engine.render`)."""
        notebook, html_out = Path(executed_notebook), Path(html_out)
        prepared = prepare_for_report(_read_notebook(notebook), show_code=self.show_code)
        with tempfile.TemporaryDirectory(prefix="crmstudy-render-") as tmp, contextlib.ExitStack() as outputs:
            work = Path(tmp)
            source = work / "report.ipynb"
            nbformat.write(prepared, source)
            base_lang = lang.split("-")[0]
            meta = [
                "-M",
                f"title={title}",
                "-M",
                f"lang={lang}",
                "-M",
                f"toc-title={_TOC_TITLES.get(base_lang, 'Contents')}",
            ]
            if base_lang in _REGIONS:
                meta += ["-M", f"region={_REGIONS[base_lang]}"]
            html_tmp = outputs.enter_context(atomic_path(html_out, suffix=".html"))
            _pandoc(
                notebook,
                [
                    str(source),
                    "-t",
                    "html5",
                    "--standalone",
                    "--embed-resources",
                    "--toc",
                    "--toc-depth=3",
                    "--css",
                    str(CSS_PATH),
                    *meta,
                    "-o",
                    str(html_tmp),
                ],
                cwd=work,
            )
            written = [html_out]
            if pdf_out is not None:
                pdf_out = Path(pdf_out)
                pdf_tmp = outputs.enter_context(atomic_path(pdf_out, suffix=".pdf"))
                typ = work / "report.typ"
                (work / "layout.json").write_text(json.dumps(_TYPST_LAYOUT), encoding="utf-8")
                headers = ["-H", str(TYPST_HEADER)]
                (work / "running.typ").write_text(typst_running_header(title, running_header), encoding="utf-8")
                headers += ["-H", "running.typ"]
                font_header = typst_font_header(lang)
                if font_header:
                    (work / "fonts.typ").write_text(font_header, encoding="utf-8")
                    headers += ["-H", "fonts.typ"]
                _pandoc(
                    notebook,
                    [
                        str(source),
                        "-t",
                        "typst",
                        "--standalone",
                        "--toc",
                        "--extract-media=media",
                        "--metadata-file=layout.json",
                        *headers,
                        *meta,
                        "-o",
                        str(typ),
                    ],
                    cwd=work,
                )
                _typst(notebook, typ, pdf_tmp, root=work)
                written.append(pdf_out)
        return written


def typst_running_header(left: str, right: str | None) -> str:
    """A Typst page header from page 2 on: the report's title left, ``right`` (e.g. the period) right."""
    lit = lambda text: json.dumps(text or "", ensure_ascii=False)  # noqa: E731 - a Typst string literal
    return (
        "#set page(header: context { if counter(page).get().first() > 1 {\n"
        f"  set text(size: 8pt, fill: luma(110)); text({lit(left)}); h(1fr); text({lit(right)})\n"
        "} })\n"
    )


# A4 with page numbers; margins a little narrower than pandoc's 1.25in so
# tables keep their columns.
_TYPST_LAYOUT = {"papersize": "a4", "page-numbering": "1", "margin": {"x": "2cm", "y": "2.5cm"}}


def _pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def _pandoc(notebook: Path, args: Sequence[str], *, cwd: Path) -> None:
    cmd = [_pandoc_path(), "-f", "ipynb", "--ipynb-output=all", "--lua-filter", str(LUA_FILTER), *args]
    _run_tool("pandoc", notebook, cmd, cwd=cwd)


def _run_tool(tool: str, notebook: Path, cmd: Sequence[str], *, cwd: Path) -> None:
    """Run pandoc or quarto on ``notebook``'s behalf; a failure is a one-line :class:`RenderError`."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{tool} took over {TOOL_TIMEOUT}s on {notebook}") from None
    except OSError as exc:
        raise RenderError(f"{tool} could not start for {notebook}: {exc}") from None
    if proc.returncode != 0:
        raise RenderError(f"{tool} failed on {notebook} (exit {proc.returncode}): {_last_line(proc.stderr)}")


def _typst(notebook: Path, source: Path, pdf: Path, *, root: Path) -> None:
    import typst

    try:
        typst.compile(str(source), output=str(pdf), root=str(root), font_paths=_font_paths(), format="pdf")
    except Exception as exc:  # typst.TypstError and friends
        raise RenderError(f"typst failed on {notebook}: {_first_error(str(exc))}") from exc


def _first_error(message: str) -> str:
    # Typst reports "error: ..." first, then source excerpts and hints.
    for line in message.splitlines():
        if line.strip().lower().startswith("error"):
            return line.strip()
    return _last_line(message)


def _font_paths() -> list[str]:
    """Existing folders with CJK fonts, passed to Typst (empty when none)."""
    found = [Path(d).expanduser() for d in CJK_FONT_DIRS]
    found += [Path(d) for d in fonts.font_dirs()]
    return list(dict.fromkeys(str(d) for d in found if d.is_dir()))


def typst_font_header(lang: str) -> str:
    """Typst lines that set a ``lang`` document in its font; empty for Typst's default.

    A Chinese report is set in the CJK font found by :mod:`crmstudy.fonts`
    (its Latin glyphs too, so mixed sentences read as one typeface).
    """
    families = fonts.typst_families(lang)
    if not families:
        return ""
    return f"#set text(font: ({', '.join(json.dumps(f) for f in families)},))\n"


# -- quarto


def quarto_command(notebook: Path, html_out: Path, *, title: str, lang: str, fmt: str = "html") -> list[str]:
    """The ``quarto render`` command line for one notebook.

    Quarto writes its output next to the input under the ``--output`` name,
    so only the file name of ``html_out`` is used.  Metadata values are JSON
    quoted because Quarto reads them as YAML (a title with a colon, or the
    language code ``no``, would otherwise change type).

    Examples
    --------
    >>> quarto_command(Path("/t/B001.ipynb"), Path("out/B001.html"), title="B001", lang="en")
    ... # doctest: +NORMALIZE_WHITESPACE
    ['quarto', 'render', '/t/B001.ipynb', '--to', 'html', '--output', 'B001.html',
     '-M', 'embed-resources:true', '-M', 'toc:true', '-M', 'echo:false',
     '-M', 'title:"B001"', '-M', 'lang:"en"']
    """
    cmd = ["quarto", "render", str(notebook), "--to", fmt, "--output", Path(html_out).name]
    if fmt == "html":
        cmd += ["-M", "embed-resources:true"]
    cmd += [
        "-M",
        "toc:true",
        "-M",
        "echo:false",
        "-M",
        "title:" + json.dumps(title, ensure_ascii=False),
        "-M",
        "lang:" + json.dumps(lang, ensure_ascii=False),
    ]
    return cmd


class QuartoEngine(Engine):
    """Quarto (``quarto render``), for teams that already use it; PDF via Quarto's Typst."""

    name = "quarto"

    def render(
        self,
        executed_notebook: Path,
        html_out: Path,
        *,
        title: str,
        lang: str = "en",
        pdf_out: Path | None = None,
        running_header: str | None = None,
    ) -> list[Path]:
        """Quarto's HTML, and its Typst PDF (see :meth:`Engine.render`)."""
        notebook, html_out = Path(executed_notebook), Path(html_out)
        prepared = prepare_for_report(_read_notebook(notebook))
        targets = [(html_out, "html")] + ([(Path(pdf_out), "typst")] if pdf_out else [])
        with tempfile.TemporaryDirectory(prefix="crmstudy-quarto-") as tmp, contextlib.ExitStack() as outputs:
            source = Path(tmp) / f"{html_out.stem}.ipynb"
            nbformat.write(prepared, source)
            for out, fmt in targets:
                tmp_out = outputs.enter_context(atomic_path(out, suffix=out.suffix))
                produced = source.with_name(out.name)
                _run_tool(
                    "quarto",
                    notebook,
                    quarto_command(source, out, title=title, lang=lang, fmt=fmt) + _quarto_font_args(lang, fmt),
                    cwd=Path(tmp),
                )
                if not produced.is_file():
                    raise RenderError(f"quarto wrote no {out.name} for {notebook}")
                shutil.move(produced, tmp_out)
        return [out for out, _ in targets]


#: CSS font stack Quarto's HTML gets for a Chinese report (as in assets/report.css).
_ZH_CSS_FONTS = (
    '-apple-system, "Segoe UI", Roboto, Arial, "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)


def _quarto_font_args(lang: str, fmt: str) -> list[str]:
    """Quarto metadata that sets a Chinese report in a CJK font; empty for other languages."""
    if lang.split("-")[0] != "zh":
        return []
    if fmt == "html":
        return ["-M", "mainfont:" + json.dumps(_ZH_CSS_FONTS)]
    families = fonts.typst_families(lang)
    if not families:
        return []
    return [
        "-M",
        "mainfont:" + json.dumps(families[0], ensure_ascii=False),
        "-M",
        "font-paths:" + json.dumps(_font_paths()),
    ]


ENGINES: dict[str, type[Engine]] = {"builtin": BuiltinEngine, "quarto": QuartoEngine}


def select_engine(preference: str = "auto") -> Engine:
    """The render engine to use: ``"auto"``, ``"quarto"`` or ``"builtin"``.

    ``"auto"`` picks Quarto when a ``quarto`` executable is on PATH and the
    builtin engine otherwise.

    Raises
    ------
    RenderError
        Quarto was asked for but is not installed, or the name is unknown.
    """
    if preference == "auto":
        return QuartoEngine() if shutil.which("quarto") else BuiltinEngine()
    if preference not in ENGINES:
        raise RenderError(f"unknown render engine {preference!r}; expected one of {', '.join(['auto', *ENGINES])}")
    if preference == "quarto" and not shutil.which("quarto"):
        raise RenderError(
            "render engine 'quarto' needs a `quarto` executable on PATH: install it with "
            "`pip install 'crmstudy[quarto]'` (quarto-cli) or "
            "`conda install -c conda-forge quarto`; "
            "engine 'builtin' needs nothing and works offline"
        )
    return ENGINES[preference]()
