"""Heartbeats: how a reader tells a running run from one whose process died.

While a run is running its process keeps ``<store>/live/<run_id>`` (text: ``host pid``) fresh.
The file goes away only after the run's final state is spooled. A run that still reads
``running`` is ``crashed`` when its heartbeat is stale, or when it is on this host and its
process is gone (so ``kill -9`` shows at once).
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pyarrow as pa

HOST = socket.gethostname()
HEARTBEAT_EVERY_S = 2.0


def start(live_dir: Path, run_id: str) -> None:
    (live_dir / run_id).write_text(f"{HOST} {os.getpid()}")


def beat(live_dir: Path, run_ids: list[str]) -> None:
    for run_id in run_ids:
        try:
            os.utime(live_dir / run_id)
        except FileNotFoundError:
            start(live_dir, run_id)


def end(live_dir: Path, run_id: str) -> None:
    try:
        os.remove(live_dir / run_id)
    except FileNotFoundError:
        pass


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def statuses(live_dir: Path, stale_after_s: float) -> pa.Table:
    """run_id -> 'running' or 'crashed' for every heartbeat file."""
    ids, states = [], []
    now = time.time()
    try:
        names = os.listdir(live_dir)
    except FileNotFoundError:
        names = []
    for run_id in names:
        path = live_dir / run_id
        try:
            mtime = path.stat().st_mtime
            host, _, pid = path.read_text().partition(" ")
        except (OSError, UnicodeDecodeError):
            continue
        dead = now - mtime > stale_after_s
        if not dead and host == HOST and pid.isdigit():
            dead = not _pid_alive(int(pid))
        ids.append(run_id)
        states.append("crashed" if dead else "running")
    return pa.table({"run_id": pa.array(ids, pa.string()), "status": pa.array(states, pa.string())})
