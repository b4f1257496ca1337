"""MLflow's tracking-store plugin (``mlflow.set_tracking_uri("nbtrack:...")``) with the real
``mlflow`` package: fluent API, MlflowClient, sklearn autolog, a %%track cell's run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib

mlflow = pytest.importorskip("mlflow")

import nbtrack  # noqa: E402
from nbtrack.store import query  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tracking(store_dir, monkeypatch):
    """MLflow pointed at this test's store (an explicit path: MLflow caches a store per URI)."""
    uri = f"nbtrack:{store_dir}"
    # set_experiment() exports MLFLOW_EXPERIMENT_ID for child processes: undone after the test.
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "0")
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("Default")  # the fluent API remembers the last test's experiment id
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def test_the_plugin_is_registered_through_entry_points(tracking):
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["entry-points"]["mlflow.tracking_store"]["nbtrack"] == "nbtrack.interop.mlflow_plugin:tracking_store"
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
    r = ip.cell(
        "%%track --name cell-run\n"
        "with mlflow.start_run() as run:\n"
        "    mlflow.log_params({'alpha': 0.5})\n"
        "    mlflow.log_metric('loss', 0.25, step=1)\n"
        "score = 0.5 + 0.25\n"
    )
    assert r.success
    runs = nbtrack.runs()
    assert len(runs) == 1
    rec = nbtrack.get_run(runs.run_id[0])
    assert rec.run_id == ip.user_ns["run"].info.run_id
    assert rec.status == "finished" and rec.name == "cell-run" and rec.cell_id == r.cell_id
    assert rec.params["alpha"] == 0.5 and rec.metrics == {"loss": 0.25, "score": 0.75} | {
        k: v for k, v in rec.metrics.items() if k.startswith("sys.")
    }
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


# -- nbtrack export --to mlflow / nbtrack import --from mlflow, against real sqlite stores -------


def _cli(*argv):
    import contextlib
    import io

    from nbtrack.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def _snapshot(client, experiment_name):
    """Everything of every run of an MLflow experiment, keyed by run name."""
    exp = client.get_experiment_by_name(experiment_name)
    out = {}
    for run in client.search_runs([exp.experiment_id]):
        files = {}

        def walk(path=None, run=run, files=files):
            for f in client.list_artifacts(run.info.run_id, path):
                if f.is_dir:
                    walk(f.path)
                else:
                    files[f.path] = None

        walk()
        if files:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                local = Path(client.download_artifacts(run.info.run_id, "", tmp))
                files = {p: (local / p).read_bytes() for p in files}
        out[run.info.run_name] = {
            "status": run.info.status,
            "start": run.info.start_time,
            "end": run.info.end_time,
            "params": dict(run.data.params),
            "tags": {k: v for k, v in run.data.tags.items() if k != "nbtrack.run_id"},
            "history": sorted(
                (k, m.step, m.value, m.timestamp)
                for k in run.data.metrics
                for m in client.get_metric_history(run.info.run_id, k)
            ),
            "artifacts": files,
        }
    return out


