"""store/writer.py: what a pass writes reads back in the tables' schemas."""

from __future__ import annotations

import nbtrack
from nbtrack.store import spool
from nbtrack.store.schema import TABLES


def test_spool_files_read_back_in_the_tables_schemas_with_every_point(store):
    with store.writer._lock:
        long = nbtrack.start(name="long")
        long.begin()
    store.flush()  # the writer drains this one
    with store.writer._lock:
        for i in range(1000):
            long.log(i, {"loss": 1.0 / (i + 1), "acc": i / 1000})
        with nbtrack.start(name="short"):  # this one hands its point over as rows
            nbtrack.log(loss=2.0)
        long.end("finished")
    store.flush()
    names = spool.listing(store.spool_dir)
    tables, bad = spool.read(store.spool_dir, names)
    assert bad == []
    for table, data in tables.items():
        assert data.schema.equals(TABLES[table]), table
    series = tables["series"].to_pandas()
    assert len(series) == 2001
    assert sorted(series.groupby(["run_id", "key"]).size().tolist()) == [1, 1000, 1000]
    assert set(series.key) == {"loss", "acc"}
    assert nbtrack.get_run(long.run_id).metrics == {"loss": 1.0 / 1000, "acc": 0.999}
