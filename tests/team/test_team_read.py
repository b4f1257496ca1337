"""Reading the team store through the local read model: runs(scope="team"), series, get_run,
the table's pages, compare and diff, with the same filter grammar; a read-only role browses,
only the owner writes."""

from __future__ import annotations

import pytest

import nbtrack
from nbtrack.team.config import RemoteError
from nbtrack.team.push import Pusher
from nbtrack.team.schema import grant_reader
from nbtrack.team.source import TeamStore


def two_machines(tmp_path, remote, monkeypatch, n=6):
    """Runs from two local stores with different users and hosts, pushed."""
    ids = {}
    for who, host in (("alice", "laptop-a"), ("bob", "server-b")):
        monkeypatch.setenv("NBTRACK_USER", who)
        monkeypatch.setenv("NBTRACK_HOST", host)
        store = nbtrack.store(str(tmp_path / who))
        ids[who] = []
        for i in range(n):
            with nbtrack.start(
                name=f"{who}-{i}", params={"lr": i / 10, "model": who}, tags=[who], store_path=str(store.dir)
            ) as run:
                for s in range(5):
                    run.log(step=s, loss=1.0 / (s + 1 + i))
            ids[who].append(run.run_id)
        store.flush()
        Pusher(store, remote).push_all()
    monkeypatch.delenv("NBTRACK_USER")
    monkeypatch.delenv("NBTRACK_HOST")
    monkeypatch.setenv("NBTRACK_REMOTE", remote)  # reads with scope="team" from here on
    return ids


def test_runs_scope_team_has_everyones_runs_with_user_and_host(tmp_path, store, remote, monkeypatch):
    ids = two_machines(tmp_path, remote, monkeypatch)
    frame = nbtrack.runs(scope="team")
    assert len(frame) == 12
    assert set(zip(frame.user, frame.host)) == {("alice", "laptop-a"), ("bob", "server-b")}
    assert list(frame.columns[:12]) == [
        "run_id",
        "name",
        "experiment",
        "notebook",
        "cell_id",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "tags",
        "user",
        "host",
    ]
    # The same grammar as local runs: filters, search, sort.
    got = nbtrack.runs("params.lr >= 0.3", "user == bob", sort="-params.lr", scope="team")
    assert list(got.name) == ["bob-5", "bob-4", "bob-3"]
    assert list(nbtrack.runs(search="alice-2", scope="team").run_id) == [ids["alice"][2]]
    assert len(nbtrack.runs("tags contains bob", scope="team")) == 6
    assert len(nbtrack.runs(scope="local")) == 0  # this test's own store has none
    run = nbtrack.get_run(ids["bob"][1], scope="team")
    assert run.params == {"lr": 0.1, "model": "bob"} and run.status == "finished"
    pts = nbtrack.series([ids["alice"][0]], scope="team")
    assert list(pts.step) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="scope is 'local' or 'team'"):
        nbtrack.runs(scope="everyone")


def test_the_table_compare_and_diff_read_the_team_store(tmp_path, store, remote, monkeypatch):
    ids = two_machines(tmp_path, remote, monkeypatch, n=3)
    from nbtrack.store.table import RunsCache
    from nbtrack.widgets.comparison import compare_payload, diff_payload

    team = nbtrack.team.team_store()
    cache = RunsCache(team)
    page = cache.page(filters=["user == alice"], sort=["-params.lr"], limit=2)
    assert page.total == 3
    assert page.rows.column("run_id").to_pylist() == [ids["alice"][2], ids["alice"][1]]
    widget = nbtrack.table(scope="team")
    assert widget.store is team
    reply = compare_payload(team, ids["alice"][:2] + ids["bob"][:1])
    assert reply.fields["ids"] == ids["alice"][:2] + ids["bob"][:1]
    assert "loss" in reply.fields["series_keys"]
    d = diff_payload(team, ids["alice"][0], ids["bob"][0])
    assert d is not None
    nbtrack.diff(ids["alice"][0], ids["bob"][0], scope="team")


