"""The widgets in JupyterLab's dark theme (headless Chromium): card, table and compare take their
colours from the theme (--jp-* variables), and the tricky values read the same on the card, in
the table and in compare as in Python's text (nbtrack/format.py). Screenshots:
test-output/screenshots/theme-dark-*.png."""

from __future__ import annotations

import json
import re

from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done

from nbtrack.format import format_number

NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"
TRICKY = {"big": 1234567.891, "tiny": 1e-7, "negzero": -0.0, "huge": 2**63}
METRICS = {
    "m_big": "float('1234567.891')",
    "m_tiny": "float('1e-7')",
    "m_nan": "float('nan')",
    "m_inf": "float('inf')",
    "m_ninf": "-float('inf')",
}
WANT_METRICS = {"m_big": "1.235e+6", "m_tiny": "1e-7", "m_nan": "NaN", "m_inf": "inf", "m_ninf": "-inf"}
WANT_METRICS_B = {**WANT_METRICS, "m_big": "2.469e+6", "m_tiny": "2e-7"}  # tricky-b: scale 2


def _cell(name: str, scale: int) -> str:
    params = "\n".join(f"{k} = {v!r}" for k, v in TRICKY.items())
    metrics = "\n".join(f"{k} = {v} * {scale}" for k, v in METRICS.items())
    return f"%%track --name {name}\n{params}\n{metrics}\nfor i in range(20):\n    nbtrack.log(loss=1 / (i + 1))"


CELLS = [
    "%load_ext nbtrack",
    _cell("tricky-a", 1),
    _cell("tricky-b", 2),
    "t = nbtrack.table()\nt",
    "nbtrack.compare(nbtrack.runs()['run_id'].tolist())",
]


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def _luminance(css: str) -> float:
    r, g, b = _rgb(css)
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def _style(page, selector: str, prop: str) -> str:
    return page.evaluate(
        "([s, p]) => { const el = document.querySelector(s); return el ? getComputedStyle(el)[p] : null; }",
        [selector, prop],
    )


def test_dark_theme_and_one_presentation(lab, page):
    settings = lab.root / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "themes.jupyterlab-settings").write_text(json.dumps({"theme": "JupyterLab Dark"}))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_notebook(page, lab, "theme.ipynb", CELLS)
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false"  # the dark theme is on
    run_all_cells(page)
    try:
        wait_cells_done(page)
    except Exception:
        screenshot(page, "theme-dark-FAILED")
        prompts = page.evaluate("""() => [...document.querySelectorAll('.jp-NotebookPanel')].map(p =>
            p.className + ' :: ' + [...p.querySelectorAll('.jp-InputArea-prompt')].map(x => x.textContent).join('|'))""")
        raise AssertionError(f"cells did not finish: prompts {prompts}; page errors: {errors}") from None

    # -- the card ------------------------------------------------------------------------------
    card = page.locator(f"{NB} .nbt-card[data-status=finished]").first
    card.wait_for(timeout=60_000)
    card.scroll_into_view_if_needed()
    screenshot(page, "theme-dark-card")
    text = card.inner_text()
    for k, v in TRICKY.items():
        assert f"{k}={format_number(v)}" in text.replace(" ", ""), (k, text)
    metrics = dict(re.findall(r"(m_\w+) = (\S+)", text))
    assert metrics == WANT_METRICS, text
    fg = _style(page, f"{NB} .nbt-card", "color")
    assert _luminance(fg) > 0.6, fg  # light text on the dark page
    label = _style(page, f"{NB} .nbt-card svg text", "fill")
    assert _luminance(label) > 0.4, label

    # -- the table -----------------------------------------------------------------------------
    table = page.locator(f"{NB} .nbt-table")
    table.locator("tr[data-run]").first.wait_for(timeout=30_000)
    table.scroll_into_view_if_needed()
    screenshot(page, "theme-dark-table")
    header = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    row = table.locator("tr[data-run]").first
    cells = dict(zip(header, [t.strip() for t in row.locator("td").all_inner_texts()]))
    for k, v in TRICKY.items():
        assert cells.get(f"params.{k}") == format_number(v), (k, cells)
    shown = {k: cells.get(f"metrics.{k}") for k in WANT_METRICS}
    assert shown in (WANT_METRICS, WANT_METRICS_B), cells
    bg = _style(page, f"{NB} .nbt-grid td", "backgroundColor")
    assert _luminance(bg) < 0.35, bg  # cells are dark, not the old hard-coded white
    assert _luminance(_style(page, f"{NB} .nbt-grid td", "color")) > 0.6

    # -- compare -------------------------------------------------------------------------------
    compare = page.locator(f"{NB} .nbt-compare[data-ready]")
    compare.wait_for(timeout=60_000)
    compare.scroll_into_view_if_needed()
    screenshot(page, "theme-dark-compare")
    runs_table = compare.locator(".nbt-runs-table")
    rows = {
        r.locator("th").first.inner_text().strip(): r.locator("td").all_inner_texts()
        for r in runs_table.locator("tbody tr").all()
    }
    assert rows["params.big"] == ["1.235e+6", "1.235e+6"], rows
    assert sorted(rows["metrics.m_big"]) == ["1.235e+6", "2.469e+6"], rows
    # highlighted (differing) rows stay readable: a dark tint under light text
    assert _luminance(_style(page, f"{NB} .nbt-runs-table td.differs", "backgroundColor")) < 0.4
    axis = _style(page, f"{NB} .nbt-compare svg text", "fill")
    assert axis and _luminance(axis) > 0.4, axis
