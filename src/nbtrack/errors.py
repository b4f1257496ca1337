"""Every exception and warning nbtrack raises, in one place (imports nothing, so any layer can
use it). Each message says what went wrong and what to do; ``except nbtrack.StoreError``
catches every store problem, ``warnings.simplefilter("error", nbtrack.NbtrackWarning)`` turns
tracking problems into errors.

The modules that used to define these (``nbtrack.store.errors``, ``store.filters``, ...)
re-export them, so ``from nbtrack.store import StoreError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "NbtrackWarning",
    "StoreError",
    "StoreVersionError",
    "StoreBusyError",
    "StoreCorruptError",
    "UnknownRunError",
    "RunningRunsError",
    "LockTimeout",
    "RemoteError",
    "FilterError",
    "QueryError",
    "RequestError",
    "InteropError",
    "RunningRunError",
    "IncompleteReadWarning",
]


class NbtrackWarning(UserWarning):
    """A tracking problem; the cell itself ran normally. Every warning nbtrack gives is one."""


class UntranslatedSpec(Exception):
    """Internal to the team store: a read spec its Postgres compiler does not write (the
    DuckDB path reads it instead); never reaches the user."""


class IncompleteReadWarning(NbtrackWarning, RuntimeWarning):
    """A read that could not include everything (pending rows it could not write, spool files
    it could not read, stale flags it could not compute): the rows it returns say so."""


# -- the store -------------------------------------------------------------------------------


class StoreError(RuntimeError):
    """A store problem, with a message that says what to do."""


class StoreVersionError(StoreError):
    """The store was written by a newer nbtrack (or an unknown schema)."""


class StoreBusyError(StoreError):
    """Another process holds the store for longer than we can wait."""


class StoreCorruptError(StoreError):
    """The store's DuckDB file cannot be read."""


class UnknownRunError(KeyError, StoreError):
    """No run (or no unique run) has this id or prefix."""

    def __str__(self) -> str:
        return str(self.args[0])


class RunningRunsError(StoreError):
    """A delete that would remove runs still running: nothing was deleted."""

    def __init__(self, run_ids: list[str]):
        self.run_ids = run_ids
        super().__init__(
            f"nbtrack: {len(run_ids)} of these runs still running ({', '.join(run_ids[:5])}"
            f"{', ...' if len(run_ids) > 5 else ''}); nothing deleted. End them first, or leave them "
            "out (e.g. -w 'status != running')."
        )


class RemoteError(StoreError):
    """The team store cannot be used (unreachable, refused, newer schema, bad URI)."""


class LockTimeout(OSError):
    """The store's lock file stayed held past the timeout."""


# -- reading -----------------------------------------------------------------------------------


class FilterError(ValueError):
    """A filter the user wrote cannot be applied; ``str(exc)`` says why and how to fix it."""


class QueryError(ValueError):
    """A bad request parameter (unknown column, malformed filter); the message says which."""


class RequestError(Exception):
    """A widget request that cannot be answered; its message is shown in the widget."""


# -- import / export ---------------------------------------------------------------------------


class InteropError(Exception):
    """One clear message: an unreachable URI, an unknown schema, a run that could not move."""


class RunningRunError(ValueError):
    """A run cannot be rewritten or moved while it is still running."""
