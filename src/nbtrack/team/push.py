"""Push: copy what the local writer made durable (the store file plus its spool) into the team
store, exactly once, on a background thread. The cell never waits for it.

Exactly once, whatever fails: every batch is one Postgres transaction that (1) takes an
advisory lock for this local store, so pushers of the same store (kernels, ``nbtrack sync``)
take turns, (2) reads the high-water mark of each run it is about to push from
``nbtrack.pushed`` (run row version, status, last pushed point time, point count), (3) copies
only what lies beyond it (COPY of CSV written by Arrow, no row-by-row inserts), and (4) moves
the mark in the same transaction. A push cut anywhere (server stopped, network gone, process
killed) rolls back whole, and the next one starts from the committed mark: nothing lost,
nothing twice. Rows of a run are replaced as a whole when its version changes; series points
of a running run are appended strictly after the mark and before the newest point seen (points
logged in the same microsecond may straddle two spool files; the newest goes with the next
push, or once it is HOLD_NEWEST_S old). When the run has ended, its point count is checked and
the points from the mark on are replaced if it differs, so the end state is exact.
"""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from pathlib import Path

from .config import RemoteError, display, identity, remote_uri
from .connection import connect, is_connection_error, reason
from .forget import DELETED
from .schema import COLUMNS, migrate

PUSH_EVERY_S = 1.0  # a running run's points reach Postgres within about 2 s
MAX_BACKOFF_S = 10.0
MAX_RUNS_PER_BATCH = 2000
HOLD_NEWEST_S = 3.0
STORE_ID_FILE = "store-id"
_RUN_TABLES = ("params", "inputs", "outputs", "artifacts")  # replaced with the run's row


def store_id(store_dir: Path) -> str:
    """A stable id for this local store (which 'machine' pushed a run), created once."""
    path = Path(store_dir) / STORE_ID_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    new = uuid.uuid4().hex
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # another process created it first: use theirs
        for _ in range(50):
            text = path.read_text().strip()
            if text:
                return text
            time.sleep(0.01)
        return text
    with os.fdopen(fd, "w") as f:
        f.write(new + "\n")
    return new


def _utcnow():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # as points are stamped


def _text(expr: str) -> str:
    # Postgres text holds no NUL character: a hostile string keeps everything else.
    return f"replace({expr}, chr(0), '\ufffd')"


