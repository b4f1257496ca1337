"""The W&B shim's per-call cost against nbtrack's own ``log`` (issue 10's goal: within 2x).

    .venv/bin/python benchmarks/shim_log.py [--points 300000] [--repeats 5]

Each repeat logs one metric per call in a tight loop into a fresh run: ``nbtrack.log(loss=x)``,
``wandb.log({"loss": x})`` and ``run.log({"loss": x})`` through ``nbtrack.wandb``. Prints the
per-call medians and the ratio. Standalone (not part of ``make bench``'s run.py)."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    os.environ["NBTRACK_STORE"] = tempfile.mkdtemp(prefix="nbtrack-shim-bench-")
    import nbtrack
    import nbtrack.wandb as wandb

    n = args.points
    own, shim, shim_run = [], [], []
    for _ in range(args.repeats):
        with nbtrack.start(name="own"):
            log = nbtrack.log
            t = time.perf_counter()
            for _ in range(n):
                log(loss=0.5)
            own.append((time.perf_counter() - t) / n * 1e6)
        run = wandb.init(project="bench", name="shim")
        t = time.perf_counter()
        for _ in range(n):
            wandb.log({"loss": 0.5})
        shim.append((time.perf_counter() - t) / n * 1e6)
        t = time.perf_counter()
        for _ in range(n):
            run.log({"loss": 0.5})
        shim_run.append((time.perf_counter() - t) / n * 1e6)
        wandb.finish()
    a, b, c = (statistics.median(x) for x in (own, shim, shim_run))
    print(f"nbtrack.log        {a:.2f} us/call  (runs: {', '.join(f'{x:.2f}' for x in own)})")
    print(f"wandb.log (shim)   {b:.2f} us/call  (runs: {', '.join(f'{x:.2f}' for x in shim)})  {b / a:.2f}x")
    print(f"run.log (shim)     {c:.2f} us/call  (runs: {', '.join(f'{x:.2f}' for x in shim_run)})  {c / a:.2f}x")
    nbtrack.store().flush()


if __name__ == "__main__":
    main()
