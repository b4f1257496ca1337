"""Where is the store? The same answer for a kernel in a sub-folder and a server at the root.

Order: ``NBTRACK_STORE`` (a folder), then ``%nbtrack store PATH`` (``set_override``), then the
nearest ``.nbtrack/`` folder in the start folder or a parent, then ``.nbtrack/`` at the git
work-tree root, else ``<start>/.nbtrack/``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

STORE_DIRNAME = ".nbtrack"
_override: Path | None = None


def set_override(path: str | os.PathLike | None) -> None:
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def resolve_store_dir(start: str | os.PathLike | None = None) -> Path:
    env = os.environ.get("NBTRACK_STORE")
    if start is not None:
        return _resolve(env, start)
    key = (env, _override, os.getcwd())
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_S:
        return hit[1]
    found = _resolve(env, start)
    _cache[key] = (now, found)
    return found


# Walking up from the working directory costs ~0.5 ms and a cell asks twice: cached, so a
# .nbtrack/ folder created meanwhile is seen within CACHE_S.
CACHE_S = 5.0
_cache: dict[tuple, tuple[float, Path]] = {}


def _resolve(env: str | None, start: str | os.PathLike | None) -> Path:
    if env:
        return Path(env).expanduser().resolve()
    if _override is not None:
        return _override
    start_dir = Path(start or os.getcwd()).resolve()
    for folder in (start_dir, *start_dir.parents):
        if (folder / STORE_DIRNAME).is_dir():
            return folder / STORE_DIRNAME
    root = git_root(start_dir)
    return (root or start_dir) / STORE_DIRNAME


def git_root(start: Path) -> Path | None:
    """The git work tree holding ``start``, found by walking up (no subprocess)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None
