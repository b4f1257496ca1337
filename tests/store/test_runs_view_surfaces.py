"""One read model (issue 13): the table widget (driven by the messages its front end sends),
the server's GET runs (what the sidebar calls, through Jupyter's auth) and ``nbtrack.runs()``
give the same runs in the same order for the same filters, free text and sort."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

import nbtrack
from nbtrack.capture.run import Run
from nbtrack.store import get_store

pytest_plugins = ["pytest_jupyter.jupyter_server"]

SPECS = [
    ("alpha", ["baseline"], "a.ipynb", {"lr": 0.1, "model": "rf", "depth": 3}, 0.91, None),
    ("beta", ["sweep"], "a.ipynb", {"lr": 0.01, "model": "gb", "depth": 5}, 0.85, None),
    ("gamma", ["sweep", "late"], "sub/b.ipynb", {"lr": 0.2, "model": "rf", "depth": 8}, 0.70, None),
    ("delta base", [], "sub/b.ipynb", {"lr": 0.05, "model": "lin", "depth": 1}, None, ValueError),
    ("Epsilon", ["baseline"], None, {"lr": 0.3, "model": "gb", "depth": 2}, 0.99, None),
    ("zeta", ["sweep"], "a.ipynb", {"lr": 0.1, "model": "svm", "depth": 4}, 0.88, None),
]

# (filters, free text, sort as the sidebar sends it, how many runs match)
CASES = [
    ([], "", "", 6),
    ([], "base", "", 3),  # a name ("delta base") and two tags ("baseline")
    ([], "sweep a.ipynb", "name", 2),  # every word in some column: tag and notebook
    ([["params.model", "not in", ["rf", "gb"]]], "", "-params.depth", 2),
    ([["params.model", "not in", ["rf"]], ["metrics.acc", ">", 0.8]], "sweep", "-metrics.acc", 2),
    ([["tags", "contains", "sweep"], ["params.lr", "<=", 0.1]], "", "-params.lr,name", 2),
    ([["status", "==", "failed"]], "", "", 1),
    ([["stale", "==", False]], "", "name", 6),  # a computed column filters in all three
]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("surfaces") / ".nbtrack"
    store = get_store(folder)
    for name, tags, notebook, params, acc, fail in SPECS:
        try:
            with Run(store, name=name, tags=tags, params=params, notebook=notebook) as run:
                if acc is not None:
                    run.log_metrics({"acc": acc})
                if fail:
                    raise fail("boom")
        except ValueError:
            pass
    assert store.flush(20)
    return folder


@pytest.fixture
def jp_server_config(store_dir):
    return {"ServerApp": {"jpserver_extensions": {"nbtrack": True}}, "NBTrack": {"store": str(store_dir)}}


def _table_ids(widget, filters, q, sort) -> tuple[list[str], int, list[str]]:
    sort_msg = [{"column": s.lstrip("-"), "dir": "desc" if s.startswith("-") else "asc"} for s in sort.split(",") if s]
    content, buffers = widget.handle_request(
        {
            "type": "page",
            "uuid": "u1",
            "offset": 0,
            "limit": 50,
            "search": q,
            "filters": [{"column": c, "op": op, "value": v} for c, op, v in filters],
            "sort": sort_msg,
        }
    )
    assert "error" not in content, content
    rows = pa.ipc.open_stream(buffers[content["tables"].index("rows")]).read_all()
    return rows.column("run_id").to_pylist(), content["total"], [c["name"] for c in content["columns"]]


@pytest.mark.parametrize("filters,q,sort,n", CASES, ids=[f"{f}|{q}|{s}" for f, q, s, _ in CASES])
async def test_table_sidebar_and_runs_agree(jp_fetch, store_dir, monkeypatch, filters, q, sort, n):
    monkeypatch.setenv("NBTRACK_STORE", str(store_dir))
    store = get_store(store_dir)

    params = {"q": q, "sort": sort, "limit": "100"}
    if filters:
        params["filter"] = json.dumps(filters)
    resp = await jp_fetch("nbtrack", "api", "runs", params={k: v for k, v in params.items() if v}, method="GET")
    body = json.loads(resp.body)
    server_ids = [r["run_id"] for r in body["runs"]]

    widget = nbtrack.table(store=store)
    table_ids, table_total, table_columns = _table_ids(widget, filters, q, sort)
    # once more from the built cache (the first page may come straight from the store)
    widget.cache.refresh()
    cached_ids, cached_total, _ = _table_ids(widget, filters, q, sort)

    frame = nbtrack.runs(*[tuple(f) for f in filters], search=q or None, sort=sort or None)

    assert len(server_ids) == n
    assert table_ids == cached_ids == server_ids == list(frame.run_id)
    assert body["total"] == table_total == cached_total == n
    # the computed stale flags reach every surface
    assert "stale" in table_columns and "stale" in frame.columns
    assert all("stale" in r and "stale_reason" in r for r in body["runs"])


def test_a_bad_filter_is_the_same_error_everywhere(store_dir, monkeypatch):
    monkeypatch.setenv("NBTRACK_STORE", str(store_dir))
    widget = nbtrack.table(store=get_store(store_dir))
    content, _ = widget.handle_request(
        {"type": "page", "uuid": "u2", "filters": [{"column": "params.modle", "op": "==", "value": "rf"}]}
    )
    with pytest.raises(ValueError) as frame_err:
        nbtrack.runs("params.modle == 'rf'")
    assert content["error"] == str(frame_err.value)
    assert "params.model" in content["error"]  # the hint names the column meant
