"""Capture rules through a real IPython shell: params that flow between cells, explain and
overrides, resource cost, and odd objects that must not cost the user anything."""

from __future__ import annotations

import warnings

import pytest

import nbtrack

pytest.importorskip("sklearn")

DATA = (
    "from sklearn.datasets import load_iris\nfrom sklearn.svm import SVC\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.metrics import accuracy_score\n"
    "X, y = load_iris(return_X_y=True)\n"
)


def _last(ip):
    return nbtrack.get_run(nbtrack.runs(limit=1).run_id[0])


def test_params_flow_in_with_a_config_dict_and_a_fitted_model(ip, store):
    ip.cell(DATA)
    ip.cell('params = {"C": 3.0, "kernel": "linear"}')
    ip.cell("%%track -q\nclf = SVC(**params).fit(X, y)\nacc = clf.score(X, y)")
    rec = _last(ip)
    assert rec.params["C"] == 3.0 and rec.params["kernel"] == "linear" and rec.params["model"] == "SVC"
    assert rec.params["params.C"] == 3.0  # the input config itself, marked inherited
    assert rec.context["param_sources"]["params.C"].startswith("inherited")
    # A model fitted in one tracked cell and scored in another: the metric and the params it
    # depends on land in the same run.
    ip.cell("%%track -q\nforest = RandomForestClassifier(n_estimators=7, max_depth=2, random_state=0).fit(X, y)")
    ip.cell("%%track -q\ntest_accuracy = accuracy_score(y, forest.predict(X))")
    rec = _last(ip)
    assert rec.metrics["test_accuracy"] > 0.5
    assert rec.params["n_estimators"] == 7 and rec.params["max_depth"] == 2
    assert rec.context["param_sources"]["n_estimators"].startswith("inherited")


def test_explain_prints_every_capture_and_its_rule(ip, store, capsys):
    ip.cell(DATA)
    capsys.readouterr()
    ip.cell("%%track -q --explain\nclf = SVC(C=10.0, gamma=0.001)\nclf.fit(X, y)\nclf.score(X, y)")
    out = capsys.readouterr().out
    assert "C = 10.0  from clf.get_params()" in out
    assert "model = 'SVC'  from clf.get_params() (class)" in out
    assert "score = " in out and "from shown as the cell's last value" in out
    assert "X: " in out and "inputs:" in out
    assert "sys.cpu_s = " in out


def test_no_param_and_metric_override_the_rules(ip, store):
    ip.cell("%%track -q --no-param lr --metric n_errors\nlr = 0.1\nepochs = 3\nn_errors = 2 + 3")
    rec = _last(ip)
    assert "lr" not in rec.params and rec.params["epochs"] == 3
    assert rec.metrics["n_errors"] == 5  # an int from arithmetic is no metric unless forced


def test_project_settings_extend_the_rules(ip, store, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbtrack.capture]\nexclude_calls = ["report_*"]\nexclude_params = ["palette"]\nmetrics = ["n_ok"]\n'
    )
    monkeypatch.chdir(tmp_path)
    ip.cell("def report_to(**kw):\n    return kw\ndef train(**kw):\n    return kw")
    ip.cell("%%track -q\npalette = 'dark'\nreport_to(dest='html')\ntrain(depth=3)\nn_ok = 1 + 1")
    rec = _last(ip)
    assert rec.params == {"depth": 3}
    assert rec.metrics["n_ok"] == 2


def test_log_params_and_log_metrics_record_what_no_rule_sees(ip, store):
    ip.cell("%%track -q\nnbtrack.log_params(optimizer='adam', lr=3e-4)\nnbtrack.log_metrics(auc=0.93)")
    rec = _last(ip)
    assert rec.params["optimizer"] == "adam" and rec.params["lr"] == 3e-4
    assert rec.metrics["auc"] == pytest.approx(0.93)


