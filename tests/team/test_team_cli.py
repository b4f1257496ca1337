"""``nbtrack sync``, ``nbtrack remote``, ``--team`` and the store status, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbtrack


def cli(*args, env=None, store=None):
    full = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-m", "nbtrack.cli"] + (["--store", str(store)] if store else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=full, timeout=120)


def make_runs(store, n):
    for i in range(n):
        with nbtrack.start(name=f"c{i}", params={"i": i}, store_path=str(store.dir)) as run:
            run.log(step=0, loss=float(i))
    store.flush()


def test_remote_set_sync_status_and_team_runs(store, remote, pg, monkeypatch):
    monkeypatch.delenv("NBTRACK_REMOTE", raising=False)
    make_runs(store, 7)
    out = cli("remote", "set", remote, store=store.dir)
    assert out.returncode == 0, out.stderr
    assert (store.dir / "remote").read_text().strip() == remote
    status = cli("store", "--json", store=store.dir)
    info = json.loads(status.stdout)
    assert info["remote"] == remote and info["reachable"] is True
    assert (info["pending_runs"], info["pending_points"]) == (7, 7)
    # Several syncs at once: each run is pushed once, the counts add up.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "nbtrack.cli", "--store", str(store.dir), "sync", "--json"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert sum(r["pushed_runs"] for r in results) == 7
    assert sum(r["pushed_points"] for r in results) == 7
    assert all(r["pending_runs"] == 0 for r in results)
    plain = cli("sync", store=store.dir)
    assert plain.stdout.startswith("pushed 0 runs, 0 points to " + remote)
    team = cli("runs", "--team", "--json", "params.i >= 5", store=store.dir)
    rows = [json.loads(line) for line in team.stdout.splitlines()]
    assert sorted(r["name"] for r in rows) == ["c5", "c6"] and all("user" in r and "host" in r for r in rows)
    show = cli("show", "--team", rows[0]["run_id"], store=store.dir)
    assert show.returncode == 0 and rows[0]["run_id"] in show.stdout
    # Unreachable: the status says so and how much waits (as of the last contact).
    make_runs(store, 2)
    pg.stop()
    try:
        info = json.loads(cli("store", "--json", store=store.dir).stdout)
    finally:
        pg.start()
    assert info["reachable"] is False and "cannot reach the team store" in info["remote_error"]
    assert info["pending_runs"] == 2
    assert cli("remote", "unset", store=store.dir).returncode == 0
    assert not (store.dir / "remote").exists()


def test_magic_shows_the_team_store(ip, remote, monkeypatch, capsys):
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    ip.run_line_magic("nbtrack", "")
    out = capsys.readouterr().out
    assert f"team store: {remote}  (reachable; 0 runs, 0 points waiting to be pushed)" in out


def test_sync_without_a_remote_says_how_to_set_one(store, monkeypatch):
    monkeypatch.delenv("NBTRACK_REMOTE", raising=False)
    out = cli("sync", store=store.dir)
    assert out.returncode == 1 and "NBTRACK_REMOTE" in out.stderr
