"""``nbtrack import --from trackio PATH``: runs from trackio's SQLite databases (one ``<project>.db``
per project; PATH is such a file or a folder of them, e.g. ``~/.cache/huggingface/trackio``).

Read with the standard library's sqlite3 (trackio itself is not needed). Tables used:
``configs(run_id, run_name, config)`` and ``metrics(run_id, timestamp, run_name, step, metrics)``;
a database without them (or without those columns) is refused before anything is imported.

What becomes what: the project -> experiment, run_name -> name, config -> params (nested keys
with dots; ``_Group`` -> ``trackio.group``, other ``_`` keys dropped), every numeric value of
every logged step -> a series point with its step and timestamp (media and text values are not
imported: counted in ``skipped_values``), the last point per key -> the final metric. trackio
records no run status or end time: imported runs are ``finished``, started at ``_Created`` (or
their first point) and ended at their last point. System metrics are not imported.
Idempotent: each run remembers its trackio run id and database (context ``trackio_import``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from ..store import Store, query
from . import InteropError, Progress

REQUIRED = {
    "configs": {"run_id", "run_name", "config"},
    "metrics": {"run_id", "timestamp", "run_name", "step", "metrics"},
}


def _databases(path: str | Path) -> list[Path]:
    p = Path(path).expanduser()
    if p.is_file():
        return [p]
    if p.is_dir():
        found = sorted(p.glob("*.db"))
        if found:
            return found
        raise InteropError(f"nbtrack: no trackio database (*.db) in {p}")
    raise InteropError(f"nbtrack: no trackio database at {p}")


def _open(db: Path) -> sqlite3.Connection:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InteropError(f"nbtrack: {db} is not a trackio database ({exc})") from None
    for table, cols in REQUIRED.items():
        if table not in tables:
            raise InteropError(
                f"nbtrack: {db} has an unknown trackio schema: no table {table!r} "
                f"(known: trackio 0.4x databases with tables configs and metrics)"
            )
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        missing = cols - have
        if missing:
            raise InteropError(
                f"nbtrack: {db} has an unknown trackio schema: table {table!r} lacks {', '.join(sorted(missing))}"
            )
    return con


def _time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(str(text))
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def _flat(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v and not {"_type"} & set(v):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _new_id(t: dt.datetime) -> str:
    from ..store.ids import _b32

    ms = int(t.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    return _b32(ms, 9) + _b32(secrets.randbits(35), 7)


def _imported(store: Store) -> set[tuple[str, str]]:
    frame = query.sql(store, "SELECT context FROM runs")
    seen = set()
    for ctx in frame["context"]:
        if ctx and "trackio_import" in ctx:
            try:
                info = json.loads(ctx)["trackio_import"]
                seen.add((info["project"], info["run_id"]))
            except (ValueError, KeyError, TypeError):
                pass
    return seen


def import_from_trackio(store: Store, path: str | Path, progress: bool = False) -> dict:
    from ..capture.values import param_kind

    dbs = _databases(path)
    cons = [(db, _open(db)) for db in dbs]  # every schema checked before anything is imported
    seen = _imported(store)
    done = skipped = skipped_values = 0
    bar = Progress(None, "importing from trackio", progress)
    for db, con in cons:
        project = db.stem
        try:
            configs = {
                rid: (name, cfg) for rid, name, cfg in con.execute("SELECT run_id, run_name, config FROM configs")
            }
            run_ids = [
                r[0]
                for r in con.execute(
                    "SELECT run_id FROM (SELECT run_id, min(id) AS first FROM metrics GROUP BY run_id "
                    "UNION ALL SELECT run_id, id FROM configs) GROUP BY run_id ORDER BY min(first)"
                )
            ]
            for rid in run_ids:
                if (project, rid) in seen:
                    skipped += 1
                    continue
                name, raw_cfg = configs.get(rid, (None, None))
                cfg = json.loads(raw_cfg) if raw_cfg else {}
                points = con.execute(
                    "SELECT timestamp, run_name, step, metrics FROM metrics WHERE run_id = ? ORDER BY id", [rid]
                ).fetchall()
                name = name or (points[0][1] if points else None)
                series: list[tuple] = []
                last: dict[str, tuple] = {}
                for ts, _name, step, payload in points:
                    t = _time(ts)
                    values = _flat(json.loads(payload))
                    for key, value in values.items():
                        if isinstance(value, bool) or not isinstance(value, (int, float)):
                            skipped_values += 1
                            continue
                        series.append((key, float(step), float(value), t))
                        prev = last.get(key)
                        if prev is None or (float(step), t) >= (prev[0], prev[2]):
                            last[key] = (float(step), float(value), t)
                created = cfg.get("_Created")
                started = _time(created) if created else (series[0][3] if series else dt.datetime.utcnow())
                ended = max((p[3] for p in series), default=started)
                run_id = _new_id(started)
                params = dict(_flat({k: v for k, v in cfg.items() if not k.startswith("_")}))
                if cfg.get("_Group") is not None:
                    params["trackio.group"] = cfg["_Group"]
                context = {
                    "trackio_import": {
                        "path": str(db.resolve()),
                        "project": project,
                        "run_id": rid,
                        "username": cfg.get("_Username"),
                    }
                }
                seq = time.time_ns()
                rows: dict[str, list[dict]] = {
                    "runs": [
                        {
                            "run_id": run_id,
                            "seq": 1,
                            "name": name,
                            "experiment": project,
                            "notebook": None,
                            "cell_id": None,
                            "execution_count": None,
                            "source": None,
                            "status": "finished",
                            "started_at": started,
                            "ended_at": ended,
                            "duration_s": (ended - started).total_seconds(),
                            "tags": [],
                            "host": None,
                            "pid": None,
                            "git_commit": None,
                            "git_dirty": None,
                            "error_type": None,
                            "error_message": None,
                            "traceback": None,
                            "context": json.dumps(context),
                        }
                    ],
                    "params": [
                        dict(zip(("kind", "num", "text"), param_kind(v)), run_id=run_id, key=k)
                        for k, v in params.items()
                    ],
                    "series": [{"run_id": run_id, "key": k, "step": s, "value": v, "time": t} for k, s, v, t in series],
                    "metrics": [
                        {"run_id": run_id, "key": k, "value": v, "step": s, "time": t, "seq": seq}
                        for k, (s, v, t) in last.items()
                    ],
                }
                for table, table_rows in rows.items():
                    if table_rows:
                        store.writer.put(table, table_rows)
                seen.add((project, rid))
                done += 1
                bar.update()
        finally:
            con.close()
    bar.__exit__()
    store.flush()
    return {"imported": done, "skipped": skipped, "skipped_values": skipped_values}
