"""Queries behind the Jupyter server's REST routes (the sidebar): a page of runs with free
text, structured filters, sorting and paging; the series keys of a run.

Only parameterised SQL over ``store.snapshot()``. The only identifiers that reach SQL text are
column names checked against the store's own columns and quoted (``"params.lr"``); values,
keys and patterns always travel as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import QueryError  # noqa: F401  (re-exported: defined in nbtrack.errors)
from . import Store
from .errors import StoreError
from .filters import FilterError
from .runs_view import COLUMN_KINDS, RUN_COLUMNS, RunSpec, column_kinds, read
from .runs_view import parse_sort as _parse_sort

# Columns of a listed run (``source_head`` is the start of the cell source, for titles), then
# ``params``/``metrics`` (dicts) and ``stale``/``stale_reason``.
LIST_COLUMNS = RUN_COLUMNS + ["execution_count", "error_type", "error_message", "host", "user", "sweep_id", "trial"]
SORTABLE = [c for c, kind in COLUMN_KINDS.items() if kind != "list"]
MAX_LIMIT = 1000


@dataclass
class RunPage:
    runs: list[dict]
    total: int
    limit: int
    offset: int


def columns(store) -> dict[str, str]:
    """Every filterable/sortable column: name -> 'text' | 'number' | 'time' | 'list' | 'bool'."""
    from .runs_view import as_source

    source = as_source(store)
    with source.snapshot() as con:
        return column_kinds(con, source)


def parse_sort(sort: Any, cols: dict[str, str]) -> list[tuple[str, bool]]:
    """``-metrics.accuracy`` -> [('metrics.accuracy', True)]: the read model's sort grammar
    (``runs_view.parse_sort``: also ``name,-duration_s``), errors as ``QueryError``."""
    try:
        return _parse_sort(sort, cols)
    except FilterError as exc:
        raise QueryError(str(exc)) from None


def list_runs(
    store,
    *,
    notebooks: Iterable[str] | None = None,
    experiment: str | None = None,
    status: Iterable[str] | None = None,
    cell_id: str | None = None,
    q: str | None = None,
    filters: list | None = None,
    sort: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> RunPage:
    """A page of runs (newest first unless ``sort`` says otherwise), each with its params and
    metrics, and the total count of matching runs: the read model's ``runs_view.read``.
    ``store``: a Store or a ``runs_view.Source``."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    spec = RunSpec(
        notebooks=notebooks,
        experiment=experiment,
        status=None if status is None else list(status),
        cell_id=cell_id,
        search=q,
        filters=filters,
        sort=sort,
    )
    try:
        res = read(
            store,
            spec,
            lead=LIST_COLUMNS + ["source_head"],
            limit=limit,
            offset=offset,
            count=True,
            wide=False,
            nested=True,
            extra_select="left(r.source, 400) AS source_head",
        )
    except FilterError as exc:
        raise QueryError(str(exc)) from None
    rows = res.table.to_pylist()
    nested = res.nested or {}
    for r in rows:
        r["tags"] = list(r["tags"] or [])
        r["params"], r["metrics"] = nested.get(r["run_id"], ({}, {}))
    return RunPage(rows, int(res.total or 0), limit, offset)


def series_keys(store: Store, run_id: str) -> dict[str, int]:
    """Series keys of one run with their point counts."""
    with store.snapshot() as con:
        rows = con.execute(
            "SELECT key, count(*) FROM series WHERE run_id = ? GROUP BY key ORDER BY key", [run_id]
        ).fetchall()
    return {k: int(n) for k, n in rows}


__all__ = ["QueryError", "StoreError", "RunPage", "columns", "list_runs", "series_keys"]
