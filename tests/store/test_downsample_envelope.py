"""The compare curves' downsampling keeps, for every step bucket, the true min and max point,
and the last point of the series (a real store, real DuckDB)."""

from __future__ import annotations

import numpy as np

import nbtrack
from nbtrack.store import query

N = 20_000  # steps 0..19,999: (step - 0) * 250 / 19,999 never lands on .5 (no rounding ties)
POINTS = 500  # 250 buckets


def _series(seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).uniform(1.0, 9.0, N)
    values[-3:] = [0.0, 10.0, 5.0]  # the last point is neither its bucket's min nor its max
    return values


def test_downsampled_curve_keeps_every_buckets_min_and_max_and_the_last_point(store):
    series = {"loss": _series(1), "acc": _series(2)}
    with nbtrack.start(store_path=str(store.dir)) as run:
        for i in range(N):
            nbtrack.log(loss=float(series["loss"][i]), acc=float(series["acc"][i]))
    store.flush()
    out = query.downsampled_series(store, [run.run_id], None, points=POINTS).to_pylist()
    buckets = POINTS // 2
    steps = np.arange(N, dtype=np.float64)
    # The bucket of a step as the query computes it (DuckDB's DOUBLE -> BIGINT cast rounds).
    bucket = np.minimum(np.floor(steps * (buckets / (N - 1)) + 0.5).astype(np.int64), buckets - 1)
    for key, values in series.items():
        got = {(p["step"], p["value"]) for p in out if p["key"] == key}
        assert len(got) <= POINTS + 1
        assert all(values[int(s)] == v for s, v in got)  # only true points
        for b in np.unique(bucket):
            in_b = values[bucket == b]
            got_b = {v for s, v in got if bucket[int(s)] == b}
            assert in_b.min() in got_b and in_b.max() in got_b, (key, b)
        assert (float(N - 1), 5.0) in got  # the last point


def test_a_point_at_an_infinite_or_nan_step_leaves_the_rest_of_its_curve_drawable(store):
    # log(step=float("inf")) is accepted (a huge int clips to inf); it has no place on an axis.
    long_n = 70_000  # over tiers.FEW_POINTS: the tiered path once compacted
    with nbtrack.start(store_path=str(store.dir)) as run:
        for step, value in ((1, 1.0), (float("inf"), 2.0), (float("nan"), 2.5), (2, 3.0)):
            nbtrack.log(step=step, short=value)
        for i in range(long_n):
            nbtrack.log(step=i, long=float(i % 7))
        nbtrack.log(step=-float("inf"), long=9.0)
    store.flush()
    for compacted in (False, True):
        if compacted:
            store.writer.compact_now()
        out = query.downsampled_series(store, [run.run_id], None, points=200).to_pylist()
        short = [(p["step"], p["value"]) for p in out if p["key"] == "short"]
        assert short == [(1.0, 1.0), (2.0, 3.0)]
        steps = [p["step"] for p in out if p["key"] == "long"]
        assert min(steps) == 0.0 and max(steps) == long_n - 1 and all(np.isfinite(steps))
