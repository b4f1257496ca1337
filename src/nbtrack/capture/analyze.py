"""Static analysis of a cell's source (after IPython's transforms): no execution, no store.

- params: top-level assignments of literals (``lr = 1e-3``, ``layers = [64, 32]``);
- reads: names read before the cell binds them (candidates for inputs);
- computed: names bound at top level by a computed value (candidates for metrics);
- assigned: every name the cell binds in its own scope (summarised as outputs);
- not_metrics: loop targets, imports, functions, classes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_NO_VALUE = object()


@dataclass(frozen=True)
class Analysis:
    params: dict[str, Any] = field(default_factory=dict)
    reads: tuple[str, ...] = ()
    computed: tuple[str, ...] = ()
    assigned: tuple[str, ...] = ()
    not_metrics: frozenset[str] = frozenset()
    syntax_error: bool = False


def literal_value(node: ast.AST) -> Any:
    """The value of a literal expression, or _NO_VALUE. Sets are not parameters (unordered)."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NO_VALUE
    return _NO_VALUE if isinstance(value, (set, frozenset, bytes, complex)) else value


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []  # attributes and subscripts bind no name


class _Bindings(ast.NodeVisitor):
    """Names bound in the cell's own scope (not inside functions, classes, comprehensions)."""

    def __init__(self):
        self.names: list[str] = []
        self.loop: set[str] = set()
        self.defs: set[str] = set()

    def visit_FunctionDef(self, node):
        self.names.append(node.name)
        self.defs.add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Lambda(self, node):
        pass

    def visit_ListComp(self, node):
        pass

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def visit_Import(self, node):
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            self.names.append(name)
            self.defs.add(name)

    visit_ImportFrom = visit_Import

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store):
            self.names.append(node.id)

    def visit_For(self, node):
        targets = _target_names(node.target)
        self.names.extend(targets)
        self.loop.update(targets)
        inner = _Bindings()
        for stmt in node.body + node.orelse:
            inner.visit(stmt)
        self.names.extend(inner.names)
        self.loop.update(inner.names)  # rebound every iteration: not a final result
        self.defs |= inner.defs

    visit_AsyncFor = visit_For

    def visit_While(self, node):
        inner = _Bindings()
        for stmt in node.body + node.orelse:
            inner.visit(stmt)
        self.names.extend(inner.names)
        self.loop.update(inner.names)
        self.defs |= inner.defs

    def visit_NamedExpr(self, node):
        self.names.append(node.target.id)
        self.generic_visit(node.value)


def _loads(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


@lru_cache(maxsize=256)
def analyze(source: str) -> Analysis:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return Analysis(syntax_error=True)
    params: dict[str, Any] = {}
    computed: list[str] = []
    reads: list[str] = []
    bound: set[str] = set()
    assigned: list[str] = []
    not_metrics: set[str] = set()

    def top_level(stmts):
        for stmt in stmts:
            if isinstance(stmt, ast.If):
                header: list[ast.AST] = [stmt.test]
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                header = [item.context_expr for item in stmt.items]
            elif isinstance(stmt, ast.Try):
                header = [h.type for h in stmt.handlers if h.type is not None]
            else:
                header = [stmt]
            skip: set[str] = set()
            if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
                loop = _Bindings()
                loop.visit(stmt)
                skip = set(loop.names)  # read in the body after the loop binds them
                header = [stmt.iter if not isinstance(stmt, ast.While) else stmt.test]
                header += [n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id not in skip]
            for node in header:
                for name in _loads(node):
                    if name not in bound and name not in reads:
                        reads.append(name)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [n for t in targets for n in _target_names(t)]
                value = literal_value(stmt.value)
                simple = all(isinstance(t, ast.Name) for t in targets)
                for name in names:
                    if value is not _NO_VALUE and simple:
                        params[name] = value
                        computed[:] = [c for c in computed if c != name]
                    else:
                        if name not in computed:
                            computed.append(name)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                if stmt.target.id not in computed:
                    computed.append(stmt.target.id)
            elif isinstance(stmt, (ast.If, ast.With, ast.AsyncWith)):
                # Blocks at top level still bind into the cell's namespace.
                if isinstance(stmt, (ast.With, ast.AsyncWith)):
                    for item in stmt.items:
                        if item.optional_vars is not None:
                            not_metrics.update(_target_names(item.optional_vars))
                top_level(stmt.body)
                top_level(getattr(stmt, "orelse", []))
                continue
            elif isinstance(stmt, ast.Try):
                top_level(stmt.body)
                for handler in stmt.handlers:
                    if handler.name:
                        not_metrics.add(handler.name)
                    top_level(handler.body)
                top_level(stmt.orelse)
                top_level(stmt.finalbody)
                continue
            b = _Bindings()
            b.visit(stmt)
            for name in b.names:
                bound.add(name)
                if name not in assigned:
                    assigned.append(name)
            not_metrics.update(b.loop | b.defs)

    top_level(tree.body)
    # A name rebound by computation later is not a parameter any more (its value moved on).
    for name in list(params):
        if name in computed:
            del params[name]
    return Analysis(
        params=params,
        reads=tuple(reads),
        computed=tuple(c for c in computed if c not in not_metrics),
        assigned=tuple(assigned),
        not_metrics=frozenset(not_metrics),
    )
