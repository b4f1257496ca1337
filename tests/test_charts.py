"""nbtrack.charts: builders return Altair charts whose Vega-Lite validates and holds the data."""

from __future__ import annotations

import altair as alt
import pytest

import nbtrack
import nbtrack.charts as charts


@pytest.fixture
def three(store):
    ids = []
    for i, (lr, model) in enumerate([(0.1, "rf"), (0.01, "gb"), (0.001, "rf")]):
        with nbtrack.start(name=f"r{i}", params={"lr": lr, "model": model}, store_path=str(store.dir)) as run:
            for step in range(3000):
                nbtrack.log(step=step, loss=1 / (step + 1) + lr, acc=step / 3000 - lr)
        ids.append(run.run_id)
    store.flush()
    return ids


def values(spec: dict) -> list[dict]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def test_metric_chart_overlays_downsampled_curves(store, three):
    chart = charts.metric_chart(three, "loss")
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["field"] == "step" and spec["encoding"]["y"]["field"] == "value"
    rows = values(spec)
    assert {r["key"] for r in rows} == {"loss"}
    assert len({r["run"] for r in rows}) == 3
    assert len(rows) <= charts.MAX_ROWS  # displays without Altair's MaxRowsError
    per_run = [r["step"] for r in rows if r["run_id"] == three[0]]
    assert min(per_run) == 0 and max(per_run) == 2999 and len(per_run) < 3000
    # users keep customising it
    assert charts.metric_chart(three, "loss").properties(width=600).to_dict()["width"] == 600


def test_metric_chart_accepts_a_runs_frame(store, three):
    frame = nbtrack.runs()
    rows = values(charts.metric_chart(frame, "acc").to_dict())
    assert {r["run_id"] for r in rows} == set(three)


def test_scatter_and_parallel_charts(store, three):
    spec = charts.scatter_chart(three, "lr", "loss").to_dict()
    assert spec["mark"]["type"] == "circle"
    assert spec["encoding"]["x"]["title"] == "params.lr" and spec["encoding"]["y"]["title"] == "metrics.loss"
    assert sorted(r["x"] for r in values(spec)) == [0.001, 0.01, 0.1]
    nominal = charts.scatter_chart(three, "params.model", "metrics.acc").to_dict()
    assert nominal["encoding"]["x"]["type"] == "nominal"
    par = charts.parallel_chart(three).to_dict()
    axes = {r["axis"] for r in values(par)}
    assert axes == {"params.lr", "metrics.loss", "metrics.acc"}
    assert all(0 <= r["scaled"] <= 1 for r in values(par))
    with pytest.raises(KeyError, match="no column 'nope'"):
        charts.scatter_chart(three, "nope", "loss")


def test_curves_chart_facets_every_key(store, three):
    spec = charts.curves_chart(three).to_dict()
    assert spec["facet"]["field"] == "key"
    assert {r["key"] for r in values(spec)} == {"loss", "acc"}


def test_run_ids_resolves_prefixes_frames_and_rejects_empty(store, three):
    assert charts.run_ids(three[0]) == [three[0]]
    assert charts.run_ids(nbtrack.runs()) == nbtrack.runs().run_id.tolist()
    with pytest.raises(ValueError, match="no runs"):
        charts.run_ids([])
