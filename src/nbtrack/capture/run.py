"""The run lifecycle: running -> finished | failed | interrupted (crashed is read-side).

A ``Run`` hands rows to the store's writer and buffers ``log`` points in memory; the writer
drains them in the background at least every 0.5 s. Nothing here blocks on the store.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import socket
import sys
import threading
import time
import traceback as tb
import warnings
from array import array
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import NbtrackWarning
from ..store import at_exit
from ..store.ids import new_run_id
from . import context
from .values import as_metric, param_kind, safe_repr

if TYPE_CHECKING:  # numpy/pyarrow load on the writer thread's first drain, not at import
    import pyarrow as pa

    from ..store import Store

_time = time.time
_HOST = socket.gethostname()
_PID = [os.getpid()]  # a system call (~1 us here), twice a run: kept, and renewed in a forked child
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


def _utc(ts: float) -> dt.datetime:
    """Epoch seconds as the store's naive UTC timestamp (the MLflow plugin store uses it)."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)


def _index_type(n: int):
    """The smallest signed integer type that numbers ``n`` things (dictionary indices)."""
    import numpy as np

    return np.int8 if n <= 127 else np.int16 if n <= 32767 else np.int32


def _last_of_each_key(keys: list[str], code_of: dict[str, int], codes):
    """(key codes, index of each key's last point) of one run's points: scanned back from the
    end, where every key's last point usually is; else in one pass over all of them."""
    import numpy as np

    found: dict[str, int] = {}
    for i in range(len(keys) - 1, max(-1, len(keys) - 4097), -1):
        found.setdefault(keys[i], i)
        if len(found) == len(code_of):
            codes = np.fromiter(map(code_of.__getitem__, found), np.intp, len(found))
            return codes, np.fromiter(found.values(), np.int64, len(found))
    return _last_of_each_pair(codes.astype(np.intp), len(code_of))


def _last_of_each_pair(pair, size: int):
    """(pair numbers, index of each one's last element) of numbers below ``size``: the highest
    index per number in one pass (no sort of a million points), numbered densely unless that
    table would be much larger than the points."""
    import numpy as np

    if size <= 4 * len(pair) + 4096:
        last_at = np.full(size, -1, np.int64)
        np.maximum.at(last_at, pair, np.arange(len(pair), dtype=np.int64))  # same types: the fast path
        pairs = np.flatnonzero(last_at >= 0)
        return pairs, last_at[pairs]
    pairs, dense = np.unique(pair, return_inverse=True)
    last_at = np.full(len(pairs), -1, np.int64)
    np.maximum.at(last_at, dense, np.arange(len(pair), dtype=np.int64))
    return pairs, last_at


