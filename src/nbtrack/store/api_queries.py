"""Queries behind the Jupyter server's REST routes (the sidebar): a page of runs with free
text, structured filters, sorting and paging; the series keys of a run.

Only parameterised SQL over ``store.snapshot()``. The only identifiers that reach SQL text are
column names checked against the store's own columns and quoted (``"params.lr"``); values,
keys and patterns always travel as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from . import Store
from .errors import StoreError
from .filters import FilterError, compile_filters, filter_columns, quote_ident, search_clause
from .query import _param_value
from .runs_view import (COLUMN_KINDS, RUN_COLUMNS, SEARCH_COLUMNS, STATUSES, order_sql,
                        param_kind, parse_sort as _parse_sort)

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
    """Every filterable/sortable column: name -> 'text' | 'number' | 'time' | 'list'."""
    out: dict[str, str] = dict(COLUMN_KINDS)
    with store.snapshot() as con:
        params = con.execute(
            "SELECT key, list(DISTINCT kind) FROM params GROUP BY key ORDER BY key").fetchall()
        metrics = con.execute("SELECT DISTINCT key FROM metrics ORDER BY key").fetchall()
    for key, kinds in params:
        out[f"params.{key}"] = param_kind(kinds)
    for (key,) in metrics:
        out[f"metrics.{key}"] = "number"
    return out


def _extra_column(name: str, kind: str) -> tuple[str, list]:
    """SQL for a params./metrics. column of the run ``r``, with its parameters."""
    if name.startswith("metrics."):
        return ("(SELECT max(m.value) FROM metrics m WHERE m.run_id = r.run_id AND m.key = ?)",
                [name[len("metrics."):]])
    field = "p.text" if kind == "text" else "p.num"
    sql = f"(SELECT max({field}) FROM params p WHERE p.run_id = r.run_id AND p.key = ?)"
    return (f"({sql} <> 0)" if kind == "bool" else sql), [name[len("params."):]]


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
    metrics, and the total count of matching runs."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    plain = dict(COLUMN_KINDS)
    try:
        sort_keys = _parse_sort(sort, plain)  # run columns only: no store read needed
        cols = columns(store) if filters else plain
    except FilterError:
        cols = columns(store)
        sort_keys = parse_sort(sort, cols)

    conds: list[str] = []
    args: list[Any] = []
    if notebooks is not None:
        conds.append("list_contains(?, notebook)")
        args.append([str(n) for n in notebooks])
    if experiment is not None:
        conds.append("experiment = ?")
        args.append(experiment)
    if status is not None:
        statuses = list(status)
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise QueryError(f"nbtrack: unknown status {bad[0]!r}; use one of {', '.join(STATUSES)}.")
        conds.append("list_contains(?, status)")
        args.append(statuses)
    if cell_id is not None:
        conds.append("cell_id = ?")
        args.append(cell_id)
    text_sql, text_args = _compile(search_clause, q, SEARCH_COLUMNS)
    if text_sql:
        conds.append(f"({text_sql})")
        args.extend(text_args)

    # Filters first: the shared grammar's messages name the column and suggest close ones.
    filter_sql, filter_args = _compile(compile_filters, filters, cols)
    # Columns beyond the runs view that a filter or the sort needs.
    try:
        named = filter_columns(filters)
    except FilterError as exc:
        raise QueryError(str(exc)) from None
    needed = {c for c, _ in sort_keys} | set(named)
    extra = sorted(c for c in needed if c.startswith(("params.", "metrics.")))
    extra_sql, extra_args = [], []
    for name in extra:
        if name not in cols:
            raise QueryError(f"nbtrack: no column {name!r} in this store.")
        sql, a = _extra_column(name, cols[name])
        extra_sql.append(f"{sql} AS {quote_ident(name)}")
        extra_args.extend(a)
    if filter_sql:
        conds.append(f"({filter_sql})")
        args.extend(filter_args)

    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    wide = ("SELECT r.*, left(r.source, 400) AS source_head"
            + "".join(", " + s for s in extra_sql) + " FROM runs r")
    order = order_sql(sort_keys, quote_ident)
    select = ", ".join(LIST_COLUMNS + ["source_head"])
    with store.snapshot() as con:
        total = con.execute(f"SELECT count(*) FROM ({wide}) w{where}", extra_args + args).fetchall()[0][0]
        cur = con.execute(
            f"SELECT {select} FROM ({wide}) w{where} ORDER BY {order} LIMIT ? OFFSET ?",
            extra_args + args + [limit, offset])
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


def _compile(fn: Callable, value: Any, cols: Any) -> tuple[str, list]:
    if not value:
        return "", []
    try:
        return fn(value, cols)
    except FilterError as exc:
        raise QueryError(str(exc)) from None


def series_keys(store: Store, run_id: str) -> dict[str, int]:
    """Series keys of one run with their point counts."""
    with store.snapshot() as con:
        rows = con.execute(
            "SELECT key, count(*) FROM series WHERE run_id = ? GROUP BY key ORDER BY key",
            [run_id]).fetchall()
    return {k: int(n) for k, n in rows}


__all__ = ["QueryError", "StoreError", "RunPage", "columns", "list_runs", "series_keys"]
