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
    "nbtrack.table()",
]


def test_stale_badge_replay_export_commands_and_team(lab, page, monkeypatch):
    logs: list[str] = []
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
    open_notebook(page, lab, "actions.ipynb", CELLS)
    run_all_cells(page)
    try:
        wait_cells_done(page, 60_000)
    except Exception:  # "Run All Cells" sometimes runs nothing in a fresh page: ask once more
        prompts = page.locator(f"{NB} .jp-InputArea-prompt").all_inner_texts()
        assert all(p == "[ ]:" for p in prompts), prompts
        run_all_cells(page)
        wait_cells_done(page)

    # the table shows the same badge, with the reason as its title
    table_badge = page.locator(f"{NB} .nbt-table tr[data-run] .nbt-stale").first
    table_badge.wait_for(timeout=30_000)
    assert "data was redefined" in (table_badge.get_attribute("title") or "")

    page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').click()
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="visible")

    row = page.locator(f"{PANEL} .nbtrack-run", has_text="stale-one").first
    try:
        row.wait_for(timeout=30_000)
    except Exception:
        screenshot(page, "sidebar-actions-FAILED")
        raise AssertionError(f"no row for the run; console: {logs[-10:]}") from None
    badge = row.locator(".nbtrack-stale")
    try:
        badge.wait_for(timeout=30_000)
    except Exception:
        screenshot(page, "sidebar-actions-FAILED")
        runs = lab.api("nbtrack/api/runs")["runs"] + lab.api("nbtrack/api/runs?notebook=actions.ipynb")["runs"]
        logs_dir = sorted(p.name for p in (lab.store_dir / "execlog").glob("*"))
        raise AssertionError(
            f"no stale badge: {[(r['name'], r.get('stale'), r.get('stale_reason')) for r in runs]} execlog {logs_dir}"
        ) from None
    reason = badge.get_attribute("title") or ""
    assert "data" in reason, reason
    metrics = {
        m.get_attribute("data-key"): m.inner_text().split(" ", 1)[1] for m in row.locator(".nbtrack-metric").all()
    }
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
    for want in (
        "Show nbtrack Runs",
        "Refresh nbtrack Runs",
        "Compare Selected nbtrack Runs",
        "Show All Runs of the Store",
        "Show the Team Store's Runs",
        "Go to the Cell of the nbtrack Run",
        "Restore nbtrack Run as New Cell",
        "Copy nbtrack Run Id",
        "Replay nbtrack Run",
        "Export nbtrack Run as Notebook",
    ):
        assert want in labels, (want, labels)
    page.keyboard.press("Escape")

    # Export as notebook: a new notebook with just the cells the run needs, opened in Lab
    detail.locator('[data-action="export"]').click()
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook", timeout=30_000)
    page.wait_for_function("() => document.title.includes('replay-')", timeout=30_000)
    exported = sorted(lab.root.glob("replay-*.ipynb"))
    assert len(exported) == 1, exported
    screenshot(page, "sidebar-exported-notebook")

    # Replay: a fresh kernel re-runs the cells; the notification tells the verdict
    detail.locator('[data-action="replay"]').click()
    verdict = page.get_by_text(re.compile(r"replay of \w+ (gave the same metrics|differs)"))
    try:
        verdict.first.wait_for(timeout=120_000)
    except Exception:
        screenshot(page, "sidebar-replay-FAILED")
        raise AssertionError(f"no replay verdict; console: {logs[-5:]}") from None
    assert "gave the same metrics" in verdict.first.inner_text(), verdict.first.inner_text()
    replays = [r for r in lab.api("nbtrack/api/runs")["runs"] if r["name"] == "stale-one"]
    assert len(replays) >= 2, replays  # the replay is a new run of the same cell
    screenshot(page, "sidebar-replayed")

    # Team without a team store: the server's message, not an empty list
    page.locator(f"{PANEL} .nbtrack-team-switch").check()
    err = page.locator(f"{PANEL} .nbtrack-statusline .nbtrack-error")
    err.wait_for(timeout=30_000)
    assert "team" in err.inner_text().lower(), err.inner_text()
    screenshot(page, "sidebar-team-no-store")
    page.locator(f"{PANEL} .nbtrack-team-switch").uncheck()
    err.wait_for(state="detached", timeout=30_000)  # back on the local store, no error

    # the shortcut opens the panel (Accel Shift Alt R, from schema/sidebar.json)
    page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]').click()  # hide it
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="hidden")
    page.locator(f"{NB} .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+Alt+R")
    page.wait_for_selector(f"{PANEL} .nbtrack-statusline", state="visible", timeout=10_000)
