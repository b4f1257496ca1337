"""Read queries over a store snapshot. Widgets and the server ask here; they write no SQL.

The wide ``params.*``/``metrics.*`` frame is built from the narrow tables by grouping each key's
(row index, value) pairs in DuckDB and scattering them into numpy columns: one pass, no PIVOT
(a naive PIVOT over 2,000 runs took 1.4 s here).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import UnknownRunError  # noqa: F401  (re-exported: defined in nbtrack.errors)
from . import Store, tiers
from .runs_view import RUN_COLUMNS, STATUSES, decode_param  # noqa: F401  (defined once, in the read model)


def runs_frame(
    store,
    experiment: str | None = None,
    notebook: str | None = None,
    status: str | Iterable[str] | None = None,
    limit: int | None = None,
    run_ids: Iterable[str] | None = None,
    filters: Iterable[Any] | None = None,
    search: str | None = None,
    sort: Any = None,
    lead: list[str] | None = None,
) -> pd.DataFrame:
    """One row per run, newest first unless ``sort`` says otherwise: run columns (``lead``,
    default ``RUN_COLUMNS``), then params.<key>, then metrics.<key>, then ``stale`` and
    ``stale_reason``. The read model's (``runs_view.read``): the same rows as the table and
    the sidebar give. ``store``: a Store or a ``runs_view.Source``."""
    from .runs_view import RunSpec, read

    spec = RunSpec(
        experiment=experiment,
        notebook=notebook,
        status=status,
        run_ids=run_ids,
        filters=filters,
        search=search,
        sort=sort,
    )
    return read(store, spec, lead=lead, limit=limit).to_pandas()


def resolve_run_id(store: Store, id_or_prefix: str) -> str:
    if not isinstance(id_or_prefix, str) or not id_or_prefix:
        raise UnknownRunError(f"nbtrack: a run id must be a non-empty string, got {id_or_prefix!r}")
    with store.snapshot() as con:
        rows = con.execute(
            "SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY run_id LIMIT 3",
            [id_or_prefix],
        ).fetchall()
    ids = [r[0] for r in rows]
    if id_or_prefix in ids:
        return id_or_prefix
    if not ids:
        raise UnknownRunError(f"nbtrack: no run with id or prefix {id_or_prefix!r} in {store.dir}")
    if len(ids) > 1:
        raise UnknownRunError(
            f"nbtrack: the prefix {id_or_prefix!r} matches several runs ({', '.join(ids[:2])}, ...); "
            "type more characters."
        )
    return ids[0]


def resolve_run_ids(store: Store, ids_or_prefixes: Iterable[str]) -> list[str]:
    """``resolve_run_id`` for many: full ids in one query; only prefixes cost a lookup each."""
    ids = [str(r) for r in ids_or_prefixes]
    with store.snapshot() as con:
        exact = {r[0] for r in con.execute("SELECT run_id FROM runs WHERE list_contains(?, run_id)", [ids]).fetchall()}
    return [r if r in exact else resolve_run_id(store, r) for r in ids]


def series_frame(store: Store, run_ids: Iterable[str] | str, keys: Iterable[str] | None = None) -> pd.DataFrame:
    """All points of the given runs: run_id, key, step, value, time (ordered)."""
    ids = resolve_run_ids(store, [run_ids] if isinstance(run_ids, str) else run_ids)
    conds, args = "list_contains(?, run_id)", [ids]
    if keys is not None:
        keys = [keys] if isinstance(keys, str) else list(keys)
        conds += " AND list_contains(?, key)"
        args.append(keys)
    with store.snapshot() as con:
        table = con.execute(
            f"SELECT run_id, key, step, value, time FROM series WHERE {conds} ORDER BY run_id, key, step, time",
            args,
        ).fetch_arrow_table()
    frame = table.to_pandas()
    steps = frame["step"].to_numpy()
    if len(steps) and np.all(np.isfinite(steps)) and np.all(steps == np.round(steps)):
        frame["step"] = steps.astype(np.int64)
    return frame


def downsampled_series(store: Store, run_ids: list[str], keys: list[str] | None = None, points: int = 2000) -> pa.Table:
    """Series reduced in DuckDB to about ``points`` per (run, key): the min and the max point
    of each step bucket (so spikes survive) and the last point (highest step), every point of
    short series. Columns: run_id, key, step, value.

    A series of more than ``tiers.FEW_POINTS`` points (in a store with tiers) has buckets of
    2^m steps, the smallest m that gives at most ``points / 2`` of them, read from the tiers
    compaction keeps plus the spool's raw points (tiers.envelopes; 10 x 1M points without
    touching them). Shorter series (and stores without tiers: a team store, a file written
    before schema 2 and not compacted since) are read raw, in ``points / 2`` equal buckets over
    the series' step range: one aggregate per (run, key) with its bucket bounds bound as
    parameters (no join of every point against a bounds table), and the point at its highest
    step. Points at an infinite or NaN step (``log(step=float("inf"))``) have no place on a
    step axis and are left out; every other point of their series is kept."""
    buckets = max(2, min(int(points), 200_000) // 2)
    key_cond, key_args = ("", []) if not keys else (" AND list_contains(?, key)", [list(keys)])
    parts = []
    with store.snapshot() as con:
        if tiers.available(con):
            found = tiers.bounds(con, sorted(dict.fromkeys(run_ids)), keys)
        else:  # per run: run_id = ? lets DuckDB skip the row groups of other runs
            found = [
                (run_id, key, None, lo, hi)
                for run_id in sorted(dict.fromkeys(run_ids))
                for key, lo, hi in con.execute(
                    "SELECT key, min(step), max(step) FROM series"
                    f" WHERE run_id = ?{key_cond} AND isfinite(step) GROUP BY key ORDER BY key",
                    [run_id, *key_args],
                ).fetchall()
            ]
        tiered = []
        for run_id, key, n, lo, hi in found:
            if n is not None and n > tiers.FEW_POINTS and math.isfinite(hi - lo):
                tiered.append((run_id, key, tiers.exponent(lo, hi, buckets)))
                continue
            if not (math.isfinite(lo) and math.isfinite(hi)):  # an inf or NaN step: no place on an axis
                lo, hi = con.execute(
                    "SELECT min(step), max(step) FROM series WHERE run_id = ? AND key = ? AND isfinite(step)",
                    [run_id, key],
                ).fetchone() or (None, None)
                if lo is None:
                    continue
            scale = buckets / (hi - lo) if hi > lo else 0.0
            parts.append(
                con.execute(
                    """SELECT ? AS run_id, ? AS key,
                          unnest([arg_min(step, value), arg_max(step, value)]) AS step,
                          unnest([min(value), max(value)]) AS value
                   FROM series WHERE run_id = ? AND key = ? AND isfinite(step)
                   GROUP BY least(((step - ?) * ?)::BIGINT, ?)""",
                    [run_id, key, run_id, key, lo, scale, buckets - 1],
                ).fetch_arrow_table()
            )
            # The last point too: a tail that falls then rises ends on neither extreme.
            parts.append(
                con.execute(
                    """SELECT ? AS run_id, ? AS key, step, value FROM series
                       WHERE run_id = ? AND key = ? AND step = ? AND value IS NOT NULL LIMIT 1""",
                    [run_id, key, run_id, key, hi],
                ).fetch_arrow_table()
            )
        parts += tiers.envelopes(con, tiered)
    if not parts:
        return pa.table(
            {
                "run_id": pa.array([], pa.string()),
                "key": pa.array([], pa.string()),
                "step": pa.array([], pa.float64()),
                "value": pa.array([], pa.float64()),
            }
        )
    table = pa.concat_tables([p.cast(parts[0].schema) for p in parts])
    cols = ["run_id", "key", "step", "value"]
    distinct = table.group_by(cols, use_threads=False).aggregate([])  # min == max in a bucket
    return distinct.select(cols).sort_by([(c, "ascending") for c in cols[:3]])


@dataclass
class RunRecord:
    """Everything captured for one run."""

    run_id: str
    name: str | None
    experiment: str | None
    notebook: str | None
    cell_id: str | None
    status: str
    started_at: Any
    ended_at: Any
    duration_s: float | None
    tags: list[str]
    source: str | None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    artifacts: list[dict] = field(default_factory=list)
    error: dict | None = None
    context: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        def fmt(d: dict) -> str:
            return ", ".join(f"{k}={_short(v)}" for k, v in d.items()) or "-"

        dur = f"{self.duration_s:.2f}s" if self.duration_s is not None else "-"
        lines = [
            f"Run {self.run_id} [{self.status}] {self.name or ''}".rstrip(),
            f"  experiment={self.experiment!r} notebook={self.notebook!r} cell={self.cell_id!r}",
            f"  started {self.started_at}  duration {dur}  tags {self.tags}",
            f"  params:  {fmt(self.params)}",
            f"  metrics: {fmt(self.metrics)}",
            f"  inputs:  {', '.join(self.inputs) or '-'}",
            f"  outputs: {', '.join(self.outputs) or '-'}",
        ]
        if self.error:
            lines.append(f"  error:   {self.error.get('type')}: {self.error.get('message')}")
        return "\n".join(lines)


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def get_run(store: Store, id_or_prefix: str) -> RunRecord:
    run_id = resolve_run_id(store, id_or_prefix)
    with store.snapshot() as con:
        cols = RUN_COLUMNS + [
            "source",
            "execution_count",
            "host",
            "pid",
            "git_commit",
            "git_dirty",
            "error_type",
            "error_message",
            "traceback",
            "context",
        ]
        row = con.execute(f"SELECT {', '.join(cols)} FROM runs WHERE run_id = ?", [run_id]).fetchall()
        r = dict(zip(cols, row[0]))
        params = con.execute(
            "SELECT key, kind, num, text FROM params WHERE run_id = ? ORDER BY key", [run_id]
        ).fetchall()
        metrics = con.execute("SELECT key, value FROM metrics WHERE run_id = ? ORDER BY key", [run_id]).fetchall()
        inputs = con.execute(
            "SELECT name, type, shape, fingerprint, value FROM inputs WHERE run_id = ? ORDER BY name",
            [run_id],
        ).fetchall()
        outputs = con.execute(
            "SELECT name, type, shape, summary FROM outputs WHERE run_id = ? ORDER BY name", [run_id]
        ).fetchall()
        artifacts = con.execute(
            "SELECT name, mime, size FROM artifacts WHERE run_id = ? ORDER BY name", [run_id]
        ).fetchall()
    context = json.loads(r["context"]) if r["context"] else {}
    context.update(
        execution_count=r["execution_count"],
        host=r["host"],
        pid=r["pid"],
        git_commit=r["git_commit"],
        git_dirty=r["git_dirty"],
    )
    error = None
    if r["error_type"]:
        error = {"type": r["error_type"], "message": r["error_message"], "traceback": r["traceback"]}
    return RunRecord(
        **{k: r[k] for k in RUN_COLUMNS if k != "tags"},
        tags=list(r["tags"] or []),
        source=r["source"],
        params={k: decode_param(kind, num, text) for k, kind, num, text in params},
        metrics=dict(metrics),
        inputs={n: {"type": t, "shape": s, "fingerprint": f, "value": v} for n, t, s, f, v in inputs},
        outputs={n: {"type": t, "shape": s, "summary": m} for n, t, s, m in outputs},
        artifacts=[{"name": n, "mime": m, "size": s} for n, m, s in artifacts],
        error=error,
        context=context,
    )


_param_value = decode_param  # the read model's one decoding (kept: other modules import it)


def artifact(store: Store, run_id: str, name: str) -> tuple[str, bytes] | None:
    with store.snapshot() as con:
        row = con.execute(
            "SELECT mime, data FROM artifacts WHERE run_id = ? AND name = ? LIMIT 1", [run_id, name]
        ).fetchall()
    return (row[0][0], row[0][1]) if row else None


def cell_history(
    store: Store, notebook: str | None, cell_id: str, limit: int = 50, busy_timeout: float = 2.0
) -> pd.DataFrame:
    """Earlier runs of one cell (newest first) with their final metrics, for deltas and bests."""
    with store.snapshot(busy_timeout=busy_timeout, own_writes=False) as con:
        return con.execute(
            """SELECT r.run_id, r.status, m.key, m.value FROM
                 (SELECT run_id, status FROM runs WHERE cell_id = ? AND notebook IS NOT DISTINCT FROM ?
                  ORDER BY run_id DESC LIMIT ?) r
               LEFT JOIN metrics m USING (run_id) ORDER BY r.run_id DESC""",
            [cell_id, notebook, limit],
        ).df()


def notebook_history(
    store: Store, notebook: str | None, per_cell: int = 50, max_runs: int = 5000, busy_timeout: float = 2.0
) -> list[tuple]:
    """Recent runs of every cell of one notebook with their metrics, as (cell_id, run_id,
    status, key, value) tuples, newest first: at most ``per_cell`` runs per cell and
    ``max_runs`` in all. Plain tuples (no DataFrame): the run card's history loads it on a
    background thread."""
    with store.snapshot(busy_timeout=busy_timeout, own_writes=False) as con:
        return con.execute(
            """SELECT r.cell_id, r.run_id, r.status, m.key, m.value FROM
                 (SELECT cell_id, run_id, status FROM runs
                  WHERE cell_id IS NOT NULL AND notebook IS NOT DISTINCT FROM ?
                  QUALIFY row_number() OVER (PARTITION BY cell_id ORDER BY run_id DESC) <= ?
                  ORDER BY run_id DESC LIMIT ?) r
               LEFT JOIN metrics m USING (run_id) ORDER BY r.run_id DESC""",
            [notebook, per_cell, max_runs],
        ).fetchall()


def experiments(store: Store) -> pd.DataFrame:
    with store.snapshot() as con:
        return con.execute(
            """SELECT experiment, count(*) AS runs, max(started_at) AS last_started,
                      count(*) FILTER (WHERE status = 'running') AS running
               FROM runs GROUP BY experiment ORDER BY last_started DESC"""
        ).df()


def sql(store: Store, query: str, params: list | None = None) -> pd.DataFrame:
    """Run a read-only query over the documented views (runs, params, metrics, series,
    inputs, outputs, artifacts). The store file is attached read-only."""
    with store.snapshot() as con:
        return con.execute(query, params or []).df()


def store_info(store: Store) -> dict:
    if getattr(store, "source", None) is not None:  # another source (the team store) says its own
        return store.info()  # type: ignore[attr-defined]  # a TeamStore, which has a source
    from . import spool
    from .schema import SCHEMA_VERSION

    with store.snapshot() as con:
        runs, running = con.execute("SELECT count(*), count(*) FILTER (WHERE status = 'running') FROM runs").fetchall()[
            0
        ]
        points = con.execute("SELECT count(*) FROM series").fetchall()[0][0]
    return {
        "path": str(store.dir),
        "db_file": str(store.db_path),
        "db_bytes": store.db_path.stat().st_size if store.db_path.exists() else 0,
        "spool_files": len(spool.listing(store.spool_dir)),
        "runs": runs,
        "running": running,
        "points": points,
        "schema_version": SCHEMA_VERSION,
        **_team_info(store),
    }


def _team_info(store) -> dict:
    """The team store's remote, reachability and what waits to be pushed ({} without one)."""
    from ..team.status import has_remote

    if not has_remote(store.dir):
        return {}
    from ..team.status import team_info

    return team_info(store)


def change_token(store: Store) -> str:
    """Cheap 'has anything changed?': the file's mtime/size, the spool listing, heartbeats."""
    if getattr(store, "source", None) is not None:  # another source (the team store) knows its own
        return store.source.token()  # type: ignore[attr-defined]  # a TeamStore
    import os

    from . import spool

    parts = []
    for p in (store.db_path, store.live_dir):
        try:
            st = os.stat(p)
            parts.append(f"{st.st_mtime_ns}:{st.st_size}")
        except FileNotFoundError:
            parts.append("-")
    names = spool.listing(store.spool_dir)
    parts.append(f"{len(names)}:{names[-1] if names else ''}")
    return "|".join(parts)
