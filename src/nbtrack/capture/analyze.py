"""Static analysis of a cell's source (after IPython's transforms): no execution, no store.

What the code says, before it runs:
- params: literal assignments (``lr = 1e-3``, ``a, b = 1, 2``), literal config dicts flattened
  to dotted keys (``config.optimizer.momentum``), literal class attributes (``Config.lr``);
- calls: every call at the cell's level with its literal keyword arguments (``test_size=0.25``)
  and the name it is bound to; which of them are estimators is decided at run time
  (``capture.extract``), which are presentation by ``capture.rules``;
- reads / computed / assigned / not_metrics: inputs, metric candidates, outputs, loop names;
- the last expression's metric name (``clf.score(X, y)`` -> ``score``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_NO_VALUE = object()
MAX_CONFIG_KEYS = 200
MAX_CONFIG_DEPTH = 5
MAX_PARAM_LIST = 64  # a longer literal list is data, not a setting

# Cell magics whose body runs in the user's namespace: analyse the body under them.
BODY_MAGICS = ("time", "capture", "timeit", "prun", "memit", "skip")
_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "update",
        "pop",
        "popitem",
        "setdefault",
        "add",
        "remove",
        "discard",
        "clear",
        "sort",
        "reverse",
    }
)


@dataclass(frozen=True)
class Call:
    """A call in the cell: ``callee`` as written (``SVC``, ``plt.plot``, ``SVC().fit``)."""

    callee: str
    kwargs: tuple[tuple[str, Any], ...]  # literal keyword arguments, in order
    target: str | None  # the name the statement binds, if any (``clf = SVC(...)``)
    line: int
    nested_in: str | None = None  # the enclosing call's callee, if an argument of another call
    configs: tuple[dict, ...] = ()  # literal config dicts passed positionally: lgb.train({...}, data)
    # keyword arguments that name a value: ``n_splits=N_FOLDS``, ``lr=CFG.lr``, ``C=cfg["C"]``:
    # (keyword, root name, ((".", attr) | ("[]", key), ...)); extract resolves them from inputs
    refs: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class Analysis:
    params: dict[str, Any] = field(default_factory=dict)
    param_rules: dict[str, str] = field(default_factory=dict)  # key -> rule that produced it
    reads: tuple[str, ...] = ()
    computed: tuple[str, ...] = ()
    assigned: tuple[str, ...] = ()
    not_metrics: frozenset[str] = frozenset()
    calls: tuple[Call, ...] = ()
    mutated: frozenset[str] = frozenset()  # names changed in place (``xs.append``, ``d[k] = v``)
    value_kind: dict[str, str] = field(default_factory=dict)  # name -> clock | size
    producers: dict[str, str] = field(default_factory=dict)  # name -> callee of its value
    receivers: dict[str, str] = field(default_factory=dict)  # name -> root of a method chain (df of df["a"].mean())
    last_expr: str | None = None  # metric name of the last expression statement
    last_names: tuple[str, ...] = ()  # a last expression ``a, b``: the names it shows
    config_cut: tuple[str, ...] = ()  # config literals a cap cut (larger or deeper than the caps)
    files: tuple[str, ...] = ()  # literal paths the cell reads (pd.read_csv("x.csv"), open("f"), np.load)
    syntax_error: bool = False


def literal_value(node: ast.AST) -> Any:
    """The value of a literal expression, or _NO_VALUE. Sets are not parameters (unordered)."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        if isinstance(node, ast.Call) and dotted(node.func) == "dict" and not node.args:
            try:  # dict(lr=0.1, depth=3): a config written as a call
                return {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return _NO_VALUE
        return _NO_VALUE
    return _NO_VALUE if isinstance(value, (set, frozenset, bytes, complex)) else value


def is_setting(value: Any) -> bool:
    """Is a literal a setting (``[64, 32]``, ``"adam"``) rather than data typed in the cell (a
    list of records, sample sentences, an empty container filled later)?"""
    if isinstance(value, (list, tuple)):
        if not value or len(value) > MAX_PARAM_LIST:
            return False
        return all(
            _scalar_setting(v) or (isinstance(v, (list, tuple)) and len(v) <= 8 and all(_scalar_setting(x) for x in v))
            for v in value
        )
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, str):
        return _scalar_setting(value)
    return True


