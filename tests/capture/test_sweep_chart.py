"""The sweep's parallel coordinates (capture/sweep.py `_parallel_svg`): axes, labels, shading."""

import re

from nbtrack.capture.sweep import _parallel_svg


def _row(trial, lr, model, acc, status="finished"):
    return {"trial": trial, "status": status, "values": {"lr": lr, "model": model}, "metrics": {"acc": acc}}


def test_numeric_axes_are_labelled_with_their_range_and_categories_with_their_first_and_last():
    rows = [_row(0, 0.5, "rf", 0.7), _row(1, 0.25, "svm", 0.9), _row(2, 0.125, "knn", 0.8)]
    svg = _parallel_svg(rows, ["lr", "model"], ["lr", "model", "acc"], "acc", "maximize")
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    # per axis: name, top (high) label, bottom (low) label
    assert labels == ["lr", "0.5", "0.125", "model", "knn", "rf", "acc", "0.9", "0.7"]
    assert svg.count("<polyline") == 3


def test_the_best_trial_is_drawn_darkest_and_unfinished_trials_not_at_all():
    rows = [_row(0, 0.5, "rf", 0.7), _row(1, 0.25, "svm", 0.9), _row(2, 0.1, "rf", None, status="failed")]
    for direction in ("maximize", "minimize"):
        svg = _parallel_svg(rows, ["lr", "model"], ["lr", "model", "acc"], "acc", direction)
        lines = re.findall(r"stroke-opacity='([0-9.]+)'[^>]*points='([^']*)'", svg)
        assert len(lines) == 2  # the failed trial has no line
        darkest = max(lines, key=lambda line: float(line[0]))
        acc_y = float(darkest[1].split()[-1].split(",")[1])  # the objective is the last axis
        # an axis runs from its lowest value at the bottom (y 190) to its highest at the top (y 24)
        assert (darkest[0], acc_y) == ("1.00", 24.0 if direction == "maximize" else 190.0)
