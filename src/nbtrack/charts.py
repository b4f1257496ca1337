"""Altair chart builders for runs. Each returns an ``alt.Chart`` you can keep customising:

    import nbtrack.charts as charts
    charts.metric_chart(nbtrack.runs(experiment="mnist").head(5), "loss").properties(width=600)

``runs`` is everywhere a run id (or unique prefix), a list of them, a ``nbtrack.runs()``
DataFrame (its ``run_id`` column), or a ``nbtrack.table()`` (its selected rows).
Long series are downsampled in DuckDB (first/min/max/last per bucket) before they reach Altair.
"""

from __future__ import annotations

from typing import Any, Iterable

import altair as alt
import numpy as np
import pandas as pd

from .store import get_store, query

__all__ = ["metric_chart", "curves_chart", "scatter_chart", "parallel_chart", "run_ids", "run_labels"]

MAX_ROWS = 5000  # Altair's default inline limit; builders stay under it
AXIS_FORMAT = "~g"  # d3-format: significant digits, trailing zeros trimmed (0.9, not 0.900000)


def run_ids(runs: Any, store=None) -> list[str]:
    """Full run ids from ids/prefixes, a runs() DataFrame, a Series, a table widget or records."""
    store = store or get_store()
    if runs is None:
        raise ValueError("nbtrack: no runs given; pass run ids, a nbtrack.runs() DataFrame or a table selection")
    if hasattr(runs, "selected") and not isinstance(runs, (pd.DataFrame, pd.Series)):
        runs = list(runs.selected)
    if isinstance(runs, pd.DataFrame):
        if "run_id" not in runs:
            raise ValueError("nbtrack: the DataFrame has no run_id column (use nbtrack.runs())")
        runs = runs["run_id"].tolist()
    elif isinstance(runs, pd.Series):
        runs = runs.tolist()
    elif isinstance(runs, str) or hasattr(runs, "run_id"):
        runs = [runs]
    out = list(dict.fromkeys(query.resolve_run_ids(store, [getattr(r, "run_id", r) for r in runs])))
    if not out:
        raise ValueError("nbtrack: no runs given (an empty selection?); select rows in nbtrack.table() or pass run ids")
    return out


def run_labels(frame: pd.DataFrame) -> dict[str, str]:
    """A short unique legend label per run: 'name · id-prefix' (the prefix grows until unique)."""
    ids = [str(r) for r in frame["run_id"]]
    names = list(frame["name"]) if "name" in frame else [None] * len(ids)
    n = 8
    while n < max((len(i) for i in ids), default=0) and len({i[:n] for i in ids}) < len(set(ids)):
        n += 1
    return {
        rid: (f"{name} · {rid[:n]}" if isinstance(name, str) and name else rid[:n]) for rid, name in zip(ids, names)
    }


def _frame(runs: Any, store) -> pd.DataFrame:
    if (
        isinstance(runs, pd.DataFrame)
        and "run_id" in runs
        and any(c.startswith(("params.", "metrics.")) for c in runs.columns)
    ):
        return runs
    ids = run_ids(runs, store)
    frame = query.runs_frame(store, run_ids=ids)
    order = {r: i for i, r in enumerate(ids)}
    return frame.sort_values("run_id", key=lambda s: s.map(order)).reset_index(drop=True)


def series_data(runs: Any, keys: Iterable[str] | None = None, points: int | None = None, store=None) -> pd.DataFrame:
    """Downsampled series of the runs: run_id, run (label), key, step, value."""
    store = store or get_store()
    frame = _frame(runs, store)
    ids = frame["run_id"].tolist()
    keys = [keys] if isinstance(keys, str) else (list(keys) if keys is not None else None)
    n_keys = len(keys) if keys else 4
    points = points or max(200, min(2000, MAX_ROWS // max(1, len(ids) * n_keys)))
    table = query.downsampled_series(store, ids, keys, points=points)
    data = table.to_pandas()
    data.insert(1, "run", data["run_id"].map(run_labels(frame)))
    return data


def metric_chart(runs: Any, key: str, points: int | None = None, store=None, log_y: bool = False) -> alt.Chart:
    """Overlaid curves of one series metric (``nbtrack.log(key=...)``) across runs."""
    data = series_data(runs, [key], points=points, store=store)
    return _line(data, key, log_y)


def _line(data: pd.DataFrame, key: str, log_y: bool = False) -> alt.Chart:
    hover = alt.selection_point(fields=["run"], on="pointerover", bind="legend")
    y = alt.Y(
        "value:Q", title=key, scale=alt.Scale(type="log") if log_y else alt.Undefined, axis=alt.Axis(format=AXIS_FORMAT)
    )
    return (
        alt.Chart(data, title=key)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("step:Q", title="step"),
            y=y,
            color=alt.Color("run:N", title="run", legend=alt.Legend(labelLimit=240)),
            opacity=alt.condition(hover, alt.value(1.0), alt.value(0.25)),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("value:Q", format=".5g")],
        )
        .add_params(hover)
        .properties(width=320, height=200)
    )


