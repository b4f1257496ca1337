"""Peer workloads (MLflow, Aim, W&B offline, trackio); runs in benchmarks/.venv-peers (trackio:
there if it imports, else in nbtrack's .venv), one workload per process (see common.py). Every
tool gets the data of common.py; everything stays on this machine: MLflow uses a sqlite store in
the work folder, Aim a repo there, W&B ``mode="offline"``, trackio its local SQLite database
(``TRACKIO_DIR`` in the work folder; no Space, no dashboard).
"""

from __future__ import annotations

import os
import sys

T_PROCESS = __import__("time").perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    METRIC_NAMES,
    PARAMS,
    SERIES_KEY,
    SERIES_STEPS,
    dir_size,
    median,
    metrics_for,
    now,
    params_for,
    pct,
    series_for,
    worker_args,
    write_result,
)

FINAL = {k: 0.5 + i / 10 for i, k in enumerate(METRIC_NAMES)}


# -- per tool: import, open, one run ---------------------------------------------------------


class MLflow:
    name = "mlflow"

    def __init__(self, workdir: str, store: str | None = None):
        import mlflow

        self.mlflow = mlflow
        self.root = store or workdir
        os.makedirs(self.root, exist_ok=True)
        mlflow.set_tracking_uri(f"sqlite:///{os.path.join(self.root, 'mlflow.db')}")
        self.exp_id = None

    def experiment(self):
        if self.exp_id is None:
            exp = self.mlflow.get_experiment_by_name("bench")
            if exp is None:
                self.exp_id = self.mlflow.create_experiment(
                    "bench", artifact_location="file://" + os.path.join(self.root, "mlruns")
                )
            else:
                self.exp_id = exp.experiment_id
            self.mlflow.set_experiment(experiment_id=self.exp_id)
        return self.exp_id

    def one_run(self, params=PARAMS, metrics=FINAL):
        self.experiment()
        with self.mlflow.start_run(run_name="bench"):
            self.mlflow.log_params(params)
            self.mlflow.log_metrics(metrics)

    def full_run(self, i: int):
        """A run of workload 4 written the efficient way: one log_batch per run."""
        from mlflow.entities import Metric, Param

        client = self.client()
        exp = self.experiment()
        run = client.create_run(exp, run_name=f"run-{i}")
        ts = int(__import__("time").time() * 1000)
        metrics = [Metric(SERIES_KEY, v, ts, s) for s, v in enumerate(series_for(i))]
        metrics += [Metric(k, v, ts, 0) for k, v in metrics_for(i).items()]
        params = [Param(k, str(v)) for k, v in params_for(i).items()]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id)

    def client(self):
        if not hasattr(self, "_client"):
            self._client = self.mlflow.MlflowClient()
        return self._client

    def disk(self) -> int:
        return dir_size(self.root)


class Aim:
    name = "aim"

    def __init__(self, workdir: str, store: str | None = None):
        import aim

        self.aim = aim
        self.root = store or workdir
        os.makedirs(self.root, exist_ok=True)
        if not os.path.isdir(os.path.join(self.root, ".aim")):
            aim.Repo.from_path(self.root, init=True)

    def one_run(self, params=PARAMS, metrics=FINAL):
        run = self.aim.Run(
            repo=self.root,
            experiment="bench",
            system_tracking_interval=None,
            capture_terminal_logs=False,
            log_system_params=False,
        )
        run["hparams"] = params
        for k, v in metrics.items():
            run.track(v, name=k)
        run.close()

    def full_run(self, i: int):
        run = self.aim.Run(
            repo=self.root,
            experiment="bench",
            system_tracking_interval=None,
            capture_terminal_logs=False,
            log_system_params=False,
        )
        run.name = f"run-{i}"
        run["hparams"] = params_for(i)
        for s, v in enumerate(series_for(i)):
            run.track(v, name=SERIES_KEY, step=s)
        for k, v in metrics_for(i).items():
            run.track(v, name=k)
        run.close()
        return run.hash

    def disk(self) -> int:
        return dir_size(os.path.join(self.root, ".aim"))


