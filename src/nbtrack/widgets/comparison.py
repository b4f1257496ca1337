"""``nbtrack.compare(runs)`` and ``nbtrack.diff(a, b)``.

The kernel builds the charts with ``nbtrack.charts`` (Altair); each chart's spec travels as
JSON *without* its rows, and its rows travel as an Arrow IPC table named by the chart.
"""

from __future__ import annotations

import difflib
import json
import math
from typing import Any

import pandas as pd
import pyarrow as pa
import traitlets

from ..format import format_number
from ..store import get_store, query
from ..store.runs_view import TABLE_COLUMNS
from . import protocol
from ._base import NbtrackWidget

MAX_COMPARE = 50
MAX_CURVES = 9
MAX_SCATTERS = 4


def js_arrow(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as Arrow that JavaScript reads as plain numbers and strings (no BigInt, no
    timestamps objects)."""
    arrays, names = [], []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s):
            arr = pa.array(s, from_pandas=True)
        elif pd.api.types.is_numeric_dtype(s):
            arr = pa.array(s.astype("float64"), from_pandas=True)
        elif pd.api.types.is_datetime64_any_dtype(s):
            arr = pa.array(s.dt.strftime("%Y-%m-%d %H:%M:%S"), pa.string(), from_pandas=True)
        else:
            arr = pa.array([v if v is None or isinstance(v, str) else _text(v) for v in s], pa.string())
        arrays.append(arr)
        names.append(str(c))
    return pa.Table.from_arrays(arrays, names=names)


def _text(v: Any) -> str | None:
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        return json.dumps(v, default=str) if not isinstance(v, str) else v
    except (TypeError, ValueError):
        return str(v)


def chart_payload(chart, name: str) -> tuple[dict, pa.Table]:
    """(Vega-Lite spec with ``data: {name}``, its rows as Arrow)."""
    import altair as alt

    data = chart.data
    if not isinstance(data, pd.DataFrame):
        raise TypeError("nbtrack: chart data must be a DataFrame")
    c = chart.copy(deep=False)
    c.data = alt.NamedData(name=name)
    spec = c.to_dict()
    return spec, js_arrow(data)


def _display_table(frame: pd.DataFrame) -> pa.Table:
    """The compared runs' table: the run table's leading columns, then params.* and metrics.*."""
    cols = [c for c in TABLE_COLUMNS if c in frame] + [
        c for c in frame.columns if c.startswith(("params.", "metrics."))
    ]
    return js_arrow(frame[cols])


def _differs(frame: pd.DataFrame) -> list[str]:
    out = []
    for c in frame.columns:
        if c == "run_id":
            continue
        vals = {
            json.dumps(v, default=str, sort_keys=True) if not (isinstance(v, float) and math.isnan(v)) else "null"
            for v in frame[c]
        }
        if len(vals) > 1:
            out.append(c)
    return out


_cache: dict[tuple, protocol.Reply] = {}
_CACHE_SIZE = 8


def compare_payload(store, runs: Any) -> protocol.Reply:
    """Charts and the params/metrics table for ``runs``; cached until the store changes."""
    from .. import charts

    ids = charts.run_ids(runs, store)
    key = (str(store.dir), tuple(ids), query.change_token(store))
    if key in _cache:
        return _cache[key]
    reply = _compare_payload(store, ids)
    if len(_cache) >= _CACHE_SIZE:
        _cache.pop(next(iter(_cache)))
    _cache[key] = reply
    return reply


def _compare_payload(store, ids: list[str]) -> protocol.Reply:
    from .. import charts

    note = ""
    if len(ids) > MAX_COMPARE:
        note = f"showing the first {MAX_COMPARE} of {len(ids)} runs"
        ids = ids[:MAX_COMPARE]
    frame = charts._frame(ids, store)
    differs = _differs(frame)
    tables = {"runs": _display_table(frame)}
    chart_list: list[dict[str, Any]] = []

    def add(chart, title: str, kind: str):
        name = f"chart{len(chart_list)}"
        spec, data = chart_payload(chart, name)
        tables[name] = data
        chart_list.append({"title": title, "kind": kind, "data": name, "spec": spec})

    series = charts.series_data(ids, None, points=max(200, 20000 // max(1, len(ids) * 4)), store=store)
    keys = list(dict.fromkeys(series["key"]))
    for key in keys[:MAX_CURVES]:
        add(charts._line(series[series["key"] == key].reset_index(drop=True), key), key, "curve")
    metric_cols = [c for c in frame.columns if c.startswith("metrics.") and frame[c].notna().any()]
    param_cols = [c for c in frame.columns if c.startswith("params.") and frame[c].notna().any()]
    if metric_cols and len(ids) > 1:
        target = next((m for m in metric_cols if m in differs), metric_cols[0])
        xs = [p for p in param_cols if p in differs]  # a param the same in every run explains nothing
        for p in xs[:MAX_SCATTERS]:
            add(charts.scatter_chart(frame, p, target), f"{target} vs {p}", "scatter")
    numeric = charts.numeric_columns(frame)
    if len(numeric) >= 2 and len(ids) > 1:
        add(charts.parallel_chart(frame, numeric[:12]), "parallel coordinates", "parallel")
    return protocol.Reply(
        fields={
            "ids": ids,
            "charts": chart_list,
            "differs": differs,
            "note": note,
            "series_keys": keys,
            "more_keys": max(0, len(keys) - MAX_CURVES),
        },
        tables=tables,
    )


def _fmt(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return format_number(v)  # the one formatter (nbtrack/format.py), as the table and sidebar
    if isinstance(v, str):
        return v
    return _text(v)


def _pairs(a: dict, b: dict, fmt=_fmt) -> pa.Table:
    keys = sorted(set(a) | set(b), key=str)
    rows: dict[str, list[str | None]] = {"key": [], "a": [], "b": [], "change": []}
    for k in keys:
        va, vb = fmt(a.get(k)) if k in a else None, fmt(b.get(k)) if k in b else None
        change = "added" if k not in a else "removed" if k not in b else "same" if va == vb else "changed"
        rows["key"].append(str(k))
        rows["a"].append(va)
        rows["b"].append(vb)
        rows["change"].append(change)
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


def _input_text(d: dict) -> str:
    parts = [d.get("type") or "?"]
    if d.get("shape"):
        parts.append(f"shape {d['shape']}")
    if d.get("value") is not None:
        parts.append(f"= {d['value']}")
    if d.get("fingerprint"):
        parts.append(f"#{str(d['fingerprint'])[:12]}")
    return " ".join(parts)


def source_diff(a: str, b: str) -> pa.Table:
    """Side by side: one row per line pair (op: equal, replace, delete, insert)."""
    la, lb = (a or "").splitlines(), (b or "").splitlines()
    rows: dict[str, list[Any]] = {"op": [], "a_no": [], "a": [], "b_no": [], "b": []}

    def add(op, i, j):
        rows["op"].append(op)
        rows["a_no"].append(None if i is None else float(i + 1))
        rows["a"].append(None if i is None else la[i])
        rows["b_no"].append(None if j is None else float(j + 1))
        rows["b"].append(None if j is None else lb[j])

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        n = max(i2 - i1, j2 - j1)
        for k in range(n):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            add(
                op
                if op != "replace"
                else ("replace" if i is not None and j is not None else "delete" if i is not None else "insert"),
                i,
                j,
            )
    return pa.table(
        {
            "op": pa.array(rows["op"], pa.string()),
            "a_no": pa.array(rows["a_no"], pa.float64()),
            "a": pa.array(rows["a"], pa.string()),
            "b_no": pa.array(rows["b_no"], pa.float64()),
            "b": pa.array(rows["b"], pa.string()),
        }
    )


def diff_payload(store, a: str, b: str) -> protocol.Reply:
    ra, rb = query.get_run(store, a), query.get_run(store, b)

    def head(r):
        return {
            "run_id": r.run_id,
            "name": r.name,
            "status": r.status,
            "experiment": r.experiment,
            "notebook": r.notebook,
            "started_at": str(r.started_at) if r.started_at else None,
            "duration_s": r.duration_s,
            "tags": list(r.tags),
            "git_commit": r.context.get("git_commit"),
            "git_dirty": r.context.get("git_dirty"),
            "error": f"{r.error['type']}: {r.error['message']}"[:500] if r.error else None,
        }

    inputs = _pairs(
        {k: _input_text(v) for k, v in ra.inputs.items()},
        {k: _input_text(v) for k, v in rb.inputs.items()},
        fmt=lambda v: v,
    )
    env_a = dict(ra.context.get("packages") or {})
    env_b = dict(rb.context.get("packages") or {})
    for key in ("python", "platform", "host"):
        if ra.context.get(key) or rb.context.get(key):
            env_a[key] = ra.context.get(key)
            env_b[key] = rb.context.get(key)
    changed_inputs = [
        k for k, c in zip(inputs.column("key").to_pylist(), inputs.column("change").to_pylist()) if c != "same"
    ]
    return protocol.Reply(
        fields={"a": head(ra), "b": head(rb), "summary": [f"{k} changed" for k in changed_inputs]},
        tables={
            "params": _pairs(ra.params, rb.params),
            "metrics": _pairs(ra.metrics, rb.metrics),
            "inputs": inputs,
            "source": source_diff(ra.source or "", rb.source or ""),
            "env": _pairs(env_a, env_b, fmt=lambda v: None if v is None else str(v)),
        },
    )


class CompareWidget(NbtrackWidget):
    """Compare runs. Synced trait: ``run_ids`` (list of run ids). The front end asks for the
    charts and table with a ``compare`` request."""

    run_ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _handlers = {"compare": "_req_compare"}

    def __init__(self, run_ids: list[str], store=None):
        self.store = store or get_store()
        super().__init__(kind="compare", run_ids=list(run_ids))

    def _req_compare(self, req: dict):
        return compare_payload(self.store, list(self.run_ids))

    def __repr__(self) -> str:
        return f"<nbtrack.compare of {len(self.run_ids)} runs>"


class DiffWidget(NbtrackWidget):
    """Two runs side by side. Synced trait: ``run_ids`` ([a, b])."""

    run_ids = traitlets.List(traitlets.Unicode()).tag(sync=True)
    _handlers = {"diff": "_req_diff"}

    def __init__(self, a: str, b: str, store=None):
        self.store = store or get_store()
        super().__init__(kind="diff", run_ids=[a, b])

    def _req_diff(self, req: dict):
        return diff_payload(self.store, self.run_ids[0], self.run_ids[1])

    def __repr__(self) -> str:
        return f"<nbtrack.diff {self.run_ids[0]} vs {self.run_ids[1]}>"


def compare(runs: Any, store=None) -> CompareWidget:
    """Curves, scatter, parallel coordinates and a params/metrics table for ``runs`` (run ids,
    a ``nbtrack.runs()`` DataFrame, or a ``nbtrack.table()`` and its selection)."""
    from .. import charts

    store = store or getattr(runs, "store", None) or get_store()
    return CompareWidget(charts.run_ids(runs, store), store=store)


def diff(a: Any, b: Any, store=None) -> DiffWidget:
    """Params, metrics, inputs, source and environment of two runs side by side."""
    store = store or get_store()
    ra = query.resolve_run_id(store, str(getattr(a, "run_id", a)))
    rb = query.resolve_run_id(store, str(getattr(b, "run_id", b)))
    return DiffWidget(ra, rb, store=store)
