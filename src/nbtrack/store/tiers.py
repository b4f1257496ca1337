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

if TYPE_CHECKING:  # schema.py imports this module: importing it loads neither
    import duckdb
    import pyarrow as pa

# Bucket widths 2^k steps. A read at 2^m merges up to 2^(m-k) rows a bucket (at most 32 below
# m = 14: 10 x 1M steps in 250 buckets read 39,000 rows). Every tier costs compaction a row per
# series and batch: what short runs pay (benchmarks/results/2026-12-04-compare-tiers.md).
TIERS = (8, 14)
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
    no compaction has migrated yet). Binding a query is enough (duckdb_tables() cost 15 ms)."""
    import duckdb

    try:
        con.execute("SELECT 1 FROM s.series_tiers LIMIT 0")
    except duckdb.Error:
        return False
    return True


def bounds(con: duckdb.DuckDBPyConnection, run_ids: list[str], keys: list[str] | None) -> list[tuple]:
    """(run_id, key, points, lowest step, highest step) of each series of the runs, from the
    coarsest tier (the file's points) and the spool's points, ordered by run and key."""
    key_cond, key_args = ("", []) if not keys else (" AND list_contains(?, key)", [list(keys)])
    return con.execute(
        f"""SELECT run_id, key, sum(n)::BIGINT, min(lo), max(hi) FROM (
                SELECT run_id, key, n, lo_step AS lo, hi_step AS hi FROM s.series_tiers
                WHERE tier = {TIERS[-1]} AND list_contains(?, run_id){key_cond}
                UNION ALL
                SELECT run_id, key, count(*), min(step), max(step) FROM spool_series
                WHERE list_contains(?, run_id){key_cond} GROUP BY run_id, key)
            GROUP BY run_id, key ORDER BY run_id, key""",
        [run_ids, *key_args, run_ids, *key_args],
    ).fetchall()


def exponent(lo: float, hi: float, buckets: int) -> int:
    """The smallest m such that the steps lo..hi fall into at most ``buckets`` buckets of 2^m."""
    span = hi - lo
    m = math.floor(math.log2(span / buckets)) if span > 0 else FINEST
    while math.floor(hi / 2.0**m) - math.floor(lo / 2.0**m) + 1 > buckets:
        m += 1
    return m


def envelopes(con: duckdb.DuckDBPyConnection, wanted: list[tuple[str, str, int]]) -> list[pa.Table]:
    """Series (run_id, key, m) reduced to buckets of 2^m steps: each bucket's min and max
    point and the series' last point (run_id, key, step, value; duplicates possible). One
    query for every series with a tier <= m (its rows of the finest such tier, for the file's
    points, plus the spool's raw points); one over the raw points for each other series."""
    parts = [
        con.execute(
            _points_of(
                f"""SELECT run_id, key, floor(step / {2.0**m!r}) AS bucket, {POINTS} FROM series
                    WHERE run_id = ? AND key = ? AND step IS NOT NULL GROUP BY ALL"""
            ),
            [run_id, key],
        ).fetch_arrow_table()
        for run_id, key, m in wanted
        if m < FINEST
    ]
    tiered = [(run_id, key, m) for run_id, key, m in wanted if m >= FINEST]
    if tiered:
        run_ids, keys, ms = (list(c) for c in zip(*tiered))
        tier_of = [max(k for k in TIERS if k <= m) for m in ms]
        summaries = f"""SELECT t.run_id, t.key, floor(t.lo_step / w.width) AS bucket,
                           t.* EXCLUDE (run_id, key, tier, bucket)
                       FROM s.series_tiers t JOIN wanted w ON t.run_id = w.run_id AND t.key = w.key AND t.tier = w.tier
                       UNION ALL
                       SELECT p.run_id, p.key, floor(p.step / w.width) AS bucket, {POINTS}
                       FROM spool_series p JOIN wanted w ON p.run_id = w.run_id AND p.key = w.key
                       WHERE p.step IS NOT NULL GROUP BY ALL"""
        wanted_sql = """wanted AS (SELECT unnest(?::VARCHAR[]) AS run_id, unnest(?::VARCHAR[]) AS key,
                            unnest(?::INTEGER[]) AS tier, unnest(?::DOUBLE[]) AS width)"""
        parts.append(
            con.execute(
                _points_of(summaries, wanted_sql), [run_ids, keys, tier_of, [2.0**m for m in ms]]
            ).fetch_arrow_table()
        )
    return parts


def _points_of(summaries: str, ctes: str = "") -> str:
    """From bucket summaries (run_id, key, bucket, then POINTS' columns; several per bucket
    allowed) to the points kept: each bucket's min and max, each series' last."""
    return f"""WITH {ctes + "," if ctes else ""}
            b AS (SELECT run_id, key, bucket, {MERGE} FROM ({summaries}) GROUP BY run_id, key, bucket)
        SELECT run_id, key, unnest([min_step, max_step]) AS step, unnest([min_value, max_value]) AS value
        FROM b WHERE min_value IS NOT NULL
        UNION ALL
        SELECT run_id, key, max(last_step), arg_max(last_value, last_step) FROM b
        GROUP BY run_id, key HAVING max(last_step) IS NOT NULL"""
