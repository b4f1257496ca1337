"""MLflow's tracking-store plugin (``mlflow.set_tracking_uri("nbtrack:...")``) with the real
``mlflow`` package: fluent API, MlflowClient, sklearn autolog, a %%track cell's run."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

import nbtrack  # noqa: E402
from nbtrack.store import query  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tracking(store_dir, monkeypatch):
    """MLflow pointed at this test's store (an explicit path: MLflow caches a store per URI)."""
    uri = f"nbtrack:{store_dir}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("Default")  # the fluent API remembers the last test's experiment id
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_the_plugin_is_registered_through_entry_points(tracking):
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["entry-points"]["mlflow.tracking_store"]["nbtrack"] == "nbtrack.interop.mlflow_store:NbtrackStore"
    assert "nbtrack" in meta["entry-points"]["mlflow.artifact_repository"]
    assert any("mlflow" in d for d in meta["optional-dependencies"]["mlflow"])
    from mlflow.tracking._tracking_service.utils import _get_store

    from nbtrack.interop.mlflow_store import NbtrackStore

    store = _get_store(tracking)
    assert isinstance(store, NbtrackStore) and store.nb_store.dir == nbtrack.store().dir


def test_fluent_api_lands_in_the_store(tracking, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mlflow.set_experiment("fluent")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.json").write_text('{"a": 1}')
    with mlflow.start_run(run_name="first", tags={"team": "vision"}) as run:
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": [64, 32], "optimizer": "adam", "eps": "1e-3", "seed": 7})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=4)
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"flag": ""})
        mlflow.log_artifact(str(notes))
        mlflow.log_artifacts(str(folder), artifact_path="outputs")
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        mlflow.log_figure(fig, "plots/curve.png")
        mlflow.log_dict({"k": [1, 2]}, "config.json")
    rid = run.info.run_id
    rec = nbtrack.get_run(rid)
    assert rec.status == "finished" and rec.name == "first" and rec.experiment == "fluent"
    # Typed where the text reads back the same, else the text: str(value) is MLflow's text.
    assert rec.params == {"lr": 0.01, "layers": [64, 32], "optimizer": "adam", "eps": "1e-3", "seed": 7}
    assert sorted(rec.tags) == ["flag", "stage=dev", "team=vision"]
    loss = nbtrack.series(rid, "loss")
    assert list(loss.step) == [0, 1, 2, 3, 4] and list(loss.value) == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert rec.metrics["acc"] == 0.9 and rec.metrics["loss"] == 0.2
    names = {a["name"] for a in rec.artifacts}
    assert {"mlflow/notes.txt", "mlflow/outputs/a.json", "mlflow/plots/curve.png", "mlflow/config.json"} <= names
    store = nbtrack.store()
    assert query.artifact(store, rid, "mlflow/notes.txt") == ("text/plain", b"hello")
    mime, png = query.artifact(store, rid, "mlflow/plots/curve.png")
    assert mime == "image/png" and png.startswith(b"\x89PNG")
    assert (store.dir / "artifacts" / rid / "mlflow" / "outputs" / "a.json").read_text() == '{"a": 1}'

    # MLflow reads it back the way it wrote it.
    client = mlflow.MlflowClient()
    got = client.get_run(rid)
    assert got.info.status == "FINISHED" and got.info.run_name == "first"
    assert got.data.params == {"lr": "0.01", "layers": "[64, 32]", "optimizer": "adam", "eps": "1e-3", "seed": "7"}
    assert got.data.tags["team"] == "vision" and got.data.tags["mlflow.runName"] == "first"
    history = client.get_metric_history(rid, "loss")
    assert [(m.step, m.value) for m in history] == list(zip(range(5), [1.0, 0.5, 1 / 3, 0.25, 0.2]))
    assert {f.path for f in client.list_artifacts(rid)} >= {"notes.txt", "outputs", "plots", "config.json"}
    local = client.download_artifacts(rid, "config.json", str(tmp_path))
    assert json.loads(Path(local).read_text()) == {"k": [1, 2]}
    with pytest.raises(mlflow.exceptions.MlflowException, match="Changing param values is not allowed"):
        with mlflow.start_run():
            mlflow.log_param("x", 1)
            mlflow.log_param("x", 2)


