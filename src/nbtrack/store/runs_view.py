"""The read model's vocabulary, defined once: the run columns and their kinds, the columns a
free-text search looks at, the statuses, and the sort grammar.

``query.runs_frame`` (``nbtrack.runs()``), the table widget's cache (``table.RunsCache``) and the
server's ``GET runs`` (``api_queries.list_runs``) all take their columns, search and sort from
here, and their filters from ``filters.compile_filters``; so a word or a sort means the same in
the table, the sidebar and ``runs()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .filters import FilterError

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
}

# The leading columns of ``nbtrack.runs()`` (then params.<key>, then metrics.<key>).
RUN_COLUMNS = ["run_id", "name", "experiment", "notebook", "cell_id", "status", "started_at",
               "ended_at", "duration_s", "tags"]

# The leading columns of the run table widget, in this order (then params.*, metrics.*).
TABLE_COLUMNS = ["run_id", "status", "name", "experiment", "notebook", "started_at", "duration_s",
                 "tags"]

# Free text: every whitespace-separated word must occur (case-insensitively) in one of these.
# The table and the sidebar search the same columns (the sidebar also searched the source,
# which the table does not hold: a word then found a run in one and not the other).
SEARCH_COLUMNS: dict[str, str] = {c: COLUMN_KINDS[c] for c in
                                  ("name", "run_id", "tags", "experiment", "notebook", "status")}

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
    elif isinstance(sort, dict) or (isinstance(sort, tuple) and len(sort) == 2
                                    and all(isinstance(x, str) for x in sort)
                                    and str(sort[1]).lower() in ("asc", "desc")):
        items = [sort]
    else:
        try:
            items = list(sort)
        except TypeError:
            raise FilterError("nbtrack: sort by a column name ('-name' for descending) or "
                              "(column, 'asc'|'desc')") from None
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
                f"metrics.<key>, with a leading '-' for descending.{hint}")
        out.append((col, direction == "desc"))
    return out


def order_sql(sort: list[tuple[str, bool]], quote) -> str:
    """ORDER BY text for parsed sort keys (names already checked, quoted here); ties go
    newest first."""
    parts = [f"{quote(c)} {'DESC' if d else 'ASC'} NULLS LAST" for c, d in sort]
    if not any(c == "run_id" for c, _ in sort):
        parts.append("run_id DESC")
    return ", ".join(parts)


# -- one query for "the runs matching these conditions, in this order" -----------------------

@dataclass
class RunQuery:
    """``SELECT ... FROM ({relation}) w{where} ORDER BY {order}`` with ``args`` bound in that
    order: ``relation`` is the ``runs`` view plus the params./metrics. columns the filters and
    the sort need (checked names, quoted; keys bound as parameters)."""

    relation: str
    where: str
    order: str
    args: list
    sort: list[tuple[str, bool]]


def column_kinds(con) -> dict[str, str]:
    """Every column a filter or sort may name, with its kind: the run columns, then
    ``params.<key>`` and ``metrics.<key>`` of the store (one snapshot connection ``con``)."""
    out = dict(COLUMN_KINDS)
    params = con.execute("SELECT key, list(DISTINCT kind) FROM params GROUP BY key ORDER BY key").fetchall()
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


def run_query(
    con,
    *,
    experiment: str | None = None,
    notebook: str | None = None,
    notebooks: Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
    cell_id: str | None = None,
    run_ids: Iterable[str] | None = None,
    q: str | None = None,
    filters: Iterable[Any] | None = None,
    sort: Any = None,
    extra_select: str = "",
) -> RunQuery:
    """The runs matching a scope, free text ``q`` (every word in one of SEARCH_COLUMNS),
    ``filters`` (``filters.compile_filters``) and ``sort`` (``parse_sort``; default newest
    first). Raises ``FilterError`` with a message for the user."""
    from .filters import compile_filters, filter_columns, quote_ident, search_clause

    filters = list(filters or [])
    kinds = dict(COLUMN_KINDS)
    try:
        sort_keys = parse_sort(sort, kinds)  # run columns only: no store read needed
    except FilterError:
        sort_keys = None
    if filters or sort_keys is None:
        kinds = column_kinds(con)
        if sort_keys is None:
            sort_keys = parse_sort(sort, kinds)
    conds: list[str] = []
    args: list[Any] = []
    if notebooks is not None:
        conds.append("list_contains(?, notebook)")
        args.append([str(n) for n in notebooks])
    if notebook is not None:
        conds.append("notebook = ?")
        args.append(notebook)
    if experiment is not None:
        conds.append("experiment = ?")
        args.append(experiment)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise FilterError(f"nbtrack: unknown status {bad[0]!r}; use one of {', '.join(STATUSES)}.")
        conds.append("list_contains(?, status)")
        args.append(statuses)
    if cell_id is not None:
        conds.append("cell_id = ?")
        args.append(cell_id)
    if run_ids is not None:
        conds.append("list_contains(?, run_id)")
        args.append([str(r) for r in run_ids])
    text_sql, text_args = search_clause(q, SEARCH_COLUMNS) if q else ("", [])
    if text_sql:
        conds.append(f"({text_sql})")
        args.extend(text_args)
    filter_sql, filter_args = compile_filters(filters, kinds) if filters else ("", [])
    if filter_sql:
        conds.append(f"({filter_sql})")
        args.extend(filter_args)
    needed = {c for c, _ in sort_keys} | set(filter_columns(filters))
    extra_sql, extra_args = [], []
    for name in sorted(c for c in needed if c.startswith(("params.", "metrics."))):
        sql, a = _extra_column(name, kinds[name])
        extra_sql.append(f"{sql} AS {quote_ident(name)}")
        extra_args.extend(a)
    relation = ("SELECT r.*" + (", " + extra_select if extra_select else "")
                + "".join(", " + s for s in extra_sql) + " FROM runs r")
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    return RunQuery(relation, where, order_sql(sort_keys, quote_ident), extra_args + args, sort_keys)
