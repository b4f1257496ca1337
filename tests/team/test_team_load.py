"""The issue's proofs: two "machines" (two local stores, different users and hosts), real
kernels running tracked cells, each kernel pushing in the background to a real PostgreSQL
while a reader polls runs(scope="team"); then the same with Postgres stopped in the middle.
Exact counts in Postgres afterwards, no warning in any cell.

The full size (2 machines x 4 kernels x 250 cells) runs in ``make reliability``; ``make test``
runs a small variant of each.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from reliability.kernels import kernel
from reliability.test_load import execute_ok, run_cells

from nbtrack.store import get_store, query
from nbtrack.team.push import Pusher
from nbtrack.team.source import TeamStore

MACHINES = (("alice", "laptop-a"), ("bob", "server-b"))


def heavy(request):
    if "reliability" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("full size: `make reliability` runs it (make test runs the small variant)")


class Reader:
    """Polls runs(scope="team") every 0.3 s, as a teammate's notebook would."""

    def __init__(self, uri):
        self.team = TeamStore(uri)
        self.polls = self.failed = self.max_seen = 0
        self.shrank = False
        self.errors: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                n = len(query.runs_frame(self.team.source, limit=None))
                self.polls += 1
                self.shrank |= n < self.max_seen
                self.max_seen = max(self.max_seen, n)
            except Exception as exc:
                if self.polls:  # before the first push there is no schema to read yet
                    self.failed += 1  # the server is down: expected during an outage only
                    self.errors.append(str(exc))
            self._stop.wait(0.3)

    def stop(self):
        self._stop.set()
        self.thread.join(60)


def counts(pg):
    ((runs, points, users),) = pg.admin_sql(
        "SELECT (SELECT count(*) FROM nbtrack.runs), (SELECT count(*) FROM nbtrack.series), "
        "(SELECT count(DISTINCT (user_name, host)) FROM nbtrack.runs)",
        dbname=pg.dbname,
    )[0]
    return runs, points, users


def team_load(tmp_path, pg, remote, figures, kernels_per_machine, cells, outage_s=0.0):
    dirs = [tmp_path / f"machine-{i}" / ".nbtrack" for i in range(len(MACHINES))]
    for d in dirs:
        d.parent.mkdir(parents=True)
    reader = Reader(remote)
    clients, managers = [], []
    for d, (user, host) in zip(dirs, MACHINES):
        for _ in range(kernels_per_machine):
            cm = kernel(d, NBTRACK_REMOTE=remote, NBTRACK_USER=user, NBTRACK_HOST=host)
            managers.append(cm)
            clients.append(cm.__enter__()[1])
    outage = {}
    try:
        for kc in clients:
            assert execute_ok(kc, "%load_ext nbtrack\nimport nbtrack")
        stopper = None
        if outage_s:

            def stop_and_restart():
                # Wait until pushes are flowing, then take the server away mid-push.
                while True:
                    try:
                        if counts(pg)[0] >= len(clients) * cells // 3:
                            break
                    except Exception:
                        pass  # no schema before the first push
                    time.sleep(0.1)
                outage["at_runs"] = counts(pg)[0]
                pg.stop("immediate")
                time.sleep(outage_s)
                pg.start()

            stopper = threading.Thread(target=stop_and_restart, daemon=True)
            stopper.start()
        t0 = time.monotonic()
        with ThreadPoolExecutor(len(clients)) as pool:
            results = list(pool.map(lambda kc: run_cells(kc, cells), clients))
        cell_seconds = time.monotonic() - t0
        if stopper is not None:
            stopper.join(120)
        # The kernels' own push threads bring everything in (within a back-off after an outage).
        expected_runs = len(clients) * cells
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if counts(pg)[:2] == (expected_runs, expected_runs * 20):
                    break
            except Exception:
                pass
            time.sleep(0.2)
        push_seconds = time.monotonic() - t0 - cell_seconds
    finally:
        for cm in managers:
            cm.__exit__(None, None, None)
    # What `nbtrack sync` would still find: nothing.
    left = sum(Pusher(get_store(d), remote).push_all()[0] for d in dirs)
    time.sleep(0.5)
    reader.stop()
    runs, points, users = counts(pg)
    ((dups,),) = pg.admin_sql(
        "SELECT count(*) FROM (SELECT run_id, key, step FROM nbtrack.series GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        dbname=pg.dbname,
    )[0]
    figures.update(
        load=f"{len(MACHINES)} machines x {kernels_per_machine} kernels x {cells} cells (10 params, "
        f"20 points); reader polls runs(scope='team') / 0.3 s ({reader.polls} polls)",
        faults=f"Postgres stopped {outage_s:.0f} s at {outage.get('at_runs')} runs" if outage_s else "-",
        inputs=f"{expected_runs} runs, {expected_runs * 20} points; {left} runs left for sync; "
        f"cells took {cell_seconds:.0f} s, the last push {push_seconds:.1f} s later",
        lost=(expected_runs - runs) + (expected_runs * 20 - points) + dups,
    )
    assert [r["bad"] for r in results] == [[]] * len(clients)
    assert [r["noisy"] for r in results] == [[]] * len(clients)  # no warning in any cell
    assert (runs, points, users) == (expected_runs, expected_runs * 20, len(MACHINES))
    assert dups == 0 and left == 0
    assert reader.polls > 0 and not reader.shrank
    if not outage_s:
        assert reader.failed == 0, reader.errors[:3]


