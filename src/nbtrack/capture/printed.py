"""Metrics a cell only prints: ``print("Accuracy:", accuracy_score(y_test, pred))``, and
series a loop only prints: ``print(f"epoch {epoch} loss {loss:.4f}")``.

Public notebooks print their scores more often than they bind them. The value exists only
inside the ``print`` call, so the tracked cell's AST is rewritten (once, for the outermost
tracked cell only, through IPython's ``ast_transformers``) to pass each score-like call inside
a top-level ``print(...)`` through ``seen(name, value)``, which notes the number and returns
the value unchanged: the same output, the same exception from the same line, nothing added to
the namespace. Inside a loop a printed value changes per iteration, so there score-like calls
and metric-like names (``loss``, ``val_acc``; not bookkeeping such as ``epoch``) go through
``seen_point``, which appends to a series (step = the how-many-th print of that name); its
last point is the run's metric, unless a top-level print names the same result.
"""

from __future__ import annotations

import ast

from .analyze import metric_name
from .rules import BOOKKEEPING_NAME, METRIC_WORD
from .values import as_metric

printed: dict[str, float] = {}  # name -> value, for the tracked cell now running
series: dict[str, list[float]] = {}  # name -> values printed in a loop, in order
MAX_PRINTED = 50
MAX_POINTS = 100_000  # per printed series; later prints are not noted
NOTHING = object()
last = [NOTHING]  # the value of the tracked cell's last expression, displayed or not


def seen_last(value):
    """Identity, keeping the last expression's value (a cell's ``clf.score(X, y);`` or a
    trial of a sweep whose display is captured still has a result)."""
    last[0] = value
    return value


def reset() -> None:
    printed.clear()
    series.clear()
    last[0] = NOTHING


def seen(name: str, value):
    """Identity, noting a real number under ``name`` (the first value wins); a printed
    ``classification_report`` text gives its numbers, named as the ``output_dict=True`` rule."""
    try:
        if isinstance(value, str) and name.endswith("classification_report"):
            for key, figure in report_numbers(value).items():
                if len(printed) < MAX_PRINTED:
                    printed.setdefault(f"{name}.{key}", figure)
        elif name not in printed and len(printed) < MAX_PRINTED and not isinstance(value, bool):
            number = as_metric(value)
            if number is not None:
                printed[name] = number
    except Exception:  # never let a capture touch the user's value
        pass
    return value


def report_numbers(text: str) -> dict[str, float]:
    """scikit-learn's classification_report text -> {"accuracy": ..., "macro avg.f1-score": ...,
    "<class>.precision": ...}; supports are counts, not results. {} for any other text."""
    lines = [line.split() for line in text.strip().splitlines() if line.strip()]
    if not lines or lines[0][-4:] != ["precision", "recall", "f1-score", "support"]:
        return {}
    out: dict[str, float] = {}
    for words in lines[1:]:
        numbers: list[float] = []
        while words and len(numbers) < 4 and (n := _number(words[-1])) is not None:
            numbers.insert(0, n)
            words.pop()
        label = " ".join(words)
        if label == "accuracy" and len(numbers) == 2:
            out["accuracy"] = numbers[0]
        elif label and len(numbers) == 4:
            for col, v in zip(("precision", "recall", "f1-score"), numbers):
                out[f"{label}.{col}"] = v
    return out


def _number(word: str) -> float | None:
    try:
        return float(word)
    except ValueError:
        return None


def seen_point(name: str, value):
    """Identity, appending a real number to the series ``name``."""
    try:
        points = series.get(name)
        if points is None:
            if len(series) >= MAX_PRINTED:
                return value
            points = series[name] = []
        if len(points) < MAX_POINTS and not isinstance(value, bool):
            number = as_metric(value)
            if number is not None:
                points.append(number)
    except Exception:  # never let a capture touch the user's value
        pass
    return value


def _wrap(node: ast.expr, name: str | None, fn: str | None = None) -> ast.Call:
    """``seen(name, node)`` (or ``seen_last(node)``, ``seen_point(name, node)``) through this
    module, found by import so nothing is added to the user's namespace."""
    fn = fn or ("seen" if name is not None else "seen_last")
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


class _LoopScores(_Scores):
    """Inside a print(...) in a loop: score-like calls and metric-like names, as series. The
    loops' own targets (``for fold in ...``) are counters, not results."""

    def __init__(self, counters: frozenset[str]):
        self.counters = counters
        self.named: set[str] = set()  # one point per name and print, however often it is written

    def _point(self, node: ast.expr, name: str) -> ast.expr:
        if name in self.named:
            return node
        self.named.add(name)
        return _wrap(node, name, "seen_point")

    def visit_Call(self, node):
        name = metric_name(node)
        if name and METRIC_WORD.search(name) and not name.startswith(("print", "format", "str")):
            return self._point(node, name)
        return self.generic_visit(node)

    def visit_Name(self, node):
        if (
            isinstance(node.ctx, ast.Load)
            and METRIC_WORD.search(node.id)
            and not BOOKKEEPING_NAME.search(node.id)
            and not node.id.startswith("_")
            and node.id not in self.counters
        ):
            return self._point(node, node.id)
        return node


def _is_print(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == "print"
    )


def rewrite(tree: ast.Module) -> ast.Module:
    def block(stmts, loops: frozenset[str] | None = None):
        """``loops``: None outside loops, else the targets of the loops around ``stmts``."""
        for stmt in stmts:
            if _is_print(stmt):
                call = stmt.value
                visitor = _Scores() if loops is None else _LoopScores(loops)
                call.args = [visitor.visit(a) for a in call.args]
            elif isinstance(stmt, ast.If):
                block(stmt.body, loops)
                block(stmt.orelse, loops)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                block(stmt.body, loops)
            elif isinstance(stmt, ast.Try):
                block(stmt.body, loops)
                for h in stmt.handlers:
                    block(h.body, loops)
                block(stmt.orelse, loops)
                block(stmt.finalbody, loops)
            elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
                targets = (
                    {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
                    if not isinstance(stmt, ast.While)
                    else set()
                )
                block(stmt.body, (loops or frozenset()) | targets)
                block(stmt.orelse, loops)

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