def test_resource_cost_of_the_cell(ip, store):
    ip.cell(
        "%%track -q\nblock = bytearray(200 * 2**20)\nblock[::4096] = b'x' * len(block[::4096])\n"
        "total = sum(range(3_000_000)) * 1.0"
    )
    rec = _last(ip)
    assert rec.metrics["sys.cpu_s"] > 0
    assert rec.metrics["sys.peak_rss_mb"] >= 150  # the 200 MB block, touched
    assert "sys.gpu_mem_mb" not in rec.metrics  # no GPU here: no made-up figure
    ip.user_ns.pop("block", None)


def _lifetime_peak_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_measuring_a_cell_leaves_the_processs_peak_memory_as_it_was(ip, store):
    # The user's own getrusage()/VmHWM reading must not change because a cell was tracked.
    ip.cell("spike = bytearray(400 * 2**20)\nspike[::4096] = b'x' * len(spike[::4096])\ndel spike")
    before = _lifetime_peak_kb()
    ip.cell("%%track -q\nsmall = 1 + 1")
    assert _lifetime_peak_kb() >= before
    assert "sys.peak_rss_mb" in _last(ip).metrics


def test_a_cell_below_the_earlier_peak_still_gets_its_own_peak(ip, store):
    ip.cell("spike = bytearray(400 * 2**20)\nspike[::4096] = b'x' * len(spike[::4096])\ndel spike")
    ip.cell(
        "%%track -q\nimport time\nblock = bytearray(150 * 2**20)\nblock[::4096] = b'x' * len(block[::4096])\n"
        "time.sleep(0.1)\ndel block"
    )
    assert _last(ip).metrics["sys.peak_rss_mb"] >= 100  # freed before the end: seen by the sampler


class _Hostile:
    def get_params(self, deep=True):
        raise RuntimeError("no params for you")

    def __eq__(self, other):
        raise ValueError("no comparisons")

    def __len__(self):
        raise TypeError("no length")

    def predict(self, X):
        return X


def test_odd_objects_cost_at_most_one_warning_and_the_cell_runs(ip, store):
    ip.user_ns["_Hostile"] = _Hostile
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = ip.cell(
            "%%track -q\nbad = _Hostile()\n"
            "huge = {f'k{i}': i for i in range(100_000)}\n"
            "loop = {'a': 1}\nloop['self'] = loop\n"
            "scores = [_Hostile()] * 3\n"
            "acc = 0.5 * 1.5"
        )
    assert r.success
    ours = [w for w in caught if "nbtrack" in str(w.message)]
    assert len(ours) <= 1, [str(w.message) for w in ours]
    rec = _last(ip)
    assert rec.status == "finished" and rec.metrics["acc"] == 0.75
    assert ip.user_ns["acc"] == 0.75 and len(ip.user_ns["huge"]) == 100_000


LOOP = (
    "w, lr = 0.0, 0.3\n"
    "for epoch in range(6):\n"
    "    loss = (w - 1.0) ** 2\n"
    "    w += lr * 2 * (1.0 - w)\n"
    "    if epoch % 2 == 0:\n"
    "        print(f'epoch {epoch}: loss={loss:.4f}', 'val_acc', round(1 - loss, 3))\n"
)


def test_values_printed_in_a_loop_are_a_series_and_the_output_is_unchanged(ip, store, capsys):
    ip.cell(LOOP)
    untracked = capsys.readouterr().out
    ip.cell("%%track -q\n" + LOOP)
    assert capsys.readouterr().out == untracked
    rec = _last(ip)
    points = nbtrack.series(rec.run_id)
    printed = [1.0, 0.0256, 0.00065536]  # epochs 0, 2 and 4
    assert points[points.key == "loss"].value.tolist() == pytest.approx(printed)
    assert points[points.key == "loss"].step.tolist() == [0, 1, 2]
    assert rec.metrics["loss"] == pytest.approx(printed[-1])  # the last printed point
    assert set(points.key) == {"loss"}  # epoch: the loop's counter; round(...): not a score call
    assert "epoch" not in rec.metrics


