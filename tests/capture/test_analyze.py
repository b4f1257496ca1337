"""Capture analysis of a cell's source, without a store or a shell."""

from nbtrack.capture.analyze import analyze


def test_literal_assignments_are_params_of_every_literal_kind():
    a = analyze(
        "n = 200\nneg = -1\nlr = 1e-3\nname = 'rf'\nflag = True\nnothing = None\n"
        "layers = [64, 32]\nshape = (1, 2)\ncfg = {'a': [1, 2], 'b': None}\n"
    )
    assert a.params == {
        "n": 200,
        "neg": -1,
        "lr": 1e-3,
        "name": "rf",
        "flag": True,
        "nothing": None,
        "layers": [64, 32],
        "shape": (1, 2),
        "cfg.a": [1, 2],
        "cfg.b": None,
    }
    assert a.computed == ()


def test_computed_top_level_names_are_metric_candidates_but_not_loops_imports_defs():
    a = analyze(
        "import numpy as np\nfrom math import sqrt\nmodel = fit(X)\n"
        "for epoch in range(3):\n    loss = step()\n"
        "while False:\n    w = 1\n"
        "def f():\n    inner = 2\n    return inner\n"
        "class C: pass\n"
        "accuracy = model.score(X)\n_private = 3 * 2\n"
        "if True:\n    branch = accuracy * 2\n"
    )
    assert a.computed == ("model", "accuracy", "_private", "branch")
    assert {"epoch", "loss", "w", "np", "sqrt", "f", "C"} <= a.not_metrics
    assert "inner" not in a.assigned


def test_literal_later_recomputed_keeps_the_first_literal_as_param_and_is_no_metric():
    a = analyze("lr = 0.1\nlr = lr * 2\n")
    assert a.params == {"lr": 0.1}
    assert a.computed == ()


def test_tuple_unpacking_of_literals_config_dicts_and_config_classes_are_params():
    a = analyze(
        "a, b = 1, 2\n"
        "config = {'lr': 0.05, 'optimizer': {'name': 'sgd', 'momentum': 0.9}}\n"
        "opts = dict(epochs=10, batch_size=64)\n"
        "class Config:\n    lr = 0.01\n    layers = [64, 32]\n"
    )
    assert a.params == {
        "a": 1,
        "b": 2,
        "config.lr": 0.05,
        "config.optimizer.name": "sgd",
        "config.optimizer.momentum": 0.9,
        "opts.epochs": 10,
        "opts.batch_size": 64,
        "Config.lr": 0.01,
        "Config.layers": [64, 32],
    }
    assert a.computed == ()


def test_containers_filled_later_and_typed_in_data_are_not_params():
    a = analyze(
        "clfs = []\nfor c in [1, 2]:\n    clfs.append(c)\n"
        "history = {'loss': []}\nhistory['loss'].append(1.0)\n"
        "texts = ['I loved this movie so much', 'worst film I have seen in years']\n"
        "records = [{'a': 1}, {'a': 2}]\nempty = {}\n"
    )
    assert a.params == {}
    assert {"clfs", "history"} <= set(a.computed)


def test_calls_keep_their_literal_keyword_arguments_and_binding():
    a = analyze("clf = SVC(C=10.0, kernel='rbf').fit(X, y)\nnp.random.seed(42)\nplt.plot(x, color='r')\n")
    calls = {(c.callee, c.target): dict(c.kwargs) for c in a.calls}
    assert calls[("SVC", "clf")] == {"C": 10.0, "kernel": "rbf"}
    assert calls[("np.random.seed", None)] == {"seed": 42}
    assert calls[("plt.plot", None)] == {"color": "r"}


def test_last_expression_gets_the_name_a_data_scientist_gives_it():
    names = {
        src: analyze(src).last_expr
        for src in (
            "clf.score(X, y)",
            "accuracy_score(y, p)",
            "scores.mean()",
            "np.mean(scores)",
            "grid.best_score_",
            "acc",
            "f1_score(y, p).round(3)",
        )
    }
    assert names == {
        "clf.score(X, y)": "score",
        "accuracy_score(y, p)": "accuracy_score",
        "scores.mean()": "scores.mean",
        "np.mean(scores)": "scores.mean",
        "grid.best_score_": "best_score",
        "acc": "acc",
        "f1_score(y, p).round(3)": "f1_score",
    }


def test_clock_readings_and_sizes_are_marked():
    a = analyze("t0 = time.time()\nn, d = X.shape\nm = len(df) // 2\nacc = hits / len(y)\n")
    assert a.value_kind == {"t0": "clock", "n": "size", "d": "size", "m": "size", "acc": "size"}


def test_body_under_other_cell_magics_is_analysed():
    from nbtrack.capture.analyze import inner_body

    assert inner_body("%%time\nlr = 0.1\n") == "\nlr = 0.1\n"
    assert inner_body("%%capture cap\n%%time\nx = 1") == "\n\nx = 1"
    assert inner_body("%%bash\necho hi") == "%%bash\necho hi"


def test_reads_are_names_used_before_the_cell_binds_them():
    a = analyze("y = x + 1\nz = y * w\nfor i in range(n):\n    t = i + q\n")
    assert a.reads == ("x", "w", "range", "n", "q")


def test_syntax_error_is_reported_not_raised():
    assert analyze("x = (").syntax_error