class Pusher:
    """Pushes one local store to one team store. Any number may run at once (any processes)."""

    def __init__(self, store, uri: str):
        self.store = store
        self.uri = uri
        self.store_id = store_id(store.dir)
        self.user, self.host_override = identity(store.dir)
        self.known: dict[str, tuple] = {}  # run_id -> (seq, status) already in the team store
        self._con = None
        self._seeded = False
        self._idle_token: str | None = None
        self.last_error: str | None = None
        self.last_push_at: float | None = None
        self.pushed_runs = self.pushed_points = 0  # by this pusher, since it started

    # -- one push -------------------------------------------------------------------------
    def push_once(self) -> tuple[int, int]:
        """Push one batch of what is pending; returns (runs, points) copied. Raises
        RemoteError when the team store cannot be used."""
        from ..store.query import change_token
        from . import forget

        if forget.queued(self.store.dir)[1]:  # runs deleted locally (nbtrack rm) go first
            try:
                forget.apply(self._connection(), self.store_id, self.store.dir)
            except Exception as exc:
                self._drop_connection()
                if isinstance(exc, RemoteError):
                    raise
                raise RemoteError(
                    f"nbtrack: removing deleted runs from the team store {display(self.uri)} failed ({reason(exc)}); "
                    "the push waits."
                ) from None
        token = change_token(self.store)  # before the read: a change after it shows next time
        if token == self._idle_token:
            return 0, 0  # nothing changed since everything was pushed: no store read at all
        candidates = self._candidates()
        if not candidates:  # (running runs are always candidates: none is running either)
            self._idle_token = token
            return 0, 0
        con = self._connection()
        try:
            if not self._seeded:
                self._seed(con)
                candidates = [c for c in candidates if c[2] == "running" or self.known.get(c[0]) != (c[1], c[2])]
                if not candidates:
                    return 0, 0
            ids = [c[0] for c in candidates[:MAX_RUNS_PER_BATCH]]
            with con.transaction():
                con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self.store_id])
                remote = {
                    r[0]: r[1:]
                    for r in con.execute(
                        "SELECT run_id, seq, status, series_time, n_points FROM nbtrack.pushed WHERE run_id = ANY(%s)",
                        [ids],
                    ).fetchall()
                }
                plan, data, marks = self._read_local(ids, remote)
                if plan:
                    self._write(con, plan, data, marks)
            self._after_commit(marks)
            if plan:
                self._record_state(con)
            runs = sum(1 for p in plan.values() if p["full"])
            points = data["series"].num_rows if data else 0
            self.pushed_runs += runs
            self.pushed_points += points
            self.last_error = None
            self.last_push_at = time.time()
            return runs, points
        except RemoteError:
            self._drop_connection()
            raise
        except Exception as exc:
            self._drop_connection()
            if is_connection_error(exc):
                raise RemoteError(
                    f"nbtrack: the team store {display(self.uri)} went away during a "
                    f"push ({reason(exc)}); runs wait in the local store."
                ) from None
            import psycopg

            if isinstance(exc, psycopg.errors.InsufficientPrivilege):
                raise RemoteError(
                    f"nbtrack: the role in {display(self.uri)} may not write to the "
                    "team store (only its owner role can); runs stay local."
                ) from None
            if isinstance(exc, psycopg.Error):
                raise RemoteError(
                    f"nbtrack: pushing to the team store failed ({reason(exc)}); runs wait in the local store."
                ) from None
            raise

    def push_all(self, timeout: float = 600.0) -> tuple[int, int]:
        """Push until nothing is pending (``nbtrack sync``); returns the totals."""
        runs = points = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, p = self.push_once()
            runs, points = runs + r, points + p
            if not self._candidates(include_running=False):
                break
        return runs, points

    # -- the local side -------------------------------------------------------------------
    def _candidates(self, include_running: bool = True) -> list[tuple]:
        """(run_id, seq, status) of local runs the team store may lack, oldest first."""
        with self.store.snapshot(own_writes=False) as con:
            rows = con.execute(
                "SELECT r.run_id, w.seq, r.status FROM runs r JOIN runs_raw w USING (run_id) "
                "ORDER BY r.started_at, r.run_id"
            ).fetchall()
        known = self.known
        return [r for r in rows if (include_running and r[2] == "running") or known.get(r[0]) != (r[1], r[2])]

    def _read_local(self, ids: list[str], remote: dict):
        """The plan per run and the Arrow tables to copy, from one local snapshot."""
        import pyarrow as pa

        with self.store.snapshot(own_writes=False) as con:
            con.register("want", pa.table({"run_id": pa.array(ids, pa.string())}))
            local = con.execute(
                "SELECT r.run_id, w.seq, r.status, s.n, s.tmax FROM runs r JOIN want USING (run_id) "
                "JOIN runs_raw w USING (run_id) LEFT JOIN (SELECT run_id, count(*) AS n, "
                "max(time) AS tmax FROM series JOIN want USING (run_id) GROUP BY run_id) s "
                "USING (run_id)"
            ).fetchall()
            plan: dict[str, dict] = {}
            utcnow = _utcnow()
            for run_id, seq, status, n, tmax in local:
                n = n or 0
                r_seq, r_status, r_time, r_n = remote.get(run_id, (None, None, None, 0))
                if r_status == DELETED:  # its owner deleted it (nbtrack rm): never copied back
                    self.known[run_id] = (seq, status)
                    continue
                full = run_id not in remote or (r_seq, r_status) != (seq, status)
                running = status == "running"
                if running:
                    mode = "append" if tmax is not None else "none"
                elif r_n == n and run_id in remote:
                    mode = "none"
                elif not r_n:
                    mode = "all"
                elif r_time is not None:
                    mode = "after"  # the run ended: the rest from the mark on, ties included
                else:
                    mode = "replace"
                if not full and not running and mode == "none":
                    self.known[run_id] = (seq, status)
                    continue
                # A running run's newest point waits for a newer one (a sibling logged in the
                # same microsecond may be in the next spool file), unless it is HOLD_NEWEST_S
                # old: a run that logs once an epoch still shows it. Either way the run's end
                # re-checks the count and repairs from the mark on.
                hold = running and tmax is not None and (utcnow - tmax).total_seconds() < HOLD_NEWEST_S
                plan[run_id] = dict(
                    full=full,
                    metrics=full or running,
                    mode=mode,
                    lo=r_time,
                    hi=tmax if hold else None,
                    seq=seq,
                    status=status,
                    n_local=n,
                    n_remote=r_n,
                )
            if not plan:
                con.unregister("want")
                return {}, None, {}
            con.register(
                "plan",
                pa.Table.from_pylist(
                    [
                        {
                            "run_id": k,
                            "full": p["full"],
                            "metrics": p["metrics"],
                            "mode": p["mode"],
                            "lo": p["lo"],
                            "hi": p["hi"],
                        }
                        for k, p in plan.items()
                    ],
                    schema=pa.schema(
                        [
                            ("run_id", pa.string()),
                            ("full", pa.bool_()),
                            ("metrics", pa.bool_()),
                            ("mode", pa.string()),
                            ("lo", pa.timestamp("us")),
                            ("hi", pa.timestamp("us")),
                        ]
                    ),
                ),
            )
            data = self._fetch(con)
            con.unregister("plan")
            con.unregister("want")
        marks = self._marks(plan, data["series"])
        return plan, data, marks

    def _fetch(self, con) -> dict:
        host = "?" if self.host_override else "r.host"
        args_runs = ([self.host_override] if self.host_override else []) + [self.store_id, self.user]
        text_cols = {
            "name",
            "experiment",
            "notebook",
            "cell_id",
            "source",
            "status",
            "host",
            "git_commit",
            "error_type",
            "error_message",
            "traceback",
            "context",
        }
        sel = []
        for c in COLUMNS["runs"]:
            if c == "seq":
                sel.append("w.seq")
            elif c == "tags":
                sel.append(_text("CAST(to_json(r.tags) AS VARCHAR)"))
            elif c == "host":
                sel.append(_text(host))
            elif c in ("store_id", "user_name"):
                sel.append("?")
            elif c in text_cols:
                sel.append(_text(f"r.{c}"))
            else:
                sel.append(f"r.{c}")
        data = {
            "runs": con.execute(
                f"SELECT {', '.join(sel)} FROM runs r JOIN runs_raw w USING (run_id) "
                "JOIN plan p USING (run_id) WHERE p.full",
                args_runs,
            ).fetch_arrow_table()
        }
        numeric = {"num", "value", "step", "time", "seq", "size"}
        for table in _RUN_TABLES + ("metrics",):
            cols = ", ".join(f"t.{c}" if c in numeric or c == "run_id" else _text(f"t.{c}") for c in COLUMNS[table])
            flag = "p.metrics" if table == "metrics" else "p.full"
            data[table] = con.execute(
                f"SELECT {cols} FROM {table} t JOIN plan p USING (run_id) WHERE {flag}"
            ).fetch_arrow_table()
        data["series"] = con.execute(
            f"SELECT t.run_id, {_text('t.key')}, t.step, t.value, t.time FROM series t "
            "JOIN plan p USING (run_id) WHERE CASE p.mode "
            "WHEN 'append' THEN (p.lo IS NULL OR t.time > p.lo) AND (p.hi IS NULL OR t.time < p.hi) "
            "WHEN 'after' THEN t.time >= p.lo OR t.time IS NULL "
            "WHEN 'all' THEN true WHEN 'replace' THEN true ELSE false END"
        ).fetch_arrow_table()
        return data

    @staticmethod
    def _marks(plan: dict, series) -> dict:
        """The high-water mark of every planned run after this batch."""

        newest: dict[str, object] = {}
        counts: dict[str, int] = {}
        if series.num_rows:
            grouped = series.group_by("run_id").aggregate([("time", "max"), ([], "count_all")])
            for run_id, tmax, n in zip(
                grouped["run_id"].to_pylist(), grouped["time_max"].to_pylist(), grouped["count_all"].to_pylist()
            ):
                newest[run_id], counts[run_id] = tmax, n
        marks = {}
        for run_id, p in plan.items():
            if p["mode"] == "append":
                n = p["n_remote"] + counts.get(run_id, 0)
                t = newest.get(run_id) or p["lo"]
            elif p["mode"] == "none":
                n, t = p["n_remote"], p["lo"]
            else:  # all / after / replace: everything local is there now
                n = p["n_local"]
                t = newest.get(run_id) or p["lo"]
                if p["mode"] == "after" and p["lo"] is not None and t is not None:
                    t = max(t, p["lo"])
            marks[run_id] = (p["seq"], p["status"], t, n)
        return marks

    # -- the remote side ------------------------------------------------------------------
    def _write(self, con, plan: dict, data: dict, marks: dict) -> None:
        full = [k for k, p in plan.items() if p["full"]]
        with_metrics = [k for k, p in plan.items() if p["metrics"]]
        if full:
            for table in ("runs",) + _RUN_TABLES:
                con.execute(f"DELETE FROM nbtrack.{table} WHERE run_id = ANY(%s)", [full])
        if with_metrics:
            con.execute("DELETE FROM nbtrack.metrics WHERE run_id = ANY(%s)", [with_metrics])
        replace = [k for k, p in plan.items() if p["mode"] == "replace"]
        if replace:
            con.execute("DELETE FROM nbtrack.series WHERE run_id = ANY(%s)", [replace])
        after = [(k, p["lo"]) for k, p in plan.items() if p["mode"] == "after"]
        if after:
            con.execute(
                "DELETE FROM nbtrack.series s USING unnest(%s::text[], %s::timestamp[]) "
                "AS d(run_id, lo) WHERE s.run_id = d.run_id AND s.time >= d.lo AND s.time >= %s",
                [[a[0] for a in after], [a[1] for a in after], min(a[1] for a in after)],
            )
        for table in ("runs",) + _RUN_TABLES + ("metrics", "series"):
            copy_arrow(con, table, COLUMNS[table], data[table])
        ids = list(marks)
        con.execute(
            "INSERT INTO nbtrack.pushed (run_id, store_id, seq, status, series_time, n_points) "
            "SELECT d.run_id, %s, d.seq, d.status, d.t, d.n FROM unnest(%s::text[], %s::bigint[], "
            "%s::text[], %s::timestamp[], %s::bigint[]) AS d(run_id, seq, status, t, n) "
            "ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, status = excluded.status, "
            "series_time = excluded.series_time, n_points = excluded.n_points",
            [
                self.store_id,
                ids,
                [marks[k][0] for k in ids],
                [marks[k][1] for k in ids],
                [marks[k][2] for k in ids],
                [marks[k][3] for k in ids],
            ],
        )

    def _after_commit(self, marks: dict) -> None:
        for run_id, (seq, status, _t, _n) in marks.items():
            self.known[run_id] = (seq, status)

    def _record_state(self, con) -> None:
        """What the team store holds of this store, for `nbtrack store` while unreachable."""
        from .status import write_state

        runs, points = con.execute(
            "SELECT count(*), coalesce(sum(n_points), 0) FROM nbtrack.pushed WHERE store_id = %s "
            "AND status IS DISTINCT FROM %s",
            [self.store_id, DELETED],
        ).fetchone()
        write_state(self.store.dir, display(self.uri), runs, int(points))

    def _seed(self, con) -> None:
        """What the team store already holds of this local store (one query, not per run)."""
        for run_id, seq, status in con.execute(
            "SELECT run_id, seq, status FROM nbtrack.pushed WHERE store_id = %s", [self.store_id]
        ).fetchall():
            self.known[run_id] = (seq, status)
        con.commit()
        self._seeded = True

    def _connection(self):
        if self._con is None or self._con.closed:
            con = connect(self.uri, autocommit=True)
            try:
                migrate(con)
            except Exception:
                con.close()
                raise
            self._con = con
        return self._con

    def _drop_connection(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except Exception:
                pass
        self._con = None

    def close(self) -> None:
        self._drop_connection()


def copy_arrow(con, table: str, columns: list[str], data) -> None:
    """COPY an Arrow table into nbtrack.<table>: CSV written by Arrow's C++ writer (strings
    quoted, NULL as an empty unquoted field, which is what Postgres' CSV reads as NULL)."""
    if data is None or not data.num_rows:
        return
    import pyarrow.csv as pacsv

    cols = ", ".join('"' + c + '"' for c in columns)
    with con.cursor() as cur, cur.copy(f"COPY nbtrack.{table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
        for batch in data.to_batches(max_chunksize=65536):
            buf = io.BytesIO()
            pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False))
            cp.write(buf.getbuffer())


