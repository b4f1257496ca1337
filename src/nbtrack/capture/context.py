"""Where and in what a run happened: notebook, cell, git, Python and package versions.

What is costly (``git status``, package versions) runs on a background thread so the cell
does not wait for it; the run's final record carries the result.
"""

from __future__ import annotations

import hashlib
import json
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
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "torch",
    "tensorflow",
    "jax",
    "xgboost",
    "lightgbm",
    "matplotlib",
    "polars",
    "pyarrow",
    "duckdb",
    "nbtrack",
)


def notebook_path(user_ns: dict) -> str | None:
    """The notebook of this kernel: VS Code's variable, else Jupyter's JPY_SESSION_NAME."""
    vsc = user_ns.get("__vsc_ipynb_file__")
    if isinstance(vsc, str) and vsc:
        return vsc
    return os.environ.get("JPY_SESSION_NAME") or None


def experiment_default(notebook: str | None) -> str:
    return Path(notebook).stem if notebook else "default"


def cell_id(shell: Any, info: Any = None, notebook: str | None = None) -> str | None:
    """The id of the cell now running: the front end's (JupyterLab and Notebook 7 send the
    nbformat cell id as ``metadata.cellId``), else, for clients that send none (nbclient,
    papermill, old front ends), ``headless_cell_id`` of its source."""
    cid = getattr(info, "cell_id", None)
    if cid:
        return cid
    try:  # ipykernel keeps the execute request's header; JupyterLab sends metadata.cellId
        parent = shell.kernel.get_parent() if hasattr(shell, "kernel") else shell.parent_header
        cid = parent.get("metadata", {}).get("cellId")
    except Exception:
        cid = None
    if cid:
        return cid
    raw = getattr(info, "raw_cell", None)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return headless_cell_id(raw, notebook)
    except Exception:
        return source_cell_id(raw)


def source_cell_id(raw: str) -> str:
    """The fallback key of a cell: a hash of its code (the ``%%track`` line left out, so that
    changing --name keeps the cell's history). Prefixed ``src-`` so that it is never mistaken
    for an nbformat id."""
    first, _, rest = raw.partition("\n")
    code = rest if first.startswith("%%track") else raw
    return "src-" + hashlib.sha1(code.strip().encode("utf-8", "replace")).hexdigest()[:16]


class _NotebookIds:
    """Cell ids of the saved notebooks in a folder, by cell source (for ``headless_cell_id``).

    A notebook is parsed again only when its size or mtime changed; the folder is listed again
    only when its mtime changed. The notebook that matched last is tried first, so a papermill
    run (which rewrites its output notebook after each cell) parses the unchanged input once.
    """

    MAX_FILES = 20
    MAX_BYTES = 20 * 1024 * 1024

    def __init__(self):
        self._listing: dict[str, tuple[int, list[str]]] = {}  # folder -> (mtime_ns, notebooks)
        self._parsed: dict[str, tuple[tuple, dict[str, str]]] = {}  # path -> (stat key, source -> id)
        self._last: str | None = None

    def _notebooks(self, folder: str) -> list[str]:
        mtime = os.stat(folder).st_mtime_ns
        hit = self._listing.get(folder)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        found = []
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.endswith(".ipynb") and entry.is_file():
                    found.append((entry.stat().st_mtime, entry.path))
        paths = [p for _, p in sorted(found, reverse=True)[: self.MAX_FILES]]  # newest first
        self._listing[folder] = (mtime, paths)
        return paths

    def _ids(self, path: str) -> dict[str, str]:
        st = os.stat(path)
        key = (st.st_mtime_ns, st.st_size)
        hit = self._parsed.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        ids: dict[str, str] = {}
        if st.st_size <= self.MAX_BYTES:
            try:
                with open(path, "rb") as f:
                    nb = json.load(f)
                for cell in nb.get("cells", ()):
                    cid, src = cell.get("id"), cell.get("source", "")
                    if cell.get("cell_type") != "code" or not isinstance(cid, str) or not cid:
                        continue
                    src = "".join(src) if isinstance(src, list) else str(src)
                    ids.setdefault(src, cid)  # two cells with the same code: the first one's id
                    ids.setdefault(src.rstrip(), cid)
            except (OSError, ValueError, AttributeError, TypeError):
                ids = {}
        if len(self._parsed) > 64:
            self._parsed.clear()
        self._parsed[path] = (key, ids)
        return ids

    def find(self, raw: str, notebook: str | None, folder: str) -> str | None:
        candidates = []
        if notebook and os.path.isfile(notebook):
            candidates.append(os.path.abspath(notebook))
        if self._last:
            candidates.append(self._last)
        candidates += self._notebooks(folder)
        seen = set()
        for path in candidates:
            if path in seen:
                continue
            seen.add(path)
            try:
                ids = self._ids(path)
            except OSError:
                continue
            cid = ids.get(raw) or ids.get(raw.rstrip())
            if cid:
                self._last = path
                return cid
        return None


