"""The store: a folder holding one DuckDB file, a spool of not-yet-compacted files and
heartbeats. Knows nothing of IPython or widgets.

Writes go through one background ``Writer`` per process (spool files, never the DuckDB file on
the caller's thread); reads take a consistent ``snapshot`` of the file plus the spool.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IncompleteReadWarning
from .errors import StoreBusyError, StoreCorruptError, StoreError, StoreVersionError
from .location import resolve_store_dir
from .lock import LockTimeout, store_lock

if TYPE_CHECKING:  # duckdb and pyarrow load on first use: `import nbtrack` stays fast
    import duckdb

    from .writer import Writer

__all__ = [
    "Store",
    "StoreError",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreVersionError",
    "get_store",
]

COMPACT_BEFORE_READ_FILES = 256


class Store:
    def __init__(self, path: str | os.PathLike):
        self.dir = Path(path).expanduser().resolve()
        self.db_path = self.dir / "nbtrack.duckdb"
        self.spool_dir = self.dir / "spool"
        self.live_dir = self.dir / "live"
        self._writer: Writer | None = None
        self._writer_pid = -1
        self._con: "duckdb.DuckDBPyConnection | None" = None
        self._read_lock = threading.RLock()
        self._spool_cache: dict = {}  # spool file name -> Arrow table (files are immutable)
        self._views_for: frozenset | None = None  # which spooled tables the views merge
        self._registered: dict = {}  # Arrow tables registered on the read connection
        self._checked_version_of: tuple | None = None  # (mtime, size, inode) of a checked file
        self._warned_unreadable: set[str] = set()  # spool files a read already said it skips

    def __repr__(self) -> str:
        return f"Store({str(self.dir)!r})"

    @property
    def writer(self) -> "Writer":
        from .writer import Writer

        if self._writer is None or self._writer_pid != os.getpid():  # a forked child gets its own
            self._writer = Writer(self.dir)
            self._writer_pid = os.getpid()
            _start_team_push(self)
        return self._writer

    def flush(self, timeout: float = 10.0) -> bool:
        return self._writer.flush(timeout) if self._writer is not None else True

    def compact(self) -> int:
        """Move all spool files into the DuckDB file now (waits for pending writes first)."""
        return self.writer.compact_now()

    def delete_runs(self, run_ids) -> dict:
        """Delete these runs (every table, one transaction, under the compaction lock; the
        spool is compacted first) and their artifact files. Running runs are refused
        (``cleanup.RunningRunsError``, nothing deleted). Returns counts (runs, rows, files, bytes)."""
        from .cleanup import delete_runs

        return delete_runs(self, run_ids)

    @contextmanager
    def snapshot(self, timeout: float = 30.0, busy_timeout: float = 2.0, own_writes: bool = True):
        """A DuckDB connection whose views (runs, params, metrics, series, inputs, outputs,
        artifacts) show the file plus the spool as of now. Hold it briefly: compaction waits.
        ``own_writes``: first hand this process's pending rows to the spool, so they show."""
        from . import database, live, spool

        writer = self._writer if self._writer_pid == os.getpid() else None
        if own_writes and writer is not None and writer.has_pending():
            # A process sees its own runs at once: write them out on this thread (never wait
            # for the writer thread, which may be compacting).
            if not writer.write_now():
                _warn_pending(self, writer)
        with self._read_lock:
            if len(spool.listing(self.spool_dir)) > COMPACT_BEFORE_READ_FILES:
                try:  # one bounded batch, and only if no compaction is running: never a stall
                    self.writer.compact_some()
                except StoreError:
                    pass
            con = self._connection()
            try:
                with store_lock(self.dir / "lock", exclusive=False, timeout=timeout):
                    self._attach_for_read(con, busy_timeout)
                    try:
                        # Files a compactor moved in but died before deleting are not new.
                        names = spool.listing(self.spool_dir)
                        if names:
                            done = {r[0] for r in con.execute("SELECT file FROM s.ingested").fetchall()}
                            names = [n for n in names if n not in done]
                        tables, bad = spool.read(self.spool_dir, names, self._spool_cache)
                        if bad:
                            _warn_unreadable(self, bad)
                        heartbeats = live.statuses(self.live_dir, database.STALE_HEARTBEAT_S)
                        database.register_snapshot(con, tables, heartbeats, self._registered)
                        spooled = frozenset(t for t, data in tables.items() if data.num_rows)
                        if spooled != self._views_for:
                            database.define_views(con, spooled)
                            self._views_for = spooled
                        yield con
                    finally:
                        database.detach(con)
            except LockTimeout as exc:
                raise StoreBusyError(
                    f"nbtrack: the store {self.dir} stayed locked for {timeout:.0f} s (a long compaction?). Try again."
                ) from exc

    def _attach_for_read(self, con: "duckdb.DuckDBPyConnection", busy_timeout: float) -> None:
        from . import database

        if not self.db_path.exists():
            database.create_memory_store(con)
            return
        # Another process may hold the file read-write outside nbtrack: retry briefly.
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                database.attach(con, self.db_path, read_only=True)
                break
            except StoreBusyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            stat = self.db_path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if stamp != self._checked_version_of:  # the file changed: check its schema again
                version = database.schema_version(con)
                database.check_version(version, self.db_path)
                if version == 0:  # created but never migrated: read it as empty
                    database.detach(con)
                    database.create_memory_store(con)
                    return
                self._checked_version_of = stamp
        except BaseException:
            database.detach(con)
            raise

    def _connection(self) -> "duckdb.DuckDBPyConnection":
        from . import database

        if self._con is None:
            con = database.connect()
            database.create_memory_store(con)
            for table, data in database.empty_tables().items():
                con.register(f"spool_{table}", data)
            con.register("live_status", database.empty_live())
            database.register_snapshot(con, database.empty_tables(), database.empty_live())
            database.define_views(con)
            database.detach(con)
            self._views_for = None
            self._con = con
        return self._con


