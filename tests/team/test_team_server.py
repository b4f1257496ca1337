"""``?scope=team`` on the server's routes (a real jupyter_server): the same read model over the
team store, Jupyter auth still required."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

import nbtrack
from nbtrack.team.push import Pusher

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def team_runs(tmp_path, remote, monkeypatch):
    other = nbtrack.store(str(tmp_path / "machine-b"))
    monkeypatch.setenv("NBTRACK_USER", "bob")
    ids = []
    for i in range(4):
        with nbtrack.start(name=f"b{i}", params={"lr": i / 10}, store_path=str(other.dir)) as run:
            run.log(step=0, loss=float(i))
        ids.append(run.run_id)
    other.flush()
    Pusher(other, remote).push_all()
    monkeypatch.delenv("NBTRACK_USER")
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    return ids


@pytest.fixture
def jp_server_config(tmp_path):
    return {"ServerApp": {"jpserver_extensions": {"nbtrack": True}}, "NBTrack": {"store": str(tmp_path / "local")}}


async def get(jp_fetch, *path, **params):
    resp = await jp_fetch("nbtrack", "api", *path, params=params, method="GET")
    return json.loads(resp.body)


async def test_scope_team_lists_filters_and_details_team_runs(jp_fetch, team_runs):
    local = await get(jp_fetch, "runs")
    assert local["total"] == 0
    team = await get(jp_fetch, "runs", scope="team", filter=json.dumps([["params.lr", ">=", 0.2]]), sort="params.lr")
    assert [r["name"] for r in team["runs"]] == ["b2", "b3"] and team["total"] == 2
    assert {r["user"] for r in team["runs"]} == {"bob"}
    run = await get(jp_fetch, "runs", team_runs[0], scope="team")
    assert run["run_id"] == team_runs[0] and run["params"] == {"lr": 0.0}
    series = await get(jp_fetch, "runs", team_runs[1], "series", scope="team")
    assert series["series"]["loss"]["values"] == [1.0]
    cols = await get(jp_fetch, "columns", scope="team")
    assert {"name": "params.lr", "kind": "number"} in cols["columns"]
    changes = await get(jp_fetch, "changes", scope="team")
    assert changes
    info = await get(jp_fetch, "store", scope="team")
    assert (info["scope"], info["runs"], info["points"], info["users"]) == ("team", 4, 4, 1)


async def test_scope_is_checked_and_auth_required(jp_fetch, team_runs):
    with pytest.raises(HTTPClientError) as info:
        await get(jp_fetch, "runs", scope="everyone")
    assert info.value.code == 400
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "nbtrack", "api", "runs", params={"scope": "team"}, method="GET", headers={"Authorization": "token wrong"}
        )
    assert info.value.code == 403


async def test_what_the_sidebar_compare_asks_with_the_team_toggle_on(jp_fetch, team_runs):
    """compareload.ts: each run's detail and curves with scope=team (and points=1000); the same
    requests without the scope look in the local store, which lacks these runs."""
    for run_id in team_runs[:2]:
        run = await get(jp_fetch, "runs", run_id, scope="team")
        assert run["run_id"] == run_id and run["series_keys"] == {"loss": 1}
        series = await get(jp_fetch, "runs", run_id, "series", scope="team", points="1000")
        assert list(series["series"]) == ["loss"]
        with pytest.raises(HTTPClientError) as info:
            await get(jp_fetch, "runs", run_id)
        assert info.value.code == 404
