"""Issue 11's proof that nothing assumes localhost: two "machines" are two network namespaces,
each wired to the root namespace by its own veth pair, and Postgres listens only on a veth
address of the root namespace. In each namespace two processes make runs with
``nbtrack.start`` (their machine's store folder, their own user and host) and push them in the
background; the counts in Postgres are then exact, and ``runs(scope="team")`` from the root
namespace shows both users with their hosts. Then the same with machine b's link pulled for
5 s in the middle of its pushes (its connections stall and resume), and once more with the
server ending b's sessions while the link is down (b's pushes are cut and go on over new
sessions): nothing lost, nothing twice.

Skipped without root or without iproute2's ``ip`` (CI runs as root on Debian)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from netns import Namespace, free_subnet_base, unavailable
from pgcluster import Cluster, bin_dir

pytestmark = pytest.mark.reliability

RUNS_PER_PROCESS = 40
PROCESSES_PER_MACHINE = 2
PARAMS, POINTS = 10, 20
OUTAGE_S = 5.0

# One "kernel": runs paced by a pause (longer when the cable is pulled: b must go on making runs past
# it), then it waits for the release file: a process that exits right after a failed push leaves
# its last runs to `nbtrack sync` (no exit push when the last one failed), which is not what this
# test is about.
WORKER = """
import os, sys, time
import nbtrack

tag, n, pause, release = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
for i in range(n):
    with nbtrack.start(name=f"{tag}-{i}", params={f"p{k}": i * 10 + k for k in range(%d)}) as run:
        for s in range(%d):
            run.log(step=s, loss=1.0 / (s + 1))
    time.sleep(pause)
deadline = time.monotonic() + 120
while not os.path.exists(release) and time.monotonic() < deadline:
    time.sleep(0.1)  # alive (and pushing in the background) until the test has seen its runs
""" % (PARAMS, POINTS)


@pytest.fixture(scope="module")
def network():
    """Postgres on the root end of machine a's veth; machine b reaches it through its own
    link and the root namespace (a route, not the same subnet)."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    if bin_dir() is None:
        pytest.skip("PostgreSQL is not installed and `make postgresql` could not install it")
    base = free_subnet_base()
    machines = {
        "a": Namespace("a", f"{base}.1", f"{base}.2"),
        "b": Namespace("b", f"{base}.5", f"{base}.6"),
    }
    # Not under pytest's tmp folder: that one is private to root and the server runs as postgres.
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="nbtrack-pg-netns-")))
    cluster.host = machines["a"].root_ip
    try:
        for ns in machines.values():
            ns.create()
        cluster.init()
        # initdb lets TCP in from loopback only: the two /30s (and the root end itself) too.
        with open(cluster.data / "pg_hba.conf", "a") as f:
            f.write(f"host all all {base}.0/29 scram-sha-256\n")
        cluster.admin_sql("SELECT pg_reload_conf()")
        yield cluster, machines
    finally:
        cluster.destroy()
        for ns in machines.values():
            ns.destroy()


@pytest.fixture
def team(network, tmp_path, monkeypatch):
    """A fresh team store; this (root namespace) process reads it as a teammate would."""
    from nbtrack.team import push

    cluster, machines = network
    push.stop_all()
    cluster.admin_sql("DROP SCHEMA IF EXISTS nbtrack CASCADE", dbname=cluster.dbname)
    for key, value in cluster.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("NBTRACK_REMOTE", cluster.uri())
    monkeypatch.setenv("NBTRACK_STORE", str(tmp_path / "reader" / ".nbtrack"))
    yield cluster, machines
    push.stop_all()


