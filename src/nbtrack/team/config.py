"""Which team store: ``NBTRACK_REMOTE``, else ``nbtrack remote set URI`` (a ``remote`` file in
the store folder). A URI never holds a password: libpq finds it (``PGPASSWORD``, the password
file, a service file, client certificates), so nothing nbtrack writes or prints can leak it."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RemoteError, StoreError  # noqa: F401  (RemoteError re-exported)

REMOTE_FILE = "remote"


def check_uri(uri: str) -> str:
    """The URI, checked: a libpq connection string or ``postgresql://`` URI without a password."""
    from psycopg.conninfo import conninfo_to_dict

    uri = (uri or "").strip()
    if not uri:
        raise RemoteError("nbtrack: the remote is empty; set e.g. postgresql://alice@db:5432/mlruns")
    try:
        parts = conninfo_to_dict(uri)
    except Exception:
        # libpq's message may quote the string (and so a password): never repeat it.
        raise RemoteError(
            "nbtrack: cannot read the remote URI; write e.g. postgresql://alice@db.example.internal:5432/mlruns"
        ) from None
    if parts.get("password"):
        raise RemoteError(
            "nbtrack: the remote URI holds a password; remove it and let libpq find it "
            "(~/.pgpass or PGPASSFILE, PGPASSWORD, a service file or a client certificate), "
            "so it is never written to the store, a notebook or a log."
        )
    return uri


def remote_uri(store_dir: Path | None = None) -> str | None:
    """The configured remote, or None (no team store)."""
    env = os.environ.get("NBTRACK_REMOTE")
    if env is not None:
        return check_uri(env) if env.strip() else None
    if store_dir is not None:
        try:
            text = (Path(store_dir) / REMOTE_FILE).read_text().strip()
        except OSError:
            return None
        return check_uri(text) if text else None
    return None


def set_remote(store_dir: Path, uri: str | None) -> None:
    """``nbtrack remote set URI`` / ``nbtrack remote unset``."""
    path = Path(store_dir) / REMOTE_FILE
    if uri is None:
        path.unlink(missing_ok=True)
        return
    uri = check_uri(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".remote.tmp")
    tmp.write_text(uri + "\n")
    os.replace(tmp, path)


def display(uri: str) -> str:
    """The URI for messages (it has no password; this drops options such as sslkey paths)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        p = conninfo_to_dict(uri)
    except Exception:
        return "(unreadable URI)"
    user = f"{p['user']}@" if p.get("user") else ""
    port = f":{p['port']}" if p.get("port") else ""
    return f"postgresql://{user}{p.get('host', '')}{port}/{p.get('dbname', '')}"


IDENTITY_FILE = "team-identity.json"


def identity(store_dir: Path | None = None) -> tuple[str, str | None]:
    """(user, host) recorded with the runs of a local store: one machine, one person. Fixed
    the first time the store pushes (NBTRACK_USER / NBTRACK_HOST, else the login name and the
    run's own host), so a later `nbtrack sync` from another shell records the same."""
    import getpass
    import json

    path = Path(store_dir) / IDENTITY_FILE if store_dir is not None else None
    if path is not None:
        try:
            data = json.loads(path.read_text())
            return data["user"], data.get("host")
        except (OSError, ValueError, KeyError, TypeError):
            pass
    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    user = os.environ.get("NBTRACK_USER") or user
    host = os.environ.get("NBTRACK_HOST") or None  # None: each run's own host column
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{IDENTITY_FILE}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"user": user, "host": host}))
            try:
                os.link(tmp, path)  # the first writer wins; the others read theirs
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
            return identity(store_dir) if path.exists() else (user, host)
        except OSError:
            pass
    return user, host
