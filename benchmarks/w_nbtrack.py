"""nbtrack workloads; runs in the project's venv, one workload per process (see common.py).

The %%track workloads run in a real IPython shell (``InteractiveShell.instance()``) with
``%load_ext nbtrack``, the way a Jupyter kernel runs a cell (``run_cell`` with a cell id).
"""

from __future__ import annotations

import os
import sys

T_PROCESS = __import__("time").perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    CELL_BODY,
    METRIC_NAMES,
    SERIES_KEY,
    SERIES_STEPS,
    dir_size,
    median,
    metrics_for,
    now,
    params_for,
    pct,
    series_for,
    worker_args,
    write_result,
)

TRACK_LINE = "%%track --name bench\n"


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def store_bytes(store) -> dict:
    db = store.db_path.stat().st_size if store.db_path.exists() else 0
    wal = store.db_path.with_suffix(".duckdb.wal")
    return {"disk_bytes": dir_size(store.dir), "db_bytes": db, "wal_bytes": wal.stat().st_size if wal.exists() else 0}


# -- workload 1: import + %load_ext + first tracked cell --------------------------------------


def first_run(a) -> dict:
    shell = make_shell()  # a kernel has its shell before the user's first cell
    t0 = now()
    shell.run_line_magic("load_ext", "nbtrack")
    t1 = now()
    r = shell.run_cell(TRACK_LINE + CELL_BODY, store_history=True, cell_id="cell-1")
    t2 = now()
    assert r.success, r
    import nbtrack

    nbtrack.store().flush()
    t3 = now()
    return {"import_s": t1 - t0, "first_run_s": t2 - t0, "until_spooled_s": t3 - t0}


# -- workload 2: one run = one %%track cell, vs the same cell untracked -----------------------


def per_run(a) -> dict:
    shell = make_shell()
    shell.run_line_magic("load_ext", "nbtrack")
    import nbtrack

    tracked_src = TRACK_LINE + CELL_BODY
    plain_src = CELL_BODY
    run = shell.run_cell

    def one(src, cid):
        t = now()
        r = run(src, store_history=True, cell_id=cid)
        el = now() - t
        if not r.success:
            raise RuntimeError(r)
        return el

    for _ in range(5):  # warm-up: first cell, history fetch, writer thread, caches
        one(tracked_src, "cell-track")
        one(plain_src, "cell-plain")
    nbtrack.store().flush()
    tracked, plain, added = [], [], []
    for i in range(a.n):
        if i % 2:
            p = one(plain_src, "cell-plain")
            t = one(tracked_src, "cell-track")
        else:
            t = one(tracked_src, "cell-track")
            p = one(plain_src, "cell-plain")
        tracked.append(t)
        plain.append(p)
        added.append(t - p)
    out = {}
    if a.cap:  # "spaced": cells 0.6 s apart, as a person runs them (the writer works in between)
        import time

        sp_t, sp_p = [], []
        for _ in range(int(a.cap)):
            time.sleep(0.6)
            sp_t.append(one(tracked_src, "cell-track"))
            time.sleep(0.6)
            sp_p.append(one(plain_src, "cell-plain"))
        out = {
            "spaced_per_run_s": median(sp_t),
            "spaced_untracked_s": median(sp_p),
            "spaced_added_s": median(sp_t) - median(sp_p),
            "spaced_n": len(sp_t),
        }
    t = now()
    nbtrack.store().flush()
    flush = now() - t
    n_runs = len(nbtrack.runs())
    return {
        **out,
        "per_run_s": median(tracked),
        "per_run_p95_s": pct(tracked, 0.95),
        "untracked_s": median(plain),
        "added_s": median(added),
        "added_p95_s": pct(added, 0.95),
        "final_flush_s": flush,
        "runs_in_store": n_runs,
        "n": a.n,
    }


# -- workload 3: single-point log calls, per call and "batched" (5 keys per call) -------------

LOOP_SINGLE = """\
%%track -q --name logbench
import time as _t
_t0 = _t.perf_counter()
for _i in range({n}):
    nbtrack.log(loss=_i * 0.5)
_elapsed = _t.perf_counter() - _t0
"""

LOOP_BATCH = """\
%%track -q --name logbatch
import time as _t
_t0 = _t.perf_counter()
for _i in range({calls}):
    nbtrack.log(step=_i, loss=0.5, accuracy=0.25, f1=0.125, precision=1.5, recall=2.5)
_elapsed = _t.perf_counter() - _t0
"""

