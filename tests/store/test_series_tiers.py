"""Series tiers (store/tiers.py): a long series read through the tiers compaction keeps gives
the envelope the raw points give (every 2^m-step bucket's true min and max point and the last
point), wherever the points are: in the spool, compacted at once, split over several
compactions with the rest still in the spool; a schema-1 store is migrated (tiers computed
for its points), an older nbtrack refuses a schema-2 store, and rm takes a run's tier rows."""

from __future__ import annotations

import math
import os
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.store import Store, StoreVersionError, database, query, spool, tiers

N = 100_000  # more than tiers.FEW_POINTS: the tiered path
STEPS = -3000.0 + 0.75 * np.arange(N)  # fractional and negative steps, span 75,000
SPLITS = (37_001, 71_003)  # not on a bucket edge: buckets straddle compaction batches


def _values(seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).uniform(1.0, 9.0, N)
    values[-3:] = [0.0, 10.0, 5.0]  # the last point is neither its bucket's min nor its max
    return values


SERIES = {"loss": _values(1), "acc": _values(2)}


def _log(run, start: int, stop: int) -> None:
    loss, acc = SERIES["loss"], SERIES["acc"]
    for i in range(start, stop):
        run.log(float(STEPS[i]), {"loss": float(loss[i]), "acc": float(acc[i])})


def _expected(values: np.ndarray, points: int) -> set[tuple[float, float]]:
    """The raw points' envelope: buckets of 2^m steps, m the smallest giving <= points / 2."""
    buckets = points // 2
    lo, hi = STEPS[0], STEPS[-1]
    m = -20
    while math.floor(hi / 2.0**m) - math.floor(lo / 2.0**m) + 1 > buckets:
        m += 1
    frame = pd.DataFrame({"step": STEPS, "value": values, "bucket": np.floor(STEPS / 2.0**m)})
    by = frame.groupby("bucket").value
    keep = set(by.idxmin()) | set(by.idxmax()) | {N - 1}
    return {(float(STEPS[i]), float(values[i])) for i in keep}


def _envelopes(store, run_id: str, points: int) -> dict[str, set[tuple[float, float]]]:
    out = query.downsampled_series(store, [run_id], None, points=points).to_pylist()
    assert len(out) == len({(p["key"], p["step"], p["value"]) for p in out})  # no duplicates
    got: dict[str, set[tuple[float, float]]] = {}
    for p in out:
        got.setdefault(p["key"], set()).add((p["step"], p["value"]))
    return got


def _check(store, run_id: str) -> None:
    for points in (8, 500, 2000):  # buckets of 2^15 steps (from tier 14), 2^9 (tier 8), 2^7 (raw)
        got = _envelopes(store, run_id, points)
        assert set(got) == set(SERIES)
        for key, values in SERIES.items():
            assert len(got[key]) <= points + 1
            assert got[key] == _expected(values, points), (key, points)


def _tier_points(store) -> dict[int, int]:
    with store.snapshot() as con:
        return dict(con.execute("SELECT tier, sum(n)::BIGINT FROM s.series_tiers GROUP BY tier").fetchall())


def test_tiers_give_the_raw_envelope_in_the_spool_compacted_and_split_over_compactions(store):
    with nbtrack.start(store_path=str(store.dir)) as run:
        _log(run, 0, SPLITS[0])
        store.flush()
        store.compact()
        _log(run, SPLITS[0], SPLITS[1])
        store.flush()
        store.compact()
        _log(run, SPLITS[1], N)
    store.flush()
    with store.writer._compact_lock:  # the background compactor leaves the spool alone meanwhile
        assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2 * SPLITS[1])  # the rest is in the spool
        _check(store, run.run_id)
    store.compact()
    assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2 * N)
    _check(store, run.run_id)


def test_all_in_the_spool_and_compacted_at_once_read_alike(store):
    with nbtrack.start(store_path=str(store.dir)) as run:
        _log(run, 0, N)
    store.flush()
    in_spool = query.downsampled_series(store, [run.run_id], ["loss"], points=500)
    store.compact()
    compacted = query.downsampled_series(store, [run.run_id], ["loss"], points=500)
    assert compacted.equals(in_spool)
    assert set(zip(compacted["step"].to_pylist(), compacted["value"].to_pylist())) == _expected(SERIES["loss"], 500)


