"""The read model: the one way runs are listed, filtered, searched, sorted, paged and their
values decoded, for every reader: ``nbtrack.runs()`` (``query.runs_frame``), the table widget's
cache (``table.RunsCache``), the server's ``GET runs`` (``api_queries.list_runs``), the CLI,
compare and diff. So a word, a filter or a sort means the same rows everywhere.

- the catalog: ``COLUMN_KINDS`` (run columns, derived ``user``/``sweep_id``/``trial``, computed
  ``stale``/``stale_reason``) plus the store's ``params.<key>``/``metrics.<key>``
  (``column_kinds``); ``metrics.sys.*`` are the cell's cost (cpu, memory);
- the grammar: ``conditions`` (scope, free text over ``SEARCH_COLUMNS``, ``filters`` from
  ``filters.compile_filters``) and ``parse_sort``/``order_sql``;
- the source: ``Source`` names a connection provider and its relations (``local_source`` is the
  store folder; a team store plugs in as another ``Source``);
- reading: ``read`` -> ``RunsResult`` (Arrow; ``to_pandas`` for ``runs()``), ``decode_param``
  (the one param decoding), ``for_display``/``display_sql`` (what the browser gets).
"""

from __future__ import annotations

import json
import math
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pyarrow as pa

from .filters import FilterError, compile_filters, filter_columns, quote_ident, search_clause

# Every run column a reader may list, filter or sort on, with its kind (filters.KINDS).
COLUMN_KINDS: dict[str, str] = {
    "run_id": "text",
    "name": "text",
    "experiment": "text",
    "notebook": "text",
    "cell_id": "text",
    "status": "text",
    "started_at": "time",
    "ended_at": "time",
    "duration_s": "number",
    "tags": "list",
    "execution_count": "number",
    "error_type": "text",
    "error_message": "text",
    "host": "text",
    # derived from the run's context (see DERIVED)
    "user": "text",
    "sweep_id": "text",
    "trial": "number",
    # computed when runs are read, from the execution log (repro.stale_flags; see COMPUTED)
    "stale": "bool",
    "stale_reason": "text",
}

# Catalog columns that are SQL over the stored run ``r`` (trusted text, no user input).
DERIVED: dict[str, str] = {
    "user": "json_extract_string(r.context, '$.user')",
    "sweep_id": "json_extract_string(r.context, '$.sweep_id')",
    "trial": "TRY_CAST(json_extract_string(r.context, '$.trial') AS BIGINT)",
}

# Catalog columns a source computes when runs are read (never when cells run).
COMPUTED = ("stale", "stale_reason")

# The leading columns of ``nbtrack.runs()`` (then params.<key>, then metrics.<key>).
RUN_COLUMNS = [
    "run_id",
    "name",
    "experiment",
    "notebook",
    "cell_id",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "tags",
]

# The leading columns of the run table widget, in this order (then params.*, metrics.*).
TABLE_COLUMNS = ["run_id", "status", "name", "experiment", "notebook", "started_at", "duration_s", "tags"]

# Free text: every whitespace-separated word must occur (case-insensitively) in one of these.
# The table and the sidebar search the same columns (the sidebar also searched the source,
# which the table does not hold: a word then found a run in one and not the other).
SEARCH_COLUMNS: dict[str, str] = {
    c: COLUMN_KINDS[c] for c in ("name", "run_id", "tags", "experiment", "notebook", "status")
}

STATUSES = ("running", "finished", "failed", "interrupted", "crashed")

MAX_SORT_KEYS = 5


def param_kind(kinds: Iterable[str]) -> str:
    """The column kind of a param key from the value kinds stored for it."""
    kinds = set(kinds)
    if kinds == {"bool"}:
        return "bool"
    return "number" if kinds <= {"int", "float", "bool"} else "text"


def parse_sort(sort: Any, kinds: dict[str, str]) -> list[tuple[str, bool]]:
    """The one sort grammar: ``"-metrics.acc"`` / ``"name"``, ``("name", "desc")``,
    ``{"column": "name", "dir": "desc"}``, or a list of those (first key first); a string
    may also hold several keys separated by commas. Returns ``[(column, descending), ...]``;
    ``[]`` means the default order (newest first). Raises ``FilterError``."""
    if sort is None or sort == "" or sort == []:
        return []
    if isinstance(sort, str):
        items: list = [s.strip() for s in sort.split(",") if s.strip()]
    elif isinstance(sort, dict) or (
        isinstance(sort, tuple)
        and len(sort) == 2
        and all(isinstance(x, str) for x in sort)
        and str(sort[1]).lower() in ("asc", "desc")
    ):
        items = [sort]
    else:
        try:
            items = list(sort)
        except TypeError:
            raise FilterError(
                "nbtrack: sort by a column name ('-name' for descending) or (column, 'asc'|'desc')"
            ) from None
    out = []
    for item in items[:MAX_SORT_KEYS]:
        if isinstance(item, dict):
            col, direction = item.get("column"), item.get("dir", "asc")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            col, direction = item
        elif isinstance(item, str):
            col, direction = (item[1:], "desc") if item.startswith("-") else (item.lstrip("+"), "asc")
        else:
            raise FilterError("nbtrack: sort by (column, 'asc'|'desc')")
        direction = str(direction).lower()
        if direction not in ("asc", "desc"):
            raise FilterError(f"nbtrack: sort direction is 'asc' or 'desc', not {direction[:10]!r}")
        if not isinstance(col, str) or col not in kinds:
            import difflib

            close = difflib.get_close_matches(str(col), list(kinds), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise FilterError(
                f"nbtrack: cannot sort by {str(col)[:80]!r}; use a run column, params.<key> or "
                f"metrics.<key>, with a leading '-' for descending.{hint}"
            )
        out.append((col, direction == "desc"))
    return out


def order_sql(sort: list[tuple[str, bool]], quote) -> str:
    """ORDER BY text for parsed sort keys (names already checked, quoted here); ties go
    newest first."""
    parts = [f"{quote(c)} {'DESC' if d else 'ASC'} NULLS LAST" for c, d in sort]
    if not any(c == "run_id" for c, _ in sort):
        parts.append("run_id DESC")
    return ", ".join(parts)


# -- where runs come from: a source ----------------------------------------------------------


@dataclass
class Source:
    """Where the read model reads runs. ``snapshot()`` yields a DuckDB connection on which the
    relations named by ``runs``/``params``/``metrics`` have the local store's columns (the
    local store's views; a team store would name the tables of an attached catalog, e.g.
    ``team.runs``; these names are configuration, never user text). ``token()`` changes when
    the runs may have; ``stale_flags(ids)`` (optional) says which runs are stale and why;
    ``read_page(spec, limit=, offset=, ...)`` (optional) reads a page (``read`` with a limit)
    in the source's own database, or returns None to leave it to ``read`` (the team store:
    Postgres picks and orders the page)."""

    snapshot: Callable[[], AbstractContextManager]
    token: Callable[[], str]
    key: str
    scope: str = "local"
    runs: str = "runs"
    params: str = "params"
    metrics: str = "metrics"
    stale_flags: Callable[[list[str]], dict[str, str]] | None = None
    read_page: Callable[..., RunsResult | None] | None = None


def local_source(store) -> Source:
    """The store folder of this machine (file plus spool, this process's pending rows)."""
    from .query import change_token

    def stale(ids: list[str]) -> dict[str, str]:
        if not any((store.dir / "execlog").glob("*.jsonl")):  # scripts keep no log: no cost
            return {}
        from ..repro import stale_flags

        return stale_flags(store, ids)

    return Source(
        snapshot=store.snapshot, token=lambda: change_token(store), key=f"local:{store.dir}", stale_flags=stale
    )


def as_source(store_or_source) -> Source:
    if isinstance(store_or_source, Source):
        return store_or_source
    own = getattr(store_or_source, "source", None)  # a store that is its own source (team.source)
    return own if isinstance(own, Source) else local_source(store_or_source)


# -- what to read: a scope, free text, filters and a sort ------------------------------------


@dataclass
class RunSpec:
    experiment: str | None = None
    notebook: str | None = None
    notebooks: Iterable[str] | None = None
    status: str | Iterable[str] | None = None
    cell_id: str | None = None
    run_ids: Iterable[str] | None = None
    search: str | None = None
    filters: Iterable[Any] | None = None
    sort: Any = None

    def scoped(self) -> bool:
        return any(
            v is not None
            for v in (self.experiment, self.notebook, self.notebooks, self.status, self.cell_id, self.run_ids)
        )


def column_kinds(con, source: Source | None = None) -> dict[str, str]:
    """The catalog: every column a filter or sort may name, with its kind: the run columns,
    then ``params.<key>`` and ``metrics.<key>`` (``metrics.sys.*``: the cell's cost) of the
    source (one snapshot connection ``con``)."""
    rel = source or _LOCAL_NAMES
    out = dict(COLUMN_KINDS)
    params = con.execute(f"SELECT key, list(DISTINCT kind) FROM {rel.params} GROUP BY key ORDER BY key").fetchall()
    metrics = con.execute(f"SELECT DISTINCT key FROM {rel.metrics} ORDER BY key").fetchall()
    for key, kinds in params:
        out[f"params.{key}"] = param_kind(kinds)
    for (key,) in metrics:
        out[f"metrics.{key}"] = "number"
    return out


def conditions(spec: RunSpec, kinds: dict[str, str]) -> tuple[list[str], list]:
    """SQL conditions (joined with AND by the caller) and their bound values for a spec, over
    a relation whose columns carry the catalog's names. The one place scope, free text and
    filters become SQL: the store query and the table's cache both use it."""
    conds: list[str] = []
    args: list[Any] = []
    if spec.notebooks is not None:
        conds.append("list_contains(?, notebook)")
        args.append([str(n) for n in spec.notebooks])
    for col in ("notebook", "experiment", "cell_id"):
        value = getattr(spec, col)
        if value is not None:
            conds.append(f"{col} = ?")
            args.append(value)
    if spec.status is not None:
        statuses = [spec.status] if isinstance(spec.status, str) else list(spec.status)
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise FilterError(f"nbtrack: unknown status {bad[0]!r}; use one of {', '.join(STATUSES)}.")
        conds.append("list_contains(?, status)")
        args.append(statuses)
    if spec.run_ids is not None:
        conds.append("list_contains(?, run_id)")
        args.append([str(r) for r in spec.run_ids])
    text_sql, text_args = search_clause(spec.search, SEARCH_COLUMNS) if spec.search else ("", [])
    if text_sql:
        conds.append(f"({text_sql})")
        args.extend(text_args)
    filters = list(spec.filters or [])
    filter_sql, filter_args = compile_filters(filters, kinds) if filters else ("", [])
    if filter_sql:
        conds.append(f"({filter_sql})")
        args.extend(filter_args)
    return conds, args


def where_sql(conds: list[str]) -> str:
    return (" WHERE " + " AND ".join(conds)) if conds else ""


@dataclass
class RunQuery:
    """``SELECT ... FROM ({relation}) w{where} ORDER BY {order}`` with ``args`` bound in that
    order: ``relation`` is the runs relation plus the derived columns and the params./metrics.
    columns the filters and the sort need (checked names, quoted; keys bound as parameters)."""

    relation: str
    where: str
    order: str
    args: list
    sort: list[tuple[str, bool]]
    kinds: dict[str, str]


def _needed_column(name: str, kind: str, rel) -> tuple[str, list]:
    """SQL for a params./metrics. column of the run ``r``, with its parameters."""
    if name.startswith("metrics."):
        return (
            f"(SELECT max(m.value) FROM {rel.metrics} m WHERE m.run_id = r.run_id AND m.key = ?)",
            [name[len("metrics.") :]],
        )
    field = "p.num" if kind in ("number", "bool") else "CASE WHEN p.kind = 'none' THEN NULL ELSE p.text END"
    sql = f"(SELECT max({field}) FROM {rel.params} p WHERE p.run_id = r.run_id AND p.key = ?)"
    return (f"({sql} <> 0)" if kind == "bool" else sql), [name[len("params.") :]]


STALE_TABLE = "__nbtrack_stale"  # (run_id, stale, stale_reason), registered when a query needs it


def run_query(
    con, spec: RunSpec, source: Source | None = None, extra_select: str = "", stale: bool = False
) -> RunQuery:
    """The runs matching ``spec`` in its order (default newest first). ``stale``: a table
    ``STALE_TABLE`` is registered on ``con`` and joins in. Raises ``FilterError``."""
    rel = source or _LOCAL_NAMES
    filters = list(spec.filters or [])
    kinds = dict(COLUMN_KINDS)
    try:
        sort_keys = parse_sort(spec.sort, kinds)  # run columns only: no store read needed
    except FilterError:
        sort_keys = None
    if filters or sort_keys is None:
        kinds = column_kinds(con, source)
        if sort_keys is None:
            sort_keys = parse_sort(spec.sort, kinds)
    conds, args = conditions(spec, kinds)
    needed = {c for c, _ in sort_keys} | set(filter_columns(filters))
    extra_sql, extra_args = [], []
    for name in sorted(c for c in needed if c.startswith(("params.", "metrics."))):
        sql, a = _needed_column(name, kinds[name], rel)
        extra_sql.append(f"{sql} AS {quote_ident(name)}")
        extra_args.extend(a)
    derived = [f"{expr} AS {name}" for name, expr in DERIVED.items()]
    joins = ""
    if stale:
        derived += ["coalesce(st.stale, false) AS stale", "st.stale_reason"]
        joins = f" LEFT JOIN {STALE_TABLE} st USING (run_id)"
    relation = (
        "SELECT r.*, "
        + ", ".join(derived)
        + (", " + extra_select if extra_select else "")
        + "".join(", " + s for s in extra_sql)
        + f" FROM {rel.runs} r{joins}"
    )
    return RunQuery(relation, where_sql(conds), order_sql(sort_keys, quote_ident), extra_args + args, sort_keys, kinds)


def needs_stale(spec: RunSpec) -> bool:
    """Whether a filter or the sort names ``stale``/``stale_reason`` (then the flags of every
    run in scope are computed before the query; otherwise only those of the rows returned)."""
    cols = set(filter_columns(spec.filters))
    try:
        cols |= {c for c, _ in parse_sort(spec.sort, COLUMN_KINDS)}
    except FilterError:
        pass
    return bool(cols & set(COMPUTED))


# -- one value decoding ----------------------------------------------------------------------


def decode_param(kind: str, num: float | None, text: str | None) -> Any:
    """A param's Python value from its stored (kind, num, text)."""
    if kind == "int":
        if text is not None:
            try:
                return int(text)  # exact, also beyond 2**53 where the float column rounds
            except ValueError:
                pass
        return int(num) if num is not None and math.isfinite(num) else num
    if kind == "float":
        return num
    if kind == "str" or text is None:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


# -- reading: the one path from a source to rows ---------------------------------------------


@dataclass
class RunsResult:
    """Rows of runs as Arrow, in order: the ``lead`` columns, then ``params.*`` and
    ``metrics.*`` of the keys these runs have, then ``stale``/``stale_reason`` (when the source
    has flags). ``decoded``: Python values of the params whose stored kinds are mixed or JSON
    (their Arrow column holds the text). ``total``: matching runs before limit/offset (when
    counted). ``problems``: what this read could not include, in words."""

    table: pa.Table
    total: int | None
    kinds: dict[str, str]
    decoded: dict[str, np.ndarray] = field(default_factory=dict)
    nested: dict[str, tuple[dict, dict]] | None = None
    problems: list[str] = field(default_factory=list)

    def to_pandas(self):
        """The runs as a DataFrame (``nbtrack.runs()``): tags as lists, params as Python
        values (JSON decoded), metrics as floats."""
        import pandas as pd

        table = self.table
        tags = table.column("tags").to_pylist() if "tags" in table.column_names else None
        if tags is not None:
            table = table.drop_columns(["tags"])
        frame = table.to_pandas()
        if tags is not None:
            frame.insert(self.table.column_names.index("tags"), "tags", [t if t is not None else [] for t in tags])
        for col, values in self.decoded.items():
            frame[col] = pd.Series(values, index=frame.index, dtype=object)
        return frame


def read(
    source,
    spec: RunSpec | None = None,
    *,
    lead: list[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
    count: bool = False,
    wide: bool = True,
    nested: bool = False,
    extra_select: str = "",
    flags: bool = True,
) -> RunsResult:
    """The runs matching ``spec`` (any source): one query picks and orders the run ids, a
    second brings their columns (params and metrics scattered into columns by key, no PIVOT),
    then the stale flags are added. ``wide``: params.*/metrics.* columns; ``nested``: also
    each run's params/metrics as dicts (``RunsResult.nested``); ``flags``: the stale columns
    (computed anyway when a filter or the sort needs them). Raises ``FilterError``."""
    source = as_source(source)
    spec = spec or RunSpec()
    if limit is not None and source.read_page is not None:
        # The source pages in its own database (the team store: Postgres), or says None.
        page = source.read_page(
            spec,
            lead=lead,
            limit=limit,
            offset=offset,
            count=count,
            wide=wide,
            nested=nested,
            extra_select=extra_select,
            flags=flags,
        )
        if page is not None:
            return page
    lead = list(lead or RUN_COLUMNS)
    problems: list[str] = []
    want_flags = flags
    stale_by_id: dict[str, str] | None = None  # every run's flags, when a filter or the sort needs them
    with_stale = source.stale_flags is not None and (want_flags or needs_stale(spec))
    if with_stale and needs_stale(spec):
        with source.snapshot() as con:
            every = [r[0] for r in con.execute(f"SELECT run_id FROM {source.runs}").fetchall()]
        stale_by_id = _flags(source, every, problems)
    with source.snapshot() as con:
        if stale_by_id is not None:
            con.register(STALE_TABLE, _stale_table(stale_by_id))
        try:
            rq = run_query(con, spec, source, extra_select=extra_select, stale=stale_by_id is not None)
            args = list(rq.args)
            page = ""
            if limit is not None:
                page = " LIMIT ? OFFSET ?"
                args += [max(0, int(limit)), max(0, int(offset))]
            elif offset:
                page = " OFFSET ?"
                args.append(max(0, int(offset)))
            sel_cols = ", ".join(quote_ident(c) for c in lead if c not in COMPUTED or stale_by_id is not None)
            base = con.execute(
                f"SELECT {sel_cols} FROM ({rq.relation}) w{rq.where} ORDER BY {rq.order}{page}", args
            ).fetch_arrow_table()
            total = None
            if count:
                if limit is None and not offset:
                    total = base.num_rows
                else:
                    total = con.execute(f"SELECT count(*) FROM ({rq.relation}) w{rq.where}", rq.args).fetchall()[0][0]
        finally:
            if stale_by_id is not None:
                con.unregister(STALE_TABLE)
        columns: dict[str, Any] = {}
        decoded: dict[str, Any] = {}
        nested_values = None
        if (wide or nested) and base.num_rows:
            sel = pa.table({"run_id": base.column("run_id"), "idx": pa.array(np.arange(base.num_rows), pa.int64())})
            con.register("__nbtrack_sel", sel)
            try:
                # Only what the columns need: a kind code, the text only where it is the
                # value, exact ints; grouped by key in DuckDB for many runs (no 1M key strings
                # into Python, no argsort: 100,000 runs x 10 params ~0.45 -> ~0.2 s here),
                # flat for few (the list() aggregate costs more than it saves below ~20,000).
                grouped = base.num_rows >= GROUP_IN_DUCKDB_FROM
                agg = (lambda e: f"list({e})") if grouped else (lambda e: e)
                tail = " GROUP BY key ORDER BY key" if grouped else ""
                cols = [
                    ("idx", "idx"),
                    ("num", "num"),
                    (_KIND_CODE_SQL, "kind"),
                    ("CASE WHEN kind NOT IN ('int', 'float', 'bool') THEN text END", "text"),
                    ("CASE WHEN kind = 'int' THEN TRY_CAST(text AS BIGINT) END", "inum"),
                ]
                params = con.execute(
                    f"SELECT key, {', '.join(f'{agg(e)} AS {n}' for e, n in cols)} "
                    f"FROM {source.params} JOIN __nbtrack_sel USING (run_id){tail}"
                ).fetch_arrow_table()
                metrics = con.execute(
                    f"SELECT key, {agg('idx')} AS idx, {agg('value')} AS num FROM {source.metrics} "
                    f"JOIN __nbtrack_sel USING (run_id){tail}"
                ).fetch_arrow_table()
            finally:
                con.unregister("__nbtrack_sel")
            if wide:
                columns, decoded = _param_columns(params, base.num_rows)
                columns.update(_metric_columns(metrics, base.num_rows))
            if nested:
                nested_values = _nested(base.column("run_id").to_pylist(), params, metrics)
    table = base
    if columns:  # one new table (append_column per key was quadratic: 10,000 keys took 9 s)
        table = pa.Table.from_arrays(base.columns + list(columns.values()), names=base.column_names + list(columns))
    if with_stale and not any(c in COMPUTED for c in table.column_names):
        import pyarrow.compute as pc

        ids = base.column("run_id").to_pylist()
        got = stale_by_id if stale_by_id is not None else (_flags(source, ids, problems) if ids else {})
        table = table.append_column(
            "stale", pc.is_in(base.column("run_id"), value_set=pa.array(list(got), pa.string())).fill_null(False)
        )
        table = table.append_column(
            "stale_reason", pa.array([got.get(r) for r in ids], pa.string()) if got else pa.nulls(len(ids), pa.string())
        )
    elif any(c in COMPUTED for c in table.column_names):  # asked for in the lead: move to the end
        table = table.select(
            [c for c in table.column_names if c not in COMPUTED] + [c for c in COMPUTED if c in table.column_names]
        )
    return RunsResult(table, total, rq.kinds, decoded, nested_values, problems)


def _flags(source: Source, ids: list[str], problems: list[str]) -> dict[str, str]:
    """Stale flags, or none with a warning: a damaged execution log must not cost the rows."""
    try:
        return source.stale_flags(ids) if source.stale_flags else {}
    except Exception as exc:
        import warnings

        msg = f"nbtrack: stale flags unavailable ({type(exc).__name__}: {exc})"
        problems.append(msg)
        from ..errors import IncompleteReadWarning

        warnings.warn(msg, IncompleteReadWarning, stacklevel=4)
        return {}


def _stale_table(flags: dict[str, str]) -> pa.Table:
    return pa.table(
        {
            "run_id": pa.array(list(flags), pa.string()),
            "stale": pa.array([True] * len(flags), pa.bool_()),
            "stale_reason": pa.array(list(flags.values()), pa.string()),
        }
    )


GROUP_IN_DUCKDB_FROM = 20_000  # runs


def _by_key(table: pa.Table, *names: str) -> tuple[list[str], np.ndarray, dict[str, pa.Array]]:
    """The values of ``table`` laid out key after key, in key order: (keys, bounds, columns);
    key ``keys[k]`` holds rows ``bounds[k]:bounds[k + 1]`` of every column. ``table`` is
    grouped by key in DuckDB (``list()`` columns: their flat values and offsets are exactly
    that) or flat (one row per value: one stable argsort of the key codes here)."""
    if table.num_rows == 0:
        return [], np.zeros(1, np.int64), {}
    if pa.types.is_list(table.schema.field(names[0]).type):
        cols = {n: table.column(n).combine_chunks() for n in names}
        bounds = cols[names[0]].offsets.to_numpy()
        return table.column("key").to_pylist(), bounds, {n: c.flatten() for n, c in cols.items()}
    enc = table.column("key").combine_chunks().dictionary_encode()
    names_of = enc.dictionary.to_pylist()
    by_name = sorted(range(len(names_of)), key=names_of.__getitem__)
    rank = np.empty(len(names_of), np.int64)
    rank[by_name] = np.arange(len(names_of))
    codes = rank[enc.indices.to_numpy()]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names_of) + 1))
    rows = pa.array(order)
    return ([names_of[k] for k in by_name], bounds, {n: table.column(n).combine_chunks().take(rows) for n in names})


