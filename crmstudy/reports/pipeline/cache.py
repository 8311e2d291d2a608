"""Cache keys: what a branch's report depends on, so that an unchanged branch is not rendered again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ... import __version__

if TYPE_CHECKING:
    from ...params import ReportParams


def sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks of 1 MiB."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def notebook_digest(path: Path) -> str:
    """Hash of a notebook's cell sources and types (outputs and ids ignored)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = [(c.get("cell_type"), "".join(c.get("source", ""))) for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()[:16]


def cache_key(*, notebook: str, params: ReportParams, fingerprint: str, engine: str, formats) -> str:
    """What a branch's report depends on; a change renders it again.

    Parameters
    ----------
    notebook : str
        :func:`notebook_digest` of the report notebook.
    params : ReportParams
        The branch's resolved parameters.
    fingerprint : str
        The bank's data fingerprint.
    engine : str
        Name of the render engine.
    formats : iterable of str
        ``"html"``, ``"pdf"``.
    """
    parts = {
        "notebook": notebook,
        "params": params.digest(),
        "data": fingerprint,
        "version": __version__,
        "engine": engine,
        "formats": sorted(formats),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def files_intact(folder: Path, entry: dict) -> bool:
    """Whether every file a manifest entry lists is still in ``folder`` with its recorded sha256."""
    try:
        return all(sha256(folder / f["path"]) == f["sha256"] for f in entry.get("files", []))
    except FileNotFoundError:
        return False