def _start_team_push(store: Store) -> None:
    """With a team store configured, its push thread starts with the writer (off the cell's
    thread: the cell never waits for the network, nor for psycopg's import)."""
    if not (os.environ.get("NBTRACK_REMOTE") or (store.dir / "remote").exists()):
        return

    def start():
        try:
            from ..team import ensure_pushing

            ensure_pushing(store)
        except Exception:
            pass  # `nbtrack store` / %nbtrack show the remote's problem, never a cell

    threading.Thread(target=start, name="nbtrack-push-start", daemon=True).start()


def _warn_pending(store: Store, writer) -> None:
    """A read that cannot include this process's pending rows says so."""
    import warnings

    why = writer.problems[-1] if writer.problems else "the spool folder cannot be written"
    warnings.warn(
        f"nbtrack: this read of {store.dir} does not include runs of this process that are not "
        f"written yet ({why.removeprefix('nbtrack: ')})",
        IncompleteReadWarning,
        stacklevel=4,
    )


def _warn_unreadable(store: Store, names: list[str]) -> None:
    """A read that skips spool files it cannot read says so (once per file), rather than
    returning fewer rows without a word; compaction moves them to spool-unreadable/."""
    import warnings

    new = [n for n in names if n not in store._warned_unreadable]
    if not new:
        return
    store._warned_unreadable.update(new)
    warnings.warn(
        f"nbtrack: this read of {store.dir} leaves out {len(new)} spool file"
        f"{'s' * (len(new) != 1)} it cannot read ({new[0]}{', ...' if len(new) > 1 else ''}); "
        "their rows are missing from the result.",
        IncompleteReadWarning,
        stacklevel=4,
    )


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


def at_exit(fn):
    """Run ``fn`` when the interpreter exits, early: in threading's exit hooks (before atexit
    handlers), while imports and thread hand-offs still work. Falls back to atexit."""
    register = getattr(threading, "_register_atexit", None)
    try:
        register(fn) if register else atexit.register(fn)
    except Exception:
        atexit.register(fn)
    return fn


_background: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


def background_thread(target, name: str, *args) -> threading.Thread:
    """A daemon thread that may be inside DuckDB: started now, waited for at exit. A daemon
    thread frozen by interpreter shutdown in the middle of DuckDB's C++ code aborts the whole
    process ("terminate called without an active exception"), after the user's work is done."""
    t = threading.Thread(target=target, args=args, name=name, daemon=True)
    _background.add(t)
    t.start()
    return t


@at_exit
def _flush_at_exit() -> None:
    """The writer thread is a daemon: hand over what is pending before the process ends, then
    let no background thread be inside DuckDB when the interpreter goes."""
    for t in list(_background):
        t.join(timeout=10)
    for store in list(_stores.values()):
        if store._writer is not None and store._writer_pid == os.getpid():
            try:
                store._writer.flush(timeout=5)
                store._writer.compact_now()
            except Exception:
                pass
            store._writer.stop_compacting(timeout=10)


def get_store(path: str | os.PathLike | None = None) -> Store:
    """The store for ``path`` (a folder), or the resolved default store. One object per folder."""
    folder = Path(path).expanduser().resolve() if path else resolve_store_dir()
    with _stores_lock:
        if folder not in _stores:
            _stores[folder] = Store(folder)
        return _stores[folder]