def test_a_read_only_role_browses_and_cannot_write(tmp_path, store, remote, pg, monkeypatch):
    two_machines(tmp_path, remote, monkeypatch, n=2)
    monkeypatch.delenv("NBTRACK_REMOTE")  # no background push from the owner's role below
    import psycopg

    with psycopg.connect(remote, autocommit=True) as con:
        grant_reader(con, pg.reader)
    reader_uri = pg.uri(pg.reader)
    from nbtrack.store import query

    frame = query.runs_frame(TeamStore(reader_uri))
    assert len(frame) == 4
    # Its push is refused by Postgres, with a clear message; the runs stay local.
    with nbtrack.start(name="mine", store_path=str(store.dir)):
        pass
    store.flush()
    with pytest.raises(RemoteError, match="only its owner role can|permission denied"):
        Pusher(store, reader_uri).push_all()
    with psycopg.connect(reader_uri, autocommit=True) as con:
        for stmt in (
            "DELETE FROM nbtrack.runs",
            "INSERT INTO nbtrack.runs (run_id, store_id) VALUES ('x', 'y')",
            "DROP TABLE nbtrack.series",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(stmt)
    assert len(query.runs_frame(TeamStore(reader_uri))) == 4


def test_a_newer_schema_is_a_clear_error_and_runs_keep_queuing(store, remote, pg):
    with nbtrack.start(name="before", store_path=str(store.dir)):
        pass
    store.flush()
    Pusher(store, remote).push_all()
    pg.admin_sql("UPDATE nbtrack.meta SET value = '99' WHERE key = 'schema_version'", dbname=pg.dbname)
    with nbtrack.start(name="after", store_path=str(store.dir)):
        pass
    store.flush()
    with pytest.raises(RemoteError, match="newer nbtrack .schema 99"):
        Pusher(store, remote).push_all()
    with pytest.raises(RemoteError, match="newer nbtrack"):
        from nbtrack.store import query

        query.runs_frame(TeamStore(remote))
    assert len(nbtrack.runs()) == 2  # both runs are kept locally
    pg.admin_sql("UPDATE nbtrack.meta SET value = '1' WHERE key = 'schema_version'", dbname=pg.dbname)
    assert Pusher(store, remote).push_all()[0] == 1  # and the waiting one goes once allowed


def test_a_uri_with_a_password_is_refused_without_repeating_it(monkeypatch, store):
    from nbtrack.team.config import check_uri

    for uri in ("postgresql://alice:s3cr3t-pw@db/mlruns", "host=db user=alice password=s3cr3t-pw"):
        with pytest.raises(RemoteError) as info:
            check_uri(uri)
        assert "s3cr3t-pw" not in str(info.value)
    monkeypatch.setenv("NBTRACK_REMOTE", "postgresql://alice:s3cr3t-pw@db/mlruns")
    with pytest.raises(RemoteError) as info:
        nbtrack.runs(scope="team")
    assert "s3cr3t-pw" not in str(info.value) and "password" in str(info.value)


def test_tls_options_pass_through_to_libpq(store, remote):
    # This loopback server has no TLS: libpq itself refuses sslmode=require, which shows the
    # option reached it (and the message names the remote without secrets).
    uri = remote + "?sslmode=require"
    with nbtrack.start(name="tls", store_path=str(store.dir)):
        pass
    store.flush()
    with pytest.raises(RemoteError, match="SSL") as info:
        Pusher(store, uri).push_all()
    assert "cannot reach the team store" in str(info.value)
    assert Pusher(store, remote + "?sslmode=disable").push_all()[0] == 1


def test_reading_while_the_server_is_down_is_a_clear_error_then_works_again(tmp_path, store, remote, pg, monkeypatch):
    two_machines(tmp_path, remote, monkeypatch, n=2)
    assert len(nbtrack.runs(scope="team")) == 4  # attached
    pg.stop("immediate")
    try:
        for _ in range(2):  # the process survives (no abort inside DuckDB) and says why
            with pytest.raises(RemoteError, match="cannot read the team store"):
                nbtrack.runs(scope="team")
    finally:
        pg.start()
    assert len(nbtrack.runs(scope="team")) == 4
