"""Bank-wide results computed once per report run, shared by every branch's process.

Some sections need results of the whole bank (the churn warning judged out of time, the
contact effect, channel productivity of every branch): one branch has too few events to
estimate them.  They do not depend on the branch, so a run of 200 branches should compute
each once, not 200 times in 200 fresh kernels.  :func:`bankwide` memoizes such a function
in the process (as :func:`functools.lru_cache` did) and, inside a report run, also on disk
in the run's private work folder (``runs/<id>/_work/bankwide/``, mode 0700, removed with the
rest of ``_work`` in every exit path): the first branch process that needs a result computes
it under a file lock, the others wait for it and read it.  The runner names the folder in
the environment variable :data:`ENV`, which the branch workers and their kernels inherit.

Why our own rather than joblib.Memory or diskcache: a result must be computed once even
when two branch processes ask at the same moment (a lock per result), and must never outlive
the run (it may hold every customer, unmasked); both libraries keep results across runs and
joblib computes concurrently in each process.  This is a lock, a pickle and an atomic rename.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import functools
import hashlib
import os
import pickle
from pathlib import Path

#: Environment variable naming the run's shared folder of bank-wide results (set by the runner).
ENV = "CRMSTUDY_RUN_CACHE"

_PLAIN = (str, int, float, bool, type(None), _dt.date)


def _part(value) -> tuple | None:
    """A stable, process-independent description of one argument, or None when it has none."""
    if isinstance(value, _PLAIN):
        return (type(value).__name__, repr(value))
    if isinstance(value, tuple):
        parts = [_part(v) for v in value]
        return None if any(p is None for p in parts) else ("tuple", *parts)
    if hasattr(value, "fingerprint") and hasattr(value, "root"):  # a Bank: its folder and its bytes
        return ("bank", str(value.root), value.fingerprint)
    if hasattr(value, "start") and hasattr(value, "end") and hasattr(value, "end_exclusive"):  # a Period
        return ("period", repr(value.start), repr(value.end))
    return None


def key_of(fn, args: tuple, kwargs: dict) -> str | None:
    """The file name of ``fn(*args, **kwargs)``'s result, or None when an argument has no stable form.

    Examples
    --------
    >>> key_of(len, ("abc",), {}) == key_of(len, ("abc",), {})
    True
    >>> key_of(len, ("abc",), {}) == key_of(len, ("abd",), {})
    False
    >>> key_of(len, (object(),), {}) is None
    True
    """
    parts = [_part(a) for a in args] + [("kw", k, _part(v)) for k, v in sorted(kwargs.items())]
    if any(p is None or (p[0] == "kw" and p[2] is None) for p in parts):
        return None
    digest = hashlib.sha256(repr((fn.__module__, fn.__qualname__, parts)).encode()).hexdigest()[:24]
    return f"{fn.__module__}.{fn.__qualname__}-{digest}".replace("<", "").replace(">", "")


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _shared(fn, args: tuple, kwargs: dict):
    """``fn(*args, **kwargs)`` through the run's folder: read when there, else computed under its lock."""
    folder = os.environ.get(ENV)
    key = key_of(fn, args, kwargs) if folder else None
    if key is None or not Path(folder).is_dir():
        return fn(*args, **kwargs)
    path = Path(folder) / f"{key}.pkl"
    with _locked(path.with_suffix(".lock")):
        if path.exists():
            with open(path, "rb") as f:
                return pickle.load(f)
        value = fn(*args, **kwargs)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except (pickle.PicklingError, TypeError, AttributeError):  # not picklable: this process keeps it
            tmp.unlink(missing_ok=True)
        except OSError:  # a full disk: the result is still right, only not shared
            tmp.unlink(missing_ok=True)
        return value


def bankwide(maxsize: int = 4):
    """Memoize a function of bank-wide inputs: in this process, and across the run's processes.

    Arguments must be hashable; strings, numbers, dates, tuples of them, a
    :class:`~crmstudy.bank.Bank` (its folder and fingerprint) and a
    :class:`~crmstudy.period.Period` give a result shared on disk within a run; any other
    argument keeps the result in this process only.  The result must not depend on anything
    but the arguments (nothing branch-specific): every branch of the run reads the same one.

    Examples
    --------
    >>> calls = []
    >>> @bankwide()
    ... def square(x):
    ...     calls.append(x)
    ...     return x * x
    >>> square(3), square(3), calls
    (9, 9, [3])
    """

    def wrap(fn):
        @functools.lru_cache(maxsize=maxsize)
        def memo(*args, **kwargs):
            return _shared(fn, args, kwargs)

        @functools.wraps(fn)
        def cached(*args, **kwargs):
            return memo(*args, **kwargs)

        cached.cache_clear = memo.cache_clear
        cached.cache_info = memo.cache_info
        cached.uncached = fn
        cached.run_shared = True  # kept between branches by a warm kernel (reports.pipeline.warm)
        return cached

    return wrap


def run_folder(work: Path) -> Path:
    """Make the run's folder of shared bank-wide results inside its private ``work`` folder; return it."""
    folder = Path(work) / "bankwide"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder
