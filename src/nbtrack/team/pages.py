"""A page of team runs picked by Postgres itself. DuckDB over the attached tables scans every
run (and every metric a sort names) to keep 50 of them: 0.7-1.3 s at 100,000 runs, where the
same page as one SQL query run by Postgres takes 0.06 s.

So ``read`` with a limit asks here first (``Source.read_page``): the spec is checked by the read
model (same sort grammar, same filter errors, word for word), compiled to Postgres SQL (run
columns as fixed expressions, params./metrics. keys and every value as bound parameters: no
user text in the SQL), Postgres returns the page's run ids in order (and the count), and the
read model then reads exactly those runs from the attached tables (DuckDB pushes
``run_id IN (...)`` down to Postgres), so columns, types and decoding are the read model's own;
the result's ``kinds`` hold the catalog as far as the spec names it. A spec this module does
not translate (a sort on tags, the ``sweep_id``/``trial``/stale columns, a non-ASCII word under
``lower()``, a time with a zone) returns None: the read model's DuckDB path reads it, as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from ..errors import UntranslatedSpec as Untranslated

# The filter grammar's own parsing and value checks (one grammar; only the SQL differs here).
from ..store.filters import MAX_FILTERS, FilterError, _as_triple, _check_column, _list, _scalar, filter_columns
from ..store.runs_view import (
    COLUMN_KINDS,
    COMPUTED,
    DERIVED,
    SEARCH_COLUMNS,
    RunSpec,
    RunsResult,
    Source,
    conditions,
    param_kind,
    parse_sort,
    read,
)

# Catalog columns as Postgres expressions over nbtrack.runs r (trusted text): the read model's
# stored run columns as they are (tags, derived and computed columns have their own SQL below).
_RUN_SQL = {c: f"r.{c}" for c in COLUMN_KINDS if c not in DERIVED and c not in COMPUTED and c != "tags"}
# The team view puts the pushing user into the context (source._VIEWS); the same here.
_RUN_SQL["user"] = "(CASE WHEN r.user_name IS NOT NULL THEN r.user_name ELSE r.context::jsonb ->> 'user' END)"
# Tags are JSON text; anything but an array reads as NULL (DuckDB's from_json does the same).
_TAGS = "(CASE WHEN jsonb_typeof(r.tags::jsonb) = 'array' THEN r.tags::jsonb END)"
_ARRAY_TYPES = {"number": "float8[]", "text": "text[]", "time": "timestamp[]", "bool": "boolean[]"}


def catalog(pg) -> dict[str, str]:
    """``runs_view.column_kinds`` computed by Postgres: run columns, params.<key>, metrics.<key>."""
    out = dict(COLUMN_KINDS)
    kinds: dict[str, set[str]] = {}
    # Pairs, grouped here: array_agg(DISTINCT kind) per key took 4x longer in Postgres.
    for key, kind in pg.execute(
        'SELECT key, kind FROM nbtrack.params GROUP BY key, kind ORDER BY key COLLATE "C"'
    ).fetchall():
        kinds.setdefault(key, set()).add(kind)
    for key, found in kinds.items():
        out[f"params.{key}"] = param_kind(found)
    for (key,) in pg.execute('SELECT key FROM nbtrack.metrics GROUP BY key ORDER BY key COLLATE "C"').fetchall():
        out[f"metrics.{key}"] = "number"
    return out


def named_kinds(pg, names: set[str]) -> dict[str, str]:
    """The catalog entries of these params./metrics. names only (those that exist): one scan
    of params for all named keys, a first-match probe per metric key. The whole catalog (a
    GROUP BY over every param and metric row) was most of a filtered page's time."""
    out: dict[str, str] = {}
    params = sorted(n[len("params.") :] for n in names if n.startswith("params."))
    metrics = sorted(n[len("metrics.") :] for n in names if n.startswith("metrics."))
    if params:
        found: dict[str, set[str]] = {}
        for key, kind in pg.execute(
            "SELECT key, kind FROM nbtrack.params WHERE key = ANY(%s::text[]) GROUP BY key, kind", [params]
        ).fetchall():
            found.setdefault(key, set()).add(kind)
        out.update({f"params.{k}": param_kind(v) for k, v in found.items()})
    if metrics:
        for (key,) in pg.execute(
            "SELECT k FROM unnest(%s::text[]) k WHERE EXISTS (SELECT 1 FROM nbtrack.metrics m WHERE m.key = k)",
            [metrics],
        ).fetchall():
            out[f"metrics.{key}"] = "number"
    return out


def _mentioned(spec: RunSpec) -> set[str]:
    """The params./metrics. names the filters and the sort seem to name. Loosely: a name missed
    here only sends the check to the whole catalog, and the read model's parsers raise errors."""
    try:
        names = set(filter_columns(spec.filters))
    except FilterError:
        names = set()
    sort = spec.sort
    items = sort.split(",") if isinstance(sort, str) else [sort] if isinstance(sort, (dict, tuple)) else sort
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            item = item.get("column")
        elif isinstance(item, (list, tuple)) and item:
            item = item[0]
        if isinstance(item, str):
            names.add(item.strip().lstrip("-+"))
    return {n for n in names if n.startswith(("params.", "metrics."))}


def spec_kinds(pg, spec: RunSpec) -> tuple[dict[str, str], list[tuple[str, bool]]]:
    """The parsed sort and the catalog as far as the spec names it, then the spec checked by
    the read model itself. A spec that does not check against that part is checked against the
    whole catalog, as ``runs_view.run_query`` does, so a bad spec raises the same
    ``FilterError`` word for word (its did-you-mean hints come from every column)."""
    kinds = dict(COLUMN_KINDS)
    mentioned = _mentioned(spec)
    if mentioned:
        kinds.update(named_kinds(pg, mentioned))
    try:
        sort = parse_sort(spec.sort, kinds)
        conditions(spec, kinds)
    except FilterError:
        kinds = catalog(pg)
        sort = parse_sort(spec.sort, kinds)
        conditions(spec, kinds)
    return kinds, sort


