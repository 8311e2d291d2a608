"""Fan a parameterized notebook out over branches: execute, render, publish.

Safe to hand to cron, a systemd timer or Airflow:

* one run at a time per output folder (a lock; a second run exits at once
  with :data:`~crmstudy.errors.EXIT_LOCKED`, or waits with ``wait=True``); the
  lock is an ``flock`` held by the running process, so the kernel releases it
  when a run is killed and the next run simply takes it;
* each branch runs in its own process with a timeout and retries; one branch
  failing does not stop the others;
* every run writes into its own folder, and ``latest/`` switches a branch to
  its new report only once it has rendered completely (copy to a temporary
  name, then an atomic rename); a branch that fails keeps its last good report, marked stale on the
  index page;
* a branch is rendered again only when its cache key changes: notebook
  content, the branch's resolved parameters, data fingerprint, crmstudy
  version, render engine and formats (``force=True`` renders anyway).

Layout of ``out``::

    out/runs/<run_id>/<branch>.html   this run's reports (and .pdf)
    out/runs/<run_id>/manifest.json   status, hashes, durations, logs per branch
    out/runs/<run_id>/logs/           one log per branch
    out/runs/<run_id>/_work/          executed notebooks, headline figures
    out/latest/<branch>.html          the newest good report of every branch
    out/latest/index.html             headline figures, stale marks
    out/latest/manifest.json          what latest/ holds, with sha256 per file
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__, i18n
from ..atomic import write_text_atomic
from ..errors import CrmStudyError, DataError
from ..schema import find_bank, read_table
from .branch import branch_period, check_branches
from .params import ReportParams, load_params
from .render import render_index, select_engine

DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "branch_report.ipynb"
MANIFEST_SCHEMA = Path(__file__).resolve().parent / "manifest.schema.json"
_INDEX_KEYS = [("branch", "branch"), ("customers", "customers"), ("ada_text", "assets"), ("gini", "gini"),
               ("top20_share_pct", "top20_share"), ("key_customers", "key_customers"),
               ("dormant_share_pct", "dormant_share"), ("upgrade_candidates", "upgrade_candidates"),
               ("status", "status")]


def index_columns(lang: str = "en") -> list[tuple[str, str]]:
    """The index page's (key, label) columns in ``lang`` (labels from the catalogue)."""
    return [(key, i18n.t(f"index.{label}", lang)) for key, label in _INDEX_KEYS]


INDEX_COLUMNS = index_columns("en")


class RunLockedError(CrmStudyError):
    """Another run holds the output folder."""


@dataclass
class BranchResult:
    """What happened to one branch in a run."""

    branch_id: str
    status: str  # ok | cached | failed
    seconds: float
    log: str
    files: list[str] = field(default_factory=list)
    error: str = ""
    headline: dict = field(default_factory=dict)
    attempts: int = 0
    cache_key: str = ""
    params_hash: str = ""
    execute_seconds: float = 0.0
    render_seconds: float = 0.0
    executed_notebook: str = ""


