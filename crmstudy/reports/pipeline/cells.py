"""A branch log that says which cell ran when: each cell's start and end, and the cell that was running.

papermill's own cell messages (``Executing Cell 3---``) go to a logger that a worker does not
show, and name no code.  ``CellLogEngine`` (:func:`register`) is papermill's nbclient engine with hooks:
each code cell's start (its index and first line) and end (seconds) are written to the
branch's log as they happen, so a timed-out or killed branch's log ends with the cell that was
running (:func:`running_cell`), and a ``DeadKernelError`` or a cell timeout can name it.
"""

from __future__ import annotations

import os
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
            """Run the notebook as papermill does, logging each code cell's start and end.

            The kernel talks over local IPC sockets, not TCP on localhost: nothing another user
            of the machine can listen to, and no "running over TCP without encryption" warning.
            """
            if os.name == "posix":
                kwargs.setdefault("kernel_manager_class", _ipc_kernel_manager())
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
            if kwargs.get("km") is None:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            return _in_warm_kernel(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, CellLogEngine)
    return ENGINE_NAME


def _in_warm_kernel(nb_man, kernel_name, *, km, execution_timeout=None, start_timeout=60, **kwargs):
    """Execute in a kernel the caller keeps (:mod:`.warm`): papermill's client, whose channels are closed after.

    papermill's engine leaves a kernel it was handed running, as wanted, but also the client it
    opened on it (five sockets a branch); this is its ``execute_managed_notebook`` closing them.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import logger
    from papermill.utils import merge_kwargs, remove_args

    kwargs = remove_args(["input_path", "timeout", "startup_timeout", "kernel_manager_class"], **kwargs)
    final = merge_kwargs(
        kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name, log=logger
    )
    client = PapermillNotebookClient(nb_man, km=km, **final)
    try:
        return client.execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
            client.kc = None


def _ipc_kernel_manager():
    """jupyter_client's kernel manager with IPC (Unix socket) transport by default instead of TCP."""
    import uuid

    from jupyter_client.manager import AsyncKernelManager  # nbclient's own default: its timeouts need it
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _ip_default(self) -> str:
            # jupyter_client's default is "kernel-ipc" in the cwd when no connection file is named yet:
            # two kernels started from one folder would then share sockets ("Invalid Signature").
            # One path per kernel, in Jupyter's private runtime folder; its sockets go at shutdown.
            if self.connection_file:
                return os.path.splitext(self.connection_file)[0] + "-ipc"
            folder = Path(jupyter_runtime_dir())
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            return str(folder / f"crmstudy-{uuid.uuid4().hex[:12]}-ipc")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client sends SIGINT to every kernel it shuts down, to stop running code first.  Ours are
            # idle then (a branch over its timeout is killed with its process group), and a kernel caught inside
            # a message handler by that signal printed "KeyboardInterrupt caught in kernel." on the console
            # (about 1 shutdown in 15).  A kernel still busy (a cell timeout) gets the shutdown request, then
            # SIGTERM after half of ``shutdown_wait_time``, then SIGKILL: it still ends.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return IPCKernelManager


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
