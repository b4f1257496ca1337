"""``nbtrack runs|show|store --json``, filters on ``runs``, exit codes 0/1/2 (a subprocess)."""

import json
import subprocess
import sys
import time

import nbtrack


def cli(*args, store_dir):
    return subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "--store", str(store_dir), *args], capture_output=True, text=True
    )


def test_json_filters_and_exit_codes(store):
    for lr in (0.1, 0.01):
        with nbtrack.start(name=f"lr-{lr}", params={"lr": lr}, tags=["t"], store_path=str(store.dir)):
            nbtrack.log(loss=lr * 10)
        time.sleep(0.002)  # distinct milliseconds: ids made in one share their first 9 characters
    store.flush()
    out = cli("runs", "--json", store_dir=store.dir)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["name"] for r in rows] == ["lr-0.01", "lr-0.1"] and rows[0]["params.lr"] == 0.01
    assert rows[0]["tags"] == ["t"] and rows[0]["status"] == "finished"
    out = cli("runs", "params.lr > 0.05", "--json", store_dir=store.dir)
    assert [json.loads(x)["name"] for x in out.stdout.splitlines()] == ["lr-0.1"]
    shown = json.loads(cli("show", rows[0]["run_id"][:10], "--json", store_dir=store.dir).stdout)
    assert shown["params"] == {"lr": 0.01} and shown["metrics"]["loss"] == 0.1
    info = json.loads(cli("store", "--json", store_dir=store.dir).stdout)
    assert info["runs"] == 2
    assert cli("show", "zzzz", "--json", store_dir=store.dir).returncode == 1  # not found
    bad = cli("runs", "params.nope >>> 1", store_dir=store.dir)
    assert bad.returncode == 2 and bad.stderr  # bad filter
    assert cli("runs", "--limit", "x", store_dir=store.dir).returncode == 2  # bad usage
    for command in ("runs", "show", "store", "compact", "export", "import"):
        assert cli(command, "--help", store_dir=store.dir).returncode == 0


def test_tag_adds_and_removes(store):
    with nbtrack.start(name="t", tags=["old", "keep"], store_path=str(store.dir)) as run:
        pass
    store.flush()
    out = cli("tag", run.run_id[:10], "new", "-r", "old", "--json", store_dir=store.dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == ["keep", "new"]
    rec = json.loads(cli("show", run.run_id, "--json", store_dir=store.dir).stdout)
    assert rec["tags"] == ["keep", "new"] and rec["status"] == "finished" and rec["name"] == "t"
    assert cli("tag", "zzzz", "x", store_dir=store.dir).returncode == 1


def test_diff(store):
    ids = []
    for lr, model in ((0.1, "rf"), (0.01, "rf")):
        with nbtrack.start(name=f"lr-{lr}", params={"lr": lr, "model": model}, store_path=str(store.dir)) as run:
            nbtrack.log(loss=lr)
        ids.append(run.run_id)
        time.sleep(0.002)  # distinct milliseconds, so a 10-character prefix is unique
    store.flush()
    out = cli("diff", ids[0][:10], ids[1][:10], "--json", store_dir=store.dir)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["params"] == {"lr": [0.1, 0.01]} and d["metrics"] == {"loss": [0.1, 0.01]}
    assert d["run"]["name"] == ["lr-0.1", "lr-0.01"]
    text = cli("diff", ids[0], ids[1], store_dir=store.dir).stdout
    assert "~ params.lr: 0.1 -> 0.01" in text and "model" not in text
    assert "  params.model: 'rf' -> 'rf'" in cli("diff", ids[0], ids[1], "--all", store_dir=store.dir).stdout
    assert cli("diff", ids[0], "zzzz", store_dir=store.dir).returncode == 1