_PATHLIKE = re.compile(
    r"^(/|\./|\.\./|~|[A-Za-z]:\\)|^\w+://|^[\w.-]+([/\\][\w. -]+)+[/\\]?$|"
    r"\.(csv|tsv|txt|json|parquet|xlsx?|pkl|pickle|h5|hdf5|npy|npz|zip|gz|"
    r"png|jpe?g|pt|pth|ckpt|joblib|feather|db|sqlite|yaml|yml|toml)$",
    re.I,
)


def _scalar_setting(v: Any) -> bool:
    if isinstance(v, str):  # a word or identifier, not a sentence, a document or a file path
        return len(v) <= 64 and v.count(" ") <= 2 and "\n" not in v and not _PATHLIKE.search(v)
    return v is None or isinstance(v, (bool, int, float))


def flatten_config(prefix: str, value: dict, out: dict, depth: int = 0) -> bool:
    """``{"opt": {"lr": 0.1}}`` under ``cfg`` -> ``cfg.opt.lr``. False when a cap cut it."""
    complete = True
    for k, v in value.items():
        key = f"{prefix}.{k}"
        if len(out) >= MAX_CONFIG_KEYS:
            return False
        if isinstance(v, dict) and v and all(isinstance(x, str) for x in v):
            if depth + 1 >= MAX_CONFIG_DEPTH:
                out[key] = v
                complete = False
            else:
                complete &= flatten_config(key, v, out, depth + 1)
        else:
            out[key] = v
    return complete


def is_config_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(k, str) for k in value)


def dotted(node: ast.AST) -> str:
    """``plt.plot`` for Attribute chains, ``SVC().fit`` through calls, ``?`` for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func)}()"
    if isinstance(node, ast.Subscript):
        return f"{dotted(node.value)}[]"
    return "?"


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
    """Names read; inside a function, only the free ones (its arguments and locals are not
    the cell's inputs)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        local = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = node.body if isinstance(node.body, list) else [node.body]
        for sub in body:
            for n in ast.walk(sub):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    local.add(n.id)
        out = [x for d in getattr(node, "decorator_list", []) for x in _loads(d)]
        out += [x for d in (*args.defaults, *args.kw_defaults) if d is not None for x in _loads(d)]
        return out + [x for sub in body for x in _loads(sub) if x not in local]
    if isinstance(node, ast.Name):
        return [node.id] if isinstance(node.ctx, ast.Load) else []
    out = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Name):
            if isinstance(child.ctx, ast.Load):
                out.append(child.id)
        else:
            out.extend(_loads(child))
    return out


class _Calls(ast.NodeVisitor):
    """Calls in a statement (not inside function bodies or lambdas), with literal kwargs."""

    def __init__(self, target: str | None, calls: list, mutated: set):
        self.target, self.calls, self.mutated = target, calls, mutated
        self.enclosing: list[str] = []

    def visit_FunctionDef(self, node):
        for dec in node.decorator_list:
            self.visit(dec)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        pass

    def visit_Lambda(self, node):
        pass

    def visit_Call(self, node):
        callee = dotted(node.func)
        kwargs = []
        refs = []
        for kw in node.keywords:
            if kw.arg is None:
                continue  # **config: its values come from the config's own capture
            value = literal_value(kw.value)
            if value is not _NO_VALUE:
                kwargs.append((kw.arg, value))
            elif (ref := _reference(kw.value)) is not None:
                refs.append((kw.arg, *ref))
        # Seeds are positional by convention: np.random.seed(42), torch.manual_seed(0).
        last = callee.rsplit(".", 1)[-1]
        if last in ("seed", "manual_seed", "set_seed", "set_random_seed") and node.args:
            value = literal_value(node.args[0])
            if isinstance(value, int) and not isinstance(value, bool):
                kwargs.append(("seed", value))
        if isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            root = node.func.value  # xs.append, history["loss"].append, cfg.layers.extend
            while isinstance(root, (ast.Subscript, ast.Attribute)):
                root = root.value
            if isinstance(root, ast.Name):
                self.mutated.add(root.id)
        configs = []
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                value = literal_value(arg)
                if is_config_dict(value):
                    configs.append(value)
        self.calls.append(
            Call(
                callee,
                tuple(kwargs),
                self.target,
                getattr(node, "lineno", 0),
                self.enclosing[-1] if self.enclosing else None,
                tuple(configs),
                tuple(refs),
            )
        )
        self.visit(node.func)
        self.enclosing.append(callee)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)
        self.enclosing.pop()


