"""Tables of a store, defined once: Arrow schemas for spool files and DDL for DuckDB.

Narrow typed tables (no wide pivot on disk): new parameter or metric keys never change the
schema. ``SCHEMA_VERSION`` goes up with every migration in ``MIGRATIONS``.
"""

from __future__ import annotations

import pyarrow as pa

from . import tiers

SCHEMA_VERSION = 2

TS = pa.timestamp("us")

TABLES: dict[str, pa.Schema] = {
    # One row per run; spool files carry successive versions of a run (higher seq = newer).
    "runs": pa.schema(
        [
            ("run_id", pa.string()),
            ("seq", pa.int64()),
            ("name", pa.string()),
            ("experiment", pa.string()),
            ("notebook", pa.string()),
            ("cell_id", pa.string()),
            ("execution_count", pa.int64()),
            ("source", pa.string()),
            ("status", pa.string()),
            ("started_at", TS),
            ("ended_at", TS),
            ("duration_s", pa.float64()),
            ("tags", pa.list_(pa.string())),
            ("host", pa.string()),
            ("pid", pa.int64()),
            ("git_commit", pa.string()),
            ("git_dirty", pa.bool_()),
            ("error_type", pa.string()),
            ("error_message", pa.string()),
            ("traceback", pa.string()),
            ("context", pa.string()),  # JSON: python, packages, cwd, ...
        ]
    ),
    # kind: int | float | bool | str | none | json. num holds numbers (and bools as 0/1),
    # text holds the string for kind str and the JSON text for every other kind.
    "params": pa.schema(
        [
            ("run_id", pa.string()),
            ("key", pa.string()),
            ("kind", pa.string()),
            ("num", pa.float64()),
            ("text", pa.string()),
        ]
    ),
    # Latest value per (run, key): final scalars and the last point of each series.
    "metrics": pa.schema(
        [
            ("run_id", pa.string()),
            ("key", pa.string()),
            ("value", pa.float64()),
            ("step", pa.float64()),
            ("time", TS),
            ("seq", pa.int64()),
        ]
    ),
    "series": pa.schema(
        [
            ("run_id", pa.string()),
            ("key", pa.string()),
            ("step", pa.float64()),
            ("value", pa.float64()),
            ("time", TS),
        ]
    ),
    "inputs": pa.schema(
        [
            ("run_id", pa.string()),
            ("name", pa.string()),
            ("type", pa.string()),
            ("shape", pa.string()),
            ("fingerprint", pa.string()),
            ("value", pa.string()),
        ]
    ),
    "outputs": pa.schema(
        [
            ("run_id", pa.string()),
            ("name", pa.string()),
            ("type", pa.string()),
            ("shape", pa.string()),
            ("summary", pa.string()),
        ]
    ),
    "artifacts": pa.schema(
        [
            ("run_id", pa.string()),
            ("name", pa.string()),
            ("mime", pa.string()),
            ("size", pa.int64()),
            ("data", pa.binary()),
        ]
    ),
}

# How a table's spool rows fold into the compacted table: tables with a key keep only the
# newest row per key (ordered by seq), the others are append-only.
LATEST_BY: dict[str, tuple[tuple[str, ...], str]] = {
    "runs": (("run_id",), "seq"),
    "metrics": (("run_id", "key"), "seq"),
}

_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.binary(): "BLOB",
    TS: "TIMESTAMP",
    pa.list_(pa.string()): "VARCHAR[]",
}


def create_table_sql(table: str) -> str:
    cols = ", ".join(f"{f.name} {_DUCK_TYPES[f.type]}" for f in TABLES[table])
    return f"CREATE TABLE IF NOT EXISTS {table} ({cols})"


def empty(table: str) -> pa.Table:
    return TABLES[table].empty_table()


# version -> statements that bring a store from version-1 to version.
MIGRATIONS: dict[int, list[str]] = {
    1: [create_table_sql(t) for t in TABLES]
    + [
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)",
        # Spool files already moved into this file; makes compaction exactly-once.
        "CREATE TABLE IF NOT EXISTS ingested (file VARCHAR)",
    ],
    # series_tiers: per-bucket summaries of the series for downsampled reads (tiers.py),
    # computed here for the points already in the file, then kept by compaction.
    2: tiers.migration(),
}
