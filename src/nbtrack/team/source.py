"""The read side of the team store: a DuckDB connection with Postgres attached (DuckDB's
postgres extension, loaded from its wheel) and the same views the local store defines (runs,
params, metrics, series, inputs, outputs, artifacts), with the pushing user in each run's context (the read model's ``user`` column). The read model
(``store.query``, ``store.runs_view``, ``store.filters``, ``store.table``) runs its own SQL over
them unchanged: the same grammar, the same sorting and paging code, another source.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from .config import RemoteError, display, remote_uri
from .connection import reason
from .schema import SCHEMA_VERSION

_VIEWS = {
    "runs": "SELECT run_id, name, experiment, notebook, cell_id, execution_count, source, status, "
    "started_at, ended_at, duration_s, CAST(from_json(tags, '[\"VARCHAR\"]') AS VARCHAR[]) "
    "AS tags, host, pid, git_commit, git_dirty, error_type, error_message, traceback, "
    # The read model derives `user` from the context: the pushing user goes in there.
    "CASE WHEN user_name IS NULL THEN context ELSE CAST(json_merge_patch(coalesce(context, "
    "'{}'), json_object('user', user_name)) AS VARCHAR) END AS context FROM pg.nbtrack.runs",
    "params": "SELECT run_id, key, kind, num, text FROM pg.nbtrack.params",
    "metrics": "SELECT run_id, key, value, step, time, seq FROM pg.nbtrack.metrics",
    "series": "SELECT run_id, key, step, value, time FROM pg.nbtrack.series",
    "inputs": "SELECT run_id, name, type, shape, fingerprint, value FROM pg.nbtrack.inputs",
    "outputs": "SELECT run_id, name, type, shape, summary FROM pg.nbtrack.outputs",
    # The bytes stay in the pushing machine's local store.
    "artifacts": "SELECT run_id, name, mime, size, CAST(NULL AS BLOB) AS data FROM pg.nbtrack.artifacts",
}


def extension_path() -> str:
    """The postgres extension shipped in the duckdb-ext-postgres wheel for this duckdb."""
    from importlib import metadata

    import duckdb

    try:
        files = metadata.files("duckdb-ext-postgres") or []
    except metadata.PackageNotFoundError:
        files = []
    found = [f for f in files if f.name == "postgres_scanner.duckdb_extension"]
    exact = [f for f in found if f"v{duckdb.__version__}" in str(f)]
    if not (exact or found):
        raise RemoteError(
            "nbtrack: reading the team store needs the duckdb-ext-postgres package "
            "matching duckdb (pip install 'nbtrack[team]')."
        )
    return str((exact or found)[0].locate())


class TeamStore:
    """What the read model needs of a store (``snapshot``, ``flush``, ``dir``), over Postgres."""

    def __init__(self, uri: str):
        self.uri = uri
        self.dir = display(uri)  # messages say "in postgresql://alice@db/mlruns"
        self._con = None
        self._source = None
        self._pg = None  # psycopg, for the pages Postgres picks (pages.py)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"TeamStore({self.dir!r})"

    def flush(self, timeout: float = 10.0) -> bool:
        return True

    @property
    def source(self):
        """This team store as a source of the read model (``runs_view.read``)."""
        from ..store.runs_view import Source

        if self._source is None:
            self._source = Source(
                snapshot=self.snapshot,
                token=self.token,
                key=f"team:{self.dir}",
                scope="team",
                read_page=self.read_page,
            )
        return self._source

    def read_page(self, spec, **read_args):
        """A page of runs (``runs_view.read`` with a limit) picked and ordered by Postgres
        (``pages``); None leaves it to the read model's DuckDB path, which also reports what
        went wrong: a spec not translated for Postgres, or any error of the Postgres query
        (schema changed, connection lost mid-way). A server that does not answer is a
        ``RemoteError`` at once (the DuckDB path would wait for it a second time)."""
        from . import pages

        with self._lock:
            pg = self._pg_connection()
            try:
                with self.snapshot() as con:
                    return pages.read_page(pg, con, spec, **read_args)
            except RemoteError:
                # The attached catalog went stale (the schema was dropped and made again, the
                # server restarted): snapshot dropped it; the DuckDB path attaches afresh and
                # reports what is still wrong.
                return None
            except Exception as exc:
                import psycopg

                if not isinstance(exc, psycopg.Error):
                    raise
                self._drop_pg()
                return None

    def connect_in_background(self) -> None:
        """Attach Postgres (extension, catalog) and open the page connection on a thread, so
        that the first read, often the team table's first page, finds them ready: the widget's
        own imports and its trip to the browser happen meanwhile. A read waits for the lock;
        a failure here is left to that read to report."""
        # A thread must not import a library for the first time (architecture.md): here.
        import duckdb  # noqa: F401
        import psycopg  # noqa: F401

        from ..store import background_thread, database  # noqa: F401

        def warm():
            with self._lock:
                try:
                    self._connection()
                    self._pg_connection()
                except Exception:
                    pass

        background_thread(warm, "nbtrack-team-connect")

    def _pg_connection(self):
        if self._pg is None:
            from .connection import connect

            self._pg = connect(self.uri, autocommit=True, for_read=True)
        return self._pg

    def _drop_pg(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            except Exception:
                pass
        self._pg = None

    def info(self) -> dict:
        """What ``store_info`` says of a local store, for the team store (``?scope=team``)."""
        with self.snapshot() as con:
            runs, running, points, users = con.execute(
                "SELECT * FROM postgres_query('pg', 'SELECT (SELECT count(*) FROM nbtrack.runs) AS runs, "
                "(SELECT count(*) FROM nbtrack.runs WHERE status = ''running'') AS running, "
                "(SELECT coalesce(sum(n_points), 0) FROM nbtrack.pushed) AS points, "
                "(SELECT count(DISTINCT user_name) FROM nbtrack.runs) AS users')"
            ).fetchall()[0]
        return {
            "path": self.dir,
            "remote": self.dir,
            "scope": "team",
            "runs": runs,
            "running": running,
            "points": int(points),
            "users": users,
            "schema_version": SCHEMA_VERSION,
        }

    def token(self) -> str:
        """Changes whenever a push commits (runs replaced, points appended): one query, run by
        Postgres itself."""
        with self.snapshot() as con:
            row = con.execute(
                "SELECT * FROM postgres_query('pg', 'SELECT (SELECT count(*) FROM nbtrack.runs), "
                "(SELECT max(pushed_at)::text FROM nbtrack.runs), "
                "(SELECT sum(n_points)::text FROM nbtrack.pushed)')"
            ).fetchall()
        return "|".join(str(v) for v in row[0])

    @contextmanager
    def snapshot(self, timeout: float = 30.0, busy_timeout: float = 2.0, own_writes: bool = True):
        # No explicit transaction: with the server gone, DuckDB's postgres extension throws
        # from a ROLLBACK in a destructor and the process aborts (seen with 1.4.4). Each query
        # is its own Postgres snapshot; a push changes a run's rows in one transaction.
        with self._lock:
            con = self._connection()
            try:
                yield con
            except Exception as exc:
                import duckdb

                if not isinstance(exc, duckdb.Error) or isinstance(
                    exc, (duckdb.ParserException, duckdb.BinderException)
                ):
                    raise  # not the server's doing (a bad query says what it was)
                # The server went away or the schema changed under the attached catalog: the
                # next read attaches afresh.
                self._drop()
                raise RemoteError(f"nbtrack: cannot read the team store {self.dir} ({reason(exc)}).") from None

    def _connection(self):
        if self._con is not None:
            return self._con
        from ..store import database

        con = database.connect()
        try:
            con.execute(f"LOAD {database.path_literal(extension_path())}")
            # ATTACH takes no bound parameters: the URI is configuration (never a filter's text)
            # and holds no password (config.check_uri).
            con.execute(f"ATTACH {database.path_literal(self.uri)} AS pg (TYPE postgres, READ_ONLY)")
            rows = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'pg' "
                "AND schema_name = 'nbtrack' AND table_name = 'meta'"
            ).fetchall()
            if not rows[0][0]:
                raise RemoteError(
                    f"nbtrack: the team store {self.dir} has no nbtrack schema yet (the first push creates it)."
                )
            version = con.execute("SELECT value FROM pg.nbtrack.meta WHERE key = 'schema_version'").fetchall()
            if version and int(version[0][0]) > SCHEMA_VERSION:
                raise RemoteError(
                    f"nbtrack: the team store {self.dir} was set up by a newer nbtrack "
                    f"(schema {version[0][0]}); upgrade nbtrack to read it."
                )
            for name, sql in _VIEWS.items():
                con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
            con.execute("CREATE OR REPLACE VIEW runs_raw AS SELECT * FROM runs")
        except RemoteError:
            con.close()
            raise
        except Exception as exc:
            con.close()
            raise RemoteError(f"nbtrack: cannot read the team store {self.dir} ({reason(exc)}).") from None
        self._con = con
        return con

    def _drop(self) -> None:
        self._drop_pg()
        if self._con is not None:
            try:
                self._con.close()
            except Exception:
                pass
        self._con = None


_team: dict[str, TeamStore] = {}
_team_lock = threading.Lock()


def get_team_store(uri: str | None = None) -> TeamStore:
    if uri is None:
        from ..store.location import resolve_store_dir

        uri = remote_uri(resolve_store_dir())
    if uri is None:
        raise RemoteError(
            "nbtrack: no team store is set; export NBTRACK_REMOTE=postgresql://user@host/db "
            "or run `nbtrack remote set URI`."
        )
    with _team_lock:
        if uri not in _team:
            _team[uri] = TeamStore(uri)
            _team[uri].connect_in_background()
        return _team[uri]
