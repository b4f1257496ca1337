"""MLflow's tracking-store plugin: ``mlflow.set_tracking_uri("nbtrack:")`` (or ``nbtrack:/path``).

Registered through the ``mlflow.tracking_store`` and ``mlflow.artifact_repository`` entry points
(pyproject), so MLflow's own fluent API, ``MlflowClient`` and ``mlflow.autolog()`` write into the
nbtrack store:

- runs, params, metrics (series with steps and timestamps) and tags are nbtrack runs, params,
  series and tags (``key=value``; every MLflow tag, system tags too, is also kept in the run's
  context as ``mlflow_tags``, so an export gives them back unchanged);
- inside a ``%%track`` cell (or ``with nbtrack.start()``) ``mlflow.start_run()`` *is* that run:
  ``end_run`` detaches and the cell ends it;
- artifacts (``log_artifact(s)``, ``log_figure``, ``log_dict``, ``log_text``) are files in
  ``<store>/artifacts/<run_id>/mlflow/`` and artifact rows of the run;
- experiments, logged models and traces, which nbtrack has no table for, are kept by MLflow's
  own file store in ``<store>/mlflow/``; every nbtrack experiment name is an MLflow experiment.

MLflow param values are strings; one that reads back as the same text as a Python literal
(``"0.1"``, ``"100"``, ``"True"``, ``"None"``, ``"[64, 32]"``) is stored typed, any other stays a
string, so ``str(value)`` always gives MLflow's text back.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from mlflow.entities import (
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
    RunTag,
    ViewType,
)
from mlflow.entities.lifecycle_stage import LifecycleStage
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST
from mlflow.store.artifact.local_artifact_repo import LocalArtifactRepository
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.tracking.abstract_store import AbstractStore
from mlflow.store.tracking.file_store import FileStore
from mlflow.utils.search_utils import SearchUtils

from ..capture import context
from ..capture import run as runmod
from ..store import get_store, query
from . import media

SCHEME = "nbtrack"
INLINE_ARTIFACT_BYTES = 2 * 1024 * 1024  # artifact rows carry the bytes up to this size

STATUS_TO_MLFLOW = {
    "running": "RUNNING",
    "finished": "FINISHED",
    "failed": "FAILED",
    "interrupted": "KILLED",
    "crashed": "FAILED",
}
STATUS_FROM_MLFLOW = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "interrupted"}

SUPPORTED = (
    "create_run",
    "get_run",
    "update_run_info",
    "log_batch",
    "log_metric",
    "log_param",
    "set_tag",
    "delete_tag",
    "get_metric_history",
    "search_runs",
    "log_inputs",
    "log_outputs",
    "record_logged_model",
    "search_experiments",
    "get_experiment",
    "get_experiment_by_name",
    "create_experiment",
    "set_experiment_tag",
    "logged models (create/get/search/finalize)",
)

_lock = threading.RLock()
_live: dict[str, "runmod.Run"] = {}  # run id -> the nbtrack Run MLflow writes to, this process
_attached: set[str] = set()  # of those, runs MLflow did not start (a %%track cell's run)
_syncing = threading.local()
_ended_with_cell: set[str] = set()  # cell runs MLflow still thinks are active (no end_run yet)


def _cell_ended(nb: "runmod.Run", status: str) -> None:
    """Run.on_end of a %%track cell's run that MLflow writes to: later writes go the finished
    run's way, and MLflow's own end_run() keeps the status the cell gave it."""
    with _lock:
        if _live.pop(nb.run_id, None) is not None:
            _ended_with_cell.add(nb.run_id)
        _attached.discard(nb.run_id)


def store_path(uri: str | None) -> str | None:
    """The store folder of ``nbtrack:``, ``nbtrack:/abs``, ``nbtrack:rel`` or ``nbtrack:///abs``."""
    if not uri:
        return None
    rest = uri[len(SCHEME) + 1 :] if uri.startswith(SCHEME + ":") else uri
    if rest.startswith("//"):
        rest = rest[2:]
    return rest or None