def _scatter(n: int, idx: np.ndarray, values: np.ndarray, dtype) -> pa.Array:
    """A column of ``n`` rows holding ``values`` at rows ``idx``, null elsewhere."""
    col = np.zeros(n, dtype=dtype)
    col[idx] = values
    if len(idx) == n:
        return pa.array(col)
    mask = np.ones(n, dtype=bool)
    mask[idx] = False
    return pa.array(col, mask=mask)


# Stored param kinds as small codes (strings for 1M rows cost more than the values).
KIND_NAMES = ("int", "float", "bool", "str", "none", "json")
_KIND_CODE_SQL = (
    "CAST(CASE kind "
    + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KIND_NAMES))
    + f" ELSE {KIND_NAMES.index('json')} END AS TINYINT)"
)
_INT, _FLOAT, _BOOL, _STR, _NONE, _JSON = range(len(KIND_NAMES))


def _value_of(code: int, num, inum, text) -> Any:
    """``decode_param`` from the slim columns (int exact via ``inum``)."""
    if code == _INT:
        return inum if inum is not None else decode_param("int", num, None)
    if code == _FLOAT:
        return num
    if code == _BOOL:
        return None if num is None else bool(num)
    if code == _NONE:
        return None
    return decode_param(KIND_NAMES[code], num, text)


