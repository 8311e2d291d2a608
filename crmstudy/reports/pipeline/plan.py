"""Plan a run before it starts: its branches, parameters, engine and notebook; what is cached; the jobs.

:func:`plan_run` resolves the branches, each one's parameters, the engine and
the notebook; :func:`plan_jobs` decides which branches are current in
``latest/`` (their cache key unchanged) and writes the job every other branch
hands its worker.  Everything here is checked before the lock is taken or a file written: a bad branch id, parameter or
notebook stops the run with one line and an empty output folder.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ... import i18n
from ...bank import Bank
from ...bank_checks import check_bank_once
from ...errors import CrmStudyError, ParamsError
from ...params import ReportParams, load_params
from ..context import branch_display_name, check_branches
from .cache import cache_key, files_intact, notebook_digest
from .engines import select_engine
from .results import BranchResult

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    import pandas as pd

#: The branch report notebook shipped in the package (``crmstudy/notebooks/branch_report.ipynb``; linked from
#: ``notebooks/`` in the repository), as a :class:`~importlib.resources.abc.Traversable`:
#: :func:`on_disk` gives it as a file on disk.
DEFAULT_NOTEBOOK = resources.files("crmstudy") / "notebooks" / "branch_report.ipynb"


@contextlib.contextmanager
def on_disk(path, packaged: Traversable) -> Iterator[Path]:
    """``path`` resolved, or when it is not given, the package's own file or folder ``packaged``, on disk.

    Examples
    --------
    >>> with on_disk(None, DEFAULT_NOTEBOOK) as nb:
    ...     nb.name
    'branch_report.ipynb'
    """
    if path:
        yield Path(path).resolve()
        return
    with resources.as_file(packaged) as on_disk_path:
        yield Path(on_disk_path).resolve()


#: A run id is a folder name: letters, digits, '.', '_' or '-', starting with a letter or digit (no path).
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: The longest a branch may be given (seconds): a week.
MAX_TIMEOUT = 7 * 24 * 3600
#: The most extra attempts a failed branch may be given.
MAX_RETRIES = 10


#: Where branches can run (:func:`~crmstudy.reports.pipeline.run.run_reports`'s ``executor``).
EXECUTORS = ("local", "dask")


def check_run_options(
    out_dir, *, run_id: str | None, timeout, retries: int, keep: int | None, executor: str = "local"
) -> None:
    """Refuse, before any work or any folder is made, the options a run cannot honour (one line each)."""
    if executor not in EXECUTORS:
        raise ParamsError(f"--executor {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if run_id is not None and not _RUN_ID.fullmatch(str(run_id)):
        raise ParamsError(
            f"--run-id {run_id!r}: expected a folder name of letters, digits, '.', '_' or '-' (no path, at most 64)"
        )
    if timeout is not None and not (isinstance(timeout, (int, float)) and 0 < timeout <= MAX_TIMEOUT):
        raise ParamsError(f"--timeout {timeout!r}: expected seconds between 1 and {MAX_TIMEOUT:,} (a week)")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        raise ParamsError(f"--retries {retries!r}: expected a whole number from 0 to {MAX_RETRIES}")
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise ParamsError(f"--keep {keep!r}: expected a whole number of run folders, 1 or more")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParamsError(f"{out}: --out must be a folder; this is a file")


def _check_overrides(params_file, valid: list[str]) -> None:
    """A branch override file for a branch the bank does not have is a mistake, not something to ignore."""
    if params_file is None:
        return
    folder = Path(params_file).parent / "branches"
    unknown = sorted(p.name for p in folder.glob("*.yaml") if p.stem not in set(valid)) if folder.is_dir() else []
    if unknown:
        raise ParamsError(
            f"{folder}: override file(s) for no branch of this bank: {', '.join(unknown)}; "
            f"branches are {', '.join(valid)}"
        )


def _check_notebook(path: Path) -> frozenset[str]:
    """Check ``path`` is a notebook papermill can run; return the names its parameters cell declares."""
    import nbformat
    from papermill.inspection import inspect_notebook

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # not JSON, not a notebook, unreadable: one line naming the file
        raise CrmStudyError(f"{path}: not a readable Jupyter notebook ({type(e).__name__}: {e})") from None
    if not nb.metadata.get("kernelspec", {}).get("name"):
        raise CrmStudyError(f"{path}: the notebook names no kernel (metadata.kernelspec.name); papermill needs one")
    try:
        return frozenset(inspect_notebook(str(path)))
    except Exception as e:  # a parameters cell papermill cannot read
        raise CrmStudyError(f"{path}: its parameters cell cannot be read ({type(e).__name__}: {e})") from None


def prepare_run(
    data, *, branches="all", params_file=None, language: str | None = None
) -> tuple[list[str], dict[str, ReportParams]]:
    """Check data, branch ids and every branch's parameters before any work starts.

    ``language`` (``--lang``), when given, is every branch's report language, over the parameter files.
    """
    bank = Bank.of(data)
    ids = check_branches(bank, branches)
    _check_overrides(params_file, bank.branch_ids)
    extra = {"language": i18n.check_language(language)} if language else None
    params = {b: load_params(params_file, branch=b, extra=extra) for b in ids}
    return ids, params


@dataclass
class RunPlan:
    """A run's inputs, resolved and checked (see :func:`plan_run`)."""

    data_dir: Path
    bank: Bank
    fingerprint: str
    branch_ids: list[str]
    params: dict[str, ReportParams]
    engine: str
    formats: tuple[str, ...]
    notebook: Path
    notebook_digest: str
    branch_table: pd.DataFrame
    index_lang: str
    names: dict[str, str]  # branch id -> display name in the index's language
    title: str | None
    cell_timeout: int | None
    #: The names the notebook's parameters cell declares: the run computes only the shared inputs it reads
    #: (a notebook without ``scores_path`` gets no bank-wide scorecards fitted for it).
    inputs: frozenset[str] = frozenset()


def plan_run(
    data_dir,
    *,
    branches,
    params_file,
    engine: str,
    formats,
    notebook: Path,
    title: str | None,
    language: str | None,
    cell_timeout: int | None,
) -> RunPlan:
    """Resolve and check a run's inputs, in the order their errors are reported.

    Raises
    ------
    CrmStudyError
        The bank, a branch id, a parameter, the language, the engine or the notebook is wrong.
    """
    data_dir = Path(data_dir).resolve()
    bank = Bank.open(data_dir)  # opened once for the whole run: files, fingerprint, connection
    check_bank_once(bank)  # what validate checks, before any work: every problem listed, exit 2
    i18n.set_currency(bank.currency)  # the index's amounts in the bank's currency
    ids, params = prepare_run(bank, branches=branches, params_file=params_file, language=language)
    index_lang = i18n.check_language(language or load_params(params_file).language)
    eng = select_engine(engine)
    fingerprint = bank.fingerprint
    branch_table = bank.branches
    names = {b: branch_display_name(branch_table, b, index_lang) for b in branch_table["branch_id"]}
    if not notebook.exists():
        raise CrmStudyError(f"{notebook}: report notebook not found")
    inputs = _check_notebook(notebook)
    return RunPlan(
        data_dir,
        bank,
        fingerprint,
        ids,
        params,
        eng.name,
        tuple(formats),
        notebook,
        notebook_digest(notebook),
        branch_table,
        index_lang,
        names,
        title,
        cell_timeout,
        inputs,
    )


def plan_jobs(
    plan: RunPlan, run_dir: Path, latest: Path, previous: dict, *, force: bool
) -> tuple[dict[str, BranchResult], list[dict]]:
    """Split the branches into those ``latest/`` already holds and those to run.

    A branch is cached when its cache key is the one ``previous`` (the
    manifest of ``latest/``) records and its files there are intact, unless
    ``force``.

    Returns
    -------
    dict, list of dict
        Branch id -> cached :class:`BranchResult`; one job (the worker's
        instructions) per branch to run.
    """
    cached: dict[str, BranchResult] = {}
    jobs = []
    for b in plan.branch_ids:
        params = plan.params[b]
        key = cache_key(
            notebook=plan.notebook_digest,
            params=params,
            fingerprint=plan.fingerprint,
            engine=plan.engine,
            formats=plan.formats,
        )
        prev = previous.get("branches", {}).get(b)
        if not force and prev and prev.get("cache_key") == key and files_intact(latest, prev):
            cached[b] = BranchResult(
                b,
                "cached",
                0.0,
                prev.get("log", ""),
                headline=prev.get("headline", {}),
                cache_key=key,
                params_hash=params.digest(),
                files=[str(latest / f["path"]) for f in prev["files"]],
            )
            continue
        jobs.append(
            {
                "branch_id": b,
                "branch_name": branch_display_name(plan.branch_table, b, params.language),
                "run_dir": str(run_dir),
                "data_dir": str(plan.data_dir),
                "params": params.as_dict(),
                "engine": plan.engine,
                "formats": list(plan.formats),
                "notebook": str(plan.notebook),
                "cwd": str(plan.notebook.parent),
                "title": plan.title or i18n.t("report.title", params.language),
                "cell_timeout": plan.cell_timeout,
                "cache_key": key,
                "params_hash": params.digest(),
            }
        )
    return cached, jobs
