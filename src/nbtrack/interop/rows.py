"""A new version of a finished run's row (name, status, end, tags, context), through the writer.

Run rows are versioned by ``seq`` (the newest wins); a rewrite uses the current time in ns, so
it wins over the run's own earlier versions. That is why a run still ``running`` is refused: its
own process would write the next version with a smaller ``seq`` and lose it."""

from __future__ import annotations

import json
import time
from typing import Any

from ..errors import RunningRunError  # noqa: F401  (re-exported: defined in nbtrack.errors)
from ..store import Store, query


def rewrite_run(
    store: Store,
    run_id: str,
    name: str | None = None,
    status: str | None = None,
    ended_at: Any = None,
    tags: list[str] | None = None,
    context_update: dict | None = None,
) -> None:
    record = query.get_run(store, run_id)
    if record.status == "running":
        raise RunningRunError(
            f"nbtrack: run {record.run_id} is still running; change it from the process "
            "that runs it, or once it has ended."
        )
    ctx = dict(record.context)
    cols = {k: ctx.pop(k, None) for k in ("execution_count", "host", "pid", "git_commit", "git_dirty")}
    if context_update:
        ctx.update(context_update)
    started = record.started_at
    ended = ended_at if ended_at is not None else record.ended_at
    err = record.error or {}
    store.writer.put(
        "runs",
        [
            {
                "run_id": record.run_id,
                "seq": time.time_ns(),
                "name": name or record.name,
                "experiment": record.experiment,
                "notebook": record.notebook,
                "cell_id": record.cell_id,
                "execution_count": cols["execution_count"],
                "source": record.source,
                "status": status or record.status,
                "started_at": started,
                "ended_at": ended,
                "duration_s": (ended - started).total_seconds() if ended is not None and started is not None else None,
                "tags": list(tags) if tags is not None else list(record.tags),
                "host": cols["host"],
                "pid": cols["pid"],
                "git_commit": cols["git_commit"],
                "git_dirty": cols["git_dirty"],
                "error_type": err.get("type"),
                "error_message": err.get("message"),
                "traceback": err.get("traceback"),
                "context": json.dumps(ctx),
            }
        ],
    )
