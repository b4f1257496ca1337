"""Real IPython kernels for reliability tests, started with jupyter_client."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from jupyter_client.manager import KernelManager


@contextmanager
def kernel(store_dir, cwd=None, **env):
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=dict(os.environ, NBTRACK_STORE=str(store_dir), **env), cwd=str(cwd or store_dir.parent))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


def execute(kc, code: str, timeout: float = 60) -> dict:
    """Run code; return {status, outputs (list of iopub msgs), error (ename or None)}."""
    msg_id = kc.execute(code)
    outputs, deadline = [], time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append(msg)
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    return {"status": reply["content"]["status"], "outputs": outputs, "error": reply["content"].get("ename")}


def warnings_in(result: dict) -> list[str]:
    return [
        o["content"]["text"]
        for o in result["outputs"]
        if o["msg_type"] == "stream" and o["content"]["name"] == "stderr"
    ]
