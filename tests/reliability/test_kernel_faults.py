"""Kernels that die, restart or get interrupted while a tracked cell runs."""

from __future__ import annotations

import os
import signal
import time

import pytest
from reliability.kernels import execute, kernel

from nbtrack.store import Store, query

pytestmark = pytest.mark.reliability

LOOP = "%%track --name long\nimport time\nfor i in range(100_000):\n    nbtrack.log(x=i)\n    time.sleep(0.01)\n"


def start_loop(kc):
    assert execute(kc, "%load_ext nbtrack")["status"] == "ok"
    return kc.execute(LOOP)


def wait_points(store, n, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = query.sql(store, "SELECT count(*) AS n FROM series").n[0]
        if got >= n:
            return got
        time.sleep(0.2)
    raise AssertionError(f"only {got} points after {timeout} s")


def test_kill_9_mid_cell_reads_as_crashed_with_points_up_to_a_second_before(tmp_path, figures):
    figures.update(load="1 kernel, a point / 10 ms", faults="kill -9", inputs=">=150 points", lost=0)
    store = Store(tmp_path / "store")
    with kernel(store.dir) as (km, kc):
        start_loop(kc)
        wait_points(store, 150)
        time.sleep(1.5)
        logged_until = time.time() - 1.0  # every point logged before this must survive
        os.kill(km.provisioner.process.pid, signal.SIGKILL)
        km.provisioner.process.wait(10)
    runs = query.runs_frame(store)
    assert runs.status.tolist() == ["crashed"]
    series = query.series_frame(store, runs.run_id[0])
    assert series.time.max().timestamp() >= logged_until - 0.05
    assert series.step.tolist() == list(range(len(series)))  # no gap


def test_interrupt_mid_cell_is_interrupted_and_keeps_points(tmp_path, figures):
    figures.update(load="1 kernel, a point / 10 ms", faults="interrupt", inputs=">=100 points", lost=0)
    store = Store(tmp_path / "store")
    with kernel(store.dir) as (km, kc):
        msg_id = start_loop(kc)
        wait_points(store, 100)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=30)
        assert reply["content"]["status"] != "ok", reply["content"]
        assert execute(kc, "nbtrack.store().flush()")["status"] == "ok"
    runs = query.runs_frame(store)
    assert runs.status.tolist() == ["interrupted"]
    n = len(query.series_frame(store, runs.run_id[0]))
    assert n >= 100 and runs["metrics.x"][0] == n - 1


def test_restart_mid_cell_is_interrupted_and_keeps_points(tmp_path, figures):
    figures.update(load="1 kernel, a point / 10 ms", faults="kernel restart", inputs=">=100 points", lost=0)
    store = Store(tmp_path / "store")
    with kernel(store.dir) as (km, kc):
        start_loop(kc)
        wait_points(store, 100)
        km.shutdown_wait_time = 4.0
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
    runs = query.runs_frame(store)
    assert runs.status.tolist() == ["interrupted"]
    assert len(query.series_frame(store, runs.run_id[0])) >= 100