def test_a_failing_print_in_a_loop_raises_as_untracked(ip, store):
    src = "for step in range(3):\n    loss = 1 / (1 - step)\n    print(loss)\n"
    plain = ip.cell(src).error_in_exec
    tracked = ip.cell("%%track -q\n" + src).error_in_exec
    assert type(tracked) is type(plain) is ZeroDivisionError
    assert nbtrack.series(_last(ip).run_id).value.tolist() == [1.0]


class _Settings:
    """A config object whose attribute reads run code: capture must not run it."""

    reads = 0
    depth = 3

    @property
    def lr(self):
        _Settings.reads += 1
        return 0.1

    def __getattr__(self, name):
        _Settings.reads += 1
        return 7


def test_keywords_naming_settings_are_read_without_running_user_code(ip, store):
    ip.user_ns.update(_Settings=_Settings, cfg=_Settings(), DEPTH=5, LR_SCHEDULE=[0.1, 0.01])
    ip.cell("def fit(**kw):\n    return kw")
    ip.cell("%%track -q\nout = fit(depth=cfg.depth, lr=cfg.lr, width=cfg.width, max_depth=DEPTH, schedule=LR_SCHEDULE)")
    params = _last(ip).params
    assert params["depth"] == 3 and params["max_depth"] == 5 and params["schedule"] == [0.1, 0.01]
    assert "lr" not in params and "width" not in params  # a property and __getattr__: not read
    assert _Settings.reads == 2  # the cell's own two reads, none by capture
    # A name the cell rebinds is not the value the call saw: not read.
    ip.cell("%%track -q\nDEPTH = DEPTH + 1\nout = fit(max_depth=DEPTH)")
    assert "max_depth" not in _last(ip).params


def test_printed_scores_are_metrics_and_output_is_unchanged(ip, store, capsys):
    ip.cell(DATA + "clf = SVC().fit(X, y)")
    capsys.readouterr()
    ip.cell("%%track -q\nprint('Accuracy:', accuracy_score(y, clf.predict(X)))\nprint(f'score {clf.score(X, y):.3f}')")
    out = capsys.readouterr().out
    acc = ip.user_ns["clf"].score(ip.user_ns["X"], ip.user_ns["y"])
    assert out == f"Accuracy: {acc}\nscore {acc:.3f}\n"
    rec = _last(ip)
    assert rec.metrics["accuracy_score"] == pytest.approx(acc) and rec.metrics["score"] == pytest.approx(acc)
    # An untracked cell is never rewritten.
    ip.cell("print('Accuracy:', accuracy_score(y, clf.predict(X)))")
    assert len(nbtrack.runs()) == 1


def test_body_under_capture_and_time_magics_is_analysed(ip, store):
    r = ip.cell("%%track -q\n%%capture cap\nlr = 0.05\nprint('hidden')\nloss = lr * 2.0")
    assert r.success and "hidden" in ip.user_ns["cap"].stdout
    rec = _last(ip)
    assert rec.params == {"lr": 0.05} and rec.metrics["loss"] == pytest.approx(0.1)
    ip.cell("%%track -q\n%%time\ndepth = 4\nscore = depth / 8")
    rec = _last(ip)
    assert rec.params == {"depth": 4} and rec.metrics["score"] == 0.5


def test_a_config_beyond_the_caps_is_cut_with_one_warning(ip, store):
    body = "config = {" + ", ".join(f"'k{i}': {i}" for i in range(300)) + "}\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ip.cell("%%track -q\n" + body)
        ip.cell("%%track -q\n" + body)
    ours = [str(w.message) for w in caught if "nbtrack" in str(w.message)]
    assert len(ours) == 1 and "config config is larger than 200 keys" in ours[0]
    rec = _last(ip)
    assert len([k for k in rec.params if k.startswith("config.")]) == 200 and rec.params["config.k0"] == 0
