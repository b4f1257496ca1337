"""``%%track --sweep "lr=[0.1, 0.01]; depth=int(2, 12)"``: a search from one cell, offline.

The cell runs once per trial in the kernel. Each trial's values replace the cell's literal
assignments of the swept names (same line, so tracebacks keep their line numbers), or go into
the namespace when the name is a ``--param`` the cell reads. Every trial is an ordinary run of
the cell, with ``sweep_id`` and ``trial`` in its context; ``nbtrack.sweep(sweep_id)`` lists them.

Grids (``[...]``, ``range(...)``) are enumerated here; sampled spaces (``uniform``,
``loguniform``, ``int``, ``choice``) are searched by Optuna's TPE sampler (``--seed`` makes the
sequence repeatable). Optuna's own storage is not used: nbtrack's store is the record.
"""

from __future__ import annotations

import ast
import itertools
import math
import time
import uuid
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from .analyze import _NO_VALUE as NOT_LITERAL
from .analyze import literal_value


@dataclass(frozen=True)
class Dim:
    name: str
    kind: str  # grid | uniform | loguniform | int | choice
    values: tuple = ()
    low: float = 0.0
    high: float = 0.0


def parse_space(text: str) -> list[Dim]:
    """``"lr=[0.1, 0.01]; depth=int(2, 12); opt=choice('adam', 'sgd')"`` -> dimensions."""
    dims: list[Dim] = []
    for part in [p.strip() for p in (text or "").split(";") if p.strip()]:
        name, sep, expr = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(f"%%track --sweep: expected NAME=SPACE, got {part!r}")
        try:
            node = ast.parse(expr.strip(), mode="eval").body
        except SyntaxError:
            raise UsageError(f"%%track --sweep: {name}: {expr.strip()!r} is not a space") from None
        dims.append(_dim(name, node, expr.strip()))
    if not dims:
        raise UsageError('%%track --sweep: empty space; write e.g. --sweep "lr=[0.1, 0.01]"')
    names = [d.name for d in dims]
    if len(set(names)) != len(names):
        raise UsageError(f"%%track --sweep: a name is given twice: {names}")
    return dims


def _dim(name: str, node: ast.AST, expr: str) -> Dim:
    if isinstance(node, (ast.List, ast.Tuple)):
        values = literal_value(node)
        if not isinstance(values, (list, tuple)):
            raise UsageError(f"%%track --sweep: {name}: the list must hold literals, got {expr!r}")
        if not values:
            raise UsageError(f"%%track --sweep: {name}: empty grid")
        return Dim(name, "grid", tuple(values))
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.keywords:
        raise UsageError(
            f"%%track --sweep: {name}: unknown space {expr!r} "
            "(use [..], range(..), uniform(lo, hi), loguniform(lo, hi), int(lo, hi), choice(..))"
        )
    args = [literal_value(a) for a in node.args]
    if any(a is NOT_LITERAL or not isinstance(a, (int, float, str, bool, type(None))) for a in args):
        raise UsageError(f"%%track --sweep: {name}: arguments must be literals in {expr!r}")
    fn = node.func.id
    if fn == "range":
        if not all(isinstance(a, int) for a in args) or not 1 <= len(args) <= 3:
            raise UsageError(f"%%track --sweep: {name}: range takes 1 to 3 integers")
        values = tuple(range(*args))
        if not values:
            raise UsageError(f"%%track --sweep: {name}: empty grid {expr!r}")
        return Dim(name, "grid", values)
    if fn == "choice":
        if not args:
            raise UsageError(f"%%track --sweep: {name}: choice() needs values")
        return Dim(name, "choice", tuple(args))
    if fn in ("uniform", "loguniform", "int"):
        if len(args) != 2 or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
            raise UsageError(f"%%track --sweep: {name}: {fn}(low, high) takes two numbers")
        low, high = args
        if not low < high or (fn == "loguniform" and low <= 0):
            raise UsageError(f"%%track --sweep: {name}: {fn}({low}, {high}) is an empty range")
        if fn == "int" and not (isinstance(low, int) and isinstance(high, int)):
            raise UsageError(f"%%track --sweep: {name}: int(low, high) takes integers")
        return Dim(name, fn, (), low, high)
    raise UsageError(f"%%track --sweep: {name}: unknown space {fn}(...)")


