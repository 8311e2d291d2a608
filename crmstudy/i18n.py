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
from decimal import ROUND_DOWN, Decimal
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
#: The currency of every amount until the bank names its own (passed as ``currency``).
DEFAULT_CURRENCY = "CNY"
#: How Chinese readers write a currency after 万/亿 (CNY: 元).
_ZH_CURRENCY = {"CNY": "元", "HKD": "港元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元"}


#: Placeholders the catalogue fills itself: ``{currency}`` is the bank's currency (:func:`set_currency`),
#: written as the language writes it (EUR, 欧元).  A language may leave it out (Chinese cells carry 元).
AMBIENT = frozenset({"currency"})
_current = {"currency": DEFAULT_CURRENCY}


def set_currency(code: str | None) -> str:
    """Make ``code`` (ISO, e.g. ``"EUR"``) the currency of every amount and label; return the previous one.

    A report sets it once from the bank (``bank.json``'s ``currency``, CNY by default): nothing
    says CNY unless the bank's currency is CNY.

    Examples
    --------
    >>> old = set_currency("EUR"); money(1_234_567), t("upgrades.gap")
    ('EUR 1.2M', 'Gap (EUR)')
    >>> _ = set_currency(old)
    """
    previous = _current["currency"]
    code = str(code or DEFAULT_CURRENCY).strip().upper()
    if not (len(code) == 3 and code.isalpha()):
        raise MessageError(f"currency must be a three-letter ISO code such as CNY or EUR, got {code!r}")
    _current["currency"] = code
    return previous


def current_currency() -> str:
    """The currency amounts are written in (:func:`set_currency`)."""
    return _current["currency"]


def check_language(lang: str) -> str:
    """``lang`` itself when there is a catalogue for it; otherwise one line listing the choices."""
    if lang not in LANGUAGES:
        raise MessageError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return lang


def catalogue_files(lang: str) -> list[Path]:
    """The files of one language's catalogue: the core file first, then each area's, by name."""
    lang = check_language(lang)
    return [LOCALE_DIR / f"{lang}.yaml", *sorted(LOCALE_DIR.glob(f"*.{lang}.yaml"))]


