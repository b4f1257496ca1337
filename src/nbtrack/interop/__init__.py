"""Interoperability: code that already logs with W&B or MLflow, and moving runs between stores.

- ``nbtrack.wandb`` (``interop/wandb.py``): ``import nbtrack.wandb as wandb``, a W&B-shaped API.
- ``interop/mlflow_store.py``: MLflow's tracking-store plugin (``mlflow.set_tracking_uri("nbtrack:")``).
- ``interop/mlflow_io.py``: ``nbtrack export --to mlflow`` / ``nbtrack import --from mlflow``.
- ``interop/trackio_io.py``: ``nbtrack import --from trackio PATH``.
- ``interop/parquet.py``: ``nbtrack export --to parquet DIR``.
- ``interop/media.py``: images, tables, histograms and artifact files as artifact rows.

Everything enters at ``capture.run`` (the active run), nothing bypasses the store's writer.
"""


class InteropError(Exception):
    """One clear message: an unreachable URI, an unknown schema, a run that could not move."""