class PageSQL:
    """Postgres SQL for the runs of a spec in its order. ``joins`` bring the params./metrics.
    columns that filters and the sort name (one aggregate per key, key bound)."""

    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds
        self.joins: list[str] = []
        self.join_args: list[Any] = []
        self._columns: dict[str, str] = {}

    def column(self, name: str) -> str:
        if name in _RUN_SQL:
            return _RUN_SQL[name]
        if name in self._columns:
            return self._columns[name]
        alias = f"j{len(self.joins)}"
        if name.startswith("metrics."):
            value, table, key = "max(value)", "metrics", name[len("metrics.") :]
        elif name.startswith("params."):
            table, key = "params", name[len("params.") :]
            kind = self.kinds[name]
            value = {
                "number": "max(num)",
                "bool": "(max(num) <> 0)",
            }.get(kind, "max(CASE WHEN kind = 'none' THEN NULL ELSE text END COLLATE \"C\")")
        else:
            raise Untranslated(name)  # sweep_id, trial, stale, stale_reason
        self.joins.append(
            f" LEFT JOIN (SELECT run_id, {value} AS v FROM nbtrack.{table} WHERE key = %s GROUP BY run_id) "
            f"{alias} ON {alias}.run_id = r.run_id"
        )
        self.join_args.append(key)
        self._columns[name] = f"{alias}.v"
        return self._columns[name]

    def _sortable(self, name: str) -> str:
        expr = self.column(name)
        return f'{expr} COLLATE "C"' if self.kinds[name] == "text" else expr

    # -- conditions (the read model's conditions(), for Postgres) -----------------------------

    def where(self, spec: RunSpec) -> tuple[str, list]:
        conds: list[str] = []
        args: list[Any] = []
        if spec.notebooks is not None:
            conds.append("r.notebook = ANY(%s::text[])")
            args.append([str(n) for n in spec.notebooks])
        for col in ("notebook", "experiment", "cell_id"):
            value = getattr(spec, col)
            if value is not None:
                if not isinstance(value, str):
                    raise Untranslated(col)
                conds.append(f"r.{col} = %s")
                args.append(value)
        if spec.status is not None:
            conds.append("r.status = ANY(%s::text[])")
            args.append([spec.status] if isinstance(spec.status, str) else list(spec.status))
        if spec.run_ids is not None:
            conds.append("r.run_id = ANY(%s::text[])")
            args.append([str(r) for r in spec.run_ids])
        for word in (spec.search or "").split()[:20]:
            ors = []
            for col, kind in SEARCH_COLUMNS.items():
                text = (
                    f"array_to_string(ARRAY(SELECT jsonb_array_elements_text({_TAGS})), chr(31))"
                    if kind == "list"
                    else f"CAST({self.column(col)} AS text)"
                )
                ors.append(f"coalesce(strpos(lower({text}), lower(%s)) > 0, false)")
                args.append(_ascii(word))
            conds.append("(" + " OR ".join(ors) + ")")
        for f in list(spec.filters or [])[:MAX_FILTERS]:
            col, op, value = _as_triple(f)
            col = _check_column(col, self.kinds)
            sql, a = self._filter(col, op, value, self.kinds[col])
            conds.append(f"({sql})")
            args.extend(a)
        return (" WHERE " + " AND ".join(conds)) if conds else "", args

    def _filter(self, col: str, op: str, value: Any, kind: str) -> tuple[str, list]:
        """``filters._compile_one`` for Postgres (the read model already checked the filter)."""
        if kind == "list":
            if col != "tags":
                raise Untranslated(col)
            if op == "is null":
                return f"{_TAGS} IS NULL OR jsonb_array_length({_TAGS}) = 0", []
            if op == "is not null":
                return f"jsonb_array_length({_TAGS}) > 0", []
            if op in ("==", "contains"):
                return f"jsonb_exists({_TAGS}, %s)", [_scalar(col, "text", value)]
            if op in ("!=", "not contains"):
                return f"NOT coalesce(jsonb_exists({_TAGS}, %s), false)", [_scalar(col, "text", value)]
            if op in ("in", "not in"):
                sql = f"jsonb_exists_any({_TAGS}, %s::text[])"
                return (sql if op == "in" else f"NOT coalesce({sql}, false)"), [_list(col, value, "text")]
            raise Untranslated(op)
        expr = self.column(col)
        if op == "is null":
            return f"{expr} IS NULL", []
        if op == "is not null":
            return f"{expr} IS NOT NULL", []
        if op in ("contains", "not contains", "startswith"):
            text = _ascii(_scalar(col, "text", value))
            if op == "startswith":
                return f"starts_with(lower({expr}), lower(%s))", [text]
            sql = f"strpos(lower({expr}), lower(%s)) > 0"
            return (sql if op == "contains" else f"NOT coalesce({sql}, false)"), [text]
        if op in ("in", "not in"):
            values = [_value(kind, v) for v in _list(col, value, kind)]
            sql = f"{expr} = ANY(%s::{_ARRAY_TYPES[kind]})"
            return (sql if op == "in" else f"NOT coalesce({sql}, false)"), [values]
        sql_op = {"==": "=", "!=": "IS DISTINCT FROM"}.get(op, op)
        if sql_op not in ("=", "IS DISTINCT FROM", ">", ">=", "<", "<="):
            raise Untranslated(op)
        left = f'{expr} COLLATE "C"' if kind == "text" else expr
        return f"{left} {sql_op} %s", [_value(kind, _scalar(col, kind, value))]

    def order(self, sort: list[tuple[str, bool]]) -> str:
        """``runs_view.order_sql`` for Postgres: text in byte order (as DuckDB sorts it)."""
        parts = []
        for col, desc in sort:
            if self.kinds[col] == "list":
                raise Untranslated(col)
            parts.append(f"{self._sortable(col)} {'DESC' if desc else 'ASC'} NULLS LAST")
        if not any(c == "run_id" for c, _ in sort):
            parts.append('r.run_id COLLATE "C" DESC')
        return ", ".join(parts)


