"""The server extension's REST routes, through a real jupyter_server (pytest-jupyter)."""

from __future__ import annotations

import json
import math
import re
import time

import pytest
from tornado.httpclient import HTTPClientError

from nbtrack.capture.run import Run
from nbtrack.store import get_store

pytest_plugins = ["pytest_jupyter.jupyter_server"]

XSS = '<img src=x onerror="window.__pwned=1">'
RUNS: dict[str, str] = {}  # name -> run id, filled by the store_dir fixture


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    """A store with six runs: three of cell c1 in a.ipynb, one of b.ipynb, a failed one, one
    still running, plus series points and a NaN metric."""
    folder = tmp_path_factory.mktemp("store") / ".nbtrack"
    store = get_store(folder)
    runs = {}

    def make(name, notebook, cell, params, metrics, series=None, status="finished", tags=()):
        run = Run(
            store,
            name=name,
            notebook=notebook,
            cell_id=cell,
            params=params,
            tags=list(tags),
            experiment="exp-" + (notebook or "none").split("/")[-1].split(".")[0],
            source=f"# {name}\nlr = {params.get('lr')!r}\n",
            execution_count=len(runs) + 1,
        )
        run.begin()
        for step, value in enumerate(series or []):
            run.log(step=step, metrics={"loss": value})
        if status != "running":
            exc = ValueError("boom") if status == "failed" else None
            svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
            run.end(
                status,
                exc,
                metrics=metrics,
                inputs=[{"name": "X", "type": "ndarray", "shape": "(3, 2)", "fingerprint": "abc", "value": None}],
                artifacts=[
                    {"name": "stdout", "mime": "text/plain", "size": 6, "data": b"hello\n"},
                    {"name": "display-0", "mime": "image/svg+xml", "size": len(svg), "data": svg},
                    {"name": "blob", "mime": "text/html", "size": 9, "data": b"<b>x</b>"},
                ],
            )
        runs[name] = run.run_id
        time.sleep(0.003)  # distinct millisecond ids
        return run

    make("alpha", "/nb/a.ipynb", "c1", {"lr": 0.1, "depth": 3}, {"acc": 0.7}, [1.0, 0.5, 0.25], tags=["base"])
    make("beta", "/nb/a.ipynb", "c1", {"lr": 0.01, "depth": 5}, {"acc": 0.9}, list(range(5000)))
    make("gamma", "/nb/a.ipynb", "c2", {"lr": 0.05, "opt": "adam"}, {"acc": 0.8, "bad": math.nan})
    make("delta", "/nb/sub/b.ipynb", "c9", {"lr": 1.0}, {"acc": 0.5})
    make("broken", "/nb/a.ipynb", "c3", {"lr": 0.2}, {}, status="failed")
    make(XSS, "/nb/a.ipynb", "c4", {"lr": 0.3}, {"acc": 0.1})
    make("live", "/nb/a.ipynb", "c5", {"lr": 0.4}, {}, status="running")
    assert store.flush(20)
    RUNS.clear()
    RUNS.update(runs)
    return folder


@pytest.fixture
def jp_server_config(store_dir):
    return {"ServerApp": {"jpserver_extensions": {"nbtrack": True}}, "NBTrack": {"store": str(store_dir)}}


async def get(jp_fetch, path, **params):
    resp = await jp_fetch("nbtrack", "api", *path.split("/"), params=params, method="GET")
    assert resp.headers["Content-Type"].startswith("application/json")
    return json.loads(resp.body)


async def get_error(jp_fetch, path, **params) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtrack", "api", *path.split("/"), params=params, method="GET")
    return info.value.code, json.loads(info.value.response.body)


def names(reply) -> list[str]:
    return [r["name"] for r in reply["runs"]]


async def test_runs_newest_first_with_params_and_metrics(jp_fetch, store_dir):
    reply = await get(jp_fetch, "runs")
    assert reply["total"] == 7
    assert names(reply) == ["live", XSS, "broken", "delta", "gamma", "beta", "alpha"]
    alpha = reply["runs"][-1]
    assert alpha["params"] == {"depth": 3, "lr": 0.1}
    assert alpha["metrics"]["acc"] == 0.7 and alpha["metrics"]["loss"] == 0.25
    assert alpha["status"] == "finished" and alpha["cell_id"] == "c1"
    assert alpha["started_at"].endswith("Z") and alpha["duration_s"] >= 0
    assert alpha["source_head"].startswith("# alpha")
    assert reply["runs"][0]["status"] == "running"
    assert reply["now"].endswith("Z")


