"""Jupyter server extension: authenticated, read-only REST routes over ``store.query``.

Enabled by ``pip install`` (``jupyter-config/server-config/nbtrack.json``). The store it serves:
``c.NBTrack.store`` (or ``--NBTrack.store=PATH``, relative to the server root) when set, else
the store a kernel started at the server's root would find (``NBTRACK_STORE``, the nearest
``.nbtrack/`` upward, the git root, else ``<root>/.nbtrack``).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from traitlets import Unicode
from traitlets.config import Configurable


class NBTrack(Configurable):
    """Settings of the nbtrack server extension."""

    store = Unicode(
        None,
        allow_none=True,
        config=True,
        help="The nbtrack store folder the sidebar shows (default: the store found from the "
        "server's root folder, as a kernel there would find it).",
    )


class StoreLocator:
    """Which store folder to read. Without ``NBTrack.store`` this is what a kernel would find:
    a kernel runs in its notebook's folder, so a request about a notebook resolves the store
    from that folder (``sub/.nbtrack`` when a sub-folder has its own), anything else from the
    root. Re-resolved every few seconds, so a store created after the server started is
    picked up without a restart."""

    TTL_S = 3.0

    def __init__(self, root_dir: str, configured: str | None):
        self.root_dir = root_dir
        self.configured = configured
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Path]] = {}

    def folder_of(self, notebook: str | None) -> str:
        """The folder a kernel of ``notebook`` (a path relative to the root) starts in; the
        root for anything that is not a path inside it."""
        if not notebook or os.path.isabs(notebook) or notebook.startswith("~"):
            return self.root_dir
        parts = [p for p in notebook.replace("\\", "/").split("/")[:-1] if p not in ("", ".")]
        if ".." in parts:
            return self.root_dir
        folder = os.path.join(self.root_dir, *parts)
        return folder if os.path.isdir(folder) else self.root_dir

    def store_dir(self, notebook: str | None = None) -> Path:
        if self.configured:
            path = Path(os.path.expanduser(self.configured))
            return (path if path.is_absolute() else Path(self.root_dir) / path).resolve()
        folder = self.folder_of(notebook)
        with self._lock:
            now = time.monotonic()
            hit = self._cache.get(folder)
            if hit is None or now - hit[0] > self.TTL_S:
                from ..store.location import resolve_store_dir

                if len(self._cache) > 1000:
                    self._cache.clear()
                hit = self._cache[folder] = (now, resolve_store_dir(folder))
            return hit[1]

    def source(self) -> str:
        if self.configured:
            return "NBTrack.store"
        return "NBTRACK_STORE" if os.environ.get("NBTRACK_STORE") else "root_dir"


def _jupyter_server_extension_points():
    return [{"module": "nbtrack.server"}]


def _load_jupyter_server_extension(server_app):
    from .handlers import setup_handlers

    config = NBTrack(parent=server_app)
    root_dir = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    locator = StoreLocator(os.path.expanduser(str(root_dir)), config.store)
    setup_handlers(server_app.web_app, locator)
    server_app.log.info("nbtrack: serving the store %s at %snbtrack/api/", locator.store_dir(), server_app.base_url)


# Older jupyter_server versions look for the un-prefixed name.
load_jupyter_server_extension = _load_jupyter_server_extension