def _param_columns(table: pa.Table, n: int) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
    """params.<key> columns as Arrow: int64 (ints), float64 (numbers), bool, string (text and
    mixed kinds, as stored); mixed and JSON kinds also decoded to Python values. Numpy slices
    per key (10,000 keys in one run stay fast)."""
    columns: dict[str, pa.Array] = {}
    decoded: dict[str, np.ndarray] = {}
    keys, bounds, cols = _by_key(table, "idx", "num", "kind", "text", "inum")
    if not keys:
        return columns, decoded
    idx_all = cols["idx"].to_numpy()
    num_all = cols["num"].to_numpy(zero_copy_only=False)
    kind_all = cols["kind"].to_numpy()
    inum_null = cols["inum"].is_null().to_numpy(zero_copy_only=False)
    inum_all = cols["inum"].fill_null(0).to_numpy()
    for k, key in enumerate(keys):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        name = f"params.{key}"
        idx, kinds, num = idx_all[lo:hi], kind_all[lo:hi], num_all[lo:hi]
        first = kinds[0]
        present = {int(first)} if (kinds == first).all() else set(np.unique(kinds).tolist())
        if present == {_INT}:
            if not inum_null[lo:hi].any():  # exact (beyond 2**53 too); else the float
                columns[name] = _scatter(n, idx, inum_all[lo:hi], np.int64)
            else:
                columns[name] = _scatter(n, idx, num, np.float64)
        elif present <= {_INT, _FLOAT}:
            columns[name] = _scatter(n, idx, num, np.float64)
        elif present == {_BOOL}:
            columns[name] = _scatter(n, idx, num != 0, np.bool_)
        elif present == {_STR}:
            col = np.full(n, None, dtype=object)
            col[idx] = cols["text"].slice(lo, hi - lo).to_pylist()
            columns[name] = pa.array(col, pa.string())
        else:
            codes, texts = kinds.tolist(), cols["text"].slice(lo, hi - lo).to_pylist()
            inums = cols["inum"].slice(lo, hi - lo).to_pylist()
            values = [
                _value_of(c, x, i, t)
                for c, x, i, t in zip(codes, cols["num"].slice(lo, hi - lo).to_pylist(), inums, texts)
            ]
            col = np.full(n, None, dtype=object)
            col[idx] = values
            decoded[name] = col
            shown = np.full(n, None, dtype=object)  # what filters compare: the stored text
            shown[idx] = [
                None if v is None else t if c in (_STR, _JSON) else _text_of(v) for c, v, t in zip(codes, values, texts)
            ]
            columns[name] = pa.array(shown, pa.string())
    return columns, decoded


