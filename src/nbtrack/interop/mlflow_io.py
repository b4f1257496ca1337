"""``nbtrack export --to mlflow URI`` and ``nbtrack import --from mlflow URI``.

Both go through MLflow's own client (any tracking URI MLflow accepts: ``sqlite:///mlflow.db``,
``http://host:5000``, ...). What moves: runs (name, experiment, status, start and end time),
params, tags, every metric point with its step and timestamp, and artifacts.

Idempotent both ways: an exported MLflow run carries the tag ``nbtrack.run_id``; an imported
nbtrack run keeps ``mlflow_import`` (source run id and URI) in its context. A second export or
import adds nothing, and a run exported from this store is never imported back into it.

All or nothing per run: an import reads everything of a run (points, artifacts) before the
store's writer gets any row of it; an export that fails half way deletes the MLflow run it made.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from ..store import Store, query
from . import InteropError, Progress, media
from .mlflow_store import (
    STATUS_FROM_MLFLOW,
    STATUS_TO_MLFLOW,
    param_text,
    param_value,
    tags_from_nbtrack,
    tags_to_nbtrack,
)
from .select import select_runs  # noqa: F401 (also part of this module's API)

ID_TAG = "nbtrack.run_id"
MIMES_FILE = "nbtrack/.mimes.json"  # artifact name -> mime of exported nbtrack artifacts
BATCH = 900  # MLflow's log_batch takes at most 1000 metrics, 100 params, 100 tags per call


def _client(uri: str, must_exist: bool):
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise InteropError("nbtrack: MLflow is not installed; pip install 'nbtrack[mlflow]'") from None
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
    if uri.startswith("sqlite:///") and must_exist:
        path = Path(uri[len("sqlite:///") :])
        if not path.is_file():
            raise InteropError(f"nbtrack: no MLflow database at {path} (from {uri})")
    try:
        client = MlflowClient(tracking_uri=uri)
        client.search_experiments(max_results=1)
    except Exception as exc:
        raise InteropError(
            f"nbtrack: cannot reach the MLflow tracking store {uri!r}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    return client


def _utc(ms: int | None) -> dt.datetime | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).replace(tzinfo=None)


def _ms(ts: Any) -> int | None:
    if ts is None or (isinstance(ts, float) and ts != ts):
        return None
    try:
        import pandas as pd

        if pd.isna(ts):
            return None
        ts = pd.Timestamp(ts).to_pydatetime()
    except (ImportError, TypeError, ValueError):
        pass
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return int(round(ts.timestamp() * 1000))


# -- export -----------------------------------------------------------------------------------


def _valid_key(key: str) -> str:
    import re

    return re.sub(r"[^\w\-. :/]", "_", key)


def export_to_mlflow(
    store: Store, uri: str, experiment: str | None = None, filters: Iterable[Any] = (), progress: bool = False
) -> dict:
    """Copy the store's runs (those matching ``filters``) into the MLflow tracking store at
    ``uri``; ``experiment`` puts them all into that MLflow experiment (default: each run's own)."""
    ids = select_runs(store, filters)
    client = _client(uri, must_exist=False)
    exp_ids: dict[str, str] = {}
    counts = {"exported": 0, "skipped": 0}
    with Progress(len(ids), "exporting to MLflow", progress) as bar:
        for run_id in ids:
            counts[_export_one(client, store, uri, experiment, exp_ids, run_id)] += 1
            bar.update()
    return {**counts, "selected": len(ids)}


def _export_one(client, store: Store, uri: str, experiment: str | None, exp_ids: dict, run_id: str) -> str:
    """Export one run: "exported", or "skipped" when the target already has it."""
    from mlflow.entities import Metric, Param, ViewType

    rec = query.get_run(store, run_id)
    name = experiment or rec.experiment or "Default"
    if name not in exp_ids:
        exp = client.get_experiment_by_name(name)
        exp_ids[name] = exp.experiment_id if exp is not None else client.create_experiment(name)
    exp_id = exp_ids[name]
    if client.search_runs([exp_id], f"tags.`{ID_TAG}` = '{run_id}'", run_view_type=ViewType.ACTIVE_ONLY, max_results=1):
        return "skipped"
    source = rec.context.get("mlflow_import") or {}
    came_from = source.get("run_id") if source.get("uri") == uri else None
    if came_from and _exists(client, came_from):
        return "skipped"  # it came from there
    tags = dict(rec.context.get("mlflow_tags") or {})
    for k, v in tags_from_nbtrack(rec.tags).items():
        tags.setdefault(k, v)
    tags[ID_TAG] = run_id
    if rec.notebook:
        tags.setdefault("mlflow.source.name", rec.notebook)
    if rec.cell_id:
        tags.setdefault("nbtrack.cell_id", rec.cell_id)
    if rec.error:
        tags.setdefault("nbtrack.error", f"{rec.error.get('type')}: {rec.error.get('message')}"[:5000])
    params = [Param(k, param_text(v)[:6000]) for k, v in rec.params.items()]
    metrics = _metrics_of(store, run_id)
    created = None
    try:
        created = client.create_run(
            exp_id,
            start_time=_ms(rec.started_at),
            tags={k: str(v) for k, v in tags.items() if k != "mlflow.runName"},
            run_name=rec.name,
        )
        rid = created.info.run_id
        for j in range(0, len(params), 90):
            client.log_batch(rid, params=params[j : j + 90])
        for j in range(0, len(metrics), BATCH):
            client.log_batch(rid, metrics=[Metric(*m) for m in metrics[j : j + BATCH]])
        _export_artifacts(client, store, rid, run_id, rec.artifacts)
        status = STATUS_TO_MLFLOW.get(rec.status, "RUNNING")
        if status != "RUNNING":
            client.set_terminated(rid, status, end_time=_ms(rec.ended_at))
    except Exception as exc:
        if created is not None:
            try:
                client.delete_run(created.info.run_id)
            except Exception:
                pass
        raise InteropError(
            f"nbtrack: exporting run {run_id} failed, nothing of it was kept: {type(exc).__name__}: {exc}"
        ) from None
    return "exported"


def _exists(client, mlflow_run_id: str) -> bool:
    try:
        return client.get_run(mlflow_run_id).info.lifecycle_stage == "active"
    except Exception:
        return False


def _metrics_of(store: Store, run_id: str) -> list[tuple]:
    """(key, value, timestamp ms, step) of every series point, plus final metrics that have no
    series (scalars a tracked cell computed) at their own step and time."""
    points = query.series_frame(store, run_id)
    out = [
        (_valid_key(k), float(v), _ms(t), int(round(s)))
        for k, s, v, t in zip(points["key"], points["step"], points["value"], points["time"])
    ]
    with_series = set(points["key"])
    finals = query.sql(store, "SELECT key, value, step, time FROM metrics WHERE run_id = ?", [run_id])
    for k, v, s, t in finals.itertuples(index=False, name=None):
        if k not in with_series:
            out.append((_valid_key(k), float(v), _ms(t) or 0, 0 if s is None or s != s else int(round(s))))
    return out


def _export_artifacts(client, store: Store, mlflow_run_id: str, run_id: str, artifacts: list[dict]) -> None:
    if not artifacts:
        return
    with tempfile.TemporaryDirectory(prefix="nbtrack-export-") as tmp:
        root = Path(tmp)
        mimes = {}
        for art in artifacts:
            name = art["name"]
            found = query.artifact(store, run_id, name)
            if found is None:
                continue
            mime, data = found
            rel = name[len("mlflow/") :] if name.startswith("mlflow/") else f"nbtrack/{name}"
            if mime == media.FILES_MIME:  # files kept in the store folder
                manifest = json.loads(data)
                for f in manifest.get("files", []):
                    src = store.dir / f["stored"] if f.get("stored") else None
                    if src is not None and src.is_file():
                        dest = root / _safe_rel(f"{rel}/{f['path']}" if not name.startswith("mlflow/") else rel)
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(src, dest)
                continue
            dest = root / _safe_rel(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data or b"")
            if not name.startswith("mlflow/"):
                mimes[name] = mime
        if mimes:  # names like "display-0" say nothing of their type: keep it for an import
            (root / "nbtrack").mkdir(exist_ok=True)
            (root / MIMES_FILE).write_text(json.dumps(mimes))
        if any(root.iterdir()):
            client.log_artifacts(mlflow_run_id, str(root))


def _safe_rel(rel: str) -> Path:
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return Path(*parts) if parts else Path("artifact")


# -- import -----------------------------------------------------------------------------------


def _imported(store: Store) -> tuple[set[str], set[str]]:
    """(MLflow run ids already imported, nbtrack run ids in the store)."""
    frame = query.sql(store, "SELECT run_id, context FROM runs")
    mlflow_ids = set()
    for ctx in frame["context"]:
        if ctx and "mlflow_import" in ctx:
            try:
                mlflow_ids.add(json.loads(ctx)["mlflow_import"]["run_id"])
            except (ValueError, KeyError, TypeError):
                pass
    return mlflow_ids, set(frame["run_id"])


def _new_id(start_ms: int | None) -> str:
    from ..store.ids import _b32

    ms = start_ms if start_ms else time.time_ns() // 1_000_000
    return _b32(ms, 9) + _b32(secrets.randbits(35), 7)


def import_from_mlflow(store: Store, uri: str, experiment: str | None = None, progress: bool = False) -> dict:
    """Copy the runs of the MLflow tracking store at ``uri`` (or of its ``experiment``) into
    ``store``. Returns counts: imported, skipped (already here), failed."""
    from mlflow.entities import ViewType

    client = _client(uri, must_exist=True)
    if experiment is not None:
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            raise InteropError(f"nbtrack: no experiment {experiment!r} in {uri}")
        experiments = [exp]
    else:
        experiments = client.search_experiments(view_type=ViewType.ACTIVE_ONLY)
    seen, ours = _imported(store)
    done = skipped = 0
    bar = Progress(None, "importing from MLflow", progress)
    for exp in experiments:
        token = None
        while True:
            page = client.search_runs(
                [exp.experiment_id], run_view_type=ViewType.ACTIVE_ONLY, max_results=1000, page_token=token
            )
            for run in page:
                if run.info.run_id in seen or run.data.tags.get(ID_TAG) in ours:
                    skipped += 1
                    continue
                rows = _rows_of(client, store, uri, exp.name, run)  # everything first ...
                for table in ("runs", "params", "series", "metrics", "artifacts"):
                    if rows[table]:
                        store.writer.put(table, rows[table])  # ... then all of it to the writer
                seen.add(run.info.run_id)
                done += 1
                bar.update()
            token = page.token
            if not token:
                break
    bar.__exit__()
    store.flush()
    return {"imported": done, "skipped": skipped}


def _rows_of(client, store: Store, uri: str, experiment: str, run) -> dict[str, list]:
    from ..capture.values import param_kind

    info, data = run.info, run.data
    run_id = _new_id(info.start_time)
    tags = dict(data.tags)
    status = STATUS_FROM_MLFLOW.get(info.status, "running" if info.status in ("RUNNING", "SCHEDULED") else "failed")
    started, ended = _utc(info.start_time), _utc(info.end_time)
    context = {
        "mlflow_tags": tags,
        "mlflow_import": {
            "uri": uri,
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
        },
    }
    rows: dict[str, list] = {"runs": [], "params": [], "series": [], "metrics": [], "artifacts": []}
    rows["runs"].append(
        {
            "run_id": run_id,
            "seq": 1,
            "name": info.run_name,
            "experiment": experiment,
            "notebook": None,
            "cell_id": None,
            "execution_count": None,
            "source": None,
            "status": status,
            "started_at": started,
            "ended_at": ended,
            "duration_s": (ended - started).total_seconds() if started and ended else None,
            "tags": tags_to_nbtrack(tags),
            "host": None,
            "pid": None,
            "git_commit": tags.get("mlflow.source.git.commit"),
            "git_dirty": None,
            "error_type": None,
            "error_message": None,
            "traceback": None,
            "context": json.dumps(context),
        }
    )
    for key, text in data.params.items():
        kind, num, txt = param_kind(param_value(text))
        rows["params"].append({"run_id": run_id, "key": key, "kind": kind, "num": num, "text": txt})
    seq = time.time_ns()
    for key in data.metrics:
        history = client.get_metric_history(info.run_id, key)
        for m in history:
            rows["series"].append(
                {
                    "run_id": run_id,
                    "key": key,
                    "step": float(m.step),
                    "value": float(m.value),
                    "time": _utc(m.timestamp),
                }
            )
        if history:  # MLflow's latest: highest step, then latest time
            last = max(history, key=lambda m: (m.step, m.timestamp))
            rows["metrics"].append(
                {
                    "run_id": run_id,
                    "key": key,
                    "value": float(last.value),
                    "step": float(last.step),
                    "time": _utc(last.timestamp),
                    "seq": seq,
                }
            )
    rows["artifacts"] = _import_artifacts(client, store, info.run_id, run_id)
    return rows


def _import_artifacts(client, store: Store, mlflow_run_id: str, run_id: str) -> list[dict]:
    """Download every artifact into ``<store>/artifacts/<run_id>/mlflow/``; one row per file."""
    files = []

    def walk(path=None):
        for f in client.list_artifacts(mlflow_run_id, path):
            if f.is_dir:
                walk(f.path)
            else:
                files.append(f.path)

    walk()
    if not files:
        return []
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbtrack-import-") as tmp:
        local = Path(client.download_artifacts(mlflow_run_id, "", tmp))
        dest_root = store.dir / "artifacts" / run_id / "mlflow"
        mimes = {}
        if MIMES_FILE in files:
            try:
                mimes = json.loads((local / MIMES_FILE).read_text())
            except ValueError:
                mimes = {}
        for rel in files:
            if rel == MIMES_FILE:
                continue
            src = local / rel
            name = rel[len("nbtrack/") :] if rel.startswith("nbtrack/") else f"mlflow/{rel}"
            size = src.stat().st_size
            if size <= 2 * 1024 * 1024:
                rows.append(
                    {
                        "run_id": run_id,
                        "name": name,
                        "mime": mimes.get(name) or media.mime_of(src),
                        "size": size,
                        "data": src.read_bytes(),
                    }
                )
            else:
                dest = dest_root / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
                data = media.json_bytes(
                    {"files": [{"path": rel, "size": size, "stored": str(dest.relative_to(store.dir))}]}
                )
                rows.append({"run_id": run_id, "name": name, "mime": media.FILES_MIME, "size": size, "data": data})
    return rows
