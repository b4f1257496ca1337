"""Workload 6 in the browser: nbtrack's run table in a real JupyterLab driven by Playwright in
headless Debian Chromium, over a prepared store (``--store``, e.g. 100k runs).

Measured: first paint (run the cell ``nbtrack.table()`` until its first rows are in the page;
``import nbtrack`` ran in an earlier cell) and sort round trips (click a column header until the
first row changes). Needs ``chromium`` (Debian) and ``playwright`` (the test extras).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import median, now, worker_args, write_result  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root: Path, store: str):
    token = secrets.token_hex(16)
    port = free_port()
    env = dict(
        os.environ,
        NBTRACK_STORE=store,
        JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
        JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
    )
    labconfig = root / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=5).read()
            return proc, url, token
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("JupyterLab did not start:\n" + (root / "server.log").read_text()[-2000:]) from None
            time.sleep(0.3)


def run_cell(page, index: int) -> None:
    cell = page.locator(f"{NB} .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def wait_idle(page, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        """() => {
            const el = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
            return el && el.getAttribute('data-status') === 'idle';
        }""",
        timeout=timeout_ms,
    )


def open_and_run_first_cell(browser, url: str, token: str, notebook: str):
    """A new page on ``notebook`` with its first cell run (its prompt shows a number) and the
    kernel idle again: the setup every first-paint measurement starts from."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    page.wait_for_selector(f"{NB} .jp-Cell", timeout=120_000)
    wait_idle(page)
    page.wait_for_timeout(500)
    for attempt in range(3):  # the first keystrokes can land before the editor is ready
        run_cell(page, 0)
        try:
            page.wait_for_function(
                f"() => {{ const p = document.querySelectorAll('{NB} .jp-InputArea-prompt')[0]; "
                "return p && /\\d/.test(p.textContent); }",
                timeout=20_000,
            )
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            page.wait_for_timeout(1000)
    wait_idle(page)
    return page


def first_row(page) -> str:
    return page.evaluate(
        f"() => {{ const r = document.querySelector('{NB} .nbt-table tr[data-run]'); "
        "return r ? r.getAttribute('data-run') : ''; }"
    )


def main() -> None:
    a = worker_args()
    import nbformat
    from playwright.sync_api import sync_playwright

    root = Path(a.workdir)
    compare = a.workload == "browser_compare"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import nbtrack, pandas\nids = list(nbtrack.runs()['run_id'][:10])"),
        nbformat.v4.new_code_cell("nbtrack.compare(ids)" if compare else "nbtrack.table()"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, root / "w6.ipynb")
    proc, url, token = start_lab(root, a.store)
    out: dict = {}
    page = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                ],
            )
            page = open_and_run_first_cell(browser, url, token, "w6.ipynb")
            if compare:
                t = now()
                run_cell(page, 1)
                try:
                    page.wait_for_selector(
                        f"{NB} .nbt-compare[data-ready='1']",
                        state="attached",
                        timeout=a.cap * 1000 if a.cap else 120_000,
                    )
                    out["compare_ready_s"] = now() - t
                    page.wait_for_selector(
                        f"{NB} .nbt-compare .nbt-kind-curve svg .mark-line path", state="attached", timeout=60_000
                    )
                    out["compare_paint_s"] = now() - t
                except Exception:
                    page.screenshot(path=str(root / "compare-timeout.png"))
                    raise
                browser.close()
                write_result(a.out, out)
                return
            t = now()
            run_cell(page, 1)
            page.wait_for_selector(f"{NB} .nbt-table tr[data-run]", timeout=120_000)
            out["first_paint_s"] = now() - t
            out["rows_shown"] = page.locator(f"{NB} .nbt-table tr[data-run]").count()
            wait_idle(page)
            sorts = []
            for col in ("metrics.accuracy", "metrics.accuracy", "params.lr", "metrics.loss", "params.seed"):
                header = page.locator(f'{NB} .nbt-table th[data-col="{col}"]').first
                before = first_row(page)
                t = now()
                header.click()
                page.wait_for_function(
                    f"(b) => {{ const r = document.querySelector('{NB} .nbt-table tr[data-run]'); "
                    "return r && r.getAttribute('data-run') !== b; }",
                    arg=before,
                    timeout=60_000,
                )
                sorts.append(now() - t)
            out["sort_round_trip_s"] = median(sorts)
            out["sort_round_trip_max_s"] = max(sorts)
            browser.close()
    except Exception:
        if page is not None:
            try:
                page.screenshot(path=str(root / "failure.png"))
            except Exception:
                pass
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    write_result(a.out, out)


if __name__ == "__main__":
    main()
