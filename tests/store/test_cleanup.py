"""``nbtrack rm`` and ``nbtrack gc`` on a real store, as a user runs them (a subprocess)."""

import json
import os
import subprocess
import sys
import textwrap
import time

import nbtrack
from nbtrack.store import Store, query


def cli(*args, store_dir, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "nbtrack.cli", "--store", str(store_dir), *args],
        capture_output=True,
        text=True,
        input=stdin,
    )


def make_runs(store, lrs):
    ids = []
    for lr in lrs:
        with nbtrack.start(name=f"lr-{lr}", params={"lr": lr}, store_path=str(store.dir)) as run:
            for step in range(5):
                nbtrack.log(step=step, loss=lr * step)
        ids.append(run.run_id)
        time.sleep(0.002)  # distinct milliseconds: ids made in one differ only at the end
    store.flush()
    return ids


def counts(store_dir, run_id):
    s = Store(store_dir)
    return (
        query.sql(
            s,
            f"""SELECT (SELECT count(*) FROM runs WHERE run_id = '{run_id}') AS runs,
        (SELECT count(*) FROM params WHERE run_id = '{run_id}') AS params,
        (SELECT count(*) FROM metrics WHERE run_id = '{run_id}') AS metrics,
        (SELECT count(*) FROM series WHERE run_id = '{run_id}') AS series""",
        )
        .iloc[0]
        .to_dict()
    )


def test_rm_by_id_and_filter_needs_yes_and_keeps_other_runs(store):
    a, b, c, d = make_runs(store, [0.1, 0.2, 0.3, 0.4])
    # Nothing is deleted without --yes when there is no terminal to ask in, even if "y" is piped.
    refused = cli("rm", a[:12], store_dir=store.dir, stdin="y\n")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert counts(store.dir, a)["runs"] == 1
    assert cli("rm", store_dir=store.dir).returncode == 2  # nothing named
    assert cli("rm", "zzzz", "--yes", store_dir=store.dir).returncode == 1  # unknown id
    assert cli("rm", "-w", "params.nope >>> 1", "--yes", store_dir=store.dir).returncode == 2
    assert cli("rm", "-w", "params.lr > 5", "--yes", store_dir=store.dir).returncode == 1  # none match

    out = cli("rm", a[:12], "--yes", "--json", store_dir=store.dir)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["runs"] == 1 and result["rows"]["series"] == 5 and result["rows"]["params"] == 1
    assert counts(store.dir, a) == {"runs": 0, "params": 0, "metrics": 0, "series": 0}

    kept = cli("rm", c[:12], "-w", "params.lr > 0.35", "--yes", store_dir=store.dir)  # id and filter: both
    assert kept.returncode == 1 and counts(store.dir, c)["runs"] == 1
    out = cli("rm", "params.lr >= 0.3", "--yes", store_dir=store.dir)  # a filter as `nbtrack runs` takes it
    assert out.returncode == 0, out.stderr
    assert "deleted 2 runs" in out.stdout
    left = Store(store.dir)
    assert list(query.runs_frame(left).run_id) == [b]
    assert counts(store.dir, b) == {"runs": 1, "params": 1, "metrics": 1, "series": 5}
    assert list(query.series_frame(left, b).value) == [0.0, 0.2, 0.4, 0.2 * 3, 0.8]
    assert cli("show", c, store_dir=store.dir).returncode == 1 and cli("show", d, store_dir=store.dir).returncode == 1
    assert cli("rm", "--help", store_dir=store.dir).returncode == 0
    assert cli("gc", "--help", store_dir=store.dir).returncode == 0


def test_rm_refuses_a_running_run(store):
    (done,) = make_runs(store, [0.1])
    run = nbtrack.start(name="busy", store_path=str(store.dir))
    run.__enter__()
    try:
        nbtrack.log(loss=1.0)
        store.flush()
        out = cli("rm", run.run_id, done, "--yes", store_dir=store.dir)
        assert out.returncode == 1 and "still running" in out.stderr and run.run_id in out.stderr
        assert counts(store.dir, done)["runs"] == 1  # nothing deleted, not even the other
        try:
            store.delete_runs([run.run_id])
        except Exception as exc:
            assert "still running" in str(exc)
        else:
            raise AssertionError("delete_runs deleted a running run")
    finally:
        run.__exit__(None, None, None)
    store.flush()
    assert store.delete_runs([run.run_id])["runs"] == 1
    assert counts(store.dir, run.run_id)["runs"] == 0 and counts(store.dir, done)["series"] == 5


