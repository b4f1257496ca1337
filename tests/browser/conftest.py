"""A real JupyterLab (token auth) driven by Playwright in headless Debian Chromium.

Fixtures: ``lab`` (one server per test module, its own root folder and store), ``page``.
Helpers: ``open_notebook``, ``run_all_cells``, ``screenshot``. Screenshots go to
``test-output/screenshots/`` (git-ignored).
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
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects: `pytest -m browser` selects these tests
def pytest_collection_modifyitems(config, items):
    # A module-level pytestmark in a conftest marks nothing: each test here gets the marker.
    skip = (
        None
        if os.path.exists(CHROMIUM)
        else pytest.mark.skip(reason="Debian chromium is not installed (make test installs it as root)")
    )
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    store_dir: Path
    proc: subprocess.Popen

    def api(self, path: str) -> dict:
        req = urllib.request.Request(f"{self.url}/{path.lstrip('/')}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    store_dir = root / ".nbtrack"
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(
        os.environ,
        NBTRACK_STORE=str(store_dir),
        JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
        JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
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
        "--ServerApp.open_browser=False",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    # No "get notified about Jupyter news?" toast over the screenshots.
    labconfig = root / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    server = Lab(f"http://127.0.0.1:{port}", token, root, store_dir, proc)
    deadline = time.time() + 60
    while True:
        try:
            server.api("api/status")
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("JupyterLab did not start:\n" + (root / "server.log").read_text()[-3000:]) from None
            time.sleep(0.3)
    yield server
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
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
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def open_notebook(page, lab: Lab, name: str, cells: list[str]) -> None:
    """Write a notebook with these code cells under the server root and open it in Lab,
    returning once its kernel is connected and idle."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path = lab.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=60_000)
    wait_kernel_idle(page)


def wait_kernel_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the notebook's kernel is connected and idle (the toolbar's status circle)."""
    page.wait_for_function(
        """() => {
            const el = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
            return el && el.getAttribute('data-status') === 'idle';
        }""",
        timeout=timeout_ms,
    )
    # A fresh server reports idle slightly before the kernel's channels are usable.
    page.wait_for_timeout(500)


_STARTED = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt')]
    .some(p => /[*\\d]/.test(p.textContent))"""


def run_all_cells(page) -> None:
    """Run every cell (Run > Run All Cells) without waiting for them to finish. On a loaded
    machine Lab can report the kernel idle before its session accepts requests, and then Run All
    does nothing (every prompt stays `[ ]`); a prompt turns `[*]` the moment a cell is sent, so
    when none has after 15 s nothing was sent and asking again runs no cell twice."""
    for attempt in range(2):
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.click()
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(_STARTED, timeout=15_000)
            return
        except Exception:
            if attempt:
                raise
            wait_kernel_idle(page)


def wait_cells_done(page, timeout_ms: int = 120_000) -> None:
    """Wait until no cell shows an execution prompt of [*]."""
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt')];
            return prompts.length > 0 && prompts.every(p => !p.textContent.includes('*') && /\\d/.test(p.textContent));
        }""",
        timeout=timeout_ms,
    )


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
