"""Pages of the wide runs relation for the run table: sorting, filtering and paging in DuckDB.

``query.runs_frame`` is built once per store change (``query.change_token``) and cached as an
Arrow table; every page request runs against that table on a private in-memory DuckDB
connection, so a sort or filter over 100,000 runs takes tens of milliseconds and only the
requested rows leave this module.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import duckdb
import pandas as pd
import pyarrow as pa

from . import Store, database, query
from .filters import FilterError, compile_filters, quote_ident
from .runs_view import SEARCH_COLUMNS, TABLE_COLUMNS, order_sql, parse_sort

__all__ = ["RunsCache", "Page", "FilterError", "BASE_COLUMNS"]

# The leading columns (in this order); params.* and metrics.* follow. Defined in runs_view.
BASE_COLUMNS = TABLE_COLUMNS
MAX_PAGE = 1000
SEARCH_COL = "__search"  # hidden: lower() of the SEARCH_COLUMNS, built once per cache build


@dataclass
class Page:
    rows: pa.Table          # the requested rows, display-ready types (no int64, no timestamps)
    total: int              # rows matching the filters
    columns: list[dict]     # every column: {"name", "kind"}
    hidden: list[str] = field(default_factory=list)  # "differences only": same in every row
    version: str = ""
    complete: bool = True   # False while the full cache is still being built


def _kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return "number"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "time"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list"
    return "text"


def _display_text(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        return json.dumps(v, default=str)
    except (TypeError, ValueError):
        return str(v)


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The runs frame as Arrow with one plain type per column (mixed params become text)."""
    cols = [c for c in BASE_COLUMNS if c in frame] + [
        c for c in frame.columns if c not in BASE_COLUMNS and c.startswith(("params.", "metrics."))]
    arrays, names = [], []
    for c in cols:
        s = frame[c]
        arr = None
        if s.dtype == object and c != "tags":
            try:
                arr = pa.array(s, from_pandas=True)
                if pa.types.is_nested(arr.type) or pa.types.is_null(arr.type):
                    arr = None
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
                arr = None
            if arr is None:
                arr = pa.array([_display_text(v) for v in s], pa.string())
        else:
            arr = pa.array(s, from_pandas=True)
        if pa.types.is_large_string(arr.type):
            arr = arr.cast(pa.string())
        arrays.append(arr)
        names.append(c)
    return pa.Table.from_arrays(arrays, names=names)


