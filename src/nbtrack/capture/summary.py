"""The compact summary under a tracked cell: HTML in a notebook, text in a terminal.

Every user-provided string goes through ``html.escape``: a run called ``<img onerror=...>``
shows those characters.
"""

from __future__ import annotations

import math
import re
import threading
import time
from html import escape
from typing import Any

from ..format import format_duration, format_number, format_value  # noqa: F401  (format_value re-exported)

_LOWER_IS_BETTER = re.compile(r"loss|err|mse|mae|rmse|perplexity|time|latency|duration", re.I)


def lower_is_better(key: str) -> bool:
    return bool(_LOWER_IS_BETTER.search(key))


def _fmt(x: Any) -> str:
    return format_value(x, 60)


class RunSummary:
    def __init__(self, run, previous: dict[str, float] | None, best: dict[str, float]):
        self.run = run
        self.previous = previous or {}
        self.best = best

    def _metric_parts(self, key: str, value: float) -> tuple[str, str, str]:
        delta, best = "", ""
        prev = self.previous.get(key)
        if prev is not None and math.isfinite(value) and math.isfinite(prev):
            d = value - prev
            better = (d < 0) if lower_is_better(key) else (d > 0)
            sign = "+" if d >= 0 else "-"
            delta = f"{sign}{format_number(abs(d))} vs. previous" + ("" if d == 0 else (" ▲" if better else " ▼"))
        b = self.best.get(key)
        if b is not None:
            best = f"best {_fmt(b)}"
        return _fmt(value), delta, best

    def metric_rows(self) -> list[dict]:
        """One dict per final metric for the run card: key, value, delta, better, best
        (all text except ``better``: True/False when it changed vs. the previous run)."""
        rows = []
        for key, value in self.run.metrics.items():
            v, delta, best = self._metric_parts(key, value)
            prev = self.previous.get(key)
            better = None
            if prev is not None and math.isfinite(value) and math.isfinite(prev) and value != prev:
                better = (value < prev) if lower_is_better(key) else (value > prev)
            is_best = self.best.get(key) == value and len(self.previous) > 0
            rows.append(
                {
                    "key": str(key),
                    "value": v,
                    "delta": delta.replace(" ▲", "").replace(" ▼", ""),
                    "better": better,
                    "best": best,
                    "is_best": bool(is_best),
                }
            )
        return rows

    def __repr__(self) -> str:
        r = self.run
        lines = [
            f"nbtrack run {r.run_id} {r.status} in {format_duration(r.duration_s)}" + (f" ({r.name})" if r.name else "")
        ]
        if r.params:
            lines.append("  params:  " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.params.items()))
        for key, value in r.metrics.items():
            v, delta, best = self._metric_parts(key, value)
            lines.append(f"  {key} = {v}" + (f"  ({delta})" if delta else "") + (f"  [{best}]" if best else ""))
        if r.error:
            lines.append(f"  error: {r.error['type']}: {r.error['message']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        r = self.run
        color = {"finished": "#1a7f37", "failed": "#cf222e", "interrupted": "#9a6700"}.get(r.status, "#555")
        head = (
            f'<div class="nbtrack-summary" style="font:12px/1.5 var(--jp-ui-font-family,sans-serif);'
            f'border-left:3px solid {color};padding:2px 8px;margin:2px 0">'
            f'<b style="color:{color}">{escape(r.status)}</b> · {escape(format_duration(r.duration_s))} · '
            f'<code title="run id">{escape(r.run_id)}</code>'
            + (f" · <b>{escape(str(r.name))}</b>" if r.name else "")
            + "".join(
                f' <span style="background:#eee;border-radius:3px;padding:0 4px">{escape(t)}</span>' for t in r.tags
            )
        )
        rows = []
        if r.params:
            rows.append(
                "<div>params: "
                + ", ".join(f"<code>{escape(str(k))}</code>={escape(_fmt(v))}" for k, v in r.params.items())
                + "</div>"
            )
        for key, value in r.metrics.items():
            v, delta, best = self._metric_parts(key, value)
            rows.append(
                f"<div><code>{escape(str(key))}</code> = <b>{escape(v)}</b>"
                + (f' <span style="color:#666">({escape(delta)})</span>' if delta else "")
                + (f' <span style="color:#666">{escape(best)}</span>' if best else "")
                + "</div>"
            )
        if r.error:
            rows.append(f"<div>{escape(r.error['type'])}: {escape(r.error['message'][:300])}</div>")
        return head + "".join(rows) + "</div>"


def compare(metrics: dict[str, float], earlier: list[dict]) -> tuple[dict[str, float] | None, dict[str, float]]:
    """(metrics of the previous finished run, best value per key) over ``earlier`` runs of the
    cell (newest first, each ``{"run_id", "status", "metrics"}``), for a run with ``metrics``."""
    previous = next((r["metrics"] for r in earlier if r["status"] == "finished"), None)
    best: dict[str, float] = {}
    for k, v in metrics.items() if earlier else ():
        values = [v] + [r["metrics"][k] for r in earlier if isinstance(r["metrics"].get(k), float)]
        values = [x for x in values if x == x]
        if values:
            best[k] = min(values) if lower_is_better(k) else max(values)
    return previous, best


class CellHistory:
    """The recent runs of each cell (newest first), for "vs. previous run" and "best so far".

    Loaded once per (store, notebook) and kernel session, on a background thread, with one query
    for every cell of the notebook (``query.notebook_history``), then kept up to date with the
    runs this process makes. So no cell ever waits for the store: a run that ends before the
    load is done gets its comparison when the load ends (``when_loaded``).

    The loading thread imports nothing new: ``context.import_on_main_thread`` imported the store's
    query module (and pandas, pyarrow, DuckDB) at ``%load_ext`` time.
    """

    PER_CELL = 50
    RETRY_S = 10.0  # a load that failed (store busy, corrupt) is tried again this much later

    def __init__(self):
        self._cells: dict[tuple, list[dict]] = {}  # (store dir, notebook, cell id) -> runs
        self._loads: dict[tuple, threading.Event] = {}  # (store dir, notebook) -> loaded
        self._waiting: dict[tuple, list] = {}  # (store dir, notebook) -> callbacks
        self._failed: dict[tuple, float] = {}  # (store dir, notebook) -> when it failed
        self._lock = threading.Lock()

    def load(self, store, notebook) -> threading.Event:
        """Start loading the history of ``notebook`` (once); the event is set when it is in."""
        key = (str(store.dir), notebook)
        with self._lock:
            event = self._loads.get(key)
            if event is not None:
                failed = self._failed.get(key)
                if failed is None or time.monotonic() - failed < self.RETRY_S:
                    return event
                del self._failed[key]
            event = self._loads[key] = threading.Event()
        from ..store import background_thread

        background_thread(self._fetch, "nbtrack-history", store, notebook, key, event)
        return event

    def loaded(self, store, notebook) -> bool:
        event = self._loads.get((str(store.dir), notebook))
        return event is not None and event.is_set()

    def wait(self, store, notebook, timeout: float) -> bool:
        event = self._loads.get((str(store.dir), notebook))
        return event is not None and event.wait(timeout)

    def when_loaded(self, store, notebook, callback) -> bool:
        """Call ``callback()`` (on the loading thread) once the notebook's history is in;
        False (and no call) if it is in already."""
        key = (str(store.dir), notebook)
        with self._lock:
            event = self._loads.get(key)
            if event is None or event.is_set():
                return False
            self._waiting.setdefault(key, []).append(callback)
            return True

    def _fetch(self, store, notebook, key, event) -> None:
        rows = []
        try:
            from ..store import query

            rows = query.notebook_history(store, notebook, per_cell=self.PER_CELL, busy_timeout=0.3)
        except Exception as exc:  # a view: the cards show no comparison
            from ..store.errors import StoreError

            self._failed[key] = time.monotonic()
            if isinstance(exc, StoreError):
                store.writer.report(str(exc))
        loaded: dict[tuple, dict[str, dict]] = {}
        for cell_id, rid, status, k, v in rows:
            runs = loaded.setdefault((key[0], notebook, cell_id), {})
            entry = runs.get(rid)
            if entry is None:
                entry = runs[rid] = {"run_id": rid, "status": status, "metrics": {}}
            if isinstance(k, str):
                entry["metrics"][k] = v
        with self._lock:
            for ckey, runs in loaded.items():
                # Runs this process made meanwhile are in the list already: they stay first.
                mine = self._cells.setdefault(ckey, [])
                known = {r["run_id"] for r in mine}
                mine.extend(r for r in runs.values() if r["run_id"] not in known)
                del mine[self.PER_CELL :]
            event.set()
            callbacks = self._waiting.pop(key, [])
        for callback in callbacks:
            try:
                callback()
            except Exception:
                pass

    def earlier(self, run) -> list[dict]:
        """The cell's runs before ``run`` (newest first; run ids sort by time)."""
        key = (str(run.store.dir), run.notebook, run.cell_id)
        with self._lock:
            return [r for r in self._cells.get(key, ()) if r["run_id"] < run.run_id]

    def add(self, run) -> None:
        """``run`` ended: it is the newest run of its cell."""
        if run.cell_id is None:
            return
        key = (str(run.store.dir), run.notebook, run.cell_id)
        with self._lock:
            runs = self._cells.setdefault(key, [])
            runs.insert(0, {"run_id": run.run_id, "status": run.status, "metrics": dict(run.metrics)})
            del runs[self.PER_CELL :]

    def summary(self, run) -> "RunSummary":
        previous, best = compare(run.metrics, self.earlier(run))
        return RunSummary(run, previous, best)
