"""The nbtrack command line, as a user runs it (a subprocess)."""

import subprocess
import sys

import nbtrack


def cli(*args, store_dir):
    return subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "--store", str(store_dir), *args], capture_output=True, text=True
    )


def test_cli_lists_shows_and_compacts(store):
    with nbtrack.start(name="from-script", params={"lr": 0.1}, store_path=str(store.dir)) as run:
        nbtrack.log(loss=0.5)
    store.flush()
    out = cli("runs", store_dir=store.dir)
    assert out.returncode == 0 and "from-script" in out.stdout
    shown = cli("show", run.run_id[:12], store_dir=store.dir)
    assert shown.returncode == 0 and "lr=0.1" in shown.stdout and "loss=0.5" in shown.stdout
    assert "moved" in cli("compact", store_dir=store.dir).stdout
    info = cli("store", store_dir=store.dir).stdout
    assert "runs            1" in info
    missing = cli("show", "zzzz", store_dir=store.dir)
    assert missing.returncode == 1 and "no run" in missing.stderr
