"""Reader-facing text and numbers in the report's language: English or Chinese.

Every message a reader sees lives in one catalogue per language: the core
``crmstudy/locale/en.yaml`` (``zh.yaml``) plus one file per analysis area,
``crmstudy/locale/<area>.en.yaml`` (``<area>.zh.yaml``), merged; a key may be
defined in one file only.  :func:`t` looks a message up by its dotted key and
fills its ``{placeholders}``.  The two catalogues hold the same keys with the
same placeholders (a test checks).

Numbers, percentages and dates go through Babel (CLDR data), so that they
follow the language.  Amounts are the exception: Chinese branch staff write
them in 万元 and 亿元 (1,234.5万元; 3.21亿元), which :func:`money` does itself.

Examples
--------
>>> t("tier.key", "zh")
'重点客户'
>>> money(12_345_000, "zh")
'1,234.5万元'
>>> money(1_234_567, "en")
'CNY 1.2M'
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal, format_percent

from .errors import MessageError

#: Languages with a catalogue, the first is the default.
LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).with_name("locale")
#: Babel locale of each language (Simplified Chinese as written in mainland China).
BABEL_LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
MISSING = "–"

_WAN = 1e4  # 万
_YI = 1e8  # 亿


def check_language(lang: str) -> str:
    """``lang`` itself when there is a catalogue for it; otherwise one line listing the choices."""
    if lang not in LANGUAGES:
        raise MessageError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return lang


def catalogue_files(lang: str) -> list[Path]:
    """The files of one language's catalogue: the core file first, then each area's, by name."""
    lang = check_language(lang)
    return [LOCALE_DIR / f"{lang}.yaml", *sorted(LOCALE_DIR.glob(f"*.{lang}.yaml"))]


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, as a flat ``{dotted.key: text}`` mapping."""
    merged: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in catalogue_files(lang):
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        for key, text in _flatten(data, path).items():
            if key in merged:
                raise MessageError(f"{path.name}: message {key!r} is already defined in {origin[key].name}")
            merged[key], origin[key] = text, path
    return merged


def _flatten(node: dict, path: Path, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path, full + "."))
        elif isinstance(value, str):
            out[full] = value
        else:
            raise MessageError(f"{path}: message {full!r} must be text, got {type(value).__name__}")
    return out


def t(key: str, lang: str = "en", /, **fmt: Any) -> str:
    """The message ``key`` in ``lang``, with its ``{placeholders}`` filled from ``fmt``.

    Values are inserted as they are: format numbers first with :func:`integer`,
    :func:`percent`, :func:`money` or :func:`date` so that they follow the language.

    Raises
    ------
    MessageError
        The key is not in the catalogue, or a placeholder was not given.
    """
    try:
        text = catalogue(lang)[key]
    except KeyError:
        raise MessageError(f"locale/{lang}.yaml has no message {key!r}") from None
    try:
        return text.format(**fmt) if fmt or "{" in text else text
    except KeyError as e:
        raise MessageError(f"message {key!r} ({lang}) needs a value for {{{e.args[0]}}}") from None


def has(key: str, lang: str = "en") -> bool:
    """Whether the catalogue of ``lang`` holds ``key``."""
    return key in catalogue(lang)


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# --------------------------------------------------------------------------
# numbers and dates


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def integer(n: Any, lang: str = "en") -> str:
    """A count with the language's thousands separators: ``'12,840'``."""
    return MISSING if _missing(n) else format_decimal(int(n), locale=BABEL_LOCALES[lang])


def number(x: Any, lang: str = "en", *, digits: int = 2) -> str:
    """A number with exactly ``digits`` decimals, e.g. a Gini of ``'0.412'``."""
    if _missing(x):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(x, format=pattern, locale=BABEL_LOCALES[lang])


def percent(x: Any, lang: str = "en", *, digits: int = 1) -> str:
    """A share as a percentage with ``digits`` decimals: ``'12.3%'``."""
    if _missing(x):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(x, format=pattern, locale=BABEL_LOCALES[lang])


def date(d: Any, lang: str = "en") -> str:
    """A calendar date as readers write it: ``'Jan 31, 2024'``, ``'2024年1月31日'``."""
    if _missing(d):
        return MISSING
    if isinstance(d, str):
        d = _dt.date.fromisoformat(d[:10])
    elif isinstance(d, _dt.datetime):  # also pandas.Timestamp
        d = d.date()
    return format_date(d, format="medium", locale=BABEL_LOCALES[lang])


def _wan_yi(x: float) -> tuple[float, str, str]:
    """Scale a CNY amount to 万 or 亿 and pick its number pattern.

    Our own code, not Babel's: CLDR's Chinese compact numbers stop at 2–3
    significant digits and drop the thousands separators ("1234.6万"),
    while branch staff write 1,234.5万元 and 3.21亿元.
    """
    a = abs(x)
    if a >= _YI:
        return x / _YI, "#,##0.##", "亿"
    if a >= _WAN:
        return x / _WAN, "#,##0.#", "万"
    return x, "#,##0", ""


def money(x: Any, lang: str = "en", *, compact: bool = True) -> str:
    """An amount of CNY in the reader's style.

    Chinese: ``'8,500元'``, ``'1,234.5万元'``, ``'3.21亿元'`` (``compact`` does
    not apply; this is how staff write amounts).  English: ``'CNY 1.2M'`` when
    ``compact``, ``'CNY 1,234,567'`` otherwise.
    """
    if _missing(x):
        return MISSING
    loc = BABEL_LOCALES[lang]
    if lang == "zh":
        value, pattern, unit = _wan_yi(float(x))
        return f"{format_decimal(value, format=pattern, locale=loc)}{unit}元"
    if compact:
        return f"CNY {_compact(float(x), loc)}"
    return f"CNY {format_decimal(round(float(x)), locale=loc)}"


def _compact(x: float, loc: str) -> str:
    # Rounding to three significant digits first keeps Babel from writing
    # 999,999 as "1000K": it picks the magnitude before it rounds.
    if x:
        x = round(x, 2 - int(math.floor(math.log10(abs(x)))))
    return format_compact_decimal(x, format_type="short", locale=loc, fraction_digits=1)


def money_tick(x: float, lang: str = "en") -> str:
    """A short amount for an axis tick, the unit given by the axis label: ``'1.2M'``, ``'120万'``."""
    if lang == "zh":
        value, pattern, unit = _wan_yi(float(x))
        return f"{format_decimal(value, format=pattern, locale=BABEL_LOCALES[lang])}{unit}"
    return _compact(float(x), BABEL_LOCALES[lang])


def money_cell(lang: str = "en") -> Callable[[Any], str]:
    """Formatter for a table column of amounts, whose unit the column label names.

    English columns are whole CNY (``'1,234,567'``); Chinese columns are in
    万元 with two decimals (``'123.46'``), as branch report tables are.
    """
    loc = BABEL_LOCALES[lang]
    if lang == "zh":
        return lambda v: MISSING if _missing(v) else format_decimal(float(v) / _WAN, format="#,##0.00", locale=loc)
    return lambda v: MISSING if _missing(v) else format_decimal(round(float(v)), locale=loc)


def period(start: Any, end: Any, lang: str = "en") -> str:
    """A date range: ``'Jan 1, 2024 to Jun 30, 2024'``, ``'2024年1月1日至2024年6月30日'``."""
    return t("common.period", lang, start=date(start, lang), end=date(end, lang))
