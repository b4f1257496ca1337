"""Queries behind the Jupyter server's REST routes (the sidebar): a page of runs with free
text, structured filters, sorting and paging; the series keys of a run.

Only parameterised SQL over ``store.snapshot()``. The only identifiers that reach SQL text are
column names checked against the store's own columns and quoted (``"params.lr"``); values,
keys and patterns always travel as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from . import Store
from .errors import StoreError
from .filters import FilterError
from .query import _param_value
from .runs_view import COLUMN_KINDS, RUN_COLUMNS, column_kinds, parse_sort as _parse_sort, run_query

# Columns of a listed run (``source_head`` is the start of the cell source, for titles).
LIST_COLUMNS = RUN_COLUMNS + ["execution_count", "error_type", "error_message"]
SORTABLE = [c for c, kind in COLUMN_KINDS.items() if kind != "list"]
MAX_LIMIT = 1000


class QueryError(ValueError):
    """A bad request parameter (unknown column, malformed filter); the message says which."""


@dataclass
class RunPage:
    runs: list[dict]
    total: int
    limit: int
    offset: int


def columns(store: Store) -> dict[str, str]:
    """Every filterable/sortable column: name -> 'text' | 'number' | 'time' | 'list' | 'bool'."""
    with store.snapshot() as con:
        return column_kinds(con)


def parse_sort(sort: Any, cols: dict[str, str]) -> list[tuple[str, bool]]:
    """``-metrics.accuracy`` -> [('metrics.accuracy', True)]: the read model's sort grammar
    (``runs_view.parse_sort``: also ``name,-duration_s``), errors as ``QueryError``."""
    try:
        return _parse_sort(sort, cols)
    except FilterError as exc:
        raise QueryError(str(exc)) from None


def list_runs(
    store: Store,
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
    metrics, and the total count of matching runs (``runs_view.run_query``)."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    select = ", ".join(LIST_COLUMNS + ["source_head"])
    with store.snapshot() as con:
        try:
            rq = run_query(con, notebooks=notebooks, experiment=experiment,
                           status=None if status is None else list(status), cell_id=cell_id,
                           q=q, filters=filters, sort=sort,
                           extra_select="left(r.source, 400) AS source_head")
        except FilterError as exc:
            raise QueryError(str(exc)) from None
        total = con.execute(f"SELECT count(*) FROM ({rq.relation}) w{rq.where}", rq.args).fetchall()[0][0]
        cur = con.execute(
            f"SELECT {select} FROM ({rq.relation}) w{rq.where} ORDER BY {rq.order} LIMIT ? OFFSET ?",
            rq.args + [limit, offset])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        ids = [r["run_id"] for r in rows]
        params = con.execute(
            "SELECT run_id, key, kind, num, text FROM params WHERE list_contains(?, run_id) "
            "ORDER BY key", [ids]).fetchall() if ids else []
        metrics = con.execute(
            "SELECT run_id, key, value FROM metrics WHERE list_contains(?, run_id) ORDER BY key",
            [ids]).fetchall() if ids else []
    by_id = {r["run_id"]: r for r in rows}
    for r in rows:
        r["tags"] = list(r["tags"] or [])
        r["params"], r["metrics"] = {}, {}
    for rid, key, kind, num, text in params:
        by_id[rid]["params"][key] = _param_value(kind, num, text)
    for rid, key, value in metrics:
        by_id[rid]["metrics"][key] = value
    return RunPage(rows, int(total), limit, offset)


def series_keys(store: Store, run_id: str) -> dict[str, int]:
    """Series keys of one run with their point counts."""
    with store.snapshot() as con:
        rows = con.execute(
            "SELECT key, count(*) FROM series WHERE run_id = ? GROUP BY key ORDER BY key",
            [run_id]).fetchall()
    return {k: int(n) for k, n in rows}


__all__ = ["QueryError", "StoreError", "RunPage", "columns", "list_runs", "series_keys"]
