"""``import nbtrack.wandb as wandb``: unchanged cells in the style of W&B's quickstarts, through a
real kernel (nbclient) and in-process, read back through nbtrack's own read functions."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import nbformat
import pytest
from nbclient import NotebookClient

import nbtrack

# -- cells as W&B's quickstarts write them (only the import line differs) ------------------------

QUICKSTART = """\
import random
import nbtrack.wandb as wandb

# Start a new wandb run to track this script.
run = wandb.init(
    # Set the wandb project where this run will be logged.
    project="my-awesome-project",
    # Track hyperparameters and run metadata.
    config={
        "learning_rate": 0.02,
        "architecture": "CNN",
        "dataset": "CIFAR-100",
        "epochs": 10,
    },
)

# Simulate training.
epochs = 10
offset = random.random() / 5
for epoch in range(2, epochs):
    acc = 1 - 2**-epoch - random.random() / epoch - offset
    loss = 2**-epoch + random.random() / epoch + offset

    # Log metrics to wandb.
    run.log({"acc": acc, "loss": loss})

# Finish the run and upload any remaining data.
run.finish()
"""

# The older "Intro to W&B" notebook style: module-level calls, config object, summary, media.
INTRO = """\
import numpy as np
wandb.init(project="intro", name="intro-run", tags=["baseline"], notes="first try",
           config={"epochs": 4, "optimizer": {"name": "adam", "lr": 1e-3}})
config = wandb.config
wandb.define_metric("val/acc", summary="max")
best = 0.0
for epoch in range(config.epochs):
    val_acc = [0.5, 0.9, 0.7, 0.8][epoch]
    wandb.log({"epoch": epoch, "train/loss": 1.0 / (epoch + 1), "val/acc": val_acc})
    best = max(best, val_acc)
wandb.summary["best_acc"] = best
table = wandb.Table(columns=["id", "pred"], data=[[0, "cat"], [1, "dog"]])
wandb.log({"predictions": table,
           "examples": [wandb.Image(np.zeros((8, 8, 3), dtype=np.uint8), caption="blank")],
           "weights": wandb.Histogram(np.arange(100))})
wandb.finish()
"""

WITH_BLOCK = """\
with wandb.init(project="intro", name="with-block", config={"lr": 0.1}) as run:
    for i in range(3):
        run.log({"loss": 3 - i})
    run.summary["loss"] = 0.5
"""

TRACKED = """\
%%track --name tracked-wandb
run = wandb.init(project="ignored-inside", config={"optim": {"name": "sgd", "momentum": 0.9}})
for step in range(5):
    wandb.log({"loss": 1 / (step + 1)})