async def test_nan_encoded_as_string(jp_fetch):
    reply = await get(jp_fetch, "runs", q="gamma")
    assert reply["runs"][0]["metrics"]["bad"] == "NaN"


async def test_notebook_experiment_status_cell_filters(jp_fetch):
    assert set(names(await get(jp_fetch, "runs", notebook="/nb/sub/b.ipynb"))) == {"delta"}
    resp = await jp_fetch(
        "nbtrack", "api", "runs", method="GET", params=[("notebook", "/nb/sub/b.ipynb"), ("notebook", "/nb/a.ipynb")]
    )
    assert json.loads(resp.body)["total"] == 7
    assert names(await get(jp_fetch, "runs", notebook="/nb/a.ipynb", cell_id="c1")) == ["beta", "alpha"]
    assert names(await get(jp_fetch, "runs", experiment="exp-b")) == ["delta"]
    assert names(await get(jp_fetch, "runs", status="failed")) == ["broken"]
    assert set(names(await get(jp_fetch, "runs", status="failed,running"))) == {"broken", "live"}


async def test_notebook_relative_to_root_matches_absolute(jp_fetch, jp_root_dir, store_dir):
    store = get_store(store_dir)
    run = Run(store, name="rooted", notebook=str(jp_root_dir / "dir" / "n.ipynb"), cell_id="x")
    run.begin()
    run.end("finished")
    assert store.flush(10)
    reply = await get(jp_fetch, "runs", notebook="dir/n.ipynb")
    assert names(reply) == ["rooted"]
    assert reply["runs"][0]["notebook_path"] == "dir/n.ipynb"


async def test_free_text(jp_fetch):
    assert names(await get(jp_fetch, "runs", q="ALPHA")) == ["alpha"]
    assert names(await get(jp_fetch, "runs", q="base")) == ["alpha"]  # tag
    assert set(names(await get(jp_fetch, "runs", q="sub/b"))) == {"delta"}  # notebook
    assert names(await get(jp_fetch, "runs", q="alpha beta")) == []  # every word must match


async def test_structured_filters(jp_fetch):
    f = json.dumps([["params.lr", "<", 0.06], ["metrics.acc", ">=", 0.8]])
    assert set(names(await get(jp_fetch, "runs", filter=f))) == {"beta", "gamma"}
    f = json.dumps([["params.opt", "=", "adam"]])
    assert names(await get(jp_fetch, "runs", filter=f)) == ["gamma"]
    f = json.dumps([["name", "contains", "lph"]])
    assert names(await get(jp_fetch, "runs", filter=f)) == ["alpha"]
    # the other spellings of the shared grammar: dicts and "column op value" strings
    f = json.dumps([{"column": "metrics.acc", "op": ">", "value": 0.85}, "params.depth == 5"])
    assert names(await get(jp_fetch, "runs", filter=f)) == ["beta"]
    f = json.dumps([["tags", "contains", "base"], ["status", "in", ["finished", "failed"]]])
    assert names(await get(jp_fetch, "runs", filter=f)) == ["alpha"]
    f = json.dumps([["started_at", ">", "2000-01-01"], ["metrics.acc", "is null"]])
    assert set(names(await get(jp_fetch, "runs", filter=f))) >= {"broken", "live"}


async def test_sql_shaped_values_are_inert(jp_fetch):
    for value in ["x' OR 1=1 --", "'); DROP TABLE runs; --", "read_csv('/etc/passwd')"]:
        f = json.dumps([["name", "=", value]])
        assert (await get(jp_fetch, "runs", filter=f))["total"] == 0
        assert (await get(jp_fetch, "runs", q=value))["total"] == 0
        assert (await get(jp_fetch, "runs", notebook=value))["total"] == 0
    assert (await get(jp_fetch, "runs"))["total"] >= 7  # still all there
    # a column name that is SQL is rejected, not executed
    code, body = await get_error(jp_fetch, "runs", filter=json.dumps([["1=1) OR (1", "=", 1]]))
    assert code == 400 and "1=1" in body["message"]
    code, body = await get_error(jp_fetch, "runs", sort="run_id; DROP TABLE runs")
    assert code == 400


