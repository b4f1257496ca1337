"""One background writer per process and store: the cell's critical path never touches disk.

Callers hand rows to ``put`` (a list append) and series buffers to ``watch``. The writer thread
wakes on demand or every ``FLUSH_EVERY_S``, writes what is pending as spool files, keeps
heartbeats fresh, and now and then compacts the spool into the DuckDB file. Rows leave memory
only once their spool file exists: while the store cannot be written (read-only folder, full
disk) they wait, and the first failure of each kind is reported once through ``problems``.
"""

from __future__ import annotations

import threading
import time
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Protocol

import duckdb
import pyarrow as pa

from . import database, live, spool
from .errors import StoreError
from .schema import LATEST_BY, TABLES, TS

FLUSH_EVERY_S = 0.5
COMPACT_FILES = 64
COMPACT_AGE_S = 3.0
COMPACT_PAUSE_S = 0.05  # between batches, so readers get the lock
MAX_PENDING_ROWS = 5_000_000
PROBE_EVERY_S = 10.0


class PointSource(Protocol):
    run_id: str

    def drain(self) -> dict[str, pa.Table]: ...

    def has_points(self) -> bool: ...

    @property
    def finished(self) -> bool: ...


# listener(tables, ended): the tables one pass drained from a run (its rows only), and whether
# the run had ended before that drain (so it was the last one).
DrainListener = Callable[[dict[str, pa.Table], bool], None]


