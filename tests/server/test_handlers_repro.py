"""The sidebar's Replay and Export-as-notebook routes (POST, authenticated) through a real
jupyter_server, on runs made by a real kernel (nbclient, as tests/test_repro.py makes them)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from test_repro import SCENARIOS, _execute
from tornado.httpclient import HTTPClientError

import nbtrack

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def made(jp_root_dir, monkeypatch):
    """A stale run (upstream redefined after it) in a notebook under the server root."""
    store_dir = jp_root_dir / ".nbtrack"
    monkeypatch.setenv("NBTRACK_STORE", str(store_dir))  # the kernels' store
    nbtrack.store(str(store_dir))
    sc = next(s for s in SCENARIOS if s.name == "upstream_redefined_after")
    # nbclient on a thread: the server's event loop runs in this one (its client would go async)
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(_execute, sc, jp_root_dir, store_dir).result()
    run_id = nbtrack.runs().loc[lambda f: f.cell_id == ids[sc.tracked]].run_id.iloc[0]
    return store_dir, run_id, sc


@pytest.fixture
def jp_server_config(jp_root_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"nbtrack": True}},
        "NBTrack": {"store": str(jp_root_dir / ".nbtrack")},
    }


async def post(jp_fetch, path):
    resp = await jp_fetch("nbtrack", "api", *path.split("/"), method="POST", body=b"")
    return json.loads(resp.body)


async def test_replay_route_reruns_the_run_in_a_fresh_kernel(jp_fetch, made):
    store_dir, run_id, _ = made
    runs = json.loads((await jp_fetch("nbtrack", "api", "runs", method="GET")).body)["runs"]
    row = next(r for r in runs if r["run_id"] == run_id)
    assert row.get("stale") is True and "data" in (row.get("stale_reason") or "")  # what the badge shows
    out = await post(jp_fetch, f"runs/{run_id[:12]}/replay")
    assert out["original"] == run_id and out["same"] is True and out["run_id"] != run_id
    replayed = nbtrack.runs().loc[lambda f: f.run_id == out["run_id"]]
    assert len(replayed) == 1


async def test_export_route_writes_a_new_notebook_and_never_overwrites(jp_fetch, jp_root_dir, made):
    _, run_id, sc = made
    first = await post(jp_fetch, f"runs/{run_id}/notebook")
    second = await post(jp_fetch, f"runs/{run_id}/notebook")
    assert first["path"] != second["path"]
    for out in (first, second):
        nb = nbformat.read(jp_root_dir / out["path"], as_version=4)
        assert [c.source for c in nb.cells] == ["%load_ext nbtrack", *sc.cells[:3]]


async def test_routes_refuse_unknown_runs_and_the_team_scope(jp_fetch, made):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("nbtrack", "api", "runs", "nosuchrun", "replay", method="POST", body=b"")
    assert err.value.code == 404
    _, run_id, _ = made
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("nbtrack", "api", "runs", run_id, "notebook", method="POST", body=b"", params={"scope": "team"})
    assert err.value.code == 400 and "local store" in json.loads(err.value.response.body)["message"]


async def test_routes_need_jupyter_auth(jp_fetch, made):
    _, run_id, _ = made
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch(
            "nbtrack", "api", "runs", run_id, "replay", method="POST", body=b"", headers={"Authorization": ""}
        )
    assert err.value.code in (401, 403)
