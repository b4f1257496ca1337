"""The team store: everyone's runs in one PostgreSQL database (schema ``nbtrack``).

Each kernel keeps its fast local store; a background thread (``push``) copies what the local
writer made durable into Postgres, exactly once. Reads (``scope="team"``) run the local read
model's SQL over the attached Postgres catalog (``source``).

Modules: ``config`` (which remote, no passwords), ``connection`` (libpq, clear errors),
``schema`` (migrations), ``push`` (the exactly-once copy and its thread), ``source`` (the read
side), ``pages`` (a page of runs picked by Postgres), ``forget`` (runs deleted locally leave
the team store), ``status`` (what ``nbtrack store`` and ``%nbtrack`` show).
"""

from __future__ import annotations

from .config import RemoteError, remote_uri

__all__ = ["RemoteError", "remote_uri", "team_store", "ensure_pushing", "after_rm"]


def team_store(uri: str | None = None):
    """The team store for the read model (``query.runs_frame(team_store(), ...)``)."""
    from .source import get_team_store

    return get_team_store(uri)


def ensure_pushing(store) -> None:
    """Start the push thread for ``store`` when a remote is configured (cheap when not)."""
    from .push import ensure_pusher

    ensure_pusher(store)


def after_rm(store, run_ids) -> str | None:
    """For ``nbtrack rm``, after the runs left the local store: remove the team store's copies
    of those this store pushed (now, or at its next push when the team store does not answer).
    Returns the line to show the user, or None when there is nothing to say."""
    from .forget import after_rm as _after_rm

    return _after_rm(store, list(run_ids))


SCOPES = ("local", "team")


def store_for(scope: str = "local"):
    """The store a read with ``scope=`` uses: this machine's (``"local"``) or the team's."""
    if scope == "local" or scope is None:
        from ..store import get_store

        return get_store()
    if scope == "team":
        return team_store()
    raise ValueError(f"nbtrack: scope is 'local' or 'team', not {str(scope)[:20]!r}")


# nbtrack.runs(scope="team") leads with who ran each run, and where.
TEAM_LEAD = ["user", "host"]


def store_for_local(local, scope: str):
    """For the server: the store a request with ``?scope=`` reads, given the notebook's local
    store (its remote file or NBTRACK_REMOTE names the team store)."""
    if scope in (None, "", "local"):
        return local
    if scope != "team":
        raise ValueError(f"nbtrack: scope is 'local' or 'team', not {str(scope)[:20]!r}")
    uri = remote_uri(local.dir)
    if uri is None:
        raise RemoteError(
            "nbtrack: no team store is set for this store; export NBTRACK_REMOTE or run `nbtrack remote set URI`."
        )
    return team_store(uri)