def _reference(node: ast.AST) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """``N`` / ``cfg.lr`` / ``cfg["lr"]`` / ``CFG.opt["lr"]`` -> (root, steps); None otherwise."""
    steps: list[tuple[str, str]] = []
    while True:
        if isinstance(node, ast.Name):
            return node.id, tuple(reversed(steps))
        if isinstance(node, ast.Attribute):
            steps.append((".", node.attr))
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            steps.append(("[]", node.slice.value))
        else:
            return None
        if len(steps) > 4:
            return None
        node = node.value


def _value_kind(value: ast.AST, rules_clock, rules_size, size_attrs) -> str | None:
    """``clock`` for a clock reading, ``size`` for a count/shape expression, ``derived`` for
    integer arithmetic on names and literals (``steps = n // batch``), else None."""
    from .rules import matches

    if isinstance(value, ast.Call) and matches(dotted(value.func), rules_clock):
        return "clock"
    if (
        isinstance(value, ast.BinOp)
        and isinstance(value.op, (ast.FloorDiv, ast.Mult, ast.Add, ast.Sub))
        and all(
            isinstance(n, (ast.BinOp, ast.Name, ast.Attribute, ast.Constant, ast.Load, ast.operator))
            for n in ast.walk(value)
        )
        and not any(isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(value))
    ):
        return "derived"  # checked against the value's type at run time (ints only)
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and matches(dotted(node.func), rules_size):
            return "size"
        if isinstance(node, ast.Attribute) and node.attr in size_attrs:
            return "size"
    return None