class Machine:
    """One namespace's processes, all on one local store folder, as one person's laptop."""

    def __init__(self, ns: Namespace, cluster: Cluster, folder: Path, user: str, host: str):
        self.ns, self.user, self.host = ns, user, host
        self.store = folder / ".nbtrack"
        self.logs = folder
        folder.mkdir(parents=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")},
            **cluster.env(),
            "NBTRACK_STORE": str(self.store),
            "NBTRACK_REMOTE": cluster.uri(),
            "NBTRACK_USER": user,
            "NBTRACK_HOST": host,
        }
        self.procs: list[subprocess.Popen] = []

    def start(self, runs: int, pause: float) -> None:
        for k in range(PROCESSES_PER_MACHINE):
            args = (f"{self.user}-{k}", str(runs), str(pause), str(self.logs / "release"))
            cmd = self.ns.command(sys.executable, "-c", WORKER, *args)
            with open(self.logs / f"proc-{k}.out", "wb") as out:
                self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT))

    def release(self) -> None:
        (self.logs / "release").touch()

    def running(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def wait(self, timeout: float = 120) -> list[tuple[int, str]]:
        """(exit code, output) of each process."""
        done = []
        for k, p in enumerate(self.procs):
            code = p.wait(timeout)
            done.append((code, (self.logs / f"proc-{k}.out").read_text()))
        return done

    def kill(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)

    def sync(self) -> subprocess.Popen:
        """`nbtrack sync --json` started on this machine (inside its namespace)."""
        nbtrack_cli = str(Path(sys.executable).parent / "nbtrack")
        cmd = self.ns.command(nbtrack_cli, "--store", str(self.store), "sync", "--json")
        return subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def synced(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out)


def per_user(cluster: Cluster) -> dict:
    """user -> (hosts, runs, params, points, duplicated points) as Postgres holds them."""
    try:
        rows = cluster.admin_sql(
            "SELECT r.user_name, array_agg(DISTINCT r.host ORDER BY r.host), count(*), "
            "(SELECT count(*) FROM nbtrack.params p JOIN nbtrack.runs q USING (run_id) WHERE q.user_name = r.user_name), "
            "(SELECT count(*) FROM nbtrack.series s JOIN nbtrack.runs q USING (run_id) WHERE q.user_name = r.user_name), "
            "(SELECT count(*) FROM (SELECT 1 FROM nbtrack.series s JOIN nbtrack.runs q USING (run_id) "
            " WHERE q.user_name = r.user_name GROUP BY s.run_id, s.key, s.step HAVING count(*) > 1) d) "
            "FROM nbtrack.runs r GROUP BY r.user_name",
            dbname=cluster.dbname,
        )[0]
    except Exception:
        return {}  # no schema before the first push
    return {user: (hosts, runs, params, points, dups) for user, hosts, runs, params, points, dups in rows}


def expected(machine: Machine) -> tuple:
    runs = PROCESSES_PER_MACHINE * RUNS_PER_PROCESS
    return [machine.host], runs, runs * PARAMS, runs * POINTS, 0


def wait_for(cluster: Cluster, want: dict, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        seen = per_user(cluster)
        if seen == want or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def b_connections(cluster: Cluster, machine: Machine) -> set:
    """Backend pids of machine b's connections (did the pulled link break them?)."""
    rows = cluster.admin_sql(
        f"SELECT pid FROM pg_stat_activity WHERE client_addr = '{machine.ns.ip_address}'", dbname=cluster.dbname
    )[0]
    return {r[0] for r in rows}


def runs_of(cluster: Cluster, machine: Machine) -> int:
    return per_user(cluster).get(machine.user, (None, 0))[1]


def pull_the_cable(cluster: Cluster, a: Machine, b: Machine, server_forgets: bool) -> dict:
    """Take b's link down for OUTAGE_S once about a quarter of its runs are in, while it
    keeps making runs; what was seen, for the asserts and the report. ``server_forgets``: the
    server ends b's sessions meanwhile (as a NAT or firewall that forgot the flows would), so
    b's pushes in flight are cut, not just stalled."""
    deadline = time.monotonic() + 60
    while runs_of(cluster, b) < PROCESSES_PER_MACHINE * RUNS_PER_PROCESS // 4:
        assert time.monotonic() < deadline, "machine b's first runs never reached Postgres"
        time.sleep(0.1)
    fault = {"before": b_connections(cluster, b), "b_running": b.running()}
    b.ns.link("down")
    try:
        time.sleep(0.5)  # what was already on the wire lands
        fault["at_runs"], fault["a_at"] = runs_of(cluster, b), runs_of(cluster, a)
        if server_forgets:  # its goodbye goes nowhere: b learns of it only once the link is back
            fault["cut"] = cluster.admin_sql(
                f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE client_addr = '{b.ns.ip_address}'"
            )[0][0][0]
        time.sleep(OUTAGE_S - 0.5)
        fault["during"], fault["a_during"] = runs_of(cluster, b), runs_of(cluster, a)
    finally:
        b.ns.link("up")
    # How long until b's pushes move again, and on which connections.
    up_at = time.monotonic()
    while runs_of(cluster, b) == fault["during"] and time.monotonic() < up_at + 30:
        time.sleep(0.1)
    fault["resumed_s"] = time.monotonic() - up_at
    fault["kept"] = len(fault["before"] & b_connections(cluster, b))
    return fault


def two_machines(team, tmp_path, figures, pull_cable: bool = False, server_forgets: bool = False):
    import nbtrack

    cluster, namespaces = team
    machines = [
        Machine(namespaces["a"], cluster, tmp_path / "a", "alice", "laptop-a"),
        Machine(namespaces["b"], cluster, tmp_path / "b", "bob", "server-b"),
    ]
    a, b = machines
    fault: dict = {}
    want = {m.user: expected(m) for m in machines}
    try:
        for m in machines:
            m.start(RUNS_PER_PROCESS, pause=0.2 if pull_cable else 0.05)
        if pull_cable:
            fault = pull_the_cable(cluster, a, b, server_forgets)
        seen = wait_for(cluster, want, timeout=60)  # brought in by the processes' own pushes
        for m in machines:
            m.release()
        results = {m.user: m.wait() for m in machines}
    finally:
        for m in machines:
            m.kill()
    syncs = {m.user: m.sync() for m in machines}  # what `nbtrack sync` still finds afterwards
    left = {user: synced(proc) for user, proc in syncs.items()}
    after = per_user(cluster)
    frame = nbtrack.runs(scope="team")  # from the root namespace, to the veth address
    figures.update(
        load=f"2 namespaces x {PROCESSES_PER_MACHINE} processes x {RUNS_PER_PROCESS} runs "
        f"({PARAMS} params, {POINTS} points), Postgres on {cluster.host} (veth), no loopback",
        faults=f"b's veth down {OUTAGE_S:.0f} s at {fault.get('at_runs')} of b's runs ({fault.get('during')} at "
        f"its end, a pushed {fault.get('a_during', 0) - fault.get('a_at', 0)} meanwhile; b's pushes moved "
        f"{fault.get('resumed_s', 0):.1f} s after link up, {fault.get('kept')} of "
        f"{len(fault.get('before', ()))} connections kept, {fault.get('cut', 0)} ended by the server)"
        if pull_cable
        else "-",
        inputs=f"{sum(w[1] for w in want.values())} runs, {sum(w[3] for w in want.values())} points; "
        f"sync found {sum(r['pushed_runs'] for r in left.values())} runs left",
        lost=sum(abs(want[u][k] - after.get(u, ([], 0, 0, 0, 0))[k]) for u in want for k in (1, 2, 3))
        + sum(v[4] for v in after.values()),
    )
    for user, procs in results.items():
        assert [code for code, _out in procs] == [0] * PROCESSES_PER_MACHINE, (user, procs)
        assert [out for _code, out in procs] == [""] * PROCESSES_PER_MACHINE, (user, procs)  # no warning
    if pull_cable:
        # The cable was pulled mid-push: b was still making runs, none of them got through while
        # it was out, and machine a went on pushing meanwhile.
        assert fault["b_running"] and fault["at_runs"] < PROCESSES_PER_MACHINE * RUNS_PER_PROCESS, fault
        assert fault["during"] == fault["at_runs"] and fault["a_during"] > fault["a_at"], fault
    if server_forgets:  # b's pushes really were cut: new sessions carried the rest
        assert fault["cut"] == len(fault["before"]) > 0 and fault["kept"] == 0, fault
    assert seen == want  # the processes' own pushes brought everything in
    assert [r["pushed_runs"] for r in left.values()] == [0, 0], left
    assert after == want
    hosts = frame.groupby("user")["host"].unique().map(sorted).to_dict()
    assert hosts == {"alice": ["laptop-a"], "bob": ["server-b"]}
    assert frame["user"].value_counts().to_dict() == {u: w[1] for u, w in want.items()}


def test_two_namespaces_push_over_veth_exactly_once(team, tmp_path, figures):
    two_machines(team, tmp_path, figures)


def test_a_pulled_veth_link_loses_and_duplicates_nothing(team, tmp_path, figures):
    two_machines(team, tmp_path, figures, pull_cable=True)


def test_a_pulled_link_whose_sessions_the_server_ended_loses_and_duplicates_nothing(team, tmp_path, figures):
    two_machines(team, tmp_path, figures, pull_cable=True, server_forgets=True)