def test_mlflow_round_trip_is_exact_and_idempotent(store_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow puts a sqlite store's artifacts in ./mlruns
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    src_uri = f"sqlite:///{tmp_path / 'src.db'}"
    src = MlflowClient(tracking_uri=src_uri)
    exp_id = src.create_experiment("vision")
    t0 = 1_700_000_000_123
    art = tmp_path / "art"
    (art / "sub").mkdir(parents=True)
    (art / "notes.txt").write_text("hello")
    (art / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 4)
    for i, status in enumerate(["FINISHED", "FAILED", "KILLED"]):
        run = src.create_run(
            exp_id,
            start_time=t0 + i * 1000,
            run_name=f"run-{i}",
            tags={"team": "cv", "mlflow.source.name": "train.py", "mlflow.user": "ann"},
        )
        rid = run.info.run_id
        src.log_batch(
            rid,
            params=[
                Param("lr", str(0.1 / (i + 1))),
                Param("eps", "1e-3"),
                Param("optimizer", "adam"),
                Param("layers", "[64, 32]"),
                Param("dropout", "None"),
            ],
            tags=[RunTag("flag", "")],
        )
        src.log_batch(
            rid,
            metrics=[Metric("loss", 1.0 / (s + 1), t0 + 10 * s + 7, s) for s in range(20)]
            + [
                Metric("loss", 0.01, t0 + 999, 3),  # two points at one step
                Metric("acc", 0.5 + i / 10, t0 + 5, 0),
            ],
        )
        src.log_artifacts(rid, str(art))
        src.set_terminated(rid, status, end_time=t0 + 60_000 + i)
    before = _snapshot(src, "vision")

    code, out, err = _cli("--store", store_dir, "import", "--from", "mlflow", src_uri, "--json")
    assert code == 0, err
    assert json.loads(out) == {"imported": 3, "skipped": 0}
    code, out, _ = _cli("--store", store_dir, "import", "--from", "mlflow", src_uri, "--json")
    assert json.loads(out) == {"imported": 0, "skipped": 3}  # idempotent

    runs = nbtrack.runs()
    assert len(runs) == 3 and set(runs.experiment) == {"vision"}
    assert sorted(runs.status) == ["failed", "finished", "interrupted"]
    r0 = nbtrack.get_run(runs[runs.name == "run-0"].run_id.iloc[0])
    assert r0.params == {"lr": 0.1, "eps": "1e-3", "optimizer": "adam", "layers": [64, 32], "dropout": None}
    assert sorted(r0.tags) == ["flag", "team=cv"]
    assert len(nbtrack.series(r0.run_id, "loss")) == 21
    assert {a["name"] for a in r0.artifacts} == {"mlflow/notes.txt", "mlflow/sub/weights.bin"}

    dst_uri = f"sqlite:///{tmp_path / 'dst.db'}"
    code, out, err = _cli("--store", store_dir, "export", "--to", "mlflow", dst_uri, "--json")
    assert code == 0, err
    assert json.loads(out) == {"exported": 3, "skipped": 0, "selected": 3}
    code, out, _ = _cli("--store", store_dir, "export", "--to", "mlflow", dst_uri, "--json")
    assert json.loads(out) == {"exported": 0, "skipped": 3, "selected": 3}  # idempotent
    after = _snapshot(MlflowClient(tracking_uri=dst_uri), "vision")
    assert after == before  # every value, step, timestamp, status, start/end, tag, artifact byte

    # What went out from here never comes back in as a copy.
    code, out, _ = _cli("--store", store_dir, "import", "--from", "mlflow", dst_uri, "--json")
    assert json.loads(out) == {"imported": 0, "skipped": 3}


def test_native_runs_export_with_filters_and_come_back_equal(store_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow puts a sqlite store's artifacts in ./mlruns
    from mlflow import MlflowClient

    for lr in (0.1, 0.01):
        with nbtrack.start(name=f"lr-{lr}", experiment="native", params={"lr": lr, "model": "rf"}, tags=["baseline"]):
            for step in range(0, 30, 3):
                nbtrack.log(step=step, loss=lr * step)
            nbtrack.log_metrics(accuracy=0.9 - lr)
    with pytest.raises(ValueError):
        with nbtrack.start(name="broken", experiment="native", params={"lr": 0.5}):
            nbtrack.log(loss=1.0)
            raise ValueError("diverged")
    nbtrack.store().flush()
    uri = f"sqlite:///{tmp_path / 'out.db'}"
    code, out, err = _cli(
        "--store", store_dir, "export", "--to", "mlflow", "--experiment", "copied", "--json", uri, "params.lr >= 0.05"
    )
    assert code == 0, err
    assert json.loads(out)["exported"] == 2  # lr 0.1 and the failed 0.5
    client = MlflowClient(tracking_uri=uri)
    got = {r.info.run_name: r for r in client.search_runs([client.get_experiment_by_name("copied").experiment_id])}
    assert set(got) == {"lr-0.1", "broken"}
    assert got["broken"].info.status == "FAILED"
    assert got["broken"].data.tags["nbtrack.error"] == "ValueError: diverged"
    mine = nbtrack.get_run(nbtrack.runs()[lambda f: f.name == "lr-0.1"].run_id.iloc[0])
    mine_pts = nbtrack.series(mine.run_id, "loss")
    theirs = client.get_metric_history(got["lr-0.1"].info.run_id, "loss")
    to_ms = lambda ts: int(round(ts.timestamp() * 1000))  # noqa: E731 (naive UTC in nbtrack)
    import datetime as dt

    utc = lambda t: t.replace(tzinfo=dt.timezone.utc)  # noqa: E731
    assert [(m.step, m.value, m.timestamp) for m in theirs] == [
        (s, v, to_ms(utc(t.to_pydatetime()))) for s, v, t in zip(mine_pts.step, mine_pts.value, mine_pts.time)
    ]
    data = got["lr-0.1"].data
    assert data.params == {"lr": "0.1", "model": "rf"} and data.tags["baseline"] == ""
    assert data.metrics["accuracy"] == pytest.approx(0.8)
    assert got["lr-0.1"].info.start_time == to_ms(utc(mine.started_at))
    assert got["lr-0.1"].info.end_time == to_ms(utc(mine.ended_at))

    # Into another store: the same params, points and times (to MLflow's millisecond).
    other = tmp_path / "other"
    code, out, err = _cli("--store", other, "import", "--from", "mlflow", uri, "--json")
    assert code == 0 and json.loads(out)["imported"] == 2, err
    o = nbtrack.store(str(other))
    back = query.runs_frame(o)
    rec = query.get_run(o, back[back.name == "lr-0.1"].run_id.iloc[0])
    assert rec.params == mine.params and rec.status == "finished" and "baseline" in rec.tags
    pts = query.series_frame(o, rec.run_id, "loss")
    assert list(pts.step) == list(mine_pts.step) and list(pts.value) == list(mine_pts.value)


def test_bad_uris_and_filters_give_one_clear_error(store_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MLflow puts a sqlite store's artifacts in ./mlruns
    code, _, err = _cli("--store", store_dir, "import", "--from", "mlflow", f"sqlite:///{tmp_path / 'nope.db'}")
    assert code == 1 and "no MLflow database" in err and not (tmp_path / "nope.db").exists()
    code, _, err = _cli("--store", store_dir, "import", "--from", "mlflow", "http://127.0.0.1:9")
    assert code == 1 and "cannot reach the MLflow tracking store" in err
    assert len(nbtrack.runs()) == 0
    with nbtrack.start(name="x"):
        pass
    code, _, err = _cli(
        "--store", store_dir, "export", "--to", "mlflow", f"sqlite:///{tmp_path / 'o.db'}", "metrics.nope >> 1"
    )
    assert code == 2 and err


def test_generic_autolog(tracking):
    # mlflow.autolog() patches every installed flavor not configured explicitly before (the
    # sklearn test above configured sklearn): LightGBM here.
    lgb = pytest.importorskip("lightgbm")
    import numpy as np

    mlflow.set_experiment("generic-autolog")
    mlflow.autolog(log_models=False, log_datasets=False, silent=True)
    try:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(200, 4))
        y = (X[:, 0] > 0).astype(int)
        ds = lgb.Dataset(X, y)
        lgb.train(
            {"objective": "binary", "num_leaves": 5, "verbose": -1},
            ds,
            num_boost_round=4,
            valid_sets=[ds],
            valid_names=["train"],
        )
    finally:
        mlflow.autolog(disable=True)
    runs = nbtrack.runs()
    assert len(runs) == 1
    rec = nbtrack.get_run(runs.run_id[0])
    assert rec.experiment == "generic-autolog" and rec.status == "finished"
    assert rec.params["num_leaves"] == 5
    assert list(nbtrack.series(rec.run_id, "train-binary_logloss").step) == [0, 1, 2, 3]


def test_export_to_parquet_one_file_per_view(store_dir, tmp_path):
    import pandas as pd

    for lr in (0.1, 0.01):
        with nbtrack.start(name=f"lr-{lr}", params={"lr": lr}):
            nbtrack.log(step=0, loss=lr)
            nbtrack.log(step=1, loss=lr / 2)
    code, out, err = _cli(
        "--store", store_dir, "export", "--to", "parquet", "--json", tmp_path / "pq", "params.lr > 0.05"
    )
    assert code == 0, err
    counts = json.loads(out)
    assert counts["runs"] == 1 and counts["series"] == 2 and counts["params"] == 1
    runs = pd.read_parquet(tmp_path / "pq" / "runs.parquet")
    series = pd.read_parquet(tmp_path / "pq" / "series.parquet")
    assert list(runs.name) == ["lr-0.1"] and list(series.value) == [0.1, 0.05]
    assert {p.name for p in (tmp_path / "pq").iterdir()} == {
        f"{v}.parquet" for v in ("runs", "params", "metrics", "series", "inputs", "outputs", "artifacts")
    }


def test_autolog_in_a_tracked_cell_through_a_real_kernel(store_dir, tmp_path):
    """Unchanged MLflow cells in a notebook, one of them tracked: the plugin is found through
    its entry point by the kernel's own MLflow."""
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "%load_ext nbtrack",
        f"import mlflow\nmlflow.set_tracking_uri('nbtrack:{store_dir}')\nmlflow.set_experiment('kernel')\n"
        "mlflow.sklearn.autolog(log_models=False, log_datasets=False, silent=True)",
        "%%track --name tracked-autolog\n"
        "from sklearn.datasets import load_iris\nfrom sklearn.tree import DecisionTreeClassifier\n"
        "X, y = load_iris(return_X_y=True)\nmodel = DecisionTreeClassifier(max_depth=2).fit(X, y)\n"
        "accuracy = model.score(X, y)\n",
        "with mlflow.start_run(run_name='plain'):\n    mlflow.log_metric('m', 1.5, step=2)\n",
        "print(len(mlflow.search_runs(experiment_names=['kernel'])))",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert [o for c in nb.cells for o in c.outputs if o.output_type == "error"] == []
    assert "2" in "".join(o.get("text", "") for o in nb.cells[4].outputs)
    runs = nbtrack.runs()
    assert sorted(runs.name) == ["plain", "tracked-autolog"] and set(runs.status) == {"finished"}
    rec = nbtrack.get_run(runs[runs.name == "tracked-autolog"].run_id.iloc[0])
    assert rec.cell_id is not None and rec.experiment == "kernel"
    assert rec.params["max_depth"] == 2 and "training_accuracy_score" in rec.metrics
    assert rec.metrics["accuracy"] == pytest.approx(rec.metrics["training_accuracy_score"])


def test_plugin_registers_whichever_is_imported_first(tmp_path):
    """nbtrack's MLflow modules imported before mlflow (as the CLI does): MLflow still finds the
    plugin (its entry points are light and load the store on first use)."""
    import subprocess
    import sys

    code = (
        "import nbtrack.interop.mlflow_io\nimport mlflow\n"
        f"mlflow.set_tracking_uri('nbtrack:{tmp_path / 's'}')\n"
        "with mlflow.start_run(run_name='x'):\n    mlflow.log_metric('m', 1.0)\n"
        "print(mlflow.search_runs(experiment_names=['Default'])['tags.mlflow.runName'].tolist())\n"
    )
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "Failure attempting to register" not in out.stderr
    assert "['x']" in out.stdout
