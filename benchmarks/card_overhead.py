"""What a live run card costs a 1M-step ``nbtrack.log`` loop (moved here from a unit test's
timing assert: figures belong in benchmarks).

    .venv/bin/python benchmarks/card_overhead.py [--steps 1000000] [--reps 2]

Prints the loop's best time without and with a live card and their ratio (goal: < 1.5x + 0.2 s).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time


def loop(store_dir: str, steps: int, with_card: bool) -> float:
    import nbtrack
    from nbtrack.widgets.card import RunCard

    run = nbtrack.start(name="bench", store_path=store_dir)
    run.__enter__()
    card = None
    if with_card:
        card = RunCard(run)
        card.start_live()
    log = nbtrack.log
    t = time.perf_counter()
    for i in range(steps):
        log(loss=i)
    elapsed = time.perf_counter() - t
    run.__exit__(None, None, None)
    if card is not None:
        card.join(timeout=60)
    nbtrack.store(store_dir).flush()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    store_dir = tempfile.mkdtemp(prefix="nbtrack-card-bench-")
    without = min(loop(store_dir, a.steps, False) for _ in range(a.reps))
    with_card = min(loop(store_dir, a.steps, True) for _ in range(a.reps))
    print(
        json.dumps(
            {
                "steps": a.steps,
                "without_card_s": round(without, 3),
                "with_card_s": round(with_card, 3),
                "ratio": round(with_card / without, 2),
                "goal_met": with_card < without * 1.5 + 0.2,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
