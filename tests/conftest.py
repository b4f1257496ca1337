"""Shared fixtures: a fresh store folder per test and a real IPython shell with nbtrack loaded."""

from __future__ import annotations

import itertools
import os
import subprocess
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


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path("/tmp/nbtrack-mount-probe")
    probe.mkdir(exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", str(probe)], capture_output=True)
    return ok
