"""Manifests: what a run folder or ``latest/`` holds, with a sha256 per file; :func:`verify` checks them.

``runs/<run_id>/manifest.json`` records the run; ``latest/manifest.json`` merges
it into what ``latest/`` held before: a cached branch keeps its entry, a failed
one keeps its last good report, marked stale.  Both follow
``crmstudy/reports/manifest.schema.json`` (:data:`MANIFEST_SCHEMA`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ... import __version__
from ...errors import CrmStudyError, DataError
from .cache import sha256
from .results import RunSummary

MANIFEST_SCHEMA = Path(__file__).resolve().parents[1] / "manifest.schema.json"


def file_entry(base: Path, path: Path) -> dict:
    """A manifest's record of one file: its path relative to ``base``, sha256 and size."""
    return {"path": path.relative_to(base).as_posix(), "sha256": sha256(path), "bytes": path.stat().st_size}


def read_manifest(folder: Path) -> dict:
    """``folder/manifest.json``, or an empty dict when there is none.

    Raises
    ------
    DataError
        The manifest is not valid JSON or not a run manifest: read as empty, the next
        run would silently drop every other branch from ``latest/``, so it is refused.
    """
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(
            f"{path}: corrupt manifest ({e}); move it away to rebuild latest/ from the next run's reports"
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("branches", {}), dict):
        raise DataError(f"{path}: not a crmstudy run manifest; move it away to rebuild latest/")
    return manifest


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_manifest(
    summary: RunSummary,
    data_dir: Path,
    fingerprint: str,
    names: dict,
    *,
    previous: dict | None,
    latest: Path | None = None,
) -> dict:
    """The run's manifest, or (with ``previous``) the merged state of ``latest/``.

    Its ``files`` (the folder's own files, the index page) are left empty for
    the caller to fill once they are written.
    """
    base = latest or summary.run_dir
    branches = dict((previous or {}).get("branches", {})) if previous is not None else {}
    for r in summary.results:
        if r.status == "cached" and previous is not None:
            entry = dict(branches[r.branch_id])
            entry["stale"] = False
            branches[r.branch_id] = entry
            continue
        if r.status == "failed" and previous is not None:
            old = branches.get(r.branch_id)
            if old:  # keep the last good report, marked stale
                old = dict(old)
                old.update(stale=True, last_error=r.error, last_failed_run=summary.run_id)
                branches[r.branch_id] = old
            else:
                branches[r.branch_id] = {
                    "status": "failed",
                    "stale": True,
                    "error": r.error,
                    "run_id": summary.run_id,
                    "files": [],
                    "log": r.log,
                    "branch_name": names.get(r.branch_id, r.branch_id),
                }
            continue
        files = [file_entry(base, base / Path(f).name) for f in r.files if (base / Path(f).name).exists()]
        branches[r.branch_id] = {
            "status": r.status,
            "stale": False,
            "run_id": summary.run_id,
            "made_at": _now(),
            "branch_name": names.get(r.branch_id, r.branch_id),
            "input_fingerprint": fingerprint,
            "params_hash": r.params_hash,
            "cache_key": r.cache_key,
            "files": files,
            "log": r.log,
            "executed_notebook": r.executed_notebook if r.status == "failed" else "",
            "durations": {
                "total_seconds": round(r.seconds, 3),
                "execute_seconds": r.execute_seconds,
                "render_seconds": r.render_seconds,
            },
            "attempts": r.attempts,
            "error": r.error,
            "headline": r.headline,
        }
    return {
        "schema_version": 1,
        "run_id": summary.run_id,
        "made_at": _now(),
        "crmstudy_version": __version__,
        "engine": summary.engine,
        "data_dir": str(data_dir),
        "data_fingerprint": fingerprint,
        "seconds": round(summary.seconds, 3),
        "shared_seconds": round(summary.shared_seconds, 3),
        "branches": dict(sorted(branches.items())),
        "files": [],
    }


def verify(report_dir) -> list[tuple[str, str]]:
    """Recompute the sha256 of every file a manifest lists: (path, ok|changed|missing)."""
    report_dir = Path(report_dir)
    manifest_path = report_dir / "manifest.json"
    if not manifest_path.exists():
        raise CrmStudyError(f"{manifest_path}: no manifest here; expected a run folder or latest/")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as e:
        raise CrmStudyError(f"{manifest_path}: not valid JSON (line {e.lineno}): {e.msg}") from None
    entries = list(manifest.get("files", []))
    for b in manifest.get("branches", {}).values():
        entries.extend(b.get("files", []))
    out = []
    for f in entries:
        p = report_dir / f["path"]
        if not p.exists():
            out.append((f["path"], "missing"))
        else:
            out.append((f["path"], "ok" if sha256(p) == f["sha256"] else "changed"))
    return out
