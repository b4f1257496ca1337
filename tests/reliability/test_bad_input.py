"""Bad input gets a clear message or a sensible record, never a crash (issue: hardening §3)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.capture.values import summarize
from nbtrack.store import query

pytestmark = pytest.mark.reliability


class TorchLikeScalar:
    """Stands in for a 0-d torch tensor: shape (), a dtype, .item()."""

    shape = ()
    dtype = "torch.float32"

    def item(self):
        return 0.25


def test_unserialisable_params_are_recorded_as_text(store, figures):
    rec = [1]
    rec.append(rec)
    with open(__file__) as handle:
        params = {
            "fn": lambda x: x,
            "file": handle,
            "recursive": rec,
            "gen": (i for i in range(3)),
            "np": np.float32(0.5),
            "big": 10**40,
            "nested": {"a": [1, {"b": None}]},
        }
        with nbtrack.start(params=params, store_path=str(store.dir)) as run:
            pass
    figures.update(load="1 run", faults="-", inputs=f"{len(params)} odd params", lost="not reached")
    got = query.get_run(store, run.run_id).params
    assert set(got) == set(params)
    assert "lambda" in got["fn"] and "[1, [...]]" == got["recursive"] and "generator" in got["gen"]
    assert got["np"] == 0.5 and got["nested"] == {"a": [1, {"b": None}]}
    assert str(got["big"]) == str(10**40)
    figures["lost"] = 0


def test_log_values_strings_none_nested_are_clear_errors_numbers_of_every_kind_are_kept(store, figures):
    bad = {"s": "high", "none": None, "nested": {"a": 1}, "list": [1, 2]}
    good = {
        "np64": np.float64(1.5),
        "np32": np.float32(2.5),
        "npint": np.int64(3),
        "zero_d": np.array(4.0),
        "torchlike": TorchLikeScalar(),
        "flag": True,
        "nan": math.nan,
        "inf": -math.inf,
    }
    figures.update(load="1 run", faults="-", inputs=f"{len(bad) + len(good)} value kinds", lost="not reached")
    with nbtrack.start(store_path=str(store.dir)) as run:
        for key, value in bad.items():
            with pytest.raises(TypeError, match=f"'{key}' must be a real number"):
                nbtrack.log(**{key: value})
        nbtrack.log(**good)
    store.flush()
    metrics = query.get_run(store, run.run_id).metrics
    assert metrics["np64"] == 1.5 and metrics["np32"] == 2.5 and metrics["npint"] == 3
    assert metrics["zero_d"] == 4.0 and metrics["torchlike"] == 0.25 and metrics["flag"] == 1.0
    assert math.isnan(metrics["nan"]) and metrics["inf"] == -math.inf
    assert not set(bad) & set(metrics)
    figures["lost"] = 0


def test_duplicate_negative_and_float_steps_are_kept_as_logged(store, figures):
    steps = [0, 0, -5, 2.5, 2.5, 10]
    with nbtrack.start(store_path=str(store.dir)) as run:
        for i, step in enumerate(steps):
            nbtrack.log(step=step, loss=float(i))
        with pytest.raises(TypeError, match="'step' must be a real number"):
            nbtrack.log(step="3", loss=1.0)
    store.flush()
    figures.update(load="1 run", faults="-", inputs=f"{len(steps)} steps", lost="not reached")
    frame = query.series_frame(store, run.run_id)
    assert sorted(frame.step.tolist()) == sorted(steps) and len(frame) == len(steps)
    figures["lost"] = 0


def test_metric_names_that_collide_with_run_columns(store, figures):
    with nbtrack.start(name="collide", params={"status": "p", "run_id": "q"}, store_path=str(store.dir)):
        nbtrack.log(status=1.0, run_id=2.0, name=3.0)
    store.flush()
    figures.update(load="1 run", faults="-", inputs="3 colliding names", lost="not reached")
    row = query.runs_frame(store).iloc[0]
    assert row.status == "finished" and row["name"] == "collide" and len(row.run_id) == 16
    assert row["metrics.status"] == 1.0 and row["metrics.run_id"] == 2.0 and row["metrics.name"] == 3.0
    assert row["params.status"] == "p" and row["params.run_id"] == "q"
    figures["lost"] = 0


def test_a_1_gb_dataframe_input_is_fingerprinted_from_a_bounded_sample(figures, monkeypatch):
    from nbtrack.capture import values

    big = pd.DataFrame({f"c{i}": np.arange(13_500_000, dtype=np.float64) for i in range(10)})  # ~1.08 GB
    figures.update(load="1 GB DataFrame", faults="-", inputs="fingerprint", lost="-")
    hashed_rows = []
    real_hash = pd.util.hash_pandas_object
    monkeypatch.setattr(
        pd.util, "hash_pandas_object", lambda obj, **kw: hashed_rows.append(len(obj)) or real_hash(obj, **kw)
    )
    t0 = time.perf_counter()
    out = summarize(big)
    big_s = time.perf_counter() - t0  # a figure for the reliability table, not asserted
    monkeypatch.undo()
    assert out["shape"] == "13500000x10" and out["fingerprint"]
    # Sampled: the 1 GB frame costs what SAMPLE_ROWS rows do (timings: benchmarks/capture_cost.py).
    assert hashed_rows == [values.SAMPLE_ROWS]
    big.iloc[13_499_999, 3] = -1.0  # the last row is always in the sample
    assert summarize(big)["fingerprint"] != out["fingerprint"]
    figures["inputs"] = f"fingerprint of {values.SAMPLE_ROWS:,} sampled rows in {big_s * 1000:.0f} ms"
    figures["lost"] = 0
