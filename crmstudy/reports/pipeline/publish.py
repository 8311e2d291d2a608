"""Publishing: ``latest`` is a symlink switched, in one atomic step, to a complete and immutable snapshot.

A run renders into its own folder.  Once its branches are done it builds a
snapshot, ``out/snapshots/<run_id>/``: every branch's current report (this
run's for the branches it rendered, copied; the previous snapshot's for the others,
hard-linked, since snapshots never change), the findings, the index page and the manifest
listing them all with their sha256.  The snapshot is built under a hidden
name and renamed into place only once complete; then a new symlink is made
under a temporary name and ``os.replace``-d onto ``out/latest``.  ``rename``
is atomic on POSIX, so a reader (or ``crmstudy verify latest``) sees the old
snapshot or the new one at every instant, never a mixture: a run killed at
any point leaves ``latest`` as it was or fully switched.

An ``out/latest/`` that is still a real folder (made by crmstudy before
snapshots) is migrated on the first publish: Linux's ``renameat2`` with
``RENAME_EXCHANGE`` swaps the folder and the new link in one step.

Snapshots are never written into once published; they go when their run is
pruned (``--keep``), the one ``latest`` points to excepted.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from pathlib import Path

from ...atomic import exchange, write_text_atomic
from .index import write_index
from .manifest import build_manifest, file_entry
from .plan import RunPlan
from .results import RunSummary

#: Folder of ``out`` that holds the snapshots ``latest`` points to.
SNAPSHOTS = "snapshots"
#: Hidden prefixes of a snapshot being built and of ``latest``'s next link: removed when a run starts.
_PARTIAL, _NEXT_LINK, _OLD = ".partial-", ".latest-next-", ".latest-old-"


def publish_run(summary: RunSummary, plan: RunPlan, previous: dict, previous_dir: Path | None) -> Path:
    """Write the run folder's index and manifest, then publish a snapshot of ``latest`` and switch to it.

    Parameters
    ----------
    summary : RunSummary
        The run; its branches that rendered are published, the others keep their previous entry.
    plan : RunPlan
    previous : dict
        The manifest ``latest`` held when the run started.
    previous_dir : Path or None
        The folder that manifest describes (``latest`` resolved when the run started), the source of
        every report this run did not render.

    Returns
    -------
    Path
        The published snapshot.
    """
    run_manifest = build_manifest(summary, plan.data_dir, plan.fingerprint, plan.names, previous=None)
    _write_index_and_manifest(summary.run_dir, run_manifest, plan)
    out_dir = summary.latest_dir.parent
    snapshot = build_snapshot(out_dir, summary, plan, previous, previous_dir)
    switch_latest(out_dir, snapshot)
    return snapshot


def build_snapshot(
    out_dir: Path, summary: RunSummary, plan: RunPlan, previous: dict, previous_dir: Path | None
) -> Path:
    """Build ``snapshots/<run_id>/`` under a hidden name, complete with index and manifest, then rename it in.

    Nothing is left behind when this fails (a full disk, say): the partial folder is removed.
    """
    snapshots = out_dir / SNAPSHOTS
    snapshots.mkdir(parents=True, exist_ok=True)
    name = _free_name(snapshots, summary.run_id)
    partial = snapshots / f"{_PARTIAL}{name}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        rendered = {r.branch_id for r in summary.results if r.status == "ok"}
        for r in summary.results:
            if r.status == "ok":
                for f in r.files:  # a copy: the run folder stays the run's own record, whatever befalls latest
                    shutil.copy2(f, partial / Path(f).name)
        for b, entry in previous.get("branches", {}).items():
            if b in rendered or previous_dir is None:
                continue
            for f in entry.get("files", []):
                src = previous_dir / f["path"]
                if src.is_file():  # a missing file stays missing: verify says so, it is not papered over
                    _link(src, partial / f["path"])
        manifest = build_manifest(
            summary, plan.data_dir, plan.fingerprint, plan.names, previous=previous, latest=partial
        )
        _write_index_and_manifest(partial, manifest, plan)
        final = snapshots / name
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def _free_name(snapshots: Path, run_id: str) -> str:
    """``run_id``, or ``run_id~2``, ``~3`` ... when a run id is used again (a snapshot is never overwritten)."""
    name, k = run_id, 1
    while (snapshots / name).exists():
        k += 1
        name = f"{run_id}~{k}"
    return name


def _link(src: Path, dst: Path) -> None:
    """A hard link (snapshots never change, so they may share files), or a copy where links are refused."""
    try:
        os.link(src, dst)
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        shutil.copy2(src, dst)


def _write_index_and_manifest(folder: Path, manifest: dict, plan: RunPlan) -> None:
    """Write ``folder``'s index page, then its manifest, which lists the index with its sha256."""
    write_index(manifest, folder, plan.title, plan.bank, plan.index_lang)
    manifest["files"] = [file_entry(folder, folder / "index.html")]
    write_text_atomic(folder / "manifest.json", json.dumps(manifest, indent=2))


