"""``nbtrack sync`` and ``nbtrack remote ...`` (the team store's commands)."""

from __future__ import annotations

import json
import sys

from .config import RemoteError, display, remote_uri, set_remote


def main(args) -> int:
    from ..store import get_store

    store = get_store(args.store)
    try:
        if args.command == "sync":
            return _sync(store, args)
        return _remote(store, args)
    except RemoteError as exc:
        print(exc, file=sys.stderr)
        return 1


def _sync(store, args) -> int:
    from .push import Pusher
    from .status import team_info

    uri = remote_uri(store.dir)
    if uri is None:
        print(
            "nbtrack: no team store is set; export NBTRACK_REMOTE=postgresql://user@host/db or run "
            "`nbtrack remote set URI`.",
            file=sys.stderr,
        )
        return 1
    store.flush()
    pusher = Pusher(store, uri)
    try:
        runs, points = pusher.push_all()
    finally:
        pusher.close()
    info = team_info(store, fresh=True)
    result = {
        "remote": display(uri),
        "pushed_runs": runs,
        "pushed_points": points,
        "pending_runs": info.get("pending_runs"),
        "pending_points": info.get("pending_points"),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"pushed {runs} runs, {points} points to {display(uri)}; "
            f"{result['pending_runs']} runs, {result['pending_points']} points still waiting "
            "(running runs go on being pushed while they run)"
        )
    return 0


def _remote(store, args) -> int:
    if args.action == "set":
        if not args.value:
            print("usage: nbtrack remote set postgresql://user@host:5432/dbname", file=sys.stderr)
            return 2
        set_remote(store.dir, args.value)
        print(f"team store: {display(args.value)} (kernels using {store.dir} push to it)")
    elif args.action == "unset":
        set_remote(store.dir, None)
        print("team store unset (NBTRACK_REMOTE, if exported, still applies)")
    elif args.action == "show":
        from .status import team_info

        info = team_info(store, fresh=True)
        if not info:
            print("no team store set")
        for key, value in info.items():
            print(f"{key:15} {value}")
    elif args.action == "grant-read":
        from psycopg import Error

        from .connection import connect, reason
        from .schema import grant_reader, migrate

        uri = remote_uri(store.dir)
        if uri is None or not args.value:
            print("usage: nbtrack remote grant-read ROLE (with a team store set)", file=sys.stderr)
            return 2
        with connect(uri, autocommit=True) as con:
            try:
                migrate(con)
                grant_reader(con, args.value)
            except Error as exc:
                print(f"nbtrack: granting read access failed ({reason(exc)})", file=sys.stderr)
                return 1
        print(f"{args.value} may now browse the team store (read only)")
    return 0
