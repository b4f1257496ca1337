"""JSON routes under ``<base_url>/nbtrack/api/`` (reads; the two POSTs replay or export a run). Every handler is an authenticated
``APIHandler``; store reads (blocking DuckDB work) run on a worker thread, never on the event
loop.

    GET runs                 ?notebook=&experiment=&status=a,b&cell_id=&q=&filter=[[col,op,val],...]
                             (notebook may repeat: runs of any of these paths)
                             &sort=-metrics.acc&limit=100&offset=0
    GET runs/{id}            everything captured (a unique id prefix is enough)
    GET runs/{id}/series     ?keys=loss,acc&points=1000  (downsampled in DuckDB)
    GET runs/{id}/artifacts/{name}   the bytes of one artifact (images inline, sandboxed)
    GET experiments
    GET columns              filterable/sortable columns and their kinds
    GET store                where the store is, counts, schema version
    GET changes              ?since=TOKEN -> {"token", "changed"}: cheap, for polling
    POST runs/{id}/replay    re-run it in a fresh kernel (nbtrack.replay, off the event loop)
                             -> {"original", "run_id", "same", "differences", "unreproducible", "errors"}
    POST runs/{id}/notebook  write the cells it needs as a new notebook next to the run's
                             notebook (nbtrack.export_notebook) -> {"path"} (relative to the root)

Every route takes an optional ``notebook`` (a path relative to the server root; ``store_of``
where it should pick the store without filtering runs): the store is then the one a kernel of
that notebook finds (its folder's nearest ``.nbtrack/``), else the root's; ``NBTrack.store``
overrides both.

Errors are JSON ``{"message": ...}``: 400 bad parameter, 404 unknown run, 503 the store cannot
be read (its message says why). Numbers that are NaN or infinite are encoded as the strings
"NaN", "Infinity", "-Infinity" (``Number(x)`` in JavaScript reads them back); timestamps are
ISO 8601 UTC strings ending in "Z".
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import math
import os
from typing import Any, Callable

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..store import StoreError, api_queries, get_store, query
from ..store.api_queries import QueryError
from ..store.query import UnknownRunError

MAX_POINTS = 20_000


def jsonable(value: Any) -> Any:
    """Plain JSON values: non-finite floats as strings, times as ISO UTC, numpy as Python."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes) or type(value).__name__ == "NaTType":
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        try:
            return jsonable(value.item())
        except (TypeError, ValueError):
            pass
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(jsonable(value), allow_nan=False, separators=(",", ":"))


