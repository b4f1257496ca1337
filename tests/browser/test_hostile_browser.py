"""Hostile input stays inert everywhere a person sees it: a corpus of XSS payloads in every
string a user controls (run name, tag, param key and value, metric key, notebook name, cell
source) rendered by the run card, the run table, compare, diff, the sidebar list, the run
detail and the sidebar's compare tab. Nothing executes; the text shows."""

from __future__ import annotations

import pytest
from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done

pytestmark = pytest.mark.reliability

NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"
PANEL = "#nbtrack-sidebar"

# Each payload sets window.__pwned to its number if it ever runs.
CORPUS = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    "<svg onload=window.__pwned=3>",
    '"><iframe srcdoc="<script>parent.__pwned=4</script>">',
    '<a href="javascript:window.__pwned=5">x5</a>',
    "{{constructor.constructor('window.__pwned=6')()}}",
    'x"];window.__pwned=7;//',
    "datum.a || (window.__pwned=8)",
]


# A --param KEY=VALUE key ends at the first "=": this one has none.
KEY_PAYLOAD = "<script>window.__pwned++</script>"


def tracked_cell(i: int, p: list[str]) -> str:
    # name, tag, param key and value, source comment, a literal param, two metric keys.
    return (
        f"%%track --name '{p[0]}' --tag '{p[1]}' --param '{KEY_PAYLOAD}{i}={p[2]}'\n"
        f"# {p[3]}\n"
        f"label = {p[4]!r}\n"
        f"for s in range(3):\n"
        f"    nbtrack.log(**{{{p[5]!r}: s * {i + 1}.0, {p[6]!r}: 1.0 / (s + 1)}})\n"
        f"score = {i + 1} * 0.25\n"
    )


def test_xss_corpus_is_inert_in_card_table_compare_diff_and_sidebar(lab, page):
    rotated = [CORPUS[i:] + CORPUS[:i] for i in range(2)]
    notebook = "<svg onload=window.__pwned=9>.ipynb"
    open_notebook(
        page,
        lab,
        notebook,
        [
            "%load_ext nbtrack",
            tracked_cell(0, rotated[0]),
            tracked_cell(1, rotated[1]),
            "table = nbtrack.table()\ntable",
            "ids = nbtrack.runs().run_id.tolist()\nnbtrack.compare(ids)",
            "nbtrack.diff(ids[0], ids[1])",
        ],
    )
    run_all_cells(page)
    wait_cells_done(page)
    page.locator(f"{NB} .nbt-table tr[data-run]").first.wait_for(timeout=30_000)
    page.wait_for_timeout(2000)  # charts render
    screenshot(page, "hostile-notebook")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"

    notebook_text = page.locator(NB).inner_text()
    for payload in CORPUS[:3] + [KEY_PAYLOAD]:  # names, tags, params as text in cards/table/diff
        assert payload in notebook_text, payload

    # The sidebar: list, detail, compare tab.
    tab = page.locator('.lm-TabBar-tab[data-id="nbtrack-sidebar"]')
    tab.wait_for()
    if not page.locator(PANEL).is_visible():
        tab.click()
    runs = page.locator(f"{PANEL} .nbtrack-run")
    runs.first.wait_for(timeout=30_000)
    assert runs.count() == 2
    sidebar_text = page.locator(PANEL).inner_text()
    assert CORPUS[0] in sidebar_text and CORPUS[1] in sidebar_text
    runs.first.click()
    detail = page.locator(f"{PANEL} .nbtrack-detail-body")
    detail.wait_for()
    detail_text = detail.inner_text()
    for payload in rotated[1][:5] + [KEY_PAYLOAD + "1"]:
        assert payload in detail_text, payload
    for box in page.locator(f"{PANEL} .nbtrack-run .nbtrack-check").all()[:2]:
        box.check()
    page.locator(f"{PANEL} .nbtrack-compare-button").click()
    page.locator(".nbtrack-compare .nbtrack-compare-table").wait_for()
    page.wait_for_timeout(1000)
    screenshot(page, "hostile-sidebar-compare")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    # No element that could run script was created from user text anywhere on the page.
    assert (
        page.evaluate(
            """() => [...document.querySelectorAll('img[onerror], svg[onload], iframe[srcdoc], a[href^="javascript"]')].length"""
        )
        == 0
    )