class Writer:
    def __init__(self, store_dir: Path):
        self.store_dir = store_dir
        self.spool_dir = store_dir / "spool"
        self.live_dir = store_dir / "live"
        self._pending: list[tuple[str, list[dict]]] = []
        self._columns = {name: _Columns() for name in TABLES}  # put_tuples
        self._sources: dict[str, PointSource] = {}  # drained by every pass until their run ends
        self._new_sources: dict[str, PointSource] = {}  # registered, not yet taken by a pass
        self._listeners: dict[str, list[DrainListener]] = {}  # run id -> on_drain listeners
        self._no_heartbeat: set[str] = set()  # started and ended in one pass: no live file
        self._live: set[str] = set()  # runs whose heartbeat file this writer made and keeps fresh
        self._starting: list[str] = []
        self._ending: list[str] = []
        self._lock = threading.Lock()  # one pass (spool writes) at a time
        # A run's end puts its last rows under this lock and a pass takes the queued rows under
        # it: a pass has all of a run's end or none of it (held for list slicing only).
        self.cut_lock = threading.Lock()
        self._compact_lock = threading.Lock()  # compaction never blocks a pass
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._started = 0  # passes started; flush() waits for one that starts after it
        self._generation = 0  # passes done
        self._thread: threading.Thread | None = None
        self._compactor: threading.Thread | None = None
        self._compact_wake = threading.Event()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._last_beat = 0.0
        self._oldest_spool: float | None = None
        self.problems: list[str] = []  # new problem messages; the caller takes and shows them
        self._reported: set[str] = set()
        self.last_error: Exception | None = None
        self.on_problem: Callable[[str], None] | None = None
        self._probed_ok_at = -1e9

    # -- API used on the caller's thread (cheap) ------------------------------------------

    def put(self, table: str, rows: list[dict], wake: bool = False) -> None:
        self._pending.append((table, rows))  # list.append is atomic under the GIL
        if wake:
            self.wake()

    def put_tuples(self, table: str, rows: list[tuple]) -> None:
        """``put`` for the hot path: each row a tuple of the table's columns in schema order,
        timestamps as epoch seconds (float). Rows are kept column by column (lists of plain
        values, which the garbage collector does not traverse: a burst's row dicts made each
        collection walk all of them) and become Arrow arrays in C, with no Python per row."""
        self._columns[table].extend(rows)

    # No lock on the caller's side: the writer holds its lock for a whole pass (file writes,
    # compaction), and a cell must not wait for that. Appends and dict stores are atomic.
    # No wake-up either: the thread's periodic pass (<= FLUSH_EVERY_S) picks the rows up, so a
    # short cell's start and end go out in one batch instead of competing with the cell for the
    # GIL (waking at once cost a 15-line cell ~5 ms here). Readers in this process flush first.
    def run_started(self, run_id: str, source: PointSource | None = None) -> None:
        self._ensure_thread()
        if source is not None:
            self._new_sources[run_id] = source
        self._starting.append(run_id)

    def release(self, run_id: str) -> PointSource | None:
        """Give a run's point source back when no pass has taken it yet (the run started and
        ended between two passes) and no one listens to its drains; None otherwise. The run
        then puts its few points as rows, and the writer keeps no object of it: a burst's
        sources, kept until the next pass, made every garbage collection walk them."""
        if run_id in self._listeners:
            return None
        return self._new_sources.pop(run_id, None)  # atomic: a pass takes it, or this does

    def on_drain(self, run_id: str, listener: DrainListener) -> Callable[[], None]:
        """Call ``listener(tables, ended)`` on the writer thread after every pass that drains
        the run ``run_id`` (``tables``: its series/metrics rows of that pass, maybe none), the
        last time with ``ended`` True. Returns the function that removes it. A listener must
        be quick and must not raise (an exception is dropped)."""
        self._listeners.setdefault(run_id, []).append(listener)

        def remove() -> None:
            found = self._listeners.get(run_id, [])
            if listener in found:
                found.remove(listener)
            if not found:
                self._listeners.pop(run_id, None)

        return remove

    def run_ended(self, run_id: str) -> None:
        self._ending.append(run_id)

    def has_pending(self) -> bool:
        return bool(
            self._pending
            or any(self._columns.values())
            or self._starting
            or self._ending
            or any(s.has_points() for s in [*self._sources.values(), *self._new_sources.values()])
        )

    def write_now(self) -> bool:
        """Write everything handed over so far to spool files on the caller's thread, now:
        a reader in this process sees its own writes without waiting for the writer thread
        (which may be busy compacting). False if the store cannot be written."""
        self._ensure_thread()
        with self._lock:  # held by the thread only for a pass (bounded by what is pending)
            try:
                return self._pass()
            except Exception as exc:  # a read must not fail because a write did
                self._problem(f"nbtrack: writing to the store failed: {exc!r}", exc)
                return False

    def wake(self) -> None:
        self._ensure_thread()
        self._wake.set()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything handed over so far is in spool files (True) or timeout."""
        self._ensure_thread()
        with self._idle:
            target = self._started + 1  # the first pass that starts after this call
            self._wake.set()
            return self._idle.wait_for(lambda: self._generation >= target, timeout)

    def compact_now(self) -> int:
        """Move the whole spool into the DuckDB file now (in batches); returns files moved."""
        self.flush()
        total = 0
        while True:
            with self._compact_lock:
                moved = self._compact()
            total += moved
            if not moved or not spool.listing(self.spool_dir):
                return total
            time.sleep(COMPACT_PAUSE_S)  # let readers take the lock between batches

    def compact_some(self) -> int:
        """One bounded compaction batch, unless one is running already (then 0)."""
        if not self._compact_lock.acquire(blocking=False):
            return 0
        try:
            return self._compact()
        finally:
            self._compact_lock.release()

    # -- the thread -----------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="nbtrack-writer", daemon=True)
            self._thread.start()
        if self._compactor is None or not self._compactor.is_alive():
            self._compactor = threading.Thread(target=self._compact_loop, name="nbtrack-compactor", daemon=True)
            self._compactor.start()

    def _loop(self) -> None:
        _warm_up()
        last = time.monotonic()
        while True:
            # A pass every FLUSH_EVERY_S from the start of the last one (not from its end):
            # under a burst, a long pass is followed by the next at once, so a pass carries at
            # most ~FLUSH_EVERY_S of new rows and spool files keep coming every ~0.5 s.
            self._wake.wait(max(0.0, FLUSH_EVERY_S - (time.monotonic() - last)))
            if getattr(self, "_exiting", False):
                return
            last = time.monotonic()
            with self._idle:
                self._wake.clear()
                self._started += 1
            wrote = False
            try:
                with self._lock:
                    wrote = self._pass()
            except Exception as exc:  # never let the thread die: report and go on
                self._problem(f"nbtrack: writing to the store failed: {exc!r}", exc)
            with self._idle:  # flush() waits for the spool files, not for compaction
                self._generation = self._started
                self._idle.notify_all()
            if wrote:
                self._compact_wake.set()

    def stop_compacting(self, timeout: float) -> None:
        """At exit: wait for a running compaction and start no other (a daemon thread frozen
        inside DuckDB by interpreter shutdown aborts the process)."""
        self._exiting = True
        self._compact_lock.acquire(timeout=timeout)  # held until the process ends
        self._lock.acquire(timeout=timeout)  # and no spool pass (pyarrow's C++) starts either

    def _compact_loop(self) -> None:
        """Compaction on its own thread: a long one never delays the next spool pass (on the
        writer thread it held back a burst's spool files for many seconds)."""
        while True:
            self._compact_wake.wait(COMPACT_AGE_S)
            self._compact_wake.clear()
            if getattr(self, "_exiting", False):
                return
            try:
                with self._compact_lock:
                    again = self._maybe_compact()
            except Exception as exc:
                self._problem(f"nbtrack: moving runs into the store failed: {exc!r}", exc)
                again = False
            if again:  # more to do: let readers take the lock between batches
                time.sleep(COMPACT_PAUSE_S)
                self._compact_wake.set()

    def _pass(self) -> bool:
        """Write what is pending; True when the spool is in order (compaction may follow)."""
        # Both counts first: a run whose end is counted here had its start counted too (start
        # is appended before end), so its heartbeat file is never created after its removal.
        n_start, n_ending = len(self._starting), len(self._ending)
        # A run that starts and ends within one pass needs no heartbeat: its final row goes
        # into the same spool file as its first (a burst of short runs made 2 file
        # operations per run, ~0.25 ms each here).
        ended = set(self._ending[:n_ending])
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            self.live_dir.mkdir(exist_ok=True)
            for run_id in self._starting[:n_start]:
                if run_id in ended:
                    ended.discard(run_id)
                    self._no_heartbeat.add(run_id)
                else:
                    live.start(self.live_dir, run_id)
                    self._live.add(run_id)
            del self._starting[:n_start]
        except OSError as exc:
            self._problem(_os_message(self.store_dir, exc), exc)
            return False
        # Series points of live runs first, then the rows queued after them (end events).
        # Sources that allow it are drained together (one table for many runs); drain
        # listeners (the run card) get their run's rows of each pass. Sources registered since
        # the last pass are taken now (from here on their run cannot take them back).
        # Sources are taken first (a run registers its source after putting its first row),
        # then the queued rows, then the points are drained: every drained point's run has its
        # first row in this pass or an earlier one, and a run whose final row is taken here had
        # its points marked finished before that row was put, so its drain takes every point it
        # logged. Written runs-last (below), a pass's files never show a final row before its
        # points (the team push and every reader rely on that).
        for run_id in list(self._new_sources):
            source = self._new_sources.pop(run_id, None)  # unless its run took it back meanwhile
            if source is not None:
                self._sources[run_id] = source
        self._take_queued()
        batched: dict[Any, list] = {}  # a point source class -> its sources (drained together)
        heard: list[tuple[str, bool, dict | None]] = []  # (run id, ended, its own tables)
        for run_id, source in list(self._sources.items()):
            finished = source.finished
            many = getattr(type(source), "drain_many", None)
            if many is not None and "drain" not in getattr(source, "__dict__", {}):
                batched.setdefault(type(source), []).append(source)
                if run_id in self._listeners:
                    heard.append((run_id, finished, None))
            else:
                drained = source.drain()
                self._take(drained)
                if run_id in self._listeners:
                    heard.append((run_id, finished, drained or {}))
            if finished:
                del self._sources[run_id]
        drained_many: list[dict[str, pa.Table]] = []
        for kind, sources in batched.items():
            drained = kind.drain_many(sources)
            self._take(drained)
            drained_many.append(drained or {})
        for run_id, done, own in heard:
            self._tell(run_id, done, own if own is not None else _rows_of(run_id, drained_many))
        if not self._write_pending():
            return False
        for run_id in self._ending[:n_ending]:
            if run_id in self._no_heartbeat:
                self._no_heartbeat.discard(run_id)
            else:
                live.end(self.live_dir, run_id)
                self._live.discard(run_id)
        del self._ending[:n_ending]
        now = time.monotonic()
        # Only runs whose start was handled and whose end was not: beating every registered
        # source re-created files for runs that then started and ended in one pass (leaked).
        if self._live and now - self._last_beat > live.HEARTBEAT_EVERY_S:
            live.beat(self.live_dir, list(self._live))
            self._last_beat = now
        return True

    def _tell(self, run_id: str, ended: bool, tables: dict[str, pa.Table]) -> None:
        for listener in list(self._listeners.get(run_id, [])):
            try:
                listener(tables, ended)
            except Exception:
                pass  # a listener (a widget) never costs a pass
        if ended:
            self._listeners.pop(run_id, None)

    def _take(self, drained: dict[str, pa.Table]) -> None:
        for table, data in drained.items():
            if data.num_rows:
                self._pending.append((table, data))

    def _take_queued(self) -> None:
        """The rows put so far, as tables pending a spool file."""
        # Runs rows first: a run's other rows are put before its final runs row, so every
        # final row taken here comes with its metrics and params (taken after it).
        with self.cut_lock:
            taken = []
            for table in ("runs", *(t for t in self._columns if t != "runs")):
                rows = self._columns[table].rows
                n = len(rows)
                if n:
                    taken.append((table, rows[:n]))
                    del rows[:n]
        for table, rows in taken:  # now pending as a table (kept there until its file exists)
            self._pending.append((table, _from_tuples(table, rows)))

    def _write_pending(self) -> bool:
        """One spool file per table for everything pending (rows of many runs together)."""
        self._take_queued()
        n = len(self._pending)
        if not n:
            return True
        batch = self._pending[:n]
        rows_of: dict[str, list[dict]] = {}
        tables_of: dict[str, list[pa.Table]] = {}
        for table, rows in batch:
            if isinstance(rows, pa.Table):
                tables_of.setdefault(table, []).append(rows)
            else:
                rows_of.setdefault(table, []).extend(rows)
        try:
            # Runs rows last: a reader (a snapshot, the team push) that sees a run's final row
            # sees every point and metric of it from this pass too, since those files exist first.
            for table in (*(t for t in TABLES if t != "runs"), "runs"):
                parts = tables_of.get(table, [])
                dicts = rows_of.get(table)
                if dicts:  # one conversion per table, not one per put()
                    if table == "runs":  # a run started and ended since the last pass
                        dicts = _newest(dicts, *LATEST_BY[table])
                    parts.insert(0, pa.Table.from_pylist(dicts, TABLES[table]))
                if not parts:
                    continue
                data = parts[0] if len(parts) == 1 else _concat(table, parts)
                # Contiguous columns: a file of 20,000 one-row batches took 5 s to write and
                # made every later read of it slow (Arrow and DuckDB work per batch).
                spool.write(self.spool_dir, table, data.combine_chunks())
        except OSError as exc:
            self._problem(_os_message(self.store_dir, exc), exc)
            self._drop_if_too_much()
            return False
        # A failure half way re-writes the tables already written; spool readers see the same
        # rows twice only in that rare case, and keyed tables fold duplicates away.
        del self._pending[:n]
        if self._oldest_spool is None:
            self._oldest_spool = time.monotonic()
        return True

    def _drop_if_too_much(self) -> None:
        rows = sum(r.num_rows if isinstance(r, pa.Table) else len(r) for _, r in self._pending)
        if rows > MAX_PENDING_ROWS:
            del self._pending[: len(self._pending) // 2]
            self._problem("nbtrack: the store has been unwritable for long; oldest pending rows dropped.")

    def _maybe_compact(self) -> bool:
        """Compact one batch when the spool has COMPACT_FILES files or its oldest file is
        COMPACT_AGE_S old (any process's: names start with their creation time). True if
        another batch is due at once."""
        if self._oldest_spool is None:  # this process never wrote: not its job
            return False
        names = spool.listing(self.spool_dir)
        if not names:
            return False
        if len(names) < COMPACT_FILES and time.time() - spool.created(names[0]) < COMPACT_AGE_S:
            return False
        moved = self._compact()
        return bool(moved) and len(names) > moved

    def _compact(self) -> int:
        if self._con is None:
            self._con = database.connect()
        try:
            moved = database.compact(self._con, self.store_dir)
        except StoreError as exc:
            self._problem(str(exc), exc)
            return 0
        except (OSError, duckdb.Error) as exc:
            self._problem(
                f"nbtrack: moving runs into {self.store_dir} failed ({exc}); they stay in the spool folder.", exc
            )
            return 0
        if moved and not spool.listing(self.spool_dir):
            self._oldest_spool = None
        return moved

    def check_writable(self) -> bool:
        """Probe the spool folder on the caller's thread so a read-only or full store is
        reported in the very cell that meets it. A success is trusted for PROBE_EVERY_S (a
        probe costs ~1 ms of file-system calls); later faults reach the user via the thread."""
        import os

        now = time.monotonic()
        if now - self._probed_ok_at < PROBE_EVERY_S:
            return True
        probe = self.spool_dir / f".probe-{os.getpid()}"
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            with open(probe, "wb") as f:
                f.write(b"x")
            os.remove(probe)
            self._probed_ok_at = now
            return True
        except OSError as exc:
            self._problem(_os_message(self.store_dir, exc), exc)
            return False

    def report(self, message: str) -> None:
        self._problem(message)

    def _problem(self, message: str, exc: Exception | None = None) -> None:
        self.last_error = exc
        kind = message.split("(")[0]
        if kind in self._reported:
            return
        self._reported.add(kind)
        self.problems.append(message)
        if self.on_problem is not None:
            self.on_problem(message)


class _Columns:
    """One table's ``put_tuples`` rows. Callers extend it (one C call; tuples of plain values
    that the garbage collector stops tracking, unlike row dicts) and a pass takes a prefix:
    rows appended meanwhile stay."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.extend = self.rows.extend

    def __bool__(self) -> bool:
        return bool(self.rows)


def _from_tuples(table: str, rows: list[tuple]) -> pa.Table:
    """An Arrow table from ``put_tuples`` rows, converted per column in C (``itemgetter`` maps:
    ``zip(*rows)`` made an iterator object per row, which the garbage collector then walked)."""
    import pyarrow.compute as pc

    schema = TABLES[table]
    if table in LATEST_BY and len(rows) > 1:
        # A run started and ended since the last pass: its newest row only (older ones would
        # be folded away on reading anyway). Rows of one key are put in seq order by one
        # thread, so the last one put is the newest.
        key_of = itemgetter(*(schema.get_field_index(k) for k in LATEST_BY[table][0]))
        newest = dict(zip(map(key_of, rows), rows))
        if len(newest) < len(rows):
            rows = list(newest.values())
    arrays = []
    for i, field in enumerate(schema):
        column = list(map(itemgetter(i), rows))
        if field.type == TS:  # epoch seconds -> microseconds, rounded as datetime does
            seconds = pa.array(column, pa.float64())
            arrays.append(pc.round(pc.multiply(seconds, 1e6)).cast(pa.int64()).cast(TS))
        else:
            arrays.append(pa.array(column, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _concat(table: str, parts: list[pa.Table]) -> pa.Table:
    """One table of a pass's parts: as they are when they agree (drained series keep their
    dictionary-encoded run ids and keys), else in the table's schema."""
    if all(p.schema.equals(parts[0].schema) for p in parts):
        return pa.concat_tables(parts)
    return pa.concat_tables([p.cast(TABLES[table]) for p in parts])


def _rows_of(run_id: str, drained: list[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    """One run's rows of tables drained for many runs (only for runs someone listens to)."""
    import pyarrow.compute as pc

    out: dict[str, pa.Table] = {}
    for tables in drained:
        for name, data in tables.items():
            if data.num_rows:
                mine = data.filter(pc.equal(data.column("run_id").cast(pa.string()), run_id))
                if mine.num_rows:
                    out[name] = pa.concat_tables([out[name], mine]) if name in out else mine
    return out


def _newest(rows: list[dict], keys: tuple[str, ...], order: str) -> list[dict]:
    """Only the newest row per key: older versions would be folded away on reading anyway
    (a burst of short runs halves its runs rows: the 'running' row never reaches disk)."""
    newest: dict = {}
    for r in rows:
        key = r[keys[0]] if len(keys) == 1 else tuple(r[k] for k in keys)
        old = newest.get(key)
        if old is None or (r[order] or 0) >= (old[order] or 0):
            newest[key] = r
    return list(newest.values()) if len(newest) < len(rows) else rows


def _warm_up() -> None:
    """Import now, on this thread, what a pass needs: pyarrow imports pandas lazily on first
    use, and if that first use falls in a flush at interpreter exit, the import fails
    ("can't register atexit after shutdown") and that pass is lost."""
    try:
        import numpy as np

        pa.array(np.zeros(1))
    except Exception:
        pass


def _os_message(store_dir: Path, exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "the folder is read-only"
    else:
        why = exc.strerror or str(exc)
    return (
        f"nbtrack: cannot write to the store {store_dir} ({why}). Your cell ran normally; "
        "its run is kept in memory and written when the store is writable again "
        "(or set NBTRACK_STORE to another folder)."
    )
