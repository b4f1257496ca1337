"""``nbtrack`` on the command line: look at a store without starting Python or Jupyter.

nbtrack store                 where the store is and what it holds
nbtrack runs [-n 20] [FILTER ...] [--json]   the newest runs ('metrics.acc > 0.9')
nbtrack show RUN_ID [--json]  everything captured for one run (a unique prefix is enough)
nbtrack compact               move the spool into the DuckDB file now
nbtrack tag RUN_ID [TAG ...] [-r TAG]   add / remove tags of an ended run
nbtrack diff A B [--all] [--json]        what differs between two runs
nbtrack report [RUN_ID ...] [-w FILTER] [-n 10] -o report.html   one self-contained HTML report
nbtrack export --to mlflow [--experiment NAME] URI [FILTER ...]   copy runs to MLflow
nbtrack import --from mlflow URI [--experiment NAME]             copy runs from MLflow
nbtrack export --to parquet DIR [FILTER ...]                       one Parquet file per view
nbtrack import --from trackio PATH                               trackio's SQLite databases
nbtrack import --from wandb DIR                                  W&B run folders (offline too)
nbtrack rm [RUN_ID ...] [FILTER ...] [--yes]   delete runs (asks first)
nbtrack gc [--yes]            remove files no run references (asks first)
nbtrack sync [--json]         push what waits to the team store (NBTRACK_REMOTE), print counts
nbtrack remote set URI | unset | show | grant-read ROLE   the team store (PostgreSQL)
nbtrack runs --team / show --team / diff --team            read the team store instead
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nbtrack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="store folder (default: found as in a notebook)")
    sub = parser.add_subparsers(dest="command", required=True)
    store_p = sub.add_parser("store", help="where the store is and what it holds")
    store_p.add_argument("--json", action="store_true", help="print it as JSON")
    runs = sub.add_parser("runs", help="the newest runs")
    runs.add_argument("-n", "--limit", type=int, default=20)
    runs.add_argument("filters", nargs="*", help="conditions as in the run table, e.g. 'metrics.acc > 0.9'")
    runs.add_argument("--json", action="store_true", help="one JSON object per line")
    runs.add_argument("--team", action="store_true", help="the team store's runs (with user, host)")
    show = sub.add_parser("show", help="everything captured for one run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print it as JSON")
    show.add_argument("--team", action="store_true", help="a run of the team store")
    sub.add_parser("compact", help="move spool files into the DuckDB file now")
    diff = sub.add_parser("diff", help="what differs between two runs")
    diff.add_argument("a")
    diff.add_argument("b")
    diff.add_argument("--all", action="store_true", help="also list what is the same")
    diff.add_argument("--json", action="store_true", help="print it as JSON")
    diff.add_argument("--team", action="store_true", help="runs of the team store")
    tag = sub.add_parser("tag", help="add or remove tags of an ended run")
    tag.add_argument("run_id")
    tag.add_argument("tags", nargs="*", help="tags to add")
    tag.add_argument("-r", "--remove", action="append", default=[], help="a tag to remove (repeatable)")
    tag.add_argument("--json", action="store_true", help="print the run's tags as JSON")
    rep = sub.add_parser(
        "report",
        help="one self-contained HTML report of runs",
        description="Write one HTML file (no server, no network) with the run table, "
        "curves, scatters and differences of the runs.",
    )
    rep.add_argument("run_ids", nargs="*", help="run ids or prefixes (default: the newest runs)")
    rep.add_argument(
        "-w",
        "--where",
        action="append",
        default=[],
        help="a filter as in the run table, e.g. 'metrics.acc > 0.9' (repeatable)",
    )
    rep.add_argument("-n", "--limit", type=int, default=10, help="at most this many runs (default 10)")
    rep.add_argument("-o", "--output", default="report.html")
    rep.add_argument("--title")
    export = sub.add_parser(
        "export",
        help="copy runs to MLflow (idempotent) or Parquet files",
        description="Copy runs (those matching the filters) into an MLflow tracking "
        "store (a second export adds nothing), or write one Parquet file "
        "per view into a folder.",
    )
    export.add_argument("--to", required=True, choices=["mlflow", "parquet"], dest="target")
    export.add_argument("uri", help="MLflow tracking URI (e.g. sqlite:///mlflow.db), or a folder for parquet")
    export.add_argument("--experiment", help="MLflow experiment for all runs (default: each run's own)")
    export.add_argument(
        "filters", nargs="*", help="conditions as in the run table, e.g. 'metrics.acc > 0.9' (after URI, options first)"
    )
    export.add_argument("--json", action="store_true", help="print the counts as JSON")
    imp = sub.add_parser(
        "import",
        help="copy runs from MLflow, trackio or W&B folders (idempotent)",
        description="Copy the runs of an MLflow tracking store, of trackio databases or "
        "of W&B run folders into this store; a second import adds nothing.",
    )
    imp.add_argument("--from", required=True, choices=["mlflow", "trackio", "wandb"], dest="source")
    imp.add_argument(
        "uri",
        help="MLflow tracking URI (e.g. sqlite:///mlflow.db), a trackio .db file or "
        "folder, or a W&B run folder / wandb/ folder",
    )
    imp.add_argument("--experiment", help="only this MLflow experiment")
    imp.add_argument("--json", action="store_true", help="print the counts as JSON")
    rp = sub.add_parser("replay", help="re-run a run in a fresh kernel and compare its metrics")
    rp.add_argument("run_id")
    rp.add_argument("--notebook", metavar="PATH", help="also write the cells it needed as a notebook")
    rp.add_argument("--json", action="store_true", help="print the result as JSON")
    rm = sub.add_parser(
        "rm",
        help="delete runs (asks first, or --yes)",
        description="Delete runs and everything logged with them (series, artifacts and "
        "their files). Runs still running are refused. Asks before deleting; "
        "without a terminal it deletes only with --yes.",
    )
    rm.add_argument(
        "run_ids",
        nargs="*",
        metavar="RUN_ID_OR_FILTER",
        help="run ids or unique prefixes; an argument with spaces or operators is a filter "
        "as in 'nbtrack runs' (e.g. 'metrics.acc < 0.5')",
    )
    rm.add_argument(
        "-w",
        "--where",
        action="append",
        default=[],
        help="a filter as in the run table, e.g. 'metrics.acc < 0.5' (repeatable; with ids: only those ids that match)",
    )
    rm.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    rm.add_argument("--json", action="store_true", help="print the counts as JSON")
    gc = sub.add_parser(
        "gc",
        help="remove files no run references (asks first, or --yes)",
        description="Remove artifact files of runs that no longer exist or that no "
        "artifact names, and spool temp files, older than an hour. Asks first; "
        "without a terminal it removes only with --yes.",
    )
    gc.add_argument("-y", "--yes", action="store_true", help="remove without asking")
    gc.add_argument("-n", "--dry-run", action="store_true", help="only list what would be removed")
    gc.add_argument("--json", action="store_true", help="print the counts as JSON")
    sync = sub.add_parser(
        "sync",
        help="push what waits to the team store now, print counts",
        description="Push this store's runs and points that the team store "
        "(NBTRACK_REMOTE or `nbtrack remote set`) lacks; exactly once, "
        "safe from any number of processes at once.",
    )
    sync.add_argument("--json", action="store_true", help="print the counts as JSON")
    remote = sub.add_parser(
        "remote",
        help="set, unset or show the team store (PostgreSQL)",
        description="The team store's URI, e.g. postgresql://alice@db:5432/mlruns, "
        "without a password: libpq finds it (~/.pgpass, PGPASSWORD, a "
        "service file, a client certificate). NBTRACK_REMOTE wins.",
    )
    remote.add_argument("action", choices=["set", "unset", "show", "grant-read"])
    remote.add_argument("value", nargs="?", help="the URI (set) or a role name (grant-read)")
    args = parser.parse_args(argv)
    if args.command in ("sync", "remote"):
        from .team.cli import main as team_main

        return team_main(args)
    if args.command in ("export", "import"):
        return _interop(args)
    if args.command == "replay":
        return _replay(args)

    import pandas as pd

    from .store import StoreError, get_store, query
    from .store.filters import FilterError

    store = get_store(args.store)
    if getattr(args, "team", False):
        from .team import RemoteError, team_store

        try:
            store = team_store()
        except RemoteError as exc:
            print(exc, file=sys.stderr)
            return 1
    try:
        if args.command == "store":
            info = query.store_info(store)
            if args.json:
                print(_json(info))
            else:
                for key, value in info.items():
                    print(f"{key:15} {value}")
        elif args.command == "runs":
            frame = query.runs_frame(
                store,
                filters=args.filters or None,
                limit=args.limit,
                lead=query.RUN_COLUMNS + ["user", "host"] if args.team else None,
            )
            if args.json:
                for row in frame.to_dict(orient="records"):
                    print(_json({k: v for k, v in row.items() if not _missing(v)}))
            else:
                with pd.option_context("display.width", 200, "display.max_columns", 12):
                    from .format import format_number  # the one formatter, as the card and table

                    print(frame.to_string(index=False, float_format=format_number) if len(frame) else "no runs yet")
        elif args.command == "show":
            record = query.get_run(store, args.run_id)
            if args.json:
                import dataclasses

                print(_json(dataclasses.asdict(record)))
            else:
                print(repr(record))
        elif args.command == "report":
            from .html_report import report
            from .interop.select import select_runs

            ids = [query.resolve_run_id(store, r) for r in args.run_ids]
            if args.where or not ids:
                chosen = list(reversed(select_runs(store, args.where)))
                ids = [r for r in chosen if r in ids] if ids else chosen
            ids = ids[: args.limit]
            if not ids:
                print("nbtrack: no runs match", file=sys.stderr)
                return 1
            path = report(ids, args.output, title=args.title, store=store)
            print(f"wrote {path} ({len(ids)} runs)")
        elif args.command == "diff":
            a, b = query.get_run(store, args.a), query.get_run(store, args.b)
            result = _diff(a, b, args.all)
            if args.json:
                print(_json(result))
            else:
                print(f"--- {a.run_id} {a.name or ''}\n+++ {b.run_id} {b.name or ''}")
                for section in ("run", "params", "metrics", "inputs"):
                    for key, (va, vb) in result[section].items():
                        mark = " " if va == vb else "~"
                        print(f"{mark} {section}.{key}: {_short(va)} -> {_short(vb)}")
                if result["source"]:
                    print("\n".join(result["source"]))
        elif args.command == "tag":
            from .interop.rows import RunningRunError, rewrite_run

            record = query.get_run(store, args.run_id)
            tags = [t for t in record.tags if t not in set(args.remove)]
            tags += [t for t in args.tags if t not in tags]
            try:
                rewrite_run(store, record.run_id, tags=tags)
            except RunningRunError as exc:
                print(exc, file=sys.stderr)
                return 1
            store.flush()
            print(_json(tags) if args.json else f"{record.run_id}: {' '.join(tags) or '(no tags)'}")
        elif args.command == "rm":
            return _rm(store, args)
        elif args.command == "gc":
            return _gc(store, args)
        elif args.command == "compact":
            print(f"moved {store.compact()} spool files into {store.db_path}")
    except FilterError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (StoreError, KeyError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _confirm(question: str, yes: bool) -> int | None:
    """None to go ahead; else the exit code: 2 without --yes and no terminal, 1 declined."""
    if yes:
        return None
    if sys.stdin is None or not sys.stdin.isatty():
        print("nbtrack: nothing deleted: pass --yes to delete without a terminal to ask in", file=sys.stderr)
        return 2
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return None
    print("nothing deleted", file=sys.stderr)
    return 1


def _rm(store, args) -> int:
    """nbtrack rm: 0 deleted, 1 not found / running / declined, 2 bad usage or filter."""
    from .store import query
    from .store.cleanup import RunningRunsError, running

    named = [a for a in args.run_ids if a.isalnum()]  # run ids are base32: a filter has spaces or operators
    where = list(args.where) + [a for a in args.run_ids if not a.isalnum()]
    if not named and not where:
        print("nbtrack rm: name runs (ids or prefixes) or filters ('metrics.acc < 0.5')", file=sys.stderr)
        return 2
    ids = list(dict.fromkeys(query.resolve_run_id(store, r) for r in named))
    if where:
        from .interop.select import select_runs

        chosen = select_runs(store, where)
        ids = [r for r in ids if r in set(chosen)] if named else chosen
    if not ids:
        print("nbtrack: no runs match; nothing deleted", file=sys.stderr)
        return 1
    still = running(store, ids)
    if still:
        print(RunningRunsError(still), file=sys.stderr)
        return 1
    frame = query.runs_frame(store, run_ids=ids)
    out = sys.stderr if args.json else sys.stdout
    for row in frame.itertuples():
        print(f"  {row.run_id}  {row.status:11} {row.name or ''}", file=out)
    code = _confirm(f"Delete {len(ids)} run{'s' * (len(ids) != 1)}?", args.yes)
    if code is not None:
        return code
    try:
        counts = store.delete_runs(ids)
    except RunningRunsError as exc:
        print(exc, file=sys.stderr)
        return 1
    from .team import after_rm

    team_line = after_rm(store, ids)  # the team store's copies of runs this store pushed go too
    if args.json:
        print(_json({**counts, "team": team_line}))
    else:
        points = counts["rows"].get("series", 0)
        print(
            f"deleted {_n(counts['runs'], 'run')} ({_n(points, 'point')}, {_n(sum(counts['rows'].values()), 'row')}; "
            f"{_n(counts['files'], 'artifact file')}, {_bytes(counts['bytes'])})"
        )
        if team_line:
            print(team_line)
    return 0


def _gc(store, args) -> int:
    """nbtrack gc: 0 done (or nothing to do), 1 declined, 2 no terminal and no --yes."""
    from .store.cleanup import GRACE_S, garbage, remove

    found = garbage(store)
    total = sum(size for _, size, _ in found)
    out = sys.stderr if args.json else sys.stdout
    for path, size, why in found:
        print(f"  {path.relative_to(store.dir)}  {_bytes(size)}  ({why})", file=out)
    if not found or args.dry_run:
        if args.json:
            print(_json({"files": 0, "bytes": 0, "found": len(found), "found_bytes": total}))
        else:
            if found:
                print(f"{_n(len(found), 'file')} ({_bytes(total)}) no run references; nothing removed (--dry-run)")
            else:
                print(f"nothing to remove: no file older than {GRACE_S / 60:.0f} min that no run references")
        return 0
    code = _confirm(f"Remove {len(found)} files ({_bytes(total)})?", args.yes)
    if code is not None:
        return code
    n, size = remove(store, found)
    if args.json:
        print(_json({"files": n, "bytes": size, "found": len(found), "found_bytes": total}))
    else:
        print(f"removed {_n(n, 'file')} ({_bytes(size)})")
    return 0


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _replay(args) -> int:
    """nbtrack replay ID: exit 0 when the replay gave the same metrics, 3 when not, 1 on error."""
    from .repro import export_notebook, replay
    from .store import StoreError, get_store

    store = get_store(args.store)
    try:
        result = replay(args.run_id, store=store)
        if args.notebook:
            export_notebook(args.run_id, args.notebook, store=store)
    except (ValueError, KeyError, StoreError) as exc:
        print(exc, file=sys.stderr)
        return 1
    out = {
        "replay_of": result.original,
        "run_id": result.run_id,
        "same": result.same,
        "differences": result.differences,
        "unreproducible": result.unreproducible,
        "errors": result.errors,
    }
    if args.json:
        print(_json(out))
    else:
        print(f"{result.original} replayed as {result.run_id}: {'same' if result.same else 'DIFFERENT'}")
        for key, (old, new) in result.differences.items():
            print(f"  {key}: {old} -> {new}")
        for name in result.unreproducible:
            print(f"  cannot re-produce input {name}")
        for err in result.errors:
            print(f"  error: {err}")
    return 0 if result.same else 3


def _diff(a, b, include_same: bool = False) -> dict:
    """Differences of two RunRecords: run fields, params, metrics, inputs (by fingerprint or
    value) and a unified diff of the source."""
    import difflib

    def pairs(da: dict, db: dict) -> dict:
        out = {}
        for key in sorted(set(da) | set(db)):
            va, vb = da.get(key), db.get(key)
            if include_same or va != vb:
                out[key] = (va, vb)
        return out

    fields = ("name", "status", "experiment", "notebook", "cell_id", "duration_s")
    inputs = {k: v.get("fingerprint") or v.get("value") for k, v in a.inputs.items()}
    inputs_b = {k: v.get("fingerprint") or v.get("value") for k, v in b.inputs.items()}
    return {
        "a": a.run_id,
        "b": b.run_id,
        "run": pairs({f: getattr(a, f) for f in fields}, {f: getattr(b, f) for f in fields}),
        "params": pairs(a.params, b.params),
        "metrics": pairs(a.metrics, b.metrics),
        "inputs": pairs(inputs, inputs_b),
        "source": list(
            difflib.unified_diff(
                (a.source or "").splitlines(),
                (b.source or "").splitlines(),
                f"a/{a.run_id}",
                f"b/{b.run_id}",
                lineterm="",
            )
        ),
    }


def _short(value) -> str:
    from .format import format_number

    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    text = format_number(value) if numeric else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _json(obj) -> str:
    """JSON for the terminal: times as ISO text, numpy values as numbers, NaN as null."""
    import datetime as dt
    import json
    import math

    def default(v):
        if isinstance(v, (dt.datetime, dt.date)):
            return v.isoformat()
        if hasattr(v, "isoformat"):  # pandas Timestamp
            return v.isoformat()
        if hasattr(v, "tolist"):  # numpy scalars and arrays
            return v.tolist()
        return str(v)

    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
            return clean(v.tolist())
        return v

    return json.dumps(clean(obj), default=default)


def _interop(args) -> int:
    """export / import: 0 done, 1 the other store or a run could not be used, 2 bad filters."""
    import json

    from .store import StoreError, get_store
    from .store.filters import FilterError

    store = get_store(args.store)
    if args.command == "export" and args.target == "parquet":
        from .interop.parquet import export_to_parquet

        try:
            counts = export_to_parquet(store, args.uri, filters=args.filters)
        except FilterError as exc:
            print(exc, file=sys.stderr)
            return 2
        except (OSError, StoreError) as exc:
            print(f"nbtrack: export to {args.uri} failed: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(counts) if args.json else ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    if args.command == "import" and args.source in ("trackio", "wandb"):
        from .interop import InteropError

        if args.source == "trackio":
            from .interop.trackio_io import import_from_trackio as importer
        else:
            from .interop.wandb_io import import_from_wandb as importer
        try:
            counts = importer(store, args.uri, progress=not args.json)
        except (InteropError, StoreError) as exc:
            print(exc, file=sys.stderr)
            return 1
        print(json.dumps(counts) if args.json else ", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    try:
        from .interop import mlflow_io
    except ImportError:
        print("nbtrack: MLflow is not installed; pip install 'nbtrack[mlflow]'", file=sys.stderr)
        return 1
    try:
        if args.command == "export":
            counts = mlflow_io.export_to_mlflow(
                store, args.uri, experiment=args.experiment, filters=args.filters, progress=not args.json
            )
        else:
            counts = mlflow_io.import_from_mlflow(store, args.uri, experiment=args.experiment, progress=not args.json)
    except FilterError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (mlflow_io.InteropError, StoreError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(counts))
    else:
        print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
