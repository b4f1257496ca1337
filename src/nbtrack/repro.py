"""Reproducibility from the execution log (``capture/execlog.py``): replay a run in a fresh
kernel, export the cells it needs as a notebook, and flag runs whose inputs went stale.

The cells a run depends on are found by walking the log of its kernel session backwards from
the run's own cell: a cell is needed when it bound a name that a needed cell read (names from
the static analysis of the logged source); seed calls (``np.random.seed(0)``) are always kept.
"""

from __future__ import annotations

import builtins
import json
import math
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .capture import execlog
from .capture.analyze import analyze, inner_body
from .store import get_store, query

_BUILTINS = set(dir(builtins))
_SEED_CALL = re.compile(r"\b(seed|manual_seed|set_seed|set_random_seed)\s*\(")
_TRACK_LINE = re.compile(r"^%%track\b[^\n]*\n?")


@lru_cache(maxsize=4096)
def _names(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """(reads, binds) of a logged cell, as IPython would run it (cached: stale flags walk a
    session's log once per run)."""
    from IPython.core.inputtransformer2 import TransformerManager

    body = _TRACK_LINE.sub("\n", source, count=1)
    try:
        code = TransformerManager().transform_cell(inner_body(body))
    except Exception:
        code = body
    a = analyze(code)
    return frozenset(a.reads) - _BUILTINS, frozenset(a.assigned)


@dataclass
class Plan:
    run: Any
    log: list[dict]
    cells: list[dict]  # the needed cells, in the order they ran (the run's cell last)
    unresolved: list[str]  # names the run needs that no logged cell made


def plan(run_id: str, store=None) -> Plan:
    store = store or get_store()
    store.flush()
    rec = query.get_run(store, run_id)
    session = rec.context.get("session")
    seq = rec.context.get("log_seq")
    if not session or not seq:
        raise ValueError(
            f"run {rec.run_id} has no execution log (made before nbtrack kept one, or "
            "outside a %%track cell): it cannot be replayed"
        )
    log = execlog.read(store.dir, session)
    mine = next((e for e in log if e["seq"] == seq), None)
    if mine is None or mine.get("source") is None:
        raise ValueError(f"the execution log of run {rec.run_id} is incomplete ({store.dir / 'execlog'})")
    needed, _ = _names(mine["source"])
    cells = [mine]
    for e in reversed([e for e in log if e["seq"] < seq]):
        src = e.get("source") or ""
        if not src.strip() or src.lstrip().startswith(("%load_ext nbtrack", "%reload_ext nbtrack")):
            continue
        reads, binds = _names(src)
        if binds & needed or _SEED_CALL.search(src):
            cells.append(e)
            needed = (needed - binds) | reads
    cells.reverse()
    unresolved = sorted(n for n in needed if n in rec.inputs)
    return Plan(rec, log, cells, unresolved)


def export_notebook(run_id: str, path: str | None = None, store=None):
    """A minimal notebook with just the cells the run depended on, then its own cell; written
    to ``path`` when given. Returns the nbformat notebook."""
    import nbformat

    p = plan(run_id, store)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%load_ext nbtrack")] + [
        nbformat.v4.new_code_cell(e["source"]) for e in p.cells
    ]
    nb.metadata["nbtrack"] = {"replay_of": p.run.run_id}
    if path:
        nbformat.write(nb, path)
    return nb


@dataclass
class Replay:
    original: str
    run_id: str | None
    same: bool
    differences: dict[str, tuple] = field(default_factory=dict)
    unreproducible: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notebook: Any = None

    def __repr__(self) -> str:
        verdict = "same" if self.same else f"different: {', '.join(self.differences) or 'errors'}"
        return f"<nbtrack.Replay of {self.original} -> {self.run_id}: {verdict}>"


def replay(run_id: str, timeout: float = 600, rel_tol: float = 1e-9, store=None) -> Replay:
    """Re-run a run in a fresh kernel of this Python: the cells it depended on (with the sources
    recorded then), then its own cell; the result is a new run with ``replay_of``."""
    from jupyter_client.manager import start_new_kernel

    store = store or get_store()
    p = plan(run_id, store)
    nb = export_notebook(run_id, store=store)
    original = p.run
    last = p.cells[-1]["source"]
    first, _, rest = last.partition("\n")
    # The run's own cell, marked as a replay of the original (its options kept, no card).
    cell = f"{first} -q --replay-of {original.run_id}\n{rest}" if first.startswith("%%track") else last
    cwd = original.context.get("cwd") or str(Path.cwd())
    env = {"NBTRACK_STORE": str(store.dir), "PYTHONPATH": ":".join(p for p in sys.path if p)}
    if original.notebook:
        env["JPY_SESSION_NAME"] = original.notebook
    km, kc = start_new_kernel(
        kernel_name="python3", cwd=cwd if Path(cwd).is_dir() else None, env=env, stderr=subprocess.DEVNULL
    )  # the kernel's own start-up chatter
    errors: list[str] = []
    try:
        for code in ["%load_ext nbtrack", *[e["source"] for e in p.cells[:-1]], cell, "nbtrack.store().flush()"]:
            reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                errors.append(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    store.flush()
    found = query.sql(
        store,
        "SELECT run_id FROM runs WHERE json_extract_string(context, '$.replay_of') = ? "
        "ORDER BY started_at DESC LIMIT 1",
        [original.run_id],
    )
    new_id = found.run_id[0] if len(found) else None
    diffs: dict[str, tuple] = {}
    if new_id is None:
        return Replay(
            original.run_id, None, False, diffs, p.unresolved, errors or ["the replayed cell made no run"], nb
        )
    new = query.get_run(store, new_id)
    for key in sorted(set(original.metrics) | set(new.metrics)):
        if key.startswith("sys."):
            continue  # cost differs between any two runs
        a, b = original.metrics.get(key), new.metrics.get(key)
        if (
            a is None
            or b is None
            or not (a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12))
        ):
            diffs[f"metrics.{key}"] = (a, b)
    for name in sorted(set(original.inputs) & set(new.inputs)):
        fa = original.inputs[name].get("fingerprint") or original.inputs[name].get("value")
        fb = new.inputs[name].get("fingerprint") or new.inputs[name].get("value")
        if fa != fb:
            diffs[f"inputs.{name}"] = (fa, fb)
    missing = sorted(set(original.inputs) - set(new.inputs))
    # A file that changed since the run cannot give the run's input again: say so by name.
    changed_files = [k[len("inputs.") :] for k in diffs if k.startswith("inputs.file:")]
    return Replay(
        original.run_id,
        new_id,
        not diffs and not errors and not missing,
        diffs,
        sorted(set(p.unresolved) | set(missing) | set(changed_files)),
        errors,
        nb,
    )


