"""The read model's vocabulary, defined once: the run columns and their kinds, the columns a
free-text search looks at, the statuses, and the sort grammar.

``query.runs_frame`` (``nbtrack.runs()``), the table widget's cache (``table.RunsCache``) and the
server's ``GET runs`` (``api_queries.list_runs``) all take their columns, search and sort from
here, and their filters from ``filters.compile_filters``; so a word or a sort means the same in
the table, the sidebar and ``runs()``.
"""

from __future__ import annotations

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
