"""The kernel's execution log: every executed cell, tracked or not, one JSON line each.

``<store>/execlog/<session>.jsonl``, appended with one ``write`` per cell (O_APPEND: lines from
one kernel never interleave; a crash loses at most the line being written). A line holds the
cell id, execution count, source hash (the source itself the first time the session sees it),
time, the run the cell made if it was tracked, and, for names some tracked run of this
session read, their new fingerprint when the cell changed them. Replay and stale flags are
derived from it when runs are read; the cell's own cost is a hash and a write.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from .values import summarize

MAX_WATCHED = 500


def source_hash(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


class ExecLog:
    def __init__(self):
        self.session = uuid.uuid4().hex[:16]
        self.seq = 0
        self._dir: Path | None = None
        self._file = ""
        self._seen: set[str] = set()
        self.watched: dict[str, str | None] = {}  # input name -> fingerprint now
        self._ids: dict[str, int] = {}  # input name -> id of the value fingerprinted

    def path(self, store_dir: Path) -> Path:
        return Path(store_dir) / "execlog" / f"{self.session}.jsonl"

    def record(self, store_dir: Path, ns: dict, raw: str, cell_id: str | None, execution_count: Any,
               run=None, inputs: list[dict] = (), assigned=()) -> int:
        """Log one executed cell; returns its sequence number. ``inputs`` are the summaries of
        what a tracked cell read (they become watched), ``assigned`` the names it bound."""
        self.seq += 1
        h = source_hash(raw)
        entry: dict[str, Any] = {"seq": self.seq, "t": round(time.time(), 3), "cell": cell_id,
                                 "n": execution_count, "hash": h}
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
        if run is not None:
            entry["run"] = run.run_id
            for item in inputs:
                name = item["name"]
                if len(self.watched) >= MAX_WATCHED and name not in self.watched:
                    continue
                value = ns.get(name, _GONE)
                # What the name holds now (the run's own cell may have rebound it).
                self.watched[name] = _identity(value) if name in assigned else \
                    (item.get("fingerprint") or item.get("value"))
                self._ids[name] = id(value)
        self._write(Path(store_dir), entry)
        return self.seq

    def _write(self, store_dir: Path, entry: dict) -> None:
        # Opened and closed for each line: the store folder is never held open between cells
        # (it can be moved, remounted or deleted like the DuckDB file).
        line = (json.dumps(entry, default=str) + "\n").encode("utf-8", "surrogatepass")
        try:
            if self._dir != store_dir:
                (store_dir / "execlog").mkdir(parents=True, exist_ok=True)
                self._dir, self._file = store_dir, str(store_dir / "execlog" / f"{self.session}.jsonl")
            fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            self._dir = None  # a read-only or full store: the cell still ran; tried again next cell


_GONE = object()


def _identity(value: Any) -> str | None:
    """What a run's input summary compares: the fingerprint, else the value's text."""
    if value is _GONE:
        return "<deleted>"
    s = summarize(value)
    return s.get("fingerprint") or s.get("value")


def read(store_dir: Path, session: str) -> list[dict]:
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
