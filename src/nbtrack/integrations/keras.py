"""Keras 3: ``model.fit(x, y, epochs=5, callbacks=[NbtrackCallback()])``.

Each epoch's logs (``loss``, ``accuracy``, ``val_loss``, ...) become series at step = epoch
(and, with ``log_every_n_batches=N``, every N-th batch's logs as ``batch/<name>`` at step =
global batch); params (source ``keras``): ``epochs``, ``steps``, the optimizer's config
(``optimizer.name``, ``optimizer.learning_rate``, ...) and ``model.trainable_params``."""

from __future__ import annotations

from typing import Any

import keras

from . import active_run, numbers, scalars

__all__ = ["NbtrackCallback"]


class NbtrackCallback(keras.callbacks.Callback):
    def __init__(self, log_params: bool = True, log_every_n_batches: int | None = None):
        super().__init__()
        self.log_params = log_params
        self.log_every_n_batches = log_every_n_batches
        self._batches = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        run = active_run("keras")
        if run is None or not self.log_params:
            return
        params: dict[str, Any] = {}
        params.update({k: v for k, v in scalars(dict(self.params or {})).items() if k in ("epochs", "steps")})
        model = self.model
        opt = getattr(model, "optimizer", None)
        if opt is not None:
            try:
                config = opt.get_config()
            except Exception:
                config = {}
            params.update({f"optimizer.{k}": v for k, v in scalars(config).items()})
        try:
            params["model.trainable_params"] = int(sum(int(w.numpy().size) for w in model.trainable_weights))
        except Exception:
            pass
        params["model.name"] = getattr(model, "name", None)
        run.log_params(params, source="keras")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        run = active_run("keras")
        values = numbers(dict(logs or {}))
        if run is not None and values:
            run.log(epoch, values)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        n = self.log_every_n_batches
        if not n:
            return
        self._batches += 1
        if self._batches % n:
            return
        run = active_run("keras")
        values = numbers(dict(logs or {}))
        if run is not None and values:
            run.log(self._batches, {f"batch/{k}": v for k, v in values.items()})