LOOP_NOOP = """\
import time as _t
def _noop(step=None, **kw):
    pass
_t0 = _t.perf_counter()
for _i in range({n}):
    _noop(loss=_i * 0.5)
_elapsed = _t.perf_counter() - _t0
"""


def log_calls(a) -> dict:
    shell = make_shell()
    shell.run_line_magic("load_ext", "nbtrack")
    import nbtrack

    store = nbtrack.store()
    out = {"n": a.n}

    def timed(src):
        t = now()
        r = shell.run_cell(src, store_history=True, cell_id="cell-log")
        cell = now() - t
        assert r.success, r
        t = now()
        store.flush()
        return shell.user_ns["_elapsed"], cell, now() - t

    shell.run_cell(LOOP_NOOP.format(n=a.n))
    out["noop_call_s"] = shell.user_ns["_elapsed"] / a.n
    loop, cell, flush = timed(LOOP_SINGLE.format(n=a.n))
    out["per_call_s"] = loop / a.n
    out["per_call_stored_s"] = (cell + flush) / a.n  # whole cell incl. end of run + until spooled
    if a.n >= 1_000_000:  # the goal's loop: per-call figures only
        return out
    calls = a.n // len(METRIC_NAMES)
    loop, cell, flush = timed(LOOP_BATCH.format(calls=calls))
    out["batch_per_point_s"] = loop / (calls * len(METRIC_NAMES))
    out["batch_per_point_stored_s"] = (cell + flush) / (calls * len(METRIC_NAMES))
    store.compact()
    out["points_in_store"] = int(nbtrack.sql("SELECT count(*) AS n FROM series")["n"][0])
    return out


# -- workloads 4/5: fill a store with N runs, then query it -----------------------------------


def fill_api(a) -> dict:
    """N runs through the public Run API: 10 params, a 100-step series, 5 final metrics."""
    os.environ["NBTRACK_STORE"] = a.store
    import nbtrack
    from nbtrack import Run

    store = nbtrack.store(a.store)
    t0 = now()
    for i in range(a.n):
        run = Run(store, name=f"run-{i}", experiment="bench", params=params_for(i), source=CELL_BODY)
        run.begin()
        for s, v in enumerate(series_for(i)):
            run.log(s, {SERIES_KEY: v})
        m = run.last_values()
        m.update(metrics_for(i))
        run.end("finished", metrics=m)
    t1 = now()
    store.flush(timeout=600)
    t2 = now()
    store.compact()
    t3 = now()
    return {
        "fill_s": t1 - t0,
        "fill_spooled_s": t2 - t0,
        "compact_s": t3 - t2,
        "runs": a.n,
        "runs_per_s": a.n / (t2 - t0),
        **store_bytes(store),
    }