async def test_sort_and_paging(jp_fetch):
    reply = await get(jp_fetch, "runs", sort="-metrics.acc", notebook="/nb/a.ipynb")
    assert names(reply)[:4] == ["beta", "gamma", "alpha", XSS]  # runs without acc last
    reply = await get(jp_fetch, "runs", sort="params.lr", notebook="/nb/a.ipynb")
    assert names(reply)[:3] == ["beta", "gamma", "alpha"]
    reply = await get(jp_fetch, "runs", sort="name", limit="2", offset="1", notebook="/nb/a.ipynb")
    assert names(reply) == ["alpha", "beta"] and reply["total"] == 6
    assert reply["limit"] == 2 and reply["offset"] == 1
    reply = await get(jp_fetch, "runs", limit="5", offset="100")
    assert reply["runs"] == [] and reply["total"] >= 7


@pytest.mark.parametrize(
    "params, needle",
    [
        ({"limit": "ten"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"filter": "not json"}, "filter"),
        ({"filter": json.dumps({"a": 1})}, "filter"),
        ({"filter": json.dumps([["params.lr", "LIKE", 1]])}, "LIKE"),
        ({"filter": json.dumps([["params.lr", "<", "abc"]])}, "abc"),
        ({"filter": json.dumps([["nope", "=", 1]])}, "nope"),
        ({"sort": "nope"}, "nope"),
        ({"sort": "-metrics.ac"}, "Did you mean metrics.acc"),
        ({"filter": json.dumps([["params.lrr", "<", 1]])}, "Did you mean params.lr"),
        ({"filter": json.dumps(["params.lr >"])}, "params.lr"),
        ({"status": "done"}, "done"),
    ],
)
async def test_bad_parameters_400(jp_fetch, params, needle):
    code, body = await get_error(jp_fetch, "runs", **params)
    assert code == 400
    assert needle in body["message"]


async def test_run_detail_by_prefix(jp_fetch, store_dir):
    run_id = RUNS["alpha"]
    reply = await get(jp_fetch, f"runs/{run_id[:12]}")
    assert reply["run_id"] == run_id
    assert reply["params"] == {"depth": 3, "lr": 0.1}
    assert reply["inputs"]["X"]["shape"] == "(3, 2)"
    assert reply["source"].startswith("# alpha")
    assert reply["series_keys"] == {"loss": 3}
    assert "python" in json.dumps(reply["context"]).lower()
    broken = await get(jp_fetch, f"runs/{RUNS['broken']}")
    assert broken["status"] == "failed"
    assert broken["error"]["type"] == "ValueError" and "boom" in broken["error"]["traceback"]


async def test_unknown_run_404(jp_fetch):
    for path in ["runs/zzzzzzzzzz", "runs/zzzzzzzzzz/series"]:
        code, body = await get_error(jp_fetch, path)
        assert code == 404
        assert "zzzzzzzzzz" in body["message"]


async def test_series_downsampled(jp_fetch, store_dir):
    reply = await get(jp_fetch, f"runs/{RUNS['beta']}/series", keys="loss", points="100")
    loss = reply["series"]["loss"]
    assert 4 <= len(loss["steps"]) <= 110
    assert loss["steps"][0] == 0 and loss["steps"][-1] == 4999 and max(loss["values"]) == 4999
    reply = await get(jp_fetch, f"runs/{RUNS['alpha']}/series")
    assert reply["series"]["loss"] == {"steps": [0, 1, 2], "values": [1.0, 0.5, 0.25]}
    code, _ = await get_error(jp_fetch, f"runs/{RUNS['alpha']}/series", points="2")
    assert code == 400


