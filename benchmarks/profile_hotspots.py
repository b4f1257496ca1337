"""Profile nbtrack's benchmarked paths (cProfile, in this process) and print where time goes.

    .venv/bin/python benchmarks/profile_hotspots.py cell      # %%track per-cell cost
    .venv/bin/python benchmarks/profile_hotspots.py first     # first %%track cell after %load_ext
    .venv/bin/python benchmarks/profile_hotspots.py log       # nbtrack.log 1M loop + flush
    .venv/bin/python benchmarks/profile_hotspots.py runs 2000 # runs()/series() on a bulk store
    .venv/bin/python benchmarks/profile_hotspots.py all > /dev/null   # the report is on stderr

For the writer thread (which cProfile does not see) use py-spy, e.g.
``py-spy record -o out.txt -f raw -t -- .venv/bin/python benchmarks/profile_hotspots.py log``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import CELL_BODY, SERIES_KEY  # noqa: E402

now = time.perf_counter


def say(*args) -> None:
    """Report on stderr: the cells' own output (summaries) goes to stdout."""
    print(*args, file=sys.stderr, flush=True)


def top(pr: cProfile.Profile, n: int = 25, sort: str = "tottime", pattern: str = "") -> str:
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats(sort)
    if pattern:
        st.print_stats(pattern, n)
    else:
        st.print_stats(n)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


def shell_with_nbtrack():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "nbtrack")
    return sh


def prof_first(_a) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    t0 = now()
    sh.run_line_magic("load_ext", "nbtrack")
    t1 = now()
    pr = cProfile.Profile()
    pr.enable()
    sh.run_cell("%%track --name bench\n" + CELL_BODY, store_history=True, cell_id="c1")
    pr.disable()
    t2 = now()
    say(f"## first cell: %load_ext {1e3 * (t1 - t0):.0f} ms, first %%track cell {1e3 * (t2 - t1):.0f} ms")
    say(top(pr, 20, "cumulative"))
    mods = [
        m for m in ("numpy", "pyarrow", "pandas", "duckdb", "altair", "ipywidgets", "anywidget") if m in sys.modules
    ]
    say("modules imported by now:", ", ".join(mods))


def prof_cell(a) -> None:
    sh = shell_with_nbtrack()
    import nbtrack

    src = "%%track --name bench\n" + CELL_BODY
    for _ in range(10):
        sh.run_cell(src, store_history=True, cell_id="c")
        sh.run_cell(CELL_BODY, store_history=True, cell_id="p")
    nbtrack.store().flush()
    n = a.n or 300
    tracked, plain = [], []
    for _ in range(n):  # unprofiled, interleaved
        t = now()
        sh.run_cell(src, store_history=True, cell_id="c")
        tracked.append(now() - t)
        t = now()
        sh.run_cell(CELL_BODY, store_history=True, cell_id="p")
        plain.append(now() - t)
    tracked.sort()
    plain.sort()
    say(
        f"## %%track cell: tracked median {1e3 * tracked[n // 2]:.2f} ms, untracked "
        f"{1e3 * plain[n // 2]:.2f} ms, added {1e3 * (tracked[n // 2] - plain[n // 2]):.2f} ms"
    )
    pr = cProfile.Profile()
    for _ in range(n):
        pr.enable()
        sh.run_cell(src, store_history=True, cell_id="c")
        pr.disable()
    say(f"### cProfile over {n} tracked cells (nbtrack frames and syscalls, by own time)")
    say(top(pr, 25, "tottime", "nbtrack|posix|builtins|formatters|display"))
    say("### by cumulative time")
    say(top(pr, 25, "cumulative", "nbtrack"))


