"""Which runs an export takes: the run table's filter grammar over the wide runs frame."""

from __future__ import annotations

from typing import Any, Iterable

from ..store import Store, query
from ..store.filters import compile_filters


def select_runs(store: Store, filters: Iterable[Any] = ()) -> list[str]:
    """Run ids matching the table's filter grammar (``metrics.acc > 0.9``), oldest first."""
    from ..store import database

    frame = query.runs_frame(store)
    filters = list(filters or [])
    if not filters or not len(frame):
        return list(reversed(list(frame["run_id"])))
    kinds = {}
    for col in frame.columns:
        dtype = str(frame[col].dtype)
        kinds[col] = ("list" if col == "tags" else "number" if dtype.startswith(("int", "float"))
                      else "time" if dtype.startswith("datetime") else "bool" if dtype == "bool" else "text")
    where, args = compile_filters(filters, kinds)
    con = database.connect()  # nbtrack's own connections never print DuckDB's progress bar
    try:
        con.register("wide", frame)
        ids = [r[0] for r in con.execute(f"SELECT run_id FROM wide WHERE {where} ORDER BY run_id", args).fetchall()]
    finally:
        con.close()
    return ids