# libyaml's safe loader where PyYAML was built with it (PyPI wheels are): the catalogues are read in
# every report kernel, and the pure-Python loader took ~0.5 s of each branch's start
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, as a flat ``{dotted.key: text}`` mapping."""
    merged: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for path in catalogue_files(lang):
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=_SAFE_LOADER) or {}
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
    if "{currency" in text and "currency" not in fmt:
        code = _current["currency"]
        fmt = {**fmt, "currency": _zh_unit(code) if lang == "zh" else code}
    try:
        return text.format(**fmt) if fmt or "{" in text else text
    except KeyError as e:
        raise MessageError(f"message {key!r} ({lang}) needs a value for {{{e.args[0]}}}") from None


def tn(key: str, count: int, lang: str = "en", /, **fmt: Any) -> str:
    """The message ``key`` for a count: ``<key>_one`` when ``count`` is 1 and the catalogue has it.

    English needs "1 customer manager is" where Chinese writes one form; a language without a
    ``_one`` message uses ``key`` for every count.
    """
    one = f"{key}_one"
    return t(one if count == 1 and has(one, lang) else key, lang, **fmt)


def has(key: str, lang: str = "en") -> bool:
    """Whether the catalogue of ``lang`` holds ``key``."""
    return key in catalogue(lang)


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in a message a caller fills (not the :data:`AMBIENT` ones)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None and name not in AMBIENT}


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
    """A share as a percentage with ``digits`` decimals: ``'12.3%'``.

    A share that is not exactly 0 or 1 never reads as ``0%`` or ``100%``: up to three more
    decimals are added until it does not (3,660 of 3,666 is ``'99.8%'``, not ``'100%'``).

    Examples
    --------
    >>> percent(3660 / 3666, digits=0), percent(1.0, digits=0), percent(0.0004, digits=1)
    ('99.8%', '100%', '0.04%')
    """
    if _missing(x):
        return MISSING
    x = float(x)
    for d in range(digits, digits + 4):
        shown = round(x * 100, d)
        if not (shown in (0.0, 100.0, -100.0) and x * 100 != shown):
            break
    pattern = "#,##0" + ("." + "0" * d if d else "") + "%"
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


def _cut(x: float, decimals: int) -> Decimal:
    """``x`` cut (not rounded) to ``decimals`` places: 19,987 元 is 1.99万, never the 2万 bar."""
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


def _wan_yi(x: float, decimals: tuple[int, int] = (1, 2)) -> tuple[Decimal, str, str]:
    """Scale an amount to 万 or 亿 (元 below 1万) and pick its number pattern.

    Our own code, not Babel's: CLDR's Chinese compact numbers stop at 2–3
    significant digits and drop the thousands separators ("1234.6万"),
    while branch staff write 1,234.5万元 and 3.21亿元.  Values are cut, not
    rounded, so an amount just below a bar never reads as the bar itself.
    ``decimals`` are the places shown in 万 and in 亿.
    """
    a = abs(x)
    if a >= _YI:
        return _cut(x / _YI, decimals[1]), "#,##0." + "#" * decimals[1], "亿"
    if a >= _WAN:
        return _cut(x / _WAN, decimals[0]), "#,##0." + "#" * decimals[0], "万"
    return Decimal(round(x)), "#,##0", ""  # whole 元: rounding a yuan moves no amount across a bar


def _zh_unit(currency: str) -> str:
    return _ZH_CURRENCY.get(currency, currency)


def money(x: Any, lang: str = "en", *, compact: bool = True, currency: str | None = None) -> str:
    """An amount in the bank's currency (:func:`set_currency`, CNY by default, or ``currency``) in the reader's style.

    Every amount a reader sees goes through this function or :func:`money_cell`.
    Chinese: ``'8,500元'``, ``'1,234.5万元'``, ``'3.21亿元'`` (``compact`` does
    not apply; this is how staff write amounts).  English: ``'CNY 1.2M'`` when
    ``compact``, ``'CNY 1,234,567'`` otherwise.  Compact values are cut, not
    rounded: CNY 19,987 is ``'CNY 19.9k'``, below a CNY 20k bar as it should be.

    Examples
    --------
    >>> money(19_987, "zh"), money(19_987, "en"), money(13, "zh")
    ('1.9万元', 'CNY 19.9k', '13元')
    """
    if _missing(x):
        return MISSING
    currency = currency or _current["currency"]
    loc = BABEL_LOCALES[lang]
    if lang == "zh":
        value, pattern, unit = _wan_yi(float(x))
        return f"{format_decimal(value, format=pattern, locale=loc)}{unit}{_zh_unit(currency)}"
    if compact:
        return f"{currency} {_short(float(x), loc, decimals=1)}"
    return f"{currency} {format_decimal(round(float(x)), locale=loc)}"


#: English magnitudes for short amounts (thousand, million, billion).
_EN_STEPS = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def _short(x: float, loc: str, *, decimals: int = 1, plain_below: float = 1e3) -> str:
    """``'19.9k'``, ``'1.2M'``: an amount cut to ``decimals`` places of its magnitude; whole below ``plain_below``."""
    for step, suffix in _EN_STEPS:
        if abs(x) >= max(step, plain_below):
            return format_decimal(_cut(x / step, decimals), format="#,##0." + "#" * decimals, locale=loc) + suffix
    return format_decimal(round(x), format="#,##0", locale=loc)


def _compact(x: float, loc: str) -> str:
    # Rounding to three significant digits first keeps Babel from writing
    # 999,999 as "1000K": it picks the magnitude before it rounds.
    if x:
        x = round(x, 2 - int(math.floor(math.log10(abs(x)))))
    return format_compact_decimal(x, format_type="short", locale=loc, fraction_digits=1)


def money_tick(x: float, lang: str = "en") -> str:
    """A short amount for an axis tick, the unit given by the axis label: ``'1.2M'``, ``'120万'``."""
    if lang == "zh":
        a = abs(float(x))
        value, unit = (x / _YI, "亿") if a >= _YI else ((x / _WAN, "万") if a >= _WAN else (x, ""))
        pattern = "#,##0.##" if unit == "亿" else ("#,##0.#" if unit else "#,##0")
        return f"{format_decimal(value, format=pattern, locale=BABEL_LOCALES[lang])}{unit}"
    return _compact(float(x), BABEL_LOCALES[lang])


def money_cell(lang: str = "en", *, currency: str | None = None) -> Callable[[Any], str]:
    """Formatter for a table column of amounts: short, cut (never rounded up to a bar), never a gap of 0.

    Chinese cells carry their unit: ``'13元'``, ``'1.99万元'``, ``'3,239.53万元'``, ``'1.23亿元'``
    (元 below 1万, so a gap of 13 元 is not "0.00").  English cells are in the currency the
    column label names: whole below 10,000 (``'8,500'``), then ``'47.8k'``, ``'3.37M'``.

    Examples
    --------
    >>> [money_cell("zh")(v) for v in (13, 19_987, 32_395_300)]
    ['13元', '1.99万元', '3,239.53万元']
    >>> [money_cell("en")(v) for v in (2_149, 47_851, 80_089_775)]
    ['2,149', '47.8k', '80.08M']
    """
    loc = BABEL_LOCALES[lang]
    unit = _zh_unit(currency or _current["currency"])

    def zh(v: Any) -> str:
        if _missing(v):
            return MISSING
        value, pattern, scale = _wan_yi(float(v), decimals=(2, 2))
        if scale:  # 1.20万元: the decimals of a column line up
            pattern = "#,##0.00"
        return f"{format_decimal(value, format=pattern, locale=loc)}{scale}{unit}"

    def en(v: Any) -> str:
        return (
            MISSING
            if _missing(v)
            else _short(float(v), loc, decimals=2 if abs(float(v)) >= 1e6 else 1, plain_below=1e4)
        )

    return zh if lang == "zh" else en


def period(start: Any, end: Any, lang: str = "en") -> str:
    """A date range: ``'Jan 1, 2024 to Jun 30, 2024'``, ``'2024年1月1日至2024年6月30日'``."""
    return t("common.period", lang, start=date(start, lang), end=date(end, lang))
