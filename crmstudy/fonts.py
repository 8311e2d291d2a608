"""A CJK font for Chinese figures and PDFs: find one that is installed, register it.

Chinese text needs a font with Chinese glyphs; without one, matplotlib draws
empty boxes (and warns "Glyph ... missing from font(s)") and Typst falls back
to whatever it finds, often a Japanese face.  :func:`find_cjk_font` looks for
a Simplified Chinese font at run time, in this order:

1. the file named by the ``CRMSTUDY_CJK_FONT`` environment variable;
2. a preferred family matplotlib already knows (:data:`CJK_FAMILIES`);
3. font files on the system that matplotlib's font cache does not list yet
   (the cache is built once, so a font installed later is otherwise missed);
4. any family whose name says CJK or SC.

:func:`use_cjk_font` adds the font to matplotlib's ``font.family`` *after*
the usual sans-serif, so Latin text looks as before and only the glyphs
DejaVu Sans lacks come from the CJK font (matplotlib's per-glyph fallback).
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from .errors import CjkFontWarning

#: Preferred Simplified Chinese sans-serif families, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Heiti SC",
    "SimHei",
    "Droid Sans Fallback",
)
#: Environment variable naming a font file to use instead (.otf, .ttf, .ttc).
ENV_VAR = "CRMSTUDY_CJK_FONT"
#: The one line shown when no CJK font is found.
INSTALL_HINT = (
    "no CJK font found, so Chinese text would show as empty boxes: install one with "
    "`apt-get install fonts-noto-cjk` (Debian/Ubuntu), `dnf install google-noto-sans-cjk-fonts` "
    "(Fedora), or put a Noto Sans SC / Noto Sans CJK SC font file in ~/.local/share/fonts "
    f"or name it in the {ENV_VAR} environment variable"
)
# File names of CJK fonts, for files the font cache has not seen yet.
_FILE_HINT = re.compile(
    r"cjk|wqy|wenquanyi|sourcehan|notosanssc|notoserifsc|msyh|pingfang|simhei|droidsansfallback", re.IGNORECASE
)
# Any family that says it is CJK or Simplified Chinese.
_NAME_HINT = re.compile(r"CJK|\bSC\b")


@dataclass(frozen=True)
class CjkFont:
    """An installed CJK font: its family name and the file it lives in."""

    family: str
    path: Path


@functools.cache
def find_cjk_font() -> CjkFont | None:
    """The best installed Simplified Chinese font, registered with matplotlib; None when there is none.

    The answer is cached for the process; call ``find_cjk_font.cache_clear()``
    after installing a font.
    """
    from matplotlib import font_manager as fm

    override = os.environ.get(ENV_VAR)
    if override and Path(override).expanduser().is_file():
        return _register(Path(override).expanduser(), fm)
    found = _preferred(fm.fontManager.ttflist)
    if found:
        return found
    known = {Path(f.fname) for f in fm.fontManager.ttflist}
    for path in sorted(fm.findSystemFonts()):
        path = Path(path)
        if path not in known and _FILE_HINT.search(path.name):
            _add(path, fm)
    return _preferred(fm.fontManager.ttflist) or _any_cjk(fm.fontManager.ttflist)


def _add(path: Path, fm) -> None:
    try:
        fm.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError):  # an unreadable file is not a font we can use
        pass


def _register(path: Path, fm) -> CjkFont | None:
    before = len(fm.fontManager.ttflist)
    _add(path, fm)
    entries = [f for f in fm.fontManager.ttflist[before:] if Path(f.fname) == path] or [
        f for f in fm.fontManager.ttflist if Path(f.fname) == path
    ]
    if not entries:
        return None
    return _preferred(entries) or _any_cjk(entries) or CjkFont(entries[0].name, path)


def _preferred(entries) -> CjkFont | None:
    by_name = {}
    for f in sorted(entries, key=lambda f: (f.style != "normal", abs(int(f.weight) - 400))):  # regular first
        by_name.setdefault(f.name, f)
    for family in CJK_FAMILIES:
        if family in by_name:
            return CjkFont(family, Path(by_name[family].fname))
    return None


def _any_cjk(entries) -> CjkFont | None:
    for f in sorted(entries, key=lambda f: (" SC" not in f.name, f.name)):  # Simplified first
        if _NAME_HINT.search(f.name) and "Mono" not in f.name:
            return CjkFont(f.name, Path(f.fname))
    return None


_warned = False


def warn_missing() -> None:
    """Warn, once per process, that no CJK font is installed and how to install one."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(INSTALL_HINT, CjkFontWarning, stacklevel=3)


def use_cjk_font(*, warn: bool = True) -> CjkFont | None:
    """Let matplotlib draw Chinese glyphs: add the CJK font as a fallback family.

    Safe to call before every figure (it also restores the fallback after a
    style or seaborn theme reset ``font.family``).

    Parameters
    ----------
    warn : bool
        Emit :data:`INSTALL_HINT` once when no CJK font is installed.

    Returns
    -------
    CjkFont or None
        The font now in use, or None when there is none.
    """
    import matplotlib as mpl

    font = find_cjk_font()
    if font is None:
        if warn:
            warn_missing()
        return None
    family = list(mpl.rcParams["font.family"])
    if font.family not in family:
        mpl.rcParams["font.family"] = family + [font.family]
    return font


def typst_families(lang: str) -> list[str]:
    """Font families for a Typst document in ``lang``; empty means Typst's default.

    Chinese documents are set in the CJK font throughout, its Latin glyphs
    included, so that a sentence mixing both reads as one typeface.
    """
    if lang.split("-")[0] != "zh":
        return []
    font = find_cjk_font()
    if font is None:
        warn_missing()
        return []
    return [font.family]


def font_dirs() -> list[str]:
    """The folder of the CJK font, for tools that are given font folders (Typst)."""
    font = find_cjk_font()
    return [str(font.path.parent)] if font else []