class Wandb:
    name = "wandb"

    def __init__(self, workdir: str, store: str | None = None):
        import wandb

        self.wandb = wandb
        self.root = store or workdir
        os.makedirs(self.root, exist_ok=True)

    def init(self, **kw):
        return self.wandb.init(
            project="bench",
            dir=self.root,
            mode="offline",
            reinit="finish_previous",
            settings=self.wandb.Settings(x_disable_stats=True, console="off", save_code=False, disable_git=True),
            **kw,
        )

    def one_run(self, params=PARAMS, metrics=FINAL):
        run = self.init(config=params)
        run.summary.update(metrics)
        run.finish()

    def full_run(self, i: int):
        run = self.init(config=params_for(i), name=f"run-{i}")
        for s, v in enumerate(series_for(i)):
            run.log({SERIES_KEY: v}, step=s)
        run.summary.update(metrics_for(i))
        run.finish()

    def disk(self) -> int:
        return dir_size(os.path.join(self.root, "wandb"))


class Trackio:
    name = "trackio"

    def __init__(self, workdir: str, store: str | None = None):
        self.root = store or workdir
        os.makedirs(self.root, exist_ok=True)
        os.environ["TRACKIO_DIR"] = self.root  # read when trackio is imported
        import trackio

        self.trackio = trackio

    def init(self, **kw):
        # No CPU/GPU sampling threads (as W&B's x_disable_stats); nothing leaves the machine.
        return self.trackio.init(project="bench", auto_log_cpu=False, auto_log_gpu=False, embed=False, **kw)

    def one_run(self, params=PARAMS, metrics=FINAL):
        self.init(config=params)
        self.trackio.log(metrics)  # trackio has no summary: final metrics are a last log
        self.trackio.finish()

    def full_run(self, i: int):
        self.init(config=params_for(i), name=f"run-{i}")
        for s, v in enumerate(series_for(i)):
            self.trackio.log({SERIES_KEY: v}, step=s)
        self.trackio.log(metrics_for(i), step=SERIES_STEPS)
        self.trackio.finish()

    def disk(self) -> int:
        return dir_size(self.root)


TOOLS = {"mlflow": MLflow, "aim": Aim, "wandb": Wandb, "trackio": Trackio}


# -- workload 1: import + first run ----------------------------------------------------------


def first_run(a) -> dict:
    t0 = now()
    tool = TOOLS[a.tool](a.workdir)  # imports the package
    t1 = now()
    tool.one_run()
    t2 = now()
    return {"import_s": t1 - t0, "first_run_s": t2 - t0}


# -- workload 2: one run with 10 params and 5 metrics ----------------------------------------


def per_run(a) -> dict:
    tool = TOOLS[a.tool](a.workdir)
    tool.one_run()  # warm-up: store creation, first-run costs (workload 1 measures those)
    times = []
    start = now()
    for _ in range(a.n):
        t = now()
        tool.one_run()
        times.append(now() - t)
        if a.cap and now() - start > a.cap:
            break
    return {"per_run_s": median(times), "per_run_p95_s": pct(times, 0.95), "n": len(times)}


# -- workload 3: single-point log calls, per call and batched --------------------------------