def artifact_uri_for(store_dir: Path, run_id: str) -> str:
    return f"{SCHEME}:{store_dir}/artifacts/{run_id}/mlflow"


def param_value(text: str) -> Any:
    """MLflow's string param as nbtrack's typed value, when that is lossless."""
    if not isinstance(text, str):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
    if isinstance(value, (int, float, bool, list, dict, tuple)) or value is None:
        if not isinstance(value, tuple) and str(value) == text:
            return value
    return text


def param_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def tags_to_nbtrack(tags: dict[str, str]) -> list[str]:
    """User tags (not ``mlflow.*``) as nbtrack tags: ``key`` for an empty value, else ``key=value``."""
    return [k if v in ("", None) else f"{k}={v}" for k, v in tags.items() if not k.startswith("mlflow.")]


def tags_from_nbtrack(tags: list[str]) -> dict[str, str]:
    out = {}
    for tag in tags or []:
        key, sep, value = str(tag).partition("=")
        out[key] = value if sep else ""
    return out


def _ms(ts: Any) -> int | None:
    if ts is None:
        return None
    try:
        import pandas as pd

        if ts is pd.NaT:
            return None
    except ImportError:
        pass
    if isinstance(ts, (int, float)):
        return int(round(ts * 1000))
    if getattr(ts, "tzinfo", None) is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return int(round(ts.timestamp() * 1000))


def _notebook() -> str | None:
    import sys

    import __main__

    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None else None
    if shell is not None:
        return context.notebook_path(shell.user_ns)
    return getattr(__main__, "__file__", None)


