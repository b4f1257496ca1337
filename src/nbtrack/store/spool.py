"""Spool files: each process appends immutable Arrow IPC files, one per table per flush.

A file is written under a temporary name and renamed, so a reader or the compactor never sees
half a file. Names sort by creation time (nanoseconds first), which keeps each process's events
in order.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pyarrow as pa

from .schema import TABLES

SUFFIX = ".arrow"
_counter = itertools.count()


def write(spool_dir: Path, table: str, data: pa.Table) -> Path:
    name = f"{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}.{table}{SUFFIX}"
    final = spool_dir / name
    tmp = spool_dir / f".{name}.tmp"
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, data.schema) as out:
        out.write_table(data)
    os.replace(tmp, final)
    return final


def listing(spool_dir: Path) -> list[str]:
    """Finished spool file names, oldest first."""
    try:
        names = os.listdir(spool_dir)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if n.endswith(SUFFIX) and not n.startswith("."))


def created(name: str) -> float:
    """When a spool file was written (its name starts with time.time_ns()); 0 if unknown."""
    try:
        return int(name[:20]) / 1e9
    except ValueError:
        return 0.0


def table_of(name: str) -> str:
    stem = name[: -len(SUFFIX)]
    return stem.rsplit(".", 1)[1] if "." in stem else ""


def read(
    spool_dir: Path, names: list[str], cache: dict[str, pa.Table] | None = None
) -> tuple[dict[str, pa.Table], list[str]]:
    """Concatenate the named files per table. Returns the tables and the names of files that
    are not readable spool files (garbage); a file that vanished meanwhile is skipped.

    Spool files never change, so a reader may pass ``cache`` (name -> table) to read each file
    once; entries for files no longer named are dropped."""
    parts: dict[str, list[pa.Table]] = {t: [] for t in TABLES}
    bad = []
    for name in names:
        table = table_of(name)
        if cache is not None and name in cache:
            parts[table].append(cache[name])
            continue
        try:
            if table not in parts:
                raise ValueError(f"unknown table {table!r}")
            with pa.memory_map(str(spool_dir / name)) as src:
                data = pa.ipc.open_file(src).read_all().cast(TABLES[table])
        except FileNotFoundError:
            continue
        except (pa.ArrowException, ValueError, OSError):
            bad.append(name)
            continue
        parts[table].append(data)
        if cache is not None:
            cache[name] = data
    if cache is not None:
        for gone in set(cache) - set(names):
            del cache[gone]
    tables = {t: _concat(t, ps) for t, ps in parts.items()}
    return tables, bad


_concat_cache: dict[str, tuple[list, pa.Table]] = {}


def _concat(table: str, parts: list[pa.Table]) -> pa.Table:
    """The same object for the same parts, so readers can skip re-registering it."""
    if not parts:
        return _EMPTY[table]
    hit = _concat_cache.get(table)
    if hit is not None and len(hit[0]) == len(parts) and all(a is b for a, b in zip(hit[0], parts)):
        return hit[1]
    result = pa.concat_tables(parts)
    _concat_cache[table] = (parts, result)
    return result


_EMPTY = {t: s.empty_table() for t, s in TABLES.items()}