_notebook_ids = _NotebookIds()


def headless_cell_id(raw: str, notebook: str | None = None, folder: str | None = None) -> str:
    """A cell key when the front end sends no cell id: the nbformat id (nbformat >= 4.5) of the
    saved notebook's cell with exactly this source, looked up in ``notebook`` if that file
    exists, else in the ``*.ipynb`` files of the working directory (nbclient and papermill
    start the kernel in the notebook's folder); else ``source_cell_id``. The nbformat id is
    the one JupyterLab sends for that cell, so headless and interactive runs of a cell share
    one history."""
    cid = _notebook_ids.find(raw, notebook, folder or os.getcwd())
    return cid or source_cell_id(raw)


# Libraries nbtrack's hooks and threads use. Each is imported once, on the main thread, and in a
# kernel inside IPython's builtin trap (get_ipython in builtins, as in a cell): a library that
# inspects its environment at import time must see the kernel. pandas picks its display
# defaults at import (display.max_columns 0 in a terminal, 20 in a notebook) and pyarrow imports
# pandas on first use (e.g. pa.array of a list), so without this the writer thread, the
# history thread or a post_run_cell hook would be first to import pandas, with terminal defaults.
MAIN_THREAD_IMPORTS = ("numpy", "pandas", "pyarrow", "duckdb", "nbtrack.store.query", "nbtrack.store.writer")
WIDGET_IMPORTS = ("ipywidgets", "anywidget")  # then views.front_end_module, which registers the card
_imported: set[str] = set()


def import_on_main_thread(shell: Any = None, widgets: bool = False) -> None:
    """Import now, on the main thread, what nbtrack's hooks and threads will use (see above).
    Called by ``%load_ext nbtrack`` (a cell: the right place) and at a run's start (scripts,
    ``nbtrack.start`` in a notebook). Elsewhere than on the main thread it does nothing."""
    from . import views

    front_end = (views.front_end_module,) if views.front_end_module else ()
    names = MAIN_THREAD_IMPORTS + (WIDGET_IMPORTS + front_end if widgets else ())
    if _imported.issuperset(names) or threading.current_thread() is not threading.main_thread():
        return
    if shell is None:  # a plain script: its threads see what its main thread sees
        ipython = sys.modules.get("IPython.core.interactiveshell")
        cls = getattr(ipython, "InteractiveShell", None)
        if cls is None or not cls.initialized():
            return
        shell = cls.instance()
    import importlib
    from contextlib import nullcontext

    trap = getattr(shell, "builtin_trap", None) if shell is not None else None
    with trap if trap is not None else nullcontext():
        for name in names:
            if name in _imported:
                continue
            _imported.add(name)
            try:
                importlib.import_module(name)
            except Exception:  # not installed or broken: whoever needs it reports it
                pass
        try:  # pyarrow's pandas shim binds pandas on first use: here, not on a thread
            import pyarrow as pa

            pa.array([0.0])
        except Exception:
            pass


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
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return
        self.result = {"git_commit": commit or None, "git_dirty": bool(dirty) if commit else None}

    def get(self, timeout: float = 0.0) -> dict[str, Any]:
        self._thread.join(timeout)
        return self.result
