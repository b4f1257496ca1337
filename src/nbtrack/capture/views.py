"""The display hook: what shows a run under its cell while it runs. Capture imports no widget;
a front end registers itself here when it is imported (the run card, ``widgets/card.py``).

A view is made by ``factory(run)`` at the cell's start (already displayed) and gets
``show_final(summary)`` at its end and ``compare(summary)`` when the cell's history arrives
later. With no view registered, or when the factory fails, the cell shows the text/HTML
summary at its end instead.
"""

from __future__ import annotations

import time
from typing import Any, Callable

# The module whose import registers the front end, named by the package above capture
# (``nbtrack/__init__.py``): capture imports it on the main thread without naming a widget.
front_end_module: str | None = None
_factory: Callable[[Any], Any] | None = None
_on_cell_end: Callable[[], None] | None = None
_busy_since: float | None = None  # monotonic start of the cell running now (any cell), else None


def register(factory: Callable[[Any], Any], on_cell_end: Callable[[], None] | None = None) -> None:
    """Show runs with ``factory(run)``; ``on_cell_end()`` is called after each final state is
    shown (the card prepares the next cell's card then, while the kernel idles)."""
    global _factory, _on_cell_end
    _factory, _on_cell_end = factory, on_cell_end


def registered() -> bool:
    return _factory is not None


def open_view(run: Any) -> Any:
    """The live view of ``run``, displayed, or None when no front end registered one."""
    return _factory(run) if _factory is not None else None


def cell_ended() -> None:
    if _on_cell_end is not None:
        _on_cell_end()


def set_busy(busy: bool) -> None:
    """The kernel started (True) or ended (False) a top-level cell, tracked or not: a view's
    background work waits for the end, so that it does not compete with the cell for the GIL."""
    global _busy_since
    _busy_since = time.monotonic() if busy else None


def busy_for() -> float:
    """Seconds the running cell has been running; 0.0 when the kernel is idle."""
    since = _busy_since
    return 0.0 if since is None else max(1e-9, time.monotonic() - since)
