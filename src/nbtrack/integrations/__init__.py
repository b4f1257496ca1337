"""Framework callbacks that log into the active nbtrack run (a ``%%track`` cell's run, or a
``with nbtrack.start()`` block): per-epoch / per-iteration metrics as series, the model's
configuration as params.

    nbtrack.integrations.lightgbm.callback()        lgb.train(..., callbacks=[...]) / LGBM*.fit
    nbtrack.integrations.xgboost.callback()         xgb.train(..., callbacks=[...]) / XGB*(callbacks=)
    nbtrack.integrations.keras.NbtrackCallback()    model.fit(..., callbacks=[...])  (Keras 3)

Each module imports its framework only when it is imported itself. Outside a tracked run a
callback warns once and records nothing.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from ..capture import run as runmod
from ..capture.values import as_metric
from ..errors import NbtrackWarning

_warned = threading.Event()


def active_run(framework: str):
    run = runmod.current()
    if run is None and not _warned.is_set():
        _warned.set()
        warnings.warn(
            f"nbtrack.integrations.{framework}: no tracked run (use it in a %%track cell or "
            "inside `with nbtrack.start():`): nothing recorded.",
            NbtrackWarning,
            stacklevel=3,
        )
    return run


def numbers(values: dict[str, Any]) -> dict[str, float]:
    """The entries that are real numbers (as floats)."""
    out = {}
    for key, value in values.items():
        if isinstance(value, bool):
            continue
        number = as_metric(value)
        if number is not None:
            out[str(key)] = number
    return out


def scalars(values: dict[str, Any]) -> dict[str, Any]:
    """Params worth a column: numbers, strings, bools, None, short lists of those."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or isinstance(value, (bool, int, float, str)):
            out[str(key)] = value
        elif (
            isinstance(value, (list, tuple))
            and len(value) <= 16
            and all(isinstance(v, (bool, int, float, str)) for v in value)
        ):
            out[str(key)] = list(value)
        elif (number := as_metric(value)) is not None:
            out[str(key)] = number
    return out