class Points:
    """A run's logged points not yet drained, column by column: the writer takes them as
    arrays (no tuple per point). One thread appends; the writer only reads a prefix and deletes
    it. ``keys`` is appended last, so its length is the number of complete points. The writer
    drains this object, not the Run: an ended run keeps only its buffers alive until the next
    pass (and a short one not even those: ``Run.end``)."""

    __slots__ = ("run_id", "keys", "steps", "values", "times", "last", "finished")

    def __init__(self, run_id: str = "") -> None:
        self.run_id = run_id
        self.keys: list[str] = []
        self.steps = array("d")
        self.values = array("d")
        self.times = array("d")
        self.last: dict[str, tuple] = {}  # key -> (value, step, time) of the points drained so far
        self.finished = False  # set when the run ends: the writer drains it once more, then drops it

    def append(self, point: tuple) -> None:
        """Add one ``(key, step, value, time)`` point (integrations' path)."""
        key, step, value, t = point
        self.values.append(value)  # first: a value that is no float raises before any append
        self.steps.append(step)
        self.times.append(t)
        self.keys.append(key)

    def __len__(self) -> int:
        return len(self.keys)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def __iter__(self):
        """``(key, step, value, time)`` of each complete point (a copy: safe while appending)."""
        n = len(self.keys)
        return zip(self.keys[:n], self.steps[:n], self.values[:n], self.times[:n])

    def take(self, n: int) -> None:
        """Forget the first ``n`` points (drained)."""
        del self.values[:n], self.steps[:n], self.times[:n], self.keys[:n]

    def rows(self, run_id: str) -> tuple[list[tuple], list[tuple]]:
        """The buffered points as series rows and the last point of each key as metrics rows
        (``Writer.put_tuples``: schema order, times as epoch seconds), as a drain makes them."""
        series, last = [], {}
        for key, step, value, t in self:
            series.append((run_id, key, step, value, t))
            last[key] = (run_id, key, value, step, t, int(t * 1e9))
        return series, list(last.values())

    def has_points(self) -> bool:
        return bool(self.keys)

    def drain(self) -> "dict[str, pa.Table]":
        return Points.drain_many([self])

    @staticmethod
    def drain_many(sources: "list[Points]") -> "dict[str, pa.Table]":
        """The buffered points of many runs as one series and one metrics table (the writer
        drains a burst of short runs this way: tables per run cost ~250 us each). No Python
        per point: the buffers go to numpy as they are."""
        import numpy as np
        import pyarrow as pa

        from ..store.schema import TABLES, TS

        # Appends made meanwhile sit after index n and stay (keys is appended last).
        taken = [(p, n) for p in sources if (n := len(p.keys))]
        if not taken:
            return {}
        # Slices first: a slice is a copy made in one C call, and numpy views only those. A
        # view of a live buffer would make the cell's next append fail (BufferError).
        if len(taken) == 1:  # one long run (the card's path): no second copy of its keys
            p, n = taken[0]
            keys = p.keys[:n]
            steps, values, times = (np.frombuffer(b[:n], np.float64) for b in (p.steps, p.values, p.times))
        else:
            keys = list(itertools.chain.from_iterable(p.keys[:n] for p, n in taken))
            steps, values, times = (
                np.frombuffer(bytearray().join([getattr(p, col)[:n] for p, n in taken]), np.float64)
                for col in ("steps", "values", "times")
            )
        # Keys as dictionary codes through a dict of the few distinct ones, in C (pa.array of
        # a million strings and its encoding cost twice as much).
        names = list(dict.fromkeys(keys))
        code_of = {k: i for i, k in enumerate(names)}
        codes = np.fromiter(map(code_of.__getitem__, keys), _index_type(len(names)), len(keys))
        total, n_keys = len(codes), len(names)
        if len(taken) == 1:
            run_codes = np.zeros(total, np.int8)
            pairs, last_at = _last_of_each_key(keys, code_of, codes)
        else:
            counts = np.fromiter((n for _, n in taken), np.int64, len(taken))
            run_codes = np.repeat(np.arange(len(taken), dtype=_index_type(len(taken))), counts)
            pairs, last_at = _last_of_each_pair(run_codes.astype(np.intp) * n_keys + codes, len(taken) * n_keys)
        m_run, m_key = (pairs // n_keys).astype(np.int32), (pairs % n_keys).astype(np.int32)
        run_ids = pa.array([p.run_id for p, _ in taken], pa.string())
        key_names = pa.array(names, pa.string())
        m_times = times[last_at]
        # Microseconds, rounded half to even as datetime rounds: in the copy's own buffer (a new
        # array of 5M points costs its page faults here, more than the arithmetic).
        np.rint(np.multiply(times, 1e6, out=times), out=times)
        us = times.astype(np.int64)
        # Run ids and keys stay dictionary-encoded in the spool file (readers cast them): 5M
        # points are 130 MB on disk instead of 260 MB.
        series = pa.table(
            {
                "run_id": pa.DictionaryArray.from_arrays(run_codes, run_ids),
                "key": pa.DictionaryArray.from_arrays(codes, key_names),
                "step": steps,
                "value": values,
                "time": pa.array(us).cast(TS),
            }
        )
        metric_rows = pa.table(
            {
                "run_id": pa.DictionaryArray.from_arrays(m_run, run_ids),
                "key": pa.DictionaryArray.from_arrays(m_key, key_names),
                "value": values[last_at],
                "step": steps[last_at],
                "time": pa.array(us[last_at]).cast(TS),
                "seq": (m_times * 1e9).astype(np.int64),
            }
        ).cast(TABLES["metrics"])
        # Only now that the tables exist do the points leave the buffers (a failure above
        # keeps them for the next pass). ``last`` first, so last_values() never misses a
        # point. One entry per (run, key) drained: a few per run, not one per point.
        for r, k, v, st, t in zip(
            m_run.tolist(), m_key.tolist(), values[last_at].tolist(), steps[last_at].tolist(), m_times.tolist()
        ):
            taken[r][0].last[names[k]] = (v, st, t)
        for p, n in taken:
            p.take(n)
        return {"series": series, "metrics": metric_rows}


class Run:
    """One execution. Use ``nbtrack.start(...)`` in scripts; ``%%track`` makes one per cell."""

    def __init__(
        self,
        store: Store,
        name: str | None = None,
        experiment: str | None = None,
        tags: list[str] | None = None,
        params: dict[str, Any] | None = None,
        notebook: str | None = None,
        cell_id: str | None = None,
        execution_count: int | None = None,
        source: str | None = None,
    ):
        self.store = store
        self.run_id = new_run_id()
        self.name = name
        self.experiment = experiment or context.experiment_default(notebook)
        self.tags = [str(t) for t in (tags or [])]
        self.params = dict(params or {})
        self.notebook = notebook
        self.cell_id = cell_id
        self.execution_count = execution_count
        self.source = source
        self.status = "running"
        self.started = _time()
        self.ended: float | None = None
        self.metrics: dict[str, float] = {}
        self.error: dict[str, str] | None = None
        self._points = Points()
        self._next_step: float = 0
        self._last = self._points.last  # key -> (value, step, time): drained so far
        self._cwd = os.getcwd()  # once per run: where the run started
        self._git = context.GitProbe.for_cwd(self._cwd)
        self._seq = 0
        self._begun = False
        self._writer: Any = None  # the store's writer, from begin() on
        self._writer_pid = -1
        self.extra_context: dict[str, Any] = {}  # run-level context fields: integrations, sweeps, replays
        self.param_sources: dict[str, str] = {}  # key -> rule that captured it (inherited, ...)
        self.pending_metrics: dict[str, float] = {}  # log_metrics(): final values set by hand

    # -- hot path ---------------------------------------------------------------------------

    def log(self, step: Any = None, metrics: Mapping[str, Any] | None = None, /, **values: Any) -> None:
        """Add one point per metric at ``step`` (default: previous step + 1), as ``nbtrack.log``
        does: ``run.log(step=3, loss=0.2, acc=0.9)``. Keys that are not Python names go in a
        dict: ``run.log(3, {"val/loss": 0.2})`` (or ``metrics={...}``; a value is never a dict)."""
        if isinstance(step, Mapping):  # run.log({"loss": 0.2})
            step, metrics = None, step
        if "step" in values and step is None:
            step = values.pop("step")
        if isinstance(values.get("metrics"), Mapping):
            metrics = {**values.pop("metrics"), **(metrics or {})}
        if metrics:
            values = {**metrics, **values} if values else dict(metrics)
        if step is None:
            step = self._next_step
        elif type(step) is not int and type(step) is not float:
            step = _check_number("step", step)
        self._next_step = step + 1
        _append_points(self._points, step if type(step) is float else _step_float(step), values)

    def log_params(self, params: dict[str, Any], source: str | None = None) -> None:
        """Add parameters while the run is running (a key already set keeps its first value:
        the params table is append-only, and the first value is what the run started with).
        ``source`` says which rule or API produced them (shown by ``--explain``)."""
        new = {str(k): v for k, v in params.items() if str(k) not in self.params}
        if not new:
            return
        self.params.update(new)
        if source:
            for k in new:
                self.param_sources[k] = source
        if self._begun:
            self._writer_now().put_tuples("params", self._param_rows(new))

    def log_metrics(self, metrics: dict[str, Any]) -> None:
        """Set final metric values (not series points); written when the run ends."""
        for key, value in metrics.items():
            self.pending_metrics[str(key)] = _check_number(str(key), value)

    def add_artifacts(self, rows: list[dict]) -> None:
        """Store artifact rows (``name``, ``mime``, ``size``, ``data``) now, while the run runs
        (integrations: logged images, tables, artifact manifests)."""
        if rows:
            self._writer_now().put("artifacts", [{"run_id": self.run_id, **r} for r in rows])

    def on_end(self, fn) -> None:
        """Call ``fn(run, status)`` when the run ends, before its final rows are written
        (integrations flush buffered points and summaries there). Errors in ``fn`` are ignored."""
        self.__dict__.setdefault("_end_hooks", []).append(fn)

    # -- lifecycle --------------------------------------------------------------------------

    def begin(self) -> "Run":
        if "IPython" in sys.modules:  # without IPython it has nothing to do (a script: ~1.5 us a run)
            context.import_on_main_thread()  # before the writer thread can import pandas (issue 14)
        w = self._writer = self.store.writer  # end() uses it again (the property costs a getpid)
        self._writer_pid = _PID[0]
        w.put_tuples("runs", [self._row()])
        if self.params:
            w.put_tuples("params", self._param_rows(self.params))
        self._begun = True
        self._points.run_id = self.run_id  # an importer may have set the run's id after __init__
        w.run_started(self.run_id, self._points)
        _active.add(self)
        return self

    def end(
        self,
        status: str,
        exc: BaseException | None = None,
        metrics: dict[str, float] | None = None,
        inputs: list[dict] | None = None,
        outputs: list[dict] | None = None,
        artifacts: list[dict] | None = None,
    ) -> None:
        if self.status != "running":
            return
        for fn in self.__dict__.pop("_end_hooks", ()):
            try:
                fn(self, status)
            except Exception:
                pass
        self.ended = _time()
        self.status = status
        self._points.finished = True
        if exc is not None:
            self.error = {
                "type": type(exc).__name__,
                "message": _text(exc)[:10_000],
                "traceback": "".join(tb.format_exception(type(exc), exc, _user_frames(exc.__traceback__)))[-100_000:],
            }
        w = self._writer_now()
        seq = time.time_ns()
        if self.pending_metrics:
            metrics = {**(metrics or {}), **self.pending_metrics}
        if metrics:
            self.metrics.update(metrics)
        final_row = self._row()
        with w.cut_lock:  # a writer pass takes all of this or none of it
            # A short run the writer has not taken yet puts its few points as rows, before its
            # final metrics (a pass keeps the last row put per run and key); else the writer
            # drains them once more.
            if len(self._points) <= 64 and w.release(self.run_id) is not None:
                series, last = self._points.rows(self.run_id)
                if series:
                    w.put_tuples("series", series)
                    w.put_tuples("metrics", last)
            if metrics:
                rid, ended = self.run_id, self.ended
                w.put_tuples("metrics", [(rid, k, v, None, ended, seq) for k, v in metrics.items()])
            for table, rows in (("inputs", inputs), ("outputs", outputs), ("artifacts", artifacts)):
                if rows:
                    w.put(table, [{"run_id": self.run_id, **r} for r in rows])
            w.put_tuples("runs", [final_row])
        w.run_ended(self.run_id)
        _active.discard(self)

    def _writer_now(self) -> Any:
        """The store's writer: the one begin() found (``Store.writer`` costs a getpid), unless
        this is a forked child, which gets its own."""
        return self._writer if self._writer_pid == _PID[0] else self.store.writer

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def duration_s(self) -> float:
        return (self.ended or _time()) - self.started

    def drain(self) -> "dict[str, pa.Table]":
        """Take the points logged so far (the writer drains ``_points`` itself)."""
        return Points.drain_many([self._points])

    def has_points(self) -> bool:
        """Points logged and not drained yet."""
        return bool(self._points)

    def last_values(self) -> dict[str, float]:
        """The latest point of each series (drained or still buffered)."""
        out = {k: v for k, (v, _, _) in self._last.items()}
        for key, _step, value, _t in self._points:
            out[key] = value
        return out

    def last_points(self) -> dict[str, tuple]:
        """``key -> (value, step, time)`` of each series' latest point (drained or buffered)."""
        out = dict(self._last)
        for key, step, value, t in self._points:
            out[key] = (value, step, t)
        return out

    # -- rows ---------------------------------------------------------------------------------

    def _row(self) -> tuple:
        """The runs row, in schema order, times as epoch seconds (``Writer.put_tuples``)."""
        self._seq += 1
        git = self._git.result if self.status != "running" else {}  # what the probe has found by now
        error = self.error or {}
        ended = self.ended
        return (
            self.run_id,
            self._seq,
            self.name,
            self.experiment,
            self.notebook,
            self.cell_id,
            self.execution_count,
            self.source,
            self.status,
            self.started,
            ended,
            (ended - self.started) if ended else None,
            tuple(self.tags),
            _HOST,
            _PID[0],
            git.get("git_commit"),
            git.get("git_dirty"),
            error.get("type"),
            error.get("message"),
            error.get("traceback"),
            self._context_json(),
        )

    def _context_json(self) -> str:
        """The run's context column: Python, platform, cwd, package versions (the same for every
        run of a process and folder: serialised once), then param sources and extra fields."""
        base, keys = _base_context(self._cwd)
        if not self.extra_context and not self.param_sources:
            return base
        extra = self.extra_context
        if self.param_sources:
            extra = {"param_sources": self.param_sources, **extra}
        if keys.isdisjoint(extra):
            return base[:-1] + ", " + json.dumps(extra)[1:]
        return json.dumps({**json.loads(base), **extra})  # an extra field overrides a base one

    def _param_rows(self, params: Mapping[str, Any]) -> list[tuple]:
        rid = self.run_id
        return [(rid, str(k), *param_kind(v)) for k, v in params.items()]

    # -- scripts: ``with nbtrack.start(...) as run`` ------------------------------------------

    def __enter__(self) -> "Run":
        if self.status == "running" and self not in _active:
            self.begin()
        _stack.append(self)
        return self

    def __exit__(self, exc_type, exc, _tb) -> None:
        if _stack and _stack[-1] is self:
            _stack.pop()
        if exc is None:
            self.end("finished", metrics=self.last_values())
        elif isinstance(exc, KeyboardInterrupt):
            self.end("interrupted", exc, metrics=self.last_values())
        else:
            self.end("failed", exc, metrics=self.last_values())

    def __repr__(self) -> str:
        return f"<nbtrack.Run {self.run_id} {self.status} name={self.name!r}>"


_base_cache: dict[tuple, tuple[str, frozenset]] = {}


def _base_context(cwd: str) -> tuple[str, frozenset]:
    # Package versions change only when a module is imported: keyed on the number of modules.
    key = (cwd, len(sys.modules))
    hit = _base_cache.get(key)
    if hit is None:
        ctx = context.static_context()
        ctx["cwd"] = cwd
        ctx["packages"] = context.packages()
        if len(_base_cache) > 64:
            _base_cache.clear()
        hit = _base_cache[key] = (json.dumps(ctx), frozenset(ctx))
    return hit


def _user_frames(trace):
    """The traceback from the first frame that is not IPython's (cell runner) machinery."""
    import os

    import IPython

    ipython_dir = os.path.dirname(IPython.__file__)
    first = trace
    while trace is not None and trace.tb_frame.f_code.co_filename.startswith(ipython_dir):
        trace = trace.tb_next
    return trace or first


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return safe_repr(exc)


def _append_points(points: Points, step: Any, values: Mapping[str, Any]) -> None:
    t = _time()
    for key, value in values.items():
        if type(value) is not float:
            value = _as_float(key, value)
        points.values.append(value)
        points.steps.append(step)
        points.times.append(t)
        points.keys.append(str(key))


def _as_float(name: str, value: Any) -> float:
    """A logged value as a float: ints too (one too large for a float is an error here, in
    the cell, not a buffer the writer can never convert)."""
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return _check_number(name, value)


def _step_float(step: Any) -> float:
    """A step as stored (float64); an int too large for a float clips to ±inf, never raises."""
    try:
        return float(step)
    except OverflowError:
        return math.inf if step > 0 else -math.inf


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    number = as_metric(value)
    if number is None:
        raise TypeError(
            f"nbtrack.log: {name!r} must be a real number (int, float, numpy scalar), got "
            f"{type(value).__name__} {safe_repr(value, 60)}. Log numbers; put text in tags or params."
        )
    return number


# Active runs: ``nbtrack.log`` goes to the innermost one.
_active: set[Run] = set()
_stack: list[Run] = []
_warned_outside = threading.Event()


def current() -> Run | None:
    return _stack[-1] if _stack else None


def log(step: Any = None, **metrics: Any) -> None:
    """Add series points to the active run: ``nbtrack.log(step=3, loss=0.2, acc=0.9)``.

    ``step`` defaults to the previous step + 1. Values must be real numbers. Outside a tracked
    cell or ``nbtrack.start`` block it warns once and does nothing.
    """
    # The body of Run.log inlined: this is the 1M-calls-in-a-loop path (one call, not two).
    if _stack:
        run = _stack[-1]
        if step is None:
            step = run._next_step
        elif type(step) is not int and type(step) is not float:
            step = _check_number("step", step)
        run._next_step = step + 1
        if type(step) is not float:
            step = _step_float(step)
        t = _time()
        points = run._points
        for key, value in metrics.items():
            if type(value) is not float:
                value = _as_float(key, value)
            # Value first (the only append that can fail), keys last (see Points).
            points.values.append(value)
            points.steps.append(step)
            points.times.append(t)
            points.keys.append(key)
    else:
        if not _warned_outside.is_set():
            _warned_outside.set()
            warnings.warn(
                "nbtrack.log() called outside a tracked cell: nothing recorded. "
                "Add %%track as the cell's first line, or use `with nbtrack.start():`.",
                NbtrackWarning,
                stacklevel=2,
            )


def log_params(**params: Any) -> None:
    """Parameters no capture rule can see: ``nbtrack.log_params(lr=0.1, optimizer="adam")``."""
    run = current()
    if run is None:
        warnings.warn("nbtrack.log_params() called outside a tracked cell: nothing recorded.", NbtrackWarning, 2)
        return
    run.log_params(params, source="log_params")


def log_metrics(**metrics: Any) -> None:
    """Final metric values no capture rule can see: ``nbtrack.log_metrics(auc=0.93)``."""
    run = current()
    if run is None:
        warnings.warn("nbtrack.log_metrics() called outside a tracked cell: nothing recorded.", NbtrackWarning, 2)
        return
    run.log_metrics(metrics)


def install_sigterm_handler() -> None:
    """Jupyter restarts a busy kernel with SIGTERM, then SIGKILL. Python's default for SIGTERM
    skips atexit, so the run would read as crashed; mark it interrupted first, then terminate
    as before. Only from the main thread (where signal handlers live)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if getattr(previous, "_nbtrack", False):
        return

    def on_sigterm(signum, frame):
        _close_active_runs()
        from .execlog import flush_all

        flush_all()  # the default SIGTERM skips exit hooks: the log's pending lines go now
        if callable(previous):
            previous(signum, frame)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    on_sigterm._nbtrack = True  # type: ignore[attr-defined]  # marks our handler (installed once)
    signal.signal(signal.SIGTERM, on_sigterm)


@at_exit
def _close_active_runs() -> None:
    """Process exit (kernel shutdown or restart) while a run is active: it was interrupted."""
    stores = set()
    for run in list(_active):
        try:
            run.end("interrupted", SystemExit("the process exited while the run was active"), metrics=run.last_values())
            stores.add(run.store)
        except Exception:
            pass
    for store in stores:
        try:
            store.flush(timeout=2)
        except Exception:
            pass