class NBTrackHandler(APIHandler):
    """Base: store lookup, off-loop reads, error mapping, JSON replies."""

    @property
    def locator(self):
        return self.settings["nbtrack_locator"]

    def store(self):
        """The store of the notebook the request is about (``store_of``, else ``notebook``;
        see ``StoreLocator``)."""
        notebook = self.get_query_argument("store_of", None) or self.get_query_argument("notebook", None)
        local = get_store(self.locator.store_dir(notebook))
        scope = self.get_query_argument("scope", None)
        if scope in (None, "local"):
            return local
        from ..team import store_for_local  # ?scope=team: the same routes over the team store

        try:
            return store_for_local(local, scope)
        except ValueError as exc:
            raise tornado.web.HTTPError(400, str(exc)) from None
        except StoreError as exc:
            raise tornado.web.HTTPError(503, str(exc)) from None

    async def read(self, fn: Callable, *args, **kwargs) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except UnknownRunError as exc:
            raise tornado.web.HTTPError(404, str(exc)) from None
        except QueryError as exc:
            raise tornado.web.HTTPError(400, str(exc)) from None
        except StoreError as exc:
            raise tornado.web.HTTPError(503, str(exc)) from None
        except tornado.web.HTTPError:
            raise  # already a clear answer (replay/export refusals)
        except Exception as exc:  # DuckDB or OS trouble reading the store: say so, no traceback
            self.log.exception("nbtrack: reading the store failed")
            raise tornado.web.HTTPError(
                503, f"nbtrack: the store {self.store().dir} could not be read ({type(exc).__name__}: {exc})"
            ) from None

    def reply(self, value: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(dumps(value))

    # -- parameters ---------------------------------------------------------------------

    def text_arg(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        return value if value not in (None, "") else None

    def int_arg(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise tornado.web.HTTPError(400, f"nbtrack: {name} must be an integer, got {raw!r}.") from None
        if not lo <= value <= hi:
            raise tornado.web.HTTPError(400, f"nbtrack: {name} must be between {lo} and {hi}, got {value}.")
        return value

    def list_arg(self, name: str) -> list[str] | None:
        """``?keys=a,b`` or ``?keys=a&keys=b``."""
        values = self.get_query_arguments(name)
        out = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
        return out or None

    # -- paths ------------------------------------------------------------------------------

    def notebook_candidates(self, notebook: str) -> list[str]:
        """Runs store the notebook as the kernel saw it (``JPY_SESSION_NAME`` is an absolute
        path; scripts may record a relative one): match every spelling of this path."""
        root = self.locator.root_dir
        rel = notebook.lstrip("/")
        out = {notebook, rel}
        for base in (root, os.path.realpath(root)):
            full = os.path.normpath(os.path.join(base, *rel.split("/")))
            out.add(full)
        return sorted(out)

    def relative_notebook(self, notebook: str | None) -> str | None:
        """The notebook's path relative to the server root (``/`` separated), if it is under it."""
        if not notebook:
            return None
        if not os.path.isabs(notebook):
            return notebook.replace(os.sep, "/")
        root = self.locator.root_dir
        for base in (root, os.path.realpath(root)):
            rel = os.path.relpath(os.path.normpath(notebook), base)
            if not rel.startswith(".."):
                return rel.replace(os.sep, "/")
        return None


class RunsHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def get(self):
        # ``notebook`` may repeat (a renamed notebook: its kernel still reports the old path).
        notebooks = [n for n in self.get_query_arguments("notebook") if n]
        raw_filter = self.text_arg("filter")
        filters = None
        if raw_filter is not None:
            try:
                filters = json.loads(raw_filter)
            except ValueError:
                raise tornado.web.HTTPError(
                    400, "nbtrack: filter must be a JSON list of [column, operator, value]."
                ) from None
            if not isinstance(filters, list):
                raise tornado.web.HTTPError(400, "nbtrack: filter must be a JSON list of [column, operator, value].")
        page = await self.read(
            api_queries.list_runs,
            self.store(),
            notebooks=[c for n in notebooks for c in self.notebook_candidates(n)] if notebooks else None,
            experiment=self.text_arg("experiment"),
            status=self.list_arg("status"),
            cell_id=self.text_arg("cell_id"),
            q=self.text_arg("q"),
            filters=filters,
            sort=self.text_arg("sort"),
            limit=self.int_arg("limit", 100, 0, api_queries.MAX_LIMIT),
            offset=self.int_arg("offset", 0, 0, 10**9),
        )
        for run in page.runs:
            run["notebook_path"] = self.relative_notebook(run.get("notebook"))
        self.reply(
            {
                "runs": page.runs,
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "now": dt.datetime.now(dt.timezone.utc),
            }
        )


def _run_detail(store, id_or_prefix: str) -> dict:
    record = query.get_run(store, id_or_prefix)
    out = dataclasses.asdict(record)
    out["series_keys"] = api_queries.series_keys(store, record.run_id)
    stdout = query.artifact(store, record.run_id, "stdout")
    out["stdout"] = stdout[1].decode("utf-8", "replace") if stdout else None
    return out


class RunHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str):
        run = await self.read(_run_detail, self.store(), run_id)
        run["notebook_path"] = self.relative_notebook(run.get("notebook"))
        run["now"] = dt.datetime.now(dt.timezone.utc)
        self.reply(run)


def _series(store, id_or_prefix: str, keys: list[str] | None, points: int) -> dict:
    run_id = query.resolve_run_id(store, id_or_prefix)
    table = query.downsampled_series(store, [run_id], keys, points)
    series: dict[str, dict[str, list]] = {}
    for key, step, value in zip(
        table.column("key").to_pylist(), table.column("step").to_pylist(), table.column("value").to_pylist()
    ):
        s = series.setdefault(key, {"steps": [], "values": []})
        s["steps"].append(step)
        s["values"].append(value)
    return {"run_id": run_id, "points": points, "series": series}


class SeriesHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str):
        points = self.int_arg("points", 1000, 4, MAX_POINTS)
        self.reply(await self.read(_series, self.store(), run_id, self.list_arg("keys"), points))


INLINE_MIMES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "text/plain"}


def _artifact(store, id_or_prefix: str, name: str):
    run_id = query.resolve_run_id(store, id_or_prefix)
    found = query.artifact(store, run_id, name)
    if found is None:
        raise UnknownRunError(f"nbtrack: run {run_id} has no artifact {name!r}")
    return found


class ArtifactHandler(NBTrackHandler):
    """Artifact bytes. Served under a sandboxing CSP and ``nosniff``: an SVG or text a cell
    produced cannot run script in the Jupyter origin even when opened directly."""

    @property
    def content_security_policy(self) -> str:
        return "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"

    @tornado.web.authenticated
    async def get(self, run_id: str, name: str):
        mime, data = await self.read(_artifact, self.store(), run_id, name)
        mime = (mime or "application/octet-stream").split(";")[0].strip().lower()
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        if mime in INLINE_MIMES:
            content_type = mime + ("; charset=utf-8" if mime == "text/plain" else "")
        else:
            content_type = "application/octet-stream"
            self.set_header("Content-Disposition", "attachment")
        self.finish(bytes(data or b""), set_content_type=content_type)


class ExperimentsHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def get(self):
        frame = await self.read(query.experiments, self.store())
        rows = [
            {"experiment": e, "runs": int(n), "last_started": last, "running": int(running)}
            for e, n, last, running in frame.itertuples(index=False, name=None)
        ]
        self.reply({"experiments": rows})


class ColumnsHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def get(self):
        cols = await self.read(api_queries.columns, self.store())
        self.reply({"columns": [{"name": k, "kind": v} for k, v in cols.items()]})


def _store_info(store) -> dict:
    info = query.store_info(store)
    info["token"] = query.change_token(store)
    return info


class StoreHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def get(self):
        info = await self.read(_store_info, self.store())
        info["source"] = self.locator.source()
        info["root_dir"] = self.locator.root_dir
        self.reply(info)


class ChangesHandler(NBTrackHandler):
    """``GET changes?since=TOKEN``: stat calls and one directory listing, no DuckDB."""

    @tornado.web.authenticated
    async def get(self):
        since = self.get_query_argument("since", None)
        token = await self.read(_change_token, self.store())
        self.reply({"token": token, "changed": since != token})


def _change_token(store) -> str:
    """The store's token, plus the execution log's files (a cell run after a run can make it
    stale: the sidebar must re-read the list to show the badge)."""
    token = query.change_token(store)
    if getattr(store, "source", None) is not None:  # the team store: no execution log here
        return token
    try:
        with os.scandir(store.dir / "execlog") as it:
            logs = sorted(f"{e.name}:{e.stat().st_mtime_ns}:{e.stat().st_size}" for e in it if e.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return token
    return f"{token}|{len(logs)}:{hash(tuple(logs))}"


async def _replay(store_dir, run_id: str) -> dict:
    """``nbtrack replay ID --json`` in a child process: the replay starts its own kernel with a
    synchronous jupyter_client, which cannot run inside the server's event loop (nor on one of
    its worker threads), and a child keeps the server responsive for the minutes it may take."""
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nbtrack.cli",
        "--store",
        str(store_dir),
        "replay",
        run_id,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode not in (0, 3):  # 3: replayed, different
        raise tornado.web.HTTPError(
            409,
            (
                err.decode("utf-8", "replace").strip().splitlines()
                or [f"nbtrack: replay of {run_id} failed (exit {proc.returncode})"]
            )[-1],
        )
    res = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    return {
        "original": res["replay_of"],
        "run_id": res["run_id"],
        "same": res["same"],
        "differences": res["differences"],
        "unreproducible": res["unreproducible"],
        "errors": res["errors"],
    }


def _export(store, id_or_prefix: str, folder: str, root: str) -> dict:
    from .. import repro

    run_id = query.resolve_run_id(store, id_or_prefix)
    base = os.path.join(folder, f"replay-{run_id[:10]}")
    path, n = base + ".ipynb", 1
    while os.path.exists(path):  # never overwrite a notebook
        n += 1
        path = f"{base}-{n}.ipynb"
    try:
        nb = repro.export_notebook(run_id, store=store)
    except ValueError as exc:
        raise tornado.web.HTTPError(409, str(exc)) from None
    import nbformat

    # the kernel this server would start for Python (else Lab asks which kernel to use)
    nb.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    )
    nbformat.write(nb, path)
    return {"path": os.path.relpath(path, root).replace(os.sep, "/")}


class ReplayHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str):
        if self.get_query_argument("scope", None) not in (None, "local"):
            raise tornado.web.HTTPError(400, "nbtrack: replay runs a run of the local store (not the team's)")
        store = self.store()
        record = await self.read(query.get_run, store, run_id)  # 404 for an unknown run
        self.reply(await _replay(store.dir, record.run_id))


class ExportNotebookHandler(NBTrackHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str):
        if self.get_query_argument("scope", None) not in (None, "local"):
            raise tornado.web.HTTPError(400, "nbtrack: export a run of the local store (not the team's)")
        store = self.store()
        record = await self.read(query.get_run, store, run_id)
        root = self.locator.root_dir
        rel = self.relative_notebook(record.notebook)
        folder = os.path.join(root, os.path.dirname(rel)) if rel else root
        self.reply(await self.read(_export, store, record.run_id, folder, root))


RUN_ID = r"(?P<run_id>[^/]+)"
ROUTES = [
    (r"runs", RunsHandler),
    (rf"runs/{RUN_ID}", RunHandler),
    (rf"runs/{RUN_ID}/series", SeriesHandler),
    (rf"runs/{RUN_ID}/artifacts/(?P<name>[^/]+)", ArtifactHandler),
    (rf"runs/{RUN_ID}/replay", ReplayHandler),
    (rf"runs/{RUN_ID}/notebook", ExportNotebookHandler),
    (r"experiments", ExperimentsHandler),
    (r"columns", ColumnsHandler),
    (r"store", StoreHandler),
    (r"changes", ChangesHandler),
]


def setup_handlers(web_app, locator) -> None:
    web_app.settings["nbtrack_locator"] = locator
    base = url_path_join(web_app.settings["base_url"], "nbtrack", "api")
    web_app.add_handlers(".*$", [(url_path_join(base, path) + "/?$", handler) for path, handler in ROUTES])
