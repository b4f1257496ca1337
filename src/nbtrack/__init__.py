"""nbtrack: every execution of a ``%%track`` cell becomes a run in a local DuckDB store.

%load_ext nbtrack
%%track --name baseline
lr = 0.1                    # parameter
...
nbtrack.log(step=i, loss=l) # series
accuracy = model.score(...) # metric
nbtrack.runs()              # one row per run
"""

from __future__ import annotations

from types import ModuleType as _ModuleType
from typing import Any, Iterable

from . import store as _store_package
from ._version import __version__
from .capture import views as _views
from .capture.run import Run, log, log_metrics, log_params
from .errors import NbtrackWarning, StoreError
from .store import get_store

# The live run card: capture shows it through its display hook and imports this module (on the
# kernel's main thread) without naming a widget itself.
_views.front_end_module = "nbtrack.widgets.card"

__all__ = [
    "__version__",
    "log",
    "log_params",
    "log_metrics",
    "start",
    "sweep",
    "replay",
    "export_notebook",
    "runs",
    "series",
    "get_run",
    "sql",
    "store",
    "table",
    "compare",
    "diff",
    "charts",
    "report",
    "Run",
    "StoreError",
    "NbtrackWarning",
    "get_store",
]


class _CallableStorePackage(_ModuleType):
    """``nbtrack.store`` is the ``nbtrack.store`` package and, called, the store in use (or the
    one at ``path``): ``nbtrack.store().dir``. A plain function of that name hid the package
    (``nbtrack.store.ids`` raised AttributeError); the package made callable keeps both."""

    def __call__(self, path: str | None = None):
        return get_store(path)


_store_package.__class__ = _CallableStorePackage
store = _store_package


def start(
    name: str | None = None,
    params: dict[str, Any] | None = None,
    experiment: str | None = None,
    tags: Iterable[str] | None = None,
    store_path: str | None = None,
) -> Run:
    """A run for plain Python: ``with nbtrack.start(name="x", params={...}) as run: ...``.

    Inside the block ``nbtrack.log(...)`` (or ``run.log``) adds series points; the run ends as
    finished, failed or interrupted with the block."""
    import os

    import __main__

    script = getattr(__main__, "__file__", None)
    return Run(
        get_store(store_path),
        name=name,
        experiment=experiment or (os.path.splitext(os.path.basename(script))[0] if script else None),
        tags=list(tags or []),
        params=params,
        notebook=script,
    )


def runs(
    *filters,
    experiment: str | None = None,
    notebook: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    search: str | None = None,
    sort=None,
    scope: str = "local",
):
    """One row per run, newest first: run_id, name, experiment, notebook, cell_id, status,
    started_at, ended_at, duration_s, tags, then params.<key> and metrics.<key> columns, then
    ``stale`` and ``stale_reason`` (an input no longer matches what the notebook produces).

    ``nbtrack.runs("metrics.acc > 0.9", search="rf", sort="-metrics.acc")``: the run table's
    filter grammar, free-text search and sort. ``scope="team"``: everyone's runs in the team
    store (``NBTRACK_REMOTE``), with ``user`` and ``host`` columns."""
    from .store import query
    from .team import TEAM_LEAD, store_for

    lead = None if scope == "local" else query.RUN_COLUMNS + TEAM_LEAD
    return query.runs_frame(
        store_for(scope),
        experiment=experiment,
        notebook=notebook,
        status=status,
        limit=limit,
        filters=list(filters) or None,
        search=search,
        sort=sort,
        lead=lead,
    )


def replay(run_id: str, timeout: float = 600):
    """Re-run a run in a fresh kernel (the cells it depended on, then its own cell) and
    compare: ``.same``, ``.differences``, ``.run_id`` (the new run), ``.notebook``."""
    from .repro import replay as _replay

    return _replay(run_id, timeout=timeout)


def export_notebook(run_id: str, path: str):
    """Write a minimal notebook with just the cells ``run_id`` depended on, then its cell."""
    from .repro import export_notebook as _export

    return _export(run_id, path)


def series(run_ids, keys=None, scope: str = "local"):
    """Series points of the given run(s): run_id, key, step, value, time."""
    from .store import query
    from .team import store_for

    return query.series_frame(store_for(scope), run_ids, keys)


def sweep(sweep_id: str | None = None):
    """The trials of a ``%%track --sweep`` (default: this kernel's last sweep), one row per
    trial with ``sweep_id`` and ``trial`` columns, in trial order."""
    from .store import query

    if sweep_id is None:
        from .capture.magic import _trackers

        sweep_id = next((t.last_sweep for t in _trackers.values() if getattr(t, "last_sweep", None)), None)
        if sweep_id is None:
            raise ValueError("nbtrack.sweep(): no sweep has run in this kernel; pass a sweep id")
    lead = ["run_id", "sweep_id", "trial"] + query.RUN_COLUMNS[1:]  # the read model's columns
    return query.runs_frame(
        get_store(), filters=[("sweep_id", "==", str(sweep_id))], sort="trial", lead=lead
    ).reset_index(drop=True)


def get_run(id_or_prefix: str, scope: str = "local"):
    """Everything captured for one run (a unique id prefix is enough)."""
    from .store import query
    from .team import store_for

    return query.get_run(store_for(scope), id_or_prefix)


def sql(query: str, params: list | None = None):
    """Read-only SQL over the views runs, params, metrics, series, inputs, outputs, artifacts."""
    from .store import query as q

    return q.sql(get_store(), query, params)


def table(*conditions, **filters):
    """The interactive run table: ``nbtrack.table("metrics.accuracy > 0.9", status="finished")``.

    Conditions are strings or ``(column, op, value)`` tuples; keywords are equality filters
    (``experiment="x"``); also ``search=``, ``sort="-metrics.accuracy"``, ``page_size=``.
    Sorting, filtering and paging run in DuckDB in the kernel; ``.selected`` lists the
    selected run ids. ``scope="team"``: the team store's runs."""
    from .widgets import table as _table

    scope = filters.pop("scope", "local")
    if scope != "local":
        from .team import store_for

        filters["store"] = store_for(scope)
    return _table(*conditions, **filters)


def compare(runs, scope: str = "local"):
    """Compare runs (ids, a ``runs()`` DataFrame or a table selection): curves, scatter,
    parallel coordinates and a params/metrics table that highlights differences."""
    from .widgets import compare as _compare

    if scope == "local":
        return _compare(runs)
    from .team import store_for

    return _compare(runs, store=store_for(scope))


def diff(a: str, b: str, scope: str = "local"):
    """Side-by-side difference of two runs."""
    from .widgets import diff as _diff

    if scope == "local":
        return _diff(a, b)
    from .team import store_for

    return _diff(a, b, store=store_for(scope))


def report(runs, path: str = "report.html", title: str | None = None, keys=None):
    """One self-contained HTML file (no server, no network) with the run table, overlaid
    curves, param/metric scatters and the differences of ``runs``; returns its path."""
    from .html_report import report as _report

    return _report(runs, path, title=title, keys=keys)


def load_ipython_extension(shell) -> None:
    from .capture.magic import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell) -> None:
    from .capture.magic import unload_ipython_extension as unload

    unload(shell)


def __getattr__(name: str):
    # nbtrack.charts (Altair builders) loads on first use: `import nbtrack` stays fast.
    if name == "charts":
        import importlib

        return importlib.import_module(".charts", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "nbtrack"}]


def _jupyter_server_extension_points():
    return [{"module": "nbtrack.server"}]
