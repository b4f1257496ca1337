"""The nbtrack sidebar in a real JupyterLab (headless Chromium): live runs grouped by cell, run
detail, "Go to cell", "Restore as new cell", cell metadata links, Compare, and inert HTML."""

from __future__ import annotations

import datetime as dt
import time

import nbformat
import pytest
from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done

PANEL = "#nbtrack-sidebar"
NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# Records, in the page, when each run's row first appears in the panel (Date.now() ms).
WATCH_ROWS = """() => {
    window.__nbtrackSeen = {};
    const note = () => document.querySelectorAll('#nbtrack-sidebar .nbtrack-run').forEach(el => {
        const id = el.getAttribute('data-run-id');
        if (!(id in window.__nbtrackSeen)) window.__nbtrackSeen[id] = Date.now();
    });
    new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
    note();
}"""


@pytest.fixture(autouse=True)
def fresh_workspace(request):
    """Each test starts from an empty Lab layout: the module shares one server, and a restored
    workspace would reopen the previous test's notebooks next to the new one."""
    if "lab" in request.fixturenames:
        lab = request.getfixturevalue("lab")
        for f in (lab.root / ".jupyter" / "lab" / "workspaces").glob("*"):
            f.unlink()
    yield


def open_sidebar(page) -> None:
    """Show the panel (the workspace may have restored it open already: then leave it)."""
    page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').wait_for()
    if not page.locator(PANEL).is_visible():
        page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').click()
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="visible")


def active_cell_index(page) -> int:
    return page.evaluate(
        f"""() => [...document.querySelectorAll('{NB} .jp-Cell')]
                .findIndex(c => c.classList.contains('jp-mod-active'))"""
    )


def cell_source(page, index: int) -> str:
    return page.evaluate(
        f"""(i) => [...document.querySelectorAll('{NB} .jp-Cell')][i]
                .querySelector('.jp-InputArea-editor').querySelectorAll('.cm-line')
                .length ? [...[...document.querySelectorAll('{NB} .jp-Cell')][i]
                .querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n') : ''""",
        index,
    )


