"""Shared by the harness and the workers (stdlib only: it runs in both virtual environments).

A worker is one process that runs one workload for one tool and writes a JSON object of
figures (seconds, bytes, counts) to the file named by ``--out``. The harness (run.py) starts
the workers, alternating the tools, and aggregates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

# The same data for every tool: 10 params, 5 final metrics, one 100-step series.
PARAMS = {
    "lr": 0.01,
    "batch_size": 64,
    "epochs": 10,
    "dropout": 0.1,
    "optimizer": "adam",
    "momentum": 0.9,
    "weight_decay": 0.0001,
    "seed": 42,
    "hidden": 256,
    "layers": 3,
}
METRIC_NAMES = ("loss", "accuracy", "f1", "precision", "recall")
SERIES_KEY = "train_loss"
SERIES_STEPS = 100


def params_for(i: int) -> dict:
    p = dict(PARAMS)
    p["seed"] = i
    p["lr"] = 0.001 * (1 + i % 10)
    return p


def metrics_for(i: int) -> dict:
    rnd = random.Random(i)
    return {k: rnd.random() for k in METRIC_NAMES}


def series_for(i: int) -> list[float]:
    return [1.0 / (s + 1) + (i % 7) * 1e-3 for s in range(SERIES_STEPS)]


# The %%track cell of workloads 1 and 2: 10 literal params and 5 scalar outputs.
CELL_BODY = """\
lr = 0.01
batch_size = 64
epochs = 10
dropout = 0.1
optimizer = "adam"
momentum = 0.9
weight_decay = 0.0001
seed = 42
hidden = 256
layers = 3
loss = lr * 2.5 + dropout
accuracy = 1 - dropout / 3
f1 = accuracy * 0.95
precision = f1 + 0.01
recall = f1 - 0.01
"""


def worker_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--cap", type=float, default=0.0, help="time budget in seconds (0: none)")
    ap.add_argument("--store", default="", help="a prepared store to query")
    a = ap.parse_args()
    a.out = os.path.abspath(a.out)
    a.workdir = os.path.abspath(a.workdir)
    a.store = os.path.abspath(a.store) if a.store else ""
    return a


def write_result(path: str, result: dict) -> None:
    Path(path).write_text(json.dumps(result))


def dir_size(path: str | os.PathLike) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if not n:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


now = time.perf_counter