def _ascii(text: str) -> str:
    # lower() in Postgres follows the database's locale, DuckDB's is Unicode: same only for ASCII.
    if not text.isascii():
        raise Untranslated("non-ASCII text under lower()")
    return text


def _value(kind: str, value: Any) -> Any:
    if kind == "number":
        return float(value)
    if kind == "time" and isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise Untranslated("a time with a zone")  # DuckDB and Postgres convert it differently
    return value


def pick(pg, spec: RunSpec, limit: int, offset: int, count: bool) -> tuple[list[str], int | None, dict[str, str]]:
    """The page's run ids in order, the number of matching runs (``count``) and the catalog
    the read model would report, all computed by Postgres. Raises ``Untranslated``."""
    kinds, sort = spec_kinds(pg, spec)
    q = PageSQL(kinds)
    where, where_args = q.where(spec)
    order = q.order(sort)
    joins = "".join(q.joins)
    ids = [
        r[0]
        for r in pg.execute(
            f"SELECT r.run_id FROM nbtrack.runs r{joins}{where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*q.join_args, *where_args, max(0, int(limit)), max(0, int(offset))],
        ).fetchall()
    ]
    total = None
    if count:
        total = pg.execute(
            f"SELECT count(*) FROM nbtrack.runs r{joins}{where}", [*q.join_args, *where_args]
        ).fetchone()[0]
    return ids, total, kinds


def page_source(con, ids: list[str]) -> Source:
    """Those runs' rows (runs, params, metrics: the team views) as Arrow tables registered on
    a cursor of ``con`` (its own registrations; no new database), as a source of the read
    model. ``run_id IN (?, ...)`` is pushed down to Postgres."""
    from contextlib import contextmanager

    page = con.cursor()
    marks = ", ".join("?" * len(ids))
    for name in ("runs", "params", "metrics"):
        sql = f"SELECT * FROM {name} WHERE run_id IN ({marks})" if ids else f"SELECT * FROM {name} LIMIT 0"
        page.register(f"page_{name}", con.execute(sql, ids).fetch_arrow_table())

    @contextmanager
    def snapshot(*args, **kwargs):
        yield page

    return Source(
        snapshot=snapshot,
        token=lambda: "",
        key="team-page",
        scope="team",
        runs="page_runs",
        params="page_params",
        metrics="page_metrics",
    )


def in_order(result: RunsResult, ids: list[str], total: int | None, kinds: dict[str, str]) -> RunsResult:
    """The page read by the read model, back in Postgres's order (a run deleted in between is
    left out)."""
    at = {r: i for i, r in enumerate(result.table.column("run_id").to_pylist())}
    rows = [at[r] for r in ids if r in at]
    return RunsResult(
        result.table.take(pa.array(rows, pa.int64())),
        total,
        kinds,
        {k: v[rows] for k, v in result.decoded.items()},
        result.nested,
        result.problems,
    )


def read_page(
    pg, con, spec: RunSpec, *, limit: int, offset: int = 0, count: bool = False, **read_args
) -> RunsResult | None:
    """``runs_view.read`` of one page, picked by Postgres (``pg``: psycopg; ``con``: the team
    DuckDB connection); None when the spec is not translated."""
    try:
        ids, total, kinds = pick(pg, spec, limit, offset, count)
    except Untranslated:
        return None
    result = read(page_source(con, ids), RunSpec(run_ids=ids), **read_args)
    return in_order(result, ids, total, kinds)