# -- the background thread ---------------------------------------------------------------

_pushers: dict[tuple, "PushThread"] = {}
_lock = threading.Lock()


class PushThread:
    def __init__(self, store, uri: str):
        self.pusher = Pusher(store, uri)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="nbtrack-push", daemon=True)
        self.busy = threading.Lock()
        self.thread.start()

    def _loop(self) -> None:
        backoff = PUSH_EVERY_S
        while not self.stop.is_set():
            try:
                with self.busy:
                    if self.stop.is_set():
                        return
                    runs, _points = self.pusher.push_once()
                backoff = PUSH_EVERY_S
                if runs >= MAX_RUNS_PER_BATCH:
                    continue  # more waiting: go on at once
            except RemoteError as exc:
                self.pusher.last_error = str(exc)  # shown by `nbtrack store` / %nbtrack, never in a cell
                backoff = min(MAX_BACKOFF_S, backoff * 2)
            except Exception as exc:  # a local read failed (busy store...): try again later
                self.pusher.last_error = f"nbtrack: push paused ({type(exc).__name__}: {reason(exc)})"
                backoff = min(MAX_BACKOFF_S, backoff * 2)
            self.wake.wait(backoff)
            self.wake.clear()

    def shutdown(self, timeout: float) -> None:
        """At exit: one last push if the team store was reachable, then stop (never leave the thread inside DuckDB or libpq while the
        interpreter goes)."""
        self.stop.set()
        self.wake.set()
        self.thread.join(timeout)
        if self.pusher.last_error is None and self.busy.acquire(timeout=1):
            try:
                # Threading's exit hooks run newest first: the writer's final flush has not run
                # yet, so hand its last rows to the spool and push them too.
                self.pusher.store.flush(timeout=5)
                self.pusher.push_all(timeout=timeout)
            except Exception:
                pass
            finally:
                self.pusher.close()


