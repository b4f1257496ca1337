"""The team store on a real PostgreSQL (issue 11), started here on loopback in a temp folder:

- push throughput: points per second copied from a compacted local store into Postgres by one
  push (long runs: 200 x 5,000 points; short runs: 2,000 x 20 points), sustained over the
  whole push_all (several transactions for the short runs);
- log-to-readable delay: a live run logs 100 points/s with the push thread running; for sampled
  points, the time from nbtrack.log to the point being visible in Postgres;
- runs(scope="team") at 100,000 runs from 10 users (10 params, 5 metrics each, generated in
  Postgres): first page of runs(), a filtered + metric-sorted page, the table cache build and
  its first page; and the same first page as one SQL query run by Postgres itself (the
  alternative to DuckDB over Postgres);
- the team run table's first paint in the browser at 100,000 runs: JupyterLab, headless
  Chromium (Playwright), a notebook cell ``nbtrack.table(scope='team')`` run until its first
  rows are in the page (``import nbtrack`` ran in an earlier cell); ``--paints N`` times, each
  in a fresh server and kernel.

    .venv/bin/python benchmarks/w_team.py [--quick]   # writes results/team-latest.md
    .venv/bin/python benchmarks/w_team.py --reads-only --out /tmp/x.md  # the 100k reads and paints

Against older code (A/B): ``git archive <commit> src | tar -x -C /tmp/old`` and run this script
with ``PYTHONPATH=/tmp/old/src`` (the server and kernel it starts inherit it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "team"))
sys.path.insert(0, str(HERE))

from pgcluster import Cluster, bin_dir  # noqa: E402


def timed(fn, reps=3):
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out), min(out), max(out)


def fill_local(store, runs: int, points: int) -> int:
    import nbtrack

    for i in range(runs):
        with nbtrack.start(name=f"b{i}", params={f"p{k}": k * i for k in range(10)}, store_path=str(store.dir)) as run:
            for s in range(points):
                run.log(step=s, loss=1.0 / (s + 1))
    store.flush(60)
    store.compact()
    return runs * points


def push_throughput(cluster, scratch: Path, runs: int, points: int) -> dict:
    import nbtrack
    from nbtrack.team.push import Pusher

    store = nbtrack.store(str(scratch / f"push-{runs}x{points}"))
    total = fill_local(store, runs, points)
    pusher = Pusher(store, cluster.uri())
    t0 = time.perf_counter()
    got_runs, got_points = pusher.push_all()
    seconds = time.perf_counter() - t0
    pusher.close()
    assert (got_runs, got_points) == (runs, total), (got_runs, got_points)
    return {
        "runs": runs,
        "points": total,
        "seconds": seconds,
        "points_per_s": total / seconds,
        "runs_per_s": runs / seconds,
    }


def log_to_readable(cluster, scratch: Path, seconds: float) -> dict:
    import psycopg

    import nbtrack
    from nbtrack.team import push

    store = nbtrack.store(str(scratch / "live"))
    os.environ["NBTRACK_REMOTE"] = cluster.uri()
    delays = []
    con = psycopg.connect(cluster.uri(), autocommit=True)
    try:
        with nbtrack.start(name="live", store_path=str(store.dir)) as run:
            push.ensure_pusher(store)
            step, end = 0, time.monotonic() + seconds
            pending: dict[int, float] = {}
            stop = threading.Event()

            def watch():
                while not stop.is_set():
                    if pending:
                        row = con.execute(
                            "SELECT max(step) FROM nbtrack.series WHERE run_id = %s", [run.run_id]
                        ).fetchone()
                        seen = row[0] if row and row[0] is not None else -1
                        now = time.monotonic()
                        for s in [s for s in list(pending) if s <= seen]:
                            delays.append(now - pending.pop(s))
                    time.sleep(0.01)

            t = threading.Thread(target=watch, daemon=True)
            t.start()
            while time.monotonic() < end:
                run.log(step=step, loss=1.0 / (step + 1))
                if step % 25 == 0:
                    pending[step] = time.monotonic()
                step += 1
                time.sleep(0.01)
            time.sleep(3)
            stop.set()
            t.join()
    finally:
        push.stop_all()
        con.close()
        os.environ.pop("NBTRACK_REMOTE", None)
    return {"samples": len(delays), "median_s": statistics.median(delays), "max_s": max(delays)}


def many_team_runs(cluster, n_runs: int) -> dict:
    """n_runs runs from 10 users, generated in Postgres, read the ways a user reads them."""
    import psycopg

    from nbtrack.store import query
    from nbtrack.store.table import RunsCache
    from nbtrack.team.schema import migrate
    from nbtrack.team.source import TeamStore

    with psycopg.connect(cluster.uri(), autocommit=True) as con:
        migrate(con)
        t0 = time.perf_counter()
        con.execute(
            "INSERT INTO nbtrack.runs (run_id, seq, name, experiment, notebook, status, started_at, "
            "ended_at, duration_s, tags, host, store_id, user_name, context) SELECT 'r' || lpad(i::text, 9, '0'), 1, "
            "'run-' || i, 'exp-' || (i %% 20), '/nb/' || (i %% 50) || '.ipynb', "
            "CASE WHEN i %% 17 = 0 THEN 'failed' ELSE 'finished' END, "
            "timestamp '2026-01-01' + i * interval '1 second', "
            "timestamp '2026-01-01' + i * interval '1 second' + interval '3 seconds', 3.0, "
            "'[\"t' || (i %% 5) || '\"]', 'host-' || (i %% 10), 'store-' || (i %% 10), 'user-' || (i %% 10), '{}' "
            "FROM generate_series(1, %s) i",
            [n_runs],
        )
        con.execute(
            "INSERT INTO nbtrack.params SELECT 'r' || lpad(i::text, 9, '0'), 'p' || k, 'float', "
            "(i %% 100) * 0.01 + k, NULL FROM generate_series(1, %s) i, generate_series(0, 9) k",
            [n_runs],
        )
        con.execute(
            "INSERT INTO nbtrack.metrics SELECT 'r' || lpad(i::text, 9, '0'), 'm' || k, "
            "((i * 7919) %% 1000) / 1000.0, NULL, NULL, 1 FROM generate_series(1, %s) i, "
            "generate_series(0, 4) k",
            [n_runs],
        )
        con.execute("ANALYZE")
        fill_s = time.perf_counter() - t0
        # The alternative: the first page sorted by a metric, computed by Postgres itself.
        pg_page = timed(
            lambda: con.execute(
                "SELECT r.run_id, r.name, r.status, r.user_name, m.value FROM nbtrack.runs r "
                "JOIN nbtrack.metrics m ON m.run_id = r.run_id AND m.key = 'm0' "
                "WHERE r.user_name = 'user-3' ORDER BY m.value DESC NULLS LAST, r.run_id DESC LIMIT 50"
            ).fetchall()
        )
    team = TeamStore(cluster.uri())
    src = team.source
    first = timed(lambda: query.runs_frame(src, limit=50))
    filtered = timed(lambda: query.runs_frame(src, filters=["user == user-3"], sort="-metrics.m0", limit=50))
    token = timed(src.token)
    cache = RunsCache(team)
    t0 = time.perf_counter()
    cache.refresh()
    build = time.perf_counter() - t0
    page = timed(lambda: cache.page(filters=["user == user-3"], sort=["-metrics.m0"], limit=50))
    quick = timed(lambda: RunsCache(team).page(limit=50))  # the first paint: before the cache is built
    return {
        "runs": n_runs,
        "fill_s": fill_s,
        "first_page": first,
        "filtered_sorted_page": filtered,
        "token": token,
        "cache_build_s": build,
        "cache_page": page,
        "table_first_page": quick,
        "postgres_sql_page": pg_page,
    }


def browser_first_paint(cluster, scratch: Path, code: str = "nbtrack.table(scope='team')") -> dict:
    """Seconds from running ``code`` (a run table) to its first rows in the page. The local
    store holds three runs, for the reference ``nbtrack.table()``: what the widget costs the
    same machine at the same moment whatever the store."""
    import nbformat
    from playwright.sync_api import sync_playwright

    from w_browser import CHROMIUM, NB, open_and_run_first_cell, run_cell, start_lab

    root = Path(tempfile.mkdtemp(prefix="paint-", dir=scratch))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import nbtrack"),
        nbformat.v4.new_code_cell(code),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, root / "team.ipynb")
    import nbtrack

    for i in range(3):
        with nbtrack.start(name=f"local-{i}", params={"i": i}, store_path=str(root / "local-store")) as run:
            run.log(acc=i / 3)
    nbtrack.store(str(root / "local-store")).flush()
    os.environ["NBTRACK_REMOTE"] = cluster.uri()  # the server and its kernel inherit it
    proc, url, token = start_lab(root, str(root / "local-store"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = open_and_run_first_cell(browser, url, token, "team.ipynb")
            t0 = time.perf_counter()
            run_cell(page, 1)
            page.wait_for_selector(f"{NB} .nbt-table tr[data-run]")
            seconds = time.perf_counter() - t0
            rows = page.locator(f"{NB} .nbt-table tr[data-run]").count()
            # The first page's own round trip (request sent by the widget -> rows decoded).
            trip = page.evaluate(
                f"() => {{ const e = document.querySelector('{NB} [data-roundtrip-ms]'); "
                "return e ? Number(e.getAttribute('data-roundtrip-ms')) : null; }"
            )
            browser.close()
    finally:
        os.environ.pop("NBTRACK_REMOTE", None)
        proc.terminate()
        try:
            proc.wait(15)
        except Exception:
            proc.kill()
    return {"seconds": seconds, "rows": rows, "page_ms": trip}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reads-only", action="store_true", help="only the 100k reads and the browser paints")
    ap.add_argument("--paints", type=int, default=3, help="browser first paints (0: none)")
    ap.add_argument("--out", help="results file (default results/team-latest[-quick].md)")
    args = ap.parse_args()
    if bin_dir() is None:
        print("w_team: PostgreSQL is not installed (make postgresql); not measured")
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="nbtrack-bench-team-"))
    os.chmod(scratch, 0o755)
    cluster = Cluster(scratch / "pg").init()
    os.environ.update(cluster.env())
    try:
        if not args.reads_only:
            long_runs = push_throughput(cluster, scratch, 20 if args.quick else 200, 5000)
            short_runs = push_throughput(cluster, scratch, 200 if args.quick else 2000, 20)
            delay = log_to_readable(cluster, scratch, 5 if args.quick else 20)
            cluster.admin_sql("DROP SCHEMA nbtrack CASCADE", dbname=cluster.dbname)
        many = many_team_runs(cluster, 10_000 if args.quick else 100_000)
        paints, local_paints = [], []
        for _ in range(args.paints):  # interleaved with the local reference
            paints.append(browser_first_paint(cluster, scratch))
            local_paints.append(browser_first_paint(cluster, scratch, "nbtrack.table()"))
    finally:
        cluster.destroy()

    def fmt(t):
        return f"{t[0] * 1000:.0f} ms (min {t[1] * 1000:.0f}, max {t[2] * 1000:.0f})"

    lines = [
        f"# Team store benchmark ({dt.datetime.now():%Y-%m-%d %H:%M}, {'quick' if args.quick else 'full'}, "
        f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())})",
        "",
        "| measure | result | goal |",
        "|---|---|---|",
    ]
    if not args.reads_only:
        lines += [
            f"| push, {long_runs['runs']} runs x 5,000 points (one COPY batch) | "
            f"{long_runs['points_per_s']:,.0f} points/s ({long_runs['points']:,} in {long_runs['seconds']:.2f} s) | >= 300,000 points/s |",
            f"| push, {short_runs['runs']} runs x 20 points (runs, params, metrics, series) | "
            f"{short_runs['points_per_s']:,.0f} points/s, {short_runs['runs_per_s']:,.0f} runs/s ({short_runs['seconds']:.2f} s) | |",
            f"| nbtrack.log -> readable in Postgres (live run, 100 points/s, {delay['samples']} samples) | "
            f"median {delay['median_s']:.2f} s, max {delay['max_s']:.2f} s | about 2 s |",
        ]
    lines += [
        f"| {many['runs']:,} team runs from 10 users: fill in Postgres | {many['fill_s']:.1f} s | |",
        f"| runs(scope='team', limit=50), newest first | {fmt(many['first_page'])} | |",
        f"| runs(scope='team', 'user == user-3', sort='-metrics.m0', limit=50) | {fmt(many['filtered_sorted_page'])} | |",
        f"| team change token (one Postgres query) | {fmt(many['token'])} | |",
        f"| table(scope='team'): first page before the cache (first paint, kernel side) | {fmt(many['table_first_page'])} | |",
        f"| table(scope='team'): cache build (all runs, wide) | {many['cache_build_s']:.2f} s | |",
        f"| table(scope='team'): filtered, metric-sorted page from the cache | {fmt(many['cache_page'])} | |",
        f"| the same page as one SQL query run by Postgres (psycopg) | {fmt(many['postgres_sql_page'])} | |",
    ]
    for label, got, goal in (
        (f"table(scope='team') first paint in the browser, {many['runs']:,} runs", paints, "<= 1 s"),
        ("reference: nbtrack.table() over a local store of 3 runs, same moment", local_paints, ""),
    ):
        if not got:
            continue
        secs = [p["seconds"] for p in got]
        trips = ", ".join(f"{p['page_ms']:.0f}" if p["page_ms"] is not None else "-" for p in got)
        lines.append(
            f"| {label} (cell run -> first rows shown; {len(got)} fresh servers) | median "
            f"{statistics.median(secs):.2f} s (min {min(secs):.2f}, max {max(secs):.2f}); first page's "
            f"round trip (widget request -> rows decoded) {trips} ms | {goal} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    out = (
        Path(args.out) if args.out else HERE / "results" / ("team-latest-quick.md" if args.quick else "team-latest.md")
    )
    out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
