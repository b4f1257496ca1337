"""Arrow IPC streams shaped like the widgets' replies, for arrow_decode/bench.mjs.

table_page: a run-table page (50 rows, base columns + 20 params + 10 metrics, a list column);
series: a card's series (key, step, value) with 200,000 points.
"""

import sys
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from nbtrack.widgets.protocol import arrow_bytes  # noqa: E402

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
n = 50
cols = {
    "run_id": [f"r{i:06d}" for i in range(n)],
    "name": [f"run {i}" for i in range(n)],
    "status": ["finished"] * n,
    "started_at": pa.array([1_700_000_000_000_000 + i for i in range(n)], pa.timestamp("us")),
    "duration_s": [i * 0.37 for i in range(n)],
    "tags": [["a", "b"] if i % 2 else [] for i in range(n)],
}
for p in range(20):
    cols[f"params.p{p}"] = [str(i * p) for i in range(n)]
for m in range(10):
    cols[f"metrics.m{m}"] = [i / (m + 1) for i in range(n)]
(out / "table_page.arrow").write_bytes(arrow_bytes(pa.table(cols)))

k = 200_000
series = pa.table(
    {
        "key": pa.array(["loss", "acc"] * (k // 2)).dictionary_encode().cast(pa.string()),
        "step": pa.array(range(k), pa.int64()),
        "value": pa.array([i * 1e-3 for i in range(k)], pa.float64()),
    }
)
(out / "series.arrow").write_bytes(arrow_bytes(series))
print("wrote", out / "table_page.arrow", out / "series.arrow")
