"""``nbtrack.table()``: the run table. The browser holds one page; sorting, filtering, search
and paging run in DuckDB in the kernel over a cached Arrow table of the wide runs
(``store.table.RunsCache``), rebuilt in the background when the store changes."""

from __future__ import annotations

import threading
import time
from typing import Any

import traitlets

from ..store import get_store
from ..store.filters import FilterError, parse_filter
from ..store.runs_view import COLUMN_KINDS
from ..store.table import BASE_COLUMNS, RunsCache
from . import protocol
from ._base import NbtrackWidget

_caches: dict[tuple, RunsCache] = {}
_caches_lock = threading.Lock()
MIN_REFRESH_S = 2.0


def _cache(store) -> RunsCache:
    key = (str(store.dir),)
    with _caches_lock:
        if key not in _caches:
            _caches[key] = RunsCache(store)
        return _caches[key]


def _structured(conditions, equals: dict[str, Any]) -> list[dict]:
    out = []
    col: str | None  # a dict may lack a key: compile_filters reports it
    op: str | None
    for c in conditions:
        if isinstance(c, str):
            col, op, value = parse_filter(c)
        elif isinstance(c, dict):
            col, op, value = c.get("column"), c.get("op"), c.get("value")
        elif isinstance(c, (tuple, list)) and len(c) in (2, 3):
            col, op, value = c[0], c[1], (c[2] if len(c) == 3 else None)
        else:
            raise TypeError(
                f"nbtrack.table: a condition is a string like 'metrics.accuracy > 0.9' or a "
                f"(column, op, value) tuple, got {type(c).__name__}"
            )
        out.append({"column": col, "op": op, "value": value})
    for key, value in equals.items():
        col = key.replace("__", ".")
        if col not in COLUMN_KINDS and not col.startswith(("params.", "metrics.")):
            raise TypeError(
                f"nbtrack.table() got an unexpected keyword {key!r}. Filter with a column "
                f"({', '.join(BASE_COLUMNS)}), params__<key>=... / metrics__<key>=..., or pass "
                "conditions: nbtrack.table('metrics.accuracy > 0.9', status='finished')"
            )
        op = "in" if isinstance(value, (list, tuple, set)) else "=="
        out.append({"column": col, "op": op, "value": list(value) if op == "in" else value})
    return out