def test_a_schema_1_store_is_read_raw_then_migrated_with_tiers_for_its_points(store):
    with nbtrack.start(store_path=str(store.dir)) as run:
        _log(run, 0, N)
    store.compact()
    con = duckdb.connect(str(store.db_path))  # back to schema 1: the same tables without tiers
    con.execute("DROP TABLE series_tiers")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    reader = Store(store.dir)  # a new process's view of the file
    got = query.downsampled_series(reader, [run.run_id], ["loss"], points=500).to_pylist()
    assert {(p["step"], p["value"]) for p in got} != _expected(SERIES["loss"], 500)  # equal-width buckets
    assert len(got) <= 501
    with nbtrack.start(store_path=str(store.dir)) as other:  # the next compaction migrates
        other.log(0, {"loss": 1.0})
    store.compact()
    with database.connect() as con:
        database.attach(con, store.db_path, read_only=True)
        assert database.schema_version(con) == 2
    assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2 * N + 1)
    _check(store, run.run_id)


def test_an_older_nbtrack_refuses_a_schema_2_store(store, monkeypatch):
    with nbtrack.start(store_path=str(store.dir)) as run:
        run.log(0, {"loss": 1.0})
    store.compact()
    monkeypatch.setattr(database, "SCHEMA_VERSION", 1)  # what schema-1 code checks against
    with pytest.raises(StoreVersionError, match="newer nbtrack"):
        query.runs_frame(Store(store.dir))


def test_a_compaction_that_fails_writing_tiers_moves_no_point(store, monkeypatch):
    with nbtrack.start(store_path=str(store.dir)) as run:
        _log(run, 0, 1000)
    store.flush()

    def broken(con, points):
        raise duckdb.IOException("disk gone")

    with store.writer._compact_lock:  # no background compaction meanwhile
        monkeypatch.setattr(tiers, "write", broken)
        with pytest.raises(duckdb.IOException):
            database.compact(database.connect(), store.dir)
        monkeypatch.undo()
        assert query.sql(store, "SELECT count(*) AS n FROM series").n[0] == 2000
        assert len(spool.listing(store.spool_dir)) > 0 and not _tier_points(store)  # all still in the spool
    store.compact()
    assert query.sql(store, "SELECT count(*) AS n FROM series").n[0] == 2000
    assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2000)


def test_rm_deletes_the_runs_tier_rows(store):
    runs = []
    for _ in range(2):
        with nbtrack.start(store_path=str(store.dir)) as run:
            _log(run, 0, 1000)
        runs.append(run.run_id)
    store.compact()
    kept = query.downsampled_series(store, [runs[1]], None, points=500)
    store.delete_runs([runs[0]])
    with store.snapshot() as con:
        left = con.execute("SELECT DISTINCT run_id FROM s.series_tiers").fetchall()
    assert left == [(runs[1],)]
    assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2000)
    assert query.downsampled_series(store, [runs[1]], None, points=500).equals(kept)


def test_a_run_with_long_and_short_series_keeps_every_point_of_the_short_one(store):
    with nbtrack.start(store_path=str(store.dir)) as run:
        _log(run, 0, N)
        for i in range(10):
            run.log(float(i), {"lr": 0.1 / (i + 1)})
    store.compact()
    out = query.downsampled_series(store, [run.run_id], None, points=500).to_pylist()
    lr = [(p["step"], p["value"]) for p in out if p["key"] == "lr"]
    assert lr == [(float(i), 0.1 / (i + 1)) for i in range(10)]  # short: the raw path, every point
    loss = {(p["step"], p["value"]) for p in out if p["key"] == "loss"}
    assert loss == _expected(SERIES["loss"], 500)
    only = query.downsampled_series(store, [run.run_id], ["loss"], points=500).to_pylist()
    assert {p["key"] for p in only} == {"loss"} and {(p["step"], p["value"]) for p in only} == loss


def test_spool_files_a_dead_compactor_left_add_no_tier_rows(store, tmp_path):
    with nbtrack.start(store_path=str(store.dir)) as run:
        _log(run, 0, 1000)
    store.flush()
    saved = tmp_path / "saved"
    shutil.copytree(store.spool_dir, saved)
    store.compact()
    for name in os.listdir(saved):  # as if the compactor had died after its commit
        shutil.copy(saved / name, store.spool_dir / name)
    assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2000)
    store.compact()
    assert _tier_points(store) == dict.fromkeys(tiers.TIERS, 2000)