def _receiver_root(value: ast.AST) -> str | None:
    """``df`` for ``df["age"].mean()`` / ``df.age.corr(df.income)``: the object a method chain
    starts from (None for a plain function call such as ``accuracy_score(...)``)."""
    while True:  # look through arithmetic and wrappers: df["x"].isna().mean() * 100, round(...)
        if isinstance(value, ast.BinOp):
            value = value.left
        elif isinstance(value, ast.UnaryOp):
            value = value.operand
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("round", "float", "int", "abs")
            and value.args
        ):
            value = value.args[0]
        else:
            break
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return None
    node = value.func.value
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def metric_name(node: ast.AST) -> str | None:
    """The name a data scientist gives the value of an expression: ``clf.score(X, y)`` ->
    ``score``, ``accuracy_score(y, p)`` -> ``accuracy_score``, ``scores.mean()`` ->
    ``scores.mean``, ``np.mean(scores)`` -> ``scores.mean``, ``grid.best_score_`` ->
    ``best_score``, a bare name keeps its name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr.rstrip("_") or None
    if isinstance(node, ast.Subscript):
        base = metric_name(node.value)
        key = literal_value(node.slice)
        return f"{base}.{key}" if base and isinstance(key, (str, int)) else base
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name is None:
            return None
        if name == "sqrt" and node.args:  # np.sqrt(mean_squared_error(...)): the RMSE
            inner = metric_name(node.args[0]) or ""
            for mse, rmse in (("mean_squared_error", "root_mean_squared_error"), ("mse", "rmse")):
                if inner.endswith(mse):
                    return inner[: -len(mse)] + rmse
            return name
        reducers = {"mean", "std", "max", "min", "median", "sum", "var", "item", "round", "float"}
        if name in reducers:
            if isinstance(func, ast.Attribute) and not isinstance(func.value, ast.Name) and name in ("item", "round"):
                return metric_name(func.value)
            receiver: ast.expr | None = None
            if isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Call, ast.Attribute)):
                receiver = func.value
                # np.mean(scores): the module is not the subject, the argument is.
                if isinstance(receiver, ast.Name) and receiver.id in ("np", "numpy", "math", "statistics", "torch"):
                    receiver = node.args[0] if node.args else None
            elif node.args:
                receiver = node.args[0]
            base = metric_name(receiver) if receiver is not None else None
            if name in ("item", "float", "round"):
                return base
            return f"{base}.{name}" if base else name
        return name
    if isinstance(node, ast.BinOp):
        return None
    return None


@lru_cache(maxsize=256)
def analyze(source: str) -> Analysis:
    from .rules import CLOCK_CALLS, SIZE_ATTRS, SIZE_CALLS

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return Analysis(syntax_error=True)
    params: dict[str, Any] = {}
    rules: dict[str, str] = {}
    first_literal: dict[str, Any] = {}
    computed: list[str] = []
    reads: list[str] = []
    bound: set[str] = set()
    assigned: list[str] = []
    not_metrics: set[str] = set()
    calls: list[Call] = []
    mutated: set[str] = set()
    value_kind: dict[str, str] = {}
    producers: dict[str, str] = {}
    receivers: dict[str, str] = {}
    cut: list[str] = []

    def literal_param(name: str, value: Any, rule: str) -> None:
        if name in first_literal or name in computed:
            return  # the first literal is the param; later bindings do not move it
        first_literal[name] = value
        if is_config_dict(value):
            flat: dict[str, Any] = {}
            if not flatten_config(name, value, flat):
                cut.append(name)
            for k, v in flat.items():
                if not isinstance(v, (list, tuple, dict, str)) or is_setting(v):
                    params[k], rules[k] = v, "config dict, flattened"
        elif is_setting(value):
            params[name], rules[name] = value, rule

    def class_params(stmt: ast.ClassDef) -> None:
        if stmt.decorator_list or stmt.bases:
            return  # dataclasses and real classes: their instances carry the values
        for item in stmt.body:
            if isinstance(item, (ast.Assign, ast.AnnAssign)) and item.value is not None:
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                value = literal_value(item.value)
                if value is _NO_VALUE or not is_setting(value):
                    continue
                for t in targets:
                    if isinstance(t, ast.Name) and not t.id.startswith("_"):
                        key = f"{stmt.name}.{t.id}"
                        params[key], rules[key] = value, "class attribute (config class)"

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
            # Calls and their literal keyword arguments, and in-place mutations.
            target = None
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                names = [
                    n
                    for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                    for n in _target_names(t)
                ]
                target = names[0] if len(names) == 1 else None
            if not isinstance(stmt, (ast.If, ast.With, ast.AsyncWith, ast.Try, ast.ClassDef)):
                _Calls(target, calls, mutated).visit(stmt)
            else:
                for node in header:
                    _Calls(None, calls, mutated).visit(node)
            for node in (
                ast.walk(stmt) if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else ()
            ):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                    for t in node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]:
                        root = t.value if isinstance(t, (ast.Subscript, ast.Attribute)) else None
                        while isinstance(root, (ast.Subscript, ast.Attribute)):
                            root = root.value
                        if isinstance(root, ast.Name):
                            mutated.add(root.id)
                        if isinstance(node, ast.AugAssign) and isinstance(t, ast.Name):
                            mutated.add(t.id)

            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                value = literal_value(stmt.value)
                for t in targets:
                    if isinstance(t, ast.Name):
                        if value is not _NO_VALUE:
                            literal_param(t.id, value, "literal assignment")
                        elif t.id not in computed:
                            computed.append(t.id)
                        if value is _NO_VALUE:
                            kind = _value_kind(stmt.value, CLOCK_CALLS, SIZE_CALLS, SIZE_ATTRS)
                            if kind:
                                value_kind[t.id] = kind
                            if isinstance(stmt.value, ast.Call):
                                producers[t.id] = dotted(stmt.value.func)
                        root = _receiver_root(stmt.value)
                        if root:
                            receivers[t.id] = root
                    elif isinstance(t, (ast.Tuple, ast.List)):
                        names = _target_names(t)
                        elts = getattr(stmt.value, "elts", None)
                        if (
                            isinstance(stmt.value, (ast.Tuple, ast.List))
                            and elts is not None
                            and len(elts) == len(t.elts)
                            and all(isinstance(e, ast.Name) for e in t.elts)
                        ):
                            for e, v in zip(t.elts, elts):  # a, b = 1, 2: literal unpacking
                                lv = literal_value(v)
                                if lv is not _NO_VALUE:
                                    literal_param(e.id, lv, "literal assignment (unpacked)")
                                elif e.id not in computed:
                                    computed.append(e.id)
                            continue
                        kind = _value_kind(stmt.value, CLOCK_CALLS, SIZE_CALLS, SIZE_ATTRS)
                        for name in names:
                            if kind:
                                value_kind[name] = kind
                            if name not in computed:
                                computed.append(name)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                if stmt.target.id not in computed:
                    computed.append(stmt.target.id)
            elif isinstance(stmt, ast.ClassDef):
                class_params(stmt)
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
    calls_nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    # A literal container changed in place later (``clfs = []`` then ``clfs.append``) is state,
    # not a setting: its literal would be a stale value.
    for name in mutated & set(first_literal):
        for key in [k for k in params if k == name or k.startswith(name + ".")]:
            del params[key], rules[key]
        if name not in computed:
            computed.append(name)
    # A literal later recomputed (``lr = 0.1`` then ``lr = lr * 2``): the param is the literal
    # and the name is not a metric (its value is derived configuration).
    # A literal rebound inside a loop (``velocity = 0.0`` then updated per step) is state.
    for name in set(first_literal) & not_metrics:
        for key in [k for k in params if k == name]:
            del params[key], rules[key]
    literal_names = set(first_literal) - mutated
    last_expr: str | None = None
    last_names: tuple[str, ...] = ()
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = tree.body[-1].value
        if isinstance(expr, ast.Tuple) and all(isinstance(e, ast.Name) for e in expr.elts):
            last_names = tuple(e.id for e in expr.elts if isinstance(e, ast.Name))
        elif not isinstance(expr, ast.Await):
            last_expr = metric_name(expr)
    return Analysis(
        params=params,
        param_rules=rules,
        reads=tuple(reads),
        computed=tuple(c for c in computed if c not in not_metrics and c not in literal_names),
        assigned=tuple(assigned),
        not_metrics=frozenset(not_metrics | literal_names),
        calls=tuple(calls),
        mutated=frozenset(mutated),
        value_kind=value_kind,
        producers=producers,
        receivers=receivers,
        last_expr=last_expr,
        last_names=last_names,
        config_cut=tuple(cut),
        files=tuple(dict.fromkeys(_file_reads(calls_nodes))),
    )


_READERS = re.compile(
    r"(^|\.)(read_(csv|parquet|json|excel|feather|pickle|table|fwf|orc|sas|stata|hdf)|"
    r"load|loadtxt|genfromtxt|fromfile|open|imread|read_text|read_bytes)$"
)


def _file_reads(calls) -> list[str]:
    """Literal paths given to the usual readers: their files are inputs of the run."""
    out = []
    for node in calls:
        name = dotted(node.func)
        if not _READERS.search(name) or name.endswith(("json.load", "pickle.load", "joblib.load")) and not node.args:
            continue
        arg = (
            node.args[0]
            if node.args
            else next(
                (k.value for k in node.keywords if k.arg in ("filepath_or_buffer", "path", "file", "fname", "io")), None
            )
        )
        value = literal_value(arg) if arg is not None else _NO_VALUE
        if isinstance(value, str) and value and "\n" not in value and len(value) < 4096:
            mode = next((literal_value(k.value) for k in node.keywords if k.arg == "mode"), None)
            if name == "open" and len(node.args) > 1:
                mode = literal_value(node.args[1])
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                continue  # written, not read
            out.append(value)
    return out


def inner_body(raw: str) -> str:
    """The body under other cell magics (``%%time``, ``%%capture cap``) as the user wrote it;
    line numbers are kept (magic lines become blank)."""
    lines = raw.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith("%%"):
        name = lines[i][2:].split(None, 1)[0] if lines[i][2:].strip() else ""
        if name not in BODY_MAGICS:
            break
        lines[i] = ""
        i += 1
    return "\n".join(lines) if i else raw