Direction = Literal["minimize", "maximize"]


def parse_objective(text: str | None) -> tuple[str | None, Direction]:
    """``"metrics.acc max"`` -> ("acc", "maximize")."""
    if not text:
        return None, "maximize"
    parts = text.split()
    key = parts[0][len("metrics.") :] if parts[0].startswith("metrics.") else parts[0]
    direction = parts[1].lower() if len(parts) > 1 else "max"
    if direction not in ("max", "min", "maximize", "minimize") or len(parts) > 2 or not key:
        raise UsageError(f'%%track --optimize: expected "metrics.NAME max|min", got {text!r}')
    return key, "minimize" if direction.startswith("min") else "maximize"


def substitute(body: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The body with each swept name's first top-level literal assignment replaced in place;
    the values that had no such assignment are returned to be set in the namespace."""
    tree = ast.parse(body)
    lines = body.split("\n")
    edits = []
    done: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if (
                name in values
                and name not in done
                and literal_value(stmt.value) is not NOT_LITERAL
                and stmt.value.lineno == stmt.value.end_lineno
            ):
                edits.append(
                    (stmt.value.lineno - 1, stmt.value.col_offset, stmt.value.end_col_offset, repr(values[name]))
                )
                done.add(name)
    for row, start, end, text in sorted(edits, reverse=True):
        line = lines[row].encode("utf-8")  # ast offsets are in UTF-8 bytes
        lines[row] = (line[:start] + text.encode() + line[end:]).decode("utf-8")
    return "\n".join(lines), {k: v for k, v in values.items() if k not in done}


class Sweep:
    def __init__(
        self, dims: list[Dim], trials: int | None, objective: str | None, direction: Direction, seed: int | None
    ):
        self.dims, self.objective, self.direction, self.seed = dims, objective, direction, seed
        grid = all(d.kind == "grid" for d in dims)
        self.grid = list(itertools.product(*(d.values for d in dims))) if grid else None
        if self.grid is not None and trials is None:
            self.n = len(self.grid)
        else:
            self.n = trials if trials is not None else 10
        if self.n < 1:
            raise UsageError("%%track --trials: at least 1")
        self.study = None
        if self.grid is None or (trials is not None and self.objective):
            try:
                import optuna
            except ImportError:
                raise UsageError("%%track --sweep: sampled spaces are searched by Optuna: pip install optuna") from None
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self.optuna = optuna
            self.study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
            self.grid = None

    def ask(self, i: int):
        if self.study is None:
            assert self.grid is not None  # no study means a grid was enumerated
            return None, dict(zip((d.name for d in self.dims), self.grid[i]))
        trial = self.study.ask(self._distributions())
        return trial, dict(trial.params)

    def tell(self, trial, value: float | None, failed: bool) -> None:
        if self.study is None or trial is None:
            return
        state = self.optuna.trial.TrialState
        if failed or value is None or not math.isfinite(value):
            self.study.tell(trial, state=state.FAIL)
        else:
            self.study.tell(trial, value)

    def _distributions(self) -> dict:
        d = self.optuna.distributions
        out = {}
        for dim in self.dims:
            if dim.kind in ("grid", "choice"):
                out[dim.name] = d.CategoricalDistribution(list(dim.values))
            elif dim.kind == "int":
                out[dim.name] = d.IntDistribution(int(dim.low), int(dim.high))
            else:
                out[dim.name] = d.FloatDistribution(float(dim.low), float(dim.high), log=dim.kind == "loguniform")
        return out


def run_sweep(tracker, args, body: str) -> str:
    """Run the cell once per trial; returns the sweep id."""
    from IPython.display import HTML, display

    dims = parse_space(args.sweep)
    objective, direction = parse_objective(args.optimize)
    analysis = tracker._analyze(body)
    explicit = getattr(args, "params", None) or {}
    literal = set(analysis.params) | set(explicit)
    unknown = [d.name for d in dims if d.name not in literal]
    if unknown:
        raise UsageError(
            f"%%track --sweep: {', '.join(unknown)} is not a parameter of this cell "
            f"(its parameters: {', '.join(sorted(literal)) or 'none'}); assign it a literal "
            "in the cell or pass it with --param"
        )
    sweep = Sweep(dims, args.trials, objective, direction, args.seed)
    sweep_id = uuid.uuid4().hex[:12]
    shell = tracker.shell
    handle = display(HTML(_table_html(sweep_id, [], objective, direction, sweep.n)), display_id=True)
    bar = _progress(sweep.n)
    rows: list[dict] = []
    best = None
    t0 = time.time()
    try:
        for i in range(sweep.n):
            trial, values = sweep.ask(i)
            trial_body, inject = substitute(body, values)
            shell.user_ns.update(inject)
            trial_args = _trial_args(args, sweep_id, i, values, inject)
            # One view for the sweep, not each trial's prints and plots (they are kept in the
            # trial's run as stdout and images); warnings and tracebacks still show.
            with capture_output(stderr=False):
                tracker.start(trial_args, trial_body, info=None)
                run = tracker.run
                if run is not None:
                    run.extra_context.update({"sweep_id": sweep_id, "trial": i})
                    result = shell.run_cell(trial_body, store_history=False)
            if run is None:  # start failed and warned: nothing more to try
                break
            err = result.error_in_exec or result.error_before_exec
            value = run.metrics.get(objective) if objective else None
            if objective and value is not None and math.isfinite(value):
                if best is None or (value > best if direction == "maximize" else value < best):
                    best = value
            sweep.tell(trial, value, failed=err is not None)
            rows.append(
                {"trial": i, "run_id": run.run_id, "status": run.status, "values": values, "metrics": dict(run.metrics)}
            )
            handle.update(HTML(_table_html(sweep_id, rows, objective, direction, sweep.n)))
            _advance(bar, best, objective)
            if isinstance(err, KeyboardInterrupt):
                break
            if err is not None and args.stop_on_error:
                break
    except KeyboardInterrupt:  # Ctrl-C between two trials' cells: the open trial is interrupted
        if tracker.run is not None:
            from types import SimpleNamespace

            tracker.finish(
                SimpleNamespace(
                    error_in_exec=KeyboardInterrupt(),
                    error_before_exec=None,
                    execution_count=None,
                    result=None,
                    info=None,
                )
            )
    finally:
        if bar is not None:
            bar.close()
    tracker.last_sweep = sweep_id
    print(
        f"nbtrack sweep {sweep_id}: {len(rows)} trials in {time.time() - t0:.1f}s"
        + (f", best {objective} = {best:.6g}" if best is not None else "")
        + f"; nbtrack.sweep({sweep_id!r}) lists them"
    )
    return sweep_id


def _trial_args(args, sweep_id: str, i: int, values: dict, inject: dict):
    import copy

    trial = copy.copy(args)
    trial.quiet = True  # one view for the whole sweep, not a card per trial
    trial.params = {**(getattr(args, "params", None) or {}), **inject}
    trial.tag = list(args.tag) + [f"sweep:{sweep_id}"]
    trial.name = args.name or f"trial {i}"
    return trial


def _progress(n: int):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=n, desc="sweep", unit="trial")


def _advance(bar, best, objective) -> None:
    if bar is None:
        return
    if best is not None:
        bar.set_postfix({f"best {objective}": f"{best:.4g}"}, refresh=False)
    bar.update(1)


def _table_html(sweep_id: str, rows: list[dict], objective: str | None, direction: str, n: int) -> str:
    """The live view: trials sorted by the objective. Every value is escaped text."""
    from .summary import format_value

    names = list(rows[0]["values"]) if rows else []
    keys = sorted({k for r in rows for k in r["metrics"] if not k.startswith("sys.")})
    if objective in keys:
        keys.remove(objective)
        keys.insert(0, objective)

    def sort_key(r):
        v = r["metrics"].get(objective) if objective else None
        if v is None or not math.isfinite(v):
            return (1, 0.0)
        return (0, -v if direction == "maximize" else v)

    ordered = sorted(rows, key=sort_key) if objective else rows
    head = "".join(f"<th>{escape(h)}</th>" for h in ["trial", "status", *names, *keys])
    body = []
    for r in ordered:
        cells = (
            [str(r["trial"]), r["status"]]
            + [format_value(r["values"][k]) for k in names]
            + [format_value(r["metrics"][k]) if k in r["metrics"] else "" for k in keys]
        )
        body.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    title = f"nbtrack sweep {escape(sweep_id)}: {len(rows)}/{n} trials"
    if objective:
        title += f", sorted by {escape(objective)} ({'max' if direction == 'maximize' else 'min'})"
    axes = names + ([objective] if objective in keys else [])
    chart = _parallel_svg(rows, names, axes, objective, direction) if rows and len(axes) >= 2 else ""
    return (
        f"<div class='nbtrack-sweep'><b>{title}</b>"
        f"<div style='display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap'>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{chart}</div></div>"
    )


def _parallel_svg(rows, names, axes, objective, direction, width=460, height=220) -> str:
    """Parallel coordinates of the trials as inline SVG (no script, every label escaped):
    one axis per swept name and the objective; the better a trial, the darker its line."""
    from .summary import format_value

    pad, top, bottom = 40, 24, 30
    span = (width - 2 * pad) / max(1, len(axes) - 1)

    def column(axis):
        return [r["values"].get(axis) if axis in names else r["metrics"].get(axis) for r in rows]

    # per axis: (low, high) when every value is a finite number, else the categories in order;
    # a trial without the value (failed, or no objective) draws no line, so it does not count
    scales: list[tuple[float, float] | list[str]] = []
    for axis in axes:
        vals = column(axis)
        nums = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
        if nums and len(nums) == sum(v is not None for v in vals):
            scales.append((min(nums), max(nums)))
        else:
            scales.append(list(dict.fromkeys(map(str, vals))))

    def y(i, v):
        scale = scales[i]
        if isinstance(scale, tuple):
            lo, hi = scale
            frac = 0.5 if hi == lo else (v - lo) / (hi - lo)
        else:
            frac = 0.5 if len(scale) == 1 else scale.index(str(v)) / (len(scale) - 1)
        return top + (1 - frac) * (height - top - bottom)

    objs = [r["metrics"].get(objective) for r in rows] if objective else []
    finite = [v for v in objs if isinstance(v, float) and math.isfinite(v)]
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "style='font:11px sans-serif' role='img' aria-label='parallel coordinates'>"
    ]
    for j, r in enumerate(rows):
        if r["status"] != "finished":
            continue
        pts = []
        for i, axis in enumerate(axes):
            v = r["values"].get(axis) if axis in names else r["metrics"].get(axis)
            if v is None:
                break
            pts.append(f"{pad + i * span:.1f},{y(i, v):.1f}")
        if len(pts) != len(axes):
            continue
        shade = 0.5
        if finite and isinstance(objs[j], float):
            lo, hi = min(finite), max(finite)
            shade = 0.5 if hi == lo else (objs[j] - lo) / (hi - lo)
            shade = shade if direction == "maximize" else 1 - shade
        parts.append(
            f"<polyline fill='none' stroke='rgb(31,119,180)' stroke-opacity='{0.15 + 0.85 * shade:.2f}' "
            f"stroke-width='{1 + 2 * shade:.1f}' points='{' '.join(pts)}'/>"
        )
    for i, axis in enumerate(axes):
        x = pad + i * span
        scale = scales[i]
        if isinstance(scale, tuple):
            lo_label, hi_label = format_value(scale[0]), format_value(scale[1])
        else:
            lo_label, hi_label = scale[0], scale[-1]
        parts.append(
            f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{height - bottom}' stroke='#888'/>"
            f"<text x='{x:.1f}' y='{height - 8}' text-anchor='middle'>{escape(str(axis))}</text>"
            f"<text x='{x + 3:.1f}' y='{top - 6}'>{escape(str(hi_label))}</text>"
            f"<text x='{x + 3:.1f}' y='{height - bottom + 12}'>{escape(str(lo_label))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