class RunsCache:
    """The wide runs of one store (optionally narrowed by experiment/notebook/status) as an
    Arrow table, rebuilt when the store's change token moves. Thread-safe."""

    def __init__(self, store: Store, experiment: str | None = None, notebook: str | None = None,
                 status: str | Iterable[str] | None = None):
        self.store = store
        self.scope = {"experiment": experiment, "notebook": notebook, "status": status}
        self._lock = threading.Lock()          # guards the fields below
        self._build_lock = threading.Lock()    # one build at a time
        self._table: pa.Table | None = None
        self._version = ""
        self._con = database.connect()
        self._con_lock = threading.Lock()
        self.build_seconds = 0.0
        self._hidden_cache: dict = {}

    # -- building ------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return self._version

    @property
    def ready(self) -> bool:
        return self._table is not None

    def stale(self) -> bool:
        return query.change_token(self.store) != self._version

    def refresh(self) -> bool:
        """Rebuild if the store changed since the last build; True if a build happened."""
        with self._build_lock:
            token = query.change_token(self.store)
            if self._table is not None and token == self._version:
                return False
            t0 = time.perf_counter()
            frame = query.runs_frame(self.store, **self.scope)
            table = to_arrow(frame)
            with self._con_lock:
                con = self._con
                con.register("wide_src", table)
                search = _search_expr(table.column_names)
                con.execute(f'CREATE OR REPLACE TABLE wide AS SELECT *, {search} AS "{SEARCH_COL}" FROM wide_src')
                con.unregister("wide_src")
            with self._lock:
                self._table, self._version = table, token
            self.build_seconds = time.perf_counter() - t0
            return True

    def refresh_in_background(self) -> threading.Thread:
        def work():
            try:
                self.refresh()
            except Exception:
                pass  # the next page request reports it

        from . import background_thread

        return background_thread(work, "nbtrack-table-cache")

    # -- reading -------------------------------------------------------------------------

    def columns(self, table: pa.Table | None = None) -> list[dict]:
        table = table if table is not None else self._table
        if table is None:
            return []
        return [{"name": f.name, "kind": _kind(f.type)} for f in table.schema]

    def page(
        self,
        filters: Iterable[Any] | None = None,
        search: str | None = None,
        sort: Iterable[Any] | None = None,
        offset: int = 0,
        limit: int = 50,
        columns: Iterable[str] | None = None,
        diff_only: bool = False,
        ids: Iterable[str] | None = None,
    ) -> Page:
        """One page of runs. ``sort``: ``[(column, "asc"|"desc"), ...]`` (default newest
        first); ``columns``: which to return (``run_id`` always comes along); ``ids``: only
        these runs. Raises ``FilterError`` for a bad filter, sort or column."""
        limit = max(0, min(int(limit), MAX_PAGE))
        offset = max(0, int(offset))
        if self._table is None:
            if not filters and not search and not sort and not diff_only and ids is None:
                return self._quick_page(offset, limit, columns)
            self.refresh()
        with self._lock:
            table, version = self._table, self._version
        kinds = {c["name"]: c["kind"] for c in self.columns(table)}
        where, params = compile_filters(filters, kinds)
        s_where, s_params = _search(search)
        conds = [c for c in (where, s_where) if c]
        params = params + s_params
        if ids is not None:
            conds.append("list_contains(?, run_id)")
            params.append([str(i) for i in ids])
        where_sql = (" WHERE " + " AND ".join(conds)) if conds else ""
        order = self._order(sort, kinds)
        wanted = self._wanted(columns, kinds)
        select = ", ".join(_display(c, kinds[c]) for c in wanted)
        with self._con_lock:
            con = self._con
            total = con.execute(f"SELECT count(*) FROM wide{where_sql}", params).fetchone()[0]
            rows = con.execute(
                f"SELECT {select} FROM wide{where_sql} ORDER BY {order} LIMIT ? OFFSET ?",
                params + [limit, offset],
            ).fetch_arrow_table()
            hidden = []
            if diff_only:
                key = (version, where_sql, repr(params), tuple(wanted))
                hidden = self._hidden_cache.get(key)
                if hidden is None:
                    hidden = self._same_everywhere(con, where_sql, params, wanted, kinds)
                    self._hidden_cache = {key: hidden}
        return Page(rows, int(total), self.columns(table), hidden, version, True)

    def _quick_page(self, offset: int, limit: int, columns) -> Page:
        """Before the first build: the newest runs straight from the store (LIMIT in SQL)."""
        frame = query.runs_frame(self.store, limit=offset + limit, **self.scope)
        table = to_arrow(frame).slice(offset, limit)
        kinds = {c["name"]: c["kind"] for c in self.columns(table)}
        wanted = [c for c in self._wanted(columns, kinds, strict=False)]
        con = database.connect()
        con.register("wide", table)
        rows = con.execute(f"SELECT {', '.join(_display(c, kinds[c]) for c in wanted)} FROM wide").fetch_arrow_table()
        total = query.sql(self.store, "SELECT count(*) AS n FROM runs").iloc[0, 0]
        return Page(rows, int(total), self.columns(table), [], "", False)

    @staticmethod
    def _wanted(columns, kinds: dict[str, str], strict: bool = True) -> list[str]:
        if columns is None:
            return list(kinds)
        wanted = ["run_id"]
        for c in columns:
            if c in kinds:
                if c not in wanted:
                    wanted.append(c)
            elif strict and not isinstance(c, str):
                raise FilterError(f"nbtrack: a column name must be text, got {type(c).__name__}")
        return wanted

    @staticmethod
    def _order(sort, kinds: dict[str, str]) -> str:
        return order_sql(parse_sort(sort, kinds), quote_ident)  # the read model's sort grammar

    @staticmethod
    def _same_everywhere(con, where_sql: str, params: list, wanted: list[str], kinds) -> list[str]:
        cand = [c for c in wanted if c != "run_id"]
        if not cand:
            return []
        exprs = []
        for c in cand:
            q = quote_ident(c)
            e = f"list_sort({q})" if kinds[c] == "list" else q
            # same everywhere: only NULLs, or no NULLs and min = max
            exprs.append(f"(count({e}) = 0 OR (count({e}) = count(*) AND min({e}) = max({e})))")
        row = con.execute(f"SELECT {', '.join(exprs)} FROM wide{where_sql}", params).fetchone()
        return [c for c, same in zip(cand, row) if same]


def _search_expr(names: list[str]) -> str:
    """lower() of the read model's SEARCH_COLUMNS joined by a separator no word contains."""
    parts = []
    for col, kind in SEARCH_COLUMNS.items():
        if col in names:
            q = quote_ident(col)
            parts.append(f"coalesce(array_to_string({q}, chr(31)), '')" if kind == "list"
                         else f"coalesce(CAST({q} AS VARCHAR), '')")
    return f"lower(concat_ws(chr(31), {', '.join(parts)}))" if parts else "''"


def _search(text: str | None) -> tuple[str, list]:
    """Every whitespace-separated word must occur in one of the SEARCH_COLUMNS (as the
    sidebar's search: ``filters.search_clause``), here over one precomputed column."""
    words = (text or "").lower().split()[:20]
    if any(len(w) > 1000 for w in words):
        raise FilterError("nbtrack: a search word is limited to 1000 characters")
    return " AND ".join(f'contains("{SEARCH_COL}", ?)' for _ in words), words


def _display(col: str, kind: str) -> str:
    """Cast for the browser: times as text, integers as doubles (no BigInt in JS)."""
    q = quote_ident(col)
    if kind == "time":
        return f"strftime({q}, '%Y-%m-%d %H:%M:%S') AS {q}"
    if kind == "number":
        return f"CAST({q} AS DOUBLE) AS {q}"
    return q
