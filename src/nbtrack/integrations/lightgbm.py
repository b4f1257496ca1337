"""LightGBM: ``lgb.train(params, train, valid_sets=[val], callbacks=[callback()])`` or
``LGBMClassifier().fit(X, y, eval_set=[...], callbacks=[callback()])``.

Each iteration's evaluation results become series ``<data>.<metric>`` (e.g.
``valid_0.binary_logloss``) at step = iteration; the training params become params (source
``lightgbm``) at the first iteration."""

from __future__ import annotations

from typing import Any

from . import active_run, numbers, scalars

__all__ = ["callback", "NbtrackCallback"]


class NbtrackCallback:
    order = 25  # after LightGBM's own record_evaluation (20), before early stopping (30)
    before_iteration = False

    def __init__(self, log_params: bool = True):
        self.log_params = log_params
        self._params_done = False

    def __call__(self, env: Any) -> None:
        run = active_run("lightgbm")
        if run is None:
            return
        if self.log_params and not self._params_done:
            self._params_done = True
            run.log_params(scalars(dict(env.params or {})), source="lightgbm")
        values = {}
        for item in env.evaluation_result_list or []:
            data_name, eval_name, result = item[0], item[1], item[2]
            values[f"{data_name}.{eval_name}"] = result
        values = numbers(values)
        if values:
            run.log(env.iteration, values)


def callback(log_params: bool = True) -> NbtrackCallback:
    """A LightGBM callback logging into the active nbtrack run."""
    return NbtrackCallback(log_params=log_params)
