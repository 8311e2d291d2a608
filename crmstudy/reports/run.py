"""Fan a parameterized notebook out over branches: execute, render, index.

One branch failing does not stop the others; the run ends with a summary
(status, time and log per branch).  Every published file is written
atomically, so a reader never finds a half-written report.

Layout of ``out`` after a run::

    out/<run_id>/<branch>.html      one self-contained report per branch
    out/<run_id>/index.html         every branch's headline figures, linked
    out/<run_id>/summary.json       status, time, log and files per branch
    out/<run_id>/logs/<branch>.log  what the notebook printed
    out/<run_id>/_work/             executed notebooks and headline JSON
    out/latest -> <run_id>          switched only once the run has finished
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..atomic import write_text_atomic
from ..errors import CrmStudyError
from ..schema import find_bank
from .branch import check_branches
from .params import ReportParams, load_params
from ..plots import cny
from .render import render_index, select_engine

DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "branch_report.ipynb"
INDEX_COLUMNS = [("branch", "Branch"), ("customers", "Customers"), ("ada_text", "Assets (ADA, CNY)"),
                 ("gini", "Gini"), ("top20_share_pct", "Top 20% hold"), ("key_customers", "Key + sub-key"),
                 ("dormant_share_pct", "Dormant"), ("upgrade_candidates", "Upgrades"), ("status", "Status")]


@dataclass
class BranchResult:
    """What happened to one branch in a run."""

    branch_id: str
    status: str
    seconds: float
    log: str
    files: list[str] = field(default_factory=list)
    error: str = ""
    headline: dict = field(default_factory=dict)


@dataclass
class RunSummary:
    """A finished run: where it is, which engine, and each branch's result."""

    run_id: str
    run_dir: Path
    engine: str
    results: list[BranchResult]
    seconds: float

    @property
    def failed(self) -> list[BranchResult]:
        return [r for r in self.results if r.status != "ok"]

    def table(self) -> str:
        """A plain-text summary, one line per branch."""
        lines = [f"run {self.run_id} ({self.engine} engine, {self.seconds:.1f} s): {self.run_dir}"]
        for r in self.results:
            extra = f"  {r.error}" if r.error else ""
            lines.append(f"  {r.branch_id:<8} {r.status:<7} {r.seconds:6.1f} s  log: {r.log}{extra}")
        ok = len(self.results) - len(self.failed)
        lines.append(f"{ok} of {len(self.results)} branches succeeded")
        return "\n".join(lines)


def _branch_job(job: dict) -> BranchResult:
    """Execute and render one branch (runs in a worker process)."""
    import papermill as pm

    from .render import ENGINES

    t0 = time.perf_counter()
    branch = job["branch_id"]
    run_dir = Path(job["run_dir"])
    log = run_dir / "logs" / f"{branch}.log"
    executed = run_dir / "_work" / f"{branch}.ipynb"
    headline_path = run_dir / "_work" / f"{branch}.headline.json"
    try:
        with open(log, "w", encoding="utf-8") as logf:
            pm.execute_notebook(
                job["notebook"], str(executed), kernel_name="python3", language="python",
                parameters={"data_dir": job["data_dir"], "branch_id": branch, "params": job["params"],
                            "render_engine": job["engine"], "headline_path": str(headline_path)},
                progress_bar=False, log_output=True, stdout_file=logf, stderr_file=logf,
                cwd=job["cwd"], execution_timeout=job.get("timeout"))
        engine = ENGINES[job["engine"]]()
        html = run_dir / f"{branch}.html"
        pdf = run_dir / f"{branch}.pdf" if "pdf" in job["formats"] else None
        title = f"{job['title']} · {job['branch_name']}"
        files = engine.render(executed, html, title=title, lang=job["params"].get("language", "en"), pdf_out=pdf)
        headline = json.loads(headline_path.read_text())
        return BranchResult(branch, "ok", time.perf_counter() - t0, str(log), [str(f) for f in files], "", headline)
    except Exception as exc:  # one branch failing must not stop the run: record it
        return BranchResult(branch, "failed", time.perf_counter() - t0, str(log), [], _one_line(exc))


def _one_line(exc: BaseException) -> str:
    try:
        from papermill.exceptions import PapermillExecutionError
    except ImportError:  # pragma: no cover
        PapermillExecutionError = ()  # type: ignore
    if isinstance(exc, PapermillExecutionError):
        return f"cell {exc.exec_count}: {exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def prepare_run(data_dir, *, branches="all", params_file=None) -> tuple[list[str], dict[str, ReportParams]]:
    """Check data, branch ids and every branch's parameters before any work starts."""
    find_bank(data_dir)
    ids = check_branches(data_dir, branches)
    params = {b: load_params(params_file, branch=b) for b in ids}
    return ids, params