class RunTable(NbtrackWidget):
    """The run table. Synced traits (all small; rows travel per page as Arrow IPC):

    * ``filters`` (list of {column, op, value}), ``search`` (str), ``sort`` (list of
      {column, dir}), ``diff_only`` (bool), ``page_size`` (int): the view, set by the front end
      or from Python
    * ``pinned`` (list of column names, shown first), ``hidden_columns`` (column chooser)
    * ``selected`` (list of run ids): the selected rows; ``table.selected`` in Python
    """

    filters: traitlets.List[dict] = traitlets.List().tag(sync=True)
    search = traitlets.Unicode("").tag(sync=True)
    sort: traitlets.List[dict] = traitlets.List().tag(sync=True)
    diff_only = traitlets.Bool(False).tag(sync=True)
    page_size = traitlets.Int(50).tag(sync=True)
    pinned = traitlets.List(traitlets.Unicode(), ["status", "name"]).tag(sync=True)
    # The table holds every catalog column (any filter works); these start hidden.
    hidden_columns = traitlets.List(
        traitlets.Unicode(),
        [
            "run_id",
            "cell_id",
            "execution_count",
            "error_type",
            "error_message",
            "host",
            "user",
            "sweep_id",
            "trial",
            "stale_reason",
        ],
    ).tag(sync=True)
    selected = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _handlers = {"page": "_req_page", "poll": "_req_poll", "compare": "_req_compare", "diff": "_req_diff"}

    def __init__(self, *conditions, search: str = "", sort=None, store=None, page_size: int = 50, where=None, **equals):
        extra = [where] if isinstance(where, (str, dict)) else list(where or [])
        filters = _structured(list(conditions) + extra, equals)
        sort_list = []
        for s in [sort] if isinstance(sort, str) else list(sort or []):
            if isinstance(s, str):
                sort_list.append({"column": s.lstrip("-"), "dir": "desc" if s.startswith("-") else "asc"})
            else:
                sort_list.append({"column": s[0], "dir": s[1]})
        self.store = store if store is not None and not isinstance(store, str) else get_store(store)
        self.cache = _cache(self.store)
        self._building: threading.Thread | None = None
        super().__init__(kind="table", filters=filters, search=search or "", sort=sort_list, page_size=int(page_size))
        self._refreshing: threading.Thread | None = None
        self._last_refresh = 0.0

    # -- requests ----------------------------------------------------------------------------

    def _req_page(self, req: dict):
        page = self.cache.page(
            filters=req.get("filters", self.filters),
            search=req.get("search", self.search),
            sort=[
                (s.get("column"), s.get("dir", "asc")) if isinstance(s, dict) else s
                for s in req.get("sort", self.sort) or []
            ],
            offset=req.get("offset", 0),
            limit=req.get("limit", self.page_size),
            diff_only=bool(req.get("diff_only", self.diff_only)),
        )
        if not page.complete and self._building is None:
            # The first page came straight from the store; build the cache for the rest now
            # (not earlier: the build would compete with that first page for the CPU).
            self._building = self._refreshing = self.cache.refresh_in_background()
            self._last_refresh = time.monotonic()
        return protocol.Reply(
            fields={
                "total": page.total,
                "columns": page.columns,
                "hidden": page.hidden,
                "version": page.version,
                "complete": page.complete,
                "offset": int(req.get("offset", 0)),
            },
            tables={"rows": page.rows},
        )

    def _req_poll(self, req: dict):
        """Cheap: compare the store's change token; rebuild the cache in the background."""
        busy = self._refreshing is not None and self._refreshing.is_alive()
        # While runs write, the token moves every second: rebuild at most every few build times.
        spaced = time.monotonic() - self._last_refresh > max(MIN_REFRESH_S, 4 * self.cache.build_seconds)
        if not busy and spaced and self.cache.stale():
            self._last_refresh = time.monotonic()
            self._refreshing = self.cache.refresh_in_background()
        return {"version": self.cache.version}

    def _req_compare(self, req: dict):
        from .comparison import compare_payload

        ids = [str(i) for i in (req.get("ids") or self.selected)]
        return compare_payload(self.store, ids)

    def _req_diff(self, req: dict):
        from .comparison import diff_payload

        ids = [str(i) for i in (req.get("ids") or self.selected)]
        if len(ids) != 2:
            raise protocol.RequestError("nbtrack: select exactly two runs to diff them")
        return diff_payload(self.store, ids[0], ids[1])

    # -- Python side ---------------------------------------------------------------------------

    def page(self, offset: int = 0, limit: int | None = None):
        """The rows the table shows now (a pandas DataFrame), e.g. to check a filter."""
        rows = self.cache.page(
            filters=self.filters,
            search=self.search,
            sort=[(s["column"], s["dir"]) for s in self.sort],
            offset=offset,
            limit=limit or self.page_size,
        )
        return rows.rows.to_pandas()

    def compare(self):
        """``nbtrack.compare`` for the selected rows."""
        from .comparison import compare

        return compare(self.selected)

    def __repr__(self) -> str:
        return f"<nbtrack.table: {len(self.selected)} selected, filters={self.filters!r}>"


def table(*conditions, **kwargs) -> RunTable:
    """The interactive run table: ``nbtrack.table('metrics.accuracy > 0.9', status='finished')``.

    Conditions are strings (``"params.model == 'rf'"``) or ``(column, op, value)`` tuples;
    keyword arguments are equality filters (``experiment="x"``, ``params__model="rf"``, a list
    means "one of"). ``where=`` takes conditions too (``nbtrack.table(where="metrics.acc > 0.9")``).
    Also ``search=``, ``sort="-metrics.accuracy"``, ``store=``, ``page_size=``.
    """
    try:
        return RunTable(*conditions, **kwargs)
    except FilterError as exc:
        raise ValueError(str(exc)) from None
