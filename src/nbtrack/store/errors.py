"""The store's errors, re-exported from ``nbtrack.errors`` (where every nbtrack exception lives)."""

from ..errors import StoreBusyError, StoreCorruptError, StoreError, StoreVersionError  # noqa: F401
