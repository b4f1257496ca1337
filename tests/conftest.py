"""Shared fixtures: a fresh store folder per test and a real IPython shell with nbtrack loaded."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

_cells = itertools.count()


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setenv("NBTRACK_STORE", str(folder))
    return folder


@pytest.fixture
def store(store_dir):
    import nbtrack

    return nbtrack.store(str(store_dir))


@pytest.fixture(scope="session")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nbtrack")
    return ip


@pytest.fixture
def ip(shell, store_dir):
    """The IPython shell; ``ip.cell(src)`` runs a cell with a fresh cell id, ``ip.cell(src, cid)``
    re-runs a given one. Waits for the store to have what the cell wrote."""
    import nbtrack

    def cell(source: str, cell_id: str | None = None):
        cid = cell_id or f"cell-{next(_cells)}"
        result = shell.run_cell(source, store_history=True, cell_id=cid)
        nbtrack.store().flush()
        result.cell_id = cid
        return result

    shell.cell = cell
    yield shell
    nbtrack.store().flush()


# -- make reliability: a table of what each reliability test put under load and what it lost ----


def pytest_addoption(parser):
    parser.addoption(
        "--reliability-report", action="store_true", help="print a table of the reliability tests' figures at the end"
    )


@pytest.fixture
def figures(request):
    """Reliability figures of a test: load, faults, inputs (tried), lost (must be 0)."""
    data: dict = {}
    request.node.user_properties.append(("figures", data))
    return data


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not config.getoption("--reliability-report"):
        return
    rows = []
    for outcome in ("passed", "failed", "error"):
        for rep in terminalreporter.stats.get(outcome, []):
            if getattr(rep, "when", "call") != "call":
                continue
            figs = dict(rep.user_properties).get("figures")
            if figs is not None:
                rows.append((rep.nodeid.split("::")[-1], outcome, figs))
    if not rows:
        return
    tw = terminalreporter
    tw.write_line("")
    tw.write_line("| test | result | load | faults | inputs tried | lost |")
    tw.write_line("|---|---|---|---|---|---|")
    for name, outcome, f in rows:
        tw.write_line(
            f"| {name} | {outcome} | {f.get('load', '-')} | {f.get('faults', '-')} | "
            f"{f.get('inputs', '-')} | {f.get('lost', '-')} |"
        )