def fill_bulk(a) -> dict:
    """N runs written as Arrow tables straight through the store's writer (same rows a
    %%track cell produces), compacted in chunks: only for building large stores fast."""
    import datetime as dt
    import json
    import socket

    import numpy as np
    import pyarrow as pa

    import nbtrack
    from nbtrack.capture import context
    from nbtrack.capture.values import param_kind
    from nbtrack.store.ids import new_run_id
    from nbtrack.store.schema import TABLES, TS

    store = nbtrack.store(a.store)
    host, pid = socket.gethostname(), os.getpid()
    ctx = json.dumps({**context.static_context(), "cwd": os.getcwd(), "packages": context.packages()})
    steps = np.arange(SERIES_STEPS, dtype=np.float64)
    chunk = 25_000
    t0 = now()
    for lo in range(0, a.n, chunk):
        hi = min(a.n, lo + chunk)
        k = hi - lo
        ids = [new_run_id() for _ in range(k)]
        base = dt.datetime.utcnow()
        started = pa.array([base + dt.timedelta(milliseconds=i) for i in range(k)], TS)
        ended = pa.array([base + dt.timedelta(milliseconds=i + 500) for i in range(k)], TS)
        runs = pa.table(
            {
                "run_id": ids,
                "seq": pa.array([2] * k, pa.int64()),
                "name": [f"run-{lo + i}" for i in range(k)],
                "experiment": ["bench"] * k,
                "notebook": ["bench.ipynb"] * k,
                "cell_id": [f"cell-{(lo + i) % 50}" for i in range(k)],
                "execution_count": pa.array(range(lo, hi), pa.int64()),
                "source": [CELL_BODY] * k,
                "status": ["finished"] * k,
                "started_at": started,
                "ended_at": ended,
                "duration_s": [0.5] * k,
                "tags": pa.array([[]] * k, pa.list_(pa.string())),
                "host": [host] * k,
                "pid": pa.array([pid] * k, pa.int64()),
                "git_commit": [None] * k,
                "git_dirty": pa.array([None] * k, pa.bool_()),
                "error_type": [None] * k,
                "error_message": [None] * k,
                "traceback": [None] * k,
                "context": [ctx] * k,
            },
            schema=TABLES["runs"],
        )
        idx = np.arange(lo, hi)
        rid = np.array(ids, dtype=object)
        # params: the template's kinds; seed and lr vary per run as in params_for()
        pk, pkind, pnum, ptext = [], [], [], []
        for key, value in params_for(0).items():
            if key == "seed":
                kind, num, text = "int", idx.astype(np.float64), [str(i) for i in idx]
            elif key == "lr":
                num = 0.001 * (1 + idx % 10)
                kind, text = "float", [repr(float(v)) for v in num]
            else:
                kind, n1, t1 = param_kind(value)
                num, text = np.full(k, np.nan if n1 is None else n1), [t1] * k
            pk.append(np.full(k, key, dtype=object))
            pkind.append(np.full(k, kind, dtype=object))
            pnum.append(np.where(np.isnan(num), None, num) if kind in ("str", "none", "json") else num)
            ptext.append(np.array(text, dtype=object))
        nk = len(pk)
        params = pa.table(
            {
                "run_id": pa.array(np.tile(rid, nk), pa.string()),
                "key": pa.array(np.concatenate(pk), pa.string()),
                "kind": pa.array(np.concatenate(pkind), pa.string()),
                "num": pa.array(np.concatenate([np.asarray(x, dtype=object) for x in pnum]), pa.float64()),
                "text": pa.array(np.concatenate(ptext), pa.string()),
            },
            schema=TABLES["params"],
        )
        # series: series_for(i) vectorised; metrics: 5 finals + the series' last point
        values = np.add.outer((idx % 7) * 1e-3, 1.0 / (steps + 1)).ravel()
        finals = [metrics_for(i) for i in range(lo, hi)]
        mkeys = list(METRIC_NAMES) + [SERIES_KEY]
        mvals = [np.array([f[m] for f in finals]) for m in METRIC_NAMES]
        mvals.append(values.reshape(k, SERIES_STEPS)[:, -1])
        t_us = int(base.timestamp() * 1e6)
        metrics = pa.table(
            {
                "run_id": pa.array(np.tile(rid, len(mkeys)), pa.string()),
                "key": pa.array(np.repeat(np.array(mkeys, dtype=object), k), pa.string()),
                "value": np.concatenate(mvals),
                "step": pa.array([None] * (k * len(METRIC_NAMES)) + [SERIES_STEPS - 1.0] * k, pa.float64()),
                "time": pa.array(np.full(k * len(mkeys), t_us, np.int64)).cast(TS),
                "seq": pa.array(np.ones(k * len(mkeys), np.int64)),
            },
            schema=TABLES["metrics"],
        )
        series = pa.table(
            {
                "run_id": pa.array(np.repeat(rid, SERIES_STEPS), pa.string()),
                "key": pa.array(np.full(k * SERIES_STEPS, SERIES_KEY, dtype=object), pa.string()),
                "step": np.tile(steps, k),
                "value": values,
                "time": pa.array(np.full(k * SERIES_STEPS, t_us, np.int64)).cast(TS),
            },
            schema=TABLES["series"],
        )
        w = store.writer
        for name, table in (("runs", runs), ("params", params), ("metrics", metrics), ("series", series)):
            w.put(name, table)
        store.compact()
    t1 = now()
    return {"fill_s": t1 - t0, "runs_per_s": a.n / (t1 - t0), "runs": a.n, **store_bytes(store)}


