"""Which generation a bank's tables come from: ``bank.json`` records each table's fingerprint.

A synthetic bank is written whole (:func:`crmstudy.synth.synthesize` switches a complete
folder in), but a bank copied together by hand, or one an older crmstudy left half-rewritten,
can mix tables of two seeds; every table then still passes its schema.  ``bank.json`` lists
the sha256 of each table's bytes (the parts of a folder in order) and a generation id over
them; :func:`check_generation` recomputes them and refuses a mixture in one line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import DataError


def table_fingerprint(path: Path) -> str:
    """sha256 (16 hex digits) of a table's file, or of the parts of its folder in name order."""
    h = hashlib.sha256()
    parts = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    for part in parts:
        h.update(part.name.encode())
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def _tables(root: Path) -> dict[str, Path]:
    """The tables a bank folder holds: ``<t>.parquet`` files and ``<t>/`` folders of parts."""
    found = {p.stem: p for p in root.glob("*.parquet")}
    for p in root.iterdir():
        if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.parquet")):
            found[p.name] = p
    return dict(sorted(found.items()))


def record_generation(root: Path, meta: dict) -> dict:
    """``meta`` with ``tables`` (table -> fingerprint) and ``generation`` (a hash over them) of the bank in ``root``."""
    tables = {name: table_fingerprint(path) for name, path in _tables(Path(root)).items()}
    generation = hashlib.sha256("".join(f"{k}={v};" for k, v in tables.items()).encode()).hexdigest()[:16]
    return {**meta, "tables": tables, "generation": generation}


def check_generation(root, meta: dict) -> str | None:
    """Check that every table of the bank in ``root`` is the one ``bank.json`` (``meta``) records.

    Returns the generation id, or None for a bank whose ``bank.json`` records no fingerprints
    (a bank of the user's own, or one written by an older crmstudy): nothing to check against.

    Raises
    ------
    DataError
        A table differs from its recorded fingerprint, is missing, or was not part of the
        generation: the bank mixes tables of different runs.
    """
    recorded = meta.get("tables")
    if not isinstance(recorded, dict):
        return None
    root = Path(root)
    found = _tables(root)
    seed = f", seed {meta['seed']}" if "seed" in meta else ""
    where = f"{root / 'bank.json'} records generation {meta.get('generation', '?')}{seed}"
    changed = [t for t, fp in recorded.items() if t in found and table_fingerprint(found[t]) != fp]
    missing = [t for t in recorded if t not in found]
    extra = [t for t in found if t not in recorded]
    if changed or missing or extra:
        what = "; ".join(
            part
            for part in (
                f"table(s) {', '.join(changed)} come from another generation" if changed else "",
                f"missing {', '.join(missing)}" if missing else "",
                f"not of this generation: {', '.join(extra)}" if extra else "",
            )
            if part
        )
        raise DataError(f"{where}, but {what}: the bank mixes two runs; generate it again with `crmstudy synth`")
    return meta.get("generation")
