"""A real PostgreSQL on loopback for the team-store tests, started once per session in a temp
folder on a free port. Skipped (with the reason) only when PostgreSQL is not installed."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pgcluster import Cluster, bin_dir  # noqa: E402


@pytest.fixture(scope="session")
def pg():
    if bin_dir() is None:
        pytest.skip("PostgreSQL is not installed and `make postgresql` could not install it")
    # Not under pytest's tmp folder: that one is private to root and the server runs as postgres.
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="nbtrack-pg-"))).init()
    old = {k: os.environ.get(k) for k in cluster.env()}
    os.environ.update(cluster.env())
    try:
        yield cluster
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        cluster.destroy()


@pytest.fixture
def remote(pg):
    """A fresh team store (the nbtrack schema dropped) and its URI. NBTRACK_REMOTE is not set:
    tests push with explicit Pushers (no background thread racing them) unless they use
    ``team_env``."""
    from nbtrack.team import push

    push.stop_all()
    pg.admin_sql("DROP SCHEMA IF EXISTS nbtrack CASCADE", dbname=pg.dbname)
    yield pg.uri()
    push.stop_all()


@pytest.fixture
def team_env(remote, monkeypatch):
    """NBTRACK_REMOTE set: reads with scope="team" and the background push use it."""
    monkeypatch.setenv("NBTRACK_REMOTE", remote)
    return remote
