"""Replay and stale flags on notebooks executed headless through nbclient, with edits, deletions
and out-of-order execution applied between executions, as a person would make them.

Each scenario is a notebook (cells) and a script of steps: ``("run", i)`` executes cell i in the
live kernel, ``("edit", i, src)`` changes cell i in the saved notebook, ``("delete", i)``
removes it. Each names the tracked cell whose run is judged, whether its replay must be
``.same`` (deterministic) and whether the run must end up stale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import nbformat
import pytest
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

import nbtrack

pytestmark = pytest.mark.reliability


@dataclass
class Scenario:
    name: str
    cells: list[str]
    steps: list[tuple]
    tracked: int  # index of the tracked cell (in the original list) whose run is judged
    deterministic: bool
    stale: bool


SEEDED = [
    "import numpy as np\nnp.random.seed(0)",
    "data = np.random.rand(200)",
    "%%track -q\nlr = 0.1\nresult = float(data.mean() * lr)",
]
TOP = [("run", 0), ("run", 1), ("run", 2)]

SCENARIOS = [
    Scenario("top_to_bottom_seeded", SEEDED, TOP, 2, True, False),
    Scenario(
        "unseeded_randomness",
        ["import numpy as np", "data = np.random.rand(200)", "%%track -q\nresult = float(data.mean())"],
        TOP,
        2,
        False,
        False,
    ),
    Scenario("upstream_redefined_after", SEEDED + ["data = data * 3"], TOP + [("run", 3)], 2, True, True),
    Scenario(
        "upstream_rerun_same_result",
        ["import numpy as np", "data = np.arange(100.0)", "%%track -q\nresult = float(data.sum())"],
        TOP + [("run", 1)],
        2,
        True,
        False,
    ),
    Scenario(
        "out_of_order",
        ["import numpy as np", "%%track -q\nresult = float(scale * 2.0)", "scale = 1.5"],
        [("run", 0), ("run", 2), ("run", 1)],
        1,
        True,
        True,
    ),
    Scenario(
        "producer_deleted",
        ["import numpy as np", "data = np.arange(10.0)", "%%track -q\nresult = float(data.max())"],
        TOP + [("delete", 1)],
        2,
        True,
        True,
    ),
    Scenario(
        "producer_edited_not_rerun",
        ["import numpy as np", "data = np.arange(10.0)", "%%track -q\nresult = float(data.max())"],
        TOP + [("edit", 1, "data = np.arange(20.0)")],
        2,
        True,
        True,
    ),
    Scenario(
        "transitive_pipeline",
        [
            "import numpy as np",
            "raw = np.linspace(0, 1, 50)",
            "clean = raw[raw > 0.2]",
            "feat = clean ** 2",
            "unrelated = 'x' * 3",
            "%%track -q\nk = 2\nscore = float(feat.mean() * k)",
        ],
        [("run", i) for i in range(6)],
        5,
        True,
        False,
    ),
    Scenario(
        "sklearn_across_cells",
        [
            "from sklearn.datasets import load_iris\nfrom sklearn.svm import SVC",
            "X, y = load_iris(return_X_y=True)",
            "clf = SVC(C=3.0).fit(X, y)",
            "%%track -q\nacc = clf.score(X, y)",
        ],
        [("run", i) for i in range(4)],
        3,
        True,
        False,
    ),
    Scenario(
        "in_place_mutation_after",
        ["import numpy as np", "data = np.arange(10.0)", "%%track -q\nresult = float(data.sum())", "data[0] = 100.0"],
        [("run", i) for i in range(4)],
        2,
        True,
        True,
    ),
    Scenario(
        "file_input_changes",
        ["import numpy as np", "%%track -q\nvalues = np.loadtxt('numbers.txt')\ntotal = float(values.sum())"],
        [("write", "numbers.txt", "1\n2\n3\n"), ("run", 0), ("run", 1), ("write", "numbers.txt", "1\n2\n4\n")],
        1,
        False,
        True,
    ),
    Scenario(
        "other_names_changed_only",
        [
            "import numpy as np",
            "data = np.arange(10.0)",
            "%%track -q\nresult = float(data.sum())",
            "other = 5",
            "other = other + 1",
        ],
        [("run", i) for i in range(5)],
        2,
        True,
        False,
    ),
]


def _execute(scenario: Scenario, tmp_path, store_dir):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in ["%load_ext nbtrack", *scenario.cells]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / f"{scenario.name}.ipynb"
    nbformat.write(nb, path)
    ids = [c.id for c in nb.cells[1:]]  # the scenario's cells, by their index in scenario.cells
    old = {k: os.environ.get(k) for k in ("JPY_SESSION_NAME",)}
    os.environ["JPY_SESSION_NAME"] = str(path)
    try:
        client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
        with client.setup_kernel():
            client.execute_cell(nb.cells[0], 0)
            for step in scenario.steps:
                if step[0] == "run":
                    i = [c.id for c in nb.cells].index(ids[step[1]])
                    client.execute_cell(nb.cells[i], i)
                elif step[0] == "edit":
                    nb.cells[[c.id for c in nb.cells].index(ids[step[1]])].source = step[2]
                    nbformat.write(nb, path)
                elif step[0] == "write":  # a data file the notebook reads, changed on disk
                    (tmp_path / step[1]).write_text(step[2])
                elif step[0] == "delete":
                    nb.cells = [c for c in nb.cells if c.id != ids[step[1]]]
                    nbformat.write(nb, path)
            # nbclient's client is async: run_sync, or the flush is a coroutine never awaited.
            run_sync(client.kc.execute_interactive)("nbtrack.store().flush()", timeout=60)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return ids


def test_replay_and_stale_flags_over_the_scenarios(store_dir, tmp_path):
    nbtrack.store(str(store_dir))
    same, deterministic, flagged, stale_total, false_flags, fresh_total = 0, 0, 0, 0, 0, 0
    report = []
    for sc in SCENARIOS:
        before = set(nbtrack.runs().run_id)
        ids = _execute(sc, tmp_path, store_dir)
        runs = nbtrack.runs()
        new = runs[~runs.run_id.isin(before)]
        row = new[new.cell_id == ids[sc.tracked]].iloc[0]
        if sc.stale:
            stale_total += 1
            flagged += bool(row.stale)
        else:
            fresh_total += 1
            false_flags += bool(row.stale)
        result = nbtrack.replay(row.run_id)
        if sc.name == "file_input_changes":  # the file changed: not the same, and said by name
            assert not result.same and result.unreproducible == ["file:numbers.txt"], result
        if sc.deterministic:
            deterministic += 1
            same += result.same
        report.append(
            f"{sc.name}: stale={row.stale} ({row.stale_reason}) replay.same={result.same} "
            f"{result.differences or ''} {result.errors or ''}"
        )
    print("\n" + "\n".join(report))
    print(
        f"replay .same on deterministic runs: {same}/{deterministic}; stale runs flagged: "
        f"{flagged}/{stale_total}; fresh runs falsely flagged: {false_flags}/{fresh_total}"
    )
    assert same == deterministic and flagged == stale_total and false_flags == 0, "\n".join(report)


def test_replay_notebook_holds_just_the_needed_cells(store_dir, tmp_path):
    nbtrack.store(str(store_dir))
    sc = SCENARIOS[7]  # transitive pipeline with an unrelated cell
    ids = _execute(sc, tmp_path, store_dir)
    rid = nbtrack.runs().loc[lambda f: f.cell_id == ids[sc.tracked]].run_id.iloc[0]
    out = tmp_path / "minimal.ipynb"
    nbtrack.export_notebook(rid, str(out))
    sources = [c.source for c in nbformat.read(out, as_version=4).cells]
    assert sources == [
        "%load_ext nbtrack",
        "import numpy as np",
        "raw = np.linspace(0, 1, 50)",
        "clean = raw[raw > 0.2]",
        "feat = clean ** 2",
        sc.cells[5],
    ]
