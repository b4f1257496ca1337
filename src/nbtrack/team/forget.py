"""Runs deleted from the local store (``nbtrack rm``) leave the team store too, when this local
store pushed them: the user owns them, and a run they deleted must not live on in everyone's
table. Runs another store pushed are never touched.

A deletion is queued first (one small file per ``rm`` in ``<store>/team-forget/``), then
applied: at once when the team store answers, else by the next push (kernel or ``nbtrack
sync``), so an ``rm`` while offline still reaches the team store. Applying is one transaction
under the store's push lock (``pg_advisory_xact_lock(hashtext(store_id))``): the runs' rows go
from every table and their mark in ``nbtrack.pushed`` becomes ``status = 'deleted'``, which the
push reads, so a pusher whose snapshot still held the run never copies it back. The queue file
goes only after the commit (a cut in between applies it again: deleting twice is a no-op).

Nothing is inferred from runs missing locally: a lost or replaced store file must never wipe
the team's copies.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .schema import COLUMNS

QUEUE_DIR = "team-forget"
DELETED = "deleted"  # the status of a mark whose run its owner deleted


def queue(store_dir: Path, run_ids: list[str]) -> None:
    """Remember that these runs were deleted locally (a new file: never a partial one)."""
    if not run_ids:
        return
    folder = Path(store_dir) / QUEUE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{os.getpid()}.json"
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(sorted(set(run_ids))))
    os.replace(tmp, folder / name)


def queued(store_dir: Path) -> tuple[list[Path], list[str]]:
    """The queue files and the run ids they hold (an unreadable file is left for a person)."""
    folder = Path(store_dir) / QUEUE_DIR
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
    except FileNotFoundError:
        return [], []
    ids: set[str] = set()
    readable = []
    for path in files:
        try:
            ids.update(str(r) for r in json.loads(path.read_text()))
            readable.append(path)
        except (OSError, ValueError, TypeError):
            continue
    return readable, sorted(ids)


def apply(con, store_id: str, store_dir: Path) -> dict[str, list[str]]:
    """Delete the queued runs this store pushed from the team store (one transaction; ``con``
    in autocommit mode). Returns ``{"removed": [...], "others": [...]}``: ``others`` were
    pushed by another store and stay. psycopg errors propagate; the queue then stays."""
    files, ids = queued(store_dir)
    if not ids:
        return {"removed": [], "others": []}
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [store_id])
        marks = con.execute(
            "SELECT run_id, store_id, status FROM nbtrack.pushed WHERE run_id = ANY(%s)", [ids]
        ).fetchall()
        mine = [r for r, s, status in marks if s == store_id and status != DELETED]
        others = sorted(r for r, s, _ in marks if s != store_id)
        # Runs not pushed yet get a deleted mark too: a pusher whose snapshot still held one
        # must not copy it afterwards.
        unmarked = sorted(set(ids) - {r for r, _, _ in marks})
        if unmarked:
            con.execute(
                "INSERT INTO nbtrack.pushed (run_id, store_id, status, n_points) "
                "SELECT unnest(%s::text[]), %s, %s, 0 ON CONFLICT (run_id) DO NOTHING",
                [unmarked, store_id, DELETED],
            )
        if mine:
            # series has no run_id index (BRIN on time, for the push): one scan per rm.
            for table in COLUMNS:
                con.execute(f"DELETE FROM nbtrack.{table} WHERE run_id = ANY(%s)", [mine])
            con.execute(
                "UPDATE nbtrack.pushed SET status = %s, n_points = 0, series_time = NULL WHERE run_id = ANY(%s)",
                [DELETED, mine],
            )
    for path in files:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    return {"removed": sorted(mine), "others": others}


def outcome(con, store_id: str, run_ids: list[str]) -> dict[str, list[str]]:
    """Of these runs: ``removed``, pushed by this store and deleted from the team store;
    ``others``, pushed by another store (they stay). A run never pushed is neither (its
    deleted mark has no version)."""
    rows = con.execute(
        "SELECT run_id, store_id, status, seq FROM nbtrack.pushed WHERE run_id = ANY(%s)", [sorted(set(run_ids))]
    ).fetchall()
    return {
        "removed": sorted(r for r, s, status, seq in rows if s == store_id and status == DELETED and seq is not None),
        "others": sorted(r for r, s, _, _ in rows if s != store_id),
    }


def after_rm(store, run_ids: list[str]) -> str | None:
    """For ``nbtrack rm``, once the runs left the local store: queue their deletion from the
    team store and try it now. Returns what to tell the user, or None without a team store."""
    from .config import RemoteError, display, remote_uri
    from .connection import connect, reason
    from .push import store_id

    try:
        uri = remote_uri(store.dir)
    except RemoteError as exc:
        return f"{exc} Runs it holds stay there."
    if uri is None:
        return None
    queue(store.dir, list(run_ids))
    later = "; they are removed there at this store's next push (a kernel's or `nbtrack sync`)"
    try:
        con = connect(uri, autocommit=True)
    except RemoteError:
        return f"nbtrack: the team store {display(uri)} did not answer{later}."
    try:
        import psycopg

        from .schema import version

        if version(con) is None:  # nothing was ever pushed
            for path in queued(store.dir)[0]:
                path.unlink(missing_ok=True)
            return None
        sid = store_id(store.dir)
        apply(con, sid, store.dir)
        # This process's push thread may have applied the queue first (rm's compaction starts
        # one): what counts is the marks' state now, not who deleted.
        done = outcome(con, sid, list(run_ids))
    except psycopg.errors.InsufficientPrivilege:
        return (
            f"nbtrack: the role in {display(uri)} may not delete from the team store (only its owner "
            f"role can): the team copies stay{later}."
        )
    except psycopg.Error as exc:
        return f"nbtrack: removing them from the team store failed ({reason(exc)}){later}."
    finally:
        con.close()
    removed, others = done["removed"], done["others"]
    words = []
    if removed:
        words.append(f"removed {len(removed)} run{'s' * (len(removed) != 1)} from the team store {display(uri)} too")
    if others:
        words.append(
            f"{len(others)} run{'s' * (len(others) != 1)} stay in the team store: another store pushed "
            f"{'them' if len(others) != 1 else 'it'} ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})"
        )
    return "; ".join(words) or None
