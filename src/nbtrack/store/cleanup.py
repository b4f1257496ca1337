"""Deleting runs and collecting files no run references (``nbtrack rm`` / ``nbtrack gc``).

Deleting runs: the spool is compacted first; then, under the store lock held exclusively (the
compactors' lock, so no compaction and no read runs meanwhile), any spool file that still holds
rows of those runs is folded in too, and the runs' rows leave every table in one transaction.
Spool files of other runs (other processes keep writing) are never touched except by the
ordinary exactly-once compaction. Running runs are refused: their process would write them again.

Garbage: files of ``<store>/artifacts/<run_id>/`` (copied there by the W&B shim's
``log_artifact``/``save``, MLflow's plugin and ``import --from mlflow``) that no run references,
and spool temp files (``spool/.*.tmp``, left by a process that died mid-write). Only files older
than ``GRACE_S`` count: a run being written in another process may not be readable yet.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any, Iterable

from ..errors import RunningRunsError  # noqa: F401  (re-exported: defined in nbtrack.errors)
from .errors import StoreBusyError
from .lock import LockTimeout, store_lock
from .schema import TABLES

GRACE_S = 3600.0
FILES_MIME = "application/vnd.nbtrack.files+json"  # interop/media.py: an artifact's file manifest
_RUN_ID = re.compile(r"^[0-9a-hjkmnp-tv-z]{16}$")


def running(store, run_ids: Iterable[str]) -> list[str]:
    ids = sorted(set(run_ids))
    if not ids:
        return []
    with store.snapshot() as con:
        rows = con.execute(
            "SELECT run_id FROM runs WHERE status = 'running' AND run_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchall()
    return sorted(r[0] for r in rows)


def delete_runs(store, run_ids: Iterable[str], timeout: float = 30.0) -> dict:
    """Delete the runs' rows from every table, then their artifact folders and heartbeat files.
    Returns counts: runs, rows (per table), files, bytes. Raises RunningRunsError (nothing
    deleted) if any of them is running, StoreBusyError if the lock stays taken."""
    from . import database, spool

    ids = sorted(set(run_ids))
    rows: dict[str, int] = {}
    counts: dict[str, Any] = {"runs": 0, "rows": rows, "files": 0, "bytes": 0}
    if not ids:
        return counts
    still = running(store, ids)
    if still:
        raise RunningRunsError(still)
    store.compact()  # this process's pending rows first, then the whole spool
    con = database.connect()
    try:
        with store_lock(store.dir / "lock", exclusive=True, timeout=timeout):
            # Files written since by other processes: fold in those holding rows of these runs
            # (a run's last rows may trail its end by one writer pass).
            for _ in range(100):
                names = spool.listing(store.spool_dir)
                last = _last_holding(con, store, names, ids)
                if last < 0:
                    break
                database.compact_locked(con, store.dir, names[: last + 1], max_bytes=1 << 62)
            if not store.db_path.exists():
                return counts
            database.attach(con, store.db_path, read_only=False)
            try:
                database.migrate(con, store.db_path)
                con.execute("BEGIN")
                try:
                    for table in TABLES:
                        deleted = con.execute(
                            f"DELETE FROM s.{table} WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [ids]
                        ).fetchone()
                        rows[table] = int(deleted[0]) if deleted else 0
                    # Their series' tier rows (not counted: a summary, not what the user logged).
                    con.execute("DELETE FROM s.series_tiers WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                try:
                    con.execute("CHECKPOINT s")  # give freed blocks back to the file
                except Exception:
                    pass
            finally:
                database.detach(con)
    except LockTimeout as exc:
        raise StoreBusyError(
            f"nbtrack: the store {store.dir} stayed locked for {timeout:.0f} s; nothing deleted. Try again."
        ) from exc
    finally:
        con.close()
    counts["runs"] = rows.get("runs", 0)
    for run_id in ids:
        folder = store.dir / "artifacts" / run_id
        files, size = _tree_size(folder)
        shutil.rmtree(folder, ignore_errors=True)
        counts["files"] += files
        counts["bytes"] += size
        try:
            os.remove(store.live_dir / run_id)
        except OSError:
            pass
    return counts


def _last_holding(con, store, names: list[str], ids: list[str]) -> int:
    """Index in ``names`` of the last spool file (not yet compacted) with rows of ``ids``; -1."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from . import database, spool

    if not names:
        return -1
    done: set[str] = set()
    if store.db_path.exists():
        database.attach(con, store.db_path, read_only=True)
        try:
            try:
                done = {r[0] for r in con.execute("SELECT file FROM s.ingested").fetchall()}
            except Exception:  # a file never migrated: nothing ingested
                done = set()
        finally:
            database.detach(con)
    wanted = pa.array(ids, pa.string())
    last = -1
    for i, name in enumerate(names):
        if name in done:
            continue
        tables, _bad = spool.read(store.spool_dir, [name])
        data = tables.get(spool.table_of(name))
        if data is not None and data.num_rows and pc.any(pc.is_in(data.column("run_id"), wanted)).as_py():
            last = i
    return last


