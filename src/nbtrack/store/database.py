"""The DuckDB file: attaching it, migrating it, compacting spool files into it.

Opening a DuckDB database costs ~12 ms here, attaching a file to an open in-memory database
under 1 ms, so each process keeps in-memory connections and attaches the store file only while
it holds the store lock (shared to read, exclusive to compact).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from . import spool, tiers
from .errors import StoreBusyError, StoreCorruptError, StoreVersionError
from .lock import store_lock
from .schema import LATEST_BY, MIGRATIONS, SCHEMA_VERSION, TABLES


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for nbtrack's own queries. DuckDB prints a progress bar into
    stdout for queries longer than 2 s; internal queries never print."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET enable_progress_bar_print = false")
    return con


def path_literal(path: Path) -> str:
    # ATTACH takes no bound parameters. This is the store's own file path (configuration, never
    # text typed into a filter), quoted as a SQL string literal.
    return "'" + str(path).replace("'", "''") + "'"


def attach(con: duckdb.DuckDBPyConnection, db_path: Path, read_only: bool) -> None:
    mode = " (READ_ONLY)" if read_only else ""
    try:
        con.execute(f"ATTACH {path_literal(db_path)} AS s{mode}")
    except duckdb.IOException as exc:
        msg = str(exc)
        if "lock" in msg.lower():
            raise StoreBusyError(
                f"nbtrack: the store file {db_path} is held by another process that opened it "
                "read-write outside nbtrack. New runs wait in the spool folder until it closes."
            ) from exc
        raise StoreCorruptError(
            f"nbtrack: cannot open the store file {db_path} ({msg.splitlines()[0]}). "
            "If it is damaged, move it aside; runs not yet moved into it stay in the spool folder."
        ) from exc
    except duckdb.Error as exc:
        raise StoreCorruptError(
            f"nbtrack: cannot open the store file {db_path} ({str(exc).splitlines()[0]}). "
            "If it is damaged, move it aside; runs not yet moved into it stay in the spool folder."
        ) from exc


def detach(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("DETACH s")
    except duckdb.Error:
        pass


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Version of the attached store ``s``; 0 for a new, empty file."""
    try:
        row = con.execute("SELECT value FROM s.meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        return 0
    return int(row[0][0]) if row else 0


def check_version(version: int, db_path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"nbtrack: the store {db_path} was written by a newer nbtrack (schema {version}, "
            f"this one knows {SCHEMA_VERSION}). Upgrade nbtrack (pip install -U nbtrack) to use it; "
            "new runs wait in the spool folder meanwhile."
        )


def migrate(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    version = schema_version(con)
    check_version(version, db_path)
    if version == SCHEMA_VERSION:
        return
    con.execute("USE s")
    try:
        con.execute("BEGIN")
        for v in range(version + 1, SCHEMA_VERSION + 1):
            for stmt in MIGRATIONS[v]:
                con.execute(stmt)
        con.execute("DELETE FROM meta WHERE key = 'schema_version'")
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("USE memory")


def _latest(table: str, source: str) -> str:
    keys, order = LATEST_BY[table]
    return (
        f"SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY {order} DESC) = 1"
    )


MAX_BATCH_BYTES = 8 << 20  # ~0.5 s of compaction here (10,000 short runs are ~11 MB of spool)


def compact(
    con: duckdb.DuckDBPyConnection, store_dir: Path, max_files: int = 500, max_bytes: int = MAX_BATCH_BYTES
) -> int:
    """Move spool files into the DuckDB file, exactly once. Returns how many files moved,
    0 when another process holds the lock. Raises StoreError when the file cannot be used.
    At most ``max_files`` files and about ``max_bytes`` (oldest first, at least one file) per
    call, so readers never wait long for the lock."""
    spool_dir = store_dir / "spool"
    with store_lock(store_dir / "lock", exclusive=True, timeout=0) as got:
        if not got:
            return 0
        return compact_locked(con, store_dir, spool.listing(spool_dir)[:max_files], max_bytes)


def compact_locked(
    con: duckdb.DuckDBPyConnection, store_dir: Path, names: list[str], max_bytes: int = MAX_BATCH_BYTES
) -> int:
    """``compact`` for a caller that holds the store lock exclusively: move the named spool
    files (oldest first, about ``max_bytes``) into the file. Returns how many moved."""
    db_path = store_dir / "nbtrack.duckdb"
    spool_dir = store_dir / "spool"
    names = _batch(spool_dir, names, max_bytes)
    if not names:
        return 0
    attach(con, db_path, read_only=False)
    try:
        migrate(con, db_path)
        done = {r[0] for r in con.execute("SELECT file FROM s.ingested").fetchall()}
        todo = [n for n in names if n not in done]
        tables, bad = spool.read(spool_dir, todo)
        con.execute("BEGIN")
        try:
            for table, data in tables.items():
                if data.num_rows:
                    _fold(con, table, data)
            con.execute("DELETE FROM s.ingested")
            con.execute("INSERT INTO s.ingested SELECT unnest(?)", [[n for n in todo if n not in bad]])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        detach(con)
    for name in names:
        if name in bad:
            _quarantine(spool_dir, name)
        else:
            try:
                os.remove(spool_dir / name)
            except FileNotFoundError:
                pass
    return len(names)


def _batch(spool_dir: Path, names: list[str], max_bytes: int) -> list[str]:
    total = 0
    for i, name in enumerate(names):
        try:
            total += os.stat(spool_dir / name).st_size
        except FileNotFoundError:
            continue
        if total > max_bytes and i > 0:
            return names[:i]
    return names


def _fold(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    con.register("incoming", data)
    try:
        if table in LATEST_BY:
            keys, _ = LATEST_BY[table]
            cond = " AND ".join(f"t.{k} = n.{k}" for k in keys)
            con.execute(f"CREATE OR REPLACE TEMP TABLE newest AS {_latest(table, 'incoming')}")
            con.execute(f"DELETE FROM s.{table} t WHERE EXISTS (SELECT 1 FROM newest n WHERE {cond})")
            con.execute(f"INSERT INTO s.{table} BY NAME SELECT * FROM newest")
            con.execute("DROP TABLE newest")
        else:
            con.execute(f"INSERT INTO s.{table} BY NAME SELECT * FROM incoming")
            if table == "series":  # the points' tier rows, in the same transaction
                tiers.write(con, "incoming")
    finally:
        con.unregister("incoming")


def _quarantine(spool_dir: Path, name: str) -> None:
    bad_dir = spool_dir.parent / "spool-unreadable"
    try:
        bad_dir.mkdir(exist_ok=True)
        os.replace(spool_dir / name, bad_dir / name)
    except OSError:
        pass


# -- reading ---------------------------------------------------------------------------------

STALE_HEARTBEAT_S = 15.0
UNTRACKED_RUNNING_S = 120.0


def define_views(con: duckdb.DuckDBPyConnection, spooled: frozenset[str] = frozenset(TABLES)) -> None:
    """Views over the attached file ``s`` plus the registered spool tables ``spool_<table>``.

    ``spooled``: the tables with rows in the spool. The others read the file alone: merging an
    empty spool (anti join, window) cost ~5 ms per view and query at 2,000 runs."""
    for table in TABLES:
        if table not in spooled:
            union = f"SELECT * FROM s.{table}"
        elif table in LATEST_BY:
            keys, _ = LATEST_BY[table]
            con.execute(f"CREATE OR REPLACE VIEW spool_latest_{table} AS {_latest(table, f'spool_{table}')}")
            union = (
                f"SELECT * FROM s.{table} ANTI JOIN spool_latest_{table} USING ({', '.join(keys)}) "
                f"UNION ALL BY NAME SELECT * FROM spool_latest_{table}"
            )
        else:
            union = f"SELECT * FROM s.{table} UNION ALL BY NAME SELECT * FROM spool_{table}"
        name = "runs_raw" if table == "runs" else table
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {union}")
    # A run still 'running' whose process is gone reads as 'crashed' (see live.py).
    con.execute(
        f"""CREATE OR REPLACE VIEW runs AS
        SELECT r.* EXCLUDE (seq) REPLACE (
            CASE WHEN r.status <> 'running' THEN r.status
                 WHEN l.status IS NOT NULL THEN l.status
                 WHEN epoch_us(r.started_at) < epoch_us(now()) - {UNTRACKED_RUNNING_S * 1_000_000:.0f}
                 THEN 'crashed'
                 ELSE 'running' END AS status)
        FROM runs_raw r LEFT JOIN live_status l USING (run_id)"""
    )


def register_snapshot(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pa.Table],
    live: pa.Table,
    registered: dict | None = None,
) -> None:
    """Register the snapshot's Arrow tables. ``registered`` (name -> table last registered on
    this connection) skips tables that did not change: a register costs ~1-2 ms."""
    wanted = {f"spool_{t}": data for t, data in tables.items()}
    wanted["live_status"] = live
    for name, data in wanted.items():
        if registered is not None:
            old = registered.get(name)
            if (
                old is data
                or (old is not None and old.num_rows == 0 == data.num_rows)
                or (name == "live_status" and old is not None and old.equals(data))
            ):
                continue
            registered[name] = data
        con.register(name, data)


def create_memory_store(con: duckdb.DuckDBPyConnection) -> None:
    """An empty stand-in for a store file that does not exist yet."""
    con.execute("ATTACH ':memory:' AS s")
    con.execute("USE s")
    for stmt in [*MIGRATIONS[1], tiers.CREATE_TABLE]:  # schema 2's backfill: nothing to fill here
        con.execute(stmt)
    con.execute("USE memory")


def empty_tables() -> dict[str, pa.Table]:
    return {t: s.empty_table() for t, s in TABLES.items()}


def empty_live() -> pa.Table:
    return pa.table({"run_id": pa.array([], pa.string()), "status": pa.array([], pa.string())})
