"""``nbtrack`` on the command line: look at a store without starting Python or Jupyter.

    nbtrack store                 where the store is and what it holds
    nbtrack runs [-n 20]          the newest runs
    nbtrack show RUN_ID           everything captured for one run (a unique prefix is enough)
    nbtrack compact               move the spool into the DuckDB file now
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nbtrack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="store folder (default: found as in a notebook)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("store", help="where the store is and what it holds")
    runs = sub.add_parser("runs", help="the newest runs")
    runs.add_argument("-n", "--limit", type=int, default=20)
    show = sub.add_parser("show", help="everything captured for one run")
    show.add_argument("run_id")
    sub.add_parser("compact", help="move spool files into the DuckDB file now")
    args = parser.parse_args(argv)

    import pandas as pd

    from .store import StoreError, get_store, query

    store = get_store(args.store)
    try:
        if args.command == "store":
            for key, value in query.store_info(store).items():
                print(f"{key:15} {value}")
        elif args.command == "runs":
            frame = query.runs_frame(store, limit=args.limit)
            with pd.option_context("display.width", 200, "display.max_columns", 12):
                print(frame.to_string(index=False) if len(frame) else "no runs yet")
        elif args.command == "show":
            print(repr(query.get_run(store, args.run_id)))
        elif args.command == "compact":
            print(f"moved {store.compact()} spool files into {store.db_path}")
    except (StoreError, KeyError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
