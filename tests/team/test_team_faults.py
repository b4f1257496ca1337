"""Faults around the team store: a kernel killed with kill -9 mid-push loses nothing that
reached its local spool; after a full session the password is nowhere on disk, in no output
and in no log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from reliability.kernels import kernel
from reliability.test_load import execute_ok

from nbtrack.store import Store, query
from nbtrack.team.push import Pusher

pytestmark = pytest.mark.reliability

LOOP = (
    "import nbtrack\nfor i in range(1_000_000):\n"
    "    with nbtrack.start(name=f'k{i}', params={'i': i}) as run:\n"
    "        for s in range(20):\n            run.log(step=s, loss=s / (i + 1))\n"
)


def team_counts(pg):
    return tuple(
        pg.admin_sql(
            "SELECT (SELECT count(*) FROM nbtrack.runs), (SELECT count(*) FROM nbtrack.series)", dbname=pg.dbname
        )[0][0]
    )


def test_kill_9_mid_push_loses_nothing_that_reached_the_spool(tmp_path, pg, remote, figures):
    d = tmp_path / "m" / ".nbtrack"
    d.parent.mkdir()
    with kernel(d, NBTRACK_REMOTE=remote) as (km, kc):
        assert execute_ok(kc, "%load_ext nbtrack")
        kc.execute(LOOP)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if team_counts(pg)[0] >= 200:
                    break
            except Exception:
                pass
            time.sleep(0.1)
        os.kill(km.provisioner.process.pid, signal.SIGKILL)  # mid-cell, mid-push
        km.provisioner.process.wait()
    at_kill = team_counts(pg)
    store = Store(d)
    # Points count with their run: a run whose first row died with the kernel (it began in the
    # writer's last pass, whose runs file is written last) is lost whole, as the last second is.
    local = (
        query.sql(
            store,
            "SELECT (SELECT count(*) FROM runs) AS runs, "
            "(SELECT count(*) FROM series WHERE run_id IN (SELECT run_id FROM runs)) AS points",
            [],
        )
        .iloc[0]
        .tolist()
    )
    Pusher(store, remote).push_all()  # `nbtrack sync` afterwards
    after = team_counts(pg)
    ((dups,),) = pg.admin_sql(
        "SELECT count(*) FROM (SELECT run_id, key, step FROM nbtrack.series GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        dbname=pg.dbname,
    )[0]
    figures.update(
        load="1 kernel, runs of 20 points in a loop",
        faults="kill -9 mid-push",
        inputs=f"{at_kill[0]} runs in Postgres at the kill, {local[0]} in the local store",
        lost=(local[0] - after[0]) + (local[1] - after[1]) + dups,
    )
    assert 200 <= at_kill[0] and local[0] < 1_000_000  # killed mid-loop
    # The run in flight at the kill is 'running' locally and is pushed as such: it counts.
    assert list(after) == [int(x) for x in local] and dups == 0


def test_the_password_is_nowhere_after_a_full_session(tmp_path, pg, remote, figures):
    password = pg.owner_password
    home = tmp_path / "project"
    d = home / ".nbtrack"
    home.mkdir()
    outputs: list[str] = []
    # The kernel gets the password through PGPASSWORD (no password file), as a user may do.
    env = {"PGPASSWORD": password, "PGPASSFILE": str(tmp_path / "none")}
    with kernel(d, NBTRACK_REMOTE=remote, **env) as (km, kc):
        cells = [
            "%load_ext nbtrack\nimport nbtrack, os",
            "%%track --name session\nlr = 0.1\nfor s in range(5):\n    nbtrack.log(loss=s)\nprint(os.environ.get('NBTRACK_REMOTE'))",
            "%%track --name fails\nx = 1\nraise ValueError('boom')",
            "import time; time.sleep(3)\n%nbtrack",
            "print(nbtrack.runs(scope='team').to_string())",
            "print(repr(nbtrack.get_run(nbtrack.runs(scope='team').run_id[0], scope='team')))",
        ]
        for code in cells:
            reply = kc.execute_interactive(
                code, timeout=120, output_hook=lambda m: outputs.append(json.dumps(m["content"]))
            )
            outputs.append(json.dumps(reply["content"]))
        pg.stop()
        try:  # unreachable: the status shows libpq's error (which never carries the password)
            kc.execute_interactive(
                "%nbtrack", timeout=120, output_hook=lambda m: outputs.append(json.dumps(m["content"]))
            )
        finally:
            pg.start()
        pg.wait_ready()
        kc.execute_interactive("nbtrack.store().flush()", timeout=60)
    cli_env = {**os.environ, "NBTRACK_STORE": str(d), "NBTRACK_REMOTE": remote}
    for args in (["sync"], ["store"], ["runs", "--team"], ["remote", "show"]):
        out = subprocess.run(
            [sys.executable, "-m", "nbtrack.cli", *args], capture_output=True, text=True, env=cli_env, timeout=120
        )
        outputs += [out.stdout, out.stderr]
    # A wrong URI with the password pasted in is refused without repeating it.
    bad = subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "remote", "set", remote.replace("@", f":{password}@")],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    outputs += [bad.stdout, bad.stderr]
    assert bad.returncode == 1
    joined = "\n".join(outputs)
    assert "session" in joined and "boom" in joined and "team store:" in joined  # the session ran
    assert "unreachable" in joined
    hits = [o for o in outputs if password in o]
    assert not hits, hits[:1]
    files = 0
    for root in (tmp_path, pg.log.parent / "data" / "log", pg.log):
        paths = [root] if root.is_file() else list(root.rglob("*")) if root.exists() else []
        for p in paths:
            if p.is_file() and p != pg.passfile:
                files += 1
                assert password.encode() not in p.read_bytes(), p
    dump = pg.admin_sql("SELECT string_agg(r::text, '') FROM nbtrack.runs r", dbname=pg.dbname)[0][0][0]
    assert dump and password not in dump
    figures.update(
        load="1 kernel session, 4 CLI commands",
        faults="server stopped once",
        inputs=f"{len(outputs)} outputs, {files} files, the team tables",
        lost=0,
    )
