"""Checking a whole bank: every table and part, the links between tables, ``bank.json`` and its period.

:func:`check_bank` is what ``crmstudy validate`` runs and what ``crmstudy
report`` runs before it takes its lock or makes a folder: every problem of
every table is collected (:mod:`crmstudy.checks` checks one table) and raised
together as :class:`~crmstudy.errors.DataProblems`, one line each.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import EXAMPLES, Problem, coerce_table, parts_of, raise_problems, read_raw

__all__ = ["check_bank", "check_bank_once"]


# --- a whole bank: every table, every part, the links between them, bank.json -------------------

# child table, column -> parent table, key; parents come first in TABLE_ORDER
_LINKS = (
    ("staff", "branch_id", "branches", "branch_id"),
    ("customers", "branch_id", "branches", "branch_id"),
    ("customers", "owner_staff_id", "staff", "staff_id"),
    ("holdings", "customer_id", "customers", "customer_id"),
    ("holdings", "product_id", "products", "product_id"),
    ("balances", "customer_id", "customers", "customer_id"),
    ("balances", "product_id", "products", "product_id"),
    ("transactions", "customer_id", "customers", "customer_id"),
    ("visits", "customer_id", "customers", "customer_id"),
    ("visits", "staff_id", "staff", "staff_id"),
    ("accounts", "customer_id", "customers", "customer_id"),
    ("campaign_contacts", "customer_id", "customers", "customer_id"),
)
_KEYS = {parent: pcol for _, _, parent, pcol in _LINKS}
_NEEDS_ROWS = {
    "customers": "expected one row per customer",
    "balances": "expected the balance segments every asset figure is computed from",
}


def check_bank(data) -> dict[str, int]:
    """Check every table (each part of a folder of parts), the links between tables and ``bank.json``.

    Every problem is collected before any is reported.  A table stored as a
    folder of parts is read one part at a time, so memory is bounded by the
    largest part plus the ids other tables link to.

    Returns
    -------
    dict
        Rows per table.

    Raises
    ------
    DataProblems
        Every problem, one line each (file, table, column, what was expected, rows, examples).
    """
    from .schema import TABLE_ORDER, BankFiles, find_bank

    bank = data if isinstance(data, BankFiles) else getattr(data, "_files", None) or find_bank(data)
    problems = _meta_problems(bank)
    keys: dict[str, pd.Index] = {}
    counts: dict[str, int] = {}
    span = [None, None]
    for t in (t for t in TABLE_ORDER if bank.has(t)):
        counts[t], kept = 0, []
        for part in parts_of(bank.path(t)):
            df, found = read_raw(part, t)
            problems += found
            if df is None:
                continue
            frame, found = coerce_table(df, t, part)
            problems += found
            counts[t] += len(frame)
            if found:
                continue
            problems += _link_problems(frame, t, part, keys)
            if t in _KEYS:
                kept.append(frame[_KEYS[t]])
            if t == "balances" and len(frame):
                lo, hi = frame["valid_from"].min(), frame["valid_to"].max()
                span = [lo if span[0] is None else min(span[0], lo), hi if span[1] is None else max(span[1], hi)]
        if kept:
            keys[t] = pd.Index(pd.concat(kept, ignore_index=True).astype(object))  # looked up by _link_problems
            if not keys[t].is_unique and bank.path(t).is_dir():  # each part was unique; across parts too?
                dup = keys[t][keys[t].duplicated()]
                problems.append(
                    Problem(
                        str(bank.path(t)),
                        t,
                        _KEYS[t],
                        "the same id in more than one part; expected each once",
                        len(dup),
                        tuple(dup[:EXAMPLES]),
                    )
                )
        if t in _NEEDS_ROWS and counts[t] == 0 and not any(p.table == t for p in problems):
            problems.append(Problem(str(bank.path(t)), t, None, f"no rows; {_NEEDS_ROWS[t]}"))
    problems += _period_problems(bank, span)
    raise_problems(problems, bank.root)
    return counts


def _link_problems(frame: pd.DataFrame, table: str, part: Path, keys: dict) -> list[Problem]:
    out = []
    for child, col, parent, pcol in _LINKS:
        if child != table or parent not in keys:
            continue
        s = frame[col].dropna()
        values = pd.unique(s)  # a part holds few distinct ids (a block's customers): look those up, not every row
        # as Python objects on both sides: pandas' isin of pyarrow strings builds a Python scalar for
        # every id of the parent table, for each part (over 7 minutes on the 1M-customer bank)
        known = keys[parent] if keys[parent].dtype == object else keys[parent].astype(object)
        missing = values[~pd.Index(np.asarray(values, dtype=object), dtype=object).isin(known)]
        if len(missing):
            bad = s.isin(missing)
            out.append(
                Problem(
                    str(part),
                    table,
                    col,
                    f"not found in {parent}.{pcol}; expected ids of its table",
                    int(bad.sum()),
                    tuple(missing[:EXAMPLES].tolist()),
                    unit="value(s)",
                )
            )
    return out


def _meta_problems(bank) -> list[Problem]:
    from .period import as_date

    where, meta, out = str(bank.root / "bank.json"), bank.meta, []
    start = end = None
    for k in ("period_start", "period_end"):
        if k in meta:
            try:
                value = as_date(meta[k], k)
            except Exception:
                out.append(Problem(where, "", k, f"expected a date like 2025-12-31, got {meta[k]!r}"))
                continue
            start, end = (value, end) if k == "period_start" else (start, value)
    if ("period_start" in meta) != ("period_end" in meta):
        out.append(Problem(where, "", None, "gives one end of the period; expected both period_start and period_end"))
    if start and end and end < start:
        out.append(Problem(where, "", "period_end", f"{end} is before period_start {start}; expected a later date"))
    cur = meta.get("currency")
    if cur is not None and not (isinstance(cur, str) and re.fullmatch(r"[A-Z]{3}", cur)):
        out.append(Problem(where, "", "currency", f"expected a three-letter ISO code such as CNY or EUR, got {cur!r}"))
    return out


def _period_problems(bank, span) -> list[Problem]:
    from .period import as_date

    meta = bank.meta
    if span[0] is None or "period_start" not in meta or "period_end" not in meta:
        return []
    try:
        start, end = as_date(meta["period_start"], "period_start"), as_date(meta["period_end"], "period_end")
    except Exception:
        return []  # said by _meta_problems
    lo, hi = span[0].date(), span[1].date()
    if hi <= start or lo > end:
        return [
            Problem(
                str(bank.root / "bank.json"),
                "",
                "period_start",
                f"the period {start} to {end} holds no balance (balances run from {lo} to {hi}); "
                "expected a period the balances cover",
            )
        ]
    return []


def _cache_dir() -> Path:
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crmstudy" / "checked"


def check_bank_once(bank) -> None:
    """:func:`check_bank`, skipped when these very bytes already passed these very checks.

    ``crmstudy report`` runs the checks before every run; a bank that passed once is not read
    again while its fingerprint (every byte of every table) and the checking code are the
    same.  The mark of a pass is an empty file in the user's cache folder
    (``$XDG_CACHE_HOME/crmstudy/checked/``), never in the bank or the reports folder; when
    that folder cannot be written the checks simply run every time.
    """
    mark = _mark(bank, bank.fingerprint)
    if mark.exists():
        return
    check_bank(bank)
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
    except OSError:  # a read-only home: check every time
        pass


def _mark(bank, fingerprint: str) -> Path:
    """The file whose presence says these bytes passed these checks (see :func:`check_bank_once`)."""
    import hashlib
    import json

    from . import __version__, checks, schema

    code = b"".join(Path(m.__file__).read_bytes() for m in (checks, schema)) + Path(__file__).read_bytes()
    meta = json.dumps(bank.meta, sort_keys=True, default=str)  # bank.json's period and currency are checked too
    key = hashlib.sha256(f"{fingerprint}:{__version__}:{meta}:".encode() + code).hexdigest()[:32]
    return _cache_dir() / key


def passed_checks(bank) -> bool:
    """Whether ``bank``'s bytes passed :func:`check_bank` before, judged without hashing them.

    True only when this process already knows the files' fingerprint (a report's kernel gets it
    from the runner, which ran :func:`check_bank_once` on those bytes) and the mark of that pass
    exists; a bank whose fingerprint is not known yet is never hashed just to ask.
    """
    from .schema import known_fingerprint

    fingerprint = known_fingerprint(bank._files)
    try:
        return fingerprint is not None and _mark(bank, fingerprint).exists()
    except OSError:  # pragma: no cover - an unreadable cache folder: check again
        return False
