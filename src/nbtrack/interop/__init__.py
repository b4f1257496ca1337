"""Interoperability: code that already logs with W&B or MLflow, and moving runs between stores.

- ``nbtrack.wandb`` (``interop/wandb.py``): ``import nbtrack.wandb as wandb``, a W&B-shaped API.
- ``interop/mlflow_store.py``: MLflow's tracking-store plugin (``mlflow.set_tracking_uri("nbtrack:")``).
- ``interop/mlflow_io.py``: ``nbtrack export --to mlflow`` / ``nbtrack import --from mlflow``.
- ``interop/trackio_io.py``: ``nbtrack import --from trackio PATH``.
- ``interop/parquet.py``: ``nbtrack export --to parquet DIR``.
- ``interop/media.py``: images, tables, histograms and artifact files as artifact rows.

Everything enters at ``capture.run`` (the active run), nothing bypasses the store's writer.
"""

from ..errors import InteropError  # noqa: F401  (re-exported: defined in nbtrack.errors)


class Progress:
    """A tqdm bar on stderr for long imports and exports (a no-op when disabled or when tqdm is
    missing): ``with Progress(total, "exporting") as bar: ... bar.update()``."""

    def __init__(self, total: int | None, desc: str, enabled: bool = True):
        self._bar = None
        if enabled:
            try:
                import sys

                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=desc, unit="run", file=sys.stderr, leave=False)
            except ImportError:
                pass

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
