"""Metrics a cell only prints: ``print("Accuracy:", accuracy_score(y_test, pred))``.

Public notebooks print their scores more often than they bind them. The value exists only
inside the ``print`` call, so the tracked cell's AST is rewritten (once, for the outermost
tracked cell only, through IPython's ``ast_transformers``) to pass each score-like call inside
a top-level ``print(...)`` through ``seen(name, value)``, which notes the number and returns
the value unchanged: the same output, the same exception from the same line, nothing added to
the namespace. Calls in loops are not touched (a value printed per epoch is not a result).
"""

from __future__ import annotations

import ast

from .analyze import metric_name
from .rules import METRIC_WORD
from .values import as_metric

printed: dict[str, float] = {}  # name -> value, for the tracked cell now running
MAX_PRINTED = 50
NOTHING = object()
last = [NOTHING]  # the value of the tracked cell's last expression, displayed or not


def seen_last(value):
    """Identity, keeping the last expression's value (a cell's ``clf.score(X, y);`` or a
    trial of a sweep whose display is captured still has a result)."""
    last[0] = value
    return value


def reset() -> None:
    printed.clear()
    last[0] = NOTHING


def seen(name: str, value):
    """Identity, noting a real number under ``name`` (the first value wins)."""
    try:
        if name not in printed and len(printed) < MAX_PRINTED and not isinstance(value, bool):
            number = as_metric(value)
            if number is not None:
                printed[name] = number
    except Exception:  # never let a capture touch the user's value
        pass
    return value


def _wrap(node: ast.expr, name: str | None) -> ast.Call:
    """``seen(name, node)`` (or ``seen_last(node)``) through this module, found by import so
    nothing is added to the user's namespace."""
    fn = "seen" if name is not None else "seen_last"
    importer = ast.Call(
        func=ast.Name(id="__import__", ctx=ast.Load()),
        args=[ast.Constant(__name__)],
        keywords=[ast.keyword(arg="fromlist", value=ast.List(elts=[ast.Constant(fn)], ctx=ast.Load()))],
    )
    args = [ast.Constant(name), node] if name is not None else [node]
    new = ast.Call(func=ast.Attribute(value=importer, attr=fn, ctx=ast.Load()), args=args, keywords=[])
    ast.copy_location(new, node)
    return ast.fix_missing_locations(new)


class _Scores(ast.NodeTransformer):
    """Inside one print(...) call: wrap the outermost score-like calls."""

    def visit_Lambda(self, node):
        return node

    def visit_Call(self, node):
        name = metric_name(node)
        if name and METRIC_WORD.search(name) and not name.startswith(("print", "format", "str")):
            return _wrap(node, name)
        return self.generic_visit(node)


def _is_print(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == "print"
    )


def rewrite(tree: ast.Module) -> ast.Module:
    def block(stmts):
        for stmt in stmts:
            if _is_print(stmt):
                call = stmt.value
                call.args = [_Scores().visit(a) for a in call.args]
            elif isinstance(stmt, ast.If):
                block(stmt.body)
                block(stmt.orelse)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                block(stmt.body)
            elif isinstance(stmt, ast.Try):
                block(stmt.body)
                for h in stmt.handlers:
                    block(h.body)
                block(stmt.orelse)
                block(stmt.finalbody)

    block(tree.body)
    tail = tree.body[-1] if tree.body else None
    if (
        isinstance(tail, ast.Expr)
        and not _is_print(tail)
        and not any(isinstance(n, (ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(tail))
    ):
        tail.value = _wrap(tail.value, None)  # still the last expression: IPython displays it
    return tree


class PrintedScores(ast.NodeTransformer):
    """Registered in ``shell.ast_transformers``; rewrites only when armed by the tracker (the
    next cell IPython compiles is the tracked cell's body), and never raises (IPython drops a
    transformer that does)."""

    def __init__(self):
        self.armed = False

    def visit(self, node):
        if not self.armed or not isinstance(node, ast.Module):
            return node
        self.armed = False
        try:
            return rewrite(node)  # in place; each wrap is an identity, so a partial one is safe
        except Exception:
            return node
