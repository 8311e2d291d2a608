"""Execute and render one branch in its own process.

The runner starts ``python -m crmstudy.reports.pipeline.worker JOB.json`` per branch so
that a branch can be timed out and killed (with its kernel) without touching
the others.  The worker hands its result back on stdout (a pipe: it reaches the runner even on a
full disk), and writes each cell's start and end to the branch's log (:mod:`.cells`).
``--shared SPEC.json`` does the run's shared work instead (features and
footprint scores, once per period), so that the memory it takes is given back
before the branches start.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import time
from pathlib import Path

from ...atomic import write_text_atomic
from .cells import running

#: Prefix of the line on the worker's stdout that carries its result (JSON): a pipe, not a file,
#: so that a worker can still report a full disk.
RESULT_MARK = "crmstudy-worker-result "

#: OS errors that are the machine's state, not the branch's: disk full, quota, read-only file system.
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
_ERRNO_TEXT = re.compile(r"\[Errno (\d+)\] ([^:']+)(?::\s*'([^']*)')?")


def one_line_error(exc: BaseException) -> str:
    """A failure as one line; for a notebook, the failing cell (index and first line) and the error."""
    try:
        from papermill.exceptions import PapermillExecutionError
    except ImportError:  # pragma: no cover
        PapermillExecutionError = ()  # type: ignore
    if isinstance(exc, PapermillExecutionError):
        evalue = str(exc.evalue).strip().splitlines()[0] if exc.evalue else ""
        where = running["cell"] or f"cell {exc.exec_count}"
        return f"{where}: {exc.ename}: {evalue}"
    text = str(exc).strip().splitlines()
    message = f"{type(exc).__name__}: {text[0] if text else ''}"
    if running["cell"]:  # a cell timeout, a dead kernel: name the cell that was running
        message = f"{running['cell']}: {message}"
    return message


def environment_fault(exc: BaseException, error: str) -> dict | None:
    """The machine's refusal behind a failure (errno, message, path), or None when the branch itself failed.

    Found on the exception itself, or, for a failure inside the kernel or a tool, in its message.
    """
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
        return {"errno": exc.errno, "strerror": exc.strerror or os.strerror(exc.errno), "filename": exc.filename}
    m = _ERRNO_TEXT.search(error)
    if m and int(m.group(1)) in _ENVIRONMENT_ERRNOS:
        return {"errno": int(m.group(1)), "strerror": m.group(2).strip(), "filename": m.group(3)}
    for code in _ENVIRONMENT_ERRNOS:
        if os.strerror(code) in error:
            return {"errno": code, "strerror": os.strerror(code), "filename": None}
    return None


def run_job(job: dict, kernel=None) -> dict:
    """Execute the notebook for one branch, then render it; return a result dict.

    ``kernel`` is the worker's :class:`~.warm.WarmKernel` (``--serve``): the branch runs in it,
    reset since the previous branch; without, papermill starts a kernel for this branch only.
    """
    import papermill as pm

    from .cells import register
    from .engines import ENGINES

    t0 = time.perf_counter()
    branch = job["branch_id"]
    run_dir = Path(job["run_dir"])
    log = run_dir / "logs" / f"{branch}.log"
    executed = run_dir / "notebooks" / f"{branch}.ipynb"
    headline_path = run_dir / "_work" / f"{branch}.headline.json"
    findings_path = run_dir / f"{branch}.findings.json"
    result = {
        "branch_id": branch,
        "status": "failed",
        "log": str(log),
        "files": [],
        "error": "",
        "headline": {},
        "executed_notebook": str(executed),
        "execute_seconds": 0.0,
        "render_seconds": 0.0,
    }
    if job.get("bankwide_dir"):  # the kernel inherits it: bank-wide results once per run (crmstudy.runcache)
        from ...runcache import ENV

        os.environ[ENV] = job["bankwide_dir"]
    try:
        with open(log, "a", encoding="utf-8") as logf:
            logf.write(f"branch {branch}: executing {job['notebook']}\n")
            logf.flush()
            warm = {"km": kernel.manager(job["cwd"])} if kernel is not None else {}
            pm.execute_notebook(
                job["notebook"],
                str(executed),
                engine_name=register(),
                kernel_name="python3",
                language="python",
                parameters={
                    "data_dir": job["data_dir"],
                    "branch_id": branch,
                    "params": job["params"],
                    "render_engine": job["engine"],
                    "headline_path": str(headline_path),
                    "findings_path": str(findings_path),
                    **{
                        k: job[k]
                        for k in ("features_path", "data_fingerprint", "scores_path", "standing", "previous_report")
                        if job.get(k)
                    },
                },
                progress_bar=False,
                log_output=True,
                stdout_file=logf,
                stderr_file=logf,
                cwd=job["cwd"],
                execution_timeout=job.get("cell_timeout"),
                **warm,
            )
        t1 = time.perf_counter()
        result["execute_seconds"] = round(t1 - t0, 3)
        engine = ENGINES[job["engine"]]()
        html = run_dir / f"{branch}.html"
        pdf = run_dir / f"{branch}.pdf" if "pdf" in job["formats"] else None
        title = f"{job['title']} · {job['branch_name']}"
        lang = job["params"].get("language", "en")
        headline = json.loads(headline_path.read_text())
        running = None
        if "period_start" in headline:
            from ...i18n import period as period_text

            running = f"{branch} · {period_text(headline['period_start'], headline['period_end'], lang)}"
        files = engine.render(executed, html, title=title, lang=lang, pdf_out=pdf, running_header=running)
        result["render_seconds"] = round(time.perf_counter() - t1, 3)
        if findings_path.exists():  # the index shows how many sections found something to act on
            doc = json.loads(findings_path.read_text())
            headline["findings"] = doc["findings"]
            failed = doc.get("failed") or {}
            if failed:  # published with a boxed note in each failed section's place; the run still exits 1
                result["error"] = "; ".join(f"section '{n}' failed: {why}" for n, why in failed.items())
        result["headline"] = headline
        result["files"] = [str(f) for f in files] + ([str(findings_path)] if findings_path.exists() else [])
        # the report's downloadable lists (crmstudy.reports.downloads), written beside the findings
        result["files"] += sorted(str(f) for ext in ("csv", "xlsx") for f in run_dir.glob(f"{branch}.*.{ext}"))
        result["status"] = "ok"
    except Exception as exc:  # one branch failing must not stop the run: record it
        result["error"] = one_line_error(exc)
        fault = environment_fault(exc, result["error"])
        if fault:
            result["environment"] = fault
        try:
            with open(log, "a", encoding="utf-8") as logf:
                import traceback

                logf.write(f"failed: {result['error']}\n" + "".join(traceback.format_exception(exc)))
        except OSError:  # a full disk: the error still reaches the runner through the pipe
            pass
    return result


def report_result(result: dict) -> None:
    """Hand the result to the runner on stdout (one line after :data:`RESULT_MARK`)."""
    sys.stdout.write("\n" + RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


def read_result(stdout: str) -> dict | None:
    """The result a worker reported on ``stdout``, or None when it reported none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    return None


