"""The kernel's execution log: every executed cell, tracked or not, one JSON line each.

``<store>/execlog/<session>.jsonl``. A line holds the cell id, execution count, source hash (the
source itself the first time the session sees it), time, the run the cell made if it was
tracked, and, for names some tracked run of this session read, their new fingerprint when the
cell changed them. Replay and stale flags are derived from it when runs are read; the cell's
own cost is a hash and a list append.

Lines are written at most once a second (one O_APPEND ``write`` for all pending lines: lines
from one kernel never interleave), by the next cell or by a flusher thread when the kernel
idles, and at once when this process reads a log (``read``) and at exit (also on SIGTERM). The
session's first line is written at once, so the file exists as soon as the session logs. A
``kill -9`` loses at most the last second's lines; another process reads lines at most about
a second old.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
import weakref
from pathlib import Path
from typing import Any, Iterable

from .values import summarize

MAX_WATCHED = 500
WRITE_EVERY_S = 1.0  # pending lines reach the file at most this late
_encode = json.JSONEncoder(default=str).encode  # one encoder (json.dumps(default=) makes one a call)


def source_hash(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


# Cells so far (all logs of this process) that changed a name a tracked run read: the card
# thread re-checks its cards' stale flags when this moves, so no cell computes a flag.
CHANGES = 0


class ExecLog:
    def __init__(self):
        self.session = uuid.uuid4().hex[:16]
        self.seq = 0
        self._dir: Path | None = None
        self._file = ""
        self._pending: list[bytes] = []  # encoded lines not yet in the file
        self._written_at = 0.0  # monotonic time of the last write
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self.watched: dict[str, str | None] = {}  # input name -> fingerprint now
        self._ids: dict[str, int] = {}  # input name -> id of the value fingerprinted

    def path(self, store_dir: Path) -> Path:
        return Path(store_dir) / "execlog" / f"{self.session}.jsonl"

    def record(
        self,
        store_dir: Path,
        ns: dict,
        raw: str,
        cell_id: str | None,
        execution_count: Any,
        run=None,
        inputs: Iterable[dict] = (),
        assigned=(),
    ) -> int:
        """Log one executed cell; returns its sequence number. ``inputs`` are the summaries of
        what a tracked cell read (they become watched), ``assigned`` the names it bound."""
        self.seq += 1
        h = source_hash(raw)
        entry: dict[str, Any] = {
            "seq": self.seq,
            "t": round(time.time(), 3),
            "cell": cell_id,
            "n": execution_count,
            "hash": h,
        }
        if h not in self._seen:
            entry["src"] = raw
            self._seen.add(h)
        changed = {}
        for name, before in list(self.watched.items()):
            # Cheap test first: the cell's text names it (then in-place changes count too).
            value = ns.get(name, _GONE)
            if name in raw:
                now = _identity(value)
                self._ids[name] = id(value)
                if now != before:
                    changed[name] = now
                    self.watched[name] = now
        if changed:
            entry["changed"] = changed
            global CHANGES
            CHANGES += 1
        if run is not None:
            entry["run"] = run.run_id
            for item in inputs:
                name = item["name"]
                if len(self.watched) >= MAX_WATCHED and name not in self.watched:
                    continue
                value = ns.get(name, _GONE)
                # What the name holds now (the run's own cell may have rebound it).
                self.watched[name] = (
                    _identity(value) if name in assigned else (item.get("fingerprint") or item.get("value"))
                )
                self._ids[name] = id(value)
        self._write(store_dir if isinstance(store_dir, Path) else Path(store_dir), entry)
        return self.seq

    def _write(self, store_dir: Path, entry: dict) -> None:
        line = (_encode(entry) + "\n").encode("utf-8", "surrogatepass")
        with self._lock:
            if (
                self._dir is not store_dir and self._dir != store_dir
            ):  # first line, or another store: what is pending goes first
                self._flush_locked()
                self._dir, self._file = store_dir, str(store_dir / "execlog" / f"{self.session}.jsonl")
                self._written_at = 0.0
            self._pending.append(line)
            if time.monotonic() - self._written_at < WRITE_EVERY_S:
                _flusher.arm(self)  # the flusher thread writes it if no cell does first
                return
            self._flush_locked()

    def flush(self) -> None:
        """Write the pending lines now (a reader of this process, exit)."""
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._pending or self._dir is None:
            return
        # Opened and closed for each write: the store folder is never held open between cells
        # (it can be moved, remounted or deleted like the DuckDB file).
        data = b"".join(self._pending)
        self._written_at = time.monotonic()
        try:
            try:
                fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            except FileNotFoundError:
                (self._dir / "execlog").mkdir(parents=True, exist_ok=True)
                fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            self._pending.clear()
        except OSError:
            # A read-only or full store: the cell still ran. Kept (capped) and tried again later.
            del self._pending[:-MAX_PENDING]


MAX_PENDING = 10_000  # lines kept for a store that cannot be written


class _Flusher:
    """One daemon thread for all logs: writes pending lines ``WRITE_EVERY_S`` after they were
    queued when no later cell wrote them. Armed once per write period (a cell never waits)."""

    def __init__(self):
        self._logs: "weakref.WeakSet[ExecLog]" = weakref.WeakSet()
        self._armed = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, log: ExecLog) -> None:
        if log in self._logs and self._armed.is_set():
            return
        self._logs.add(log)
        if self._thread is None or self._pid != os.getpid():  # none yet, or a forked child
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="nbtrack-execlog", daemon=True)
            self._thread.start()
        self._armed.set()

    def _loop(self) -> None:
        while True:
            self._armed.wait()
            time.sleep(WRITE_EVERY_S)
            self._armed.clear()
            self.flush_all()

    def flush_all(self) -> None:
        for log in list(self._logs):
            try:
                log.flush()
            except Exception:
                pass


_flusher = _Flusher()


def flush_all() -> None:
    """Write every log's pending lines (this process): before a read, and at exit."""
    _flusher.flush_all()


def _forget_in_child() -> None:
    # A forked child must not write its parent's pending lines a second time.
    for log in list(_flusher._logs):
        log._lock = threading.Lock()  # the flusher may have held it at the fork
        log._pending.clear()
    _flusher._logs = weakref.WeakSet()
    _flusher._thread = None
    _flusher._armed = threading.Event()


def _register_exit_flush() -> None:
    from ..store import at_exit

    at_exit(flush_all)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_in_child)


_register_exit_flush()


_GONE = object()


def _identity(value: Any) -> str | None:
    """What a run's input summary compares: the fingerprint, else the value's text."""
    if value is _GONE:
        return "<deleted>"
    s = summarize(value)
    return s.get("fingerprint") or s.get("value")


def read(store_dir: Path, session: str) -> list[dict]:
    flush_all()  # this process's own pending lines first
    path = Path(store_dir) / "execlog" / f"{session}.jsonl"
    out = []
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue  # a line cut by a crash
    except OSError:
        return []
    sources: dict[str, str] = {}
    for e in out:
        if "src" in e:
            sources[e["hash"]] = e["src"]
    for e in out:
        e["source"] = sources.get(e["hash"])
    return out