# -- stale flags -----------------------------------------------------------------------------


def stale_flags(store, run_ids) -> dict[str, str]:
    """run_id -> reason, for the runs whose inputs no longer match what the notebook produces:
    redefined with another value after the run, made by a cell edited or deleted since (per the
    saved notebook), or made by a cell that sits below the run's cell (run out of order)."""
    ids = [str(r) for r in run_ids]
    if not ids:
        return {}
    rows = query.sql(
        store, "SELECT run_id, cell_id, notebook, context FROM runs WHERE run_id IN (SELECT unnest(?))", [ids]
    )
    inputs = query.sql(
        store, "SELECT run_id, name, fingerprint, value FROM inputs WHERE run_id IN (SELECT unnest(?))", [ids]
    )
    by_run: dict[str, dict[str, str]] = {}
    for rid, name, fp, value in inputs.itertuples(index=False, name=None):
        by_run.setdefault(rid, {})[name] = fp or value
    logs: dict[str, list[dict]] = {}
    notebooks: dict[str, dict | None] = {}
    files: dict = {}
    out: dict[str, str] = {}
    for rid, cell_id, notebook, ctx in rows.itertuples(index=False, name=None):
        try:
            context = json.loads(ctx) if ctx else {}
        except ValueError:
            continue
        session, seq = context.get("session"), context.get("log_seq")
        read = by_run.get(rid)
        if not session or not seq or not read:
            continue
        log = logs.get(session)
        if log is None:
            log = logs[session] = execlog.read(store.dir, session)
        reason = _file_changed(read, context.get("cwd") or ".", files) or _stale_reason(
            log, seq, read, cell_id, _notebook_cells(notebooks, notebook, context)
        )
        if reason:
            out[rid] = reason
    return out


def _file_changed(read: dict[str, str], cwd: str, cache: dict) -> str | None:
    """A file the run read that is not what it was (size, ends or gone)."""
    from .capture.values import file_summary

    for name, before in read.items():
        if not name.startswith("file:"):
            continue
        path = name[len("file:") :]
        key = (cwd, path)
        if key not in cache:
            cache[key] = file_summary(path, cwd)
        now = cache[key]
        if now is None:
            return f"the file {path} it read is gone"
        if now["fingerprint"] != before:
            return f"the file {path} it read has changed ({now['value'].split('(', 1)[-1].rstrip(')')})"
    return None


def _stale_reason(log, seq, read: dict[str, str], cell_id, nb_cells) -> str | None:
    for e in log:
        if e["seq"] <= seq:
            continue
        for name, now in (e.get("changed") or {}).items():
            if name in read and now != read[name]:
                where = f"cell [{e.get('n')}]" if e.get("n") is not None else "a later cell"
                when = time.strftime("%H:%M", time.localtime(e.get("t", 0)))
                return f"{name} was redefined by {where} at {when} after this run"
    if nb_cells is None:
        return None
    order = nb_cells["order"]
    producers = {}
    for e in log:
        if e["seq"] >= seq or not e.get("source"):
            continue
        _, binds = _names(e["source"])
        for name in binds & set(read):
            producers[name] = e
    for name, e in producers.items():
        cid = e.get("cell")
        if not cid:
            continue
        if cid not in order:
            return f"{name} was made by a cell since deleted from the notebook"
        if nb_cells["hash"].get(cid) != e["hash"]:
            return f"{name} was made by cell {order.index(cid) + 1}, edited since this run"
        if cell_id in order and order.index(cid) > order.index(cell_id):
            return f"{name} was made by cell {order.index(cid) + 1}, below this one (run out of order)"
    return None


def _notebook_cells(cache: dict, notebook: str | None, context: dict):
    """The saved notebook's code cells: their order (ids) and source hashes."""
    if not notebook:
        return None
    path = Path(notebook)
    if not path.is_absolute():
        path = Path(context.get("cwd") or ".") / path
    key = str(path)
    if key not in cache:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code" and c.get("id")]
            src = lambda c: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]  # noqa: E731
            cache[key] = {
                "order": [c["id"] for c in cells],
                "hash": {c["id"]: execlog.source_hash(src(c)) for c in cells},
            }
        except (OSError, ValueError, KeyError, TypeError):
            cache[key] = None
    return cache[key]
