"""The server extension under store faults: every route answers with JSON, 200 or a clear 503,
never a 500 with a traceback (corrupt file, newer schema, file held read-write elsewhere)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
from tornado.httpclient import HTTPClientError

import nbtrack
from nbtrack.store import get_store

pytest_plugins = ["pytest_jupyter.jupyter_server"]
pytestmark = pytest.mark.reliability

ROUTES = ["runs", "experiments", "columns", "store", "changes"]


@pytest.fixture
def store_dir(tmp_path):
    folder = tmp_path / "faulty" / ".nbtrack"
    with nbtrack.start(name="one", params={"lr": 0.1}, store_path=str(folder)) as run:
        nbtrack.log(loss=0.5)
    store = get_store(folder)
    store.compact()
    store.run_id = run.run_id
    return folder


@pytest.fixture
def jp_server_config(store_dir):
    return {"ServerApp": {"jpserver_extensions": {"nbtrack": True}}, "NBTrack": {"store": str(store_dir)}}


async def answers(jp_fetch, path):
    try:
        resp = await jp_fetch("nbtrack", "api", *path.split("/"), method="GET")
        return resp.code, json.loads(resp.body)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)


def corrupt(folder):
    (folder / "nbtrack.duckdb").write_bytes(b"garbage" * 5000)


def newer(folder):
    con = duckdb.connect(str(folder / "nbtrack.duckdb"))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()


@pytest.mark.parametrize("fault", [corrupt, newer], ids=["corrupt file", "newer schema"])
async def test_routes_answer_503_json_not_500(jp_fetch, store_dir, fault, figures):
    figures.update(load="every route", faults=fault.__name__, inputs=f"{len(ROUTES) + 2} routes", lost="-")
    get_store(store_dir)._con = None  # the server process is this process: drop cached state
    fault(store_dir)
    run_id = get_store(store_dir).run_id
    for path in ROUTES + [f"runs/{run_id}", f"runs/{run_id}/series"]:
        code, body = await answers(jp_fetch, path)
        assert code in (200, 503), (path, code, body)
        assert "Traceback" not in json.dumps(body)
        if code == 503:
            assert body["message"].startswith("nbtrack:"), body
    figures["lost"] = 0


async def test_routes_while_another_process_holds_the_file(jp_fetch, store_dir, figures):
    figures.update(load="every route", faults="file held read-write", inputs=f"{len(ROUTES)} routes", lost="-")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(8)",
            str(store_dir / "nbtrack.duckdb"),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout.readline().strip() == b"held"
    try:
        for path in ROUTES:
            code, body = await answers(jp_fetch, path)
            assert code in (200, 503), (path, code, body)
            if code == 503:
                assert "held by another process" in body["message"]
    finally:
        holder.wait(20)
    code, body = await answers(jp_fetch, "runs")  # and it recovers once the file is free
    assert code == 200 and body["total"] == 1
    figures["lost"] = 0
