"""The sidebar's issue-12/13 parts in a real JupyterLab (headless Chromium): a stale run's badge
and reason, "Replay" and "Export as notebook" from the run detail, the commands in the palette,
the keyboard shortcut that opens the panel, the Team toggle's error without a team store, and
the tricky values in the sidebar formatted as everywhere else."""

from __future__ import annotations

import re

from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done

PANEL = "#nbtrack-sidebar"
NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"

CELLS = [
    "%load_ext nbtrack",
    "import numpy as np\ndata = np.arange(10.0)",
    "%%track --name stale-one\nbig = 1234567.891\nm_big = float(data.sum()) * 1234567.891 / 45\n"
    "m_tiny = float('1e-7')\nm_nan = float('nan')",
    "data = data * 3",
]


def test_stale_badge_replay_export_commands_and_team(lab, page, monkeypatch):
    open_notebook(page, lab, "actions.ipynb", CELLS)
    run_all_cells(page)
    wait_cells_done(page)

    # the shortcut opens the panel (Accel Shift Alt R, from schema/sidebar.json)
    page.locator(f"{NB} .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+Alt+R")
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="visible")

    row = page.locator(f"{PANEL} .nbtrack-run", has_text="stale-one")
    row.wait_for(timeout=30_000)
    badge = row.locator(".nbtrack-stale")
    badge.wait_for(timeout=30_000)
    reason = badge.get_attribute("title") or ""
    assert "data" in reason, reason
    metrics = {m.get_attribute("data-key"): m.inner_text().split(" ", 1)[1]
               for m in row.locator(".nbtrack-metric").all()}
    assert metrics == {"m_big": "1.235e+6", "m_tiny": "1e-7", "m_nan": "NaN"}, metrics
    assert "big=1.235e+6" in row.locator(".nbtrack-params-hint").inner_text()

    row.click()
    detail = page.locator(f"{PANEL} .nbtrack-detail")
    detail.locator(".nbtrack-stale-line").wait_for()
    assert reason in detail.locator(".nbtrack-stale-line").inner_text()
    screenshot(page, "sidebar-stale-detail")

    # every action is a command in the palette
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette")
    palette.locator("input").fill("nbtrack")
    labels = set(palette.locator(".lm-CommandPalette-itemLabel").all_inner_texts())
    for want in ("Show nbtrack Runs", "Refresh nbtrack Runs", "Compare Selected nbtrack Runs",
                 "Show All Runs of the Store", "Show the Team Store's Runs", "Go to the Cell of the nbtrack Run",
                 "Restore nbtrack Run as New Cell", "Copy nbtrack Run Id", "Replay nbtrack Run",
                 "Export nbtrack Run as Notebook"):
        assert want in labels, (want, labels)
    page.keyboard.press("Escape")

    # Export as notebook: a new notebook with just the cells the run needs, opened in Lab
    detail.locator('[data-action="export"]').click()
    page.wait_for_selector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook', timeout=30_000)
    page.wait_for_function("() => document.title.includes('replay-')", timeout=30_000)
    exported = sorted(lab.root.glob("replay-*.ipynb"))
    assert len(exported) == 1, exported
    screenshot(page, "sidebar-exported-notebook")

    # Replay: a fresh kernel re-runs the cells; the notification tells the verdict
    detail.locator('[data-action="replay"]').click()
    page.wait_for_selector(".jp-toast-container >> text=/replay of .* (gave the same metrics|differs)/",
                           timeout=180_000)
    toast = page.locator(".jp-toast-container").inner_text()
    assert re.search(r"replay of \w+ gave the same metrics", toast), toast
    screenshot(page, "sidebar-replayed")

    # Team without a team store: the server's message, not an empty list
    page.locator(f"{PANEL} .nbtrack-team-switch").check()
    err = page.locator(f"{PANEL} .nbtrack-statusline .nbtrack-error")
    err.wait_for(timeout=30_000)
    assert "team" in err.inner_text().lower(), err.inner_text()
    screenshot(page, "sidebar-team-no-store")
    page.locator(f"{PANEL} .nbtrack-team-switch").uncheck()
    row.wait_for(timeout=30_000)
