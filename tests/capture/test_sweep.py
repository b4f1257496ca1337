"""%%track --sweep: grids, Optuna-sampled spaces, bad spaces, failing trials, Ctrl-C in a real kernel."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from IPython.core.error import UsageError

import nbtrack

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
from kernels import execute, kernel  # noqa: E402

CELL = """lr = 0.1
depth = 4
acc = 1 - abs(lr - 0.03) - abs(depth - 4) / 10
"""


def test_grid_of_nine_gives_nine_runs_with_one_sweep_id(ip, store):
    r = ip.cell('%%track --sweep "lr=[0.1, 0.03, 0.01]; depth=[2, 4, 8]" --optimize "metrics.acc max"\n' + CELL)
    assert r.success
    trials = nbtrack.sweep()
    assert len(trials) == 9 and trials.sweep_id.nunique() == 1 and list(trials.trial) == list(range(9))
    assert sorted(zip(trials["params.lr"], trials["params.depth"])) == sorted(
        (lr, d) for lr in (0.1, 0.03, 0.01) for d in (2, 4, 8)
    )
    best = trials.loc[trials["metrics.acc"].idxmax()]
    assert (best["params.lr"], best["params.depth"]) == (0.03, 4)
    assert len(nbtrack.runs()) == 9  # the sweep cell itself is no extra run
    assert ip.user_ns["lr"] in (0.1, 0.03, 0.01)  # the namespace holds the last trial's values


def test_optuna_with_a_seed_repeats_its_trial_sequence(ip, store):
    pytest.importorskip("optuna")
    src = (
        "%%track --sweep \"lr=loguniform(1e-4, 1e-1); depth=int(2, 12); opt=choice('adam', 'sgd')\" "
        '--trials 20 --seed 0 --optimize "metrics.acc max"\nlr = 0.01\ndepth = 4\nopt = "adam"\n'
        'acc = 1 - abs(lr - 0.01) - abs(depth - 6) / 10 - (opt == "sgd") * 0.1\n'
    )
    ip.cell(src)
    first = nbtrack.sweep()
    ip.cell(src)
    second = nbtrack.sweep()
    cols = ["params.lr", "params.depth", "params.opt"]
    assert len(first) == len(second) == 20
    assert first[cols].values.tolist() == second[cols].values.tolist()
    assert first.sweep_id[0] != second.sweep_id[0]
    assert all(1e-4 <= v <= 1e-1 for v in first["params.lr"]) and set(first["params.opt"]) <= {"adam", "sgd"}


@pytest.mark.parametrize(
    "space, message",
    [
        ("bogus=[1, 2]", "bogus is not a parameter of this cell"),
        ("lr=[]", "empty grid"),
        ("lr=range(0)", "empty grid"),
        ("lr=uniform(1, 0)", "empty range"),
        ("lr=normal(0, 1)", "unknown space"),
        ("lr", "expected NAME=SPACE"),
        ("lr=[x, 1]", "must hold literals"),
    ],
)
def test_a_bad_space_is_a_clear_error_before_any_trial(ip, store, space, message):
    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("track", f'--sweep "{space}"', CELL)
    r = ip.cell(f'%%track --sweep "{space}"\n' + CELL)
    assert isinstance(r.error_in_exec, UsageError)
    assert len(nbtrack.runs()) == 0


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on_unless_told_to_stop(ip, store):
    src = "x = 1\nif x == 2:\n    raise ValueError('trial two fails')\ny = x * 1.5\n"
    ip.cell('%%track --sweep "x=[1, 2, 3]"\n' + src)
    trials = nbtrack.sweep()
    assert list(trials.status) == ["finished", "failed", "finished"]
    ip.cell('%%track --sweep "x=[1, 2, 3]" --stop-on-error\n' + src)
    assert list(nbtrack.sweep().status) == ["finished", "failed"]


@pytest.mark.reliability
def test_ctrl_c_mid_sweep_keeps_finished_trials_and_one_interrupted(store_dir, tmp_path):
    with kernel(store_dir) as (km, kc):
        assert execute(kc, "%load_ext nbtrack")["status"] == "ok"
        src = '%%track --sweep "i=range(10)"\ni = 0\nimport time\ntime.sleep(0.6)\nv = i * 1.0\n'
        timer = threading.Timer(2.0, km.interrupt_kernel)
        timer.start()
        execute(kc, src, timeout=60)
        execute(kc, "nbtrack.store().flush()")
    nbtrack.store(str(store_dir))
    frame = nbtrack.sql(
        "SELECT status, CAST(json_extract_string(context, '$.trial') AS INTEGER) AS trial FROM runs ORDER BY trial"
    )
    statuses = list(frame.status)
    # The interrupt lands in a trial (that trial is interrupted) or, rarely, between two (none
    # is): either way no run is left running and no trial starts after it.
    assert "running" not in statuses and statuses.count("interrupted") <= 1
    assert "interrupted" not in statuses[:-1]
    assert 1 <= statuses.count("finished") <= 4 and len(statuses) < 10
    assert list(frame.trial) == list(range(len(statuses)))
