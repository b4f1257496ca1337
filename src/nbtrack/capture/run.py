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

from ..store import at_exit
from ..store.ids import new_run_id
from . import context
from .values import as_metric, param_kind, safe_repr

if TYPE_CHECKING:  # numpy/pyarrow load on the writer thread's first drain, not at import
    import pyarrow as pa

    from ..store import Store

_time = time.time
_HOST = socket.gethostname()


def _utc(ts: float) -> dt.datetime:
    """Epoch seconds as the store's naive UTC timestamp (the MLflow plugin store uses it)."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)


class Points:
    """A run's logged points not yet drained, column by column: the writer takes them as
    arrays (no tuple per point). One thread appends; the writer only reads a prefix and deletes
    it. ``keys`` is appended last, so its length is the number of complete points."""

    __slots__ = ("keys", "steps", "values", "times")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.steps = array("d")
        self.values = array("d")
        self.times = array("d")

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
        self._last: dict[str, tuple] = {}  # key -> (value, step, time): drained so far
        self._cwd = os.getcwd()  # once per run: where the run started
        self._git = context.GitProbe.for_cwd(self._cwd)
        self._seq = 0
        self._begun = False
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
            self.store.writer.put_tuples("params", self._param_rows(new))

    def log_metrics(self, metrics: dict[str, Any]) -> None:
        """Set final metric values (not series points); written when the run ends."""
        for key, value in metrics.items():
            self.pending_metrics[str(key)] = _check_number(str(key), value)

    def add_artifacts(self, rows: list[dict]) -> None:
        """Store artifact rows (``name``, ``mime``, ``size``, ``data``) now, while the run runs
        (integrations: logged images, tables, artifact manifests)."""
        if rows:
            self.store.writer.put("artifacts", [{"run_id": self.run_id, **r} for r in rows])

    def on_end(self, fn) -> None:
        """Call ``fn(run, status)`` when the run ends, before its final rows are written
        (integrations flush buffered points and summaries there). Errors in ``fn`` are ignored."""
        self.__dict__.setdefault("_end_hooks", []).append(fn)

    # -- lifecycle --------------------------------------------------------------------------

    def begin(self) -> "Run":
        context.import_on_main_thread()  # before the writer thread can import pandas (issue 14)
        w = self.store.writer
        w.put_tuples("runs", [self._row()])
        if self.params:
            w.put_tuples("params", self._param_rows(self.params))
        self._begun = True
        w.run_started(self.run_id, self)
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
        if exc is not None:
            self.error = {
                "type": type(exc).__name__,
                "message": _text(exc)[:10_000],
                "traceback": "".join(tb.format_exception(type(exc), exc, _user_frames(exc.__traceback__)))[-100_000:],
            }
        w = self.store.writer
        seq = time.time_ns()
        if self.pending_metrics:
            metrics = {**(metrics or {}), **self.pending_metrics}
        if metrics:
            self.metrics.update(metrics)
            rid, ended = self.run_id, self.ended
            w.put_tuples("metrics", [(rid, k, v, None, ended, seq) for k, v in metrics.items()])
        for table, rows in (("inputs", inputs), ("outputs", outputs), ("artifacts", artifacts)):
            if rows:
                w.put(table, [{"run_id": self.run_id, **r} for r in rows])
        w.put_tuples("runs", [self._row()])
        w.run_ended(self.run_id)
        _active.discard(self)

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def duration_s(self) -> float:
        return (self.ended or _time()) - self.started

    def drain(self) -> "dict[str, pa.Table]":
        """Take the points logged so far (called by the writer thread)."""
        return Run.drain_many([self])

    def has_points(self) -> bool:
        """Points logged and not drained yet (the writer asks before it says it is idle)."""
        return bool(self._points)

    @staticmethod
    def drain_many(runs: "list[Run]") -> "dict[str, pa.Table]":
        """``drain`` for many runs at once: one series and one metrics table for all of them
        (the writer drains a burst of short runs this way: tables per run cost ~250 us each).
        Columns go to Arrow as they are buffered: no Python per point."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from ..store.schema import TABLES, TS

        # Appends made meanwhile sit after index n and stay (keys is appended last).
        taken = [(run, n) for run in runs if (n := len(run._points.keys))]
        if not taken:
            return {}
        # Slices first: a slice is a copy made in one C call, and numpy views only those. A
        # view of a live buffer would make the cell's next append fail (BufferError).
        if len(taken) == 1:  # one long run (the card's path): no second copy of its keys
            run, n = taken[0]
            bufs = run._points
            keys = bufs.keys[:n]
            steps, values, times = (np.frombuffer(b[:n], np.float64) for b in (bufs.steps, bufs.values, bufs.times))
        else:
            keys = list(itertools.chain.from_iterable(run._points.keys[:n] for run, n in taken))
            steps, values, times = (
                np.frombuffer(b"".join([getattr(run._points, col)[:n].tobytes() for run, n in taken]), np.float64)
                for col in ("steps", "values", "times")
            )
        total = len(keys)
        # Keys as dictionary codes, encoded in C (encoding each str apart cost 0.4 s per 1M).
        key_strings = pa.array(keys, pa.string())
        encoded = key_strings.dictionary_encode()
        key_dict = encoded.dictionary
        codes = encoded.indices.to_numpy().astype(np.int32)
        n_keys = len(key_dict)
        counts = np.fromiter((n for _, n in taken), np.int64, len(taken))
        run_codes = np.repeat(np.arange(len(taken), dtype=np.int32), counts)
        run_ids = pa.array([run.run_id for run, _ in taken], pa.string())
        # The last point of each (run, key). One run: scan back until every key is seen (a
        # few points; sorting a million cost 0.13 s). Many runs: first occurrence in reversed
        # order, vectorised.
        if len(taken) == 1:
            found: dict[int, int] = {}
            for i in range(total - 1, -1, -1):
                found.setdefault(int(codes[i]), i)
                if len(found) == n_keys:
                    break
            m_key = np.fromiter(sorted(found), np.int32, len(found))
            last_at = np.fromiter((found[k] for k in sorted(found)), np.int64, len(found))
            m_run = np.zeros(len(found), np.int32)
        else:
            combo = run_codes.astype(np.int64) * n_keys + codes
            uniq, first_rev = np.unique(combo[::-1], return_index=True)
            last_at = total - 1 - first_rev
            m_run = (uniq // n_keys).astype(np.int32)
            m_key = (uniq % n_keys).astype(np.int32)
        us = pc.round(pa.array(times * 1e6)).cast(pa.int64())  # microseconds, as datetime rounds
        series = pa.table(
            {
                "run_id": pa.DictionaryArray.from_arrays(run_codes, run_ids),
                "key": key_strings,  # as the schema has it: no cast of a million codes
                "step": steps,
                "value": values,
                "time": us.cast(TS),
            }
        ).cast(TABLES["series"])
        m_times = times[last_at]
        metric_rows = pa.table(
            {
                "run_id": pa.DictionaryArray.from_arrays(m_run, run_ids),
                "key": pa.DictionaryArray.from_arrays(m_key, key_dict),
                "value": values[last_at],
                "step": steps[last_at],
                "time": us.take(pa.array(last_at)).cast(TS),
                "seq": (m_times * 1e9).astype(np.int64),
            }
        ).cast(TABLES["metrics"])
        # Only now that the tables exist do the points leave the buffers (a failure above
        # keeps them for the next pass). _last first, so last_values() never misses a point.
        # One entry per (run, key) drained: a few per run, not one per point.
        names = key_dict.to_pylist()
        for r, k, v, st, t in zip(
            m_run.tolist(), m_key.tolist(), values[last_at].tolist(), steps[last_at].tolist(), m_times.tolist()
        ):
            taken[r][0]._last[names[k]] = (v, st, t)
        for run, n in taken:
            run._points.take(n)
        return {"series": series, "metrics": metric_rows}

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
        git = self._git.get(0) if self.status != "running" else {}
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
            os.getpid(),
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
        extra = dict(self.extra_context)
        if self.param_sources:
            extra = {"param_sources": self.param_sources, **extra}
        if not extra:
            return base
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
                stacklevel=2,
            )


def log_params(**params: Any) -> None:
    """Parameters no capture rule can see: ``nbtrack.log_params(lr=0.1, optimizer="adam")``."""
    run = current()
    if run is None:
        warnings.warn("nbtrack.log_params() called outside a tracked cell: nothing recorded.", stacklevel=2)
        return
    run.log_params(params, source="log_params")


def log_metrics(**metrics: Any) -> None:
    """Final metric values no capture rule can see: ``nbtrack.log_metrics(auc=0.93)``."""
    run = current()
    if run is None:
        warnings.warn("nbtrack.log_metrics() called outside a tracked cell: nothing recorded.", stacklevel=2)
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
