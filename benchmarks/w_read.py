"""The read model and the writer against issue 13's goals, one process per workload (run.py's
W8 drives them, or run one by hand):

    .venv/bin/python benchmarks/w_read.py --tool nbtrack --workload read_rest --workdir /tmp/r \
        --out /tmp/r/r.json --n 100000

- ``read_rest``: a store of ``n`` runs (bulk-written, compacted: w_nbtrack.fill_bulk), then
  ``nbtrack.runs()`` first call and median of 5, the table's first page and a filtered +
  sorted page of the server's ``GET runs`` query (``api_queries.list_runs``).
- ``writer_points``: one run with ``n`` points buffered (``nbtrack.log`` in a loop, timed
  apart), then the drain path: points -> Arrow -> spool file (points/s into the spool).
- ``compare``: 10 runs x ``n`` steps, then ``compare_payload`` (kernel side): w_nbtrack.fill_series.
- ``compact_long`` / ``compact_short``: ``n`` series points in spool files of ~100,000 points
  (10 runs of ``n / 10`` points; or runs of 20 points, 2 keys), then compaction of the whole
  spool in its ordinary batches (points/s of compaction: what series tiers add to it).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import worker_args, write_result  # noqa: E402


def read_rest(a) -> dict:
    import w_nbtrack

    a.store = os.environ["NBTRACK_STORE"]
    fill = w_nbtrack.fill_bulk(a)
    import nbtrack
    from nbtrack.store import api_queries

    t = time.perf_counter()
    frame = nbtrack.runs()
    first = time.perf_counter() - t
    assert len(frame) == a.n, (len(frame), a.n)
    warm = []
    for _ in range(5):
        t = time.perf_counter()
        nbtrack.runs()
        warm.append(time.perf_counter() - t)
    store = nbtrack.store()
    server = []
    for _ in range(5):
        t = time.perf_counter()
        page = api_queries.list_runs(
            store, filters=[["metrics.accuracy", ">", 0.5]], q="run-1", sort="-params.lr", limit=100
        )
        server.append(time.perf_counter() - t)
    w = nbtrack.table()
    t = time.perf_counter()
    r = w._req_page({"offset": 0, "limit": 50})
    table_first = time.perf_counter() - t
    assert r.fields["total"] == a.n
    return {
        "runs": a.n,
        "fill_s": fill["fill_s"],
        "runs_first_s": first,
        "runs_s": statistics.median(warm),
        "server_page_s": statistics.median(server),
        "server_total": page.total,
        "table_first_page_s": table_first,
        "columns": frame.shape[1],
    }


def writer_points(a) -> dict:
    import nbtrack

    store = nbtrack.store()
    run = nbtrack.start(name="points")
    run.begin()
    w = store.writer
    with w._lock:  # hold the writer thread off: the whole buffer goes in one timed pass
        t = time.perf_counter()
        log = run.log
        for i in range(a.n):
            log(step=i, metrics={"loss": 1.0 / (i + 1)})
        log_s = time.perf_counter() - t
        t, cpu = time.perf_counter(), time.thread_time()
        ok = w._pass()
        drain_s, drain_cpu = time.perf_counter() - t, time.thread_time() - cpu
    assert ok
    run.end("finished")
    store.flush()
    n = int(nbtrack.sql("SELECT count(*) AS n FROM series").n[0])
    assert n == a.n, (n, a.n)
    return {
        "points": a.n,
        "log_calls_per_s": a.n / log_s,
        "drain_to_spool_s": drain_s,
        "points_per_s_into_spool": a.n / drain_s,
        # This thread's CPU time for the pass: on a loaded machine the wall time also counts
        # waiting for a core.
        "drain_cpu_s": drain_cpu,
        "points_per_cpu_s": a.n / drain_cpu,
    }


def compare(a) -> dict:
    import w_nbtrack

    a.store = os.environ["NBTRACK_STORE"]
    return w_nbtrack.fill_series(a)


def _compact_points(a, runs: int, keys: int) -> dict:
    import numpy as np
    import pyarrow as pa

    from nbtrack.store import database, spool
    from nbtrack.store.schema import TABLES, TS

    store_dir = Path(os.environ["NBTRACK_STORE"])
    spool_dir = store_dir / "spool"
    spool_dir.mkdir(parents=True, exist_ok=True)
    per_series = a.n // (runs * keys)
    ids = np.array([f"{i:016d}" for i in range(runs)], dtype=object)
    names = np.array([f"key{k}" for k in range(keys)], dtype=object)
    run_of = np.repeat(ids, keys * per_series)
    key_of = np.tile(np.repeat(names, per_series), runs)
    steps = np.tile(np.arange(per_series, dtype=np.float64), runs * keys)
    values = np.random.default_rng(0).uniform(0.0, 1.0, len(steps))
    total = len(steps)
    for lo in range(0, total, 100_000):
        hi = min(total, lo + 100_000)
        table = pa.table(
            {
                "run_id": pa.array(run_of[lo:hi], pa.string()),
                "key": pa.array(key_of[lo:hi], pa.string()),
                "step": steps[lo:hi],
                "value": values[lo:hi],
                "time": pa.array(np.full(hi - lo, 1_700_000_000_000_000, np.int64)).cast(TS),
            },
            schema=TABLES["series"],
        )
        spool.write(spool_dir, "series", table)
    con = database.connect()
    t, cpu = time.perf_counter(), time.process_time()  # CPU time: less bent by a loaded machine
    batches = 0
    while spool.listing(spool_dir):
        database.compact(con, store_dir)
        batches += 1
    took, cpu = time.perf_counter() - t, time.process_time() - cpu
    database.attach(con, store_dir / "nbtrack.duckdb", read_only=True)
    moved = con.execute("SELECT count(*) FROM s.series").fetchall()[0][0]
    database.detach(con)
    assert moved == total, (moved, total)
    return {
        "points": total,
        "series": runs * keys,
        "compact_s": took,
        "batches": batches,
        "compact_points_per_s": total / took,
        "compact_cpu_s": cpu,
        "compact_points_per_cpu_s": total / cpu,
        "db_bytes": os.path.getsize(store_dir / "nbtrack.duckdb"),
    }


def compact_long(a) -> dict:
    return _compact_points(a, runs=10, keys=1)


def compact_short(a) -> dict:
    return _compact_points(a, runs=max(1, a.n // 40), keys=2)


WORKLOADS = {
    "read_rest": read_rest,
    "writer_points": writer_points,
    "compare": compare,
    "compact_long": compact_long,
    "compact_short": compact_short,
}

if __name__ == "__main__":
    a = worker_args()
    os.makedirs(a.workdir, exist_ok=True)
    os.chdir(a.workdir)
    os.environ.setdefault("NBTRACK_STORE", os.path.join(a.workdir, ".nbtrack"))
    res = WORKLOADS[a.workload](a)
    write_result(a.out, res)
    print(json.dumps(res, indent=1))
    os._exit(0)
