"""A warm kernel per branch worker: started and primed once, reset between branches.

A fresh Jupyter kernel per branch spends seconds starting and importing pandas, matplotlib,
statsmodels and the package before the report's first line runs, more than the report itself
on a small branch.  A worker serving several branches (``worker --serve``) keeps one kernel
(:class:`WarmKernel`), imports what every report imports once (:func:`prime`), and between two
branches resets it (:func:`reset`): the notebook's namespace is emptied (``%reset -f``), every
cache of the package that is not a bank-wide result of this run (:mod:`crmstudy.runcache`) is
cleared, the once-per-process warnings, the currency, matplotlib's settings and figures go back
to what they were when the kernel was primed, and the garbage is collected.  A branch that
fails, or a kernel that died, is never followed in the same kernel: the worker starts a new one.

tests/reports/pipeline/test_warm.py proves the isolation: a branch rendered after another in
one kernel is byte-identical (provenance aside) to the same branch rendered alone, and no
object of the first branch (its context, sections, or any frame of its customers only) is
reachable in the kernel afterwards.
"""

from __future__ import annotations

import gc
import sys

#: Code the worker runs in a new kernel before its first branch.
PRIME_CODE = "import crmstudy.reports.pipeline.warm as _w\n_w.prime()\ndel _w\n"

#: Code the worker runs in the kernel between two branches.
RESET_CODE = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import crmstudy.reports.pipeline.warm as _w\n_w.reset(get_ipython())\ndel _w\n"
)

#: What :func:`prime` saw, restored by :func:`reset`.
_PRIMED: dict = {}


def prime() -> None:
    """Import what every report imports, and remember the state a branch must start from."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot

    from .. import context, sections  # noqa: F401  (the notebook's first cell imports these)

    _PRIMED["rc"] = dict(matplotlib.rcParams)
    from ... import i18n

    _PRIMED["currency"] = i18n.set_currency(None)
    i18n.set_currency(_PRIMED["currency"])
    gc.collect()


def _package_caches():
    """Every memoized function of the package (``functools`` caches) that is not a run-wide result."""
    seen = set()
    for name, module in list(sys.modules.items()):
        if not (name == "crmstudy" or name.startswith("crmstudy.")) or module is None:
            continue
        for value in list(vars(module).values()):
            if callable(value) and hasattr(value, "cache_clear") and id(value) not in seen:
                seen.add(id(value))
                if not getattr(value, "run_shared", False):
                    yield value


def reset(shell=None) -> None:
    """Put the kernel back to the state :func:`prime` left, but for the run's bank-wide results.

    ``shell`` is the IPython shell, whose prompt counter restarts at 1 as in a new kernel.
    """
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt

    from ... import fonts, i18n
    from .. import display

    plt.close("all")
    for cached in _package_caches():
        cached.cache_clear()
    display._MARKS.clear()
    fonts._warned = False
    for module in list(sys.modules.values()):  # "once per location" warnings show again, as in a new kernel
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    warnings.resetwarnings()
    if "rc" in _PRIMED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.clear()
            matplotlib.rcParams.update(_PRIMED["rc"])
        i18n.set_currency(_PRIMED["currency"])
    if shell is not None:
        shell.execution_count = 1
    gc.collect()


class WarmKernel:
    """One kernel kept across a worker's branches (IPC transport, as :mod:`.cells` starts them).

    :meth:`manager` returns the kernel manager to hand papermill for the next branch: a new,
    primed kernel the first time (or when the working folder changed, or the kernel died), else
    the same kernel, reset.  :meth:`discard` shuts it down (after a failure: never reused).
    """

    def __init__(self, kernel_name: str = "python3", start_timeout: float = 60):
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.km = None
        self.cwd = None
        self.branches = 0

    def manager(self, cwd: str | None):
        """The kernel manager for the next branch, started and primed, or reset."""
        from jupyter_core.utils import run_sync

        if self.km is not None and (cwd != self.cwd or not run_sync(self.km.is_alive)()):
            self.discard()
        if self.km is None:
            from .cells import _ipc_kernel_manager

            km = _ipc_kernel_manager()(kernel_name=self.kernel_name)
            run_sync(km.start_kernel)(cwd=cwd)
            self.km, self.cwd, self.branches = km, cwd, 0
            self.run(PRIME_CODE)
        else:
            self.run(RESET_CODE)
        self.branches += 1
        return self.km

    def run(self, code: str, timeout: float | None = None) -> None:
        """Run ``code`` in the kernel and wait for its reply; RuntimeError naming the error if it raised.

        Only the shell channel is used (the reply says whether the code raised): a client that
        subscribes to the output channel may miss the first messages of a kernel just started.
        """
        import queue
        import time

        from jupyter_client import BlockingKernelClient
        from jupyter_core.utils import run_sync

        kc = BlockingKernelClient(connection_file=self.km.connection_file)
        kc.load_connection_file()
        kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
        deadline = time.monotonic() + (timeout or self.start_timeout)
        try:
            msg_id = kc.kernel_info()  # the first request waits for the kernel's sockets, however slow its start
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError("warm kernel: no reply in time")
                try:
                    reply = kc.get_shell_msg(timeout=1)
                except queue.Empty:
                    if not run_sync(self.km.is_alive)():
                        raise RuntimeError("warm kernel: the kernel died while starting") from None
                    continue
                if reply["parent_header"].get("msg_id") != msg_id:
                    continue
                if reply["msg_type"] == "kernel_info_reply":
                    msg_id = kc.execute(code, silent=True, store_history=False)
                    # the code's own time is bounded by the branch's timeout (the runner kills the worker)
                    deadline = float("inf") if timeout is None else time.monotonic() + timeout
                    continue
                content = reply["content"]
                if content.get("status") != "ok":
                    raise RuntimeError(f"warm kernel: {content.get('ename')}: {content.get('evalue')}")
                return
        finally:
            kc.stop_channels()

    def discard(self) -> None:
        """Shut the kernel down now (a failed branch's kernel is not reused)."""
        if self.km is None:
            return
        from jupyter_core.utils import run_sync

        km, self.km, self.cwd = self.km, None, None
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already dead: only its files are left to remove
            pass
        try:
            run_sync(km.cleanup_resources)()
        except Exception:
            pass
