"""Inter-process lock on the store: readers share it, the compactor takes it alone.

DuckDB lets one process open the file read-write or many read-only, never both, and a
conflicting open fails at once. ``flock`` on ``<store>/lock`` orders them instead.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import LockTimeout  # noqa: F401  (re-exported: defined in nbtrack.errors)


@contextmanager
def store_lock(path: Path, exclusive: bool, timeout: float | None = 10.0):
    """Hold the lock for the block. ``timeout=0`` tries once and yields False if busy.

    A store whose folder cannot hold a lock file (read-only and no lock yet) is unlocked:
    nobody can write into it then either.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            yield True
            return
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.002
    try:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if timeout == 0:
                    yield False
                    return
                if deadline is not None and time.monotonic() > deadline:
                    raise LockTimeout(f"nbtrack: store lock {path} busy for {timeout:.0f} s") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.01)  # a compactor pauses 50 ms between batches
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the flock
