"""The anywidget base class shared by every nbtrack widget: the bundled front end and the
request/response protocol (see ``protocol.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets

from . import protocol

STATIC = Path(__file__).resolve().parent.parent / "static"
BUNDLE = STATIC / "widget.js"  # table, compare, diff (bundles vega-embed: ~0.9 MB)
CARD_BUNDLE = STATIC / "card.js"  # the run card alone, no vega (a few tens of KB): every
# %%track cell sends its widget's ESM to the browser


def check_bundle() -> Path:
    for path in (BUNDLE, CARD_BUNDLE):
        if not path.is_file() or path.stat().st_size < 1000:
            raise RuntimeError(
                f"nbtrack: the widget front end is not built ({path} is missing). In a source "
                "checkout run `npm install && npm run build:widgets` (or `pip install -e .`, which "
                "builds it); installed wheels ship it."
            )
    return BUNDLE


check_bundle()


class NbtrackWidget(anywidget.AnyWidget):
    """Base: ``kind`` picks the view in the bundle; requests go through ``protocol.dispatch``
    to the methods named in ``_handlers``."""

    _esm = BUNDLE
    kind = traitlets.Unicode("").tag(sync=True)  # "card" | "table" | "compare" | "diff"
    _handlers: dict[str, str] = {}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_msg(self._on_custom_message)

    def _on_custom_message(self, _widget, content, buffers) -> None:
        protocol.dispatch(self, {name: _call(method) for name, method in self._handlers.items()}, content)

    def handle_request(self, request: dict) -> tuple[dict, list[bytes]]:
        """Answer ``request`` as if the front end had sent it; return what would be sent back
        (content, buffers). For tests and debugging."""
        sent: list = []
        # an instance attribute over the class's method for this one call
        self.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
        try:
            self._on_custom_message(self, request, [])
        finally:
            del self.send
        assert len(sent) == 1, sent
        return sent[0]


def _call(method: str) -> Callable[[Any, dict], Any]:
    """A handler that calls the widget's method of that name with the request."""
    return lambda widget, request: getattr(widget, method)(request)
