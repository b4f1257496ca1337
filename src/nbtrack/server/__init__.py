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
    """The store folder for the server, re-resolved every few seconds so a store created after
    the server started (e.g. a ``.nbtrack/`` folder) is picked up without a restart."""

    TTL_S = 3.0

    def __init__(self, root_dir: str, configured: str | None):
        self.root_dir = root_dir
        self.configured = configured
        self._lock = threading.Lock()
        self._cached: tuple[float, Path] | None = None

    def store_dir(self) -> Path:
        if self.configured:
            path = Path(os.path.expanduser(self.configured))
            return (path if path.is_absolute() else Path(self.root_dir) / path).resolve()
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.TTL_S:
                from ..store.location import resolve_store_dir

                self._cached = (now, resolve_store_dir(self.root_dir))
            return self._cached[1]

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
    server_app.log.info("nbtrack: serving the store %s at %snbtrack/api/",
                        locator.store_dir(), server_app.base_url)


# Older jupyter_server versions look for the un-prefixed name.
load_jupyter_server_extension = _load_jupyter_server_extension
