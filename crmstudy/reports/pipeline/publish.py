"""Publishing: a branch's new report into ``latest/`` by atomic rename; the index pages and manifests; pruning.

``latest/`` switches a branch to its new report only once it has rendered
completely (copy to a temporary name, then an atomic rename); a branch that
fails keeps its last good report, marked stale on the index page.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from ...atomic import write_text_atomic
from .index import write_index
from .manifest import build_manifest, file_entry
from .plan import RunPlan
from .results import BranchResult, RunSummary


def publish(res: BranchResult, latest: Path) -> None:
    """Switch ``latest/<branch>.*`` to this run's files, one atomic rename each."""
    for f in res.files:
        src = Path(f)
        tmp = latest / f".{src.name}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        # a copy, not a hard link: latest/ and the run folder stay independent
        shutil.copy2(src, tmp)
        os.replace(tmp, latest / src.name)


def publish_run(summary: RunSummary, plan: RunPlan, previous: dict) -> None:
    """Write the run folder's index and manifest, then those of ``latest/`` (``previous`` merged with the run)."""
    run_manifest = build_manifest(summary, plan.data_dir, plan.fingerprint, plan.names, previous=None)
    _publish_folder(summary.run_dir, run_manifest, plan)
    latest_manifest = build_manifest(
        summary, plan.data_dir, plan.fingerprint, plan.names, previous=previous, latest=summary.latest_dir
    )
    _publish_folder(summary.latest_dir, latest_manifest, plan)


def _publish_folder(folder: Path, manifest: dict, plan: RunPlan) -> None:
    """Write ``folder``'s index page, then its manifest, which lists the index with its sha256."""
    write_index(manifest, folder, plan.title, plan.bank, plan.index_lang)
    manifest["files"] = [file_entry(folder, folder / "index.html")]
    write_text_atomic(folder / "manifest.json", json.dumps(manifest, indent=2))


def prune_runs(out_dir: Path, *, keep: int, protect: str | None = None) -> list[str]:
    """Delete all but the newest ``keep`` run folders; never ``protect`` nor one ``latest/`` still refers to.

    ``latest/manifest.json`` names, for each branch, the run its report (or, for a stale branch, its
    failure log and notebook) comes from: that evidence stays whatever ``keep`` says.
    """
    runs_dir = Path(out_dir) / "runs"
    if keep < 1 or not runs_dir.exists():
        return []
    kept = {protect} | referenced_runs(Path(out_dir) / "latest")
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    removed = []
    for p in runs[keep:]:
        if p.name in kept:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    return removed


def referenced_runs(latest: Path) -> set[str]:
    """The run ids ``latest/manifest.json`` refers to (each branch's run, and the last run)."""
    try:
        manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    ids = {str(b.get("run_id")) for b in manifest.get("branches", {}).values() if b.get("run_id")}
    return ids | ({str(manifest["run_id"])} if manifest.get("run_id") else set())
