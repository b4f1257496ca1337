"""Arrow IPC fixtures for js/shared/arrow.test.ts, written by pyarrow the way the kernel writes
replies (nbtrack.widgets.protocol.arrow_bytes). Regenerate: .venv/bin/python js/shared/testdata/make_fixtures.py"""

import datetime as dt
from pathlib import Path

import pyarrow as pa

from nbtrack.widgets.protocol import arrow_bytes

here = Path(__file__).parent
table = pa.table({
    "run_id": ["r1", "r2", None],
    "big": pa.array([1, 2**63 - 1, None], pa.int64()),
    "value": [1234567.891, float("nan"), float("-inf")],
    "ok": [True, False, None],
    "tags": [["a", "b"], [], None],
    "steps": pa.array([[1, 2], [3], []], pa.list_(pa.int64())),
    "started_at": pa.array([dt.datetime(2025, 12, 3, 14, 2, 5), None, dt.datetime(1970, 1, 1)], pa.timestamp("us")),
    "status": pa.array(["finished", "failed", "finished"]).dictionary_encode(),
})
(here / "mixed.arrow").write_bytes(arrow_bytes(table))
# two record batches in one stream
batches = pa.Table.from_batches([pa.record_batch({"key": ["loss"], "step": [0], "value": [0.5]}),
                                 pa.record_batch({"key": ["loss"], "step": [1], "value": [0.25]})])
(here / "two_batches.arrow").write_bytes(arrow_bytes(batches))
