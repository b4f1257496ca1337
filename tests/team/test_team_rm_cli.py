"""`nbtrack rm` on the command line removes the team store's copies of the runs it deletes and
says so (the line team.after_rm gives), in text and in --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from test_team_rm import pushed_store, team_rows


def rm(store_dir, *args, env):
    return subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "--store", str(store_dir), "rm", *args, "--yes"],
        capture_output=True,
        text=True,
        env=env,
    )


def test_cli_rm_of_pushed_runs_removes_the_team_copies_and_says_so(tmp_path, remote, monkeypatch):
    monkeypatch.setenv("NBTRACK_USER", "alice")
    store, ids = pushed_store(tmp_path / "alice", remote, "alice")
    env = {**os.environ, "NBTRACK_REMOTE": remote}

    done = rm(store.dir, ids[0], env=env)
    assert done.returncode == 0, done.stderr
    assert "deleted 1 run" in done.stdout
    assert "removed 1 run from the team store postgresql://" in done.stdout
    assert team_rows(remote, ids[:1])["runs"] == 0 and team_rows(remote, ids[1:])["runs"] == 2

    as_json = rm(store.dir, ids[1], "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["team"].startswith("removed 1 run from the team store")
    assert team_rows(remote, ids[1:2])["runs"] == 0
