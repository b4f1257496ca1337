"""notebooks/quickstart.ipynb executed headless against a real kernel, as a newcomer would."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

import nbtrack

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_quickstart_runs_top_to_bottom_and_records_its_runs(store_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("JPY_SESSION_NAME", str(NOTEBOOKS / "quickstart.ipynb"))
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    runs = nbtrack.runs()
    assert list(runs.name) == ["deeper", "baseline"]
    assert set(runs.status) == {"finished"}
    assert set(runs.experiment) == {"quickstart"}
    base = runs[runs.name == "baseline"].iloc[0]
    assert base["params.n_estimators"] == 50 and 0.5 < base["metrics.accuracy"] <= 1
    assert len(nbtrack.series(base.run_id)) == 10
    # The summary under the tracked cell is in the saved outputs.
    html = [o for o in nb.cells[4].outputs if o.output_type == "display_data"]
    assert html and "finished" in str(html[0]["data"])
