"""Pages of the wide runs relation for the run table: sorting, filtering and paging in DuckDB.

The read model's rows (``runs_view.read``: every catalog column, params.*, metrics.*, stale
flags) are built once per source change (its token) and kept as a table in a private
in-memory DuckDB connection; every page request runs the read model's conditions and sort
over it, so a sort or filter over 100,000 runs takes tens of milliseconds and only the
requested rows leave this module (DuckDB -> Arrow -> IPC). Before the first build, the first
page comes straight from the source with LIMIT in SQL.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import pyarrow as pa

from . import database
from .filters import FilterError, quote_ident
from .runs_view import (
    COLUMN_KINDS,
    TABLE_COLUMNS,
    RunSpec,
    arrow_kind,
    as_source,
    conditions,
    display_sql,
    for_display,
    order_sql,
    parse_sort,
    read,
    where_sql,
)

__all__ = ["RunsCache", "Page", "FilterError", "BASE_COLUMNS"]

# The leading columns (in this order); params.* and metrics.* follow. Defined in runs_view.
BASE_COLUMNS = TABLE_COLUMNS
# What the cache holds besides: every other catalog column, so any filter works in the table.
CACHE_COLUMNS = TABLE_COLUMNS + [
    c for c in COLUMN_KINDS if c not in TABLE_COLUMNS and c not in ("stale", "stale_reason")
]
MAX_PAGE = 1000


@dataclass
class Page:
    rows: pa.Table  # the requested rows, display-ready types (no int64, no timestamps)
    total: int  # rows matching the filters
    columns: list[dict]  # every column: {"name", "kind"}
    hidden: list[str] = field(default_factory=list)  # "differences only": same in every row
    version: str = ""
    complete: bool = True  # False while the full cache is still being built


class RunsCache:
    """The wide runs of one source (optionally narrowed by experiment/notebook/status) as a
    table in a private DuckDB connection, rebuilt when the source's token moves. Thread-safe.
    ``store``: a Store or a ``runs_view.Source``."""

    def __init__(
        self,
        store,
        experiment: str | None = None,
        notebook: str | None = None,
        status: str | Iterable[str] | None = None,
    ):
        self.store = store
        self.source = as_source(store)
        self.scope = RunSpec(experiment=experiment, notebook=notebook, status=status)
        self._lock = threading.Lock()  # guards the fields below
        self._build_lock = threading.Lock()  # one build at a time
        self._kinds: dict[str, str] | None = None  # the cached table's columns and kinds
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
        return self._kinds is not None

    def stale(self) -> bool:
        return self.source.token() != self._version

    def refresh(self) -> bool:
        """Rebuild if the source changed since the last build; True if a build happened."""
        with self._build_lock:
            token = self.source.token()
            if self._kinds is not None and token == self._version:
                return False
            t0 = time.perf_counter()
            table = read(self.source, self.scope, lead=CACHE_COLUMNS).table
            with self._con_lock:
                self._con.register("wide_src", table)
                self._con.execute("CREATE OR REPLACE TABLE wide AS SELECT * FROM wide_src")
                self._con.unregister("wide_src")
            with self._lock:
                self._kinds = {f.name: _kind(f.name, f.type) for f in table.schema}
                self._version = token
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

    @staticmethod
    def _columns(kinds: dict[str, str]) -> list[dict]:
        return [{"name": name, "kind": kind} for name, kind in kinds.items()]

    def columns(self) -> list[dict]:
        return self._columns(self._kinds or {})

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
        """One page of runs. ``sort``: the read model's grammar (default newest first);
        ``columns``: which to return (``run_id`` always comes along); ``ids``: only these
        runs. Raises ``FilterError`` for a bad filter, sort or column."""
        limit = max(0, min(int(limit), MAX_PAGE))
        offset = max(0, int(offset))
        if self._kinds is None:
            if not filters and not search and not sort and not diff_only and ids is None:
                return self._quick_page(offset, limit, columns)
            self.refresh()
        with self._lock:
            kinds, version = dict(self._kinds or {}), self._version
        spec = RunSpec(run_ids=ids, search=search, filters=filters)
        conds, params = conditions(spec, kinds)
        where = where_sql(conds)
        order = order_sql(parse_sort(sort, kinds), quote_ident)  # the read model's sort grammar
        wanted = self._wanted(columns, kinds)
        select = ", ".join(display_sql(c, kinds[c]) for c in wanted)
        with self._con_lock:
            con = self._con
            total = con.execute(f"SELECT count(*) FROM wide{where}", params).fetchone()[0]  # type: ignore[index]
            rows = con.execute(
                f"SELECT {select} FROM wide{where} ORDER BY {order} LIMIT ? OFFSET ?",
                params + [limit, offset],
            ).fetch_arrow_table()
            hidden: list[str] = []
            if diff_only:
                key = (version, where, repr(params), tuple(wanted))
                cached = self._hidden_cache.get(key)
                if cached is None:
                    cached = self._same_everywhere(con, where, params, wanted, kinds)
                    self._hidden_cache = {key: cached}
                hidden = cached
        return Page(rows, int(total), self._columns(kinds), hidden, version, True)

    def _quick_page(self, offset: int, limit: int, columns) -> Page:
        """Before the first build: the newest runs straight from the source (LIMIT in SQL)."""
        res = read(self.source, self.scope, lead=CACHE_COLUMNS, limit=limit, offset=offset, count=True)
        kinds = {f.name: _kind(f.name, f.type) for f in res.table.schema}
        wanted = self._wanted(columns, kinds, strict=False)
        rows = for_display(res.table.select(wanted))
        return Page(rows, int(res.total or 0), self._columns(kinds), [], "", False)

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


def _kind(name: str, t: pa.DataType) -> str:
    """A cached column's kind: the catalog's for run columns, else from its Arrow type."""
    return COLUMN_KINDS.get(name) or arrow_kind(t)
