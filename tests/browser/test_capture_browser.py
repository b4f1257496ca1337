"""What a person sees in JupyterLab for the capture of a scikit-learn cell and for a sweep."""

from __future__ import annotations

from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done, wait_kernel_idle

CELLS = [
    "%load_ext nbtrack",
    "from sklearn.datasets import load_iris\nfrom sklearn.svm import SVC\n"
    "from sklearn.model_selection import train_test_split\n"
    "X, y = load_iris(return_X_y=True)\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)",
    "%%track\nclf = SVC(C=10.0, gamma=0.001)\nclf.fit(X_train, y_train)\nclf.score(X_test, y_test)",
    '%%track --sweep "C=[0.1, 1.0, 10.0]; gamma=[0.001, 0.01, 0.1]" --optimize "metrics.score max"\n'
    "C = 1.0\ngamma = 0.01\nSVC(C=C, gamma=gamma).fit(X_train, y_train).score(X_test, y_test)",
]


def test_card_shows_estimator_params_and_the_displayed_score_and_sweep_table(lab, page):
    open_notebook(page, lab, "capture.ipynb", CELLS)
    run_all_cells(page)
    wait_cells_done(page)
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")
    card = cells.nth(2).locator(".jp-OutputArea")
    card.get_by_text("finished").first.wait_for(timeout=60_000)
    text = card.inner_text()
    assert "SVC" in text and "10" in text and "0.001" in text  # params C, gamma, model
    assert "score" in text  # the displayed value as a metric
    sweep = cells.nth(3).locator(".nbtrack-sweep")
    sweep.wait_for(timeout=60_000)
    rows = sweep.locator("tbody tr")
    assert rows.count() == 9
    assert "sorted by score" in sweep.inner_text()
    cells.nth(2).scroll_into_view_if_needed()
    screenshot(page, "capture-svc-card")
    sweep.scroll_into_view_if_needed()
    screenshot(page, "capture-sweep")
    wait_kernel_idle(page)
    cells.nth(3).locator(".jp-OutputArea-output").last.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    screenshot(page, "capture-sweep-done")
