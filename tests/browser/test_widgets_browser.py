"""The inline widgets in a real JupyterLab (headless Chromium): the live run card, the run table
(sorting by a metric), compare drawing curves, and an XSS run name staying inert."""

from __future__ import annotations

from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done

# No spaces: %%track keeps quotes around option values (reported), so the name is unquoted.
XSS_NAME = "<img/src/onerror=window.__nbtXss=1>"

CELLS = [
    "%load_ext nbtrack",
    "%%track --name fast-a\nlr = 0.1\nscore = round(0.3, 2)",
    "%%track --name fast-b\nlr = 0.2\nscore = round(0.9, 2)",
    f"%%track --name {XSS_NAME} --tag <b>tag</b>\nlr = 0.3\nscore = round(0.6, 2)",
    # Runs until the test has seen its card update (it creates stop-live), at most 90 s.
    "%%track --name live\nlr = 0.05\nimport os, time\nfor i in range(900):\n    nbtrack.log(loss=1 / (i + 1), acc=i / 900)\n"
    "    time.sleep(0.1)\n    if os.path.exists('stop-live'):\n        break\nscore = round(0.1, 2)",
    "t = nbtrack.table()\nt",
    "nbtrack.compare(nbtrack.runs()['run_id'].tolist())",
]

NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def _card_points(page) -> int:
    return page.evaluate(
        f"""() => {{
        const c = document.querySelector('{NB} .nbt-card[data-status=running][data-points]');
        return c ? Number(c.getAttribute('data-points')) : -1;
    }}"""
    )


def _line_vertices(page) -> int:
    """Vertices drawn in the running card's SVG line charts (one polyline per series key)."""
    return page.evaluate(
        f"""() => [...document.querySelectorAll('{NB} .nbt-card[data-status=running] svg polyline.nbt-lc-line')]
            .reduce((n, p) => n + p.points.numberOfItems, 0)"""
    )


