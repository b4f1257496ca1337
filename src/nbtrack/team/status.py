"""What ``nbtrack store``, ``%nbtrack`` and the server's store info say about the team store:
the remote (no password: there is none in it), whether it answers, and how many runs and
points of this local store wait to be pushed. Unreachable, the counts are those of the last
contact (``team-state.json`` in the store folder: counts only)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .config import RemoteError, display, remote_uri
from .connection import connect, reason

STATE_FILE = "team-state.json"
STATUS_TIMEOUT_S = 2


def has_remote(store_dir: Path) -> bool:
    return bool(os.environ.get("NBTRACK_REMOTE")) or (Path(store_dir) / "remote").exists()


def local_state(store) -> dict[str, tuple]:
    """run_id -> (seq, status, points) of the local store (file plus spool)."""
    with store.snapshot(own_writes=False) as con:
        rows = con.execute(
            "SELECT r.run_id, w.seq, r.status, coalesce(s.n, 0) FROM runs r JOIN runs_raw w USING "
            "(run_id) LEFT JOIN (SELECT run_id, count(*) AS n FROM series GROUP BY run_id) s "
            "USING (run_id)"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def pending(local: dict, remote: dict) -> tuple[int, int]:
    """(runs, points) of ``local`` the team store lacks or holds an older version of."""
    runs = points = 0
    for run_id, (seq, status, n) in local.items():
        got = remote.get(run_id)
        if got is None or (got[0], got[1]) != (seq, status) or got[2] < n:
            runs += 1
            points += n - (got[2] if got else 0)
    return runs, max(points, 0)


def team_info(store, fresh: bool = True) -> dict:
    """``{}`` without a remote; else remote, reachable, pending_runs, pending_points (and
    remote_error when it does not answer). Asked each time: `%nbtrack` right after the server
    went away must say so (one connection, ~10 ms, 2 s at most when it does not answer)."""
    return _team_info(store)


def _team_info(store) -> dict:
    if not has_remote(store.dir):
        return {}
    try:
        uri = remote_uri(store.dir)
    except RemoteError as exc:
        return {"remote": "(not usable)", "reachable": False, "remote_error": str(exc)}
    if uri is None:
        return {}
    from .forget import queued
    from .push import store_id

    info: dict = {"remote": display(uri)}
    deletes = len(queued(store.dir)[1])
    if deletes:  # nbtrack rm while the team store did not answer: the next push applies them
        info["pending_deletes"] = deletes
    local = local_state(store)
    try:
        con = connect(uri, autocommit=True, timeout=STATUS_TIMEOUT_S)
    except RemoteError as exc:
        state = _read_state(store.dir).get(display(uri), {})
        info.update(reachable=False, remote_error=str(exc))
        if state:
            info["pending_runs"] = max(0, len(local) - state.get("runs", 0))
            info["pending_points"] = max(0, sum(v[2] for v in local.values()) - state.get("points", 0))
            info["pending_as_of"] = state.get("at")
        else:
            info["pending_runs"] = len(local)
            info["pending_points"] = sum(v[2] for v in local.values())
        return info
    try:
        sid = store_id(store.dir)
        exists = con.execute("SELECT to_regclass('nbtrack.pushed') IS NOT NULL").fetchone()[0]
        remote = {}
        if exists:
            remote = {
                r[0]: r[1:]
                for r in con.execute(
                    "SELECT run_id, seq, status, n_points FROM nbtrack.pushed WHERE store_id = %s "
                    "AND status IS DISTINCT FROM 'deleted'",
                    [sid],
                ).fetchall()
            }
        runs, points = pending(local, remote)
        info.update(reachable=True, pending_runs=runs, pending_points=points)
        write_state(store.dir, display(uri), len(remote), sum(v[2] for v in remote.values()))
    except Exception as exc:
        info.update(reachable=False, remote_error=f"nbtrack: the team store answered with an error ({reason(exc)})")
    finally:
        con.close()
    return info


def write_state(store_dir: Path, remote: str, runs: int, points: int) -> None:
    """Counts the team store held of this store at the last contact (no URI secrets: none)."""
    path = Path(store_dir) / STATE_FILE
    state = _read_state(store_dir)
    state[remote] = {"runs": runs, "points": points, "at": time.strftime("%Y-%m-%d %H:%M:%S")}
    tmp = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)
    except OSError:
        pass


def _read_state(store_dir: Path) -> dict:
    try:
        return json.loads((Path(store_dir) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
