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
def remote(pg, monkeypatch):
    """A fresh team store: the nbtrack schema dropped, NBTRACK_REMOTE pointing at it."""
    pg.admin_sql("DROP SCHEMA IF EXISTS nbtrack CASCADE", dbname=pg.dbname)
    monkeypatch.setenv("NBTRACK_REMOTE", pg.uri())
    return pg.uri()