async def test_artifacts_served_sandboxed(jp_fetch):
    run_id = RUNS["alpha"]
    detail = await get(jp_fetch, f"runs/{run_id}")
    assert detail["stdout"] == "hello\n"
    assert {a["name"] for a in detail["artifacts"]} == {"stdout", "display-0", "blob"}
    resp = await jp_fetch("nbtrack", "api", "runs", run_id, "artifacts", "display-0", method="GET")
    assert resp.headers["Content-Type"] == "image/svg+xml"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.body.startswith(b"<svg")
    resp = await jp_fetch("nbtrack", "api", "runs", run_id, "artifacts", "blob", method="GET")
    assert resp.headers["Content-Type"] == "application/octet-stream"  # HTML is never served as HTML
    assert resp.headers["Content-Disposition"] == "attachment"
    code, body = await get_error(jp_fetch, f"runs/{run_id}/artifacts/nope")
    assert code == 404 and "nope" in body["message"]


async def test_experiments_columns_store(jp_fetch, store_dir):
    exps = {e["experiment"]: e for e in (await get(jp_fetch, "experiments"))["experiments"]}
    assert exps["exp-a"]["runs"] >= 6 and exps["exp-a"]["running"] == 1
    cols = {c["name"]: c["kind"] for c in (await get(jp_fetch, "columns"))["columns"]}
    assert cols["params.lr"] == "number" and cols["params.opt"] == "text" and cols["metrics.acc"] == "number"
    info = await get(jp_fetch, "store")
    assert info["path"] == str(store_dir) and info["runs"] >= 7 and info["source"] == "NBTrack.store"
    assert info["schema_version"] >= 1 and info["token"]


async def test_changes_token(jp_fetch, store_dir):
    first = await get(jp_fetch, "changes")
    assert first["changed"] is True and first["token"]
    again = await get(jp_fetch, "changes", since=first["token"])
    assert again == {"token": first["token"], "changed": False}
    store = get_store(store_dir)
    run = Run(store, name="later", notebook="/nb/c.ipynb", cell_id="z")
    run.begin()
    run.end("finished")
    assert store.flush(10)
    after = await get(jp_fetch, "changes", since=first["token"])
    assert after["changed"] is True
    assert "later" in names(await get(jp_fetch, "runs", notebook="/nb/c.ipynb"))


def _nbtrack_routes(app) -> list[tuple[str, type]]:
    out = []
    for rule in app.web_app.default_router.rules:
        for sub in getattr(rule.target, "rules", []):
            pattern = getattr(sub.matcher, "regex", None)
            if pattern is not None and "/nbtrack/" in pattern.pattern:
                out.append((pattern.pattern, sub.target))
    return out


async def test_every_route_requires_a_token(jp_serverapp, jp_fetch):
    routes = _nbtrack_routes(jp_serverapp)
    assert len(routes) == 10, routes
    run_id = RUNS["alpha"]
    for pattern, handler in routes:
        tail = pattern.split("nbtrack/api/", 1)[1].replace("/?$", "").rstrip("$")
        path = re.sub(r"\(\?P<run_id>[^)]*\)", run_id, tail)
        path = re.sub(r"\(\?P<name>[^)]*\)", "stdout", path)
        post = "post" in handler.__dict__  # replay / export (tests/server/test_handlers_repro.py runs them)
        for auth in ("", "token wrong"):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(
                    "nbtrack",
                    "api",
                    *path.split("/"),
                    headers={"Authorization": auth},
                    **({"method": "POST", "body": b""} if post else {}),
                )
            assert info.value.code == 403, (path, handler, auth)
        if post:
            continue
        resp = await jp_fetch("nbtrack", "api", *path.split("/"))  # with the token they answer
        assert resp.code == 200, (path, handler)


def test_every_handler_method_is_authenticated(jp_serverapp):
    """Static half of the check: any HTTP method a handler defines is wrapped by
    ``tornado.web.authenticated`` (which sets ``__wrapped__``)."""
    import tornado.web

    for _pattern, handler in _nbtrack_routes(jp_serverapp):
        for method in tornado.web.RequestHandler.SUPPORTED_METHODS:
            fn = handler.__dict__.get(method.lower())
            if fn is not None:
                assert hasattr(fn, "__wrapped__"), f"{handler.__name__}.{method.lower()} is not @authenticated"


