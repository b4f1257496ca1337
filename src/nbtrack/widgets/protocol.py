"""The one request/response protocol between a widget's front end and the kernel.

Front end -> kernel (``model.send``): ``{"type": <request type>, "uuid": <id>, ...arguments}``.
Kernel -> front end (``widget.send``), one reply per request:

* success: ``{"uuid", "tables": [name, ...], ...fields}`` with one binary buffer per name in
  ``tables``, each an Arrow IPC stream (rows and points never travel as JSON lists);
* failure: ``{"uuid", "error": "message for the user"}`` (shown in the widget).

The kernel may also push unsolicited messages ``{"type": "push", ...}`` the same way.
Handlers are plain functions ``handler(widget, request) -> Reply | dict``.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

from ..errors import RequestError  # noqa: F401  (re-exported: defined in nbtrack.errors)

log = logging.getLogger("nbtrack.widgets")

__all__ = ["Reply", "RequestError", "arrow_bytes", "dispatch", "send"]


@dataclass
class Reply:
    fields: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)


def arrow_bytes(table: pa.Table) -> bytes:
    """An Arrow IPC stream of ``table`` (what the front end's ``tableFromIPC`` reads)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encode(reply: Reply | dict | None) -> tuple[dict, list[bytes]]:
    if reply is None:
        reply = Reply()
    elif isinstance(reply, dict):
        reply = Reply(fields=reply)
    names = list(reply.tables)
    content = dict(reply.fields)
    content["tables"] = names
    return content, [arrow_bytes(reply.tables[n]) for n in names]


def send(widget, message: dict, tables: dict[str, pa.Table] | None = None) -> None:
    """Send one message (a reply or a push) with its Arrow tables as binary buffers."""
    content, buffers = encode(Reply(fields=message, tables=tables or {}))
    widget.send(content, buffers)


def dispatch(widget, handlers: dict[str, Callable[[Any, dict], Any]], content: Any) -> None:
    """Answer one front-end message. Every request gets exactly one reply."""
    if not isinstance(content, dict):
        return
    uuid = content.get("uuid")
    kind = content.get("type")
    handler = handlers.get(kind) if isinstance(kind, str) else None
    if handler is None:
        widget.send({"uuid": uuid, "error": f"nbtrack: unknown request type {str(kind)[:40]!r}"})
        return
    try:
        reply = handler(widget, content)
        message, buffers = encode(reply)
    except (RequestError, ValueError, KeyError) as exc:  # FilterError, UnknownRunError: user input
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        widget.send({"uuid": uuid, "error": str(text)})
        return
    except Exception as exc:  # a bug or a store problem: say so where the user looks
        log.debug("nbtrack widget request %s failed", kind, exc_info=True)
        widget.send(
            {
                "uuid": uuid,
                "error": f"nbtrack: {kind} failed: {type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-4000:],
            }
        )
        return
    message["uuid"] = uuid
    widget.send(message, buffers)
