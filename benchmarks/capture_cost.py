"""What capture adds to a cell (issue 9): the SVC cell and a 20-param pipeline cell, tracked
(``%%track -q``) vs untracked, interleaved in one IPython shell, median of the differences.
Also times the capture rules alone (analysis is cached per source; ``extract`` runs per cell).

    .venv/bin/python benchmarks/capture_cost.py [--n 200]

Writes benchmarks/results/capture-cost.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

SETUP = """
from sklearn.datasets import load_iris
from sklearn.svm import SVC
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler, PolynomialFeatures
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = X[::2], X[1::2], y[::2], y[1::2]
"""

CELLS = {
    "trivial cell (`lr = 0.1; acc = lr * 2`: the cost without estimators)": "lr = 0.1\nacc = lr * 2\n",
    "SVC cell (2 params, score as last value)": """
clf = SVC(C=10.0, gamma=0.001)
clf.fit(X_train, y_train)
clf.score(X_test, y_test)
""",
    "20-param pipeline cell": """
pipe = Pipeline([
    ("poly", PolynomialFeatures(degree=2, interaction_only=True, include_bias=False)),
    ("scale", StandardScaler(with_mean=True, with_std=True)),
    ("pca", PCA(n_components=3, whiten=True, svd_solver="full", random_state=0)),
    ("clf", LogisticRegression(C=0.5, penalty="l2", tol=1e-3, max_iter=300, solver="lbfgs",
                               fit_intercept=True, class_weight="balanced", random_state=0,
                               intercept_scaling=2.0, warm_start=True, l1_ratio=None)),
])
pipe.fit(X_train, y_train)
acc = pipe.score(X_test, y_test)
""",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    os.environ["NBTRACK_STORE"] = tempfile.mkdtemp(prefix="nbtrack-capture-bench-")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nbtrack")
    import nbtrack
    from nbtrack.capture import magic

    shell.run_cell(SETUP)
    tracker = next(iter(magic._trackers.values()))
    extract_times: list[float] = []
    original = tracker._extract

    def timed_extract(*a, **kw):
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            extract_times.append(time.perf_counter() - t)

    tracker._extract = timed_extract
    rows = []
    for label, body in CELLS.items():

        def one(src, cid):
            t = time.perf_counter()
            r = shell.run_cell(src, store_history=True, cell_id=cid)
            el = time.perf_counter() - t
            assert r.success, r
            return el

        tracked_src = "%%track -q\n" + body
        for _ in range(10):  # warm-up: analysis cache, writer thread, imports
            one(tracked_src, "t")
            one(body, "p")
        extract_times.clear()
        added, plain = [], []
        for i in range(args.n):
            if i % 2:
                p = one(body, "p")
                t = one(tracked_src, "t")
            else:
                t = one(tracked_src, "t")
                p = one(body, "p")
            added.append(t - p)
            plain.append(p)
        nbtrack.store().flush()
        run = nbtrack.get_run(nbtrack.runs(limit=1).run_id[0])
        rows.append(
            (
                label,
                statistics.median(plain),
                statistics.median(added),
                statistics.median(extract_times),
                len(run.params),
                len(run.metrics),
            )
        )
    # The execution log (issue 12) on an untracked cell: hooks registered vs not, interleaved.
    log_rows = []
    for label, src in (
        ("untracked `x = 1`", "x = 1\n"),
        ("untracked cell naming a watched input (`y = X_train.shape`)", "y = X_train.shape\n"),
    ):
        shell.run_cell("%%track -q\nacc = float(X_train.mean())", cell_id="watch")  # X_train is watched
        on, off = [], []
        for i in range(args.n):
            for enabled in (True, False) if i % 2 else (False, True):
                if not enabled:
                    shell.events.unregister("pre_run_cell", tracker.log_pre)
                    shell.events.unregister("post_run_cell", tracker.log_post)
                t = time.perf_counter()
                shell.run_cell(src, store_history=True, cell_id="u")
                (on if enabled else off).append(time.perf_counter() - t)
                if not enabled:
                    shell.events.register("pre_run_cell", tracker.log_pre)
                    shell.events.register("post_run_cell", tracker.log_post)
        log_rows.append((label, statistics.median(off), statistics.median(on) - statistics.median(off)))
    lines = [
        "# Capture cost (issues 9 and 12)",
        "",
        f"`benchmarks/capture_cost.py --n {args.n}` on {time.strftime('%Y-%m-%d %H:%M')}, load average "
        f"{os.getloadavg()[0]:.1f}; in-process IPython shell, `%%track -q` vs the same cell untracked, "
        "interleaved; medians.",
        "",
        "| cell | untracked | added by `%%track -q` | of which capture rules (`extract`) | params | metrics |",
        "|---|---|---|---|---|---|",
    ]
    for label, p, a, e, n_p, n_m in rows:
        lines.append(f"| {label} | {p * 1e3:.2f} ms | {a * 1e3:.2f} ms | {e * 1e3:.3f} ms | {n_p} | {n_m} |")
    lines += [
        "",
        "Execution log (every cell, tracked or not), hooks on vs off, interleaved; medians:",
        "",
        "| cell | without the log | added by the log |",
        "|---|---|---|",
    ]
    for label, off, added in log_rows:
        lines.append(f"| {label} | {off * 1e3:.3f} ms | {added * 1e3:.3f} ms |")
    text = "\n".join(lines) + "\n"
    out = Path(__file__).parent / "results" / "capture-cost.md"
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
