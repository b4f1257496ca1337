"""Push into a real PostgreSQL: exactly once whatever fails (server down at start, stopped
mid-push, restarted, many pushers at once), user and host recorded, running runs' points
within seconds."""

from __future__ import annotations

import threading
import time

import pytest

import nbtrack
from nbtrack.team.config import RemoteError
from nbtrack.team.push import Pusher


def remote_counts(pg) -> tuple[int, int]:
    ((runs,),) = pg.admin_sql("SELECT count(*) FROM nbtrack.runs", dbname=pg.dbname)[0]
    ((points,),) = pg.admin_sql("SELECT count(*) FROM nbtrack.series", dbname=pg.dbname)[0]
    return runs, points


def make_runs(store, n: int, points: int = 20, params: int = 10) -> list[str]:
    ids = []
    for i in range(n):
        with nbtrack.start(
            name=f"r{i}", params={f"p{k}": k * i for k in range(params)}, store_path=str(store.dir)
        ) as run:
            for s in range(points):
                run.log(step=s, loss=1.0 / (s + 1))
        ids.append(run.run_id)
    store.flush()
    return ids


def test_push_copies_runs_params_and_points_once(store, remote, pg, monkeypatch):
    monkeypatch.setenv("NBTRACK_USER", "alice")
    monkeypatch.setenv("NBTRACK_HOST", "machine-a")
    ids = make_runs(store, 30)
    pusher = Pusher(store, remote)
    assert pusher.push_all() == (30, 600)
    assert remote_counts(pg) == (30, 600)
    assert pusher.push_all() == (0, 0)  # a second push copies nothing
    assert Pusher(store, remote).push_all() == (0, 0)  # nor does a fresh process's
    rows = pg.admin_sql("SELECT DISTINCT user_name, host FROM nbtrack.runs", dbname=pg.dbname)[0]
    assert rows == [("alice", "machine-a")]
    ((n_params,),) = pg.admin_sql("SELECT count(*) FROM nbtrack.params", dbname=pg.dbname)[0]
    assert n_params == 30 * 10
    got = pg.admin_sql(f"SELECT status, name FROM nbtrack.runs WHERE run_id = '{ids[3]}'", dbname=pg.dbname)[0]
    assert got == [("finished", "r3")]


def test_many_pushers_at_once_push_each_run_once(store, remote, pg):
    make_runs(store, 40)
    pushers = [Pusher(store, remote) for _ in range(6)]
    results, errors = [], []

    def work(p):
        try:
            results.append(p.push_all())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in pushers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r for r, _ in results) == 40 and sum(p for _, p in results) == 800
    assert remote_counts(pg) == (40, 800)


def test_server_down_at_start_then_back_loses_nothing(store, remote, pg):
    make_runs(store, 10)
    pg.stop()
    try:
        with pytest.raises(RemoteError, match="cannot reach the team store"):
            Pusher(store, remote).push_once()
    finally:
        pg.start()
    assert Pusher(store, remote).push_all() == (10, 200)
    assert remote_counts(pg) == (10, 200)


def test_server_stopped_mid_push_then_restarted_nothing_lost_nothing_twice(store, remote, pg):
    make_runs(store, 5)
    pusher = Pusher(store, remote)
    pusher.push_all()
    make_runs(store, 300, points=50)
    # Stop the server while a big batch is in flight: the transaction dies whole.
    stopper = threading.Timer(0.05, pg.stop, kwargs={"mode": "immediate"})
    stopper.start()
    try:
        pusher.push_all()
    except RemoteError:
        pass
    stopper.join()
    pg.start()
    pg.wait_ready()
    for _ in range(3):
        try:
            pusher.push_all()
            break
        except RemoteError:
            time.sleep(0.5)
    assert remote_counts(pg) == (305, 5 * 20 + 300 * 50)
    ((dups,),) = pg.admin_sql(
        "SELECT count(*) FROM (SELECT run_id, key, step FROM nbtrack.series GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        dbname=pg.dbname,
    )[0]
    assert dups == 0


def test_points_of_a_running_run_are_pushed_while_it_runs(store, remote, pg):
    pusher = Pusher(store, remote)
    with nbtrack.start(name="live", store_path=str(store.dir)) as run:
        for s in range(100):
            run.log(step=s, loss=float(s))
        store.flush()
        time.sleep(0.01)
        run.log(step=100, loss=100.0)
        store.flush()
        pusher.push_once()
        rows = pg.admin_sql("SELECT status FROM nbtrack.runs", dbname=pg.dbname)[0]
        assert rows == [("running",)]
        _, points = remote_counts(pg)
        assert 100 <= points <= 101
    store.flush()
    pusher.push_all()
    assert remote_counts(pg) == (1, 101)
    rows = pg.admin_sql("SELECT status FROM nbtrack.runs", dbname=pg.dbname)[0]
    assert rows == [("finished",)]


def test_a_run_that_logs_rarely_shows_its_newest_point_while_running(store, remote, pg):
    from nbtrack.team import push

    pusher = Pusher(store, remote)
    with nbtrack.start(name="epochs", store_path=str(store.dir)) as run:
        run.log(step=0, acc=0.5)
        store.flush()
        pusher.push_once()
        assert remote_counts(pg) == (1, 0)  # the newest point waits for a newer one...
        time.sleep(push.HOLD_NEWEST_S + 0.2)
        pusher.push_once()
        assert remote_counts(pg) == (1, 1)  # ...or until it is HOLD_NEWEST_S old
        run.log(step=1, acc=0.6)
    store.flush()
    pusher.push_all()
    assert remote_counts(pg) == (1, 2)
