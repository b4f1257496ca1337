"""The team store's tables, in their own Postgres schema ``nbtrack``, versioned like the local
store: ``SCHEMA_VERSION`` goes up with every entry of ``MIGRATIONS``. A client meeting a newer
schema refuses to write (clear error) and its runs keep queuing locally.

The columns mirror the local tables (``store.schema.TABLES``) plus ``store_id`` (which local
store pushed the run), ``user_name`` and ``host``. Tags are JSON text; artifacts carry their
metadata only (the bytes stay in the local store).
"""

from __future__ import annotations

from .config import RemoteError

SCHEMA = "nbtrack"
SCHEMA_VERSION = 1
_MIGRATE_LOCK = 7_415_001  # pg_advisory_xact_lock key: one migration at a time

# Columns pushed per table, in COPY order (the local column names; `tags` as JSON text).
COLUMNS: dict[str, list[str]] = {
    "runs": [
        "run_id",
        "seq",
        "name",
        "experiment",
        "notebook",
        "cell_id",
        "execution_count",
        "source",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "tags",
        "host",
        "pid",
        "git_commit",
        "git_dirty",
        "error_type",
        "error_message",
        "traceback",
        "context",
        "store_id",
        "user_name",
    ],
    "params": ["run_id", "key", "kind", "num", "text"],
    "metrics": ["run_id", "key", "value", "step", "time", "seq"],
    "series": ["run_id", "key", "step", "value", "time"],
    "inputs": ["run_id", "name", "type", "shape", "fingerprint", "value"],
    "outputs": ["run_id", "name", "type", "shape", "summary"],
    "artifacts": ["run_id", "name", "mime", "size"],
}

MIGRATIONS: dict[int, list[str]] = {
    1: [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"CREATE TABLE {SCHEMA}.meta (key text PRIMARY KEY, value text)",
        f"""CREATE TABLE {SCHEMA}.runs (
            run_id text PRIMARY KEY, seq bigint, name text, experiment text, notebook text,
            cell_id text, execution_count bigint, source text, status text,
            started_at timestamp, ended_at timestamp, duration_s double precision, tags text,
            host text, pid bigint, git_commit text, git_dirty boolean, error_type text,
            error_message text, traceback text, context text, store_id text NOT NULL,
            user_name text, pushed_at timestamptz NOT NULL DEFAULT now())""",
        f"CREATE INDEX ON {SCHEMA}.runs (started_at DESC)",
        f"CREATE INDEX ON {SCHEMA}.runs (store_id)",
        f"CREATE TABLE {SCHEMA}.params (run_id text NOT NULL, key text, kind text, num double precision, text text)",
        f"CREATE INDEX ON {SCHEMA}.params (run_id)",
        f"CREATE TABLE {SCHEMA}.metrics (run_id text NOT NULL, key text, value double precision, "
        "step double precision, time timestamp, seq bigint)",
        f"CREATE INDEX ON {SCHEMA}.metrics (run_id)",
        f"CREATE TABLE {SCHEMA}.series (run_id text NOT NULL, key text, step double precision, "
        "value double precision, time timestamp)",
        # BRIN on time, not a b-tree on (run_id, key): points arrive in time order, so the
        # index stays tiny and COPY keeps its speed (a b-tree halved it here); reads go through
        # DuckDB's scanner, which reads the table, and the push's deletes name a time range.
        f"CREATE INDEX ON {SCHEMA}.series USING brin (time)",
        f"CREATE TABLE {SCHEMA}.inputs (run_id text NOT NULL, name text, type text, shape text, "
        "fingerprint text, value text)",
        f"CREATE INDEX ON {SCHEMA}.inputs (run_id)",
        f"CREATE TABLE {SCHEMA}.outputs (run_id text NOT NULL, name text, type text, shape text, summary text)",
        f"CREATE INDEX ON {SCHEMA}.outputs (run_id)",
        f"CREATE TABLE {SCHEMA}.artifacts (run_id text NOT NULL, name text, mime text, size bigint)",
        f"CREATE INDEX ON {SCHEMA}.artifacts (run_id)",
        # The high-water mark of every pushed run, written in the same transaction as its rows:
        # what a retry after any failure compares against (exactly once).
        f"""CREATE TABLE {SCHEMA}.pushed (
            run_id text PRIMARY KEY, store_id text NOT NULL, seq bigint, status text,
            series_time timestamp, n_points bigint NOT NULL DEFAULT 0)""",
        f"CREATE INDEX ON {SCHEMA}.pushed (store_id)",
    ],
}


def version(con) -> int | None:
    """The schema version, or None when there is no ``nbtrack`` schema yet."""
    # A plain query of the catalog (not to_regclass, whose cached catalog snapshot may miss a
    # migration committed while we waited for the lock).
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = 'nbtrack' AND tablename = 'meta')"
    ).fetchone()
    if not row[0]:
        return None
    row = con.execute("SELECT value FROM nbtrack.meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def check(found: int | None) -> None:
    if found is not None and found > SCHEMA_VERSION:
        raise RemoteError(
            f"nbtrack: the team store was set up by a newer nbtrack (schema {found}, this one knows "
            f"{SCHEMA_VERSION}); upgrade nbtrack (pip install -U nbtrack). Runs keep queuing in "
            "the local store meanwhile."
        )


def migrate(con) -> int:
    """Bring the schema to SCHEMA_VERSION (one process at a time); returns the version found.
    ``con`` must not be in a transaction."""
    found = version(con)
    check(found)
    if found == SCHEMA_VERSION:
        return found
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATE_LOCK])
        found = version(con)  # another process may have migrated meanwhile
        check(found)
        for v in range((found or 0) + 1, SCHEMA_VERSION + 1):
            for stmt in MIGRATIONS[v]:
                con.execute(stmt)
        con.execute(
            "INSERT INTO nbtrack.meta VALUES ('schema_version', %s) ON CONFLICT (key) "
            "DO UPDATE SET value = excluded.value",
            [str(SCHEMA_VERSION)],
        )
    return found or 0


def grant_reader(con, role: str) -> None:
    """Let ``role`` browse the team's runs (SELECT only); writes stay the owner's."""
    from psycopg import sql

    ident = sql.Identifier(role)
    with con.transaction():
        con.execute(sql.SQL("GRANT USAGE ON SCHEMA nbtrack TO {}").format(ident))
        con.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA nbtrack TO {}").format(ident))
        con.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA nbtrack GRANT SELECT ON TABLES TO {}").format(ident))