WRITER = textwrap.dedent("""
    import sys, time, nbtrack
    store, seconds = sys.argv[1], float(sys.argv[2])
    end = time.time() + seconds
    ids, i = [], 0
    while time.time() < end:
        with nbtrack.start(name=f"w-{i}", params={"i": i}, store_path=store) as run:
            for step in range(50):
                nbtrack.log(step=step, loss=step / 50)
                time.sleep(0.001)
        ids.append(run.run_id)
        i += 1
    nbtrack.store(store).flush()
    print(" ".join(ids))
""")


def test_rm_while_another_process_writes_loses_none_of_its_rows(store):
    victims = make_runs(store, [0.1, 0.2, 0.3])
    store.compact()
    other = make_runs(store, [0.5])  # one more, in the spool
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store.dir), "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(2.0)  # the writer is mid-way: spool files of its runs come and go
    out = cli("rm", *victims, "--yes", "--json", store_dir=store.dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["runs"] == 3
    written, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    ids = written.split()
    assert len(ids) >= 5
    s = Store(store.dir)
    got = (
        query.sql(
            s,
            """SELECT count(*) AS runs, sum(n) AS points FROM (
        SELECT r.run_id, (SELECT count(*) FROM series x WHERE x.run_id = r.run_id) AS n
        FROM runs r WHERE r.name LIKE 'w-%')""",
        )
        .iloc[0]
        .to_dict()
    )
    assert got == {"runs": len(ids), "points": 50 * len(ids)}
    assert set(query.runs_frame(s).run_id) == set(ids) | set(other)
    for v in victims:
        assert counts(store.dir, v) == {"runs": 0, "params": 0, "metrics": 0, "series": 0}


def test_gc_removes_orphan_files_and_keeps_referenced_ones(store):
    import nbtrack.wandb as wandb

    src = store.dir.parent / "model.bin"
    src.write_bytes(b"x" * 1000)
    run = wandb.init(project="p", dir=str(store.dir.parent))
    art = wandb.Artifact("model", type="model")
    art.add_file(str(src))
    run.log_artifact(art)
    run.finish()
    store.flush()
    kept = [p for p in (store.dir / "artifacts" / run.id).rglob("*") if p.is_file()]
    assert kept, "the shim kept no file in the store"
    orphan_dir = store.dir / "artifacts" / ("0" * 16) / "model"  # a run that is gone
    orphan_dir.mkdir(parents=True)
    orphan = orphan_dir / "weights.bin"
    orphan.write_bytes(b"y" * 2048)
    stray = store.dir / "artifacts" / run.id / "model" / "stray.bin"  # no manifest names it
    stray.write_bytes(b"z" * 10)
    tmp = store.dir / "spool" / ".00000000000000000001-1-000000.runs.arrow.tmp"
    tmp.write_bytes(b"half")
    fresh = store.dir / "spool" / ".00000000000000000002-1-000000.runs.arrow.tmp"
    fresh.write_bytes(b"being written")
    from nbtrack.store import cleanup

    old = time.time() - 2 * cleanup.GRACE_S
    for p in (orphan, stray, tmp, *kept):
        os.utime(p, (old, old))

    dry = cli("gc", "--dry-run", "--json", store_dir=store.dir)
    assert dry.returncode == 0 and json.loads(dry.stdout)["found"] == 3 and orphan.exists()
    refused = cli("gc", store_dir=store.dir, stdin="y\n")
    assert refused.returncode == 2 and orphan.exists()
    out = cli("gc", "--yes", "--json", store_dir=store.dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"files": 3, "bytes": 2048 + 10 + 4, "found": 3, "found_bytes": 2062}
    assert not orphan.exists() and not orphan_dir.exists() and not stray.exists() and not tmp.exists()
    assert fresh.exists() and all(p.exists() for p in kept)
    assert [a["name"] for a in query.get_run(Store(store.dir), run.id).artifacts if "model" in a["name"]]
    assert "nothing to remove" in cli("gc", "--yes", store_dir=store.dir).stdout
    # rm takes a run's artifact files with it
    out = cli("rm", run.id, "--yes", "--json", store_dir=store.dir)
    assert out.returncode == 0 and json.loads(out.stdout)["files"] == len(kept)
    assert not (store.dir / "artifacts" / run.id).exists()


def test_rm_asks_in_a_terminal(store):
    import pty

    keep, gone = make_runs(store, [0.1, 0.2])
    for answer, run_id, code in (("n\n", keep, 1), ("y\n", gone, 0)):
        master, slave = pty.openpty()
        try:
            os.write(master, answer.encode())
            out = subprocess.run(
                [sys.executable, "-m", "nbtrack.cli", "--store", str(store.dir), "rm", run_id],
                stdin=slave,
                capture_output=True,
                text=True,
                timeout=60,
            )
        finally:
            os.close(slave)
            os.close(master)
        assert out.returncode == code, out.stderr
        assert "Delete 1 run? [y/N]" in out.stdout
    assert list(query.runs_frame(Store(store.dir)).run_id) == [keep]
