"""The core in a real JupyterLab: a %%track cell run from the browser becomes a run."""

from conftest import open_notebook, run_all_cells, screenshot, wait_cells_done


def test_tracked_cell_in_lab_records_run_with_cell_id(lab, page):
    open_notebook(
        page,
        lab,
        "core.ipynb",
        [
            "%load_ext nbtrack",
            "%%track --name from-lab\nlr = 0.5\nfor i in range(3):\n    nbtrack.log(loss=1 / (i + 1))\nscore = lr * 2",
        ],
    )
    run_all_cells(page)
    wait_cells_done(page)
    page.wait_for_selector("text=finished", timeout=30_000)
    screenshot(page, "core-tracked-cell")
    runs = lab_runs(lab)
    assert [r["name"] for r in runs] == ["from-lab"]
    run = runs[0]
    assert run["status"] == "finished"
    assert run["notebook"].endswith("core.ipynb")
    assert run["experiment"] == "core"
    # The cell id comes from the execute request's metadata: it is the notebook cell's id.
    import nbformat

    nb = nbformat.read(lab.root / "core.ipynb", as_version=4)
    assert run["cell_id"] == nb.cells[1].id


def lab_runs(lab, timeout=5.0):
    """The lab's runs, read from this process as a user would; the kernel's writer hands them to
    the store within half a second, so wait for the first finished one."""
    import time

    import nbtrack
    from nbtrack.store import query

    store = nbtrack.store(str(lab.store_dir))
    deadline = time.time() + timeout
    while True:
        runs = query.runs_frame(store).to_dict("records")
        if (runs and all(r["status"] != "running" for r in runs)) or time.time() > deadline:
            return runs
        time.sleep(0.1)