def iso_ms(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def test_sidebar_live_detail_goto_restore_compare(lab, page):
    tracked = (
        "%%track --name first\nlr = 0.1\nimport time\nfor i in range(8):\n"
        "    nbtrack.log(loss=1 / (i + 1))\n    time.sleep(0.5)\nacc = 0.5 + lr"
    )
    open_notebook(page, lab, "side.ipynb", ["%load_ext nbtrack", "x = 1", tracked, "y = 2"])
    open_sidebar(page)
    page.wait_for_selector(f"{PANEL} .nbtrack-empty")
    page.evaluate(WATCH_ROWS)

    run_all_cells(page)
    row = page.wait_for_selector(f'{PANEL} .nbtrack-run[data-status="running"]', timeout=30_000)
    run_id = row.get_attribute("data-run-id")
    screenshot(page, "sidebar-running")
    # Live: the row appeared within 2 s of the run's start (server clock = browser clock here).
    started = iso_ms(lab.api(f"nbtrack/api/runs/{run_id}")["started_at"])
    seen = page.evaluate("(id) => window.__nbtrackSeen[id]", run_id)
    assert seen - started < 2000, f"the run appeared {seen - started:.0f} ms after it started"
    assert (
        page.locator(f'{PANEL} .nbtrack-run[data-run-id="{run_id}"] .nbtrack-dot.nbtrack-status-running').count() == 1
    )

    # ... and its status changes when it ends.
    page.wait_for_selector(f'{PANEL} .nbtrack-run[data-run-id="{run_id}"][data-status="finished"]', timeout=30_000)
    wait_cells_done(page)
    group = page.locator(f"{PANEL} .nbtrack-group").first
    assert group.locator(".nbtrack-group-title").inner_text() == "lr = 0.1"
    assert group.locator(".nbtrack-cell-badge").inner_text() == "cell 3"
    assert "acc" in page.locator(f'{PANEL} .nbtrack-run[data-run-id="{run_id}"] .nbtrack-run-metrics').inner_text()
    assert "Best acc" in page.locator(f"{PANEL} .nbtrack-sort").inner_text()
    screenshot(page, "sidebar-finished")

    # The finished cell links its run in the notebook's metadata (checked in the saved file).
    page.locator(f"{NB} .jp-Cell").nth(3).click()
    page.keyboard.press("Escape")
    deadline = time.time() + 15
    while True:
        page.keyboard.press("Control+s")
        page.wait_for_timeout(700)
        nb = nbformat.read(lab.root / "side.ipynb", as_version=4)
        links = nb.cells[2].metadata.get("nbtrack", {}).get("runs")
        if links or time.time() > deadline:
            break
    assert links == [run_id]
    assert "nbtrack" not in nb.cells[1].metadata  # untracked cells stay untouched

    # Detail: params, metrics with a sparkline of the series, source.
    page.locator(f'{PANEL} .nbtrack-run[data-run-id="{run_id}"]').click()
    detail = page.locator(f"{PANEL} .nbtrack-detail-body")
    detail.wait_for()
    assert detail.get_attribute("data-run-id") == run_id
    params = detail.locator('[data-section="Params"]').inner_text()
    assert "lr" in params and "0.1" in params
    metrics = detail.locator('[data-section="Metrics"]')
    assert "acc" in metrics.inner_text() and "loss" in metrics.inner_text()
    metrics.locator("svg.nbtrack-sparkline").first.wait_for()
    # A value beside its sparkline stays on one line (it once broke one character a line).
    lines = (
        metrics.locator("td")
        .nth(1)
        .evaluate(
            "td => { const r = document.createRange(); r.selectNodeContents(td); "
            "return new Set(Array.from(r.getClientRects(), x => Math.round(x.top))).size; }"
        )
    )
    assert lines == 1, lines
    assert "for i in range(8)" in detail.locator('[data-section="Source"]').inner_text()
    screenshot(page, "sidebar-detail")

    # Go to cell: with another cell active, the button selects the run's cell.
    page.locator(f"{NB} .jp-Cell").nth(0).click()
    page.keyboard.press("Escape")
    assert active_cell_index(page) == 0
    detail.locator('[data-action="goto"]').click()
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('{NB} .jp-Cell')]
                .findIndex(c => c.classList.contains('jp-mod-active')) === 2"""
    )
    assert page.locator(f"{NB} .jp-Cell").nth(2).is_visible()
    screenshot(page, "sidebar-goto-cell")

    # Restore as new cell: inserted below the active cell, with the run's source and params.
    n_cells = page.locator(f"{NB} .jp-Cell").count()
    detail.locator('[data-action="restore"]').click()
    page.wait_for_function(f"() => document.querySelectorAll('{NB} .jp-Cell').length === {n_cells + 1}")
    assert active_cell_index(page) == 3
    restored = cell_source(page, 3)
    assert restored.startswith("%%track --name first")
    assert f"restored from nbtrack run {run_id}" in restored
    assert "lr = 0.1" in restored and "for i in range(8):" in restored
    screenshot(page, "sidebar-restored-cell")

    # Run the restored cell: a second run (in its own group), then compare the two.
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('{PANEL} .nbtrack-run[data-status=\"finished\"]').length >= 2", timeout=30_000
    )
    for el in page.locator(f"{PANEL} .nbtrack-run .nbtrack-check").all()[:2]:
        el.check()
    compare = page.locator(f"{PANEL} .nbtrack-compare-button")
    assert compare.is_enabled() and "2 selected" in page.locator(f"{PANEL} .nbtrack-compare-count").inner_text()
    compare.click()
    tab = page.locator(".nbtrack-compare")
    tab.locator(".nbtrack-compare-table").wait_for()
    assert tab.locator('.nbtrack-chart-box[data-key="loss"] polyline').count() >= 2
    assert "lr" in tab.locator(".nbtrack-compare-table").inner_text()
    screenshot(page, "sidebar-compare")


def test_user_text_is_inert_and_errors_show(lab, page):
    xss = '<img src=x onerror="window.__pwned=1">'
    open_notebook(
        page,
        lab,
        "xss.ipynb",
        [
            "%load_ext nbtrack",
            "%%track --tag <b>t</b>\nnote = '<script>window.__pwned = 2</script>'\nscore = 1.5\n"
            "from IPython.display import SVG, display\n"
            'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
            '<script>window.__pwned = 3</script><circle cx="20" cy="20" r="15" fill="teal"/></svg>\'))',
            f"with nbtrack.start(name={xss!r}, params={{'p': {xss!r}}}):\n    pass",
            "%%track --name boom\nraise ValueError('<b>bad</b>')",
        ],
    )
    open_sidebar(page)
    run_all_cells(page)
    wait_cells_done(page)
    page.wait_for_selector(f'{PANEL} .nbtrack-run[data-status="failed"]', timeout=30_000)
    # The script-made run has no notebook: it shows under "All runs".
    page.locator(f"{PANEL} .nbtrack-all-switch").check()
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{PANEL} .nbtrack-run-name')].some(e => e.textContent === {xss!r})",
        timeout=10_000,
    )
    page.locator(f"{PANEL} .nbtrack-run", has_text="<img").first.click()
    detail = page.locator(f"{PANEL} .nbtrack-detail-body")
    detail.wait_for()
    assert xss in detail.locator('[data-section="Params"]').inner_text()
    page.locator(f"{PANEL} .nbtrack-run", has_text="score").first.click()
    page.wait_for_function(
        f"() => document.querySelector('{PANEL} .nbtrack-detail-body [data-section=\"Params\"]')"
        "?.textContent.includes('<script>')"
    )
    # The figure the cell displayed is shown (as an <img>: its <script> cannot run).
    page.wait_for_function(f"() => document.querySelector('{PANEL} .nbtrack-figure')?.naturalWidth === 40")
    page.locator(f"{PANEL} .nbtrack-figure").scroll_into_view_if_needed()
    screenshot(page, "sidebar-figure")
    page.locator(f'{PANEL} .nbtrack-run[data-status="failed"]').first.click()
    page.wait_for_selector(f"{PANEL} .nbtrack-traceback")
    assert "ValueError: <b>bad</b>" in page.locator(f"{PANEL} .nbtrack-error-line").inner_text()
    screenshot(page, "sidebar-xss-inert")
    assert page.evaluate("() => window.__pwned") is None
    # No element was made from user text: no img/script/b inside the panel.
    assert page.locator(f"{PANEL} img:not(.nbtrack-figure), {PANEL} script, {PANEL} b").count() == 0
    # Search narrows the list (server-side free text).
    page.locator(f"{PANEL} .nbtrack-search").fill("boom")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{PANEL} .nbtrack-run-name')].map(e => e.textContent).join() === 'boom'"
    )
    # ... and reads structured filters in the shared grammar.
    page.locator(f"{PANEL} .nbtrack-search").fill("params.score >= 1 and status == finished")
    page.wait_for_function(f"() => document.querySelectorAll('{PANEL} .nbtrack-run').length === 1")
    assert "score=1.5" in page.locator(f"{PANEL} .nbtrack-run .nbtrack-params-hint").inner_text()
    page.locator(f"{PANEL} .nbtrack-search").fill("params.scroe > 1")
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline .nbtrack-error")
    assert "params.score" in page.locator(f"{PANEL} .nbtrack-statusline").inner_text()  # "did you mean"
    screenshot(page, "sidebar-filter-error")


def test_no_polling_while_hidden(lab, page):
    open_notebook(page, lab, "quiet.ipynb", ["x = 1"])
    open_sidebar(page)
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/nbtrack/api/" in r.url else None)
    page.wait_for_timeout(1500)
    assert any("/nbtrack/api/changes" in u for u in seen), seen  # visible: it polls
    page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').click()  # hide the panel
    page.wait_for_selector(PANEL, state="hidden")
    page.wait_for_timeout(300)
    seen.clear()
    page.wait_for_timeout(3500)
    assert seen == [], f"requests while the panel was hidden: {seen}"
    page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').click()  # show it again
    page.wait_for_timeout(1500)
    assert any("/nbtrack/api/changes" in u for u in seen)


def test_renamed_notebook_keeps_its_runs(lab, page):
    """After a rename the kernel still reports the old path: the panel lists both."""
    open_notebook(page, lab, "before.ipynb", ["%load_ext nbtrack", "%%track --name r1\nk = 1"])
    open_sidebar(page)
    run_all_cells(page)
    page.wait_for_selector(f'{PANEL} .nbtrack-run[data-status="finished"]', timeout=30_000)
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name="Rename Notebook…").click()
    box = page.locator(".jp-Dialog input")
    box.fill("after.ipynb")
    box.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('{PANEL} .nbtrack-statusline')?.textContent.includes('after.ipynb')"
    )
    page.locator(f"{NB} .jp-Cell").nth(1).click()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('{PANEL} .nbtrack-run[data-status=\"finished\"]').length === 2",
        timeout=30_000,
    )


# -- Notebook 7: the same panel in its left area (View > Left Sidebar > Show nbtrack runs) --------


def _notebook7_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("notebook") is not None and importlib.util.find_spec("notebook.app") is not None


@pytest.fixture(scope="module")
def nb7(tmp_path_factory):
    """A Jupyter Notebook 7 server (skipped when the notebook package is not installed)."""
    if not _notebook7_available():
        pytest.skip("Jupyter Notebook 7 (the notebook package) is not installed")
    import os
    import secrets
    import socket
    import subprocess
    import sys
    import urllib.request

    root = tmp_path_factory.mktemp("nb7")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(
        os.environ,
        NBTRACK_STORE=str(root / ".nbtrack"),
        JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
        JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
    )
    cmd = [
        sys.executable,
        "-m",
        "notebook",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("Notebook 7 did not start:\n" + (root / "server.log").read_text()[-3000:]) from None
            time.sleep(0.3)
    yield url, token, root
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_notebook7_left_area(nb7, page):
    url, token, root = nb7
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(s)
        for s in ["%load_ext nbtrack", "x = 1", "%%track --name nb7\nlr = 0.3\nacc = lr * 2"]
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "n7.ipynb")
    page.goto(f"{url}/notebooks/n7.ipynb?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.get_by_role("menuitem", name="View", exact=True).click()
    page.locator(".lm-Menu-itemLabel", has_text="Left Sidebar").click()
    page.locator(".lm-Menu-itemLabel", has_text="Show nbtrack runs").click()
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="visible")
    page.wait_for_function(
        """() => document.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') === 'idle'""",
        timeout=60_000,
    )
    page.wait_for_timeout(500)
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_selector(f'{PANEL} .nbtrack-run[data-status="finished"]', timeout=60_000)
    page.locator(f"{PANEL} .nbtrack-run").first.click()
    page.wait_for_selector(f"{PANEL} .nbtrack-detail-body")
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.locator(f'{PANEL} [data-action="goto"]').click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Cell')].findIndex(c => c.classList.contains('jp-mod-active')) === 2"
    )
    page.locator(f'{PANEL} [data-action="restore"]').click()
    page.wait_for_function("() => document.querySelectorAll('.jp-Cell').length === 4")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        f"() => document.querySelectorAll('{PANEL} .nbtrack-run[data-status=\"finished\"]').length >= 2", timeout=30_000
    )
    for el in page.locator(f"{PANEL} .nbtrack-check").all()[:2]:
        el.check()
    page.locator(f"{PANEL} .nbtrack-compare-button").click()
    page.wait_for_selector(".nbtrack-compare .nbtrack-compare-table", state="visible")
    assert page.locator(".nbtrack-compare").bounding_box()["height"] > 150
    screenshot(page, "notebook7-sidebar-compare")
