"""Many processes, one store, nothing lost: 4 writers x 250 runs while a reader reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from nbtrack.store import Store, query

WRITER = textwrap.dedent("""
    import sys, nbtrack
    store, worker = sys.argv[1], int(sys.argv[2])
    for i in range(250):
        params = {f"p{k}": k * i for k in range(10)}
        with nbtrack.start(name=f"w{worker}-{i}", params=params, store_path=store):
            for step in range(20):
                nbtrack.log(loss=1.0 / (step + 1))
""")

READER = textwrap.dedent("""
    import sys, time
    from nbtrack.store import Store, query
    store = Store(sys.argv[1])
    reads = 0
    while time.time() < float(sys.argv[2]):
        query.runs_frame(store)
        query.sql(store, "SELECT count(*) FROM series")
        reads += 1
    print(reads)
""")


@pytest.mark.stress
@pytest.mark.parametrize("repeat", range(3))
def test_four_writers_and_a_reader_lose_nothing(tmp_path, repeat, figures):
    import time

    store_dir = tmp_path / "store"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store_dir), str(w)], stderr=subprocess.PIPE)
        for w in range(4)
    ]
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store_dir), str(time.time() + 600)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    errors = [w.communicate(timeout=600)[1].decode() for w in writers]
    reader.kill()
    _, reader_err = reader.communicate()
    assert [w.returncode for w in writers] == [0, 0, 0, 0], errors
    assert all(e.strip() == "" for e in errors), errors  # no warning or error surfaced
    assert "Error" not in reader_err.decode()
    store = Store(store_dir)
    counts = (
        query.sql(
            store,
            """
        SELECT (SELECT count(*) FROM runs) AS runs,
               (SELECT count(*) FROM runs WHERE status = 'finished') AS finished,
               (SELECT count(DISTINCT run_id) FROM params) AS with_params,
               (SELECT count(*) FROM params) AS params,
               (SELECT count(*) FROM series) AS points""",
        )
        .iloc[0]
        .to_dict()
    )
    figures.update(
        load="4 processes x 250 runs + 1 reader",
        faults="-",
        inputs="1,000 runs, 20,000 points",
        lost=(1000 - counts["runs"]) + (20_000 - counts["points"]),
    )
    assert counts == {"runs": 1000, "finished": 1000, "with_params": 1000, "params": 10_000, "points": 20_000}
