"""Tracking never breaks the cell: read-only store, locked store file, corrupt store file.

In each case the cell's output and namespace equal those of the same cell untracked, the user
gets exactly one warning, and once the store is usable again nothing logged is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

import nbtrack
from nbtrack.capture.magic import NbtrackWarning
from nbtrack.store import query

from helpers import can_mount

pytestmark = pytest.mark.reliability

BODY = "x = 21\ny = x * 2\nprint('y is', y)\nfor i in range(5):\n    nbtrack.log(v=i)\n"


def run_and_record(ip, source, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = ip.cell(source)
    out = capsys.readouterr().out
    ours = [w for w in caught if issubclass(w.category, NbtrackWarning)]
    return result, out, ours


def untracked_reference(ip, capsys):
    for name in ("x", "y", "i"):
        ip.user_ns.pop(name, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ip.cell(BODY.replace("nbtrack.log(v=i)", "pass"))
    out = capsys.readouterr().out
    ns = {k: ip.user_ns[k] for k in ("x", "y", "i")}
    for name in ns:
        ip.user_ns.pop(name)
    return out, ns


def assert_like_untracked(ip, result, out, ref):
    ref_out, ref_ns = ref
    assert result.success
    assert out.startswith(ref_out)  # the same printed output, then our one-line summary
    assert {k: ip.user_ns[k] for k in ref_ns} == ref_ns


@pytest.fixture
def mounted_store(tmp_path, monkeypatch):
    if not can_mount():
        pytest.skip("needs root and mount (a read-only mount is the honest way to deny root writes)")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], check=True)
    store_dir = mnt / "store"
    store_dir.mkdir()
    monkeypatch.setenv("NBTRACK_STORE", str(store_dir))
    yield mnt, store_dir
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_read_only_store_folder(ip, mounted_store, capsys, figures):
    figures.update(load="1 cell", faults="read-only mount", inputs="5 points", lost="not reached")
    mnt, store_dir = mounted_store
    ref = untracked_reference(ip, capsys)
    subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    result, out, ours = run_and_record(ip, "%%track -q\n" + BODY, capsys)
    assert_like_untracked(ip, result, out, ref)
    assert len(ours) == 1 and "read-only" in str(ours[0].message)
    # A second cell while still read-only: no second warning.
    _, _, again = run_and_record(ip, "%%track -q\nz = 1", capsys)
    assert again == []
    subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    nbtrack.store().writer.wake()
    assert nbtrack.store().flush(timeout=10)
    runs = nbtrack.runs()
    assert len(runs) == 2 and set(runs.status) == {"finished"}
    assert len(nbtrack.series(runs.run_id.tolist())) == 5
    figures["lost"] = 0


def test_disk_full(ip, tmp_path, monkeypatch, capsys, figures):
    figures.update(load="1 cell", faults="64 kB tmpfs full", inputs="5 points", lost="not reached")
    if not can_mount():
        pytest.skip("needs root and mount to make a tiny file system")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        (mnt / "store").mkdir()
        monkeypatch.setenv("NBTRACK_STORE", str(mnt / "store"))
        with open(mnt / "filler", "wb") as f:  # fill the disk
            try:
                f.write(b"\0" * (1 << 20))
            except OSError:
                pass
        ref = untracked_reference(ip, capsys)
        result, out, ours = run_and_record(ip, "%%track -q\n" + BODY, capsys)
        assert_like_untracked(ip, result, out, ref)
        assert len(ours) == 1 and "disk is full" in str(ours[0].message)
        (mnt / "filler").unlink()
        nbtrack.store().writer.wake()
        assert nbtrack.store().flush(timeout=10)
        assert len(nbtrack.series(nbtrack.runs().run_id.tolist())) == 5
        figures["lost"] = 0
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_store_file_held_read_write_by_another_process(ip, store, capsys, figures):
    figures.update(load="1 cell", faults="file held read-write 30 s", inputs="5 points", lost="not reached")
    # Make the file exist, then let another process hold it read-write for 10 s.
    with nbtrack.start(name="before", store_path=str(store.dir)):
        nbtrack.log(v=1)
    store.compact()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(30)",
            str(store.db_path),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout.readline().strip() == b"held"
    ref = untracked_reference(ip, capsys)
    result, out, ours = run_and_record(ip, "%%track -q\n" + BODY, capsys)
    assert holder.poll() is None  # the cell did not wait for the lock: the file is still held
    assert_like_untracked(ip, result, out, ref)
    assert len(ours) == 1 and "held by another process" in str(ours[0].message)
    holder.wait(40)
    store.compact()  # now that the file is free (what it holds is checked below)
    runs = query.runs_frame(store)
    assert len(runs) == 2 and set(runs.status) == {"finished"}
    assert len(query.series_frame(store, runs.run_id.tolist())) == 6
    figures["lost"] = 0


def test_corrupt_store_file(ip, store, capsys, figures):
    figures.update(load="1 cell", faults="garbage store file", inputs="5 points", lost="not reached")
    store.dir.mkdir(parents=True, exist_ok=True)
    store.db_path.write_bytes(b"this is not a duckdb file" * 1000)
    ref = untracked_reference(ip, capsys)
    result, out, ours = run_and_record(ip, "%%track -q\n" + BODY, capsys)
    assert_like_untracked(ip, result, out, ref)
    assert len(ours) == 1 and "cannot open the store file" in str(ours[0].message)
    with pytest.raises(nbtrack.StoreError, match="move it aside"):
        nbtrack.runs()
    store.db_path.rename(store.dir / "damaged.duckdb")  # the user's fix, as the message says
    runs = nbtrack.runs()
    assert len(runs) == 1 and runs.status[0] == "finished"
    assert len(nbtrack.series(runs.run_id.tolist())) == 5
    figures["lost"] = 0


def test_store_written_by_a_newer_nbtrack(ip, store, capsys, figures):
    figures.update(load="1 cell", faults="newer schema version", inputs="5 points", lost="not reached")
    with nbtrack.start(name="before", store_path=str(store.dir)):
        nbtrack.log(v=1)
    store.compact()
    import duckdb

    con = duckdb.connect(str(store.db_path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    ref = untracked_reference(ip, capsys)
    result, out, ours = run_and_record(ip, "%%track -q\n" + BODY, capsys)
    assert_like_untracked(ip, result, out, ref)
    assert len(ours) == 1 and "newer nbtrack" in str(ours[0].message)
    # The run waits in the spool; the newer store is left untouched for the newer nbtrack.
    from nbtrack.store import spool

    assert spool.listing(store.spool_dir)
    store.compact()
    assert spool.listing(store.spool_dir)
    figures["lost"] = 0


def test_the_process_exits_cleanly_while_background_threads_query_the_store(tmp_path):
    """Exiting while the cell-history loader (a thread inside DuckDB) still runs aborted the
    process ("terminate called without an active exception", exit 134) in 5 of 6 tries."""
    script = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'nbtrack')\n"
        "for i in range(20):\n"
        "    ip.run_cell('x = 1', store_history=True, cell_id='u')\n"
    )
    env = dict(os.environ, NBTRACK_STORE=str(tmp_path / "store"))
    codes = [
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120).returncode
        for _ in range(4)
    ]
    assert codes == [0, 0, 0, 0]