def test_card_table_compare_and_xss_in_lab(lab, page):
    open_notebook(page, lab, "widgets.ipynb", CELLS)
    run_all_cells(page)

    # 1. The live card: its chart grows while the cell is still running.
    try:
        page.wait_for_selector(f"{NB} .nbt-card[data-status=running][data-points]", timeout=90_000)
    except Exception:
        screenshot(page, "widgets-card-live-FAILED")
        raise
    first, first_drawn = _card_points(page), _line_vertices(page)
    page.wait_for_timeout(2000)
    second, second_drawn = _card_points(page), _line_vertices(page)
    page.locator(f"{NB} .nbt-card[data-status=running]").scroll_into_view_if_needed()
    screenshot(page, "widgets-card-live")
    assert first > 0 and second > first, (first, second)
    # one line chart per key (loss, acc), and the drawn lines grow while the cell runs
    assert page.locator(f"{NB} .nbt-card[data-status=running] svg polyline.nbt-lc-line").count() == 2
    assert 0 < first_drawn < second_drawn, (first_drawn, second_drawn)
    (lab.root / "stop-live").write_text("")

    wait_cells_done(page)
    page.wait_for_selector(f"{NB} .nbt-card[data-status=finished] >> text=live", timeout=30_000)
    finished = page.locator(f"{NB} .nbt-card[data-status=finished]")
    assert finished.count() == 4

    # 2. XSS: the name and tag show as text, nothing ran.
    names = page.locator(f"{NB} .nbt-card .nbt-name").all_text_contents()
    assert XSS_NAME in names
    assert "<b>tag</b>" in page.locator(f"{NB} .nbt-card .nbt-tag").all_text_contents()
    assert page.evaluate("() => window.__nbtXss === undefined")
    assert page.locator(f"{NB} .nbt-card img").count() == 0

    # 3. The table: rows for every run; sorting by a metric column reorders them.
    table = page.locator(f"{NB} .nbt-table")
    table.locator("tr[data-run]").first.wait_for(timeout=30_000)
    assert table.locator("tr[data-run]").count() == 4
    header = table.locator('th[data-col="metrics.score"]')
    # The table redraws when the store's change token moves (the execution log's lines arrive up
    # to 1 s after a cell), which can detach the header between finding it and clicking: a
    # locator's click finds it again, and a click lost to a redraw is made once more.
    for attempt in range(2):
        header.click()  # numbers sort high to low first
        try:
            page.wait_for_function(
                f"""() => {{
                const t = document.querySelector('{NB} .nbt-table table');
                if (!t) return false;
                const heads = [...t.querySelectorAll('thead th')];
                const i = heads.findIndex(h => h.getAttribute('data-col') === 'metrics.score');
                const vals = [...t.querySelectorAll('tbody tr')].map(r => r.children[i].textContent);
                return vals.join(',') === '0.9,0.6,0.3,0.1';
            }}""",
                timeout=15_000,
            )
            break
        except Exception:
            if attempt:
                raise
    header.click()
    page.wait_for_function(
        f"""() => {{
        const t = document.querySelector('{NB} .nbt-table table');
        const heads = [...t.querySelectorAll('thead th')];
        const i = heads.findIndex(h => h.getAttribute('data-col') === 'metrics.score');
        return [...t.querySelectorAll('tbody tr')].map(r => r.children[i].textContent).join(',') === '0.1,0.3,0.6,0.9';
    }}""",
        timeout=15_000,
    )
    assert float(table.get_attribute("data-roundtrip-ms")) > 0
    # the XSS name is a table cell's text too
    assert XSS_NAME in table.locator("td").all_text_contents()
    table.scroll_into_view_if_needed()
    screenshot(page, "widgets-table-sorted")

    # A structured filter runs in the kernel; a bad one shows the kernel's error in the widget.
    table.locator(".nbt-f-col").select_option("metrics.score")
    table.locator(".nbt-f-op").select_option(">")
    table.locator(".nbt-f-val").fill("0.5")
    table.locator(".nbt-f-add").click()
    page.wait_for_function(f"() => document.querySelectorAll('{NB} .nbt-table tr[data-run]').length === 2")
    table.locator(".nbt-f-val").fill("abc")
    table.locator(".nbt-f-add").click()
    table.locator(".nbt-error >> text=not a number").wait_for(timeout=15_000)
    screenshot(page, "widgets-table-filter-error")
    table.locator(".nbt-chip button").last.click()  # drop the bad filter
    table.locator(".nbt-chip button").first.click()  # and the good one
    page.wait_for_function(
        f"() => document.querySelectorAll('{NB} .nbt-table tr[data-run]').length === 4"
        f" && !document.querySelector('{NB} .nbt-table .nbt-error')"
    )

    # Selecting two rows enables Compare and Diff; Compare opens under the table.
    rows = table.locator("tr[data-run] input[type=checkbox]")
    rows.nth(0).check()
    rows.nth(1).check()
    table.locator(".nbt-compare-btn").click()
    table.locator(".nbt-panel .nbt-compare[data-ready='1']").wait_for(timeout=60_000)
    assert table.locator(".nbt-panel .nbt-runs-table thead th").count() == 3  # label column + 2 runs
    table.locator(".nbt-diff-btn").click()
    table.locator(".nbt-panel .nbt-diff[data-ready='1']").wait_for(timeout=60_000)
    assert "changed" in table.locator(".nbt-panel .nbt-diff-params").inner_text()
    table.locator(".nbt-panel .nbt-diff").scroll_into_view_if_needed()
    screenshot(page, "widgets-diff")

    # 4. Compare: curves drawn with the bundled Vega.
    cmp_ = page.locator(f"{NB} .nbt-compare[data-ready='1']").last
    cmp_.wait_for(timeout=60_000)
    cmp_.scroll_into_view_if_needed()
    assert cmp_.locator(".nbt-kind-curve svg .mark-line path").count() >= 1
    assert cmp_.locator(".nbt-kind-scatter svg").count() >= 1
    screenshot(page, "widgets-compare")
    assert page.evaluate("() => window.__nbtXss === undefined")