def test_search_runs_returns_nbtracks_runs(tracking):
    mlflow.set_experiment("search")
    for lr, acc in [(0.1, 0.7), (0.01, 0.9), (0.001, 0.8)]:
        with mlflow.start_run(run_name=f"lr-{lr}"):
            mlflow.log_param("lr", lr)
            mlflow.log_metric("acc", acc)
    with nbtrack.start(name="native", experiment="search", params={"lr": 0.5}) as run:
        nbtrack.log(acc=0.95)
    native_id = run.run_id
    exp = mlflow.get_experiment_by_name("search")
    client = mlflow.MlflowClient()
    runs = client.search_runs([exp.experiment_id], "metrics.acc > 0.75", order_by=["metrics.acc DESC"])
    assert [r.info.run_name for r in runs] == ["native", "lr-0.01", "lr-0.001"]
    assert runs[0].info.run_id == native_id and runs[0].data.params["lr"] == "0.5"
    assert [r.info.run_name for r in client.search_runs([exp.experiment_id], "params.lr = '0.1'")] == ["lr-0.1"]
    frame = mlflow.search_runs(experiment_names=["search"])
    assert len(frame) == 4 and set(frame["status"]) == {"FINISHED"}
    # Every nbtrack experiment is an MLflow experiment.
    with nbtrack.start(name="elsewhere", experiment="only-nbtrack"):
        pass
    names = {e.name for e in client.search_experiments()}
    assert {"search", "only-nbtrack", "Default"} <= names


def test_sklearn_autolog_on_a_small_model(tracking):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment("autolog")
    mlflow.sklearn.autolog()
    try:
        X, y = load_iris(return_X_y=True)
        model = LogisticRegression(max_iter=300, C=0.5).fit(X, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    run = mlflow.last_active_run()
    rec = nbtrack.get_run(run.info.run_id)
    assert rec.status == "finished" and rec.experiment == "autolog"
    assert rec.params["C"] == 0.5 and rec.params["max_iter"] == 300
    assert rec.metrics["training_accuracy_score"] == pytest.approx(model.score(X, y))
    assert "estimator_name=LogisticRegression" in rec.tags
    assert any(a["name"] == "mlflow/training_confusion_matrix.png" for a in rec.artifacts)
    assert any(name.startswith("mlflow.dataset:") for name in rec.inputs)
    # The logged model loads back through MLflow.
    models = mlflow.search_logged_models(output_format="list")
    assert models and models[0].source_run_id == run.info.run_id
    loaded = mlflow.sklearn.load_model(models[0].model_uri)
    assert (loaded.predict(X) == model.predict(X)).all()


def test_start_run_inside_a_tracked_cell_is_the_cells_run(ip, tracking):
    ip.user_ns["mlflow"] = mlflow
    r = ip.cell("%%track --name cell-run\n"
                "with mlflow.start_run() as run:\n"
                "    mlflow.log_params({'alpha': 0.5})\n"
                "    mlflow.log_metric('loss', 0.25, step=1)\n"
                "score = 0.5 + 0.25\n")
    assert r.success
    runs = nbtrack.runs()
    assert len(runs) == 1
    rec = nbtrack.get_run(runs.run_id[0])
    assert rec.run_id == ip.user_ns["run"].info.run_id
    assert rec.status == "finished" and rec.name == "cell-run" and rec.cell_id == r.cell_id
    assert rec.params["alpha"] == 0.5 and rec.metrics == {"loss": 0.25, "score": 0.75} | {
        k: v for k, v in rec.metrics.items() if k.startswith("sys.")}
    r = ip.cell("%%track --name cell-fail\nmlflow.start_run()\nmlflow.log_metric('loss', 1.0)\n1 / 0\n")
    assert not r.success
    mlflow.end_run()  # the user's cleanup: the cell's run is already ended, as failed
    failed = nbtrack.runs(status="failed")
    assert list(failed.name) == ["cell-fail"]
    assert nbtrack.get_run(failed.run_id[0]).error["type"] == "ZeroDivisionError"


def test_finished_runs_take_tags_and_unknown_calls_say_what_is_supported(tracking):
    with mlflow.start_run(run_name="done") as run:
        mlflow.log_metric("m", 1.0)
    client = mlflow.MlflowClient()
    client.set_tag(run.info.run_id, "reviewed", "yes")
    client.log_metric(run.info.run_id, "late", 2.0, step=3)
    rec = nbtrack.get_run(run.info.run_id)
    assert "reviewed=yes" in rec.tags and rec.status == "finished" and rec.metrics["late"] == 2.0
    assert client.get_run(run.info.run_id).data.tags["reviewed"] == "yes"
    with pytest.raises(NotImplementedError, match="delete_run is not supported. Supported: create_run"):
        client.delete_run(run.info.run_id)