def query(a) -> dict:
    """runs() into a DataFrame and the series of 10 runs, first call then warm repeats."""
    os.environ["NBTRACK_STORE"] = a.store
    import pandas  # noqa: F401  (imported before timing: the peers' imports bring it too)

    import nbtrack

    reps = 5
    t = now()
    frame = nbtrack.runs()
    frame_first = now() - t
    assert len(frame) == a.n, (len(frame), a.n)
    assert "params.lr" in frame and "metrics.accuracy" in frame, list(frame.columns)
    warm = []
    for _ in range(reps):
        t = now()
        nbtrack.runs()
        warm.append(now() - t)
    ids = list(frame["run_id"][:: max(1, len(frame) // 10)][:10])
    t = now()
    s = nbtrack.series(ids, SERIES_KEY)
    series_first = now() - t
    assert len(s) == 10 * SERIES_STEPS, len(s)
    series_warm = []
    for _ in range(reps):
        t = now()
        nbtrack.series(ids, SERIES_KEY)
        series_warm.append(now() - t)
    return {
        "frame_first_s": frame_first,
        "frame_s": median(warm),
        "series10_first_s": series_first,
        "series10_s": median(series_warm),
        "rows": len(frame),
        "columns": frame.shape[1],
        **store_bytes(nbtrack.store()),
    }


def table(a) -> dict:
    """Kernel side of the run table (workload 6 without the browser): the widget's first page,
    the background build of its cache, and sort / filter round trips served from the cache."""
    os.environ["NBTRACK_STORE"] = a.store
    import pandas  # noqa: F401

    import nbtrack

    t = now()
    from nbtrack.widgets.run_table import RunTable  # noqa: F401  (ipywidgets, anywidget)

    imp = now() - t
    t = now()
    w = nbtrack.table()
    r = w._req_page({"offset": 0, "limit": 50})
    first = now() - t
    assert r.fields["total"] == a.n and r.tables["rows"].num_rows == 50, r.fields
    build = float("nan")
    if w._building is not None:
        t = now()
        w._building.join()
        build = now() - t
    sorts, filt = [], []
    for i in range(5):
        col = ("metrics.accuracy", "params.lr", "metrics.loss", "name", "params.seed")[i]
        t = now()
        r = w._req_page({"offset": 0, "limit": 50, "sort": [{"column": col, "dir": "desc"}]})
        sorts.append(now() - t)
        t = now()
        w._req_page(
            {
                "offset": 0,
                "limit": 50,
                "sort": [{"column": col, "dir": "asc"}],
                "filters": [{"column": "metrics.accuracy", "op": ">", "value": 0.5}],
            }
        )
        filt.append(now() - t)
    return {
        "widget_import_s": imp,
        "first_page_s": first,
        "cache_build_s": build,
        "sort_page_s": median(sorts),
        "filter_sort_page_s": median(filt),
    }


def fill_series(a) -> dict:
    """10 runs with ``--n`` steps each of one series (the compare view's workload), written as
    Arrow tables through the writer, then compacted; then the kernel side of nbtrack.compare."""
    import numpy as np
    import pyarrow as pa

    import nbtrack
    from nbtrack import Run
    from nbtrack.store.schema import TABLES, TS

    os.environ["NBTRACK_STORE"] = a.store
    store = nbtrack.store(a.store)
    t0 = now()
    ids = []
    steps = np.arange(a.n, dtype=np.float64)
    for i in range(10):
        run = Run(store, name=f"long-{i}", experiment="long", params=params_for(i), source=CELL_BODY)
        run.begin()
        values = 1.0 / (steps + 1) + 0.01 * i + 0.001 * np.sin(steps / 100)
        t_us = int(time_now() * 1e6)
        store.writer.put(
            "series",
            pa.table(
                {
                    "run_id": pa.array(np.full(a.n, run.run_id, dtype=object), pa.string()),
                    "key": pa.array(np.full(a.n, SERIES_KEY, dtype=object), pa.string()),
                    "step": steps,
                    "value": values,
                    "time": pa.array(np.full(a.n, t_us, np.int64)).cast(TS),
                },
                schema=TABLES["series"],
            ),
        )
        run.end("finished", metrics={SERIES_KEY: float(values[-1]), **metrics_for(i)})
        ids.append(run.run_id)
    store.compact()
    fill = now() - t0
    t = now()
    import nbtrack.charts  # noqa: F401  (Altair: imported on the first compare)
    from nbtrack.widgets.comparison import compare_payload

    imp = now() - t
    t = now()
    reply = compare_payload(store, ids)
    payload = now() - t
    t = now()
    compare_payload(store, ids)
    payload2 = now() - t
    rows = sum(tb.num_rows for tb in getattr(reply, "tables", {}).values())
    return {
        "fill_s": fill,
        "points": 10 * a.n,
        "compare_payload_s": payload,
        "charts_import_s": imp,
        "compare_payload_again_s": payload2,
        "compare_payload_rows": rows,
        **store_bytes(store),
    }


def time_now() -> float:
    import time

    return time.time()


WORKLOADS = {
    "first_run": first_run,
    "per_run": per_run,
    "log_calls": log_calls,
    "fill_api": fill_api,
    "fill_bulk": fill_bulk,
    "query": query,
    "table": table,
    "fill_series": fill_series,
}

if __name__ == "__main__":
    a = worker_args()
    os.chdir(a.workdir)
    res = WORKLOADS[a.workload](a)
    res["process_s"] = now() - T_PROCESS
    write_result(a.out, res)
    os._exit(0)  # skip the atexit flush/compact of the store: measured separately where it matters
