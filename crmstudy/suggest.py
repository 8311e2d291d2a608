"""Near-miss suggestions for a mistyped id or path: "did you mean B001", "did you mean data_synthetic/demo".

:mod:`difflib` (the standard library's sequence matcher) does the matching: a few dozen
candidates at most, so nothing heavier is needed.
"""

from __future__ import annotations

import difflib
from pathlib import Path

__all__ = ["near", "nearest_folder"]


def near(name: str, candidates, *, cutoff: float = 0.6) -> str | None:
    """The candidate ``name`` was most likely meant to be, or None.

    A candidate equal but for case wins outright; otherwise the closest by
    :func:`difflib.get_close_matches`, compared without case.

    Examples
    --------
    >>> near("b001", ["B001", "B002"])
    'B001'
    >>> near("B0001", ["B001", "B010"])
    'B001'
    >>> near("XYZ", ["B001", "B002"]) is None
    True
    """
    candidates = [str(c) for c in candidates]
    folded = {c.casefold(): c for c in reversed(candidates)}
    if name.casefold() in folded:
        return folded[name.casefold()]
    hit = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=cutoff)
    return folded[hit[0]] if hit else None


def nearest_folder(path, *, holds=None) -> Path | None:
    """An existing folder close to a ``path`` that does not exist, or None.

    Walks ``path`` from its first part: a part that exists is kept, a part that
    does not is replaced by the closest folder beside it (:func:`near`).  With
    ``holds`` (a predicate on a folder), a folder the walk ends on must satisfy
    it, else one of its sub-folders that does is suggested.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "data_synthetic" / "demo").mkdir(parents=True)
    >>> nearest_folder(root / "data_synthetc" / "demo") == root / "data_synthetic" / "demo"
    True
    >>> nearest_folder(root / "elsewhere" / "nothing") is None
    True
    """
    path = Path(path)
    parts = path.parts
    here = Path(parts[0]) if path.is_absolute() else Path(".")
    for part in parts[1:] if path.is_absolute() else parts:
        if (here / part).is_dir():
            here = here / part
            continue
        try:
            folders = [p.name for p in here.iterdir() if p.is_dir() and not p.name.startswith(".")]
        except OSError:
            return None
        hit = near(part, folders)
        if hit is None:
            return None
        here = here / hit
    if here == Path(".") or not here.is_dir():
        return None
    if holds is None or holds(here):
        return here
    inside = sorted(p for p in here.iterdir() if p.is_dir() and holds(p))
    return inside[0] if len(inside) == 1 else None
