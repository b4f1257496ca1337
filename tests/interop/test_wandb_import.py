"""``nbtrack import --from wandb DIR``: offline run folders written by the real wandb package."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

import nbtrack


def _cli(*argv):
    from nbtrack.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def wandb_dir(tmp_path_factory):
    pytest.importorskip("wandb")
    root = tmp_path_factory.mktemp("wb")
    code = textwrap.dedent("""
        import wandb
        run = wandb.init(project="vision", name="offline-ok", tags=["a", "b"], group="g1",
                         config={"lr": 0.1, "optim": {"name": "adam"}})
        for step in range(6):
            wandb.log({"loss": 1 / (step + 1), "val": {"acc": step / 10}, "note": "text"})
        wandb.config.update({"batch": 32})
        wandb.summary["best"] = 0.9
        wandb.summary["loss"] = 0.05
        run.finish()
        run = wandb.init(project="vision", name="offline-fail", reinit="create_new")
        run.log({"loss": 2.0})
        run.finish(exit_code=3)
    """)
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(root)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=root, timeout=300)
    assert out.returncode == 0, out.stderr
    return root / "wandb"


def test_offline_runs_are_read_from_the_wandb_records(store_dir, wandb_dir):
    code, out, err = _cli("--store", store_dir, "import", "--from", "wandb", wandb_dir, "--json")
    assert code == 0, err
    counts = json.loads(out)
    assert counts == {"imported": 2, "skipped": 0, "read_from_records": 2}
    code, out, _ = _cli("--store", store_dir, "import", "--from", "wandb", wandb_dir, "--json")
    assert json.loads(out)["skipped"] == 2 and json.loads(out)["imported"] == 0  # idempotent

    runs = nbtrack.runs()
    ok = nbtrack.get_run(runs[runs.name == "offline-ok"].run_id.iloc[0])
    assert ok.status == "finished" and ok.experiment == "vision" and ok.tags == ["a", "b"]
    assert ok.params["lr"] == 0.1 and ok.params["optim.name"] == "adam" and ok.params["batch"] == 32
    assert ok.params["wandb.group"] == "g1" and len(ok.params["wandb.id"]) == 8
    loss = nbtrack.series(ok.run_id, "loss")
    assert list(loss.step) == [0, 1, 2, 3, 4, 5] and list(loss.value)[-1] == pytest.approx(1 / 6)
    assert list(nbtrack.series(ok.run_id, "val.acc").value) == [0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert ok.metrics["best"] == 0.9 and ok.metrics["loss"] == 0.05  # the summary wins
    fail = nbtrack.get_run(runs[runs.name == "offline-fail"].run_id.iloc[0])
    assert fail.status == "failed" and fail.error["message"] == "exit code 3"


def test_a_corrupt_run_file_imports_nothing(store_dir, wandb_dir, tmp_path):
    import shutil

    copy = tmp_path / "wandb"
    shutil.copytree(wandb_dir, copy, symlinks=True)
    victim = sorted(copy.glob("offline-run-*/run-*.wandb"))[-1]
    data = bytearray(victim.read_bytes())
    data[200] ^= 0xFF
    victim.write_bytes(bytes(data))
    code, _, err = _cli("--store", store_dir, "import", "--from", "wandb", copy)
    assert code == 1 and "corrupt" in err and victim.name in err
    assert len(nbtrack.runs()) == 0


def test_without_the_wandb_package_the_files_folder_is_read(store_dir, tmp_path, monkeypatch):
    # A synced run folder's files/ (written here in W&B's layout); offline folders have none.
    run = tmp_path / "wandb" / "run-20240101_000000-abc123"
    (run / "files").mkdir(parents=True)
    (run / "files" / "config.yaml").write_text("_wandb:\n  value: {}\nlr:\n  desc: null\n  value: 0.3\n")
    (run / "files" / "wandb-summary.json").write_text(json.dumps({"acc": 0.8, "_runtime": 12.5}))
    (run / "files" / "wandb-metadata.json").write_text(json.dumps({"startedAt": "2024-01-01T00:00:00.000000Z"}))
    monkeypatch.setitem(sys.modules, "wandb.proto.wandb_internal_pb2", None)  # as if not installed
    code, out, err = _cli("--store", store_dir, "import", "--from", "wandb", tmp_path / "wandb", "--json")
    assert code == 0, err
    assert json.loads(out)["read_from_files"] == 1
    rec = nbtrack.get_run(nbtrack.runs().run_id[0])
    assert rec.params["lr"] == 0.3 and rec.metrics == {"acc": 0.8} and rec.duration_s == 12.5
    assert len(nbtrack.series(rec.run_id)) == 0
