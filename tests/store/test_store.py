"""The store on its own (no IPython): spool, compaction, views, queries, ids, location."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

import nbtrack
from nbtrack.store import StoreVersionError, query, spool
from nbtrack.store.location import resolve_store_dir, set_override


def make_run(store, name="r", params=None, points=5, fail=False, **kw):
    with pytest.raises(ValueError) if fail else _null():
        with nbtrack.start(
            name=name, params=params or {"lr": 0.1, "model": "rf"}, store_path=str(store.dir), **kw
        ) as run:
            for i in range(points):
                nbtrack.log(loss=1 / (i + 1), acc=i / 10)
            if fail:
                raise ValueError("boom")
    return run


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_runs_frame_is_wide_newest_first_with_params_and_last_series_values(store):
    first = make_run(store, "a", {"lr": 0.1, "depth": 3, "model": "rf", "layers": [1, 2]})
    second = make_run(store, "b", {"lr": 0.2, "depth": 4, "model": "gb", "layers": [3]}, points=3)
    store.flush()
    df = query.runs_frame(store)
    assert list(df.run_id) == [second.run_id, first.run_id]
    assert list(df.columns[:10]) == query.RUN_COLUMNS
    assert df["params.depth"].tolist() == [4, 3] and df["params.depth"].dtype == "int64"
    assert df["params.model"].tolist() == ["gb", "rf"]
    assert df["params.layers"].tolist() == [[3], [1, 2]]
    assert df["metrics.loss"].tolist() == [pytest.approx(1 / 3), pytest.approx(1 / 5)]
    assert set(df.status) == {"finished"}
    assert (df.duration_s >= 0).all()


def test_spool_is_visible_before_compaction_and_same_after(store):
    run = make_run(store)
    store.flush()
    assert spool.listing(store.spool_dir)
    before = query.runs_frame(store)
    series_before = query.series_frame(store, run.run_id)
    assert store.compact() > 0
    assert not spool.listing(store.spool_dir)
    after = query.runs_frame(store)
    assert before.drop(columns="tags").equals(after.drop(columns="tags"))
    assert len(query.series_frame(store, run.run_id)) == len(series_before) == 10


def test_compaction_is_exactly_once_even_if_a_compactor_dies_before_deleting(store, tmp_path):
    make_run(store, points=7)
    store.flush()
    saved = tmp_path / "saved"
    shutil.copytree(store.spool_dir, saved)
    store.compact()
    for name in os.listdir(saved):  # as if the files had not been deleted after the commit
        shutil.copy(saved / name, store.spool_dir / name)
    assert query.sql(store, "SELECT count(*) AS n FROM series").n[0] == 14
    store.compact()
    assert query.sql(store, "SELECT count(*) AS n FROM series").n[0] == 14
    assert query.sql(store, "SELECT count(*) AS n FROM runs").n[0] == 1


def test_failed_run_keeps_error_and_points(store):
    run = make_run(store, fail=True)
    store.flush()
    rec = query.get_run(store, run.run_id)
    assert rec.status == "failed"
    assert rec.error["type"] == "ValueError" and "boom" in rec.error["traceback"]
    assert rec.metrics["loss"] == pytest.approx(0.2)


def test_running_run_of_a_dead_process_reads_as_crashed(store):
    code = (
        "import nbtrack, os, time\n"
        f"run = nbtrack.start(name='doomed', store_path={str(store.dir)!r}).__enter__()\n"
        "for i in range(50):\n    nbtrack.log(x=i)\n"
        "nbtrack.store(" + repr(str(store.dir)) + ").flush()\n"
        "os._exit(0)\n"  # no atexit: like kill -9
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    df = query.runs_frame(store)
    assert df.status.tolist() == ["crashed"]
    assert df["metrics.x"].tolist() == [49]


def test_prefixes_resolve_and_ambiguity_is_explained(store):
    a = make_run(store, "a")
    time.sleep(0.002)  # another millisecond: same-millisecond ids differ only in their last characters
    make_run(store, "b")
    store.flush()
    assert query.resolve_run_id(store, a.run_id[:14]) == a.run_id
    with pytest.raises(KeyError, match="several runs"):
        query.resolve_run_id(store, a.run_id[:2])
    with pytest.raises(KeyError, match="no run"):
        query.get_run(store, "zzzz")


def test_store_from_a_newer_schema_gives_a_clear_error(store):
    make_run(store)
    store.compact()
    con = duckdb.connect(str(store.db_path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreVersionError, match="newer nbtrack"):
        query.runs_frame(store)


def test_sql_is_read_only_over_documented_views(store):
    make_run(store)
    store.compact()
    assert set(query.sql(store, "SELECT key FROM metrics").key) == {"loss", "acc"}
    with pytest.raises(duckdb.Error):
        query.sql(store, "DELETE FROM s.runs")
    assert len(query.runs_frame(store)) == 1


def test_nan_and_inf_metrics_are_stored_as_such(store):
    with nbtrack.start(store_path=str(store.dir)) as run:
        nbtrack.log(a=float("nan"), b=float("inf"), c=-float("inf"))
    store.flush()
    rec = query.get_run(store, run.run_id)
    assert math.isnan(rec.metrics["a"]) and rec.metrics["b"] == math.inf and rec.metrics["c"] == -math.inf


def test_log_rejects_non_numbers_with_a_clear_message(store):
    with nbtrack.start(store_path=str(store.dir)):
        with pytest.raises(TypeError, match="'loss' must be a real number"):
            nbtrack.log(loss="high")
        nbtrack.log(flag=True)  # booleans are 0/1


def test_step_auto_increments_and_accepts_explicit_steps(store):
    with nbtrack.start(store_path=str(store.dir)) as run:
        nbtrack.log(x=1)
        nbtrack.log(x=2)
        nbtrack.log(step=10, x=3)
        nbtrack.log(x=4)
    store.flush()
    assert query.series_frame(store, run.run_id).step.tolist() == [0, 1, 10, 11]


def test_store_location_is_shared_by_subfolders_and_the_project_root(tmp_path, monkeypatch):
    monkeypatch.delenv("NBTRACK_STORE", raising=False)
    set_override(None)
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "notebooks" / "deep").mkdir(parents=True)
    assert resolve_store_dir(project / "notebooks" / "deep") == project / ".nbtrack"
    assert resolve_store_dir(project) == project / ".nbtrack"
    (project / "notebooks" / ".nbtrack").mkdir()
    assert resolve_store_dir(project / "notebooks" / "deep") == project / "notebooks" / ".nbtrack"
    monkeypatch.setenv("NBTRACK_STORE", str(tmp_path / "elsewhere"))
    assert resolve_store_dir(project) == tmp_path / "elsewhere"


def test_downsampled_series_is_bounded_keeps_spikes_and_short_series(store):
    with nbtrack.start(store_path=str(store.dir)) as long_run:
        for i in range(20_000):
            nbtrack.log(loss=100.0 if i == 12_345 else 1.0)
    with nbtrack.start(store_path=str(store.dir)) as short_run:
        for i in range(50):
            nbtrack.log(loss=float(i))
    store.flush()
    out = query.downsampled_series(store, [long_run.run_id, short_run.run_id], ["loss"], points=500)
    rows = out.to_pylist()
    long_pts = [r for r in rows if r["run_id"] == long_run.run_id]
    short_pts = [r for r in rows if r["run_id"] == short_run.run_id]
    assert len(long_pts) <= 500
    assert {"run_id": long_run.run_id, "key": "loss", "step": 12_345.0, "value": 100.0} in long_pts
    assert [p["value"] for p in short_pts] == [float(i) for i in range(50)]
