"""Reading one source file of an export: CSV (any encoding, any separator), Parquet, Excel.

CSV is read as text, every cell a string (``""`` when empty): ids keep their
leading zeros and nothing is guessed; :mod:`crmstudy.ingest.coerce` turns the
text into typed columns and counts what it could not read.  Parquet and Excel
keep their own types (an Excel date cell is a datetime, a serial date a number).

Encodings are detected with charset-normalizer when the mapping says ``auto``;
a GBK/GB2312 guess is widened to GB18030, its superset, so that a rare
character in a name never fails a file that is otherwise GBK.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import IngestRefused
from .mapping import SEPARATORS, ReadOptions

__all__ = ["SourceFrame", "detect_encoding", "read_source", "sniff_separator"]

_CHINESE = {"gbk", "gb2312", "cp936", "gb18030", "hz"}


@dataclass(frozen=True)
class SourceFrame:
    """A source file's rows, and how it was read (for the quality report)."""

    frame: pd.DataFrame
    files: tuple[Path, ...]
    encoding: str | None = None
    sep: str | None = None
    detected: tuple[str, ...] = ()


def detect_encoding(data: bytes) -> str:
    r"""The encoding of ``data``: a UTF-8 BOM, else UTF-8 if it decodes, else charset-normalizer's guess.

    Examples
    --------
    >>> detect_encoding("客户号;姓名".encode("gbk") * 20)
    'gb18030'
    >>> detect_encoding(b"\xef\xbb\xbfid,name")
    'utf-8-sig'
    >>> detect_encoding("district;name\n1;Kolín\n2;Mělník\n".encode("cp1250"))
    'cp1250'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # GB18030 decodes almost any bytes, so it is taken only when what it reads looks like Chinese text:
    # nearly every non-ASCII character among the common ones of GB2312 (a cp1250 'Kolín' reads as 'Kol韓')
    try:
        text = data[: 1 << 20].decode("gb18030", errors="ignore")
        wide = [c for c in text if ord(c) > 127]
        if wide and sum(_common_hanzi(c) for c in wide) >= 0.9 * len(wide):
            data.decode("gb18030")
            return "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise UnicodeError("no known text encoding")
    enc = best.encoding.lower().replace("_", "-")
    return "gb18030" if enc in _CHINESE else enc


def _common_hanzi(c: str) -> bool:
    try:
        c.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def sniff_separator(text: str) -> str:
    r"""The field separator of CSV ``text``: one of ``,`` ``;`` tab ``|``, the one that splits every line alike.

    Examples
    --------
    >>> sniff_separator("a;b;c\n1;2,5;3\n")
    ';'
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        pass
    # fall back: the separator found the same (non-zero) number of times on most lines
    best, score = ",", -1
    for sep in SEPARATORS:
        counts = [ln.count(sep) for ln in lines]
        if not counts or counts[0] == 0:
            continue
        same = sum(c == counts[0] for c in counts)
        if same > score:
            best, score = sep, same
    return best


def _format(path: Path, opts: ReadOptions) -> str:
    if opts.format != "auto":
        return opts.format
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq") or path.is_dir():
        return "parquet"
    if suffix in (".xlsx", ".xlsm"):
        return "excel"
    return "csv"


def _files(base: Path, pattern: str, table: str) -> list[Path]:
    path = Path(pattern)
    path = path if path.is_absolute() else base / path
    if any(ch in pattern for ch in "*?["):
        found = sorted(p for p in path.parent.glob(path.name) if p.is_file())
        if not found:
            raise IngestRefused(f"{path}: table '{table}': no file matches; expected at least one export file")
        return found
    if not path.exists():
        raise IngestRefused(f"{path}: table '{table}': file not found")
    return [path]


def read_source(base: Path, pattern: str, opts: ReadOptions, *, table: str) -> SourceFrame:
    """Read every file ``pattern`` names (relative to ``base``; ``*`` for parts) as one frame."""
    frames, encodings, seps, detected = [], set(), set(), []
    files = _files(base, pattern, table)
    for path in files:
        kind = _format(path, opts)
        try:
            if kind == "parquet":
                df = pd.read_parquet(path)
            elif kind == "excel":
                df = _read_excel(path, opts)
            else:
                df, enc, sep, guessed = _read_csv(path, opts, table)
                encodings.add(enc)
                seps.add(sep)
                detected.extend(guessed)
        except IngestRefused:
            raise
        except Exception as e:  # pyarrow, openpyxl and pandas raise many kinds: one line naming the file
            raise IngestRefused(
                f"{path}: table '{table}': could not be read as {kind}: {str(e).splitlines()[0] if str(e) else e}"
            ) from None
        frames.append(df)
    columns = [list(f.columns) for f in frames]
    if any(c != columns[0] for c in columns):
        odd = next(p for p, c in zip(files, columns) if c != columns[0])
        raise IngestRefused(f"{odd}: table '{table}': its columns differ from {files[0].name}'s; expected the same")
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return SourceFrame(
        frame=frame,
        files=tuple(files),
        encoding=", ".join(sorted(encodings)) or None,
        sep=", ".join(sorted(seps)) or None,
        detected=tuple(dict.fromkeys(detected)),
    )


def _read_excel(path: Path, opts: ReadOptions) -> pd.DataFrame:
    import openpyxl  # noqa: F401  (the engine; a clear ImportError if it is missing)

    return pd.read_excel(path, sheet_name=opts.sheet or 0, dtype=object, skiprows=opts.skip_rows, engine="openpyxl")


def _read_csv(path: Path, opts: ReadOptions, table: str):
    data = path.read_bytes()
    guessed = []
    enc = opts.encoding
    if enc == "auto":
        try:
            enc = detect_encoding(data)
        except UnicodeError:
            raise IngestRefused(
                f"{path}: table '{table}': text in no known encoding; expected UTF-8, GBK/GB18030 or "
                f"set read.encoding in the mapping"
            ) from None
        guessed.append("encoding")
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise IngestRefused(
            f"{path}: table '{table}': not {enc} text (line {line}, byte {e.start}); "
            f"expected read.encoding to match the file (utf-8, utf-8-sig, gbk, gb18030 or auto)"
        ) from None
    text = text.removeprefix("\ufeff")  # a BOM left when the mapping said utf-8
    sep = opts.sep
    if sep == "auto":
        sep = sniff_separator(text)
        guessed.append("separator")
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skiprows=opts.skip_rows,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as e:
        raise IngestRefused(
            f"{path}: table '{table}': not CSV with separator {sep!r}: {str(e).splitlines()[0]}"
        ) from None
    except pd.errors.EmptyDataError:
        raise IngestRefused(f"{path}: table '{table}': the file is empty; expected a header line") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df.columns) == 1 and any(s in df.columns[0] for s in SEPARATORS if s != sep):
        raise IngestRefused(
            f"{path}: table '{table}': one column {df.columns[0]!r} with separator {sep!r}; "
            f"expected read.sep to be the file's separator (',', ';', 'tab', '|' or 'auto')"
        )
    return df, enc, sep, guessed
