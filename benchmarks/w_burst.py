"""Bursts of runs (issue 13): what a reader sees right after, and how far the spool lags.

Workloads (one per process, like w_nbtrack.py; run.py's W7 drives them, or run one by hand):

    .venv/bin/python benchmarks/w_burst.py --tool nbtrack --workload burst_same --workdir /tmp/b \
        --out /tmp/b/r.json --n 20000

- ``burst_same``: ``n`` runs made in a loop (``with nbtrack.start(...)``, 10 params and one
  logged point each), then ``nbtrack.runs()`` three times in the same process: rows returned
  and seconds per call; also the CPU time per run of the loop's thread and of the process.
- ``burst_same_run_methods``: the same with the params and the point through the run's own
  methods (``run.log_params({...})``, ``run.log(loss=...)``).
- ``burst_other``: a child process makes the same loop and stays alive; this process polls
  the store (another process's view) every 0.2 s. Reported: the loop's duration, the largest
  age of a finished run not yet visible at any poll (what a ``kill -9`` at that moment would
  lose), the time from the loop's end until every run is visible, the spool files the burst
  made (runs per file), and how long the polling reads took (median, slowest: a read waits
  for at most one compaction batch).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import worker_args, write_result  # noqa: E402

LOOP = textwrap.dedent("""
    import json, sys, time, nbtrack
    n, every = int(sys.argv[1]), int(sys.argv[2])
    marks = []  # (runs finished, wall time)
    t0 = time.time()
    for i in range(n):
        with nbtrack.start(name=f"r{i}", params={f"p{k}": k * i for k in range(10)}):
            nbtrack.log(loss=1.0 / (i + 1))
        if (i + 1) % every == 0 or i + 1 == n:
            marks.append((i + 1, time.time()))
    print(json.dumps({"t0": t0, "marks": marks}), flush=True)
    time.sleep(3600)  # stay alive: no flush at exit helps
""")


def _loop_start_params(n: int) -> None:
    import nbtrack

    for i in range(n):
        with nbtrack.start(name=f"r{i}", params={f"p{k}": k * i for k in range(10)}):
            nbtrack.log(loss=1.0 / (i + 1))


def _loop_run_methods(n: int) -> None:
    import nbtrack

    for i in range(n):
        with nbtrack.start(name=f"r{i}") as run:
            run.log_params({f"p{k}": k * i for k in range(10)})
            run.log(loss=1.0 / (i + 1))


def burst_same(a, body=_loop_start_params) -> dict:
    import nbtrack

    nbtrack.runs()  # connection and views exist, as in a session that read before
    t, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
    body(a.n)
    loop = time.perf_counter() - t
    out = {"runs": a.n, "loop_s": loop, "loop_runs_per_s": a.n / loop}
    # CPU per run during the loop: its thread's, and the process's (the writer thread's passes
    # too). On a loaded machine the wall time also counts waiting for a core.
    out["loop_cpu_us_per_run"] = (time.thread_time() - cpu) / a.n * 1e6
    out["process_cpu_us_per_run"] = (time.process_time() - process_cpu) / a.n * 1e6
    for k in range(3):
        t = time.perf_counter()
        rows = len(nbtrack.runs())
        out[f"read{k + 1}_s"], out[f"read{k + 1}_rows"] = time.perf_counter() - t, rows
    return out


def _visible(store) -> int:
    from nbtrack.store import query

    return int(query.sql(store, "SELECT count(*) AS n FROM runs").n[0])


def burst_other(a) -> dict:
    from nbtrack.store import Store, spool

    store_dir = os.environ["NBTRACK_STORE"]
    store = Store(store_dir)
    every = max(1, a.n // 200)
    child = subprocess.Popen(
        [sys.executable, "-c", LOOP, str(a.n), str(every)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    polls = []  # (read started, runs visible, read ended)
    read_s = []  # how long each poll's read took (it may wait for a compaction batch)
    files = set()
    cap = a.cap or 120.0
    t_start = time.time()
    import threading

    got: list[str] = []
    threading.Thread(target=lambda: got.append(child.stdout.readline()), daemon=True).start()
    try:
        while True:
            now = time.time()
            seen = _visible(store)
            polls.append((now, seen, time.time()))  # read started, runs seen, read ended
            read_s.append(polls[-1][2] - now)
            files.update(n for n in spool.listing(store.spool_dir) if n.endswith(".runs.arrow"))
            if got and seen >= a.n:
                break
            if now - t_start > cap:
                break
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()
    info = json.loads(got[0]) if got and got[0].strip() else {"t0": t_start, "marks": []}
    marks = info["marks"]
    loop_end = marks[-1][1] if marks else float("nan")
    # Largest age of a finished run that a poll did not see (a kill -9 then would lose it),
    # taken at the start of the read; run completion times are known at the marks (every
    # n/200 runs): a lower bound by at most one mark interval plus the read's own time.
    worst = 0.0
    for t, seen, _ in polls:
        done_before = [w for n, w in marks if n > seen and w <= t]
        if done_before:
            worst = max(worst, t - done_before[0])
    # Upper bounds: the end of the first read that saw them.
    first_visible = next((end for _, seen, end in polls if seen > 0), float("nan"))
    all_visible = next((end for _, seen, end in polls if seen >= a.n), float("nan"))
    return {
        "runs": a.n,
        "loop_s": loop_end - info["t0"],
        "loop_runs_per_s": a.n / (loop_end - info["t0"]),
        "first_visible_s": first_visible - info["t0"],
        "all_visible_after_loop_s": all_visible - loop_end,
        "max_unseen_age_s": worst,
        "visible_at_end": polls[-1][1] if polls else 0,
        "runs_spool_files": len(files),
        "runs_per_spool_file": a.n / max(1, len(files)),
        "polls": len(polls),
        "read_median_s": sorted(read_s)[len(read_s) // 2] if read_s else float("nan"),
        "read_max_s": max(read_s) if read_s else float("nan"),
    }


WORKLOADS = {
    "burst_same": burst_same,
    "burst_same_run_methods": lambda a: burst_same(a, _loop_run_methods),
    "burst_other": burst_other,
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