def curves_chart(runs: Any, keys: Iterable[str] | None = None, points: int | None = None, store=None) -> alt.Chart:
    """One small multiple per series key (all keys by default), runs overlaid."""
    data = series_data(runs, keys, points=points, store=store)
    return (
        _line(data, "value")
        .properties(title="")
        .facet(facet=alt.Facet("key:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def scatter_chart(runs: Any, x: str, y: str, store=None) -> alt.Chart:
    """One point per run: a parameter (or metric) against a metric, e.g.
    ``scatter_chart(runs, "params.lr", "metrics.accuracy")`` (the prefixes may be left out)."""
    store = store or get_store()
    frame = _frame(runs, store)
    x, y = _column(frame, x, "params."), _column(frame, y, "metrics.")
    data = frame[["run_id", "name", x, y]].copy() if "name" in frame else frame[["run_id", x, y]].copy()
    data["run"] = data["run_id"].map(run_labels(frame))
    data = data.rename(columns={x: "x", y: "y"})
    xtype = "Q" if pd.api.types.is_numeric_dtype(data["x"]) else "N"
    if xtype == "N":
        data["x"] = data["x"].map(lambda v: v if isinstance(v, str) or v is None else str(v))
    return (
        alt.Chart(data, title=f"{y} vs {x}")
        .mark_circle(size=80)
        .encode(
            x=alt.X(
                f"x:{xtype}",
                title=x,
                scale=alt.Scale(zero=False) if xtype == "Q" else alt.Undefined,
                axis=alt.Axis(format=AXIS_FORMAT) if xtype == "Q" else alt.Undefined,
            ),
            y=alt.Y("y:Q", title=y, scale=alt.Scale(zero=False), axis=alt.Axis(format=AXIS_FORMAT)),
            color=alt.Color("run:N", legend=None),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip(f"x:{xtype}", title=x),
                alt.Tooltip("y:Q", title=y, format=".5g"),
            ],
        )
        .properties(width=260, height=200)
    )


def _column(frame: pd.DataFrame, name: str, prefix: str) -> str:
    for cand in (name, prefix + name, "params." + name, "metrics." + name):
        if cand in frame.columns:
            return cand
    options = [c for c in frame.columns if c.startswith(("params.", "metrics."))]
    raise KeyError(f"nbtrack: no column {name!r} for these runs; they have: {', '.join(options) or 'none'}")


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if c.startswith(("params.", "metrics.")) and pd.api.types.is_numeric_dtype(frame[c]) and frame[c].notna().any()
    ]


def parallel_chart(runs: Any, columns: Iterable[str] | None = None, store=None) -> alt.Chart:
    """Parallel coordinates over numeric params and metrics (each axis scaled to its range)."""
    store = store or get_store()
    frame = _frame(runs, store)
    cols = [_column(frame, c, "params.") for c in columns] if columns is not None else numeric_columns(frame)[:12]
    labels = run_labels(frame)
    rows = []
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce")
        lo, hi = values.min(), values.max()
        span = (hi - lo) if np.isfinite(hi - lo) and hi != lo else 1.0
        for rid, v in zip(frame["run_id"], values):
            if pd.notna(v):
                rows.append(
                    {
                        "run": labels[rid],
                        "axis": col,
                        "value": float(v),
                        "scaled": float((v - lo) / span) if hi != lo else 0.5,
                    }
                )
    data = pd.DataFrame(rows, columns=["run", "axis", "value", "scaled"])
    return (
        alt.Chart(data, title="parameters and metrics")
        .mark_line(point=True)
        .encode(
            x=alt.X("axis:N", sort=cols, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            y=alt.Y("scaled:Q", title="scaled to each axis' range", axis=alt.Axis(labels=False)),
            color=alt.Color("run:N", legend=alt.Legend(labelLimit=240)),
            detail="run:N",
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("axis:N"), alt.Tooltip("value:Q", format=".5g")],
        )
        .properties(width=max(300, 80 * len(cols)), height=220)
    )