wandb.summary["loss"] = 0.01
"""

FAILING_OUTSIDE = """\
run = wandb.init(project="intro", name="boom")
wandb.log({"loss": 1.0})
raise ValueError("boom in the cell that called init")
"""

FAILING_TRACKED = """\
%%track --name tracked-boom
wandb.init(config={"lr": 0.3})
wandb.log({"loss": 2.0})
1 / 0
"""

AFTER_FAILURE = """\
run = wandb.init(project="intro", name="after-failure")
run.log({"loss": 0.1})
run.finish()
"""


def _notebook(cells: list[str]):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


def _run_notebook(cells, tmp_path):
    nb = _notebook(cells)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return nb


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


def test_quickstart_cells_through_a_real_kernel(store_dir, tmp_path):
    nb = _run_notebook(
        [
            "%load_ext nbtrack",
            QUICKSTART,
            INTRO,
            WITH_BLOCK,
            TRACKED,
            FAILING_OUTSIDE,
            FAILING_TRACKED,
            AFTER_FAILURE,
            "import sys; print('wandb' in sys.modules, wandb.run)",
        ],
        tmp_path,
    )
    cells = nb.cells
    for i in (0, 1, 2, 3, 4, 7, 8):
        assert _errors(cells[i]) == [], (i, _errors(cells[i]))
    # The failing cells show their own exceptions, nothing from the shim.
    assert _errors(cells[5])[0]["ename"] == "ValueError"
    assert _errors(cells[6])[0]["ename"] == "ZeroDivisionError"
    assert "False None" in "".join(o.get("text", "") for o in cells[8].outputs)

    runs = nbtrack.runs()
    by_name = {r["name"]: r for _, r in runs.iterrows() if isinstance(r["name"], str)}
    assert len(runs) == 7

    # Quickstart: one run, config as params, 8 points per key, final = last logged.
    quick = runs[runs.experiment == "my-awesome-project"]
    assert len(quick) == 1
    q = nbtrack.get_run(quick.iloc[0].run_id)
    assert q.status == "finished"
    assert q.params == {"learning_rate": 0.02, "architecture": "CNN", "dataset": "CIFAR-100", "epochs": 10}
    pts = nbtrack.series(q.run_id)
    assert sorted(set(pts.key)) == ["acc", "loss"]
    acc = pts[pts.key == "acc"]
    assert list(acc.step) == list(range(8))
    assert q.metrics["acc"] == pytest.approx(acc.value.iloc[-1])

    # Intro: nested config flattened with dots, tags/notes, define_metric summary, media rows.
    intro = nbtrack.get_run(by_name["intro-run"]["run_id"])
    assert intro.status == "finished" and intro.experiment == "intro" and intro.tags == ["baseline"]
    assert intro.params["optimizer.name"] == "adam" and intro.params["optimizer.lr"] == 1e-3
    assert intro.params["epochs"] == 4 and intro.params["wandb.notes"] == "first try"
    assert intro.metrics["val/acc"] == 0.8  # last logged
    assert intro.metrics["val/acc.max"] == 0.9  # define_metric(summary="max")
    assert intro.metrics["best_acc"] == 0.9
    names = {a["name"]: a for a in intro.artifacts}
    assert {
        "predictions/step-4.table.json",
        "examples/0/step-4.png",
        "examples/0/step-4.caption.txt",
        "weights/step-4.histogram.json",
    } <= set(names)
    store = nbtrack.store()
    from nbtrack.store import query

    mime, data = query.artifact(store, intro.run_id, "predictions/step-4.table.json")
    assert json.loads(data) == {"columns": ["id", "pred"], "data": [[0, "cat"], [1, "dog"]]}
    mime, png = query.artifact(store, intro.run_id, "examples/0/step-4.png")
    assert mime == "image/png" and png.startswith(b"\x89PNG")
    mime, hist = query.artifact(store, intro.run_id, "weights/step-4.histogram.json")
    h = json.loads(hist)
    assert sum(h["counts"]) == 100 and len(h["bins"]) == len(h["counts"]) + 1

    # with-block: explicit summary wins over the last logged value.
    block = nbtrack.get_run(by_name["with-block"]["run_id"])
    assert block.status == "finished" and block.metrics["loss"] == 0.5
    assert list(nbtrack.series(block.run_id).value) == [3, 2, 1]

    # %%track cell: init attached to the cell's run (one run, the cell's name and source).
    tracked = nbtrack.get_run(by_name["tracked-wandb"]["run_id"])
    assert tracked.status == "finished" and tracked.cell_id is not None
    assert "wandb.init" in tracked.source
    assert tracked.params["optim.name"] == "sgd" and tracked.params["optim.momentum"] == 0.9
    assert list(nbtrack.series(tracked.run_id, "loss").step) == [0, 1, 2, 3, 4]
    assert tracked.metrics["loss"] == 0.01  # summary beats the last logged 0.2

    # A cell that called init and failed: its run is failed, never left running.
    boom = nbtrack.get_run(by_name["boom"]["run_id"])
    assert boom.status == "failed" and boom.error["type"] == "ValueError"
    assert list(nbtrack.series(boom.run_id).value) == [1.0]
    tboom = nbtrack.get_run(by_name["tracked-boom"]["run_id"])
    assert tboom.status == "failed" and tboom.error["type"] == "ZeroDivisionError"
    assert tboom.params["lr"] == 0.3 and tboom.metrics["loss"] == 2.0
    # ... and the next init starts a fresh run.
    assert nbtrack.get_run(by_name["after-failure"]["run_id"]).status == "finished"
    assert set(runs.status) == {"finished", "failed"}


def test_the_shim_never_imports_wandb(tmp_path):
    code = textwrap.dedent("""
        import sys
        import nbtrack.wandb as wandb
        run = wandb.init(project="p", config={"a": 1})
        wandb.log({"x": 1.0})
        wandb.finish()
        assert "wandb" not in sys.modules, sorted(m for m in sys.modules if "wandb" in m)
        print("ok", run.id)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**__import__("os").environ, "NBTRACK_STORE": str(tmp_path / "s")},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok ")