class NbtrackStore(FileStore):
    """The tracking store behind ``nbtrack:`` URIs (built by MLflow with ``store_uri``)."""

    def __init__(self, store_uri: str | None = None, artifact_uri: str | None = None):
        self.nb_store = get_store(store_path(store_uri))
        self.nb_store.dir.mkdir(parents=True, exist_ok=True)
        root = self.nb_store.dir / "mlflow"
        # FileStore.__init__ minus its "maintenance mode" refusal (MLFLOW_ALLOW_FILE_STORE): only
        # experiments and logged models live in these files; runs are nbtrack's.
        AbstractStore.__init__(self)
        self.root_directory = str(root)
        self.artifact_root_uri = artifact_uri or f"{SCHEME}:{self.nb_store.dir}/artifacts/mlflow"
        self.trash_folder = str(root / FileStore.TRASH_FOLDER_NAME)
        with _lock:
            if not root.exists():
                self._create_default_experiment()
            os.makedirs(self.trash_folder, exist_ok=True)
        self._exp_ids: dict[str, str] = {}

    # -- experiments: MLflow's file store, one per nbtrack experiment name -----------------------

    def _experiment_id(self, name: str) -> str:
        name = name or "Default"
        cached = self._exp_ids.get(name)
        if cached is not None:
            return cached
        with _lock:
            exp = FileStore.get_experiment_by_name(self, name)
            if exp is None:
                try:
                    exp_id = FileStore.create_experiment(self, name)
                except MlflowException:  # created meanwhile by another process
                    exp_id = FileStore.get_experiment_by_name(self, name).experiment_id
            else:
                exp_id = exp.experiment_id
        self._exp_ids[name] = exp_id
        return exp_id

    def _sync_experiments(self) -> None:
        if getattr(_syncing, "on", False):  # FileStore's own lookups search experiments too
            return
        _syncing.on = True
        try:
            for name in query.experiments(self.nb_store)["experiment"]:
                if isinstance(name, str):
                    self._experiment_id(name)
        finally:
            _syncing.on = False

    def search_experiments(
        self, view_type=ViewType.ACTIVE_ONLY, max_results=None, filter_string=None, order_by=None, page_token=None
    ):
        self._sync_experiments()
        kwargs = {
            "view_type": view_type,
            "filter_string": filter_string,
            "order_by": order_by,
            "page_token": page_token,
        }
        if max_results is not None:
            kwargs["max_results"] = max_results
        return super().search_experiments(**kwargs)

    def get_experiment_by_name(self, experiment_name):
        exp = super().get_experiment_by_name(experiment_name)
        if (
            exp is None
            and not getattr(_syncing, "on", False)
            and experiment_name in set(query.experiments(self.nb_store)["experiment"])
        ):
            return self.get_experiment(self._experiment_id(experiment_name))
        return exp

    def delete_experiment(self, experiment_id):
        raise _unsupported("delete_experiment")

    def restore_experiment(self, experiment_id):
        raise _unsupported("restore_experiment")

    def rename_experiment(self, experiment_id, new_name):
        raise _unsupported("rename_experiment")

    # -- runs -----------------------------------------------------------------------------------

    def create_run(self, experiment_id, user_id, start_time, tags, run_name):
        exp = self.get_experiment(experiment_id)
        tagd = {t.key: t.value for t in (tags or [])}
        run_name = run_name or tagd.get("mlflow.runName")
        current = runmod.current()
        with _lock:
            if current is not None and current.status == "running" and current.run_id not in _live:
                nb = current  # a %%track cell's run (or nbtrack.start): MLflow's run is that run
                if run_name and not nb.name:
                    nb.name = str(run_name)
                if exp.name != "Default" and nb.experiment == context.experiment_default(nb.notebook):
                    nb.experiment = exp.name  # %%track -e / nbtrack.start(experiment=) win
                _attached.add(nb.run_id)
                nb.on_end(_cell_ended)
            else:
                nb = runmod.Run(self.nb_store, name=run_name, experiment=exp.name, notebook=_notebook())
                if start_time:
                    nb.started = start_time / 1000
                runmod._stack.append(nb)
            _live[nb.run_id] = nb
        if user_id:
            tagd.setdefault("mlflow.user", user_id)
        if run_name:
            tagd["mlflow.runName"] = str(run_name)
        self._set_tags(nb, tagd)
        if nb.run_id not in _attached:
            nb.begin()
        return self.get_run(nb.run_id)

    def _set_tags(self, nb: "runmod.Run", tags: dict[str, str]) -> None:
        if not tags:
            return
        extra = nb.extra_context
        kept = extra.setdefault("mlflow_tags", {})
        kept.update({str(k): str(v) for k, v in tags.items()})
        user = tags_from_nbtrack(nb.tags)
        user.update({k: v for k, v in tags.items() if not k.startswith("mlflow.")})
        nb.tags = tags_to_nbtrack(user)
        if "mlflow.runName" in tags and tags["mlflow.runName"]:
            nb.name = str(tags["mlflow.runName"])

    def update_run_info(self, run_id, run_status, end_time, run_name):
        status = RunStatus.to_string(run_status) if isinstance(run_status, int) else str(run_status)
        nb = _live.get(run_id)
        if nb is None and run_id in _ended_with_cell:  # end_run() after its %%track cell ended it
            if status in STATUS_FROM_MLFLOW:
                _ended_with_cell.discard(run_id)
            return self.get_run(run_id).info
        if nb is None:
            changes: dict[str, Any] = {}
            if run_name:
                changes["name"] = run_name
            if status in STATUS_FROM_MLFLOW:
                changes["status"] = STATUS_FROM_MLFLOW[status]
                if end_time:
                    changes["ended"] = end_time / 1000
            self._rewrite(run_id, **changes)
            return self.get_run(run_id).info
        if run_name:
            nb.name = str(run_name)
            self._set_tags(nb, {"mlflow.runName": str(run_name)})
        if status in STATUS_FROM_MLFLOW:
            with _lock:
                _live.pop(run_id, None)
                attached = run_id in _attached
                _attached.discard(run_id)
            if not attached:
                if nb in runmod._stack:
                    runmod._stack.remove(nb)
                exc = RuntimeError("the MLflow run ended with status FAILED") if status == "FAILED" else None
                nb.end(STATUS_FROM_MLFLOW[status], exc, metrics=nb.last_values())
        return self._live_entity(nb).info

    def delete_run(self, run_id):
        raise _unsupported("delete_run")

    def restore_run(self, run_id):
        raise _unsupported("restore_run")

    def get_run(self, run_id):
        nb = _live.get(run_id)
        if nb is not None and nb.status == "running":
            return self._live_entity(nb)
        runs = self._runs([run_id])
        if not runs:
            raise MlflowException(f"Run '{run_id}' not found in {self.nb_store.dir}", RESOURCE_DOES_NOT_EXIST)
        return runs[0]

    def _runs(self, run_ids: list[str] | None = None, experiments: list[str] | None = None) -> list[Run]:
        """MLflow Run entities of nbtrack runs: four queries whatever the number of runs."""
        store = self.nb_store
        cond, args = [], []
        if run_ids is not None:
            cond.append("list_contains(?, run_id)")
            args.append(list(run_ids))
        if experiments is not None:
            cond.append("list_contains(?, experiment)")
            args.append(list(experiments))
        where = (" WHERE " + " AND ".join(cond)) if cond else ""
        base = query.sql(
            store,
            "SELECT run_id, name, experiment, notebook, cell_id, status, started_at, "
            f"ended_at, tags, context FROM runs{where} ORDER BY run_id DESC",
            args,
        )
        if not len(base):
            return []
        ids = list(base["run_id"])
        params = query.sql(
            store, "SELECT run_id, key, kind, num, text FROM params WHERE list_contains(?, run_id)", [ids]
        )
        metrics = query.sql(
            store, "SELECT run_id, key, value, step, time FROM metrics WHERE list_contains(?, run_id)", [ids]
        )
        by_run_params: dict[str, dict] = {}
        for rid, key, kind, num, text in params.itertuples(index=False, name=None):
            by_run_params.setdefault(rid, {}).setdefault(key, param_text(query._param_value(kind, num, text)))
        by_run_metrics: dict[str, list] = {}
        for rid, key, value, step, t in metrics.itertuples(index=False, name=None):
            step = 0 if step is None or step != step else int(step)
            by_run_metrics.setdefault(rid, []).append(Metric(key, float(value), _ms(t) or 0, step))
        out = []
        for row in base.itertuples(index=False):
            ctx = json.loads(row.context) if row.context else {}
            out.append(
                self._entity(
                    row.run_id,
                    row.name if isinstance(row.name, str) else None,
                    row.experiment,
                    row.notebook,
                    row.cell_id,
                    row.status,
                    _ms(row.started_at),
                    _ms(row.ended_at),
                    list(row.tags) if row.tags is not None else [],
                    ctx.get("mlflow_tags") or {},
                    by_run_params.get(row.run_id, {}),
                    by_run_metrics.get(row.run_id, []),
                )
            )
        return out

    def _entity(
        self,
        run_id,
        name,
        experiment,
        notebook,
        cell_id,
        status,
        start_ms,
        end_ms,
        nb_tags,
        mlflow_tags,
        params: dict,
        metrics: list,
    ) -> Run:
        tags = tags_from_nbtrack(nb_tags)
        if notebook:
            tags["mlflow.source.name"] = notebook
            tags["mlflow.source.type"] = "NOTEBOOK" if str(notebook).endswith(".ipynb") else "LOCAL"
        if cell_id:
            tags["nbtrack.cell_id"] = cell_id
        tags.update(mlflow_tags)
        if name:
            tags["mlflow.runName"] = name
        info = RunInfo(
            run_id=run_id,
            experiment_id=self._experiment_id(experiment),
            user_id=tags.get("mlflow.user", ""),
            status=STATUS_TO_MLFLOW.get(status, "RUNNING"),
            start_time=start_ms,
            end_time=end_ms,
            lifecycle_stage=LifecycleStage.ACTIVE,
            artifact_uri=artifact_uri_for(self.nb_store.dir, run_id),
            run_name=name,
        )
        data = RunData(
            metrics=metrics,
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, str(v)) for k, v in tags.items()],
        )
        return Run(info, data, RunInputs(dataset_inputs=[]))

    def _live_entity(self, nb: "runmod.Run") -> Run:
        """A run this process writes to, from memory (no store read on start/end/get)."""
        last = nb.last_points()
        now = int(time.time() * 1000)
        metrics = {k: Metric(k, float(v), int(t * 1000), int(s)) for k, (v, s, t) in last.items()}
        for k, v in nb.pending_metrics.items():
            metrics[k] = Metric(k, float(v), now, 0)
        for k, v in nb.metrics.items():
            metrics.setdefault(k, Metric(k, float(v), int((nb.ended or now / 1000) * 1000), 0))
        extra = nb.extra_context
        return self._entity(
            nb.run_id,
            nb.name,
            nb.experiment,
            nb.notebook,
            nb.cell_id,
            nb.status,
            int(nb.started * 1000),
            int(nb.ended * 1000) if nb.ended else None,
            list(nb.tags),
            extra.get("mlflow_tags") or {},
            {k: param_text(v) for k, v in nb.params.items()},
            list(metrics.values()),
        )

    def _search_runs(self, experiment_ids, filter_string, run_view_type, max_results, order_by, page_token):
        if run_view_type == ViewType.DELETED_ONLY:
            return [], None
        names = [self.get_experiment(e).name for e in experiment_ids]
        runs = self._runs(experiments=names)
        filtered = SearchUtils.filter(runs, filter_string)
        ordered = SearchUtils.sort(filtered, order_by)
        return SearchUtils.paginate(ordered, page_token, max_results)

    def get_metric_history(self, run_id, metric_key, max_results=None, page_token=None):
        self.get_run(run_id)
        points = query.series_frame(self.nb_store, [run_id], [metric_key])
        history = [
            Metric(metric_key, float(v), _ms(t) or 0, int(s))
            for s, v, t in zip(points["step"], points["value"], points["time"])
        ]
        if not history:  # a final metric with no series (a computed scalar of a tracked cell)
            history = [m for m in self.get_run(run_id).data._metric_objs if m.key == metric_key]
        if max_results is not None:
            history = history[:max_results]
        return PagedList(history, None)

    # -- writes ---------------------------------------------------------------------------------

    def log_metric(self, run_id, metric):
        self.log_batch(run_id, [metric], [], [])

    def log_param(self, run_id, param):
        self.log_batch(run_id, [], [param], [])

    def set_tag(self, run_id, tag):
        self.log_batch(run_id, [], [], [tag])

    def delete_tag(self, run_id, key):
        nb = _live.get(run_id)
        if nb is None:
            raise _unsupported("delete_tag on a run that is not active in this process")
        kept = nb.extra_context.get("mlflow_tags", {})
        if key not in kept and key not in tags_from_nbtrack(nb.tags):
            raise MlflowException(f"No tag with name: {key} in run with id {run_id}", RESOURCE_DOES_NOT_EXIST)
        kept.pop(key, None)
        user = tags_from_nbtrack(nb.tags)
        user.pop(key, None)
        nb.tags = tags_to_nbtrack(user)

    def log_batch(self, run_id, metrics, params, tags):
        nb = _live.get(run_id)
        if nb is None:
            return self._log_finished(run_id, metrics, params, tags)
        if params:
            values = {p.key: param_value(p.value) for p in params}
            for key, value in values.items():
                if key in nb.params and param_text(nb.params[key]) != param_text(value):
                    raise MlflowException(
                        f"Changing param values is not allowed. Param with key='{key}' was already logged "
                        f"with value='{param_text(nb.params[key])}' for run ID='{run_id}'. Attempted logging "
                        f"new value '{param_text(value)}'.",
                        INVALID_PARAMETER_VALUE,
                    )
            nb.log_params(values, source="mlflow")
        if metrics:
            append = nb._points.append
            for m in metrics:
                append((m.key, int(m.step or 0), float(m.value), m.timestamp / 1000))
        if tags:
            self._set_tags(nb, {t.key: t.value for t in tags})

    def _log_finished(self, run_id, metrics, params, tags):
        """Writes to a run not active in this process (ended, or from another process)."""
        record = query.get_run(self.nb_store, run_id)
        w = self.nb_store.writer
        if params:
            rows = []
            for p in params:
                value = param_value(p.value)
                if p.key in record.params:
                    if param_text(record.params[p.key]) != param_text(value):
                        raise MlflowException(
                            f"Changing param values is not allowed (key='{p.key}').", INVALID_PARAMETER_VALUE
                        )
                    continue
                kind, num, text = _param_kind(value)
                rows.append({"run_id": run_id, "key": p.key, "kind": kind, "num": num, "text": text})
            if rows:
                w.put("params", rows)
        if metrics:
            from ..capture.run import _utc

            seq = time.time_ns()
            w.put(
                "series",
                [
                    {
                        "run_id": run_id,
                        "key": m.key,
                        "step": float(m.step or 0),
                        "value": float(m.value),
                        "time": _utc(m.timestamp / 1000),
                    }
                    for m in metrics
                ],
            )
            w.put(
                "metrics",
                [
                    {
                        "run_id": run_id,
                        "key": m.key,
                        "value": float(m.value),
                        "step": float(m.step or 0),
                        "time": _utc(m.timestamp / 1000),
                        "seq": seq + i,
                    }
                    for i, m in enumerate(metrics)
                ],
            )
        if tags:
            self._rewrite(run_id, tags={t.key: t.value for t in tags})

    def _rewrite(
        self,
        run_id: str,
        name: str | None = None,
        status: str | None = None,
        ended: float | None = None,
        tags: dict | None = None,
    ) -> None:
        """A new version of a finished run's row (name, status, tags); see ``interop.rows``."""
        from ..capture.run import _utc
        from .rows import RunningRunError, rewrite_run

        record = query.get_run(self.nb_store, run_id)
        nb_tags, ctx = None, None
        if tags:
            kept = dict(record.context.get("mlflow_tags") or {})
            kept.update({str(k): str(v) for k, v in tags.items()})
            ctx = {"mlflow_tags": kept}
            user = tags_from_nbtrack(list(record.tags))
            user.update({k: v for k, v in tags.items() if not k.startswith("mlflow.")})
            nb_tags = tags_to_nbtrack(user)
            if tags.get("mlflow.runName"):
                name = tags["mlflow.runName"]
        try:
            rewrite_run(
                self.nb_store,
                run_id,
                name=name,
                status=status,
                ended_at=_utc(ended) if ended is not None else None,
                tags=nb_tags,
                context_update=ctx,
            )
        except RunningRunError as exc:
            raise MlflowException(str(exc), INVALID_PARAMETER_VALUE) from None

    def log_inputs(self, run_id, datasets=None, models=None):
        rows = []
        for item in datasets or []:
            ds = item.dataset
            rows.append(
                {
                    "run_id": run_id,
                    "name": f"mlflow.dataset:{ds.name}",
                    "type": f"mlflow.dataset/{ds.source_type}",
                    "shape": _shape(ds.profile),
                    "fingerprint": ds.digest,
                    "value": str(ds.source)[:2000],
                }
            )
        if rows:
            self.nb_store.writer.put("inputs", rows)

    def log_outputs(self, run_id, models):
        rows = []
        for out in models or []:
            data = media.json_bytes({"model_id": out.model_id, "step": out.step})
            rows.append(
                {
                    "run_id": run_id,
                    "name": f"mlflow-model:{out.model_id}",
                    "mime": "application/vnd.nbtrack.mlflow-model+json",
                    "size": len(data),
                    "data": data,
                }
            )
        if rows:
            self.nb_store.writer.put("artifacts", rows)

    def record_logged_model(self, run_id, mlflow_model):
        run = self.get_run(run_id)
        history = json.loads(run.data.tags.get("mlflow.log-model.history", "[]"))
        history.append(mlflow_model.get_tags_dict())
        self.set_tag(run_id, RunTag("mlflow.log-model.history", json.dumps(history)))


