"""XGBoost: ``xgb.train(params, dtrain, evals=[(dval, "val")], callbacks=[callback()])`` or
``XGBClassifier(callbacks=[callback()]).fit(X, y, eval_set=[...])``.

Each iteration's evaluation results become series ``<data>.<metric>`` (e.g. ``val.logloss``)
at step = iteration; the booster's training parameters (from its saved config) become params
(source ``xgboost``) before training."""

from __future__ import annotations

import json
from typing import Any

import xgboost as xgb

from . import active_run, numbers, scalars

__all__ = ["callback", "NbtrackCallback"]

_SECTIONS = (
    "learner_train_param",
    "learner_model_param",
    "tree_train_param",
    "gbtree_train_param",
    "train_param",
    "generic_param",
)


def _config_params(booster: Any) -> dict[str, Any]:
    """Training parameters from ``Booster.save_config()``: the ``*_param`` sections' values,
    numbers read as numbers (XGBoost writes every value as a string)."""
    try:
        config = json.loads(booster.save_config())
    except Exception:
        return {}
    out: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _SECTIONS and isinstance(value, dict):
                    for k, v in value.items():
                        out.setdefault(k, _typed(v))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(config)
    return scalars(out)


def _typed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    low = value.lower()
    return low == "true" if low in ("true", "false") else value


class NbtrackCallback(xgb.callback.TrainingCallback):
    def __init__(self, log_params: bool = True):
        super().__init__()
        self.log_params = log_params

    def before_training(self, model):
        run = active_run("xgboost")
        if run is not None and self.log_params:
            booster = model.get_booster() if hasattr(model, "get_booster") else model
            run.log_params(_config_params(booster), source="xgboost")
        return model

    def after_iteration(self, model, epoch: int, evals_log) -> bool:
        run = active_run("xgboost")
        if run is None:
            return False
        values = {
            f"{data}.{metric}": history[-1]
            for data, metrics in (evals_log or {}).items()
            for metric, history in metrics.items()
            if len(history)
        }
        values = {k: (v[0] if isinstance(v, tuple) else v) for k, v in values.items()}  # cv: (mean, std)
        values = numbers(values)
        if values:
            run.log(epoch, values)
        return False  # never stops training


def callback(log_params: bool = True) -> NbtrackCallback:
    """An XGBoost callback logging into the active nbtrack run."""
    return NbtrackCallback(log_params=log_params)
