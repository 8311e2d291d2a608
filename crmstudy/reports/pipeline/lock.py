"""One run at a time per output folder: an ``flock`` the kernel releases when its holder dies."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from ...errors import RunLockedError

__all__ = ["RunLockedError", "run_lock"]


@contextlib.contextmanager
def run_lock(out_dir: Path, *, wait: bool = False):
    """Hold ``out_dir/.lock`` for the duration of a run.

    An ``flock`` dies with its process, so a lock left by a killed run is
    cleared by the kernel; the pid written inside is only for the message.

    Raises
    ------
    RunLockedError
        Another process holds the lock and ``wait`` is false.
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
            raise RunLockedError(
                f"{out_dir}: another report run (pid {holder}) is writing here; try again later or pass --wait"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
