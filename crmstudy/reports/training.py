"""Execute the training curriculum on a bank and render it, code included.

Trainers hand out ``reports/training/index.html``: the course page (tracks,
durations, prerequisites, goals, trainer notes; :mod:`crmstudy.reports.course_page`)
linking every lesson and its worked answers, run on the demo bank, with code,
outputs and the bilingual text.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..curriculum import load_curriculum
from ..errors import CrmStudyError
from ..schema import find_bank
from .course_page import write_course_page
from .pipeline.cells import _ipc_kernel_manager
from .pipeline.engines import BuiltinEngine
from .pipeline.plan import on_disk
from .pipeline.worker import one_line_error

#: The curriculum shipped in the package (``crmstudy/notebooks/training``; linked from ``notebooks/`` in the
#: repository), as a :class:`~importlib.resources.abc.Traversable`.
TRAINING_DIR = resources.files("crmstudy") / "notebooks" / "training"


@dataclass
class LessonResult:
    """One notebook of the curriculum after a run."""

    name: str
    status: str
    seconds: float
    html: str = ""
    error: str = ""


def render_training(
    data_dir, out_dir, *, notebooks_dir=None, only: list[str] | None = None, timeout: int | None = 600
) -> list[LessonResult]:
    """Run every training notebook (lessons and solutions) on ``data_dir`` and render it.

    Parameters
    ----------
    data_dir : path
        The bank the lessons work on (the demo bank for trainers).
    out_dir : path
        ``<name>.html`` per notebook and ``index.html``.
    only : list of str, optional
        Notebook stems to run (default: all).
    """
    data_dir = Path(data_dir).resolve()
    find_bank(data_dir)
    with on_disk(notebooks_dir, TRAINING_DIR) as src:
        books = sorted(p for p in src.glob("*.ipynb") if only is None or p.stem in only)
        if not books:
            raise CrmStudyError(f"{src}: no training notebooks found")
        out_dir = Path(out_dir).resolve()
        results = _run_lessons(books, src, data_dir, out_dir, timeout)
    write_course_page(load_curriculum(), results, out_dir / "index.html")
    return results


def _run_lessons(
    books: list[Path], src: Path, data_dir: Path, out_dir: Path, timeout: int | None
) -> list[LessonResult]:
    """Execute and render each notebook into ``out_dir``; a failure is recorded, and the next one runs."""
    import papermill as pm

    work = out_dir / "_work"
    work.mkdir(parents=True, exist_ok=True)
    engine = BuiltinEngine(show_code=True)
    # lessons' kernels on local IPC sockets, as the branch reports' (no "running over TCP" warning per lesson)
    ipc = {"kernel_manager_class": _ipc_kernel_manager()} if os.name == "posix" else {}
    results = []
    for nb in books:
        t0 = time.perf_counter()
        try:
            executed = work / nb.name
            pm.execute_notebook(
                str(nb),
                str(executed),
                parameters={"data_dir": str(data_dir)},
                kernel_name="python3",
                progress_bar=False,
                cwd=str(src),
                execution_timeout=timeout,
                **ipc,
            )
            title = _title(nb)
            engine.render(executed, out_dir / f"{nb.stem}.html", title=title, lang="zh" if "·" in title else "en")
            results.append(LessonResult(nb.stem, "ok", time.perf_counter() - t0, str(out_dir / f"{nb.stem}.html")))
        except Exception as exc:  # one lesson failing must not hide the others; recorded below
            results.append(LessonResult(nb.stem, "failed", time.perf_counter() - t0, error=one_line_error(exc)))
    return results


def _title(path: Path) -> str:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return path.stem.replace("_", " ")
