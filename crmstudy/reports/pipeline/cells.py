"""A branch log that says which cell ran when: each cell's start and end, and the cell that was running.

papermill's own cell messages (``Executing Cell 3---``) go to a logger that a worker does not
show, and name no code.  :class:`CellLogEngine` is papermill's nbclient engine with two hooks:
each code cell's start (its index and first line) and end (seconds) are written to the
branch's log as they happen, so a timed-out or killed branch's log ends with the cell that was
running (:func:`running_cell`), and a ``DeadKernelError`` or a cell timeout can name it.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

#: Name the engine is registered under with papermill (:func:`register`).
ENGINE_NAME = "crmstudy-cells"

#: The cell running now in this process, as :func:`describe` puts it ("" between cells).
running = {"cell": ""}

_START = re.compile(r"cell (\d+)/(\d+) start: (.*)$")
_END = re.compile(r"cell (\d+)/(\d+) (end|failed)")


def first_line(source: str, width: int = 60) -> str:
    r"""A cell's first non-blank line, cut to ``width`` characters.

    Examples
    --------
    >>> first_line("\n  ctx = load_context(bank, branch_id)\nshow(ctx)")
    'ctx = load_context(bank, branch_id)'
    """
    line = next((s.strip() for s in source.splitlines() if s.strip()), "(empty)")
    return line if len(line) <= width else line[: width - 1] + "…"


def describe(index: int, total: int, source: str) -> str:
    """How a log and an error name a cell: ``cell 4/12 (ctx = load_context(...))``."""
    return f"cell {index}/{total} ({first_line(source)})"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")


def register() -> str:
    """Register :class:`CellLogEngine` with papermill (once) and return its name.

    Defined on first use, so that the runner, which only reads logs, does not import papermill.
    """
    from papermill.engines import NBClientEngine, papermill_engines

    if ENGINE_NAME in papermill_engines._engines:
        return ENGINE_NAME

    class CellLogEngine(NBClientEngine):
        """papermill's nbclient engine, writing each cell's start and end to ``stdout_file`` (the branch log)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            """Run the notebook as papermill does, logging each code cell's start and end."""
            log = kwargs.get("stdout_file")
            total = len(nb_man.nb.cells)
            started: dict[int, float] = {}
            cell_start, cell_complete, cell_exception = nb_man.cell_start, nb_man.cell_complete, nb_man.cell_exception

            def failed(cell_index) -> None:
                write(f"cell {cell_index + 1}/{total} failed after {time.perf_counter() - started[cell_index]:.1f} s")

            def write(line: str) -> None:
                if log is not None:
                    log.write(f"{_stamp()} {line}\n")
                    log.flush()

            def on_start(cell, cell_index=None, **kw):
                if cell.cell_type == "code" and cell_index is not None:
                    started[cell_index] = time.perf_counter()
                    running["cell"] = describe(cell_index + 1, total, cell.source)
                    write(f"cell {cell_index + 1}/{total} start: {first_line(cell.source)}")
                return cell_start(cell, cell_index, **kw)

            def on_exception(cell, cell_index=None, **kw):
                if cell_index in started:
                    failed(cell_index)
                return cell_exception(cell, cell_index, **kw)

            def on_complete(cell, cell_index=None, **kw):
                # called from papermill's ``finally``: an exception in flight (a cell timeout, a dead
                # kernel) means the cell did not end, and ``current`` keeps naming it for the error
                failing = sys.exc_info()[0] is not None
                if cell_index in started and not failing:
                    seconds = time.perf_counter() - started.pop(cell_index)
                    if cell.get("metadata", {}).get("papermill", {}).get("exception") is not True:
                        write(f"cell {cell_index + 1}/{total} end ({seconds:.1f} s)")
                        running["cell"] = ""
                elif cell_index in started:
                    failed(cell_index)
                return cell_complete(cell, cell_index, **kw)

            nb_man.cell_start, nb_man.cell_complete, nb_man.cell_exception = on_start, on_complete, on_exception
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, CellLogEngine)
    return ENGINE_NAME


def running_cell(log: Path) -> str:
    """The cell a branch's log shows started and not ended (``cell 4/12 (first line)``), or "".

    For a branch killed from outside (``--timeout``), whose worker could not say it.
    """
    try:
        lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if _END.search(line):
            return ""
        m = _START.search(line)
        if m:
            return f"cell {m.group(1)}/{m.group(2)} ({m.group(3)})"
    return ""