def test_uncaught_exception_in_a_script_ends_the_run_failed(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent("""
        import nbtrack.wandb as wandb
        wandb.init(project="script", name="s")
        wandb.log({"loss": 1.5})
        raise RuntimeError("script died")
    """)
    )
    env = {**__import__("os").environ, "NBTRACK_STORE": str(tmp_path / "s")}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 1 and "script died" in out.stderr
    store = nbtrack.store(str(tmp_path / "s"))
    from nbtrack.store import query

    frame = query.runs_frame(store)
    assert list(frame.status) == ["failed"] and list(frame.experiment) == ["script"]
    rec = query.get_run(store, frame.run_id.iloc[0])
    assert rec.error["type"] == "RuntimeError" and rec.metrics["loss"] == 1.5


# -- in-process: the finer W&B semantics -----------------------------------------------------------


@pytest.fixture
def wandb(ip):
    import nbtrack.wandb as wandb

    ip.user_ns["wandb"] = wandb
    yield wandb
    while wandb.run is not None:
        wandb.finish()


def test_step_and_commit_follow_wandb(ip, wandb):
    run = wandb.init(project="steps")
    wandb.log({"a": 1.0}, commit=False)
    wandb.log({"b": 2.0})  # commits a and b at step 0
    wandb.log({"a": 3.0}, step=5)  # pending at step 5 until the step moves on
    wandb.log({"b": 4.0}, step=5)
    wandb.log({"a": 6.0})  # same step: a is overwritten; commits at 5, then step 6
    assert run.step == 6
    with pytest.warns(UserWarning, match="lower than the run's current step"):
        wandb.log({"a": 9.0}, step=2)  # ignored, as W&B does
    wandb.log({"nested": {"x": 1, "y": 2}})
    wandb.finish()
    pts = nbtrack.series(run.id)
    got = sorted(zip(pts.key, pts.step, pts.value))
    assert got == [
        ("a", 0, 1.0),
        ("a", 5, 6.0),
        ("b", 0, 2.0),
        ("b", 5, 4.0),
        ("nested.x", 6, 1.0),
        ("nested.y", 6, 2.0),
    ]


def test_step_metric_and_summaries(ip, wandb):
    run = wandb.init(project="defs")
    wandb.define_metric("epoch")
    wandb.define_metric("val/*", step_metric="epoch", summary="min,max,mean")
    wandb.define_metric("loss", summary="best", goal="minimize")
    for epoch, (v, loss) in enumerate([(0.3, 3.0), (0.1, 1.0), (0.2, 2.0)]):
        wandb.log({"train/batch": epoch * 10})
        wandb.log({"epoch": epoch * 100, "val/loss": v, "loss": loss})
    assert run.summary["val/loss.max"] == 0.3
    wandb.finish()
    rec = nbtrack.get_run(run.id)
    assert rec.metrics["val/loss.min"] == 0.1 and rec.metrics["val/loss.max"] == 0.3
    assert rec.metrics["val/loss.mean"] == pytest.approx(0.2)
    assert rec.metrics["loss.best"] == 1.0 and rec.metrics["loss"] == 2.0
    val = nbtrack.series(run.id, "val/loss")
    assert list(val.step) == [0, 100, 200]  # x axis = epoch


