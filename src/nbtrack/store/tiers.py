"""Series tiers: each series summarised per bucket of 2^k steps, for downsampled reads that
never touch the raw points (issue 13: any read of 10 x 1M raw points cost >= 0.2 s).

A tier row holds, for the points of one (run, key) whose step falls in
``[bucket * 2^k, (bucket + 1) * 2^k)``: their count, lowest and highest step, and the (step,
value) of the bucket's min, max and last point. Compaction writes the rows of the points it
moves in the same transaction (database._fold), so tiers are exactly-once like the points;
the migration to schema 2 computes them for the points already in a file. A bucket whose
points came in several batches has several rows: ``MERGE`` combines them, and any run of
nested buckets (a 2^m bucket is a union of 2^k buckets for k <= m), so a read at width 2^m
takes the finest tier <= m and merges. Points without a step are left out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # schema.py imports this module: the writer's process need not load duckdb
    import duckdb
    import pyarrow as pa

TIERS = (8, 12, 16, 20)  # bucket widths 2^k steps; a read merges at most 2^3 rows per bucket
FINEST = TIERS[0]
FEW_POINTS = 1 << 16  # a series of at most this many points is read raw (query.downsampled_series)

COLUMNS = (
    "run_id VARCHAR, key VARCHAR, tier INTEGER, bucket DOUBLE, n BIGINT, lo_step DOUBLE, hi_step DOUBLE, "
    "min_step DOUBLE, min_value DOUBLE, max_step DOUBLE, max_value DOUBLE, last_step DOUBLE, last_value DOUBLE"
)

# A bucket's summary from raw points (step, value) ...
POINTS = """count(*) AS n, min(step) AS lo_step, max(step) AS hi_step,
    arg_min(step, value) AS min_step, min(value) AS min_value,
    arg_max(step, value) AS max_step, max(value) AS max_value,
    max(step) FILTER (WHERE value IS NOT NULL) AS last_step,
    arg_max(value, step) FILTER (WHERE value IS NOT NULL) AS last_value"""

# ... and from summaries of parts of it (the same columns).
MERGE = """sum(n)::BIGINT AS n, min(lo_step) AS lo_step, max(hi_step) AS hi_step,
    arg_min(min_step, min_value) AS min_step, min(min_value) AS min_value,
    arg_max(max_step, max_value) AS max_step, max(max_value) AS max_value,
    max(last_step) AS last_step, arg_max(last_value, last_step) AS last_value"""


def tiers_sql(points: str) -> str:
    """Every tier's rows for the points of the relation ``points`` (run_id, key, step, value):
    one pass over the points for the finest tier, the coarser ones from its rows."""
    width = 2.0**FINEST
    coarser = ", ".join(f"({k})" for k in TIERS[1:])
    return f"""WITH fine AS MATERIALIZED (
            SELECT run_id, key, floor(step / {width!r}) AS bucket, {POINTS}
            FROM {points} WHERE step IS NOT NULL GROUP BY run_id, key, floor(step / {width!r}))
        SELECT run_id, key, {FINEST} AS tier, bucket, n, lo_step, hi_step, min_step, min_value,
               max_step, max_value, last_step, last_value FROM fine
        UNION ALL
        SELECT run_id, key, t.tier, floor(lo_step / pow(2, t.tier)) AS bucket, {MERGE}
        FROM fine, (VALUES {coarser}) t(tier)
        GROUP BY run_id, key, t.tier, floor(lo_step / pow(2, t.tier))"""


CREATE_TABLE = f"CREATE TABLE IF NOT EXISTS series_tiers ({COLUMNS})"


def migration() -> list[str]:
    """Schema 2: the tiers table, filled from the points already in the file."""
    return [CREATE_TABLE, f"INSERT INTO series_tiers {tiers_sql('series')}"]


def write(con: duckdb.DuckDBPyConnection, points: str) -> None:
    """Add the tier rows of the points in ``points`` (compaction's incoming batch)."""
    con.execute(f"INSERT INTO s.series_tiers {tiers_sql(points)}")


def available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the snapshot's file has tiers (schema 2; not a team store, not a v1 file that
    no compaction has migrated yet)."""
    return bool(
        con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = 's' AND table_name = 'series_tiers'"
        ).fetchall()
    )


def bounds(con: duckdb.DuckDBPyConnection, run_id: str, keys: list[str] | None) -> list[tuple]:
    """(key, points, lowest step, highest step) of each series of the run, from the coarsest
    tier (the file's points) and the spool's points, ordered by key."""
    key_cond, key_args = ("", []) if not keys else (" AND list_contains(?, key)", [list(keys)])
    return con.execute(
        f"""SELECT key, sum(n)::BIGINT, min(lo), max(hi) FROM (
                SELECT key, n, lo_step AS lo, hi_step AS hi FROM s.series_tiers
                WHERE run_id = ? AND tier = {TIERS[-1]}{key_cond}
                UNION ALL
                SELECT key, count(*), min(step), max(step) FROM spool_series
                WHERE run_id = ?{key_cond} GROUP BY key)
            GROUP BY key ORDER BY key""",
        [run_id, *key_args, run_id, *key_args],
    ).fetchall()


def exponent(lo: float, hi: float, buckets: int) -> int:
    """The smallest m such that the steps lo..hi fall into at most ``buckets`` buckets of 2^m."""
    span = hi - lo
    m = math.floor(math.log2(span / buckets)) if span > 0 else FINEST
    while math.floor(hi / 2.0**m) - math.floor(lo / 2.0**m) + 1 > buckets:
        m += 1
    return m


def envelope(con: duckdb.DuckDBPyConnection, run_id: str, key: str, m: int) -> pa.Table:
    """One series reduced to buckets of 2^m steps: each bucket's min and max point and the
    series' last point (run_id, key, step, value; duplicates possible). From the finest tier
    <= m for the file's points plus the spool's raw points, or from every raw point when no
    tier is fine enough (or the store has none)."""
    width = 2.0**m
    raw = f"""SELECT floor(step / {width!r}) AS bucket, {POINTS} FROM {{points}}
              WHERE run_id = $run AND key = $key AND step IS NOT NULL GROUP BY 1"""
    tier = max((k for k in TIERS if k <= m), default=None)
    if tier is None:
        parts = raw.format(points="series")
    else:
        parts = f"""SELECT floor(lo_step / {width!r}) AS bucket, * EXCLUDE (run_id, key, tier, bucket)
                    FROM s.series_tiers WHERE run_id = $run AND key = $key AND tier = {tier}
                    UNION ALL {raw.format(points="spool_series")}"""
    return con.execute(
        f"""WITH b AS (SELECT bucket, {MERGE} FROM ({parts}) GROUP BY bucket)
            SELECT $run AS run_id, $key AS key, unnest([min_step, max_step]) AS step,
                   unnest([min_value, max_value]) AS value FROM b WHERE min_value IS NOT NULL
            UNION ALL
            (SELECT $run, $key, last_step, last_value FROM b WHERE last_step IS NOT NULL
             ORDER BY last_step DESC LIMIT 1)""",
        {"run": run_id, "key": key},
    ).fetch_arrow_table()
