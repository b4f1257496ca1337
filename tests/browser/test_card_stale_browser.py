"""The run card's stale badge in a real JupyterLab (headless Chromium, issue 12): a later cell
gives the run's input another value and the card, already drawn, gains the badge with the read
model's reason; a card whose inputs stayed the same gets none. Screenshot:
test-output/screenshots/card-stale.png."""

from __future__ import annotations

from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done

NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CELLS = [
    "%load_ext nbtrack",
    "X_train = [1.0, 2.0, 3.0]\nY_other = [4.0, 5.0]",
    "%%track --name reads-x\nacc = sum(X_train) / 10",
    "%%track --name reads-y\nscore = sum(Y_other) / 10",
    "X_train = [9.0, 9.0]",
]


def test_a_drawn_card_gains_the_stale_badge_with_its_reason(lab, page):
    open_notebook(page, lab, "stale.ipynb", CELLS)
    run_all_cells(page)
    wait_cells_done(page)
    badge = page.locator(f"{NB} .nbt-card .nbt-stale")
    badge.first.wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)  # a false flag on the other card would have come by now
    assert badge.count() == 1
    card = page.locator(f"{NB} .nbt-card:has(.nbt-stale)")
    assert "reads-x" in card.inner_text()
    reason = badge.get_attribute("data-stale-reason") or ""
    assert "X_train" in reason, reason
    assert badge.inner_text().startswith("stale: ")
    other = page.locator(f"{NB} .nbt-card", has_text="reads-y")
    assert other.count() == 1 and other.locator(".nbt-stale").count() == 0
    card.scroll_into_view_if_needed()
    screenshot(page, "card-stale")