def _tree_size(folder: Path) -> tuple[int, int]:
    files = size = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            try:
                size += os.lstat(os.path.join(root, name)).st_size
                files += 1
            except OSError:
                pass
    return files, size


def garbage(store, grace_s: float = GRACE_S) -> list[tuple[Path, int, str]]:
    """Files no run references, older than ``grace_s``: (path, bytes, why)."""
    now = time.time()
    found: list[tuple[Path, int, str]] = []

    def old(path: Path):
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return st.st_size if now - st.st_mtime > grace_s else None

    try:
        spool_names = os.listdir(store.spool_dir)
    except OSError:
        spool_names = []
    for name in sorted(spool_names):
        if name.startswith(".") and name.endswith(".tmp"):
            size = old(store.spool_dir / name)
            if size is not None:
                found.append((store.spool_dir / name, size, "spool temp file"))

    art_dir = store.dir / "artifacts"
    try:
        folders = sorted(n for n in os.listdir(art_dir) if _RUN_ID.match(n) and (art_dir / n).is_dir())
    except OSError:
        folders = []
    if not folders:
        return found
    with store.snapshot() as con:
        runs = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
        manifests = con.execute("SELECT run_id, data FROM artifacts WHERE mime = ?", [FILES_MIME]).fetchall()
    stored: set[str] = set()
    for _run_id, data in manifests:
        try:
            for f in json.loads(bytes(data)).get("files", []):
                if f.get("stored"):
                    stored.add(str(f["stored"]).replace(os.sep, "/"))
        except (ValueError, TypeError, AttributeError):
            continue
    for run_id in folders:
        if (store.live_dir / run_id).exists() or runs.get(run_id) == "running":
            continue  # being written
        known = run_id in runs
        for root, _dirs, names in os.walk(art_dir / run_id):
            for name in sorted(names):
                path = Path(root) / name
                rel = path.relative_to(store.dir).as_posix()
                if known and (rel in stored or rel.startswith(f"artifacts/{run_id}/mlflow/")):
                    continue  # MLflow's artifact repository reads every file of its folder
                size = old(path)
                if size is not None:
                    found.append(
                        (
                            path,
                            size,
                            "artifact file of a deleted run" if not known else "artifact file no manifest names",
                        )
                    )
    return found


def remove(store, files: list[tuple[Path, int, str]]) -> tuple[int, int]:
    """Remove the files (then empty folders under artifacts/); returns (files, bytes) removed."""
    n = size = 0
    for path, nbytes, _why in files:
        try:
            os.remove(path)
        except OSError:
            continue
        n += 1
        size += nbytes
    art_dir = store.dir / "artifacts"
    for root, _dirs, _names in os.walk(art_dir, topdown=False):
        parts = Path(root).relative_to(art_dir).parts
        if parts and _RUN_ID.match(parts[0]):
            try:
                os.rmdir(root)  # only if empty
            except OSError:
                pass
    return n, size
