"""MLflow's entry points for ``nbtrack:`` URIs (pyproject: ``mlflow.tracking_store`` and
``mlflow.artifact_repository``). Light on purpose: MLflow loads entry points while ``mlflow``
itself is being imported, so the store module (which imports MLflow) loads on first use."""


def tracking_store(store_uri=None, artifact_uri=None):
    from .mlflow_store import NbtrackStore

    return NbtrackStore(store_uri=store_uri, artifact_uri=artifact_uri)


def artifact_repository(artifact_uri, tracking_uri=None, registry_uri=None):
    from .mlflow_store import NbtrackArtifactRepository

    return NbtrackArtifactRepository(artifact_uri, tracking_uri=tracking_uri, registry_uri=registry_uri)
