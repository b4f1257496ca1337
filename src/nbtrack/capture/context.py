"""Where and in what a run happened: notebook, cell, git, Python and package versions.

What is costly (``git status``, package versions) runs on a background thread so the cell
does not wait for it; the run's final record carries the result.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..store.location import git_root

KEY_PACKAGES = (
    "numpy", "pandas", "scipy", "sklearn", "torch", "tensorflow", "jax", "xgboost", "lightgbm",
    "matplotlib", "polars", "pyarrow", "duckdb", "nbtrack",
)


def notebook_path(user_ns: dict) -> str | None:
    """The notebook of this kernel: VS Code's variable, else Jupyter's JPY_SESSION_NAME."""
    vsc = user_ns.get("__vsc_ipynb_file__")
    if isinstance(vsc, str) and vsc:
        return vsc
    return os.environ.get("JPY_SESSION_NAME") or None


def experiment_default(notebook: str | None) -> str:
    return Path(notebook).stem if notebook else "default"


def cell_id(shell: Any, info: Any = None) -> str | None:
    cid = getattr(info, "cell_id", None)
    if cid:
        return cid
    try:  # ipykernel keeps the execute request's header; JupyterLab sends metadata.cellId
        parent = shell.kernel.get_parent() if hasattr(shell, "kernel") else shell.parent_header
        return parent.get("metadata", {}).get("cellId")
    except Exception:
        return None


@lru_cache(maxsize=None)
def _dist_version(module: str) -> str | None:
    mod = sys.modules.get(module)
    version = getattr(mod, "__version__", None)
    return version if isinstance(version, str) else None


def packages() -> dict[str, str]:
    """Versions of key packages that are imported in this process."""
    return {m: v for m in KEY_PACKAGES if m in sys.modules and (v := _dist_version(m))}


@lru_cache(maxsize=1)
def _static() -> tuple:
    return (
        ("python", platform.python_version()),
        ("implementation", platform.python_implementation()),
        ("platform", platform.platform(terse=True)),
        ("executable", sys.executable),
    )


def static_context() -> dict[str, Any]:
    return dict(_static())


class GitProbe:
    """git commit and dirty flag of the working directory, on a background thread.

    ``GitProbe.for_cwd`` reuses a probe younger than ``REUSE_S``: runs seconds apart share one
    ``git status`` (a cell re-run in a loop does not start a process per run)."""

    REUSE_S = 5.0
    _recent: dict[str, tuple[float, "GitProbe"]] = {}

    @classmethod
    def for_cwd(cls, cwd: str) -> "GitProbe":
        now = time.monotonic()
        hit = cls._recent.get(cwd)
        if hit is not None and now - hit[0] < cls.REUSE_S:
            return hit[1]
        probe = cls(cwd)
        cls._recent[cwd] = (now, probe)
        return probe

    def __init__(self, cwd: str):
        self.result: dict[str, Any] = {}
        self._thread = threading.Thread(target=self._probe, args=(cwd,), daemon=True)
        self._thread.start()

    def _probe(self, cwd: str) -> None:
        root = git_root(Path(cwd))
        if root is None:
            return
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root, capture_output=True, text=True, timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return
        self.result = {"git_commit": commit or None, "git_dirty": bool(dirty) if commit else None}

    def get(self, timeout: float = 0.0) -> dict[str, Any]:
        self._thread.join(timeout)
        return self.result