def _text_of(v: Any) -> str:
    """The stored text of a number or bool param (capture.values.param_kind's spelling)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def _metric_columns(table: pa.Table, n: int) -> dict[str, pa.Array]:
    keys, bounds, cols = _by_key(table, "idx", "num")
    if not keys:
        return {}
    idx_all = cols["idx"].to_numpy()
    num_all = cols["num"].to_numpy(zero_copy_only=False)
    return {
        f"metrics.{key}": _scatter(
            n, idx_all[bounds[k] : bounds[k + 1]], num_all[bounds[k] : bounds[k + 1]], np.float64
        )
        for k, key in enumerate(keys)
    }


def _nested(ids: list[str], params: pa.Table, metrics: pa.Table) -> dict[str, tuple[dict, dict]]:
    """run_id -> (params, metrics) dicts, keys in order (a page of runs for the server)."""
    out: dict[str, tuple[dict, dict]] = {r: ({}, {}) for r in ids}
    keys, bounds, cols = _by_key(params, "idx", "num", "kind", "text", "inum")
    if keys:
        p = {n: c.to_pylist() for n, c in cols.items()}
        for k, key in enumerate(keys):
            for j in range(int(bounds[k]), int(bounds[k + 1])):
                out[ids[p["idx"][j]]][0][key] = _value_of(p["kind"][j], p["num"][j], p["inum"][j], p["text"][j])
    keys, bounds, cols = _by_key(metrics, "idx", "num")
    if keys:
        m = {n: c.to_pylist() for n, c in cols.items()}
        for k, key in enumerate(keys):
            for j in range(int(bounds[k]), int(bounds[k + 1])):
                out[ids[m["idx"][j]]][1][key] = m["num"][j]
    return out


# -- for the browser -------------------------------------------------------------------------


def display_sql(col: str, kind: str) -> str:
    """A column cast for the browser: times as text, numbers as doubles (no BigInt in JS)."""
    q = quote_ident(col)
    if kind == "time":
        return f"strftime({q}, '%Y-%m-%d %H:%M:%S') AS {q}"
    if kind == "number":
        return f"CAST({q} AS DOUBLE) AS {q}"
    return q


def arrow_kind(t: pa.DataType) -> str:
    """The catalog kind of an Arrow column type."""
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return "number"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "time"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list"
    return "text"


def for_display(table: pa.Table) -> pa.Table:
    """``display_sql`` on an Arrow table, without another database: times as text, integers
    as doubles, large strings as strings."""
    import pyarrow.compute as pc

    cols = []
    for f in table.schema:
        col = table.column(f.name)
        if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_integer(f.type):
            col = col.cast(pa.float64())
        elif pa.types.is_large_string(f.type):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


@dataclass(frozen=True)
class _Names:
    runs: str = "runs"
    params: str = "params"
    metrics: str = "metrics"


_LOCAL_NAMES = _Names()
