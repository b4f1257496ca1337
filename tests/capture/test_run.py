"""capture/run.py: a run's point buffer, what the writer keeps of an ended run, and the points
and last values that reach the store whichever way they leave the buffer."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

import nbtrack


def test_an_ended_run_is_not_kept_alive_by_the_writer_and_its_points_still_arrive(store):
    writer = store.writer
    with writer._lock:  # no pass runs: the run starts and ends between two passes
        with nbtrack.start(name="short") as run:
            nbtrack.log(loss=0.5)
            nbtrack.log(loss=0.25, acc=0.75)
        run_id, ref = run.run_id, weakref.ref(run)
        del run
        gc.collect()
        assert ref() is None  # the writer holds nothing of it (a burst's runs made every GC walk them)
    store.flush()
    frame = nbtrack.series(run_id)
    assert sorted(zip(frame.key, frame.step.astype(int), frame.value)) == [
        ("acc", 1, 0.75),
        ("loss", 0, 0.5),
        ("loss", 1, 0.25),
    ]
    assert nbtrack.get_run(run_id).metrics == {"loss": 0.25, "acc": 0.75}


def test_a_final_metric_set_by_hand_beats_the_last_point_of_a_short_run(store):
    with store.writer._lock:
        with nbtrack.start() as run:
            nbtrack.log(loss=1.0)
            nbtrack.log_metrics(loss=0.5)
    store.flush()
    assert nbtrack.get_run(run.run_id).metrics["loss"] == 0.5
    assert list(nbtrack.series(run.run_id).value) == [1.0]


def _end_without_metrics(runs):
    for run in runs:
        run.end("finished")  # metrics only from the drained points' last values


@pytest.mark.parametrize("n_runs, n_keys, per_run", [(1, 3, 2000), (40, 2, 5), (50, 300, 20)])
def test_points_drained_while_runs_run_are_all_kept_with_each_keys_last_value(store, n_runs, n_keys, per_run):
    # One long run; many runs and few keys; many runs and many keys (more (run, key) pairs than
    # points): each arrangement of the drain.
    runs = [nbtrack.start(name=f"r{i}") for i in range(n_runs)]
    for run in runs:
        run.begin()
    store.flush()  # the writer has taken every run's buffer: they are drained, not handed back
    logged: dict[str, list] = {run.run_id: [] for run in runs}
    for step in range(per_run):
        for r, run in enumerate(runs):
            key = f"k{(r + step) % n_keys}-{n_keys}"
            value = r * 1000.0 + step
            run.log(step, {key: value})
            logged[run.run_id].append((key, step, value))
        if step == per_run // 2:
            store.flush()  # part of the points in one pass, the rest later
    _end_without_metrics(runs)
    store.flush()
    for run in runs:
        frame = nbtrack.series(run.run_id)
        got = sorted(zip(frame.key, frame.step.astype(int), frame.value))
        assert got == sorted(logged[run.run_id])
        last = {}
        for key, _step, value in logged[run.run_id]:
            last[key] = value
        assert nbtrack.get_run(run.run_id).metrics == last
        assert run.last_values() == last


def test_an_integrations_point_that_is_no_number_adds_nothing(store):
    with nbtrack.start() as run:
        run._points.append(("loss", 0, 0.5, time.time()))
        with pytest.raises(TypeError):
            run._points.append(("loss", 1, "high", time.time()))
        assert len(run._points) == 1  # never half a point
        run._points.append(("loss", 2, 0.25, time.time()))
        run.log(3, {7: 0.125})  # a key that is no string is stored as its text
    store.flush()
    frame = nbtrack.series(run.run_id)
    assert sorted(zip(frame.key, frame.step.astype(int), frame.value)) == [
        ("7", 3, 0.125),
        ("loss", 0, 0.5),
        ("loss", 2, 0.25),
    ]