def switch_latest(out_dir: Path, snapshot: Path) -> None:
    """Point ``out_dir/latest`` at ``snapshot`` in one atomic step (a relative link: ``out`` may be moved)."""
    latest = out_dir / "latest"
    link = out_dir / f"{_NEXT_LINK}{snapshot.name}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(Path(SNAPSHOTS) / snapshot.name, link)
    if latest.is_dir() and not latest.is_symlink():
        _migrate(latest, link)
        return
    os.replace(link, latest)
    _sync_dir(out_dir)


def _migrate(latest: Path, link: Path) -> None:
    """Replace a real ``latest/`` folder by the link: exchanged in one step where Linux allows, then removed."""
    old = latest.with_name(f"{_OLD}{link.name.removeprefix(_NEXT_LINK)}")
    if exchange(link, latest):
        os.rename(link, old)  # the link's name now holds the old folder
    else:  # no renameat2 here: a moment without latest, once, on the first publish after an upgrade
        os.rename(latest, old)
        os.replace(link, latest)
    shutil.rmtree(old, ignore_errors=True)


def _sync_dir(folder: Path) -> None:
    """Flush a folder's entries (the new link) to disk, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_partial_publishing(out_dir: Path) -> None:
    """Remove what a publish killed half-way left: a partial snapshot, a next link, a migrated-away folder."""
    out_dir = Path(out_dir)
    for p in [*out_dir.glob(f"{SNAPSHOTS}/{_PARTIAL}*"), *out_dir.glob(f"{_OLD}*")]:
        shutil.rmtree(p, ignore_errors=True)
    for p in out_dir.glob(f"{_NEXT_LINK}*"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    for tmp in out_dir.glob("latest/.*.tmp"):  # a real latest/ of an older crmstudy
        if not (out_dir / "latest").is_symlink():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def prune_runs(out_dir: Path, *, keep: int, protect: str | None = None) -> list[str]:
    """Delete all but the newest ``keep`` run folders, and their snapshots; never what ``latest`` refers to.

    ``latest/manifest.json`` names, for each branch, the run its report (or, for a stale branch, its
    failure log and notebook) comes from: that evidence stays whatever ``keep`` says; so does the
    snapshot ``latest`` points to.
    """
    out_dir = Path(out_dir)
    runs_dir = out_dir / "runs"
    if keep < 1 or not runs_dir.exists():
        return []
    kept = {protect} | referenced_runs(out_dir / "latest")
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    removed = []
    for p in runs[keep:]:
        if p.name in kept:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    _prune_snapshots(out_dir)
    return removed


def _prune_snapshots(out_dir: Path) -> None:
    """Remove every snapshot whose run folder is gone, except the one ``latest`` points to."""
    snapshots = out_dir / SNAPSHOTS
    if not snapshots.is_dir():
        return
    current = (out_dir / "latest").resolve()
    for snap in snapshots.iterdir():
        if snap.name.startswith(".") or snap.resolve() == current:
            continue
        if not (out_dir / "runs" / snap.name.split("~")[0]).is_dir():
            shutil.rmtree(snap, ignore_errors=True)


def referenced_runs(latest: Path) -> set[str]:
    """The run ids ``latest/manifest.json`` refers to (each branch's run, and the last run)."""
    try:
        manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    ids = {str(b.get("run_id")) for b in manifest.get("branches", {}).values() if b.get("run_id")}
    return ids | ({str(manifest["run_id"])} if manifest.get("run_id") else set())
