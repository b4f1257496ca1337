"""``nbtrack import --from trackio``: databases written by the real trackio package."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import nbtrack

pytest.importorskip("trackio")


def _cli(*argv):
    from nbtrack.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def trackio_dir(tmp_path):
    folder = tmp_path / "trackio"
    code = textwrap.dedent("""
        import trackio as wandb
        run = wandb.init(project="vision", name="baseline", config={"lr": 0.1, "optim": {"name": "adam"}})
        for step in range(6):
            wandb.log({"loss": 1 / (step + 1), "acc": step / 10, "note": "text"})
        wandb.log({"loss": 0.01}, step=20)
        wandb.finish()
        wandb.init(project="vision", name="second", config={"lr": 0.01}, group="sweep-1")
        wandb.log({"loss": 2.0})
        wandb.finish()
    """)
    env = {**os.environ, "TRACKIO_DIR": str(folder), "HF_HUB_OFFLINE": "1", "TRACKIO_TELEMETRY": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert (folder / "vision.db").is_file()
    return folder


def test_import_trackio_runs_points_and_config(store_dir, trackio_dir):
    code, out, err = _cli("--store", store_dir, "import", "--from", "trackio", trackio_dir, "--json")
    assert code == 0, err
    counts = json.loads(out)
    assert counts["imported"] == 2 and counts["skipped"] == 0 and counts["skipped_values"] == 6
    code, out, _ = _cli("--store", store_dir, "import", "--from", "trackio", trackio_dir / "vision.db", "--json")
    assert json.loads(out)["imported"] == 0 and json.loads(out)["skipped"] == 2  # idempotent

    runs = nbtrack.runs()
    assert set(runs.experiment) == {"vision"} and set(runs.name) == {"baseline", "second"}
    base = nbtrack.get_run(runs[runs.name == "baseline"].run_id.iloc[0])
    assert base.status == "finished" and base.params == {"lr": 0.1, "optim.name": "adam"}
    loss = nbtrack.series(base.run_id, "loss")
    assert list(loss.step) == [0, 1, 2, 3, 4, 5, 20]
    assert list(loss.value) == [1.0, 0.5, 1 / 3, 0.25, 0.2, 1 / 6, 0.01]
    assert base.metrics["loss"] == 0.01 and base.metrics["acc"] == 0.5
    # Timestamps are trackio's own.
    con = sqlite3.connect(trackio_dir / "vision.db")
    stamps = [r[0] for r in con.execute("SELECT timestamp FROM metrics WHERE run_name = 'baseline' ORDER BY id")]
    import datetime as dt

    want = [dt.datetime.fromisoformat(s).astimezone(dt.timezone.utc).replace(tzinfo=None) for s in stamps]
    assert [t.to_pydatetime() for t in loss.time] == want
    second = nbtrack.get_run(runs[runs.name == "second"].run_id.iloc[0])
    assert second.params == {"lr": 0.01, "trackio.group": "sweep-1"}


def test_unknown_schema_imports_nothing(store_dir, tmp_path, trackio_dir):
    bad = tmp_path / "bad"
    bad.mkdir()
    con = sqlite3.connect(bad / "other.db")
    con.execute("CREATE TABLE metrics (id INTEGER, value REAL)")
    con.commit()
    con.close()
    import shutil

    shutil.copy(trackio_dir / "vision.db", bad / "vision.db")  # a good one beside it: still nothing
    code, _, err = _cli("--store", store_dir, "import", "--from", "trackio", bad)
    assert code == 1 and "unknown trackio schema" in err
    code, _, err = _cli("--store", store_dir, "import", "--from", "trackio", tmp_path / "missing")
    assert code == 1 and "no trackio database" in err
    assert len(nbtrack.runs()) == 0