def run_shared(spec_path: Path) -> int:
    """The run's shared work (:func:`~crmstudy.reports.pipeline.shared.shared_slices`); its result or error as JSON."""
    from ...errors import CrmStudyError
    from .shared import shared_slices

    spec = json.loads(spec_path.read_text())
    try:
        features, scores = shared_slices(
            spec["data_dir"],
            spec["start"],
            spec["end"],
            spec["work"],
            spec["branches"],
            min_events=spec.get("min_events", 10),
            scores=spec.get("scores", True),
        )
        result, code = {"features": features, "scores": scores}, 0
    except CrmStudyError as exc:
        result, code = {"error": (str(exc).strip().splitlines() or [""])[0], "kind": type(exc).__name__}, 2
    write_text_atomic(spec_path.with_suffix(".result.json"), json.dumps(result))
    return code


def die_with_parent() -> None:
    """Have Linux kill this worker when the runner that started it dies, even by ``kill -9``.

    Without it a killed runner leaves its workers rendering into a dead run folder, and a hung
    one outlives ``--timeout`` (the dead parent was the one enforcing it).  ``prctl`` through
    ctypes: no package offers PR_SET_PDEATHSIG, and it is one call.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(os.environ.get("CRMSTUDY_RUNNER_PID", os.getppid())):
        os._exit(1)  # the runner died before the request took effect


def serve(lines=None) -> int:
    """Run branch after branch in one warm kernel (:mod:`.warm`): a job file's path per line on stdin.

    Each result goes to stdout as for a single job.  A branch that failed is never followed in
    its kernel: the next starts a new one.  Ends, shutting the kernel down, at the end of stdin.
    """
    from .warm import WarmKernel

    kernel = WarmKernel()
    try:
        for line in lines if lines is not None else sys.stdin:
            if not line.strip():
                continue
            job = json.loads(Path(line.strip()).read_text())
            try:
                result = run_job(job, kernel)
            finally:
                running["cell"] = ""
            if result["status"] != "ok" or result["error"]:  # a failure, or a failed section: a new kernel
                kernel.discard()
            report_result(result)
    finally:
        kernel.discard()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a branch, serve branches, or do the shared work.

    ``JOB.json``: one branch (exit 0 when it rendered, 1 when not); ``--serve``: branches whose job
    files are read from stdin (:func:`serve`); ``--shared SPEC.json``: the run's shared work.
    """
    die_with_parent()
    argv = sys.argv[1:] if argv is None else argv
    if argv[0] == "--shared":
        return run_shared(Path(argv[1]))
    if argv[0] == "--serve":
        return serve()
    job = json.loads(Path(argv[0]).read_text())
    result = run_job(job)
    report_result(result)
    return 0 if result["status"] == "ok" else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
