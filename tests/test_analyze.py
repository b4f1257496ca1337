"""Capture analysis of a cell's source, without a store or a shell."""

from nbtrack.capture.analyze import analyze


def test_literal_assignments_are_params_of_every_literal_kind():
    a = analyze(
        "n = 200\nneg = -1\nlr = 1e-3\nname = 'rf'\nflag = True\nnothing = None\n"
        "layers = [64, 32]\nshape = (1, 2)\ncfg = {'a': [1, 2], 'b': None}\n"
    )
    assert a.params == {
        "n": 200, "neg": -1, "lr": 1e-3, "name": "rf", "flag": True, "nothing": None,
        "layers": [64, 32], "shape": (1, 2), "cfg": {"a": [1, 2], "b": None},
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


def test_literal_later_recomputed_is_not_a_param():
    a = analyze("lr = 0.1\nlr = lr * 2\n")
    assert a.params == {}
    assert a.computed == ("lr",)


def test_reads_are_names_used_before_the_cell_binds_them():
    a = analyze("y = x + 1\nz = y * w\nfor i in range(n):\n    t = i + q\n")
    assert a.reads == ("x", "w", "range", "n", "q")


def test_syntax_error_is_reported_not_raised():
    assert analyze("x = (").syntax_error
