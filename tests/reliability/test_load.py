"""Load: real kernels write into one store while the server and a widget query read it."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from reliability.kernels import kernel

from nbtrack.store import Store, query

pytestmark = pytest.mark.reliability

CELL = (
    "%%track --name load\n"
    + "".join(f"p{k} = {k}\n" for k in range(10))
    + "for s in range(20):\n    nbtrack.log(loss=1.0 / (s + 1))\n"
    + "score = p1 * 2\n"
)


def run_cells(kc, n: int) -> dict:
    """Run n tracked cells one after another, as a front end does: read each cell's output
    (iopub) until the kernel is idle again, then its reply. Collects replies that were not ok
    and any stderr/error output (a warning shown to the user)."""
    bad, noisy, done = [], [], 0
    for _ in range(n):
        msg_id = kc.execute(CELL)
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "error" or (kind == "stream" and msg["content"]["name"] == "stderr"):
                noisy.append(msg["content"])
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = kc.get_shell_msg(timeout=120)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=120)
        done += 1
        if reply["content"]["status"] != "ok":
            bad.append(reply["content"])
    assert execute_ok(kc, "nbtrack.store().flush()")
    return {"replies": done, "bad": bad, "noisy": noisy}


def execute_ok(kc, code: str) -> bool:
    return kc.execute_interactive(code, timeout=60)["content"]["status"] == "ok"


class Server:
    """A real Jupyter server with the nbtrack extension, polled every 100 ms."""

    def __init__(self, root, env):
        self.token = secrets.token_hex(8)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cmd = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={self.port}",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.requests = self.failed = 0
        self.max_seconds = 0.0
        self.errors: list[str] = []
        self._stop = threading.Event()
        deadline = time.time() + 60
        while True:
            try:
                self.get("api/status")
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)

    def get(self, path):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}", headers={"Authorization": f"token {self.token}"}
        )
        # Under this load (10 busy processes on 2 cores) an answer can take tens of seconds;
        # slow is recorded (max_seconds), only an error or no answer in 120 s is a failure.
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())

    def poll(self):
        while not self._stop.is_set():
            self.requests += 1
            t0 = time.monotonic()
            try:
                self.get("nbtrack/api/runs?limit=50")
                self.max_seconds = max(self.max_seconds, time.monotonic() - t0)
            except Exception as exc:
                self.failed += 1
                body = exc.read().decode(errors="replace") if hasattr(exc, "read") else ""
                self.errors.append(f"{exc!r} {body}")
            self._stop.wait(0.1)

    def stop(self, poller: threading.Thread):
        self._stop.set()
        poller.join(60)  # let the request in flight finish before the server goes
        self.proc.terminate()
        self.proc.wait(20)


# What the run table widget does on every poll: rebuild its cache when the store changed, then
# a sorted, filtered page (base columns: metrics.* exist only once runs have landed).
WIDGET_QUERY = (
    "import time\nfrom nbtrack.store.table import RunsCache\n"
    "cache = RunsCache(nbtrack.store())\npages = 0\nend = time.time() + {seconds}\n"
    "while time.time() < end:\n"
    "    cache.refresh()\n"
    "    cache.page(filters=[('status', '==', 'finished')], sort=[('started_at', 'desc')], limit=50)\n"
    "    pages += 1\n"
)


def test_eight_kernels_500_cells_each_with_server_and_widget_readers(tmp_path, figures):
    store = Store(tmp_path / "store")
    env = dict(os.environ, NBTRACK_STORE=str(store.dir))
    server = Server(tmp_path, env)
    poller = threading.Thread(target=server.poll, daemon=True)
    poller.start()
    try:
        widget_out: list = []
        with kernel(store.dir) as (reader_km, reader):
            assert execute_ok(reader, "%load_ext nbtrack")
            loop_id = reader.execute(WIDGET_QUERY.format(seconds=600))  # until interrupted below
            kernels = [kernel(store.dir) for _ in range(8)]
            clients = [k.__enter__()[1] for k in kernels]
            try:
                for kc in clients:
                    assert execute_ok(kc, "%load_ext nbtrack")
                with ThreadPoolExecutor(8) as pool:
                    results = list(pool.map(lambda kc: run_cells(kc, 500), clients))
            finally:
                for k in kernels:
                    k.__exit__(None, None, None)
            # Stop the widget-side reader; it must have served pages all along without error.
            time.sleep(1)
            reader_km.interrupt_kernel()  # KeyboardInterrupt in the loop
            while reader.get_shell_msg(timeout=60)["parent_header"].get("msg_id") != loop_id:
                pass
            # ipykernel aborts requests that arrive just after an interrupted cell: ask again.
            for _ in range(20):
                widget = reader.execute_interactive(
                    "print(pages, flush=True)", timeout=60, output_hook=lambda m: widget_out.append(m)
                )
                if widget["content"]["status"] != "aborted":
                    break
                time.sleep(0.5)
    finally:
        server.stop(poller)
    assert [r["replies"] for r in results] == [500] * 8
    assert [r["bad"] for r in results] == [[]] * 8
    assert [r["noisy"] for r in results] == [[]] * 8
    assert server.requests > 50 and server.failed == 0, server.errors[:3]
    printed = [m["content"]["text"] for m in widget_out if m["msg_type"] == "stream"]
    assert widget["content"]["status"] == "ok" and int(printed[0]) > 10
    counts = (
        query.sql(
            store,
            """SELECT (SELECT count(*) FROM runs) AS runs,
        (SELECT count(*) FROM runs WHERE status = 'finished') AS finished,
        (SELECT count(*) FROM series) AS points""",
        )
        .iloc[0]
        .to_dict()
    )
    figures.update(
        load="8 kernels x 500 cells; GET runs / 100 ms; widget queries",
        faults="-",
        inputs=f"4,000 runs, 80,000 points, {server.requests} requests (slowest {server.max_seconds:.1f} s)",
        lost=(4000 - counts["runs"]) + (80_000 - counts["points"]) + server.failed,
    )
    assert counts == {"runs": 4000, "finished": 4000, "points": 80_000}


def test_two_kernels_in_different_folders_of_one_project_share_the_store(tmp_path, figures):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "notebooks" / "deep").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "NBTRACK_STORE"}
    expected = Store(project / ".nbtrack")
    results = []
    from jupyter_client.manager import KernelManager

    managers = []
    for cwd in (project, project / "notebooks" / "deep"):
        km = KernelManager(kernel_name="python3")
        km.start_kernel(env=env, cwd=str(cwd))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        managers.append((km, kc))
    try:
        for _, kc in managers:
            assert execute_ok(kc, "%load_ext nbtrack")
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda mk: run_cells(mk[1], 200), managers))
    finally:
        for km, kc in managers:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    assert [r["noisy"] for r in results] == [[], []]
    runs = query.runs_frame(expected)
    figures.update(load="2 kernels (different cwd) x 200 cells", faults="-", inputs="400 runs", lost=400 - len(runs))
    assert len(runs) == 400 and set(runs.status) == {"finished"}
    assert query.sql(expected, "SELECT count(*) AS n FROM series").n[0] == 8000
