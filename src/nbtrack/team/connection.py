"""Connections to the team store through libpq (psycopg): short timeouts, so an unreachable
server costs the push thread seconds, never the cell; errors say what to do without quoting
the connection string."""

from __future__ import annotations

from .config import RemoteError, display

CONNECT_TIMEOUT_S = 5


def connect(uri: str, autocommit: bool = False, timeout: float = CONNECT_TIMEOUT_S, for_read: bool = False):
    """A psycopg connection; ``for_read``: the error speaks of reading (no push waits)."""
    import psycopg

    try:
        # Options such as sslmode / sslrootcert pass through the URI to libpq untouched.
        # Keepalives and a TCP user timeout: a push on a connection whose network vanished
        # fails in seconds instead of hanging the push thread (and the process's exit).
        return psycopg.connect(
            uri,
            autocommit=autocommit,
            connect_timeout=max(1, int(timeout)),
            application_name="nbtrack",
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            tcp_user_timeout=30000,
        )
    except psycopg.Error as exc:
        if for_read:
            raise RemoteError(f"nbtrack: cannot read the team store {display(uri)} ({reason(exc)}).") from None
        raise RemoteError(
            f"nbtrack: cannot reach the team store {display(uri)} ({reason(exc)}); "
            "runs wait in the local store and are pushed when it is back."
        ) from None


def reason(exc: BaseException) -> str:
    """The first line of a libpq error (libpq never echoes a password)."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def is_connection_error(exc: BaseException) -> bool:
    import psycopg

    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))
