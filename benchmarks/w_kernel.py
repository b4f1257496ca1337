"""Added time of ``%%track`` on the path JupyterLab takes (issue 14): a real IPython kernel driven
by ``jupyter_client``, every execute request carrying ``metadata.cellId`` (a fresh id each time:
the first execution of a cell), on a store that already holds ``--n`` runs (default 10,000).

    .venv/bin/python benchmarks/w_kernel.py [--n 10000] [--reps 20] [--out result.json]

Per repetition the same one-line cell runs untracked, under ``%%track`` and under ``%%track -q``,
in rotating order (A B C, B C A, C A B, ...). Kernel-side time of a request = the reply header's
``date`` minus the reply's ``metadata.started`` (both stamped by ipykernel); the round trip is the
client's send-to-reply time. The figure reported is the median of the per-repetition differences
(tracked minus untracked of the same repetition). ``run.py`` calls ``measure`` (workload K).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CELL = "lr = 0.1; acc = lr * 2"
CONDITIONS = {"untracked": CELL, "track": "%%track\n" + CELL, "track_q": "%%track -q\n" + CELL}


# Timed inside the kernel: nbtrack's start (pre_run_cell) + finish (post_run_cell) per cell, wall
# time and the main thread's CPU time (the latter barely moves when other processes load the machine).
HOOK_TIMER = """
import time as _t
from nbtrack.capture import magic as _m
_nbt_tr = _m._trackers[id(get_ipython())]
_nbt_hook_times = {}
_nbt_acc = {}
def _nbt_timed(name, f):
    def run(*a, **k):
        w, c = _t.perf_counter(), _t.thread_time()
        quiet = bool(getattr(_nbt_tr.args, "quiet", False)) if name == "finish" else None
        try:
            return f(*a, **k)
        finally:
            dw, dc = _t.perf_counter() - w, _t.thread_time() - c
            if name == "start":
                _nbt_acc["w"], _nbt_acc["c"] = dw, dc
            else:
                key = "track_q" if quiet else "track"
                _nbt_hook_times.setdefault(key + "_wall", []).append(dw + _nbt_acc.pop("w", 0.0))
                _nbt_hook_times.setdefault(key + "_cpu", []).append(dc + _nbt_acc.pop("c", 0.0))
    return run
_nbt_tr.start = _nbt_timed("start", _nbt_tr.start)
_nbt_tr.finish = _nbt_timed("finish", _nbt_tr.finish)
"""


def _ts(value) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def execute(kc, code: str, cell_id: str | None, timeout: float = 60) -> dict:
    """One execute request as JupyterLab sends it; wait for idle and the reply."""
    msg = kc.session.msg(
        "execute_request",
        {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    )
    if cell_id is not None:
        msg["metadata"]["cellId"] = cell_id
    t0 = time.perf_counter()
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    deadline = time.time() + timeout
    while True:  # blocking waits: a polling client would compete with the kernel for the cores
        reply = kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
        if reply["parent_header"].get("msg_id") == msg_id:
            t1 = time.perf_counter()
            break
    outputs = []
    while True:
        m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
        if m["msg_type"] in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            outputs.append(m)
    kernel_s = _ts(reply["header"]["date"]) - _ts(reply["metadata"]["started"])
    return {"kernel_s": kernel_s, "round_trip_s": t1 - t0, "status": reply["content"]["status"], "outputs": outputs}


def fill_store(store: Path, n: int) -> None:
    """A store with n runs of notebook bench.ipynb (the rows %%track writes; see w_nbtrack)."""
    import w_nbtrack

    w_nbtrack.fill_bulk(argparse.Namespace(store=str(store), n=n))


def measure(
    n: int = 10_000,
    reps: int = 20,
    gap_s: float = 0.0,
    store: Path | None = None,
    notebook: str = "bench.ipynb",
    work: Path | None = None,
    setup: str = "",
) -> dict:
    from jupyter_client.manager import KernelManager

    work = Path(work or tempfile.mkdtemp(prefix="nbtrack-kbench-"))
    if store is None:
        store = work / "store"
        t = time.time()
        fill_store(store, n)
        fill_s = time.time() - t
    else:
        fill_s = 0.0
    env = dict(os.environ, NBTRACK_STORE=str(store), JPY_SESSION_NAME=notebook)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(work))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        execute(kc, "%load_ext nbtrack", None)
        if setup:  # e.g. to take one part out and see what it costs (profiling)
            execute(kc, setup, None)
        # Warm both paths once (first-ever tracked cell: imports, writer thread) outside the figures.
        for code in CONDITIONS.values():
            for _ in range(2):
                execute(kc, code, str(uuid.uuid4()))
        time.sleep(1.0)
        execute(kc, HOOK_TIMER, None)
        names = list(CONDITIONS)
        raw: dict[str, list[dict]] = {k: [] for k in names}
        for rep in range(reps):
            order = names[rep % 3 :] + names[: rep % 3]
            for name in order:
                r = execute(kc, CONDITIONS[name], str(uuid.uuid4()))
                if r["status"] != "ok":
                    raise RuntimeError(f"{name} failed: {r}")
                raw[name].append(r)
                if gap_s:
                    time.sleep(gap_s)
        card_outputs = sum(1 for o in raw["track"][-1]["outputs"] if o["msg_type"] == "display_data")
        if not card_outputs:  # the figure would be the text summary's cost, not the card's
            raise RuntimeError("the tracked cell showed no live card (widget bundle not built?): `make install`")
        check = execute(
            kc, "import nbtrack; _r = nbtrack.runs(); print(len(_r), (_r.status == 'finished').sum())", None
        )
        hooks = execute(kc, "print(__import__('json').dumps(_nbt_hook_times))", None)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    text = "".join(o["content"].get("text", "") for o in check["outputs"] if o["msg_type"] == "stream")
    hook_text = "".join(o["content"].get("text", "") for o in hooks["outputs"] if o["msg_type"] == "stream")
    hook_times = json.loads(hook_text.strip().splitlines()[-1])
    res_hooks = {}
    for name in ("track", "track_q"):
        for kind in ("wall", "cpu"):
            xs = hook_times.get(f"{name}_{kind}") or [float("nan")]
            res_hooks[f"{name}_hooks_{kind}_s"] = statistics.median(xs)
    res: dict = {
        **res_hooks,
        "store_runs": n,
        "reps": reps,
        "gap_s": gap_s,
        "fill_s": fill_s,
        "card_outputs": card_outputs,
        "runs_after": text.strip(),
    }
    for metric in ("kernel_s", "round_trip_s"):
        base = [r[metric] for r in raw["untracked"]]
        res[f"untracked_{metric}"] = statistics.median(base)
        for name in ("track", "track_q"):
            diffs = [x[metric] - b for x, b in zip(raw[name], base)]
            res[f"{name}_added_{metric}"] = statistics.median(diffs)
            res[f"{name}_added_{metric}_p90"] = sorted(diffs)[int(0.9 * (len(diffs) - 1))]
            res[f"{name}_{metric}"] = statistics.median(r[metric] for r in raw[name])
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--gap", type=float, default=0.0, help="seconds between requests")
    ap.add_argument("--out")
    ap.add_argument("--work", help="scratch folder (default: a new temporary one)")
    a = ap.parse_args()
    res = measure(a.n, a.reps, a.gap, work=Path(a.work) if a.work else None)
    text = json.dumps(res, indent=1)
    if a.out:
        Path(a.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