@dataclass
class RunSummary:
    """A finished run: where it is, which engine, and each branch's result."""

    run_id: str
    run_dir: Path
    latest_dir: Path
    engine: str
    results: list[BranchResult]
    seconds: float
    shared_seconds: float = 0.0  # features and footprint scores, once per run, before the branches

    @property
    def failed(self) -> list[BranchResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def rendered(self) -> list[BranchResult]:
        return [r for r in self.results if r.status == "ok"]

    def table(self) -> str:
        """A plain-text summary, one line per branch."""
        lines = [f"run {self.run_id} ({self.engine} engine, {self.seconds:.1f} s): {self.run_dir}"]
        for r in self.results:
            extra = f"  {r.error}" if r.error else ""
            lines.append(f"  {r.branch_id:<8} {r.status:<7} {r.seconds:6.1f} s  log: {r.log}{extra}")
        lines.append(f"{len(self.rendered)} rendered, {sum(r.status == 'cached' for r in self.results)} unchanged, "
                     f"{len(self.failed)} failed of {len(self.results)} branches")
        return "\n".join(lines)


# --- locking --------------------------------------------------------------------------


@contextlib.contextmanager
def run_lock(out_dir: Path, *, wait: bool = False):
    """Hold ``out_dir/.lock`` for the duration of a run.

    An ``flock`` dies with its process, so a lock left by a killed run is
    cleared by the kernel; the pid written inside is only for the message.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise RunLockedError(f"{out_dir}: another report run (pid {holder}) is writing here; "
                                 f"try again later or pass --wait") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


# --- cache keys -----------------------------------------------------------------------


def _sha256(path: Path) -> str:
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
    """What a branch's report depends on; a change renders it again."""
    parts = {"notebook": notebook, "params": params.digest(), "data": fingerprint, "version": __version__,
             "engine": engine, "formats": sorted(formats)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


# --- one branch -----------------------------------------------------------------------


def _run_worker(job_path: Path, timeout: float | None) -> tuple[dict | None, str]:
    """Run one worker process; kill it (and its kernel) on timeout."""
    proc = subprocess.Popen([sys.executable, "-m", "crmstudy.reports.worker", str(job_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, f"timed out after {timeout:g} s"
    result_path = job_path.with_suffix(".result.json")
    if result_path.exists():
        return json.loads(result_path.read_text()), ""
    tail = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
    return None, f"worker exited with code {proc.returncode}: {tail[-1] if tail else 'no message'}"


def _branch(job: dict, *, timeout: float | None, retries: int) -> BranchResult:
    t0 = time.perf_counter()
    run_dir = Path(job["run_dir"])
    b = job["branch_id"]
    job_path = run_dir / "_work" / f"{b}.job.json"
    write_text_atomic(job_path, json.dumps(job, indent=2, default=str))
    error, result = "", None
    attempt = 0
    for attempt in range(1, retries + 2):
        with contextlib.suppress(FileNotFoundError):
            job_path.with_suffix(".result.json").unlink()
        result, error = _run_worker(job_path, timeout)
        if result and result["status"] == "ok":
            break
        error = (result or {}).get("error") or error
    log = str(run_dir / "logs" / f"{b}.log")
    res = BranchResult(b, "failed", time.perf_counter() - t0, log, attempts=attempt, error=error,
                       cache_key=job["cache_key"], params_hash=job["params_hash"],
                       executed_notebook=str(run_dir / "_work" / f"{b}.ipynb"))
    if result:
        res.status = result["status"]
        res.files = result["files"]
        res.headline = result["headline"]
        res.error = "" if res.status == "ok" else (result.get("error") or error)
        res.execute_seconds = result.get("execute_seconds", 0.0)
        res.render_seconds = result.get("render_seconds", 0.0)
    return res


# --- the run --------------------------------------------------------------------------


def prepare_run(data_dir, *, branches="all", params_file=None) -> tuple[list[str], dict[str, ReportParams]]:
    """Check data, branch ids and every branch's parameters before any work starts."""
    find_bank(data_dir)
    ids = check_branches(data_dir, branches)
    params = {b: load_params(params_file, branch=b) for b in ids}
    return ids, params


def run_reports(data_dir, out_dir, *, branches="all", workers: int | None = None, params_file=None,
                engine: str = "auto", formats=("html",), notebook=None, run_id: str | None = None,
                progress: bool = True, timeout: float | None = None, retries: int = 0,
                cell_timeout: int | None = None, force: bool = False, wait: bool = False,
                keep: int | None = None, title: str | None = None, language: str | None = None) -> RunSummary:
    """Render one report per branch, publish good ones to ``latest/``, write the index.

    Parameters
    ----------
    data_dir : path
        A bank folder (``crmstudy synth`` output or the user's own files).
    out_dir : path
        Reports folder: ``runs/<run_id>/`` and ``latest/`` go inside.
    branches : "all" or list of str or comma-separated str
    workers : int, optional
        Parallel branches; default one per core.
    params_file : path, optional
        Defaults YAML; per-branch overrides in ``branches/`` beside it.
    engine : {"auto", "builtin", "quarto"}
    formats : iterable of {"html", "pdf"}
    timeout : float, optional
        Seconds allowed per branch (execution and rendering); the branch's
        process is killed when it runs over.
    retries : int
        Extra attempts for a failed branch.
    force : bool
        Render even when a branch's cache key is unchanged.
    wait : bool
        Wait for another run on ``out_dir`` to finish instead of refusing.
    keep : int, optional
        Keep only the newest ``keep`` run folders.
    title : str, optional
        Title of the reports and the index; by default "Branch report" in each
        report's language.
    language : {"en", "zh"}, optional
        Language of the index page; by default that of the defaults file
        (``language:`` in ``params_file``).  Each report follows its own
        branch's ``language``.

    Returns
    -------
    RunSummary

    Raises
    ------
    RunLockedError
        Another run holds ``out_dir`` and ``wait`` is false.
    """
    t0 = time.perf_counter()
    data_dir = Path(data_dir).resolve()
    ids, params = prepare_run(data_dir, branches=branches, params_file=params_file)
    index_lang = i18n.check_language(language or load_params(params_file).language)
    eng = select_engine(engine)
    bank = find_bank(data_dir)
    fingerprint = bank.fingerprint
    branch_table = read_table(bank, "branches")
    from .branch import branch_display_name

    names = {b: branch_display_name(branch_table, b, index_lang) for b in branch_table["branch_id"]}
    nb = Path(notebook or DEFAULT_NOTEBOOK).resolve()
    if not nb.exists():
        raise CrmStudyError(f"{nb}: report notebook not found")
    nb_digest = notebook_digest(nb)
    out_dir = Path(out_dir).resolve()
    with run_lock(out_dir, wait=wait):
        run_id = run_id or datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = out_dir / "runs" / run_id
        latest = out_dir / "latest"
        (run_dir / "logs").mkdir(parents=True, exist_ok=True)
        (run_dir / "_work").mkdir(parents=True, exist_ok=True)
        latest.mkdir(parents=True, exist_ok=True)
        previous = _read_manifest(latest)
        results: dict[str, BranchResult] = {}
        jobs = []
        for b in ids:
            key = cache_key(notebook=nb_digest, params=params[b], fingerprint=fingerprint, engine=eng.name,
                            formats=formats)
            prev = previous.get("branches", {}).get(b)
            if not force and prev and prev.get("cache_key") == key and _files_intact(latest, prev):
                results[b] = BranchResult(b, "cached", 0.0, prev.get("log", ""), headline=prev.get("headline", {}),
                                          cache_key=key, params_hash=params[b].digest(),
                                          files=[str(latest / f["path"]) for f in prev["files"]])
                continue
            jobs.append({"branch_id": b, "branch_name": branch_display_name(branch_table, b, params[b].language),
                         "run_dir": str(run_dir),
                         "data_dir": str(data_dir), "params": params[b].as_dict(), "engine": eng.name,
                         "formats": list(formats), "notebook": str(nb), "cwd": str(nb.parent),
                         "title": title or i18n.t("report.title", params[b].language),
                         "cell_timeout": cell_timeout, "cache_key": key, "params_hash": params[b].digest()})
        t_shared = time.perf_counter()
        _attach_features(jobs, bank, params, run_dir)
        shared_seconds = time.perf_counter() - t_shared
        for job in jobs:
            job["data_fingerprint"] = fingerprint
        bar = _progress(len(jobs), progress and bool(jobs))
        n = max(1, min(workers or os.cpu_count() or 1, max(len(jobs), 1)))
        with cf.ThreadPoolExecutor(max_workers=n) as pool:
            futures = {pool.submit(_branch, job, timeout=timeout, retries=retries): job["branch_id"] for job in jobs}
            for fut in cf.as_completed(futures):
                res = fut.result()
                results[res.branch_id] = res
                if res.status == "ok":
                    _publish(res, latest)
                bar.update(1)
        bar.close()
        # all customers, unmasked: not kept beside published reports
        for features in (run_dir / "_work").glob("features_*.parquet"):
            features.unlink()
        for scores in (run_dir / "_work").glob("footprint_*"):
            shutil.rmtree(scores, ignore_errors=True)
        ordered = [results[b] for b in ids]
        summary = RunSummary(run_id, run_dir, latest, eng.name, ordered, time.perf_counter() - t0, shared_seconds)
        run_manifest = _manifest(summary, data_dir, fingerprint, names, previous=None)
        _write_index(run_manifest, run_dir, title, bank, index_lang)
        run_manifest["files"] = [_file_entry(run_dir, run_dir / "index.html")]
        write_text_atomic(run_dir / "manifest.json", json.dumps(run_manifest, indent=2))
        latest_manifest = _manifest(summary, data_dir, fingerprint, names, previous=previous, latest=latest)
        _write_index(latest_manifest, latest, title, bank, index_lang)
        latest_manifest["files"] = [_file_entry(latest, latest / "index.html")]
        write_text_atomic(latest / "manifest.json", json.dumps(latest_manifest, indent=2))
        if keep:
            prune_runs(out_dir, keep=keep, protect=run_id)
    return summary


def _attach_features(jobs: list[dict], bank, params: dict, run_dir: Path) -> None:
    """Compute customer features and footprint scores once per distinct period; point each job at its slices.

    Each branch notebook then reads its own slice instead of aggregating the
    whole bank again (DuckDB does the aggregation once, out of core).  On a
    bank of more than :data:`SHARED_IN_CHILD_ABOVE` customers the work runs in
    a child process, so that the memory it needs (a few GB on a million
    customers) is handed back before the branch workers start rather than
    held by this process for the whole run; a smaller bank saves the child's
    start-up (imports, 3–4 s).
    """
    periods: dict[tuple, list[dict]] = {}
    for job in jobs:
        period = branch_period(bank, params[job["branch_id"]])
        periods.setdefault((period.start, period.end), []).append(job)
    shared = _shared_in_child if periods and _customer_count(bank) > SHARED_IN_CHILD_ABOVE else shared_slices
    for (start, end), group in periods.items():
        features, scores = shared(str(bank.root), str(start), str(end), str(run_dir / "_work"),
                                  sorted({j["branch_id"] for j in group}))
        for job in group:
            job["features_path"] = features
            if job["branch_id"] in scores:
                job["scores_path"] = scores[job["branch_id"]]


#: Customers above which a run's shared work (features, scorecards) runs in a child process.
SHARED_IN_CHILD_ABOVE = 200_000


def _customer_count(bank) -> int:
    rows = bank.meta.get("rows", {}).get("customers")
    if isinstance(rows, int):
        return rows
    from ..features import connect

    return int(connect(bank).execute("SELECT COUNT(*) FROM customers").fetchone()[0])


def _shared_in_child(data_dir: str, start: str, end: str, work: str, branches: list[str]) -> tuple[str, dict[str, str]]:
    """:func:`shared_slices` in a child process (``python -m crmstudy.reports.worker --shared``).

    A plain subprocess, as for the branch workers, rather than multiprocessing: that would
    start by re-running the caller's ``__main__``, which breaks a script without a main guard.
    """
    spec = Path(work) / f"shared_{start}_{end}.json"
    write_text_atomic(spec, json.dumps({"data_dir": data_dir, "start": start, "end": end, "work": work,
                                        "branches": branches}))
    done = spec.with_suffix(".result.json")
    with contextlib.suppress(FileNotFoundError):
        done.unlink()
    proc = subprocess.run([sys.executable, "-m", "crmstudy.reports.worker", "--shared", str(spec)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result = json.loads(done.read_text()) if done.exists() else {}
    if proc.returncode != 0 or "features" not in result:
        tail = [line for line in proc.stderr.decode(errors="replace").splitlines() if line.strip()]
        message = result.get("error") or (tail[-1] if tail else f"exit code {proc.returncode}")
        error = DataError if result.get("kind") == "DataError" else CrmStudyError
        raise error(message)
    return result["features"], result["scores"]


#: Rows per Parquet row group of the run's features file, which is sorted by branch: a branch
#: notebook's filtered read then decodes only the few row groups of its own branch.
_FEATURE_ROW_GROUP = 8192


def shared_slices(data_dir: str, start, end, work: str, branches: list[str]) -> tuple[str, dict[str, str]]:
    """Write the period's features (one file, sorted by branch) and each branch's footprint scores.

    Returns
    -------
    str, dict
        The features file, and branch id -> its pickled
        :class:`~crmstudy.footprint.FootprintScores` (empty when the period is too
        short for the scorecards' windows: each branch's section then says so).
    """
    import duckdb

    from ..atomic import atomic_path
    from ..features import Period, customer_features

    bank, period = find_bank(data_dir), Period.of(start, end)
    try:
        features = customer_features(bank, period)
    except duckdb.Error as exc:  # DuckDB refusing a file is bad input: its message names the file
        raise DataError(f"customer features for {start} to {end}: {str(exc).strip().splitlines()[0]}") from None
    features = features.sort_values(["branch_id", "customer_id"], ignore_index=True)
    path = Path(work) / f"features_{start}_{end}.parquet"
    with atomic_path(path) as tmp:
        features.to_parquet(tmp, index=False, row_group_size=_FEATURE_ROW_GROUP)
    branch_of = features.set_index("customer_id")["branch_id"]
    del features
    return str(path), _footprint_scores(bank, period, Path(work) / f"footprint_{start}_{end}", branch_of, branches)


def _footprint_scores(bank, period, folder: Path, branch_of, branches: list[str]) -> dict[str, str]:
    """Fit the footprint scorecards once for the run; pickle each branch's customers' scores apart.

    Branch notebooks then show their own customers' scores instead of each
    refitting on the whole bank, and load only their own rows.
    """
    import pickle

    from ..atomic import atomic_path
    from ..errors import ParamsError
    from ..footprint import score_customers

    try:  # strict=False: a card short of events is left out, and each branch's section says why
        scores = score_customers(bank, period=period, strict=False)
    except ParamsError:  # a period too short for the windows: each branch's section says so
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    parts = scores.split(branch_of)
    nobody = replace(scores, scores=scores.scores.iloc[:0], reasons=scores.reasons.iloc[:0])
    paths = {}
    for b in branches:  # a branch with no one to score gets the cards and empty lists, not a refit
        paths[b] = str(folder / f"{b}.pkl")
        with atomic_path(Path(paths[b])) as tmp:
            tmp.write_bytes(pickle.dumps(parts.get(b, nobody)))
    return paths


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="branches", unit="branch", disable=not enabled)


def _publish(res: BranchResult, latest: Path) -> None:
    """Switch ``latest/<branch>.*`` to this run's files, one atomic rename each."""
    for f in res.files:
        src = Path(f)
        tmp = latest / f".{src.name}.{os.getpid()}.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        # a copy, not a hard link: latest/ and the run folder stay independent
        shutil.copy2(src, tmp)
        os.replace(tmp, latest / src.name)


def _file_entry(base: Path, path: Path) -> dict:
    return {"path": path.relative_to(base).as_posix(), "sha256": _sha256(path), "bytes": path.stat().st_size}


def _files_intact(latest: Path, entry: dict) -> bool:
    try:
        return all(_sha256(latest / f["path"]) == f["sha256"] for f in entry.get("files", []))
    except FileNotFoundError:
        return False


def _read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _manifest(summary: RunSummary, data_dir: Path, fingerprint: str, names: dict, *, previous: dict | None,
              latest: Path | None = None) -> dict:
    """The run's manifest, or (with ``previous``) the merged state of ``latest/``."""
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
                branches[r.branch_id] = {"status": "failed", "stale": True, "error": r.error,
                                         "run_id": summary.run_id, "files": [], "log": r.log,
                                         "branch_name": names.get(r.branch_id, r.branch_id)}
            continue
        files = [_file_entry(base, base / Path(f).name) for f in r.files if (base / Path(f).name).exists()]
        branches[r.branch_id] = {
            "status": r.status, "stale": False, "run_id": summary.run_id, "made_at": _now(),
            "branch_name": names.get(r.branch_id, r.branch_id), "input_fingerprint": fingerprint,
            "params_hash": r.params_hash, "cache_key": r.cache_key, "files": files, "log": r.log,
            "executed_notebook": r.executed_notebook if r.status == "failed" else "",
            "durations": {"total_seconds": round(r.seconds, 3), "execute_seconds": r.execute_seconds,
                          "render_seconds": r.render_seconds},
            "attempts": r.attempts, "error": r.error, "headline": r.headline,
        }
    return {"schema_version": 1, "run_id": summary.run_id, "made_at": _now(), "crmstudy_version": __version__,
            "engine": summary.engine, "data_dir": str(data_dir), "data_fingerprint": fingerprint,
            "seconds": round(summary.seconds, 3), "shared_seconds": round(summary.shared_seconds, 3), "branches": dict(sorted(branches.items())), "files": []}


def _write_index(manifest: dict, latest: Path, title: str | None, bank, lang: str = "en") -> None:
    import html as _html

    entries = []
    for b, m in manifest["branches"].items():
        h = dict(m.get("headline") or {})
        short = str(m.get("branch_name", b)).replace(" Sub-branch", "").removesuffix("支行")
        status = i18n.t("index.ok", lang)
        if m.get("stale"):
            made = m.get("made_at", "")[:10]
            status = (i18n.t("index.stale_since", lang, date=i18n.date(made, lang) if made else "–")
                      if m.get("files") else i18n.t("index.failed", lang))
        e = {"branch_id": b, "branch": f"{b} {short}", "status": status, **h}
        html_file = next((f["path"] for f in m.get("files", []) if f["path"].endswith(".html")), None)
        pdf_file = next((f["path"] for f in m.get("files", []) if f["path"].endswith(".pdf")), None)
        if html_file:
            e["href"] = html_file
        if pdf_file:
            e["pdf"] = pdf_file
        if h:
            e["top20_share_pct"] = i18n.percent(h["top20_share"], lang)
            e["dormant_share_pct"] = i18n.percent(h["dormant_share"], lang)
            e["gini"] = round(h["gini"], 3)
            e["ada_text"] = i18n.money(h["total_ada"], lang)
        entries.append(e)
    meta = bank.meta
    n_ok = sum(1 for m in manifest["branches"].values() if not m.get("stale"))
    parts = []
    if "period_start" in meta:
        parts.append(i18n.period(meta["period_start"], meta["period_end"], lang))
    parts += [i18n.t("index.footer.last_run", lang, run_id=manifest["run_id"]),
              i18n.t("index.footer.version", lang, version=__version__),
              i18n.t("index.footer.engine", lang, engine=manifest["engine"]),
              i18n.t("index.footer.fingerprint", lang, fingerprint=manifest["data_fingerprint"])]
    if "seed" in meta:
        parts.append(i18n.t("index.footer.seed_null" if meta.get("null") else "index.footer.seed", lang,
                            seed=meta["seed"]))
    parts.append(i18n.t("index.footer.current", lang, current=i18n.integer(n_ok, lang),
                        total=i18n.integer(len(manifest["branches"]), lang)))
    render_index(entries, latest / "index.html", title=title or i18n.t("index.title", lang),
                 columns=index_columns(lang), lang=lang, footer_html=_html.escape(" · ".join(parts)))


def prune_runs(out_dir: Path, *, keep: int, protect: str | None = None) -> list[str]:
    """Delete all but the newest ``keep`` run folders; never one ``latest`` still uses."""
    runs_dir = Path(out_dir) / "runs"
    if keep < 1 or not runs_dir.exists():
        return []
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    removed = []
    for p in runs[keep:]:
        if p.name == protect:
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p.name)
    return removed


# --- verify ---------------------------------------------------------------------------


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
            out.append((f["path"], "ok" if _sha256(p) == f["sha256"] else "changed"))
    return out