def run_reports(data_dir, out_dir, *, branches="all", workers: int | None = None, params_file=None,
                engine: str = "auto", formats=("html",), notebook=None, run_id: str | None = None,
                progress: bool = True, timeout: int | None = None, title: str = "Branch report") -> RunSummary:
    """Render one report per branch and an index page.

    Parameters
    ----------
    data_dir : path
        A bank folder (``crmstudy synth`` output or the user's own files).
    out_dir : path
        Reports go to ``out_dir/<run_id>/``; ``out_dir/latest`` points at the newest run.
    branches : "all" or list of str or comma-separated str
    workers : int, optional
        Parallel branches; default one per core.
    params_file : path, optional
        Defaults YAML; per-branch overrides in ``branches/`` beside it.
    engine : {"auto", "builtin", "quarto"}
    formats : iterable of {"html", "pdf"}

    Returns
    -------
    RunSummary
    """
    t0 = time.perf_counter()
    data_dir = Path(data_dir).resolve()
    ids, params = prepare_run(data_dir, branches=branches, params_file=params_file)
    eng = select_engine(engine)
    bank = find_bank(data_dir)
    from ..schema import read_table

    names = read_table(bank, "branches").set_index("branch_id")["branch_name"].to_dict()
    run_id = run_id or datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = Path(out_dir).resolve()
    run_dir = out_dir / run_id
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    (run_dir / "_work").mkdir(parents=True, exist_ok=True)
    nb = Path(notebook or DEFAULT_NOTEBOOK).resolve()
    if not nb.exists():
        raise CrmStudyError(f"{nb}: report notebook not found")
    jobs = [{"branch_id": b, "branch_name": names[b], "run_dir": str(run_dir), "data_dir": str(data_dir),
             "params": params[b].as_dict(), "engine": eng.name, "formats": list(formats), "notebook": str(nb),
             "cwd": str(nb.parent), "title": title, "timeout": timeout} for b in ids]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results: dict[str, BranchResult] = {}
    bar = _progress(len(jobs), progress)
    if workers == 1:
        for job in jobs:
            results[job["branch_id"]] = _branch_job(job)
            bar.update(1)
    else:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(_branch_job, job): job["branch_id"] for job in jobs}
            for fut in cf.as_completed(futures):
                b = futures[fut]
                try:
                    results[b] = fut.result()
                except Exception as exc:  # a worker died: record, keep the others
                    results[b] = BranchResult(b, "failed", 0.0, str(run_dir / "logs" / f"{b}.log"), [],
                                              _one_line(exc))
                bar.update(1)
    bar.close()
    ordered = [results[b] for b in ids]
    summary = RunSummary(run_id, run_dir, eng.name, ordered, time.perf_counter() - t0)
    _write_index(summary, names, title, bank)
    _write_summary(summary, data_dir, bank.fingerprint)
    _point_latest(out_dir, run_id)
    return summary


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="branches", unit="branch", disable=not enabled)


def _write_index(summary: RunSummary, names: dict, title: str, bank) -> None:
    entries = []
    for r in summary.results:
        h = dict(r.headline)
        short = str(names.get(r.branch_id, r.branch_id)).replace(" Sub-branch", "")
        e = {"branch_id": r.branch_id, "branch": f"{r.branch_id} {short}", "status": r.status, **h}
        if r.status == "ok":
            e["href"] = f"{r.branch_id}.html"
            pdfs = [f for f in r.files if f.endswith(".pdf")]
            if pdfs:
                e["pdf"] = Path(pdfs[0]).name
            e["top20_share_pct"] = f"{h['top20_share']:.1%}"
            e["dormant_share_pct"] = f"{h['dormant_share']:.1%}"
            e["gini"] = round(h["gini"], 3)
            e["ada_text"] = cny(h["total_ada"])
        entries.append(e)
    import html as _html

    meta = bank.meta
    period = f"{meta['period_start']} to {meta['period_end']} · " if "period_start" in meta else ""
    seed = f"seed {meta['seed']}{' (null bank)' if meta.get('null') else ''} · " if "seed" in meta else ""
    footer = _html.escape(
        f"{period}run {summary.run_id} · crmstudy {__version__} · {summary.engine} engine · "
        f"data fingerprint {bank.fingerprint} · {seed}"
        f"{len(summary.results) - len(summary.failed)} of {len(summary.results)} branches rendered")
    render_index(entries, summary.run_dir / "index.html", title=title, columns=INDEX_COLUMNS, footer_html=footer)


def _write_summary(summary: RunSummary, data_dir: Path, fingerprint: str) -> None:
    doc = {"run_id": summary.run_id, "engine": summary.engine, "crmstudy_version": __version__,
           "data_dir": str(data_dir), "data_fingerprint": fingerprint, "seconds": round(summary.seconds, 2),
           "branches": [asdict(r) for r in summary.results]}
    write_text_atomic(summary.run_dir / "summary.json", json.dumps(doc, indent=2, default=str))


def _point_latest(out_dir: Path, run_id: str) -> None:
    """Switch ``out_dir/latest`` to the new run atomically (symlink + rename)."""
    tmp = out_dir / f".latest.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(run_id, tmp)
    os.replace(tmp, out_dir / "latest")


def format_traceback(exc: BaseException) -> str:  # pragma: no cover - debugging aid
    return "".join(traceback.format_exception(exc))
