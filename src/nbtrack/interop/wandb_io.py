"""``nbtrack import --from wandb DIR``: W&B run folders (offline or synced) from disk.

DIR is a ``wandb/`` folder (its ``offline-run-*``/``run-*`` folders), one run folder, or one
``run-<id>.wandb`` file. Two readers, and the counts say which one read each run:

- ``records`` (when the ``wandb`` package is installed): the ``.wandb`` file itself, W&B's
  LevelDB-log framing (32 KiB blocks, 7-byte headers, CRC-32 of type + payload, checked) of
  protobuf ``Record``s decoded with wandb's own ``wandb_internal_pb2``: run (name, project, tags,
  notes, group, job type, start), config, every history row (numeric values -> series at
  ``_step`` with ``_timestamp``), summary (-> final metrics, explicit values win), exit (code 0
  -> finished, else failed; no exit record -> crashed).
- ``files`` (no ``wandb`` package): ``files/config.yaml`` -> params and
  ``files/wandb-summary.json`` -> final metrics, ``files/wandb-metadata.json`` -> start time.
  No series: history lives only in the ``.wandb`` file. Offline folders have no such files.

Every run is read (and checked) before the first row is written: a corrupt file gives one
error naming it and nothing is imported. Idempotent: runs remember their W&B id (param
``wandb.id``, as the shim does, and context ``wandb_import``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import struct
import time
import zlib
from pathlib import Path
from typing import Any

from ..store import Store, query
from . import InteropError, Progress

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


# -- the .wandb file ----------------------------------------------------------------------------


def records(path: Path) -> list[bytes]:
    """The payloads of a ``.wandb`` file; raises InteropError on a bad magic or checksum.
    A record cut off at the end (a process killed mid-write) ends the list."""
    data = path.read_bytes()
    if data[:4] != b":W&B":
        raise InteropError(f"nbtrack: {path} is not a W&B run file (no ':W&B' header)")
    out, pos, buf = [], HEADER, None
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # block trailer padding
            pos += left
            continue
        if pos + HEADER > len(data):
            break
        crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        if length == 0 and kind == 0:  # zero padding up to the block's end
            pos += left
            continue
        payload = data[pos + HEADER : pos + HEADER + length]
        if len(payload) < length:
            break  # cut off at the end
        if zlib.crc32(bytes([kind]) + payload) & 0xFFFFFFFF != crc:
            raise InteropError(f"nbtrack: {path} is corrupt (checksum mismatch at byte {pos}); nothing imported")
        pos += HEADER + length
        if kind == FULL:
            out.append(payload)
        elif kind == FIRST:
            buf = payload
        elif kind == MIDDLE and buf is not None:
            buf += payload
        elif kind == LAST and buf is not None:
            out.append(buf + payload)
            buf = None
        else:
            raise InteropError(f"nbtrack: {path} is corrupt (record type {kind} at byte {pos}); nothing imported")
    return out


def _key(item) -> str:
    return ".".join(item.nested_key) if len(item.nested_key) else item.key


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _flat(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v and "_type" not in v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def read_records(path: Path) -> dict:
    from wandb.proto import wandb_internal_pb2 as pb

    run: dict[str, Any] = {"config": {}, "summary": {}, "points": [], "exit_code": None, "runtime": None}
    for payload in records(path):
        # wandb's generated protobuf module makes its classes at import time: no name for mypy
        rec = pb.Record()  # type: ignore[attr-defined]
        try:
            rec.ParseFromString(payload)
        except Exception:
            raise InteropError(f"nbtrack: {path} is corrupt (a record does not decode); nothing imported") from None
        kind = rec.WhichOneof("record_type")
        if kind == "run":
            r = rec.run
            run.update(
                id=r.run_id,
                name=r.display_name or None,
                project=r.project or None,
                tags=list(r.tags),
                notes=r.notes or None,
                group=r.run_group or None,
                job_type=r.job_type or None,
                start=r.start_time.seconds + r.start_time.nanos / 1e9 if r.HasField("start_time") else None,
            )
            for item in r.config.update:
                run["config"][_key(item)] = _json(item.value_json)
        elif kind == "config":
            for item in rec.config.update:
                run["config"][_key(item)] = _json(item.value_json)
        elif kind == "history":
            row = {_key(i): _json(i.value_json) for i in rec.history.item}
            step = row.get("_step", rec.history.step.num)
            t = row.get("_timestamp")
            for key, value in _flat({k: v for k, v in row.items() if not k.startswith("_")}).items():
                number = _number(value)
                if number is not None:
                    run["points"].append((key, float(step), number, t))
        elif kind == "summary":
            for item in rec.summary.update:
                run["summary"][_key(item)] = _json(item.value_json)
            for item in rec.summary.remove:
                run["summary"].pop(_key(item), None)
        elif kind == "exit":
            run["exit_code"] = rec.exit.exit_code
            run["runtime"] = rec.exit.runtime
    if not run.get("id"):
        raise InteropError(f"nbtrack: {path} has no run record; nothing imported")
    run["reader"] = "records"
    return run


def read_files(folder: Path) -> dict:
    files = folder / "files"
    summary_file, config_file = files / "wandb-summary.json", files / "config.yaml"
    if not summary_file.is_file() and not config_file.is_file():
        raise InteropError(
            f"nbtrack: {folder} has no files/wandb-summary.json or files/config.yaml, and the "
            "'wandb' package (needed to read the .wandb file) is not installed"
        )
    import yaml

    try:
        config = yaml.safe_load(config_file.read_text()) if config_file.is_file() else {}
        summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
        meta_file = files / "wandb-metadata.json"
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    except (ValueError, yaml.YAMLError) as exc:
        raise InteropError(f"nbtrack: {folder} is corrupt ({exc}); nothing imported") from None
    config = {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in (config or {}).items()}
    run_id = folder.name.rsplit("-", 1)[-1]
    start = None
    if meta.get("startedAt"):
        start = dt.datetime.fromisoformat(meta["startedAt"].replace("Z", "+00:00")).timestamp()
    return {
        "id": run_id,
        "name": None,
        "project": meta.get("project"),
        "tags": [],
        "notes": None,
        "group": None,
        "job_type": None,
        "start": start,
        "config": config,
        "summary": summary,
        "points": [],
        "exit_code": None,
        "runtime": summary.get("_runtime"),
        "reader": "files",
    }


# -- into the store -----------------------------------------------------------------------------


def _run_sources(path: Path) -> list[tuple[Path, Path | None]]:
    """(run folder, .wandb file or None) for every run under ``path``."""
    p = Path(path).expanduser()
    if p.is_file() and p.suffix == ".wandb":
        return [(p.parent, p)]
    if not p.is_dir():
        raise InteropError(f"nbtrack: no W&B run folder at {p}")
    folders = (
        [p]
        if list(p.glob("run-*.wandb")) or (p / "files").is_dir()
        else sorted(
            d
            for d in p.iterdir()
            if d.is_dir() and (d.name.startswith(("offline-run-", "run-"))) and not d.is_symlink()
        )
    )
    if not folders:
        raise InteropError(f"nbtrack: no W&B runs (offline-run-*/ or run-*/ folders) in {p}")
    return [(f, next(iter(sorted(f.glob("run-*.wandb"))), None)) for f in folders]


def _utc(seconds: float | None) -> dt.datetime | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)


def _imported(store: Store) -> set[str]:
    frame = query.sql(store, "SELECT context FROM runs")
    seen = set()
    for ctx in frame["context"]:
        if ctx and "wandb_import" in ctx:
            try:
                seen.add(json.loads(ctx)["wandb_import"]["run_id"])
            except (ValueError, KeyError, TypeError):
                pass
    return seen


def import_from_wandb(store: Store, path: str | Path, progress: bool = False) -> dict:
    from ..capture.values import param_kind
    from ..store.ids import _b32

    try:
        import wandb.proto.wandb_internal_pb2  # noqa: F401  (wandb's own record format)

        have_pb = True
    except ImportError:
        have_pb = False
    runs = []
    for folder, file in _run_sources(Path(path)):
        runs.append(read_records(file) if (have_pb and file is not None) else read_files(folder))
    seen = _imported(store)
    done = skipped = 0
    readers: dict[str, int] = {}
    bar = Progress(len(runs), "importing W&B runs", progress)
    for run in runs:
        if run["id"] in seen:
            skipped += 1
            continue
        points = run["points"]
        start = run["start"] or (min((p[3] for p in points if p[3]), default=None)) or time.time()
        end_ts = max((p[3] for p in points if p[3]), default=None)
        if run["runtime"]:
            end_ts = max(end_ts or 0, start + float(run["runtime"]))
        started, ended = _utc(start), _utc(end_ts or start)
        code = run["exit_code"]
        status = "crashed" if code is None and run["reader"] == "records" else ("finished" if not code else "failed")
        run_id = _b32(int(start * 1000), 9) + _b32(secrets.randbits(35), 7)
        config = _flat({k: v for k, v in run["config"].items() if not k.startswith("_")})
        params = {
            **config,
            **{f"wandb.{k}": run[k] for k in ("group", "job_type", "notes") if run[k]},
            "wandb.id": run["id"],
        }
        last: dict[str, tuple] = {}
        for key, step, value, t in points:
            if key not in last or (step, t or 0) >= (last[key][0], last[key][2] or 0):
                last[key] = (step, value, t)
        finals = {k: (s, v, t) for k, (s, v, t) in last.items()}
        for key, value in _flat({k: v for k, v in run["summary"].items() if not k.startswith("_")}).items():
            number = _number(value)
            if number is not None:  # the summary is W&B's final value: explicit ones win
                prev = finals.get(key)
                finals[key] = (prev[0] if prev else None, number, prev[2] if prev else end_ts)
        context = {"wandb_import": {"path": str(Path(path).resolve()), "run_id": run["id"], "reader": run["reader"]}}
        seq = time.time_ns()
        rows = {
            "runs": [
                {
                    "run_id": run_id,
                    "seq": 1,
                    "name": run["name"],
                    "experiment": run["project"] or "wandb",
                    "notebook": None,
                    "cell_id": None,
                    "execution_count": None,
                    "source": None,
                    "status": status,
                    "started_at": started,
                    "ended_at": ended,
                    "duration_s": (ended - started).total_seconds() if ended and started else None,
                    "tags": list(run["tags"]),
                    "host": None,
                    "pid": None,
                    "git_commit": None,
                    "git_dirty": None,
                    "error_type": None if not code else "ExitCode",
                    "error_message": None if not code else f"exit code {code}",
                    "traceback": None,
                    "context": json.dumps(context),
                }
            ],
            "params": [
                {"run_id": run_id, "key": k, **dict(zip(("kind", "num", "text"), param_kind(v)))}
                for k, v in params.items()
            ],
            "series": [
                {"run_id": run_id, "key": k, "step": s, "value": v, "time": _utc(t) or started} for k, s, v, t in points
            ],
            "metrics": [
                {"run_id": run_id, "key": k, "value": v, "step": s, "time": _utc(t) or ended, "seq": seq}
                for k, (s, v, t) in finals.items()
            ],
        }
        for table, table_rows in rows.items():
            if table_rows:
                store.writer.put(table, table_rows)
        seen.add(run["id"])
        done += 1
        readers[run["reader"]] = readers.get(run["reader"], 0) + 1
        bar.update()
    bar.__exit__()
    store.flush()
    return {"imported": done, "skipped": skipped, **{f"read_from_{k}": v for k, v in readers.items()}}
