"""Which runs an export takes: the run table's filter grammar over the wide runs frame."""

from __future__ import annotations

from typing import Any, Iterable

from ..store import Store


def select_runs(store: Store, filters: Iterable[Any] = ()) -> list[str]:
    """Run ids matching the table's filter grammar (``metrics.acc > 0.9``), oldest first: the
    read model's query (``runs_view.read``), as in the table, the sidebar and ``runs()``."""
    from ..store.runs_view import RunSpec, read

    res = read(
        store, RunSpec(filters=list(filters or []) or None, sort="run_id"), lead=["run_id"], wide=False, flags=False
    )
    return res.table.column("run_id").to_pylist()
