"""Deleting pushed runs locally (``nbtrack rm``) removes the team store's copies of the runs this
store pushed: at once, or at the next push when the team store did not answer; a push never
copies a deleted run back; runs another store pushed stay, and the user is told which."""

from __future__ import annotations

import psycopg
import pytest

import nbtrack
from nbtrack.team import after_rm
from nbtrack.team.forget import QUEUE_DIR, apply, queue
from nbtrack.team.push import Pusher, store_id


def pushed_store(path, remote, who, n=3, points=5):
    store = nbtrack.store(str(path))
    ids = []
    for i in range(n):
        with nbtrack.start(name=f"{who}-{i}", params={"i": i}, store_path=str(store.dir)) as run:
            for s in range(points):
                run.log(step=s, loss=1.0 / (s + 1))
        ids.append(run.run_id)
    store.flush()
    Pusher(store, remote).push_all()
    return store, ids


def team_rows(remote, ids) -> dict[str, int]:
    with psycopg.connect(remote, autocommit=True) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM nbtrack.{t} WHERE run_id = ANY(%s)", [ids]).fetchone()[0]
            for t in ("runs", "params", "metrics", "series")
        }


def test_rm_of_pushed_runs_removes_their_team_copies_and_keeps_the_rest(tmp_path, remote, monkeypatch):
    monkeypatch.setenv("NBTRACK_USER", "alice")
    alice, a_ids = pushed_store(tmp_path / "alice", remote, "alice")
    monkeypatch.setenv("NBTRACK_USER", "bob")
    _bob, b_ids = pushed_store(tmp_path / "bob", remote, "bob")
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    assert team_rows(remote, a_ids[:2]) == {"runs": 2, "params": 2, "metrics": 2, "series": 10}

    alice.delete_runs(a_ids[:2])
    message = after_rm(alice, a_ids[:2])

    assert message.startswith("removed 2 runs from the team store postgresql://nbtrack_owner@")
    assert team_rows(remote, a_ids[:2]) == {"runs": 0, "params": 0, "metrics": 0, "series": 0}
    team = nbtrack.runs(scope="team")
    assert sorted(team.run_id) == sorted(a_ids[2:] + b_ids)
    assert not list((alice.dir / QUEUE_DIR).iterdir())  # applied: nothing left queued
    # The team store's token moved: an open team table re-reads.
    # A later push (kernel or nbtrack sync) has nothing to do and copies nothing back.
    assert Pusher(alice, remote).push_all() == (0, 0)
    assert team_rows(remote, a_ids[:2])["runs"] == 0


def test_runs_another_store_pushed_stay_and_the_user_is_told(tmp_path, remote, monkeypatch):
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    alice, _ = pushed_store(tmp_path / "alice", remote, "alice", n=1)
    _bob, b_ids = pushed_store(tmp_path / "bob", remote, "bob", n=2)
    # A copy of bob's run in alice's store (e.g. imported) deleted there: bob's team run stays.
    message = after_rm(alice, b_ids[:1])
    assert "1 run stay in the team store: another store pushed it" in message and b_ids[0] in message
    assert team_rows(remote, b_ids)["runs"] == 2


def test_rm_while_the_team_store_is_down_reaches_it_at_the_next_push(tmp_path, pg, remote, monkeypatch):
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    store, ids = pushed_store(tmp_path / "alice", remote, "alice")
    from nbtrack.team.status import team_info

    pg.stop("fast")
    try:
        store.delete_runs(ids[:1])
        message = after_rm(store, ids[:1])
        assert team_info(store)["pending_deletes"] == 1  # `nbtrack store` / %nbtrack say so
    finally:
        pg.start()
    assert "did not answer; they are removed there at this store's next push" in message
    assert team_rows(remote, ids)["runs"] == 3  # not yet
    with nbtrack.start(name="later", store_path=str(store.dir)):
        pass
    store.flush()
    assert Pusher(store, remote).push_all() == (1, 0)  # the new run; the deletion went first
    assert team_rows(remote, ids[:1])["runs"] == 0 and team_rows(remote, ids[1:])["runs"] == 2
    assert not list((store.dir / QUEUE_DIR).iterdir())
    assert "pending_deletes" not in team_info(store)


def test_the_line_holds_when_the_push_thread_applied_the_deletion_first(tmp_path, remote, monkeypatch):
    """rm's compaction can start this process's push thread, which applies the queue at once:
    the user is still told the team copies went."""
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    store, ids = pushed_store(tmp_path / "alice", remote, "alice", n=2)
    store.delete_runs(ids[:1])
    queue(store.dir, ids[:1])
    Pusher(store, remote).push_once()  # what the push thread does first
    assert team_rows(remote, ids[:1])["runs"] == 0
    assert after_rm(store, ids[:1]).startswith("removed 1 run from the team store")


def test_a_push_never_copies_a_deleted_run_back(tmp_path, remote, monkeypatch):
    """A pusher whose snapshot still held the run (it pushes right after the rm): the run's
    deleted mark keeps it out, and so does a mark for a run deleted before its first push."""
    store, ids = pushed_store(tmp_path / "alice", remote, "alice", n=2)
    with nbtrack.start(name="never-pushed", store_path=str(store.dir)) as run:
        run.log(loss=1.0)
    store.flush()
    queue(store.dir, [ids[0], run.run_id])  # as rm queues them; the local rows are still there
    with psycopg.connect(remote, autocommit=True) as con:
        done = apply(con, store_id(store.dir), store.dir)
    assert done == {"removed": [ids[0]], "others": []}
    assert Pusher(store, remote).push_all() == (0, 0)
    assert team_rows(remote, [ids[0], run.run_id])["runs"] == 0


def test_a_read_only_role_is_told_the_team_copies_stay(tmp_path, pg, remote, monkeypatch):
    from nbtrack.team.schema import grant_reader

    store, ids = pushed_store(tmp_path / "alice", remote, "alice", n=1)
    with psycopg.connect(remote, autocommit=True) as con:
        grant_reader(con, pg.reader)
    monkeypatch.setenv("NBTRACK_REMOTE", pg.uri(pg.reader))
    store.delete_runs(ids)
    message = after_rm(store, ids)
    assert "may not delete from the team store (only its owner role can): the team copies stay" in message
    assert team_rows(remote, ids)["runs"] == 1


def test_without_a_team_store_rm_says_nothing_more(store, monkeypatch):
    monkeypatch.delenv("NBTRACK_REMOTE", raising=False)
    with nbtrack.start(name="x", store_path=str(store.dir)) as run:
        pass
    store.delete_runs([run.run_id])
    assert after_rm(store, [run.run_id]) is None
    assert not (store.dir / QUEUE_DIR).exists()


@pytest.fixture(autouse=True)
def _no_push_threads():
    yield
    from nbtrack.team import push

    push.stop_all()
