"""Inline widgets (anywidget): the run card, the run table, compare and diff.

Everything here is imported lazily (``nbtrack.table/compare/diff`` and the ``%%track`` card ask
for it), so ``import nbtrack`` pays for neither anywidget nor Altair.
"""

from __future__ import annotations

__all__ = ["RunCard", "RunTable", "CompareWidget", "DiffWidget", "table", "compare", "diff"]

_WHERE = {
    "RunCard": "card",
    "RunTable": "run_table",
    "table": "run_table",
    "CompareWidget": "comparison",
    "DiffWidget": "comparison",
    "compare": "comparison",
    "diff": "comparison",
}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