def _shape(profile: Any) -> str | None:
    try:
        p = json.loads(profile) if isinstance(profile, str) else (profile or {})
        if "num_rows" in p:
            return f"({p['num_rows']}, {p.get('num_elements', 0) // max(p['num_rows'], 1)})"
    except Exception:
        pass
    return None


def _param_kind(value: Any):
    from ..capture.values import param_kind

    return param_kind(value)


def _unsupported(call: str) -> NotImplementedError:
    return NotImplementedError(f"nbtrack's MLflow store: {call} is not supported. Supported: {', '.join(SUPPORTED)}.")


class NbtrackArtifactRepository(LocalArtifactRepository):
    """``nbtrack:<store>/artifacts/<run_id>/mlflow``: files in the store folder, plus one
    artifact row per file for the run (bytes inline up to 2 MiB, else the file's place)."""

    def __init__(self, artifact_uri: str, tracking_uri: str | None = None, registry_uri: str | None = None):
        self._nb_uri = artifact_uri
        path = store_path(artifact_uri) or "."
        self._nb_dir = Path(path).expanduser().resolve()
        try:
            super().__init__(self._nb_dir.as_uri(), tracking_uri=tracking_uri, registry_uri=registry_uri)
        except TypeError:  # older MLflow: (artifact_uri) only
            super().__init__(self._nb_dir.as_uri())

    def log_artifact(self, local_file, artifact_path=None):
        super().log_artifact(local_file, artifact_path)
        rel = "/".join(p for p in (artifact_path, os.path.basename(local_file)) if p)
        self._record([(rel, Path(self.artifact_dir) / rel)])

    def log_artifacts(self, local_dir, artifact_path=None):
        super().log_artifacts(local_dir, artifact_path)
        base = Path(self.artifact_dir) / (artifact_path or "")
        entries = []
        for path in sorted(Path(local_dir).rglob("*")):
            if path.is_file():
                rel = "/".join(p for p in (artifact_path, str(path.relative_to(local_dir)).replace(os.sep, "/")) if p)
                entries.append((rel, base / path.relative_to(local_dir)))
        self._record(entries)

    def _record(self, entries: list[tuple[str, Path]]) -> None:
        parts = self._nb_dir.parts
        if len(parts) < 3 or parts[-3] != "artifacts" or parts[-1] != "mlflow":
            return  # a logged model's or an experiment's folder: files only
        run_id = parts[-2]
        store_dir = Path(*parts[:-3])
        rows = []
        for rel, path in entries:
            size = path.stat().st_size
            if size <= INLINE_ARTIFACT_BYTES:
                rows.append(
                    {
                        "run_id": run_id,
                        "name": f"mlflow/{rel}",
                        "mime": media.mime_of(path),
                        "size": size,
                        "data": path.read_bytes(),
                    }
                )
            else:
                data = media.json_bytes(
                    {"files": [{"path": rel, "size": size, "stored": str(path.relative_to(store_dir))}]}
                )
                rows.append(
                    {"run_id": run_id, "name": f"mlflow/{rel}", "mime": media.FILES_MIME, "size": size, "data": data}
                )
        if rows:
            get_store(store_dir).writer.put("artifacts", rows)