def ensure_pusher(store) -> "PushThread | None":
    """The push thread of ``store`` in this process, started when a remote is configured."""
    try:
        uri = remote_uri(store.dir)
    except RemoteError:
        return None  # a bad URI is reported by `nbtrack store`, not in a cell
    if uri is None:
        return None
    key = (store.dir, uri, os.getpid())
    with _lock:
        t = _pushers.get(key)
        if t is None or not t.thread.is_alive() and not t.stop.is_set():
            t = _pushers[key] = PushThread(store, uri)
            _register_exit()
        return t


_exit_registered = False


def _register_exit() -> None:
    global _exit_registered
    if _exit_registered:
        return
    _exit_registered = True
    from ..store import at_exit

    at_exit(_stop_all)


def _stop_all() -> None:
    for key, t in list(_pushers.items()):
        if key[2] == os.getpid():
            t.shutdown(timeout=10)


def stop_all(final_push: bool = False) -> None:
    """Stop this process's push threads (tests; ``final_push`` as at exit)."""
    with _lock:
        threads = [t for k, t in _pushers.items() if k[2] == os.getpid()]
        _pushers.clear()
    for t in threads:
        if final_push:
            t.shutdown(timeout=10)
        else:
            t.stop.set()
            t.wake.set()
            t.thread.join(10)
            t.pusher.close()
