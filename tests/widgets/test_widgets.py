"""Widgets driven by the messages their front end sends (as anywidget delivers them), against a
real temporary store: the filter grammar, the run table's pages, the live run card, compare and
diff, and the %%track card/summary choice."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import duckdb
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.store.filters import FilterError, compile_filters, parse_filter, quote_ident

XSS = "<img src=x onerror=\"document.title='pwned'\">"


def arrow(buf) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(bytes(buf))).read_all()


def unique_prefix(run_id: str, others) -> str:
    n = 4
    while any(o != run_id and o.startswith(run_id[:n]) for o in others):
        n += 1
    return run_id[:n]


def reply_tables(content: dict, buffers: list) -> dict[str, pa.Table]:
    assert "error" not in content, content.get("error")
    assert len(content["tables"]) == len(buffers)
    return {name: arrow(b) for name, b in zip(content["tables"], buffers)}


def make_runs(store, specs):
    """specs: (name, params, final metrics, n series points, tags). Returns run ids in order."""
    ids = []
    for name, params, metrics, points, tags in specs:
        with nbtrack.start(name=name, params=params, tags=tags, store_path=str(store.dir)) as run:
            for i in range(points):
                nbtrack.log(step=i, loss=1.0 / (i + 1) + metrics.get("accuracy", 0), acc=i / max(points, 1))
        ids.append(run.run_id)
    store.flush()
    return ids


@pytest.fixture
def runs(store):
    specs = [
        ("alpha", {"lr": 0.1, "model": "rf", "depth": 3}, {}, 30, ["baseline"]),
        ("beta", {"lr": 0.01, "model": "gb", "depth": 3}, {}, 30, ["tuned"]),
        ("gamma", {"lr": 0.001, "model": "rf", "depth": 3}, {}, 30, ["tuned", "long"]),
        (XSS, {"lr": 0.5, "model": "o'brien; DROP TABLE runs --", "depth": 3}, {}, 5, []),
    ]
    ids = make_runs(store, specs)
    return dict(zip(["alpha", "beta", "gamma", "xss"], ids))


# -- the filter grammar ------------------------------------------------------------------------

KINDS = {
    "status": "text",
    "name": "text",
    "tags": "list",
    "params.lr": "number",
    "params.model": "text",
    "metrics.accuracy": "number",
    "started_at": "time",
}


def test_parse_filter_reads_column_operator_and_literal():
    assert parse_filter("metrics.accuracy > 0.9") == ("metrics.accuracy", ">", 0.9)
    assert parse_filter("params.model == 'rf'") == ("params.model", "==", "rf")
    assert parse_filter("status == failed") == ("status", "==", "failed")
    assert parse_filter("params.lr>=1e-3") == ("params.lr", ">=", 0.001)
    assert parse_filter("tags contains baseline") == ("tags", "contains", "baseline")
    assert parse_filter("name is not null") == ("name", "is not null", None)
    assert parse_filter("params.model in ['rf', 'gb']") == ("params.model", "in", ["rf", "gb"])
    with pytest.raises(FilterError, match="COLUMN OPERATOR VALUE"):
        parse_filter("just words")
    with pytest.raises(FilterError, match="no value"):
        parse_filter("metrics.accuracy >")


def test_compile_filters_binds_values_and_quotes_known_columns_only():
    sql, params = compile_filters([("metrics.accuracy", ">", "0.9"), "params.model == 'rf'"], KINDS)
    assert sql == '("metrics.accuracy" > ?) AND ("params.model" = ?)'
    assert params == [0.9, "rf"]  # "0.9" became a number: the column holds numbers
    evil = "x' OR 1=1; SELECT * FROM read_text('/etc/passwd') --"
    sql, params = compile_filters([{"column": "name", "op": "==", "value": evil}], KINDS)
    assert evil not in sql and params == [evil]
    with pytest.raises(FilterError, match="no column"):
        compile_filters([('name" OR 1=1 --', "==", 1)], KINDS)
    with pytest.raises(FilterError, match="Did you mean metrics.accuracy"):
        compile_filters([("metrics.acuracy", ">", 1)], KINDS)
    with pytest.raises(FilterError, match="unknown filter operator"):
        compile_filters([("name", "; DROP", 1)], KINDS)
    with pytest.raises(FilterError, match="not a number"):
        compile_filters([("params.lr", ">", "abc")], KINDS)
    with pytest.raises(FilterError, match="holds times"):
        compile_filters([("started_at", ">", "yesterday-ish")], KINDS)
    assert quote_ident('a"b') == '"a""b"'


def test_compiled_filters_select_the_right_rows_in_duckdb():
    con = duckdb.connect()
    con.register(
        "t",
        pa.table(
            {
                "name": ["a", "b", "c", None],
                "tags": [["x"], ["x", "y"], [], None],
                "params.lr": [0.1, 0.01, None, 1.0],
                "params.model": ["rf", "gb", "rf", "o'b"],
            }
        ),
    )
    kinds = {"name": "text", "tags": "list", "params.lr": "number", "params.model": "text"}

    def names(*filters):
        where, params = compile_filters(filters, kinds)
        return [
            r[0] for r in con.execute(f"SELECT name FROM t WHERE {where} ORDER BY name NULLS LAST", params).fetchall()
        ]

    assert names(("params.lr", ">", 0.05)) == ["a", None]
    assert names(("tags", "contains", "y")) == ["b"]
    assert names(("tags", "!=", "x")) == ["c", None]
    assert names(("params.lr", "is null")) == ["c"]
    assert names(("params.model", "==", "o'b")) == [None]
    assert names(("params.model", "in", ["rf", "gb"]), ("params.lr", "<", 1)) == ["a", "b"]
    assert names(("name", "!=", "a")) == ["b", "c", None]
    assert names(("params.model", "contains", "R")) == ["a", "c"]


# -- the run table -----------------------------------------------------------------------------


def page(table, **req):
    content, buffers = table.handle_request({"type": "page", "uuid": "u1", **req})
    assert content["uuid"] == "u1"
    return content, reply_tables(content, buffers)["rows"]


def test_table_sorts_filters_searches_and_pages_in_the_kernel(store, runs):
    table = nbtrack.table(store=store)
    content, rows = page(table)
    assert content["total"] == 4 and rows.num_rows == 4
    cols = [c["name"] for c in content["columns"]]
    assert cols[:8] == ["run_id", "status", "name", "experiment", "notebook", "started_at", "duration_s", "tags"]
    assert {"params.lr", "params.model", "metrics.acc", "metrics.loss"} <= set(cols)

    _, rows = page(table, sort=[{"column": "params.lr", "dir": "desc"}])
    assert rows.column("name").to_pylist() == [XSS, "alpha", "beta", "gamma"]
    _, rows = page(table, sort=[{"column": "params.lr", "dir": "asc"}])
    assert rows.column("name").to_pylist() == ["gamma", "beta", "alpha", XSS]

    content, rows = page(
        table,
        filters=[
            {"column": "params.model", "op": "==", "value": "rf"},
            {"column": "params.lr", "op": ">", "value": "0.005"},
        ],
    )
    assert content["total"] == 1 and rows.column("name").to_pylist() == ["alpha"]
    content, rows = page(table, search="TUNED")  # tags, case-insensitive
    assert sorted(rows.column("name").to_pylist()) == ["beta", "gamma"]
    content, rows = page(table, search="gam")
    assert rows.column("name").to_pylist() == ["gamma"]

    content, rows = page(table, sort=[{"column": "params.lr", "dir": "asc"}], offset=1, limit=2)
    assert content["total"] == 4 and content["offset"] == 1
    assert rows.column("name").to_pylist() == ["beta", "alpha"]

    # "differences only": params.depth is 3 everywhere, so it is reported hidden
    content, _ = page(table, diff_only=True)
    assert "params.depth" in content["hidden"] and "params.lr" not in content["hidden"]
    content, _ = page(table, diff_only=False)
    assert content["hidden"] == []


def test_table_page_types_are_browser_friendly(store, runs):
    _, rows = page(nbtrack.table(store=store))
    types = {f.name: f.type for f in rows.schema}
    assert types["started_at"] == pa.string()  # no timestamp objects in JS
    assert types["params.depth"] == pa.float64()  # no BigInt in JS
    assert pa.types.is_list(types["tags"])
    assert rows.column("name").to_pylist().count(XSS) == 1  # the name arrives verbatim


def test_table_errors_come_back_as_messages(store, runs):
    table = nbtrack.table(store=store)
    content, buffers = table.handle_request(
        {"type": "page", "uuid": "e1", "filters": [{"column": "metrics.nope", "op": ">", "value": 1}]}
    )
    assert content == {"uuid": "e1", "error": content["error"]} and buffers == []
    assert "no column 'metrics.nope'" in content["error"]
    content, _ = table.handle_request({"type": "page", "uuid": "e2", "sort": [{"column": "x; DROP", "dir": "asc"}]})
    assert "cannot sort" in content["error"]
    content, _ = table.handle_request({"type": "bogus", "uuid": "e3"})
    assert "unknown request type" in content["error"]
    content, _ = table.handle_request({"type": "diff", "uuid": "e4", "ids": [runs["alpha"]]})
    assert "exactly two" in content["error"]


def test_table_constructor_filters_and_rejects_unknown_keywords(store, runs):
    table = nbtrack.table(where="params.lr < 0.05", params__model="rf", store=store, sort="-params.lr")
    assert table.filters == [
        {"column": "params.lr", "op": "<", "value": 0.05},
        {"column": "params.model", "op": "==", "value": "rf"},
    ]
    _, rows = page(table)
    assert rows.column("name").to_pylist() == ["gamma"]
    assert table.page()["name"].tolist() == ["gamma"]
    from nbtrack.widgets import table as make_table

    assert make_table("params.lr < 0.05", store=store).filters == [{"column": "params.lr", "op": "<", "value": 0.05}]
    with pytest.raises(TypeError, match="unexpected keyword 'colour'"):
        nbtrack.table(colour="red", store=store)


def test_table_selection_is_readable_from_python_and_compares(store, runs):
    table = nbtrack.table(store=store)
    assert table.selected == []
    table.set_state({"selected": [runs["alpha"], runs["beta"]]})  # what the front end does
    assert table.selected == [runs["alpha"], runs["beta"]]
    content, buffers = table.handle_request({"type": "compare", "uuid": "c1"})
    tables = reply_tables(content, buffers)
    assert content["ids"] == [runs["alpha"], runs["beta"]]
    assert {c["kind"] for c in content["charts"]} >= {"curve", "scatter", "parallel"}
    assert tables["runs"].num_rows == 2
    widget = nbtrack.compare(table)
    assert widget.run_ids == [runs["alpha"], runs["beta"]]
    content, buffers = table.handle_request({"type": "diff", "uuid": "d1"})
    assert content["a"]["run_id"] == runs["alpha"] and "params" in content["tables"]


def test_table_sees_new_runs_without_being_recreated(store, runs):
    table = nbtrack.table(store=store)
    content, _ = page(table)
    assert content["total"] == 4 and content["complete"] is False  # the quick first page
    table._building.join()  # the cache the next pages use
    before = table.handle_request({"type": "poll", "uuid": "p"})[0]["version"]
    assert before
    make_runs(store, [("delta", {"lr": 0.2}, {}, 3, [])])
    deadline = time.time() + 20
    version = before
    while version == before and time.time() < deadline:
        version = table.handle_request({"type": "poll", "uuid": "p"})[0]["version"]
        time.sleep(0.1)
    assert version != before
    content, rows = page(table)
    assert content["total"] == 5 and "delta" in rows.column("name").to_pylist()


def test_table_state_is_small(store, runs):
    """Everything the browser gets on display (the bundle included) is under 1 MB; the data
    traits are a few hundred bytes (rows come per page)."""
    table = nbtrack.table(store=store)
    state = table.get_state()
    assert len(json.dumps(state, default=str)) < 1_000_000
    state.pop("_esm")
    assert len(json.dumps(state, default=str)) < 10_000


@pytest.mark.timeout(300)
def test_table_pages_quickly_over_many_runs(store):
    """20,000 runs: a sort or filter round trip (the kernel's share) well under 150 ms."""
    import datetime as dt

    from nbtrack.store.ids import new_run_id
    from nbtrack.store.schema import TABLES

    n = 20_000
    ids = sorted(new_run_id() for _ in range(n))
    t0 = dt.datetime(2026, 1, 1)
    runs_rows = [
        dict(
            run_id=r,
            seq=1,
            name=f"run {i}",
            experiment="e",
            status="finished",
            started_at=t0,
            tags=[f"t{i % 4}"],
            duration_s=float(i % 17),
        )
        for i, r in enumerate(ids)
    ]
    params = [
        dict(run_id=r, key="lr", kind="float", num=(i % 7) / 10, text=str((i % 7) / 10)) for i, r in enumerate(ids)
    ]
    metrics = [
        dict(run_id=r, key="accuracy", value=(i * 7919 % n) / n, step=None, time=t0, seq=1) for i, r in enumerate(ids)
    ]
    w = store.writer
    for name, data in (("runs", runs_rows), ("params", params), ("metrics", metrics)):
        w.put(name, pa.Table.from_pylist(data, TABLES[name]))
    w.flush()
    store.compact()
    table = nbtrack.table(store=store)
    page(table)  # the first page comes straight from the store, then the cache builds
    table._building.join()
    for req in (
        {"sort": [{"column": "metrics.accuracy", "dir": "desc"}]},
        {
            "filters": [{"column": "metrics.accuracy", "op": ">", "value": 0.9}],
            "sort": [{"column": "name", "dir": "asc"}],
        },
        {"search": "run 19"},
        {"offset": 10_000},
    ):
        content, rows = page(table, **req)  # page times: benchmarks/run.py (run table goal)
        assert rows.num_rows <= 50
    content, rows = page(table, sort=[{"column": "metrics.accuracy", "dir": "desc"}])
    acc = rows.column("metrics.accuracy").to_pylist()
    assert acc == sorted(acc, reverse=True) and content["total"] == n


# -- the run card ------------------------------------------------------------------------------


def test_card_pushes_live_downsampled_series_while_the_run_runs(store):
    from nbtrack.widgets.card import MAX_POINTS, RunCard

    run = nbtrack.start(name="live", params={"lr": 0.1}, store_path=str(store.dir))
    run.__enter__()
    card = RunCard(run)
    started = time.monotonic()
    card.start_live()
    try:
        for i in range(50_000):
            nbtrack.log(step=i, loss=1 / (i + 1), acc=i / 50_000)
        deadline = time.time() + 10
        while time.time() < deadline:
            table = arrow(card.series) if card.series else None
            if table is not None and 49_999 in table.filter(pa.compute.equal(table["key"], "loss"))["step"].to_pylist():
                break
            time.sleep(0.1)
        assert card.run["status"] == "running"
        assert table is not None, "no series pushed while the run was running"
        for key in ("loss", "acc"):
            steps = table.filter(pa.compute.equal(table["key"], key))["step"].to_pylist()
            assert 100 < len(steps) <= MAX_POINTS
            assert steps[0] == 0 and steps[-1] == 49_999
        assert card.live["keys"]["loss"]["points"] == 50_000
    finally:
        run.__exit__(None, None, None)
    card.stop(timeout=5)
    # bounded: at most PUSH_HZ pushes a second, however many log calls
    assert 1 <= card.pushes <= 2 * (time.monotonic() - started) + 2
    assert "drain" not in run.__dict__  # the feed unhooked itself


def test_card_downsample_keeps_extremes():
    import numpy as np

    from nbtrack.widgets.card import downsample

    steps = np.arange(100_000, dtype=float)
    values = np.sin(steps / 1000)
    values[54_321] = 50.0
    s, v = downsample(steps, values, 2000)
    assert len(s) <= 2000 and 50.0 in v and s[0] == 0 and s[-1] == 99_999
    assert np.all(np.diff(s) > 0)


def test_card_finish_shows_metrics_deltas_and_summary_text(store):
    from nbtrack.capture.summary import RunSummary
    from nbtrack.widgets.card import RunCard

    with nbtrack.start(name=XSS, params={"lr": 0.1}, store_path=str(store.dir)) as run:
        nbtrack.log(loss=0.5)
    card = RunCard(run)
    run.metrics = {"accuracy": 0.91, "loss": 0.2}
    card.finish(RunSummary(run, previous={"accuracy": 0.89, "loss": 0.25}, best={"accuracy": 0.93, "loss": 0.2}))
    assert card.run["status"] == "finished" and card.run["name"] == XSS
    rows = {m["key"]: m for m in card.metrics}
    assert rows["accuracy"]["better"] is True and rows["accuracy"]["delta"].startswith("+0.02")
    assert rows["loss"]["better"] is True and rows["loss"]["delta"].startswith("-0.05")
    assert rows["accuracy"]["best"] == "best 0.93"
    data, _ = card._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "finished" in data["text/plain"] and "accuracy = 0.91" in data["text/plain"]
    assert XSS not in data["text/html"]  # escaped in the HTML fallback


def test_a_live_card_receives_every_point_of_a_million_logs(store):
    """The card follows a 1M-point loop to the end (its cost to the loop is a figure of
    benchmarks/card_overhead.py, not an assert here)."""
    from nbtrack.widgets.card import RunCard

    run = nbtrack.start(name="bench", store_path=str(store.dir))
    run.__enter__()
    card = RunCard(run)
    card.start_live()
    log = nbtrack.log
    for i in range(1_000_000):
        log(loss=i)
    run.__exit__(None, None, None)
    assert card.join(timeout=60)
    assert card.pushes >= 1 and card.live["keys"]["loss"]["points"] == 1_000_000
    store.flush()


# -- compare and diff --------------------------------------------------------------------------


def test_compare_request_returns_chart_specs_without_rows_and_arrow_data(store, runs):
    widget = nbtrack.compare([runs["alpha"], unique_prefix(runs["beta"], runs.values()), runs["xss"]])
    assert widget.run_ids == [runs["alpha"], runs["beta"], runs["xss"]]
    content, buffers = widget.handle_request({"type": "compare", "uuid": "c"})
    tables = reply_tables(content, buffers)
    curves = [c for c in content["charts"] if c["kind"] == "curve"]
    assert {c["title"] for c in curves} == {"loss", "acc"}
    for chart in content["charts"]:
        spec = chart["spec"]
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert spec["data"] == {"name": chart["data"]} and "datasets" not in spec
        assert "values" not in json.dumps(spec)
    loss = tables[next(c["data"] for c in curves if c["title"] == "loss")]
    labels = set(loss.column("run").to_pylist())
    assert len(labels) == 3 and any(label.startswith("alpha · " + runs["alpha"][:8]) for label in labels)
    assert loss.schema.field("step").type == pa.float64()
    assert "params.lr" in content["differs"] and "params.depth" not in content["differs"]
    assert tables["runs"].num_rows == 3


def test_compare_accepts_a_runs_frame_and_rejects_nothing(store, runs):
    frame = nbtrack.runs()
    assert set(nbtrack.compare(frame.head(2)).run_ids) == set(frame.run_id[:2])
    with pytest.raises(ValueError, match="no runs"):
        nbtrack.compare([])
    with pytest.raises(KeyError, match="no run with id"):
        nbtrack.compare(["zzzz-not-a-run"])


def test_compare_draws_long_series_downsampled(store):
    ids = []
    for r in range(3):
        with nbtrack.start(name=f"long{r}", store_path=str(store.dir)) as run:
            for i in range(200_000):
                nbtrack.log(step=i, loss=(i % 1000) / (r + 1))
        ids.append(run.run_id)
    store.flush()
    widget = nbtrack.compare(ids)
    content, buffers = widget.handle_request({"type": "compare", "uuid": "c"})
    tables = reply_tables(content, buffers)
    loss = tables[content["charts"][0]["data"]]
    assert 3 * 100 < loss.num_rows <= 3 * 2000 * 1.1  # its time: benchmarks (compare goal)


def test_diff_shows_params_metrics_inputs_source_and_environment(store, ip):
    ip.cell("import numpy as np\nX_train = np.arange(100)")
    first = ip.cell("%%track --name one\nlr = 0.1\nscore = float(X_train.sum()) * lr")
    ip.cell("X_train = np.arange(100) * 2")
    second = ip.cell("%%track --name two\nlr = 0.2\nextra = 1\nscore = float(X_train.sum()) * lr")
    assert first.success and second.success
    frame = nbtrack.runs()
    a = frame[frame.name == "one"].run_id.iloc[0]
    b = frame[frame.name == "two"].run_id.iloc[0]
    widget = nbtrack.diff(a, unique_prefix(b, frame.run_id))
    content, buffers = widget.handle_request({"type": "diff", "uuid": "d"})
    tables = reply_tables(content, buffers)
    assert "X_train changed" in content["summary"]
    params = {r["key"]: r for r in tables["params"].to_pylist()}
    assert params["lr"]["change"] == "changed" and params["lr"]["a"] == "0.1" and params["lr"]["b"] == "0.2"
    assert params["extra"]["change"] == "added"
    metrics = {r["key"]: r for r in tables["metrics"].to_pylist()}
    assert metrics["score"]["change"] == "changed"
    ops = tables["source"].column("op").to_pylist()
    assert "equal" in ops and ({"replace", "insert"} & set(ops))
    env = {r["key"]: r for r in tables["env"].to_pylist()}
    assert env["python"]["a"] == env["python"]["b"] and env["python"]["change"] == "same"


# -- packaging and the %%track integration -----------------------------------------------------


def test_import_nbtrack_does_not_load_widget_libraries():
    code = "import sys, nbtrack; print(sorted(m for m in ('anywidget', 'altair', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_widgets_use_the_bundle_and_a_missing_bundle_says_how_to_build(monkeypatch, tmp_path, store, runs):
    from nbtrack.widgets import _base

    widget = nbtrack.table(store=store)
    assert widget._esm == _base.BUNDLE.read_text()
    assert "render" in widget._esm
    for name in ("BUNDLE", "CARD_BUNDLE"):
        with monkeypatch.context() as m:
            m.setattr(_base, name, tmp_path / "missing.js")
            with pytest.raises(RuntimeError, match="npm run build:widgets"):
                _base.check_bundle()


CARD_ESM_LIMIT = 40_000  # bytes, minified: a tracked cell sends it with every card


def test_the_card_ships_its_own_small_bundle_without_vega(store):
    """Every %%track cell displays a card and anywidget sends the card's ESM with it: the card's
    front end is static/card.js (no vega), not the ~0.9 MB bundle of the table and compare."""
    from nbtrack.widgets import _base
    from nbtrack.widgets.card import RunCard

    card = RunCard()
    esm = card._esm
    assert esm == _base.CARD_BUNDLE.read_text() and "render" in esm
    assert len(esm.encode()) < CARD_ESM_LIMIT, len(esm.encode())
    assert _base.BUNDLE.stat().st_size > 10 * len(esm.encode())  # the shared bundle is the big one
    assert "vega" not in esm.lower() and "innerHTML" not in esm
    state = card.get_state()
    assert len(json.dumps(state, default=str)) < CARD_ESM_LIMIT + 5_000
    # the table, compare and diff widgets keep the full bundle
    assert nbtrack.table(store=store)._esm == _base.BUNDLE.read_text()


def test_terminal_ipython_keeps_the_text_summary(ip):
    """No kernel (plain IPython): no widget, the RunSummary is displayed as before."""
    shown = []
    pub = ip.display_pub
    original = pub.publish
    pub.publish = lambda data, *a, **kw: shown.append(data)
    try:
        ip.cell("%%track --name plain\nx = 1\nacc = 0.5")
    finally:
        pub.publish = original
    assert shown and "application/vnd.jupyter.widget-view+json" not in shown[-1]
    assert "finished" in shown[-1]["text/plain"]


def test_kernel_shell_shows_a_live_card_that_ends_with_the_summary(ip, monkeypatch):
    """With a kernel (a widget front end), the card is displayed at the start of the cell and
    updated in place with the final summary at the end."""
    shown = []
    pub = ip.display_pub
    original = pub.publish
    pub.publish = lambda data, *a, **kw: shown.append((data, kw))
    monkeypatch.setattr(type(ip), "kernel", object(), raising=False)
    try:
        ip.cell("%%track --name carded\nfor i in range(5):\n    nbtrack.log(loss=1 / (i + 1))\nacc = sum([0.25, 0.25])")
    finally:
        pub.publish = original
    assert len(shown) == 2
    (first, kw1), (last, kw2) = shown
    assert "application/vnd.jupyter.widget-view+json" in first and "running" in first["text/plain"]
    assert kw2.get("update") is True
    assert last["application/vnd.jupyter.widget-view+json"] == first["application/vnd.jupyter.widget-view+json"]
    assert "finished" in last["text/plain"] and "acc = 0.5" in last["text/plain"]


def test_unexpected_kernel_errors_reach_the_widget_with_a_traceback(store, runs, monkeypatch):
    table = nbtrack.table(store=store)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(table.cache, "page", broken)
    content, buffers = table.handle_request({"type": "page", "uuid": "x"})
    assert content["uuid"] == "x" and buffers == []
    assert content["error"] == "nbtrack: page failed: RuntimeError: disk on fire"
    assert "Traceback" in content["traceback"]


ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_js_arrow_reader_decodes_what_the_kernel_sends(tmp_path):
    """js/shared/arrow.ts (the bundles' Arrow decoding, by flechette) against pyarrow, in node."""
    import shutil

    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not shutil.which("node") or not esbuild.exists():
        pytest.skip("node and node_modules are needed to run the front end's Arrow reader")
    from nbtrack.widgets.protocol import arrow_bytes

    tables = {
        "mixed": pa.table(
            {
                "s": pa.array(["a", None, "<img src=x onerror=alert(1)>", "é"]),
                "f": pa.array([1.5, None, -2.25, 0.0]),
                "b": pa.array([True, False, None, True]),
                "i": pa.array([1, -2, None, 2**40], pa.int64()),
                "u8": pa.array([0, 255, None, 7], pa.uint8()),
                "l": pa.array([["x"], [], None, ["y", "z"]], pa.list_(pa.string())),
                "ls": pa.array(["q", "r", None, "t"], pa.large_string()),
                "n": pa.array([None] * 4, pa.null()),
                "st": pa.array([{"a": 1.0}, None, {"a": None}, {"a": 2.0}]),
            }
        ),
        "chunked": pa.concat_tables([pa.table({"k": ["a", "b"], "v": [1.0, 2.0]})] * 3),
        "empty": pa.table({"k": pa.array([], pa.string())}),
    }
    for name, t in tables.items():
        (tmp_path / f"{name}.arrow").write_bytes(arrow_bytes(t))
    (tmp_path / "expected.json").write_text(json.dumps({n: t.to_pylist() for n, t in tables.items()}))
    harness = tmp_path / "harness.ts"
    harness.write_text(f"""
import {{ readArrow }} from {json.dumps(str(ROOT / "js" / "shared" / "arrow"))};
const fs = require("fs");
const exp = JSON.parse(fs.readFileSync({json.dumps(str(tmp_path / "expected.json"))}, "utf8"));
const out: any = {{}};
for (const name of Object.keys(exp)) {{
  const buf = fs.readFileSync({json.dumps(str(tmp_path))} + "/" + name + ".arrow");
  out[name] = readArrow(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength))!.rows();
}}
console.log(JSON.stringify(out));
""")
    subprocess.run(
        [
            str(esbuild),
            str(harness),
            "--bundle",
            "--platform=node",
            f"--outfile={tmp_path / 'h.js'}",
            "--log-level=error",
        ],
        check=True,
        cwd=ROOT,
    )
    got = json.loads(
        subprocess.run(["node", str(tmp_path / "h.js")], capture_output=True, text=True, check=True).stdout
    )
    assert got == {n: t.to_pylist() for n, t in tables.items()}


def test_kernel_shell_card_shows_a_failed_cell(ip, monkeypatch):
    shown = []
    pub = ip.display_pub
    original = pub.publish
    pub.publish = lambda data, *a, **kw: shown.append(data)
    monkeypatch.setattr(type(ip), "kernel", object(), raising=False)
    try:
        result = ip.cell("%%track --name broken\nx = 1\nraise ValueError('bad <input>')")
    finally:
        pub.publish = original
    assert isinstance(result.error_in_exec, ValueError)  # the cell's own error, untouched
    assert "failed" in shown[-1]["text/plain"] and "ValueError: bad <input>" in shown[-1]["text/plain"]
    assert "bad &lt;input&gt;" in shown[-1]["text/html"]


def test_compare_payload_is_reused_until_the_store_changes(store, runs):
    from nbtrack.widgets.comparison import compare_payload

    ids = [runs["alpha"], runs["beta"]]
    store.compact()  # nothing left for the background writer to move meanwhile
    first = compare_payload(store, ids)
    assert compare_payload(store, ids) is first
    make_runs(store, [("later", {"lr": 0.3}, {}, 3, [])])
    assert compare_payload(store, ids) is not first


def test_public_table_takes_condition_strings(store):
    import nbtrack

    for acc in (0.5, 0.95):
        with nbtrack.start(params={"acc_target": acc}, store_path=str(store.dir)):
            nbtrack.log(acc=acc)
    store.flush()
    widget = nbtrack.table("metrics.acc > 0.9")
    assert widget.page()["metrics.acc"].tolist() == [0.95]


def test_a_card_gets_the_stale_badge_when_a_later_cell_redefines_what_its_run_read(ip, monkeypatch):
    """Issue 12: the live card shows the read model's stale flag and reason once a later cell
    gives a name its run read another value; a run that read nothing changed gets no badge."""
    import time

    from nbtrack.widgets import card as cardmod

    pub = ip.display_pub
    original = pub.publish
    pub.publish = lambda *a, **kw: None
    monkeypatch.setattr(type(ip), "kernel", object(), raising=False)
    try:
        ip.cell("X_train = [1.0, 2.0, 3.0]\nY_other = [4.0, 5.0]")
        ip.cell("%%track --name reads-x\nacc = sum(X_train) / 10")
        ip.cell("%%track --name reads-y\nscore = sum(Y_other) / 10")
        deadline = time.monotonic() + 10  # a card's final state is sent by the card thread
        cards: dict = {}
        while not {"reads-x", "reads-y"} <= set(cards) and time.monotonic() < deadline:
            time.sleep(0.05)
            cards = {c.run.get("name"): c for c in cardmod._PUSHER._watched}
        assert {"reads-x", "reads-y"} <= set(cards), list(cards)
        time.sleep(0.5)  # the card thread has had its chance: nothing has changed yet
        assert not cards["reads-x"].run.get("stale") and not cards["reads-y"].run.get("stale")
        ip.cell("X_train = [9.0, 9.0]")
    finally:
        pub.publish = original
    deadline = time.monotonic() + 10
    while not cards["reads-x"].run.get("stale") and time.monotonic() < deadline:
        time.sleep(0.05)
    run = cards["reads-x"].run
    assert run.get("stale") is True, run
    assert "X_train" in run["stale_reason"], run
    assert run["name"] == "reads-x" and run["status"] == "finished"  # the rest of the card stays
    assert not cards["reads-y"].run.get("stale"), cards["reads-y"].run  # no false flag
    row = nbtrack.runs().set_index("name").loc["reads-x"]
    assert row["stale_reason"] == run["stale_reason"]  # the same reason the table and sidebar show