def prof_log(a) -> None:
    sh = shell_with_nbtrack()
    import nbtrack

    n = a.n or 1_000_000
    src = (
        f"%%track -q\nimport time as _t\n_t0 = _t.perf_counter()\nfor _i in range({n}):\n"
        f"    nbtrack.log(loss=_i * 0.5)\n_elapsed = _t.perf_counter() - _t0\n"
    )
    t = now()
    sh.run_cell(src, store_history=True, cell_id="c")
    cell = now() - t
    t = now()
    nbtrack.store().flush()
    flush = now() - t
    loop = sh.user_ns["_elapsed"]
    say(
        f"## nbtrack.log x {n:,}: loop {1e9 * loop / n:.0f} ns/call, whole cell {cell:.2f} s, "
        f"flush after the cell {flush:.2f} s, amortised until spooled {1e9 * (cell + flush) / n:.0f} ns/point"
    )
    # the writer's share: drain + spool write of the same number of points, timed alone
    from nbtrack.capture.run import Run

    run = Run(nbtrack.store())
    run._points.extend(("loss", i, i * 0.5, 1.0) for i in range(n))
    pr = cProfile.Profile()
    t = now()
    pr.enable()
    tables = run.drain()
    pr.disable()
    drain = now() - t
    say(
        f"### Run.drain of {n:,} points alone: {drain:.2f} s ({1e9 * drain / n:.0f} ns/point) -> "
        f"{ {k: v.num_rows for k, v in tables.items()} }"
    )
    say(top(pr, 12, "tottime"))


def prof_runs(a) -> None:
    size = a.n or 2000
    store = a.store
    if not os.path.exists(os.path.join(store, "nbtrack.duckdb")):
        t = now()
        import subprocess  # in its own process: no writer thread left behind in this one

        subprocess.run(
            [
                sys.executable,
                os.path.join(HERE, "w_nbtrack.py"),
                "--tool",
                "nbtrack",
                "--workload",
                "fill_bulk",
                "--n",
                str(size),
                "--store",
                store,
                "--workdir",
                os.path.dirname(store),
                "--out",
                store + ".json",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        say(f"(bulk-filled {size:,} runs in {now() - t:.1f} s)")
    os.environ["NBTRACK_STORE"] = store
    import pandas  # noqa: F401

    import nbtrack

    t = now()
    frame = nbtrack.runs()
    first = now() - t
    warm = []
    for _ in range(5):
        t = now()
        nbtrack.runs()
        warm.append(now() - t)
    warm.sort()
    ids = list(frame["run_id"][:10])
    ser = []
    for _ in range(3):
        t = now()
        nbtrack.series(ids, SERIES_KEY)
        ser.append(now() - t)
    ser.sort()
    snap = []
    for _ in range(5):
        t = now()
        with nbtrack.store().snapshot():
            pass
        snap.append(now() - t)
    snap.sort()
    say(
        f"## {len(frame):,} runs: runs() first {1e3 * first:.0f} ms, warm median {1e3 * warm[2]:.1f} ms; "
        f"series(10 runs) {1e3 * ser[1]:.1f} ms; empty snapshot {1e3 * snap[2]:.1f} ms"
    )
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(3):
        nbtrack.runs()
    pr.disable()
    say("### cProfile of 3 warm runs() calls, by own time")
    say(top(pr, 15, "tottime"))
    pr = cProfile.Profile()
    pr.enable()
    nbtrack.series(ids, SERIES_KEY)
    pr.disable()
    say("### cProfile of series(10 ids), by cumulative time (nbtrack frames)")
    say(top(pr, 12, "cumulative", "nbtrack"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["first", "cell", "log", "runs", "all"])
    ap.add_argument("n", nargs="?", type=int, default=0, help="size (cells, points or runs)")
    ap.add_argument("--store", default="", help="runs: an existing store folder to query")
    a = ap.parse_args()
    scratch = None
    if a.what == "runs" and not a.store:
        scratch = tempfile.mkdtemp(prefix="nbtrack-prof-")
        a.store = os.path.join(scratch, "store")
    elif a.what not in ("runs", "all"):
        scratch = tempfile.mkdtemp(prefix="nbtrack-prof-")
        os.environ.setdefault("NBTRACK_STORE", os.path.join(scratch, "store"))
    jobs = {"first": prof_first, "cell": prof_cell, "log": prof_log, "runs": prof_runs}
    if a.what == "all":  # each in its own process: imports and caches differ
        import subprocess

        for what in ("first", "cell", "log", "runs"):
            subprocess.run([sys.executable, __file__, what], check=False)
            sys.stdout.flush()
        return
    try:
        jobs[a.what](a)
    finally:
        sys.stdout.flush()
        if scratch:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
    os._exit(0)


if __name__ == "__main__":
    main()