def log_calls(a) -> dict:
    tool = TOOLS[a.tool](a.workdir)
    out = {"n_target": a.n}
    cap = a.cap or 1e9
    if a.tool == "mlflow":
        mlflow = tool.mlflow
        from mlflow.entities import Metric

        tool.experiment()
        limit = a.n
        for variant, sync in (("", True), ("async_", False)):
            run = mlflow.start_run()
            t0 = now()
            i = 0
            while i < limit:
                mlflow.log_metric("loss", i * 0.5, step=i, synchronous=sync)
                i += 1
                if i % 10 == 0 and now() - t0 > cap:
                    break
            loop = now() - t0
            if not sync:
                mlflow.flush_async_logging()
            mlflow.end_run()
            out[f"{variant}per_call_s"] = loop / i
            out[f"{variant}per_call_stored_s"] = (now() - t0) / i
            out[f"{variant}calls"] = i
            limit = i  # async: as many calls as sync made (its flush costs about as much)
        # batch: log_batch takes at most 1000 metrics per call
        client = tool.client()
        run = client.create_run(tool.experiment())
        t0 = now()
        points = 0
        ts = int(__import__("time").time() * 1000)
        while points < a.n:
            batch = [Metric(k, 0.5, ts, points // 5) for k in METRIC_NAMES for _ in range(200)]
            client.log_batch(run.info.run_id, metrics=batch)
            points += len(batch)
            if now() - t0 > cap:
                break
        client.set_terminated(run.info.run_id)
        out["batch_per_point_s"] = out["batch_per_point_stored_s"] = (now() - t0) / points
        out["batch_points"] = points
    elif a.tool == "aim":
        run = tool.aim.Run(
            repo=tool.root,
            experiment="bench",
            system_tracking_interval=None,
            capture_terminal_logs=False,
            log_system_params=False,
        )
        t0 = now()
        i = 0
        while i < a.n:
            run.track(i * 0.5, name="loss", step=i)
            i += 1
            if i % 100 == 0 and now() - t0 > cap:
                break
        loop = now() - t0
        out["per_call_s"], out["calls"] = loop / i, i
        calls = 0
        t1 = now()
        while calls * 5 < a.n:
            run.track({"loss": 0.5, "accuracy": 0.25, "f1": 0.125, "precision": 1.5, "recall": 2.5}, step=calls)
            calls += 1
            if calls % 20 == 0 and now() - t1 > cap:
                break
        batch = now() - t1
        t2 = now()
        run.close()
        close = now() - t2
        out["per_call_stored_s"] = (loop + close) / i  # close flushes both loops: upper bound
        out["batch_per_point_s"] = batch / (calls * 5)
        out["batch_per_point_stored_s"] = (batch + close) / (calls * 5)
        out["batch_points"] = calls * 5
    elif a.tool == "wandb":
        run = tool.init()
        t0 = now()
        i = 0
        while i < a.n:
            run.log({"loss": i * 0.5}, step=i)
            i += 1
            if i % 100 == 0 and now() - t0 > cap:
                break
        loop = now() - t0
        t1 = now()
        run.finish()
        out["per_call_s"], out["calls"] = loop / i, i
        out["per_call_stored_s"] = (now() - t0) / i
        run = tool.init()
        calls = 0
        t0 = now()
        while calls * 5 < a.n:
            run.log({"loss": 0.5, "accuracy": 0.25, "f1": 0.125, "precision": 1.5, "recall": 2.5}, step=calls)
            calls += 1
            if calls % 20 == 0 and now() - t0 > cap:
                break
        batch = now() - t0
        run.finish()
        out["batch_per_point_s"] = batch / (calls * 5)
        out["batch_per_point_stored_s"] = (now() - t0) / (calls * 5)
        out["batch_points"] = calls * 5
    elif a.tool == "trackio":
        tr = tool.trackio
        tool.init()
        t0 = now()
        i = 0
        while i < a.n:
            tr.log({"loss": i * 0.5}, step=i)
            i += 1
            if i % 100 == 0 and now() - t0 > cap:
                break
        loop = now() - t0
        tr.finish()  # writes the buffered points to its SQLite file
        out["per_call_s"], out["calls"] = loop / i, i
        out["per_call_stored_s"] = (now() - t0) / i
        tool.init()
        calls = 0
        t0 = now()
        while calls * 5 < a.n:
            tr.log({"loss": 0.5, "accuracy": 0.25, "f1": 0.125, "precision": 1.5, "recall": 2.5}, step=calls)
            calls += 1
            if calls % 20 == 0 and now() - t0 > cap:
                break
        batch = now() - t0
        tr.finish()
        out["batch_per_point_s"] = batch / (calls * 5)
        out["batch_per_point_stored_s"] = (now() - t0) / (calls * 5)
        out["batch_points"] = calls * 5
    return out


# -- workloads 4/5: fill a store with N runs (within a time cap), then query it ----------------


def fill(a) -> dict:
    tool = TOOLS[a.tool](a.workdir, a.store)
    have = _count_file(a.store)
    t0 = now()
    i = have
    made = []
    while i < a.n:
        made.append(tool.full_run(i))
        i += 1
        if a.cap and now() - t0 > a.cap:
            break
    el = now() - t0
    _write_count(a.store, i)
    done = i - have
    out = {"fill_s": el, "runs": i, "added": done}
    if a.tool == "aim":  # the SDK queries only indexed runs (`aim up` indexes in the background)
        from aim.sdk.index_manager import RepoIndexManager

        t = now()
        repo = tool.aim.Repo.from_path(tool.root)
        mng = RepoIndexManager.get_index_manager(repo)
        for h in made:  # the runs this worker wrote (earlier ones are indexed already)
            mng.index(h)
        out["index_s"] = now() - t
        el += out["index_s"]
    out["runs_per_s"] = done / el if el else float("nan")
    out["disk_bytes"] = tool.disk()
    return out


def _count_file(store: str) -> int:
    try:
        with open(os.path.join(store, "bench-runs.txt")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def _write_count(store: str, n: int) -> None:
    with open(os.path.join(store, "bench-runs.txt"), "w") as f:
        f.write(str(n))


def query(a) -> dict:
    import pandas  # noqa: F401  (imported before timing, for every tool)

    n = _count_file(a.store)
    tool = TOOLS[a.tool](a.workdir, a.store)
    reps = 3 if n <= 5000 else 1
    if a.tool == "mlflow":
        mlflow = tool.mlflow
        exp = tool.experiment()

        def frame():
            return mlflow.search_runs(experiment_ids=[exp], max_results=1_000_000)

        def series(ids):
            client = tool.client()
            return [client.get_metric_history(r, SERIES_KEY) for r in ids]

        def ids_of(df):
            return list(df["run_id"])
    elif a.tool == "aim":
        repo = tool.aim.Repo.from_path(tool.root)

        def frame():
            import pandas as pd

            runs = repo.query_runs("", report_mode=0).dataframe()
            last = repo.query_metrics("", report_mode=0).dataframe(only_last=True)
            wide = last.pivot_table(index="run.hash", columns="metric.name", values="value")
            wide.columns = [f"metrics.{c}" for c in wide.columns]
            return pd.merge(runs, wide, left_on="hash", right_index=True, how="left")

        def series(ids):
            q = f"metric.name == '{SERIES_KEY}' and run.hash in {list(ids)!r}"
            out = []
            for m in repo.query_metrics(q, report_mode=0):
                out.append(m.values.values_numpy())
            assert len(out) == len(ids), len(out)
            return out

        def ids_of(df):
            return list(df["hash"])
    elif a.tool == "trackio":
        from trackio.sqlite_storage import SQLiteStorage

        def frame():
            """trackio's read API has run records, configs and logs; no run table with final
            metrics: the last value of each key is taken from every run's logs."""
            import pandas as pd

            records = SQLiteStorage.get_run_records("bench")
            configs = SQLiteStorage.get_all_run_configs("bench")
            logs = SQLiteStorage.get_logs_batch("bench", [{"run": r["name"], "run_id": r["id"]} for r in records])
            rows = []
            for rec, lg in zip(records, logs):
                row = {"run_id": rec["id"], "name": rec["name"], "created_at": rec["created_at"]}
                row.update(
                    {f"params.{k}": v for k, v in (configs.get(rec["id"]) or {}).items() if not k.startswith("_")}
                )
                for point in lg["logs"]:
                    row.update({f"metrics.{k}": v for k, v in point.items() if k not in ("step", "timestamp")})
                rows.append(row)
            return pd.DataFrame(rows)

        def series(ids):
            return [[p[SERIES_KEY] for p in SQLiteStorage.get_logs("bench", run_id=r) if SERIES_KEY in p] for r in ids]

        def ids_of(df):
            return list(df["run_id"])
    else:
        return {"note": "no query API offline"}
    t = now()
    df = frame()
    first = now() - t
    assert len(df) == n, (len(df), n)
    warm = []
    budget = now() + (a.cap or 20)  # warm repeats only while one more fits in this budget
    last = first
    for _ in range(reps):
        if now() + last > budget:
            break
        t = now()
        frame()
        last = now() - t
        warm.append(last)
    ids = ids_of(df)[:: max(1, len(df) // 10)][:10]
    t = now()
    s = series(ids)
    s_first = now() - t
    assert sum(len(x) for x in s) == 10 * SERIES_STEPS
    s_warm = []
    for _ in range(reps):
        if s_warm and now() + s_first > budget:
            break
        t = now()
        series(ids)
        s_warm.append(now() - t)
    return {
        "frame_first_s": first,
        "frame_s": median(warm) if warm else None,
        "series10_first_s": s_first,
        "series10_s": median(s_warm) if s_warm else None,
        "rows": len(df),
        "columns": df.shape[1],
        "disk_bytes": tool.disk(),
    }


WORKLOADS = {"first_run": first_run, "per_run": per_run, "log_calls": log_calls, "fill": fill, "query": query}

if __name__ == "__main__":
    a = worker_args()
    os.chdir(a.workdir)
    res = WORKLOADS[a.workload](a)
    res["process_s"] = now() - T_PROCESS
    write_result(a.out, res)
    sys.stdout.flush()
    os._exit(0)  # skip slow interpreter teardown of the peers (measured nowhere)