@pytest.mark.reliability
def test_two_machines_4_kernels_250_cells_push_exactly_once(tmp_path, pg, remote, figures, request):
    heavy(request)
    team_load(tmp_path, pg, remote, figures, kernels_per_machine=4, cells=250)


@pytest.mark.reliability
def test_two_machines_push_exactly_once_across_a_20_s_outage(tmp_path, pg, remote, figures, request):
    heavy(request)
    team_load(tmp_path, pg, remote, figures, kernels_per_machine=4, cells=250, outage_s=20)


def test_small_two_machines_push_exactly_once(tmp_path, pg, remote, figures):
    team_load(tmp_path, pg, remote, figures, kernels_per_machine=2, cells=25)


def test_small_two_machines_across_an_outage(tmp_path, pg, remote, figures):
    team_load(tmp_path, pg, remote, figures, kernels_per_machine=2, cells=40, outage_s=3)


def test_points_of_a_running_cell_reach_postgres_while_it_runs(tmp_path, pg, remote):
    d = tmp_path / "m" / ".nbtrack"
    d.parent.mkdir()
    with kernel(d, NBTRACK_REMOTE=remote) as (_km, kc):
        assert execute_ok(kc, "%load_ext nbtrack\nimport nbtrack")
        msg_id = kc.execute(
            "%%track --name slow\nimport time\nfor s in range(5):\n    nbtrack.log(loss=float(s))\ntime.sleep(30)\n"
        )
        deadline = time.monotonic() + 25
        seen = None
        while time.monotonic() < deadline:
            try:
                seen = pg.admin_sql(
                    "SELECT r.status, count(s.*) FROM nbtrack.runs r LEFT JOIN "
                    "nbtrack.series s USING (run_id) GROUP BY r.status",
                    dbname=pg.dbname,
                )[0]
            except Exception:
                seen = None  # schema not created yet
            if seen and seen[0][1] >= 4:
                break
            time.sleep(0.2)
        _km.interrupt_kernel()
        while kc.get_shell_msg(timeout=60)["parent_header"].get("msg_id") != msg_id:
            pass
    # Points strictly before the newest one seen go at once; the newest when the run ends.
    assert seen and seen[0][0] == "running" and seen[0][1] >= 4, seen


def test_a_kernel_that_exits_pushes_its_last_runs_on_the_way_out(tmp_path, pg, remote):
    from jupyter_client.manager import KernelManager

    d = tmp_path / "m" / ".nbtrack"
    d.parent.mkdir()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=dict(os.environ, NBTRACK_STORE=str(d), NBTRACK_REMOTE=remote), cwd=str(d.parent))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        assert execute_ok(kc, "%load_ext nbtrack\nimport nbtrack, time\ntime.sleep(2)")  # pusher connected
        run_cells(kc, 30)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)  # a normal exit: the exit hooks run
    assert counts(pg)[:2] == (30, 600)
    assert Pusher(get_store(d), remote).push_all() == (0, 0)
