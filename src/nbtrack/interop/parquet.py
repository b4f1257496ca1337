"""``nbtrack export --to parquet DIR``: one Parquet file per view (runs, params, metrics, series,
inputs, outputs, artifacts), the rows of the selected runs, readable by pandas/DuckDB/Polars."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..store import Store, query

VIEWS = ("runs", "params", "metrics", "series", "inputs", "outputs", "artifacts")


def export_to_parquet(store: Store, folder: str | Path, filters: Iterable[Any] = ()) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .select import select_runs

    ids = select_runs(store, filters)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for view in VIEWS:
        frame = query.sql(store, f"SELECT * FROM {view} WHERE list_contains(?, run_id) ORDER BY run_id", [ids])
        table = pa.Table.from_pandas(frame, preserve_index=False)
        tmp = out / f".{view}.parquet.tmp"
        pq.write_table(table, tmp)
        tmp.replace(out / f"{view}.parquet")  # never half a file under the final name
        counts[view] = len(frame)
    return counts
