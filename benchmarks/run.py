"""nbtrack benchmarks, side by side with MLflow, Aim, W&B (offline) and trackio: ``make bench`` /
``make bench-quick``.

    .venv/bin/python benchmarks/run.py [--quick] [--only W1,W3,...] [--tools nbtrack,mlflow]

Each measurement is one worker process (w_nbtrack.py in this venv, w_peers.py in
benchmarks/.venv-peers, created here on first use from requirements-peers.txt; trackio, a test
dependency of nbtrack, runs from nbtrack's .venv when the peers' venv lacks it). Repetitions
alternate the tools (A B C D A B C D ...) so machine drift hits all alike. Every figure is the
median over repetitions with the min-max spread; ratios are nbtrack / peer (below 1: nbtrack is
faster). The report goes to benchmarks/results/latest.md and a dated copy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import median  # noqa: E402

PEERS_VENV = HERE / ".venv-peers"
PEERS_REQ = HERE / "requirements-peers.txt"
RESULTS = HERE / "results"
ALL_TOOLS = ["nbtrack", "mlflow", "aim", "wandb", "trackio"]
LABEL = {"nbtrack": "nbtrack", "mlflow": "MLflow", "aim": "Aim", "wandb": "W&B offline", "trackio": "trackio"}
PEERS = ["mlflow", "aim", "wandb", "trackio"]
# Peers that nbtrack's own venv has (test dependencies): run from there if the peers' venv lacks them.
LOCAL_PEERS = ["trackio"]
PEER_PY: dict[str, str] = {}  # tool -> python that runs its workers (default: the peers' venv)

# Sizes and budgets. Quick mode must finish in under 3 minutes once the peers' venv exists.
MODES = {
    "quick": dict(
        reps=2,
        per_run_n=dict(nbtrack=100, mlflow=30, aim=20, wandb=8, trackio=30),
        per_run_cap=1.5,
        spaced_n=0,
        log_n=100_000,
        log_cap=0.5,
        log_goal_n=1_000_000,
        log_goal_reps=1,
        many_n=50,
        fill_cap=dict(mlflow=40, aim=40, wandb=4, trackio=40),
        query_reps=2,
        query_cap=3,
        big_n=10_000,
        big_cap=0,
        goal_small=2_000,
        browser=False,
        compare_steps=100_000,
        kernel_n=10_000,
        kernel_cells=20,
        burst_sizes=(2_000, 20_000),
    ),
    "full": dict(
        reps=3,
        per_run_n=dict(nbtrack=300, mlflow=100, aim=60, wandb=20, trackio=100),
        per_run_cap=5.0,
        spaced_n=12,
        log_n=100_000,
        log_cap=2.0,
        log_goal_n=1_000_000,
        log_goal_reps=3,
        many_n=2_000,
        fill_cap=dict(mlflow=120, aim=120, wandb=20, trackio=120),
        query_reps=2,
        query_cap=15,
        big_n=100_000,
        big_cap=30,
        goal_small=2_000,
        browser=True,
        compare_steps=1_000_000,
        kernel_n=10_000,
        kernel_cells=40,
        burst_sizes=(2_000, 20_000, 100_000),
    ),
}

PEER_ENV = {
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
    "WANDB_DISABLE_GIT": "true",
    "WANDB_DISABLE_CODE": "true",
    "MLFLOW_DISABLE_TELEMETRY": "1",
    "MLFLOW_ENABLE_ASYNC_LOGGING": "false",
    "DO_NOT_TRACK": "1",
    "AIM_UI_TELEMETRY_ENABLED": "0",
    "PYTHONWARNINGS": "ignore",
    "GIT_PYTHON_REFRESH": "quiet",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- environments --------------------------------------------------------------------------


def ensure_peers_venv() -> list[str]:
    """Create/update benchmarks/.venv-peers; return the peers that import there."""
    py = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".requirements.sha256"
    want = hashlib.sha256(PEERS_REQ.read_bytes()).hexdigest()
    if not py.exists():
        log("creating benchmarks/.venv-peers (first run only; a few minutes)")
        base = shutil.which("python3.11") or sys.executable
        subprocess.run([base, "-m", "venv", str(PEERS_VENV)], check=True)
    if not stamp.exists() or stamp.read_text().strip() != want:
        log("installing the peers (pip install -r benchmarks/requirements-peers.txt)")
        r = subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(PEERS_REQ)],
            capture_output=True,
            text=True,
        )
        if r.returncode == 0:
            stamp.write_text(want)
        else:  # go on with whatever installed; the report says which peer is missing
            log("pip install failed for some peers:\n" + r.stderr[-2000:])
    ok = []
    if not py.exists():
        return ok
    for tool in PEERS:
        r = subprocess.run(
            [str(py), "-c", f"import {tool}"], capture_output=True, text=True, env={**os.environ, **PEER_ENV}
        )
        if r.returncode == 0:
            ok.append(tool)
        else:
            log(f"{tool} does not import in the peers' venv: {r.stderr.strip().splitlines()[-1:]}")
    return ok


def local_peers(requested: list[str], peers_ok: list[str]) -> list[str]:
    """LOCAL_PEERS the peers' venv lacks but nbtrack's venv imports: run from sys.executable."""
    out = []
    for tool in LOCAL_PEERS:
        if tool in requested and tool not in peers_ok:
            r = subprocess.run(
                [sys.executable, "-c", f"import {tool}"], capture_output=True, text=True, env={**os.environ, **PEER_ENV}
            )
            if r.returncode == 0:
                PEER_PY[tool] = sys.executable
                out.append(tool)
    return out


def versions(peers: list[str]) -> dict[str, str]:
    out = {}
    code = "import importlib.metadata as m, json, sys; print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))"
    ours = ["nbtrack", "duckdb", "pyarrow", "pandas", "numpy", "ipython"]
    r = subprocess.run([sys.executable, "-c", code, *ours], capture_output=True, text=True)
    out.update(json.loads(r.stdout) if r.returncode == 0 else {})
    by_py: dict[str, list[str]] = {}
    for p in peers:
        by_py.setdefault(PEER_PY.get(p, str(PEERS_VENV / "bin" / "python")), []).append(p)
    for py, tools in by_py.items():
        r = subprocess.run([py, "-c", code, *tools], capture_output=True, text=True)
        out.update(json.loads(r.stdout) if r.returncode == 0 else {})
    return out


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- running workers -----------------------------------------------------------------------


class Runner:
    def __init__(self, work: Path, peers_ok: list[str], deadline: float = float("inf")):
        self.work = work
        self.peers_ok = peers_ok
        self.failures: list[str] = []
        self.skipped: list[str] = []
        self.deadline = deadline
        self._n = 0

    def fresh_dir(self, tag: str) -> Path:
        self._n += 1
        d = self.work / f"{self._n:04d}-{tag}"
        d.mkdir(parents=True)
        return d

    def worker(
        self, tool: str, workload: str, n: int = 0, cap: float = 0.0, store: Path | None = None, timeout: float = 1800
    ) -> dict | None:
        left = self.deadline - time.time()
        if left < 10:
            self.skipped.append(f"{tool} {workload}")
            return None
        timeout = min(timeout, left)
        workdir = self.fresh_dir(f"{tool}-{workload}")
        out = workdir / "result.json"
        env = {**os.environ, **PEER_ENV, "HOME": str(workdir)}
        env.pop("NBTRACK_STORE", None)
        if tool == "nbtrack":
            py, script = (
                sys.executable,
                HERE
                / (
                    "w_browser.py"
                    if workload.startswith("browser")
                    else "w_burst.py"
                    if workload.startswith("burst")
                    else "w_read.py"
                    if workload == "writer_points"
                    else "w_nbtrack.py"
                ),
            )
            env["NBTRACK_STORE"] = str(workdir / ".nbtrack")
        else:
            py, script = PEER_PY.get(tool, str(PEERS_VENV / "bin" / "python")), HERE / "w_peers.py"
            env.update(
                WANDB_DIR=str(workdir),
                WANDB_CONFIG_DIR=str(workdir / ".wandb-config"),
                WANDB_CACHE_DIR=str(workdir / ".wandb-cache"),
                WANDB_DATA_DIR=str(workdir / ".wandb-data"),
            )
        cmd = [
            py,
            str(script),
            "--tool",
            tool,
            "--workload",
            workload,
            "--workdir",
            str(workdir),
            "--out",
            str(out),
            "--n",
            str(n),
            "--cap",
            str(cap),
        ]
        if store is not None:
            cmd += ["--store", str(store)]
        errf = workdir / "stderr.txt"
        with open(errf, "w") as err:
            try:
                r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=workdir, timeout=timeout)
                rc = r.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        if rc == 0 and out.exists():
            res = json.loads(out.read_text())
            if store is None and tool != "nbtrack":
                shutil.rmtree(workdir, ignore_errors=True)  # peers' scratch stores can be large
            return res
        tail = errf.read_text()[-1500:] if errf.exists() else ""
        self.failures.append(f"{tool} {workload} (n={n}): exit {rc}\n{tail}")
        log(f"FAILED {tool} {workload}: exit {rc}: {tail.strip().splitlines()[-1:] if tail else ''}")
        return None

    def kernel_worker(self, n: int, cells: int, gap: float, timeout: float = 600) -> dict | None:
        """benchmarks/w_kernel.py in a fresh scratch folder (workload K)."""
        if self.deadline - time.time() < 10:
            self.skipped.append("nbtrack kernel")
            return None
        workdir = self.fresh_dir("nbtrack-kernel")
        out = workdir / "result.json"
        env = {**os.environ, "HOME": str(workdir)}
        env.pop("NBTRACK_STORE", None)
        cmd = [
            sys.executable,
            str(HERE / "w_kernel.py"),
            "--n",
            str(n),
            "--reps",
            str(cells),
            "--gap",
            str(gap),
            "--out",
            str(out),
            "--work",
            str(workdir),
        ]
        errf = workdir / "stderr.txt"
        with open(errf, "w") as err:
            try:
                rc = subprocess.run(
                    cmd,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=env,
                    cwd=workdir,
                    timeout=min(timeout, self.deadline - time.time()),
                ).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        if rc == 0 and out.exists():
            shutil.rmtree(workdir / "store", ignore_errors=True)
            return json.loads(out.read_text())
        tail = errf.read_text()[-1500:] if errf.exists() else ""
        self.failures.append(f"nbtrack kernel (gap {gap}): exit {rc}\n{tail}")
        return None

    def alternate(self, tools: list[str], reps: int, call) -> dict[str, list[dict]]:
        """call(tool) -> result; tools interleaved: A B C A B C ..."""
        res: dict[str, list[dict]] = {t: [] for t in tools}
        for _ in range(reps):
            for tool in tools:
                r = call(tool)
                if r is not None:
                    res[tool].append(r)
        return res


# -- statistics and formatting ---------------------------------------------------------------


def stat(results: list[dict], key: str):
    xs = [r[key] for r in results if isinstance(r.get(key), (int, float))]
    if not xs:
        return None
    return median(xs), min(xs), max(xs), len(xs)


def fmt_time(s: float) -> str:
    if s != s:
        return "nan"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 120:
        return f"{s / 60:.0f} min"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.3g} µs"
    return f"{s * 1e9:.3g} ns"


def fmt_bytes(b: float) -> str:
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= div:
            return f"{b / div:.3g} {unit}"
    return f"{b:.0f} B"


def fmt_num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


FMT = {"s": fmt_time, "b": fmt_bytes, "n": fmt_num, "c": fmt_num}


def cell(st, kind: str) -> str:
    if st is None:
        return "—"
    m, lo, hi, k = st
    f = FMT[kind]
    if k > 1 and lo != hi:
        return f"{f(m)} ({f(lo)}–{f(hi)})"
    return f(m)


def ratio(a, b, kind: str) -> str:
    if a is None or b is None or not b[0]:
        return "—"
    if kind == "c":  # counts: no ratio
        return ""
    r = a[0] / b[0]
    if kind == "n":  # higher is better (rates): show peer/nbtrack as "x faster"
        return f"{r:.3g} ({r:.3g}x the rate)"
    if r <= 0:
        return f"{r:.3g}"
    if kind == "b":
        return f"{r:.3g} (1/{1 / r:.3g})" if r < 1 else f"{r:.3g} ({r:.3g}x larger)"
    return f"{r:.3g} ({1 / r:.3g}x faster)" if r < 1 else f"{r:.3g} ({r:.3g}x slower)"


class Report:
    def __init__(self, tools: list[str]):
        self.tools = tools
        self.sections: list[str] = []
        self.data: dict = {}

    def table(
        self,
        title: str,
        rows: list[tuple],
        results: dict[str, list[dict]],
        note: str = "",
        per_tool_rows: dict | None = None,
    ) -> None:
        """rows: (label, key, kind) or (label, {tool: key}, kind)."""
        tools = [t for t in self.tools if t in results]
        peers = [t for t in tools if t != "nbtrack"]
        head = ["Measure"] + [LABEL[t] for t in tools] + [f"nbtrack / {LABEL[p]}" for p in peers if "nbtrack" in tools]
        lines = [f"### {title}", ""]
        if note:
            lines += [note, ""]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for label, key, kind, *opt in rows:
            keys = key if isinstance(key, dict) else dict.fromkeys(tools, key)
            sts = {t: stat(results.get(t, []), keys[t]) if keys.get(t) else None for t in tools}
            row = [label] + [cell(sts[t], kind) for t in tools]
            if "nbtrack" in tools:
                row += [ratio(sts["nbtrack"], sts[p], kind) if not opt else "" for p in peers]
            lines.append("| " + " | ".join(row) + " |")
            self.data.setdefault(title, {})[label] = {t: sts[t] for t in tools}
        self.sections.append("\n".join(lines) + "\n")

    def text(self, s: str) -> None:
        self.sections.append(s.rstrip() + "\n")

    def get(self, title: str, label: str, tool: str):
        return self.data.get(title, {}).get(label, {}).get(tool)


# -- workloads -------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and budgets (< 3 minutes)")
    ap.add_argument("--only", default="", help="comma list of W1..W8,K,G (default: all)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma list of tools")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a size or budget of the mode, e.g. --set many_n=500 (Python literal)",
    )
    ap.add_argument("--out", default=str(RESULTS), help="folder for the markdown report")
    ap.add_argument(
        "--budget",
        type=float,
        default=0,
        metavar="MINUTES",
        help="stop starting (and end) measurements after this long; the report says what was skipped",
    )
    args = ap.parse_args()
    mode = "quick" if args.quick else "full"
    cfg = dict(MODES[mode])
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in cfg:
            ap.error(f"--set: unknown key {key!r} (known: {', '.join(cfg)})")
        import ast

        cfg[key] = ast.literal_eval(value)
    custom = ", ".join(args.set)
    only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    want = lambda w: not only or w in only  # noqa: E731
    started = time.time()
    t_start = dt.datetime.now(dt.timezone.utc)
    mach = machine()

    requested = [t for t in args.tools.split(",") if t in ALL_TOOLS]
    peers_ok = ensure_peers_venv() if any(t in PEERS and t not in LOCAL_PEERS for t in requested) else []
    if any(t in LOCAL_PEERS for t in requested) and not peers_ok and (PEERS_VENV / "bin" / "python").exists():
        peers_ok = ensure_peers_venv()
    peers_ok += local_peers(requested, peers_ok)
    tools = [t for t in requested if t == "nbtrack" or t in peers_ok]
    missing = [t for t in requested if t not in tools]
    vers = versions([t for t in peers_ok if t in tools])
    log(f"mode {mode}; tools {tools}; versions {vers}")

    work = Path(tempfile.mkdtemp(prefix="nbtrack-bench-"))
    run = Runner(work, peers_ok, started + 60 * args.budget if args.budget else float("inf"))
    rep = Report(tools)
    reps = cfg["reps"]
    notes: list[str] = []
    goal_res: dict[str, list[dict]] = {}
    try:
        # W1: import + first run ready ------------------------------------------------------
        if want("W1"):
            log("W1 import + first run")
            res = run.alternate(tools, reps, lambda t: run.worker(t, "first_run"))
            rep.table(
                "W1. Import and first run ready (fresh process, fresh store)",
                [
                    ("import (nbtrack: `%load_ext nbtrack`)", "import_s", "s"),
                    ("import + first run finished", "first_run_s", "s"),
                    ("nbtrack: ... + first run spooled to disk", {"nbtrack": "until_spooled_s"}, "s"),
                ],
                res,
                note="nbtrack: an IPython `InteractiveShell` exists (as in any kernel); then "
                "`%load_ext nbtrack` and the first `%%track` cell (10 literal params, 5 scalar "
                "outputs). Peers: `import` + open the store + one run with 10 params and 5 "
                "metrics (MLflow creates its sqlite schema on first use, Aim its repo).",
            )

        # W2: one run --------------------------------------------------------------------------
        if want("W2"):
            log("W2 one run: 10 params + 5 metrics")
            res = run.alternate(
                tools,
                reps,
                lambda t: run.worker(
                    t, "per_run", n=cfg["per_run_n"][t], cap=cfg["spaced_n"] if t == "nbtrack" else cfg["per_run_cap"]
                ),
            )
            rep.table(
                "W2. One run: start, 10 params, 5 final metrics, end",
                [
                    ("per run (nbtrack: whole `%%track` cell)", "per_run_s", "s"),
                    ("per run, p95", "per_run_p95_s", "s"),
                    ("nbtrack: same cell untracked", {"nbtrack": "untracked_s"}, "s"),
                    (
                        "tracking cost per run (nbtrack: tracked − untracked)",
                        {
                            "nbtrack": "added_s",
                            "mlflow": "per_run_s",
                            "aim": "per_run_s",
                            "wandb": "per_run_s",
                            "trackio": "per_run_s",
                        },
                        "s",
                    ),
                    ("nbtrack, cells 0.6 s apart: tracked − untracked", {"nbtrack": "spaced_added_s"}, "s"),
                    ("runs timed per repetition", "n", "c"),
                ],
                res,
                note="nbtrack: `shell.run_cell(src)` in a real IPython shell, tracked and untracked "
                "cells interleaved back to back; the ratio row that counts is the tracking cost "
                "(a peer's per-run time is all tracking cost). Back to back, the writer thread's "
                'work for earlier cells competes with the next cell for the GIL; the "0.6 s '
                'apart" row (full mode) spaces the cells as a person would. Each repetition '
                "is a fresh process after warm-up runs.",
            )

        # K: %%track on the path JupyterLab takes (issue 14) ------------------------------------
        if want("K") and "nbtrack" in tools:
            log(f"K %%track in a real kernel, execute requests with metadata.cellId, {cfg['kernel_n']:,} runs")
            res = {}
            for gap in (0.0, 0.1):
                res[gap] = [
                    r for r in (run.kernel_worker(cfg["kernel_n"], cfg["kernel_cells"], gap) for _ in range(reps)) if r
                ]
            for gap, label in ((0.0, "back to back"), (0.1, "0.1 s apart")):
                rep.table(
                    f"K. `%%track` in a real kernel as JupyterLab runs it ({label})",
                    [
                        ("untracked cell, kernel side", "untracked_kernel_s", "s"),
                        (
                            "`%%track` added, kernel side (median of per-repetition differences)",
                            "track_added_kernel_s",
                            "s",
                        ),
                        ("... p90", "track_added_kernel_s_p90", "s"),
                        ("`%%track -q` added, kernel side", "track_q_added_kernel_s", "s"),
                        ("... p90", "track_q_added_kernel_s_p90", "s"),
                        ("`%%track` added, client round trip", "track_added_round_trip_s", "s"),
                        ("`%%track -q` added, client round trip", "track_q_added_round_trip_s", "s"),
                        ("`%%track`: nbtrack's hooks, wall time in the kernel", "track_hooks_wall_s", "s"),
                        ("... main thread CPU time", "track_hooks_cpu_s", "s"),
                        ("`%%track -q`: nbtrack's hooks, wall time in the kernel", "track_q_hooks_wall_s", "s"),
                        ("... main thread CPU time", "track_q_hooks_cpu_s", "s"),
                    ],
                    {"nbtrack": res[gap]},
                    note=f"`benchmarks/w_kernel.py`: an IPython kernel started by `jupyter_client`, a store "
                    f"already holding {cfg['kernel_n']:,} runs of the same notebook, `lr = 0.1; acc = lr * 2` "
                    "untracked, under `%%track` and under `%%track -q`, rotating, each execute request "
                    "with a fresh `metadata.cellId` (the first execution of a cell, as JupyterLab and "
                    f"Notebook 7 send it), {cfg['kernel_cells']} cells per condition per kernel, one kernel "
                    "per repetition. Kernel side = reply `date` − reply `metadata.started` (ipykernel's "
                    "stamps). Back to back, work nbtrack leaves for later (the writer thread, the card "
                    "thread) competes with the next cell whatever it is; 0.1 s apart it falls in idle time.",
                )
                goal_res[f"kernel_{gap}"] = res[gap]

        # W3: 100k single-point log calls ------------------------------------------------------
        if want("W3"):
            log("W3 100k log calls")
            res = run.alternate(
                tools,
                reps,
                lambda t: run.worker(t, "log_calls", n=cfg["log_n"], cap=0 if t == "nbtrack" else cfg["log_cap"]),
            )
            rep.table(
                f"W3. {cfg['log_n']:,} single-point log calls in one run",
                [
                    ("per call (caller's wall time)", "per_call_s", "s"),
                    ("per call, until stored", "per_call_stored_s", "s"),
                    (
                        "MLflow async (`synchronous=False`) per call",
                        {"nbtrack": "per_call_s", "mlflow": "async_per_call_s"},
                        "s",
                    ),
                    (
                        "MLflow async per call, until stored",
                        {"nbtrack": "per_call_stored_s", "mlflow": "async_per_call_stored_s"},
                        "s",
                    ),
                    ("batch: per point", "batch_per_point_s", "s"),
                    ("batch: per point, until stored", "batch_per_point_stored_s", "s"),
                    (
                        "per-call calls made (peers stop at the time cap)",
                        {"nbtrack": "n", "mlflow": "calls", "aim": "calls", "wandb": "calls", "trackio": "calls"},
                        "c",
                    ),
                    (
                        "batch points logged",
                        {
                            "nbtrack": "n",
                            "mlflow": "batch_points",
                            "aim": "batch_points",
                            "wandb": "batch_points",
                            "trackio": "batch_points",
                        },
                        "c",
                    ),
                ],
                res,
                note=f"Per call: `nbtrack.log(loss=x)` in a loop inside a `%%track` cell, "
                f"`mlflow.log_metric`, Aim `run.track`, `wandb.log`, `trackio.log` — each with a new step. "
                f'"Until stored" adds the end of the run and the wait until the points are on '
                f"disk (nbtrack: spool files; MLflow async: `flush_async_logging`). Batch: MLflow "
                f"`log_batch` with 1,000 points per call; nbtrack, Aim, W&B and trackio have no multi-step "
                f"batch call, so their batch row is one call per step with 5 metrics. Peers stop "
                f"after {cfg['log_cap']:g} s per variant: their figures are per call over the "
                f"calls they made.",
            )

        # G: nbtrack's own goals (issue 2, section 6), before the long peer phases ---------------
        big = cfg["big_n"]
        nb_big: dict[str, list[dict]] = {}

        def nbtrack_big() -> list[dict]:
            """nbtrack at big_n runs: bulk fill + queries (memoised; used by G and W5)."""
            if "res" not in nb_big:
                nb_big["res"] = []
                log(f"nbtrack at {big:,} runs (bulk-filled store)")
                store = run.fresh_dir("store-big") / "store"
                f = run.worker("nbtrack", "fill_bulk", n=big, store=store)
                if f:
                    q = [
                        r
                        for r in (run.worker("nbtrack", "query", n=big, store=store) for _ in range(cfg["query_reps"]))
                        if r
                    ]
                    f["disk_per_run_b"] = f["disk_bytes"] / max(1, f["runs"])
                    nb_big["res"] = [{**f, **r} for r in q] or [f]
                    goal_res["q_big"] = q
                    goal_res["table"] = [
                        r
                        for r in (run.worker("nbtrack", "table", n=big, store=store) for _ in range(cfg["query_reps"]))
                        if r
                    ]
                    nb_big["store"] = store  # kept for W6 in the browser; removed after it
                else:
                    shutil.rmtree(store, ignore_errors=True)
            return nb_big["res"]

        if want("G") and "nbtrack" in tools:
            log(f"G nbtrack.log in a {cfg['log_goal_n']:,}-step loop")
            goal_res["log1m"] = [
                r
                for r in (run.worker("nbtrack", "log_calls", n=cfg["log_goal_n"]) for _ in range(cfg["log_goal_reps"]))
                if r
            ]
            size = cfg["goal_small"]
            log(f"G nbtrack.runs() at {size:,} runs (bulk-filled store)")
            store = run.fresh_dir(f"goal-{size}") / "store"
            if run.worker("nbtrack", "fill_bulk", n=size, store=store):
                goal_res["q_small"] = [
                    r
                    for r in (run.worker("nbtrack", "query", n=size, store=store) for _ in range(cfg["query_reps"]))
                    if r
                ]
            shutil.rmtree(store, ignore_errors=True)
            nbtrack_big()

        # W4: N runs: fill, query, disk --------------------------------------------------------
        many = cfg["many_n"]
        stores: dict[str, Path] = {}
        if want("W4") or want("W5"):
            log(f"W4 fill {many:,} runs per tool")
            fills: dict[str, list[dict]] = {}
            for t in tools:
                stores[t] = run.fresh_dir(f"store-{t}") / "store"
                stores[t].mkdir()
                if t == "nbtrack":
                    r = run.worker(t, "fill_api", n=many, store=stores[t])
                else:
                    r = run.worker(t, "fill", n=many, cap=cfg["fill_cap"][t], store=stores[t])
                fills[t] = [r] if r else []
                log(f"  {t}: {r and {k: round(v, 3) for k, v in r.items() if isinstance(v, (int, float))}}")
            qtools = [t for t in tools if t != "wandb" and fills.get(t) and fills[t][0].get("runs")]
            short = {t: fills[t][0]["runs"] for t in qtools if fills[t][0]["runs"] < many}
            if short:
                notes.append(
                    "W4: stopped by the time cap before {:,} runs, so queried at the size "
                    "reached (their query figures are then for fewer runs): ".format(many)
                    + ", ".join(f"{LABEL[t]} {n:,} runs" for t, n in short.items())
                    + "."
                )
            log(f"W4 queries over {many:,} runs: {qtools}")
            qres = run.alternate(
                qtools,
                cfg["query_reps"],
                lambda t: run.worker(t, "query", n=many, store=stores[t], cap=cfg["query_cap"]),
            )
            for t in tools:
                for r in fills.get(t, []):
                    if t == "wandb":
                        r["disk_per_run_b"] = r["disk_bytes"] / max(1, r["runs"])
                        r["disk_extrapolated_b"] = r["disk_per_run_b"] * many
            merged = {t: fills.get(t, []) for t in tools}
            rep.table(
                f"W4. {many:,} runs (10 params, 5 metrics, a {100}-step series each)",
                [
                    ("write the runs: runs per second", "runs_per_s", "n"),
                    ("runs written (peers stop at their time cap)", "runs", "c"),
                    (
                        "store size on disk",
                        {
                            "nbtrack": "disk_bytes",
                            "mlflow": "disk_bytes",
                            "aim": "disk_bytes",
                            "wandb": "disk_extrapolated_b",
                            "trackio": "disk_bytes",
                        },
                        "b",
                    ),
                ],
                merged,
                note="Written with each tool's own API, one run after the other: nbtrack `Run` "
                "(begin, 100 `log` points, end with 5 metrics) then compaction; MLflow "
                "`create_run` + one `log_batch` + `set_terminated`; Aim `Run` + `track` + "
                "`close`, then indexing the runs so the SDK can query them (Aim's UI server does "
                "that in the background); W&B offline and trackio `init` + `log` + `finish` "
                "(trackio: final metrics as a last `log`, CPU/GPU sampling off). W&B's size is "
                "extrapolated from the runs written within its cap.",
            )
            rep.table(
                f"W4. Queries over {many:,} runs",
                [
                    ("all runs into a pandas DataFrame (warm)", "frame_s", "s"),
                    ("... first call in a fresh process", "frame_first_s", "s"),
                    ("series of 10 runs (warm)", "series10_s", "s"),
                    ("... series, first call in a fresh process", "series10_first_s", "s"),
                    ("runs in the store", "rows", "c"),
                    ("DataFrame columns", "columns", "c"),
                ],
                qres,
                note="nbtrack `nbtrack.runs()` and `nbtrack.series(ids, key)`; MLflow "
                "`search_runs` and `get_metric_history` per run; Aim "
                "`query_runs(...).dataframe()` joined with `query_metrics(...).dataframe(only_last=True)` "
                "and `query_metrics` for the series; trackio (no run table with final metrics in its "
                "API) its `SQLiteStorage`: `get_run_records` + `get_all_run_configs` + "
                "`get_logs_batch` (last value per key) and `get_logs` per run for the series. "
                "W&B offline has no query API (`wandb.Api` "
                "needs a server), so it has no figures here. Peers repeat a call warm only while "
                f"one more fits in {cfg['query_cap']:g} s (so a very slow query has no warm figure).",
            )
            if any(t not in qtools for t in tools if t != "wandb"):
                notes.append(
                    "W4 queries skipped for: "
                    + ", ".join(t for t in tools if t != "wandb" and t not in qtools)
                    + " (fill failed)."
                )

        # W5: 100k runs -------------------------------------------------------------------------
        if want("W5"):
            log(f"W5 {big:,} runs")
            res5: dict[str, list[dict]] = {t: [] for t in tools}
            if "nbtrack" in tools:
                res5["nbtrack"] = nbtrack_big()
            for t in ("mlflow", "aim"):
                if t in tools and t in stores and cfg["big_cap"]:
                    log(f"  {t}: adding runs towards {big:,} for {cfg['big_cap']} s")
                    f = run.worker(t, "fill", n=big, cap=cfg["big_cap"], store=stores[t])
                    if f:
                        f["extrapolated_s"] = (big - f["runs"]) / f["runs_per_s"] if f["runs_per_s"] else float("nan")
                        f["disk_per_run_b"] = f["disk_bytes"] / max(1, f["runs"])
                        row = dict(f)
                        if t == "mlflow":
                            q = run.worker(t, "query", store=stores[t])
                            if q:
                                row.update({k: v for k, v in q.items() if k in ("frame_first_s", "series10_first_s")})
                        res5[t] = [row]
            rep.table(
                f"W5. {big:,} runs",
                [
                    (
                        "runs in the store (peers: where they stopped)",
                        {"nbtrack": "rows", "mlflow": "runs", "aim": "runs"},
                        "c",
                    ),
                    ("all runs into a DataFrame (warm)", {"nbtrack": "frame_s"}, "s", False),
                    ("... first call in a fresh process (peers: at the size reached)", "frame_first_s", "s", False),
                    ("series of 10 runs (warm)", {"nbtrack": "series10_s"}, "s", False),
                    (
                        "... series, first call in a fresh process (peers: at the size reached)",
                        "series10_first_s",
                        "s",
                        False,
                    ),
                    ("store size on disk", "disk_bytes", "b", False),
                    ("store size per run", "disk_per_run_b", "b"),
                    (
                        "peers: rate while adding runs (runs/s)",
                        {"mlflow": "runs_per_s", "aim": "runs_per_s"},
                        "n",
                        False,
                    ),
                    (
                        f"peers: projected time to reach {big:,} runs",
                        {"mlflow": "extrapolated_s", "aim": "extrapolated_s"},
                        "s",
                        False,
                    ),
                ],
                {t: v for t, v in res5.items() if t != "wandb"},
                note=(
                    "nbtrack's store is filled in bulk through its writer (the rows a `%%track` "
                    "cell writes, 25,000 runs per spool batch) and compacted. "
                    + (
                        f"Peers continue from their W4 store for {cfg['big_cap']} s and stop there; "
                        "MLflow is then queried once at that size, Aim is not (its DataFrame at "
                        "2,000 runs already takes many seconds). W&B is not continued (no query API "
                        "offline; its write rate is in W4)."
                        if cfg["big_cap"]
                        else "Quick mode: the peers are not run at this size."
                    )
                ),
            )

        # W6: the run table and compare view in headless Chromium; compare data kernel side ---
        if want("W6") and "nbtrack" in tools:
            have_browser = shutil.which("chromium") and _has_playwright()
            if cfg["browser"] and not have_browser:
                notes.append(
                    "W6 in the browser skipped: chromium or playwright missing "
                    "(`make chromium`; playwright comes with the test extras)."
                )
            if cfg["browser"] and have_browser:
                nbtrack_big()
                if nb_big.get("store"):
                    log(f"W6 run table in headless Chromium at {big:,} runs")
                    goal_res["browser"] = [
                        r for r in [run.worker("nbtrack", "browser", n=big, store=nb_big["store"], timeout=300)] if r
                    ]
            steps = cfg["compare_steps"]
            log(f"W6 compare view data for 10 runs x {steps:,} steps")
            store = run.fresh_dir("store-series") / "store"
            goal_res["compare"] = [r for r in [run.worker("nbtrack", "fill_series", n=steps, store=store)] if r]
            if goal_res["compare"] and cfg["browser"] and have_browser:
                log("W6 compare view in headless Chromium")
                r = run.worker("nbtrack", "browser_compare", n=steps, store=store, cap=240, timeout=420)
                if r:
                    goal_res.setdefault("browser", [{}])
                    goal_res["browser"][0].update(r)
            shutil.rmtree(store, ignore_errors=True)
        if nb_big.get("store"):
            shutil.rmtree(nb_big["store"], ignore_errors=True)

        if goal_res.get("browser"):
            rep.table(
                f"W6. The run table in JupyterLab, headless Chromium, {big:,} runs",
                [
                    ("first paint: run `nbtrack.table()` until its first rows show", "first_paint_s", "s"),
                    (
                        "sort round trip: click a header until the first row changes (median of 5)",
                        "sort_round_trip_s",
                        "s",
                    ),
                    (
                        "... slowest of the 5 (the first sort may wait for the table's cache)",
                        "sort_round_trip_max_s",
                        "s",
                    ),
                    (
                        f"compare view, 10 runs x {cfg['compare_steps']:,} steps: run `nbtrack.compare(ids)` until its curves show",
                        "compare_paint_s",
                        "s",
                    ),
                ],
                {"nbtrack": goal_res["browser"]},
                note="A real JupyterLab server and kernel, Playwright driving Debian's Chromium; "
                "`import nbtrack` ran in an earlier cell. One repetition each (a new server "
                "each): browser figures are single measurements.",
            )
        if goal_res.get("table"):
            rep.table(
                f"W6 (kernel side). The run table widget at {big:,} runs",
                [
                    ("import the widget module (ipywidgets, anywidget)", "widget_import_s", "s"),
                    ("`nbtrack.table()` + first page of 50 rows (straight from the store)", "first_page_s", "s"),
                    ("build of the table's cache (background, after the first page)", "cache_build_s", "s"),
                    ("sort round trip: a sorted page of 50 (kernel side)", "sort_page_s", "s"),
                    ("filter + sort round trip (kernel side)", "filter_sort_page_s", "s"),
                ],
                {"nbtrack": goal_res["table"]},
                note="The kernel's share of workload 6, measured by calling the widget's request "
                "handlers in a fresh process; the browser's share (Arrow decode, layout, paint "
                "in headless Chromium) is not measured yet.",
            )
        if goal_res.get("compare"):
            rep.table(
                f"W6 (kernel side). Compare view data, 10 runs x {cfg['compare_steps']:,} steps",
                [
                    ("write the 10 runs' points (bulk through the writer) and compact", "fill_s", "s"),
                    ("import the charts module (Altair), first compare in a kernel", "charts_import_s", "s"),
                    (
                        "`compare_payload` for the 10 runs (downsampled curves, scatter, tables), first call",
                        "compare_payload_s",
                        "s",
                    ),
                    ("... second call", "compare_payload_again_s", "s"),
                    ("store size on disk", "disk_bytes", "b"),
                ],
                {"nbtrack": goal_res["compare"]},
                note="What the kernel does when `nbtrack.compare(ids)` is shown; the browser "
                "figure is in the W6 Chromium table (full mode).",
            )

        # W7: bursts of runs (issue 13): read your writes, spool lag under a burst ---------------
        if want("W7") and "nbtrack" in tools:
            sizes = cfg["burst_sizes"]
            log(f"W7 bursts of {', '.join(f'{n:,}' for n in sizes)} runs")
            same = {n: run.worker("nbtrack", "burst_same", n=n, timeout=600) for n in sizes if n <= 20_000}
            other = {n: run.worker("nbtrack", "burst_other", n=n, cap=180, timeout=600) for n in sizes}
            lines = [
                "### W7. Bursts of runs: what readers see (issue 13)",
                "",
                "Runs made in a loop (`with nbtrack.start(...)`, 10 params and one logged point "
                "each). Same process: `nbtrack.runs()` right after the loop. Other process: "
                "polls the store every 0.2 s while the loop's process stays alive; \"largest "
                'unseen age" is the oldest finished run a poll did not see (what a `kill -9` '
                "then would lose; the goal is about 1 s), lower bound by 1/200 of the burst.",
                "",
                "| runs | loop (runs/s) | same process: 1st `runs()` (rows) | 2nd | other "
                "process: all visible after the loop | largest unseen age | runs per spool file "
                "| other process's reads during the burst: median, slowest |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for n in sizes:
                a, b = same.get(n) or {}, other.get(n) or {}
                first = f"{fmt_time(a['read1_s'])} ({a['read1_rows']:,})" if a else "—"
                lines.append(
                    " | ".join(
                        [
                            f"| {n:,}",
                            fmt_num(b.get("loop_runs_per_s") or a.get("loop_runs_per_s") or float("nan")),
                            first,
                            fmt_time(a["read2_s"]) if a else "—",
                            fmt_time(b["all_visible_after_loop_s"]) if b else "—",
                            fmt_time(b["max_unseen_age_s"]) if b else "—",
                            fmt_num(b["runs_per_spool_file"]) if b else "—",
                            f"{fmt_time(b['read_median_s'])}, {fmt_time(b['read_max_s'])}" if b else "—",
                        ]
                    )
                    + " |"
                )
            rep.text("\n".join(lines))
        # W8: the writer's drain path: buffered points -> Arrow -> spool file (issue 13) -----------
        if want("W8") and "nbtrack" in tools:
            n = 1_000_000 if mode == "quick" else 5_000_000
            log(f"W8 writer: {n:,} buffered points into the spool")
            goal_res["writer_points"] = [r for r in [run.worker("nbtrack", "writer_points", n=n, timeout=600)] if r]
            if goal_res["writer_points"]:
                rep.table(
                    f"W8. The writer's drain path, {n:,} points of one run",
                    [
                        ("`run.log` calls per second (caller's time, points buffered)", "log_calls_per_s", "n"),
                        ("one pass: points -> Arrow -> spool file", "drain_to_spool_s", "s"),
                        ("points per second into the spool", "points_per_s_into_spool", "n"),
                    ],
                    {"nbtrack": goal_res["writer_points"]},
                    note="benchmarks/w_read.py writer_points: the writer thread held off while the "
                    "points are logged, then one timed pass (goal: >= 5M points/s).",
                )
        goals = goal_rows(rep, goal_res, cfg, tools)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    if run.skipped:
        notes.append(f"Skipped for the --budget of {args.budget:g} min: " + ", ".join(run.skipped) + ".")
    elapsed = time.time() - started
    md = render(mode, mach, vers, missing, rep, goals, notes, run.failures, elapsed, t_start, cfg, custom)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = t_start.strftime("%Y-%m-%d-%H%M")
    name = f"{stamp}-{mode}{'-custom' if custom else ''}.md"
    (out / name).write_text(md)
    (out / "latest.md").write_text(md)
    (out / "latest.json").write_text(
        json.dumps(
            {
                "mode": mode,
                "started": t_start.isoformat(),
                "elapsed_s": elapsed,
                "machine": mach,
                "versions": vers,
                "tables": rep.data,
                "goals": goals,
                "failures": run.failures,
            },
            indent=1,
            default=str,
        )
    )
    log(f"done in {elapsed:.0f} s; wrote {out / 'latest.md'} and {name}")
    print(md)
    return 0


def _has_playwright() -> bool:
    import importlib.util

    return importlib.util.find_spec("playwright") is not None


def goal_rows(rep: Report, g: dict, cfg: dict, tools: list[str]) -> list[dict]:
    rows = []

    def add(goal, target, st, ok, kind="s", note=""):
        rows.append(
            {
                "goal": goal,
                "target": target,
                "measured": cell(st, kind) if st else "not measured",
                "met": ("yes" if ok else "**no**") if st else "—",
                "note": note,
            }
        )

    w2 = rep.get(
        "W2. One run: start, 10 params, 5 final metrics, end",
        "tracking cost per run (nbtrack: tracked − untracked)",
        "nbtrack",
    )
    add(
        "`%%track` added wall time per cell (10 literal params, 5 scalar outputs)",
        "≤ 2 ms median",
        w2,
        w2 and w2[0] <= 2e-3,
    )
    st = stat(g.get("log1m", []), "per_call_s")
    add(
        f"`nbtrack.log` per call, {cfg['log_goal_n']:,}-step loop (caller's time)",
        "≤ 1 µs",
        st,
        st and st[0] <= 1e-6,
        note="incl. the Python loop; a bare no-op call costs "
        + (fmt_time(stat(g["log1m"], "noop_call_s")[0]) if st else "?"),
    )
    st2 = stat(g.get("log1m", []), "per_call_stored_s")
    add("... amortised until on disk (cell end + spool flush)", "≤ 1 µs", st2, st2 and st2[0] <= 1e-6)
    for which, size, target in (("q_small", cfg["goal_small"], 0.020), ("q_big", cfg["big_n"], 0.5)):
        q = g.get(which, [])
        extra = " (quick mode; the goal is set for 100,000)" if size != 100_000 and which == "q_big" else ""
        st = stat(q, "frame_s")
        add(f"`nbtrack.runs()` with {size:,} runs (warm){extra}", f"≤ {fmt_time(target)}", st, st and st[0] <= target)
        st = stat(q, "frame_first_s")
        add("... first call in a fresh process", f"(≤ {fmt_time(target)})", st, st and st[0] <= target)
    st = stat(g.get("browser", []), "first_paint_s")
    if st:
        add(f"run table first paint at {cfg['big_n']:,} runs (headless Chromium)", "≤ 1 s", st, st[0] <= 1.0)
    else:
        st = stat(g.get("table", []), "first_page_s")
        add(
            f"run table first page at {cfg['big_n']:,} runs, kernel side only (the goal is first paint)",
            "≤ 1 s",
            st,
            st and st[0] <= 1.0,
            note="browser part not measured",
        )
    for key, row, target in (
        ("track_added_kernel_s", "`%%track` (card)", 2e-3),
        ("track_q_added_kernel_s", "`%%track -q`", 1e-3),
    ):
        st = stat(g.get("kernel_0.1", []), key)
        add(
            f"{row} added kernel time, JupyterLab path (cellId, first execution, "
            f"{cfg['kernel_n']:,} runs, cells 0.1 s apart)",
            f"≤ {fmt_time(target)} median",
            st,
            st and st[0] <= target,
        )
        st = stat(g.get("kernel_0.0", []), key)
        add("... back to back", f"(≤ {fmt_time(target)})", st, st and st[0] <= target)
    st = stat(g.get("writer_points", []), "points_per_s_into_spool")
    add("writer: buffered points into the spool (W8)", "≥ 5M/s", st, st and st[0] >= 5e6, kind="n")
    st = stat(g.get("compare", []), "compare_payload_s")
    add(
        f"compare 10 runs x {cfg['compare_steps']:,} steps, kernel side, first call", "≤ 0.3 s", st, st and st[0] <= 0.3
    )
    w1 = rep.get(
        "W1. Import and first run ready (fresh process, fresh store)",
        "import (nbtrack: `%load_ext nbtrack`)",
        "nbtrack",
    )
    add("`import nbtrack` + `%load_ext nbtrack`", "≤ 0.3 s", w1, w1 and w1[0] <= 0.3)
    # issue 6 ratio goals vs MLflow
    if "mlflow" in tools:
        t2 = "W2. One run: start, 10 params, 5 final metrics, end"
        lab = "tracking cost per run (nbtrack: tracked − untracked)"
        a, b = rep.get(t2, lab, "nbtrack"), rep.get(t2, lab, "mlflow")
        ratio_goal(add, "per run vs MLflow", 20, a, b)
        t3 = f"W3. {cfg['log_n']:,} single-point log calls in one run"
        a, b = (
            rep.get(t3, "per call (caller's wall time)", "nbtrack"),
            rep.get(t3, "per call (caller's wall time)", "mlflow"),
        )
        ratio_goal(add, "per logged point vs MLflow `log_metric`", 1000, a, b)
        t4 = f"W4. Queries over {cfg['many_n']:,} runs"
        a, b = (
            rep.get(t4, "all runs into a pandas DataFrame (warm)", "nbtrack"),
            rep.get(t4, "all runs into a pandas DataFrame (warm)", "mlflow"),
        )
        ratio_goal(add, f"{cfg['many_n']:,}-run DataFrame vs MLflow `search_runs` (warm)", 50, a, b)
        a, b = (
            rep.get(t4, "... first call in a fresh process", "nbtrack"),
            rep.get(t4, "... first call in a fresh process", "mlflow"),
        )
        ratio_goal(add, "... first call in a fresh process", 50, a, b)
        t4w = f"W4. {cfg['many_n']:,} runs (10 params, 5 metrics, a 100-step series each)"
        a, b = rep.get(t4w, "store size on disk", "nbtrack"), rep.get(t4w, "store size on disk", "mlflow")
        if a and b:
            r = a[0] / b[0]
            rows.append(
                {
                    "goal": f"disk for {cfg['many_n']:,} runs vs MLflow",
                    "target": "≤ 1/5",
                    "measured": f"{fmt_bytes(a[0])} vs {fmt_bytes(b[0])} = "
                    + (f"1/{1 / r:.3g}" if r <= 1 else f"{r:.3g}x"),
                    "met": "yes" if r <= 0.2 else "**no**",
                    "note": "",
                }
            )
    return rows


def ratio_goal(add, label, factor, a, b):
    if not (a and b):
        add(label, f"≥ {factor}x faster", None, False)
        return
    x = b[0] / a[0]
    add(label, f"≥ {factor}x faster", (x, x, x, 1), x >= factor, kind="n", note=f"{fmt_time(a[0])} vs {fmt_time(b[0])}")


def render(mode, mach, vers, missing, rep, goals, notes, failures, elapsed, t_start, cfg, custom="") -> str:
    lines = [
        f"# nbtrack benchmarks — {mode} mode",
        "",
        f"Run {t_start.strftime('%Y-%m-%d %H:%M UTC')}, {elapsed / 60:.1f} min, with "
        f"`benchmarks/run.py{' --quick' if mode == 'quick' else ''}` "
        f"(`make bench{'-quick' if mode == 'quick' else ''}`)"
        + (f", with custom settings: {custom}." if custom else "."),
        "",
        "Each figure: median over repetitions, (min–max) when they differ. Ratio = nbtrack / peer: "
        "below 1 nbtrack is faster (the factor in brackets). Tools alternate A B C D A B C D ... "
        f"Repetitions: {cfg['reps']} (queries: {cfg['query_reps']}). Every measurement runs in its own "
        "process; all peers offline (MLflow: local sqlite store; Aim: local repo; W&B: "
        '`mode="offline"`; telemetry off).',
        "",
        "**Machine:** " + ", ".join(f"{k} {v}" for k, v in mach.items()) + ". Shared with other "
        "builds and tests while measured: absolute timings are noisy; ratios from the same run are "
        "the figures to compare.",
        "",
        "**Versions:** " + ", ".join(f"{k} {v}" for k, v in vers.items()) + ".",
        "",
    ]
    if missing:
        lines += [f"**Not measured:** {', '.join(missing)} (did not install or import).", ""]
    lines += ["## Goals", "", "| Goal | Target | Measured | Met | Note |", "|---|---|---|---|---|"]
    for g in goals:
        lines.append(f"| {g['goal']} | {g['target']} | {g['measured']} | {g['met']} | {g['note']} |")
    lines += ["", "## Side by side", ""]
    lines += rep.sections
    lines += [
        "## Not covered",
        "",
        "- Workload 6 in headless Chromium runs in full mode only (quick mode measures its kernel side).",
        "",
    ]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    if failures:
        lines += ["## Failures", ""]
        for f in failures:
            lines += ["```", f.strip(), "```"]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