async def test_reads_run_off_the_event_loop(jp_fetch, monkeypatch):
    """A slow store read does not hold up other requests (it runs on a worker thread)."""
    import asyncio

    from nbtrack.store import api_queries

    real = api_queries.list_runs

    def slow(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(api_queries, "list_runs", slow)
    slow_task = asyncio.ensure_future(get(jp_fetch, "runs"))
    await asyncio.sleep(0.1)
    await get(jp_fetch, "changes")
    assert not slow_task.done()  # "changes" answered while the slow "runs" still ran
    assert (await slow_task)["total"] >= 7


async def test_store_errors_are_503_json(jp_fetch, tmp_path, jp_serverapp):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "nbtrack.duckdb").write_bytes(b"this is not a duckdb file" * 100)
    jp_serverapp.web_app.settings["nbtrack_locator"].configured = str(bad)
    code, body = await get_error(jp_fetch, "runs")
    assert code == 503
    assert "nbtrack" in body["message"] and "Traceback" not in json.dumps(body)


async def test_default_store_found_from_root(jp_fetch, jp_serverapp, jp_root_dir, monkeypatch):
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    locator = jp_serverapp.web_app.settings["nbtrack_locator"]
    locator.configured = None
    locator._cache.clear()
    store = get_store(jp_root_dir / ".nbtrack")
    run = Run(store, name="at-root", notebook=str(jp_root_dir / "x.ipynb"), cell_id="r")
    run.begin()
    run.end("finished")
    assert store.flush(10)
    info = await get(jp_fetch, "store")
    assert info["path"] == str((jp_root_dir / ".nbtrack").resolve()) and info["source"] == "root_dir"
    assert names(await get(jp_fetch, "runs", notebook="x.ipynb")) == ["at-root"]


async def test_store_of_a_notebook_in_a_subfolder(jp_fetch, jp_serverapp, jp_root_dir, monkeypatch):
    """A kernel in sub/ uses sub/.nbtrack when it exists: so do requests about sub/ notebooks."""
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    locator = jp_serverapp.web_app.settings["nbtrack_locator"]
    locator.configured = None
    locator._cache.clear()
    (jp_root_dir / "sub" / ".nbtrack").mkdir(parents=True)
    store = get_store(jp_root_dir / "sub" / ".nbtrack")
    run = Run(store, name="in-sub", notebook=str(jp_root_dir / "sub" / "n.ipynb"), cell_id="s")
    run.begin()
    run.end("finished")
    assert store.flush(10)
    reply = await get(jp_fetch, "runs", notebook="sub/n.ipynb")
    assert names(reply) == ["in-sub"]
    assert names(await get(jp_fetch, "runs", cell_id="s", store_of="sub/n.ipynb")) == ["in-sub"]
    detail = await get(jp_fetch, f"runs/{run.run_id}", notebook="sub/n.ipynb")
    assert detail["notebook_path"] == "sub/n.ipynb"
    info = await get(jp_fetch, "store", notebook="sub/n.ipynb")
    assert info["path"] == str((jp_root_dir / "sub" / ".nbtrack").resolve())
    # the root (and paths that leave it) read the root's store
    assert (await get(jp_fetch, "store"))["path"] == str((jp_root_dir / ".nbtrack").resolve())
    assert (await get(jp_fetch, "store", notebook="../sub/n.ipynb"))["path"] == str(
        (jp_root_dir / ".nbtrack").resolve()
    )
    assert (await get(jp_fetch, "runs", notebook="sub/n.ipynb", q="nothing-matches"))["total"] == 0


def test_json_encoding_of_non_finite_numbers_and_times():
    import datetime as dt

    import numpy as np

    from nbtrack.server.handlers import dumps

    out = json.loads(
        dumps(
            {
                "nan": math.nan,
                "inf": math.inf,
                "ninf": -math.inf,
                "np": np.float32(0.5),
                "npnan": np.float64("nan"),
                "arr": np.array([1.0, np.inf]),
                "i": np.int64(3),
                "t": dt.datetime(2026, 1, 2, 3, 4, 5),
                "tz": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
                "b": b"raw",
            }
        )
    )
    assert out == {
        "nan": "NaN",
        "inf": "Infinity",
        "ninf": "-Infinity",
        "np": 0.5,
        "npnan": "NaN",
        "arr": [1.0, "Infinity"],
        "i": 3,
        "t": "2026-01-02T03:04:05Z",
        "tz": "2026-01-02T03:04:05Z",
        "b": None,
    }