def test_config_access_and_changes(ip, wandb):
    import argparse

    args = argparse.Namespace(batch_size=64, dropout=0.1)
    run = wandb.init(config=args)
    wandb.config.update({"model": {"layers": [64, 32]}})
    wandb.config["seed"] = 7
    wandb.config.hidden = 128
    assert wandb.config.batch_size == 64 and wandb.config["model"] == {"layers": [64, 32]}
    assert "seed" in wandb.config and wandb.config.get("nope", 1) == 1
    assert not hasattr(wandb.config, "nope")
    with pytest.warns(UserWarning, match="keeps the first value"):
        wandb.config.update({"seed": 8})
    wandb.finish()
    rec = nbtrack.get_run(run.id)
    assert rec.params == {"batch_size": 64, "dropout": 0.1, "model.layers": [64, 32], "seed": 7, "hidden": 128}
    assert rec.context["param_sources"]["seed"] == "wandb.config"


def test_tracked_cell_without_init_and_finish_inside(ip, wandb):
    r = ip.cell(
        "%%track --name auto\nwandb.log({'loss': 1.0})\nwandb.log({'loss': 0.5})\nwandb.finish()\nafter = 3 / 2\n"
    )
    assert r.success
    runs = nbtrack.runs()
    assert len(runs) == 1
    rec = nbtrack.get_run(runs.run_id[0])
    assert rec.status == "finished" and rec.name == "auto"
    assert rec.metrics["loss"] == 0.5 and rec.metrics["after"] == 1.5
    assert wandb.run is None
    # The run object of an ended cell refuses to log.
    r2 = ip.cell("%%track\nrun = wandb.init()\n")
    assert r2.success and wandb.run is None
    with pytest.raises(wandb.Error, match="finished"):
        ip.user_ns["run"].log({"x": 1.0})


def test_pending_commit_false_is_flushed_when_the_cell_ends(ip, wandb):
    ip.cell(
        "%%track --name pending\nwandb.init()\nwandb.log({'x': 1.0}, commit=False)\n"
        "wandb.define_metric('x', summary='max')\n"
    )
    rec = nbtrack.get_run(nbtrack.runs().run_id[0])
    assert rec.metrics["x"] == 1.0
    assert list(nbtrack.series(rec.run_id).value) == [1.0]


def test_init_outside_then_tracked_cell_and_reinit(ip, wandb):
    first = wandb.init(project="re", name="first")
    second = wandb.init(project="re", name="second")  # finishes the first (finish_previous)
    assert nbtrack.get_run(first.id).status == "finished" and wandb.run is second
    same = wandb.init(reinit="return_previous")
    assert same is second
    second.finish()
    assert wandb.run is None and nbtrack.get_run(second.id).status == "finished"


def test_resume_by_id(ip, wandb):
    first = wandb.init(project="res", id="my-id", config={"lr": 0.1})
    wandb.log({"loss": 1.0})
    wandb.log({"loss": 0.9})
    wandb.finish()
    nbtrack.store().flush()
    again = wandb.init(project="res", id="my-id", resume="allow")
    assert again.id == first.id and again.resumed and again.step == 2
    assert again.config["lr"] == 0.1
    wandb.log({"loss": 0.8})
    wandb.finish()
    rec = nbtrack.get_run(first.id)
    assert rec.status == "finished" and rec.params["wandb.id"] == "my-id"
    assert list(nbtrack.series(first.id).step) == [0, 1, 2]
    assert len(nbtrack.runs()) == 1
    with pytest.raises(wandb.Error, match="no run with id"):
        wandb.init(id="other", resume="must")


