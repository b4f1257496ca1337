"""The filter grammar shared by the run table widget and the REST server.

A filter is one condition ``(column, operator, value)`` over a wide runs relation (columns such
as ``status``, ``name``, ``params.lr``, ``metrics.accuracy``). Filters compile to a DuckDB
``WHERE`` clause with ``?`` placeholders plus the list of values to bind:

    >>> compile_filters([("metrics.accuracy", ">", 0.9), "params.model == 'rf'"],
    ...                 {"metrics.accuracy": "number", "params.model": "text"})
    ('("metrics.accuracy" > ?) AND ("params.model" = ?)', [0.9, 'rf'])

User text never becomes SQL: a column must be one of the known ``columns`` and is quoted by
``quote_ident``; an operator must be one of ``OPERATORS``; every value is a bound parameter.
Bad input raises ``FilterError`` with a message meant for the user.

Public API: ``compile_filters``, ``parse_filter``, ``search_clause``, ``quote_ident``,
``FilterError``, ``OPERATORS``.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import math
import re
from typing import Any, Iterable, Mapping

from ..errors import FilterError  # noqa: F401  (re-exported: defined in nbtrack.errors)

__all__ = [
    "FilterError",
    "OPERATORS",
    "compile_filters",
    "filter_columns",
    "parse_filter",
    "search_clause",
    "quote_ident",
]

# Column kinds: what a column holds. Unknown columns kinds default to "text".
KINDS = ("number", "text", "time", "list", "bool")

OPERATORS = (
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "contains",
    "not contains",
    "startswith",
    "in",
    "not in",
    "is null",
    "is not null",
)
_ALIASES = {
    "=": "==",
    "eq": "==",
    "ne": "!=",
    "<>": "!=",
    "gt": ">",
    "ge": ">=",
    "lt": "<",
    "le": "<=",
    "~": "contains",
    "has": "contains",
    "!~": "not contains",
    "starts with": "startswith",
    "isnull": "is null",
    "notnull": "is not null",
    "is not none": "is not null",
    "is none": "is null",
}
_NO_VALUE = ("is null", "is not null")
_TEXT_RE = re.compile(
    r"^\s*(?P<col>[^\s=!<>~]+)\s*(?P<op>is\s+not\s+null|is\s+null|not\s+contains|not\s+in|"
    r"contains|startswith|starts\s+with|in|==|!=|>=|<=|<>|=|>|<|!~|~)(?:\s+|(?<=[=!<>~])\s*|$)(?P<value>.*)$",
    re.I | re.S,
)
MAX_FILTERS = 50
MAX_VALUE_CHARS = 1000


def quote_ident(name: str) -> str:
    """A DuckDB identifier for a column name that was already validated."""
    return '"' + str(name).replace('"', '""') + '"'


def parse_filter(text: str) -> tuple[str, str, Any]:
    """``"metrics.accuracy > 0.9"`` -> ``("metrics.accuracy", ">", 0.9)``.

    The value is read as a Python literal when it is one (``0.9``, ``'rf'``, ``[1, 2]``,
    ``None``), else kept as text (``status == failed`` -> ``"failed"``)."""
    if not isinstance(text, str) or not text.strip():
        raise FilterError("nbtrack: an empty filter; write e.g. metrics.accuracy > 0.9")
    m = _TEXT_RE.match(text)
    if not m:
        raise FilterError(
            f"nbtrack: cannot read the filter {text.strip()[:80]!r}; write COLUMN OPERATOR VALUE, "
            "e.g. metrics.accuracy > 0.9, params.model == 'rf', status == failed, tags contains baseline"
        )
    op = _normalize_op(m.group("op"))
    raw = m.group("value").strip()
    if op in _NO_VALUE:
        if raw:
            raise FilterError(f"nbtrack: {op!r} takes no value (got {raw[:40]!r})")
        return m.group("col"), op, None
    if not raw:
        raise FilterError(f"nbtrack: the filter {text.strip()[:80]!r} has no value after {op!r}")
    return m.group("col"), op, _literal(raw)


def _literal(raw: str) -> Any:
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return raw


def _normalize_op(op: Any) -> str:
    if not isinstance(op, str):
        raise FilterError(f"nbtrack: a filter operator must be text, got {type(op).__name__}")
    key = " ".join(op.strip().lower().split())
    key = _ALIASES.get(key, key)
    if key not in OPERATORS:
        raise FilterError(f"nbtrack: unknown filter operator {op!r}; use one of: {', '.join(OPERATORS)}")
    return key


def _as_triple(f: Any) -> tuple[str, str, Any]:
    if isinstance(f, str):
        return parse_filter(f)
    if isinstance(f, Mapping):
        if "column" not in f or "op" not in f:
            raise FilterError(
                f"nbtrack: a filter needs 'column' and 'op' (and 'value'), got the keys {sorted(map(str, f))}"
            )
        return f["column"], _normalize_op(f["op"]), f.get("value")
    if isinstance(f, (tuple, list)) and len(f) in (2, 3):
        return f[0], _normalize_op(f[1]), (f[2] if len(f) == 3 else None)
    raise FilterError(
        f"nbtrack: a filter is a (column, operator, value) triple, a dict or a string, got {type(f).__name__}"
    )


def _kinds(columns: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(columns, Mapping):
        return {str(k): (v if v in KINDS else "text") for k, v in columns.items()}
    return {str(c): "text" for c in columns}


def _check_column(col: Any, kinds: dict[str, str]) -> str:
    if not isinstance(col, str) or col not in kinds:
        close = difflib.get_close_matches(str(col), list(kinds), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise FilterError(f"nbtrack: no column {str(col)[:80]!r} to filter on.{hint}")
    return col


def _number(col: str, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            raise FilterError(f"nbtrack: compare {col} with a number, not NaN (use 'is null')")
        return value
    try:
        return float(str(value).strip())
    except ValueError:
        raise FilterError(f"nbtrack: {col} holds numbers; {str(value)[:40]!r} is not a number") from None


def _time(col: str, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise FilterError(
            f"nbtrack: {col} holds times; write a date like 2026-01-31 or 2026-01-31 14:00, not {str(value)[:40]!r}"
        ) from None


def _scalar(col: str, kind: str, value: Any) -> Any:
    if value is None:
        raise FilterError(f"nbtrack: compare {col} with a value, or use 'is null' / 'is not null'")
    if isinstance(value, (list, tuple, dict, set)):
        raise FilterError(f"nbtrack: {col}: one value expected here, got a {type(value).__name__}")
    if kind == "number":
        return _number(col, value)
    if kind == "time":
        return _time(col, value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise FilterError(f"nbtrack: {col} is true or false, not {str(value)[:40]!r}")
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_VALUE_CHARS:
        raise FilterError(f"nbtrack: a filter value is limited to {MAX_VALUE_CHARS} characters")
    return text


def _compile_one(col: str, op: str, value: Any, kind: str) -> tuple[str, list]:
    q = quote_ident(col)
    if op == "is null":
        return (f"(len({q}) = 0 OR {q} IS NULL)" if kind == "list" else f"{q} IS NULL"), []
    if op == "is not null":
        return (f"len({q}) > 0" if kind == "list" else f"{q} IS NOT NULL"), []
    if kind == "list":  # tags: == and contains test membership, startswith any element
        if op in ("==", "contains"):
            return f"list_contains({q}, ?)", [_scalar(col, "text", value)]
        if op in ("!=", "not contains"):
            return f"NOT coalesce(list_contains({q}, ?), false)", [_scalar(col, "text", value)]
        if op in ("in", "not in"):
            vals = _list(col, value, "text")
            sql = f"len(list_intersect({q}, ?)) > 0"
            return (sql if op == "in" else f"NOT coalesce({sql}, false)"), [vals]
        raise FilterError(f"nbtrack: {col} is a list of tags; use ==, !=, contains, in or is null")
    if op in ("contains", "not contains", "startswith"):
        if kind not in ("text",):
            raise FilterError(f"nbtrack: {op!r} works on text columns; {col} holds {kind}s")
        text = _scalar(col, "text", value)
        if op == "startswith":
            return f"starts_with(lower({q}), lower(?))", [text]
        sql = f"contains(lower({q}), lower(?))"
        return (sql if op == "contains" else f"NOT coalesce({sql}, false)"), [text]
    if op in ("in", "not in"):
        vals = _list(col, value, kind)
        sql = f"list_contains(?, {q})"
        return (sql if op == "in" else f"NOT coalesce({sql}, false)"), [vals]
    v = _scalar(col, kind, value)
    sql_op = {"==": "=", "!=": "IS DISTINCT FROM"}.get(op, op)
    return f"{q} {sql_op} ?", [v]


def _list(col: str, value: Any, kind: str) -> list:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple, set)) or not value:
        raise FilterError(f"nbtrack: 'in' takes a non-empty list, e.g. {col} in ['a', 'b']")
    return [_scalar(col, kind, v) for v in value]


def filter_columns(filters: Iterable[Any] | None) -> list[str]:
    """The column each filter names (any accepted shape), e.g. to know which params./metrics.
    columns a query must bring along. Raises ``FilterError`` for a malformed filter."""
    return [str(_as_triple(f)[0]) for f in list(filters or [])[:MAX_FILTERS]]


def compile_filters(filters: Iterable[Any] | None, columns: Mapping[str, str] | Iterable[str]) -> tuple[str, list]:
    """Compile filters to ``(where_sql, params)``; ``where_sql`` is ``""`` when there are none.

    ``filters``: items that are ``(column, op, value)`` tuples, ``{"column", "op", "value"}``
    dicts, or strings such as ``"metrics.accuracy > 0.9"`` (see ``parse_filter``).
    ``columns``: the known column names, or a mapping name -> kind (``number``, ``text``,
    ``time``, ``list``, ``bool``) so values can be checked and converted (``"0.9"`` -> 0.9).
    Conditions are joined with AND. Raises ``FilterError`` for anything invalid."""
    kinds = _kinds(columns)
    items = list(filters or [])
    if len(items) > MAX_FILTERS:
        raise FilterError(f"nbtrack: at most {MAX_FILTERS} filters at once")
    parts, params = [], []
    for f in items:
        col, op, value = _as_triple(f)
        col = _check_column(col, kinds)
        sql, args = _compile_one(col, op, value, kinds[col])
        parts.append(f"({sql})")
        params.extend(args)
    return " AND ".join(parts), params


def search_clause(
    text: str | None, columns: Mapping[str, str] | Iterable[str] = ("name", "tags", "run_id")
) -> tuple[str, list]:
    """Free-text search (case-insensitive substring) over name, tags and run id: every
    whitespace-separated word must match one of them. ``("", [])`` for empty text."""
    words = (text or "").split()[:20]
    if not words:
        return "", []
    kinds = _kinds(columns)
    parts, params = [], []
    for word in words:
        if len(word) > MAX_VALUE_CHARS:
            raise FilterError(f"nbtrack: a search word is limited to {MAX_VALUE_CHARS} characters")
        ors = []
        for col, kind in kinds.items():
            q = quote_ident(col)
            if kind == "list":
                ors.append(f"contains(lower(array_to_string({q}, chr(31))), lower(?))")
            else:
                ors.append(f"contains(lower(CAST({q} AS VARCHAR)), lower(?))")
            params.append(word)
        parts.append("(" + " OR ".join(f"coalesce({o}, false)" for o in ors) + ")")
    return " AND ".join(parts), params