def test_artifacts_are_copied_into_the_store(ip, wandb, tmp_path, monkeypatch):
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights" * 100)
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n")
    run = wandb.init(project="art")
    art = wandb.Artifact("model", type="model", metadata={"acc": 0.9})
    art.add_file(str(model))
    art.add_dir(str(folder), name="data")
    run.log_artifact(art)
    monkeypatch.setenv("NBTRACK_ARTIFACT_MAX_MB", "0.0001")
    with pytest.warns(UserWarning, match="cap"):
        run.log_artifact(str(model), name="big", type="model")
    wandb.finish()
    from nbtrack.store import query

    store = nbtrack.store()
    mime, data = query.artifact(store, run.id, "model:model")
    manifest = json.loads(data)
    assert [f["path"] for f in manifest["files"]] == ["model.bin", "data/a.csv"]
    kept = store.dir / manifest["files"][0]["stored"]
    assert kept.read_bytes() == model.read_bytes() and manifest["metadata"] == {"acc": 0.9}
    big = json.loads(query.artifact(store, run.id, "model:big")[1])
    assert big["copied"] is False and "stored" not in big["files"][0]


def test_unknown_calls_and_noops(ip, wandb):
    with pytest.raises(NotImplementedError, match=r"wandb\.Api is not supported. Supported: .*init"):
        wandb.Api()
    assert not hasattr(wandb, "sweep")
    with pytest.raises(wandb.Error, match="wandb.init"):
        wandb.log({"x": 1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert wandb.login(key="not-a-real-key") is True
        wandb.login()
        wandb.Settings(start_method="thread")
    notes = [str(w.message) for w in caught]
    assert sum("login()" in n for n in notes) == 1  # says so once
    assert not any("not-a-real-key" in n for n in notes)
    run = wandb.init(settings=wandb.Settings(), entity="me")
    with pytest.raises(NotImplementedError, match="run.use_artifact"):
        run.use_artifact("x:latest")
    with pytest.raises(NotImplementedError, match=r"run\.bogus"):
        _ = run.bogus
    with pytest.warns(UserWarning, match="not stored"):
        wandb.log({"text": "hello", "v": 1})
    wandb.finish()
    assert nbtrack.get_run(run.id).metrics == {"v": 1.0}


def test_disabled_mode_records_nothing(ip, wandb):
    run = wandb.init(mode="disabled", config={"a": 1})
    wandb.log({"x": 1.0})
    wandb.config.b = 2
    assert wandb.config["a"] == 1
    wandb.finish()
    assert len(nbtrack.runs()) == 0 and wandb.run is None and run.disabled


def test_images_from_arrays_pil_and_figures_and_save(ip, wandb, tmp_path):
    import io

    import matplotlib
    import numpy as np
    from PIL import Image as PILImage

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nbtrack.store import query

    rgb = np.zeros((6, 4, 3), dtype=np.uint8)
    rgb[1, 2] = [255, 10, 20]
    chw = np.random.default_rng(0).random((3, 5, 7))  # torch layout, floats in [0, 1]
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    run = wandb.init(project="media")
    wandb.log(
        {
            "rgb": wandb.Image(rgb),
            "chw": wandb.Image(chw),
            "gray": wandb.Image(np.eye(3)),
            "pil": wandb.Image(PILImage.new("RGB", (9, 2), "red")),
            "fig": wandb.Image(fig),
        }
    )
    (tmp_path / "ckpt.pt").write_bytes(b"x" * 10)
    assert wandb.save(str(tmp_path / "*.pt")) == [str(tmp_path / "ckpt.pt")]
    wandb.finish()
    store = nbtrack.store()

    def decoded(name):
        mime, data = query.artifact(store, run.id, name)
        assert mime == "image/png"
        return PILImage.open(io.BytesIO(data))

    img = decoded("rgb/step-0.png")
    assert img.size == (4, 6) and img.getpixel((2, 1)) == (255, 10, 20)
    assert decoded("chw/step-0.png").size == (7, 5)
    assert decoded("gray/step-0.png").getpixel((1, 1)) == 255
    assert decoded("pil/step-0.png").size == (9, 2)
    assert decoded("fig/step-0.png").size[0] > 100
    manifest = json.loads(query.artifact(store, run.id, "files:files-0")[1])
    assert manifest["files"][0]["path"] == "ckpt.pt" and manifest["files"][0]["size"] == 10
