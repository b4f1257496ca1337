"""``import nbtrack.wandb as wandb``: the W&B calls notebooks already make, recorded by nbtrack.

    run = wandb.init(project="mnist", config={"lr": 1e-3, "optim": {"name": "adam"}})
    for epoch in range(10):
        wandb.log({"loss": loss, "acc": acc})
    wandb.summary["best_acc"] = best
    wandb.finish()

Inside a ``%%track`` cell (or a ``with nbtrack.start()`` block) ``init`` attaches to that run:
config -> params (nested keys flattened with dots: ``optim.name``), ``log`` -> series, summary ->
final metrics (explicit values win over the last logged ones); the cell ends the run. Outside
one, ``init`` starts a run as ``nbtrack.start`` does and ``finish`` ends it; a cell that calls
``init`` and then fails ends that run as ``failed`` (an uncaught exception in a script too).

This module never imports ``wandb``. Calls W&B has and this shim does not raise
``NotImplementedError`` naming the call and the supported set; ``login``, ``Settings``,
``watch``, ``alert`` and ``log_code`` are accepted, do nothing, and say so once.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..capture import context
from ..capture import run as runmod
from ..capture.values import as_metric, safe_repr
from ..errors import NbtrackWarning
from ..store import get_store
from . import media

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "init",
    "log",
    "finish",
    "config",
    "summary",
    "run",
    "define_metric",
    "log_artifact",
    "save",
    "Table",
    "Image",
    "Histogram",
    "Artifact",
    "login",
    "Settings",
    "watch",
    "alert",
    "Error",
]

SUPPORTED = (
    "init",
    "log",
    "finish",
    "config",
    "summary",
    "run",
    "define_metric",
    "log_artifact",
    "save",
    "Table",
    "Image",
    "Histogram",
    "Artifact",
    "login",
    "Settings",
    "watch",
    "alert",
    "log_code",
    "Error",
)
RUN_SUPPORTED = (
    "log",
    "finish",
    "config",
    "summary",
    "define_metric",
    "log_artifact",
    "save",
    "watch",
    "alert",
    "log_code",
    "name",
    "id",
    "url",
    "path",
    "project",
    "entity",
    "tags",
    "notes",
    "group",
    "job_type",
    "dir",
    "mode",
    "step",
    "start_time",
    "resumed",
    "offline",
    "disabled",
    "nbtrack_run",
    "mark_preempting",
)

_time = time.time


class Error(Exception):
    """A misuse W&B itself would refuse (``wandb.errors.Error``)."""


class UnsupportedCall(NotImplementedError, AttributeError):
    """A W&B call the shim does not have (also an AttributeError, so ``hasattr`` answers False)."""


class _MissingKey(KeyError, AttributeError):
    def __str__(self) -> str:
        return str(self.args[0])


_said: set[str] = set()


def _say_once(what: str, message: str) -> None:
    if what not in _said:
        _said.add(what)
        warnings.warn(message, NbtrackWarning, stacklevel=3)


def _noop_note(call: str) -> None:
    _say_once(
        call,
        f"nbtrack.wandb: {call}() does nothing here (runs are recorded locally by nbtrack); "
        "it is accepted so existing code runs unchanged.",
    )


def _unsupported(what: str, supported: Iterable[str]) -> UnsupportedCall:
    return UnsupportedCall(
        f"nbtrack.wandb: {what} is not supported. Supported: {', '.join(sorted(supported))}. "
        "See README 'Already logging with W&B or MLflow?'."
    )


# -- helpers ------------------------------------------------------------------------------------


def flatten(data: Mapping, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: {"optim": {"lr": 0.1}} -> {"optim.lr": 0.1}."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        k = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not isinstance(value, _Media):
            out.update(flatten(value, k + "."))
        else:
            out[k] = value
    return out


def _as_config_dict(value: Any) -> dict:
    """A dict from what ``wandb.config.update`` / ``init(config=)`` accept."""
    if value is None:
        return {}
    if isinstance(value, Config):
        return value.as_dict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (str, os.PathLike)):  # a YAML file, as W&B accepts
        import yaml

        with open(value) as f:
            loaded = yaml.safe_load(f) or {}
        # W&B's config-defaults.yaml shape: {key: {"value": v, "desc": ...}}
        return {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in loaded.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__dict__"):  # argparse.Namespace, SimpleNamespace, absl-like objects
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    raise TypeError(
        f"nbtrack.wandb: config must be a dict, argparse.Namespace, dataclass or YAML path, got {type(value).__name__}"
    )


def _no_points(point: tuple) -> None:
    """The point sink of a run that records nothing (mode="disabled": log returns first)."""


def _number(value: Any) -> float | None:
    if type(value) is float or type(value) is int:
        return value
    if isinstance(value, bool):
        return float(value)
    return as_metric(value)


# -- config and summary -------------------------------------------------------------------------


class Config:
    """``run.config``: attribute and item access, ``update``, ``setdefaults``, ``as_dict``.
    Each new key becomes a parameter of the run (nested keys flattened with dots)."""

    def __init__(self, owner: "Run | None" = None):
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_owner", owner)

    def _set(self, values: Mapping, allow_val_change: bool | None = None) -> None:
        items = self._items
        known = flatten(items)
        for key, value in flatten(values).items():
            if key in known and not _same(known[key], value):
                if not allow_val_change:
                    _say_once(
                        f"config-change:{key}",
                        (
                            f"nbtrack.wandb: config[{key!r}] changed from {safe_repr(known[key], 60)} "
                            f"to {safe_repr(value, 60)}; the run keeps the first value (parameters are "
                            "recorded once per run)."
                        ),
                    )
        for key, value in values.items():
            items[str(key)] = value
        owner = self._owner
        if owner is not None:
            owner._config_changed(flatten(values))

    def update(self, d: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        values = _as_config_dict(d)
        values.update(kwargs)
        self._set(values, allow_val_change)

    def setdefaults(self, d: Mapping) -> None:
        self._set({k: v for k, v in _as_config_dict(d).items() if k not in self._items})

    def as_dict(self) -> dict:
        return dict(self._items)

    def keys(self):
        return self._items.keys()

    def items(self):
        return self._items.items()

    def values(self):
        return self._items.values()

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._items[key]
        except KeyError:
            raise _MissingKey(f"config has no key {key!r}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        self._set({key: value})

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]

    def __setattr__(self, key: str, value: Any) -> None:
        self._set({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Config({self._items!r})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other values without a plain ==
        return a is b


class Summary:
    """``run.summary``: the final value of each metric. Reads give the explicitly set value,
    else the last logged one (and ``key.min``/``key.max``/... from ``define_metric``)."""

    def __init__(self, owner: "Run"):
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_explicit", {})

    def _all(self) -> dict[str, Any]:
        owner = self._owner
        values: dict[str, Any] = dict(owner._nb.last_values()) if owner._nb is not None else {}
        values.update(owner._aggregates())
        values.update(self._explicit)
        return values

    def update(self, d: Mapping | None = None, **kwargs: Any) -> None:
        values = dict(d or {})
        values.update(kwargs)
        for key, value in flatten(values).items():
            self._explicit[key] = value
            self._owner._summary_set(key, value)

    def as_dict(self) -> dict:
        return self._all()

    def keys(self):
        return self._all().keys()

    def items(self):
        return self._all().items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._all().get(key, default)

    def __getitem__(self, key: str) -> Any:
        values = self._all()
        if key in values:
            return values[key]
        raise _MissingKey(f"summary has no key {key!r}")

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self[key]

    def __setattr__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def __contains__(self, key: object) -> bool:
        return key in self._all()

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"Summary({self._all()!r})"


# -- media --------------------------------------------------------------------------------------


class _Media:
    """Something ``log`` stores as an artifact row instead of a series point."""

    def _rows(self, key: str, step: int | float) -> list[dict]:  # pragma: no cover - abstract
        raise NotImplementedError


def _step_text(step: Any) -> str:
    return str(int(step)) if float(step).is_integer() else str(step)


class Image(_Media):
    """``wandb.Image(data, caption=None, mode=None)``: an array (HxW, HxWxC, CxHxW), a PIL image,
    a matplotlib figure or an image file path. Stored as a PNG artifact ``<key>/step-<n>.png``."""

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        grouping: int | None = None,
        classes: Any = None,
        boxes: Any = None,
        masks: Any = None,
        file_type: str | None = None,
        normalize: bool = True,
    ):
        self.caption = caption
        self.mime, self.data = media.image_bytes(data_or_path)
        if boxes is not None or masks is not None:
            _say_once("image-overlays", "nbtrack.wandb: Image boxes/masks are not stored; the image is.")

    def _rows(self, key: str, step: Any) -> list[dict]:
        ext = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/svg+xml": "svg"}.get(
            self.mime, "bin"
        )
        name = f"{key}/step-{_step_text(step)}"
        rows = [{"name": f"{name}.{ext}", "mime": self.mime, "size": len(self.data), "data": self.data}]
        if self.caption is not None:
            cap = str(self.caption).encode()
            rows.append({"name": f"{name}.caption.txt", "mime": "text/plain", "size": len(cap), "data": cap})
        return rows

    def __repr__(self) -> str:
        return f"<nbtrack.wandb.Image {self.mime} {len(self.data)} bytes>"


class Histogram(_Media):
    """``wandb.Histogram(sequence, np_histogram=None, num_bins=64)``: stored as a JSON artifact
    ``<key>/step-<n>.histogram.json`` with ``bins`` (edges) and ``counts``."""

    def __init__(self, sequence: Any = None, np_histogram: Any = None, num_bins: int = 64):
        hist = media.histogram(sequence, np_histogram, num_bins)
        self.bins, self.histogram = hist["bins"], hist["counts"]

    def _rows(self, key: str, step: Any) -> list[dict]:
        data = media.json_bytes({"bins": self.bins, "counts": self.histogram, "key": key, "step": step})
        return [
            {
                "name": f"{key}/step-{_step_text(step)}.histogram.json",
                "mime": media.HISTOGRAM_MIME,
                "size": len(data),
                "data": data,
            }
        ]


class Table(_Media):
    """``wandb.Table(columns=, data=, dataframe=)`` with ``add_data``, ``add_column``,
    ``get_column``, ``get_dataframe``. Stored as a JSON artifact ``<key>/step-<n>.table.json``
    (``{"columns": [...], "data": [[...], ...]}``); media in cells are kept as their repr."""

    def __init__(
        self,
        columns: list | None = None,
        data: list | None = None,
        rows: list | None = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: Any = True,
        allow_mixed_types: bool = False,
    ):
        if dataframe is not None:
            self.columns = [str(c) for c in dataframe.columns]
            self.data = dataframe.values.tolist()
        else:
            data = data if data is not None else rows
            self.data = [list(r) for r in (data or [])]
            if columns is None:
                columns = [f"col{i}" for i in range(len(self.data[0]))] if self.data else []
            self.columns = list(columns)
        for i, row in enumerate(self.data):
            if len(row) != len(self.columns):
                raise ValueError(f"nbtrack.wandb.Table: row {i} has {len(row)} values for {len(self.columns)} columns")

    def add_data(self, *values: Any) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"nbtrack.wandb.Table.add_data: {len(values)} values for {len(self.columns)} columns")
        self.data.append(list(values))

    def add_column(self, name: str, data: list, optional: bool = False) -> None:
        if self.data and len(data) != len(self.data):
            raise ValueError(f"nbtrack.wandb.Table.add_column: {len(data)} values for {len(self.data)} rows")
        if not self.data:
            self.data = [[] for _ in data]
        self.columns.append(name)
        for row, value in zip(self.data, data):
            row.append(value)

    def get_column(self, name: str, convert_to: str | None = None) -> list | np.ndarray:
        i = self.columns.index(name)
        values = [row[i] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        return values

    def get_dataframe(self):
        import pandas as pd

        return pd.DataFrame(self.data, columns=self.columns)

    def _rows(self, key: str, step: Any) -> list[dict]:
        cells = [[repr(v) if isinstance(v, _Media) else v for v in row] for row in self.data]
        data = media.json_bytes({"columns": self.columns, "data": cells})
        return [
            {
                "name": f"{key}/step-{_step_text(step)}.table.json",
                "mime": media.TABLE_MIME,
                "size": len(data),
                "data": data,
            }
        ]

    def __repr__(self) -> str:
        return f"<nbtrack.wandb.Table {len(self.data)} rows x {len(self.columns)} columns>"


class Artifact:
    """``wandb.Artifact(name, type, description=None, metadata=None)`` with ``add_file``,
    ``add_dir``, ``new_file``; ``run.log_artifact(artifact)`` copies the files into the store
    folder (``<store>/artifacts/<run_id>/<name>/``, capped by ``NBTRACK_ARTIFACT_MAX_MB``)."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict | None = None,
        incremental: bool = False,
        use_as: str | None = None,
    ):
        self.name, self.type, self.description = str(name), str(type), description
        self.metadata = dict(metadata or {})
        self._entries: list[tuple[str, Path]] = []
        self._tmp: list[Path] = []

    def add_file(self, local_path: str, name: str | None = None, is_tmp: bool = False, **_: Any) -> None:
        path = Path(local_path)
        if not path.is_file():
            raise FileNotFoundError(f"nbtrack.wandb.Artifact.add_file: {local_path!r} is not a file")
        self._entries.append((name or path.name, path))

    def add_dir(self, local_path: str, name: str | None = None, **_: Any) -> None:
        path = Path(local_path)
        if not path.is_dir():
            raise FileNotFoundError(f"nbtrack.wandb.Artifact.add_dir: {local_path!r} is not a folder")
        self._entries.extend(media.expand(path, name))

    def new_file(self, name: str, mode: str = "x", encoding: str | None = None):
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="nbtrack-artifact-"))
        path = folder / Path(name).name
        self._tmp.append(folder)
        self._entries.append((name, path))
        return open(
            path,
            mode.replace("x", "w") if "b" in mode else mode.replace("x", "w"),
            encoding=None if "b" in mode else (encoding or "utf-8"),
        )

    def add_reference(self, *args: Any, **kwargs: Any):
        raise _unsupported("Artifact.add_reference", ("add_file", "add_dir", "new_file"))

    def __repr__(self) -> str:
        return f"<nbtrack.wandb.Artifact {self.name}:{self.type} {len(self._entries)} files>"


# -- the run ------------------------------------------------------------------------------------

_lock = threading.RLock()
_runs: list["Run"] = []  # active shim runs, newest last
run: "Run | None" = None  # wandb.run


def _set_current() -> None:
    global run
    run = _runs[-1] if _runs else None


class Run:
    """What ``wandb.init`` returns (``wandb.run``). ``run.nbtrack_run`` is the nbtrack ``Run``."""

    def __init__(
        self,
        nb: "runmod.Run | None",
        attached: bool,
        project: str | None,
        mode: str,
        notes: str | None = None,
        group: str | None = None,
        job_type: str | None = None,
        dir: str | None = None,
        resumed: bool = False,
        start_step: int = 0,
    ):
        self._nb = nb
        self._attached = attached
        self._project = project
        self._mode = mode
        self._notes, self._group, self._job_type = notes, group, job_type
        self._dir = dir
        self._resumed = resumed
        self._step: int | float = start_step  # a float once log(step=1.5) was called
        self._pending: dict[str, Any] = {}
        self._step_metrics: list[tuple[str, str]] = []  # (pattern, step metric)
        self._summaries: list[tuple[str, tuple[str, ...], str | None]] = []  # (pattern, aggs, goal)
        self._agg: dict[str, dict] = {}
        self._closed = nb is None and mode != "disabled"
        self._fast = nb is not None
        self._append: Callable[[tuple], None] = nb._points.append if nb is not None else _no_points
        self._init_cell = False  # started by a plain (untracked) notebook cell now running
        self._saved = 0  # save() calls: artifact names files-0, files-1, ...
        self.config = Config(self)
        self.summary = Summary(self)
        if nb is not None:
            nb.on_end(self._nb_ended)

    # -- identity -----------------------------------------------------------------------------

    @property
    def nbtrack_run(self) -> "runmod.Run | None":
        return self._nb

    @property
    def id(self) -> str:
        return self._nb.run_id if self._nb is not None else "disabled"

    @property
    def name(self) -> str | None:
        return self._nb.name if self._nb is not None else None

    @name.setter
    def name(self, value: str) -> None:
        if self._nb is not None:
            self._nb.name = str(value)

    @property
    def tags(self) -> tuple:
        return tuple(self._nb.tags) if self._nb is not None else ()

    @tags.setter
    def tags(self, value: Iterable[str]) -> None:
        if self._nb is not None:
            self._nb.tags = [str(t) for t in value]

    @property
    def url(self) -> str | None:
        """Where the run is shown locally: ``nbtrack:<store folder>#<run id>`` (open it with
        ``nbtrack show <run id>``, ``nbtrack.get_run(id)`` or the JupyterLab sidebar)."""
        if self._nb is None:
            return None
        return f"nbtrack:{self._nb.store.dir}#{self._nb.run_id}"

    @property
    def project(self) -> str | None:
        return self._nb.experiment if self._nb is not None else self._project

    @property
    def entity(self) -> str:
        return "local"

    @property
    def path(self) -> str:
        return f"local/{self.project}/{self.id}"

    @property
    def notes(self) -> str | None:
        return self._notes

    @property
    def group(self) -> str | None:
        return self._group

    @property
    def job_type(self) -> str | None:
        return self._job_type

    @property
    def dir(self) -> str:
        return str(self._dir or (self._nb.store.dir if self._nb is not None else os.getcwd()))

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def offline(self) -> bool:
        return self._mode == "offline"

    @property
    def disabled(self) -> bool:
        return self._mode == "disabled"

    @property
    def resumed(self) -> bool:
        return self._resumed

    @property
    def step(self) -> int | float:
        return self._step

    @property
    def start_time(self) -> float:
        return self._nb.started if self._nb is not None else 0.0

    # -- logging ------------------------------------------------------------------------------

    def log(
        self,
        data: Mapping[str, Any],
        step: int | float | None = None,
        commit: bool | None = None,
        sync: bool | None = None,
    ) -> None:
        """Numbers become series points at the run's step (W&B's rules: each call is a step
        unless ``commit=False``; an explicit ``step`` commits when the step moves on; a step
        lower than the current one is ignored with a warning). Images, tables and histograms
        become artifact rows; nested dicts are flattened with dots."""
        if self._fast and step is None and commit is None and not self._pending:
            s = self._step
            t = _time()
            append = self._append
            other = None
            for key, value in data.items():
                if (type(value) is float or type(value) is int) and type(key) is str:
                    append((key, s, value, t))
                else:
                    if other is None:
                        other = {}
                    other[key] = value
            if other is not None:
                self._write(other, s, t)
            self._step = s + 1
            return
        if self._nb is None:
            if self._closed:
                raise Error("nbtrack.wandb: this run has finished; call wandb.init() to start another.")
            return  # mode="disabled"
        if self._closed:
            raise Error(
                "nbtrack.wandb: this run has finished (wandb.finish(), or the %%track cell that "
                "ran it ended); call wandb.init() to start another."
            )
        if not isinstance(data, Mapping):
            raise TypeError(f"nbtrack.wandb.log expects a dict, got {type(data).__name__}")
        if step is not None:
            number = _number(step)
            if number is None:
                raise TypeError(f"nbtrack.wandb.log: step must be a number, got {safe_repr(step, 40)}")
            step = int(number) if float(number).is_integer() else number
            if step < self._step:
                _say_once(
                    f"step-back:{id(self)}",
                    (
                        f"nbtrack.wandb.log: step {step} is lower than the run's current step {self._step}: "
                        "those values are ignored (as W&B does). Use define_metric(step_metric=...) for "
                        "a custom x axis."
                    ),
                )
                return
            if step > self._step:
                self._commit()
                self._step = step
            self._pending.update(data)
            if commit:
                self._commit()
                self._step += 1
        else:
            self._pending.update(data)
            if commit is not False:
                self._commit()
                self._step += 1

    def _commit(self) -> None:
        data, self._pending = self._pending, {}
        if data:
            self._write(data, self._step, _time())

    def _write(self, data: Mapping, s: Any, t: float) -> None:
        append = self._append
        flat = flatten(data) if any(isinstance(v, Mapping) for v in data.values()) else data
        rows: list[dict] = []
        special = bool(self._step_metrics or self._summaries)
        for key, value in flat.items():
            key = str(key)
            if value is None:
                continue
            number = _number(value)
            if number is not None:
                x = s
                if special:
                    sm = self._match(self._step_metrics, key)
                    if sm is not None and sm in flat and (xv := _number(flat[sm])) is not None:
                        x = xv
                    self._aggregate(key, number)
                append((key, x, number, t))
            elif isinstance(value, _Media):
                rows.extend(value._rows(key, s))
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, _Media) for v in value):
                for i, item in enumerate(value):
                    for row in item._rows(f"{key}/{i}", s):
                        rows.append(row)
            else:
                _say_once(
                    f"log-type:{key}",
                    (
                        f"nbtrack.wandb.log: {key!r} is a {type(value).__name__}; nbtrack records numbers "
                        "(as series) and Image/Table/Histogram (as artifacts): this value was not stored."
                    ),
                )
        if rows:
            assert self._nb is not None  # log() writes only for a run it records into
            self._nb.add_artifacts(rows)

    @staticmethod
    def _match(rules: list, key: str):
        for pattern, value in reversed(rules):  # the latest definition wins
            if pattern == key or ("*" in pattern and fnmatch.fnmatchcase(key, pattern)):
                return value
        return None

    def define_metric(
        self,
        name: str,
        step_metric: str | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> None:
        """``step_metric``: the series of ``name`` (a key or a ``"val/*"`` glob) use that
        metric's value in the same ``log`` call as their step. ``summary``: ``min``, ``max``,
        ``mean``, ``first``, ``last``, ``best`` (with ``goal="minimize"|"maximize"``), comma
        separated, stored as final metrics ``name.min``, ``name.max``, ...; ``none`` and
        ``hidden`` are accepted (nbtrack keeps the last point of every series)."""
        self._fast = False  # every log call now checks the definitions
        if step_metric is not None:
            self._step_metrics.append((str(name), str(step_metric)))
        if summary:
            aggs = tuple(a.strip() for a in str(summary).split(",") if a.strip())
            bad = [a for a in aggs if a not in ("min", "max", "mean", "first", "last", "best", "none", "copy")]
            if bad:
                raise ValueError(
                    f"nbtrack.wandb.define_metric: unknown summary {bad[0]!r}; use min, max, "
                    "mean, first, last, best or none"
                )
            if goal is not None and goal not in ("minimize", "maximize"):
                raise ValueError(f"nbtrack.wandb.define_metric: goal must be 'minimize' or 'maximize', got {goal!r}")
            self._summaries.append((str(name), aggs, goal))
        return None

    def _aggregate(self, key: str, value: float) -> None:
        rule = self._match([(p, (a, g)) for p, a, g in self._summaries], key)
        if rule is None:
            return
        a = self._agg.get(key)
        if a is None:
            self._agg[key] = a = {
                "rule": rule,
                "min": value,
                "max": value,
                "sum": 0.0,
                "n": 0,
                "first": value,
                "last": value,
            }
        a["min"] = min(a["min"], value)
        a["max"] = max(a["max"], value)
        a["sum"] += value
        a["n"] += 1
        a["last"] = value

    def _aggregates(self) -> dict[str, float]:
        out = {}
        for key, a in self._agg.items():
            aggs, goal = a["rule"]
            for agg in aggs:
                if agg in ("min", "max", "first", "last"):
                    out[f"{key}.{agg}"] = a[agg]
                elif agg == "mean" and a["n"]:
                    out[f"{key}.mean"] = a["sum"] / a["n"]
                elif agg == "best":
                    out[f"{key}.best"] = a["min"] if goal == "minimize" else a["max"]
        return out

    def _summary_set(self, key: str, value: Any) -> None:
        if self._nb is None or self._closed:
            return
        number = _number(value)
        if number is None:
            _say_once(
                f"summary-type:{key}",
                (
                    f"nbtrack.wandb: summary[{key!r}] is a {type(value).__name__}; nbtrack stores numbers as "
                    "final metrics: kept in run.summary, not stored."
                ),
            )
            return
        self._nb.log_metrics({key: number})

    def _config_changed(self, flat: dict[str, Any]) -> None:
        if self._nb is not None and not self._closed:
            self._nb.log_params(flat, source="wandb.config")

    # -- files ----------------------------------------------------------------------------------

    def log_artifact(
        self,
        artifact_or_path: Any,
        name: str | None = None,
        type: str | None = None,
        aliases: list | None = None,
        tags: list | None = None,
    ) -> Any:
        """Store an ``Artifact`` (or a file/folder path) with the run: files copied into the
        store folder, one ``artifact:<name>`` row listing them (sizes, sha256)."""
        if isinstance(artifact_or_path, Artifact):
            art = artifact_or_path
        else:
            path = Path(artifact_or_path)
            art = Artifact(name or path.name, type or "unspecified")
            if path.is_dir():
                art.add_dir(str(path))
            else:
                art.add_file(str(path))
        if self._nb is None or self._closed:
            return art
        row = media.store_files(
            self._nb.store.dir,
            self._nb.run_id,
            art.name,
            art._entries,
            kind=art.type,
            metadata=art.metadata,
            description=art.description,
        )
        self._nb.add_artifacts([row])
        return art

    def save(self, glob_str: str | None = None, base_path: str | None = None, policy: str = "live") -> list[str]:
        """``wandb.save("model.pt")``: the matching files are stored as the artifact ``files``."""
        import glob as globmod

        if glob_str is None:
            return []
        paths = [Path(p) for p in globmod.glob(str(glob_str), recursive=True) if Path(p).is_file()]
        if not paths or self._nb is None or self._closed:
            return [str(p) for p in paths]
        base = Path(base_path) if base_path else None
        entries = [(str(p.relative_to(base)) if base and p.is_relative_to(base) else p.name, p) for p in paths]
        row = media.store_files(self._nb.store.dir, self._nb.run_id, f"files-{self._saved}", entries, kind="files")
        self._saved += 1
        self._nb.add_artifacts([row])
        return [str(p) for p in paths]

    def watch(self, *args: Any, **kwargs: Any) -> None:
        _noop_note("watch")

    def alert(self, title: str = "", text: str = "", level: Any = None, wait_duration: Any = None) -> None:
        _noop_note("alert")

    def log_code(self, *args: Any, **kwargs: Any) -> None:
        _noop_note("log_code")

    def mark_preempting(self) -> None:
        pass

    def use_artifact(self, *args: Any, **kwargs: Any):
        raise _unsupported("run.use_artifact", RUN_SUPPORTED)

    # -- end ------------------------------------------------------------------------------------

    def _final(self) -> None:
        """Buffered step and define_metric summaries into the run (once)."""
        if self._nb is None or self._closed:
            return
        self._commit()
        aggs = self._aggregates()
        explicit = self.summary._explicit
        final = {k: v for k, v in aggs.items() if k not in explicit}
        if final:
            self._nb.log_metrics(final)

    def _close(self) -> None:
        self._closed = True
        self._fast = False
        with _lock:
            if self in _runs:
                _runs.remove(self)
            _set_current()

    def _nb_ended(self, nb, status: str) -> None:  # Run.on_end hook: the cell/process ended it
        self._final()
        self._close()

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Outside a tracked cell: end the run (``finished``; ``failed`` for a non-zero
        ``exit_code``). Inside one: flush and detach; the cell ends its run."""
        if self._closed or self._nb is None:
            self._close()
            return
        self._final()
        nb = self._nb
        if self._attached:
            if exit_code:
                _say_once(
                    "attached-exit-code",
                    (
                        "nbtrack.wandb.finish(exit_code=...) inside a %%track cell: the cell's run ends "
                        "with the cell (failed only if the cell raises)."
                    ),
                )
            self._close()
            return
        self._close()
        if nb in runmod._stack:
            runmod._stack.remove(nb)
        if exit_code:
            nb.end("failed", RuntimeError(f"wandb.finish(exit_code={exit_code})"), metrics=nb.last_values())
        else:
            nb.end("finished", metrics=nb.last_values())

    def _fail(self, exc: BaseException) -> None:
        nb = self._nb
        if self._closed or nb is None or self._attached:
            return
        self._final()
        self._close()
        if nb in runmod._stack:
            runmod._stack.remove(nb)
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        nb.end(status, exc, metrics=nb.last_values())

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and not self._attached:
            self._fail(exc)
        else:
            self.finish()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        raise _unsupported(f"run.{name}", RUN_SUPPORTED)

    def __repr__(self) -> str:
        return f"<nbtrack.wandb.Run {self.id} name={self.name!r} {'attached' if self._attached else 'own'}>"


# -- module-level API ---------------------------------------------------------------------------

_REINIT = ("finish_previous", "return_previous", "create_new", "default")
_MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")


def init(
    project: str | None = None,
    entity: str | None = None,
    name: str | None = None,
    config: Any = None,
    tags: Iterable[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    reinit: Any = None,
    mode: str | None = None,
    dir: str | None = None,
    id: str | None = None,
    resume: Any = None,
    settings: Any = None,
    save_code: bool | None = None,
    anonymous: str | None = None,
    config_exclude_keys: list | None = None,
    config_include_keys: list | None = None,
    allow_val_change: bool | None = None,
    force: bool | None = None,
    sync_tensorboard: bool | None = None,
    monitor_gym: bool | None = None,
    tensorboard: bool | None = None,
    resume_from: str | None = None,
    fork_from: str | None = None,
) -> Run:
    """Start (or attach to) a run; see the module docstring. ``project`` -> experiment,
    ``name``/``tags`` -> the run's name and tags, ``group``/``job_type``/``notes``/``id`` ->
    params ``wandb.group``, ``wandb.job_type``, ``wandb.notes``, ``wandb.id``. ``resume``
    ("allow", "must", "auto" or True) with ``id`` (an nbtrack run id or an earlier ``id=``)
    continues that run outside a tracked cell. ``entity``, ``settings``, ``dir``, ``save_code``,
    ``anonymous``, ``force`` are accepted and change nothing (runs stay local)."""
    if resume_from is not None or fork_from is not None:
        raise _unsupported("init(resume_from=/fork_from=)", ("init(id=, resume=)",))
    if sync_tensorboard or tensorboard or monitor_gym:
        _say_once("tensorboard", "nbtrack.wandb.init: sync_tensorboard/monitor_gym are not supported; ignored.")
    env = os.environ
    mode = mode or env.get("WANDB_MODE") or "online"
    if mode not in _MODES:
        raise ValueError(f"nbtrack.wandb.init: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if env.get("WANDB_DISABLED", "").lower() in ("true", "1", "yes"):
        mode = "disabled"
    project = project or env.get("WANDB_PROJECT")
    name = name or env.get("WANDB_NAME")
    notes = notes or env.get("WANDB_NOTES")
    group = group or env.get("WANDB_RUN_GROUP")
    job_type = job_type or env.get("WANDB_JOB_TYPE")
    id = id or env.get("WANDB_RUN_ID")
    if tags is None and env.get("WANDB_TAGS"):
        tags = [t for t in env["WANDB_TAGS"].split(",") if t]
    if isinstance(tags, str):
        tags = [tags]
    values = _as_config_dict(config)
    if config_include_keys:
        values = {k: v for k, v in values.items() if k in config_include_keys}
    if config_exclude_keys:
        values = {k: v for k, v in values.items() if k not in config_exclude_keys}
    if reinit is True:
        reinit = "finish_previous"
    elif reinit is False:
        reinit = "return_previous"
    elif reinit is None:
        reinit = "default"
    if reinit not in _REINIT:
        raise ValueError(f"nbtrack.wandb.init: reinit must be one of {', '.join(_REINIT)} or a bool, got {reinit!r}")

    with _lock:
        if mode == "disabled":
            new = Run(None, attached=False, project=project, mode="disabled")
            for k, v in values.items():
                new.config._items[k] = v
            _runs.append(new)
            _set_current()
            return new

        current = runmod.current()
        ours = {r._nb: r for r in _runs if r._nb is not None}
        if current is not None and current in ours:
            previous = ours[current]
            if previous._attached or reinit == "return_previous":
                _apply(previous, values, name, tags, notes, group, job_type)
                return previous
            if reinit in ("finish_previous", "default"):
                previous.finish()
                current = runmod.current()
                if current in ours:
                    current = None
            else:  # create_new: a second own run
                current = None
        if current is not None and current not in ours:
            attached = Run(
                current, attached=True, project=project, mode=mode, notes=notes, group=group, job_type=job_type, dir=dir
            )
            if project and current.experiment == context.experiment_default(current.notebook):
                current.experiment = str(project)  # %%track -e / nbtrack.start(experiment=) win
            if resume:
                _say_once(
                    "resume-attached",
                    "nbtrack.wandb.init(resume=...) inside a tracked cell: the cell's own run is used.",
                )
            _apply(attached, values, name, tags, notes, group, job_type, id_=id, tags_extend=True)
            _runs.append(attached)
            _set_current()
            return attached
        new = _start_own(project, name, values, tags, notes, group, job_type, mode, dir, id, resume)
        _runs.append(new)
        _set_current()
        return new


def _apply(r: Run, values: dict, name, tags, notes, group, job_type, id_=None, tags_extend=False) -> None:
    nb = r._nb
    if name and nb is not None and not nb.name:
        nb.name = str(name)
    if tags and nb is not None:
        nb.tags = list(dict.fromkeys([*(nb.tags if tags_extend else nb.tags), *map(str, tags)]))
    extra = {
        f"wandb.{k}": v
        for k, v in (("group", group), ("job_type", job_type), ("notes", notes), ("id", id_))
        if v is not None
    }
    if extra and nb is not None:
        nb.log_params(extra, source="wandb.init")
    if values:
        r.config.update(values)


def _find_resumable(store, id_: str):
    from ..store import query

    try:
        return query.get_run(store, query.resolve_run_id(store, id_))
    except KeyError:
        pass
    frame = query.runs_frame(store)
    if "params.wandb.id" in frame.columns:
        hit = frame[frame["params.wandb.id"] == id_]
        if len(hit):
            return query.get_run(store, hit.iloc[0]["run_id"])
    return None


def _start_own(project, name, values, tags, notes, group, job_type, mode, dir, id_, resume) -> Run:
    import __main__

    store = get_store()
    flat = flatten(values)
    shell = _ipython()
    notebook = context.notebook_path(shell.user_ns) if shell is not None else getattr(__main__, "__file__", None)
    experiment = project or (Path(notebook).stem if notebook else None)
    resume_mode = "auto" if resume is True else resume
    record = None
    if resume_mode and resume_mode is not False:
        if resume_mode not in ("allow", "must", "auto", "never"):
            raise ValueError(
                f"nbtrack.wandb.init: resume must be 'allow', 'must', 'auto', 'never' or a bool, got {resume!r}"
            )
        if resume_mode != "never":
            if not id_ and resume_mode == "must":
                raise Error("nbtrack.wandb.init(resume='must') needs id=")
            record = _find_resumable(store, id_) if id_ else None
            if record is None and resume_mode == "must":
                raise Error(f"nbtrack.wandb.init(resume='must'): no run with id {id_!r} in {store.dir}")
    if record is not None:
        nb = runmod.Run(
            store,
            name=record.name,
            experiment=record.experiment,
            tags=record.tags,
            notebook=record.notebook,
            cell_id=record.cell_id,
            source=record.source,
        )
        nb.run_id = record.run_id
        import datetime as dt

        nb.started = record.started_at.replace(tzinfo=dt.timezone.utc).timestamp()
        nb._seq = time.time_ns()  # this process's row versions supersede the earlier ones
        from ..store import query

        points = query.series_frame(store, record.run_id)
        start_step = int(points["step"].max()) + 1 if len(points) else 0
        nb.begin()
        nb.params.update(record.params)
        nb._next_step = start_step
        r = Run(
            nb,
            attached=False,
            project=project,
            mode=mode,
            notes=notes,
            group=group,
            job_type=job_type,
            dir=dir,
            resumed=True,
            start_step=start_step,
        )
        for k, v in record.params.items():
            r.config._items.setdefault(k, v)
        _apply(r, values, name, tags, None, None, None)
    else:
        extra = {
            f"wandb.{k}": v
            for k, v in (("group", group), ("job_type", job_type), ("notes", notes), ("id", id_))
            if v is not None
        }
        nb = runmod.Run(
            store, name=name, experiment=experiment, tags=list(tags or []), params={**flat, **extra}, notebook=notebook
        )
        for k in flat:
            nb.param_sources[k] = "wandb.config"
        for k in extra:
            nb.param_sources[k] = "wandb.init"
        nb.begin()
        r = Run(nb, attached=False, project=project, mode=mode, notes=notes, group=group, job_type=job_type, dir=dir)
        r.config._items.update(values)
    runmod._stack.append(nb)
    if shell is not None and _in_cell():
        _watch_cells(shell)
        r._init_cell = True
    else:
        _install_excepthook()
    return r


def _in_cell() -> bool:
    """Is IPython running a cell right now (InteractiveShell.run_code on the stack)?"""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "run_code" and code.co_filename.endswith("interactiveshell.py"):
            return True
        frame = frame.f_back
    return False


# -- failure of the cell that called init (notebooks) and of scripts ------------------------------

_watched: set[int] = set()


def _ipython():
    ip = sys.modules.get("IPython")
    if ip is None:
        return None
    try:
        return ip.get_ipython()
    except Exception:
        return None


def _watch_cells(shell) -> None:
    if id(shell) in _watched:
        return
    _watched.add(id(shell))

    def post_run_cell(result) -> None:
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        for r in list(_runs):
            if r._init_cell:
                r._init_cell = False
                if exc is not None:
                    try:
                        r._fail(exc)
                    except Exception:
                        pass

    shell.events.register("post_run_cell", post_run_cell)


_hooked = False


def _install_excepthook() -> None:
    global _hooked
    if _hooked:
        return
    _hooked = True
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        for r in list(_runs):
            try:
                r._fail(exc)
            except Exception:
                pass
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


def _require_run(call: str) -> Run:
    r = run
    if r is not None:
        return r
    if runmod.current() is not None:  # inside a %%track cell without init(): attach
        return init()
    raise Error(f"nbtrack.wandb: you must call wandb.init() before wandb.{call}()")


def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None, sync: bool | None = None) -> None:
    """``wandb.log({...})`` on the current run (see ``Run.log``)."""
    r = run
    if r is None:
        r = _require_run("log")
    r.log(data, step=step, commit=commit)


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """End the current run (see ``Run.finish``); without one it does nothing."""
    r = run
    if r is not None:
        r.finish(exit_code=exit_code)


def define_metric(
    name: str,
    step_metric: str | None = None,
    step_sync: bool | None = None,
    hidden: bool | None = None,
    summary: str | None = None,
    goal: str | None = None,
    overwrite: bool | None = None,
) -> None:
    return _require_run("define_metric").define_metric(
        name, step_metric=step_metric, step_sync=step_sync, hidden=hidden, summary=summary, goal=goal
    )


def log_artifact(
    artifact_or_path: Any,
    name: str | None = None,
    type: str | None = None,
    aliases: list | None = None,
    tags: list | None = None,
) -> Any:
    return _require_run("log_artifact").log_artifact(artifact_or_path, name=name, type=type)


def save(glob_str: str | None = None, base_path: str | None = None, policy: str = "live") -> list[str]:
    return _require_run("save").save(glob_str, base_path=base_path, policy=policy)


def login(
    key: str | None = None,
    relogin: bool | None = None,
    host: str | None = None,
    anonymous: str | None = None,
    timeout: int | None = None,
    verify: bool = False,
    **kwargs: Any,
) -> bool:
    _noop_note("login")
    return True


def watch(*args: Any, **kwargs: Any) -> None:
    _noop_note("watch")


def alert(title: str = "", text: str = "", level: Any = None, wait_duration: Any = None) -> None:
    _noop_note("alert")


def log_code(*args: Any, **kwargs: Any) -> None:
    _noop_note("log_code")


class Settings:
    """``wandb.Settings(...)``: accepted, changes nothing (runs are recorded locally)."""

    def __init__(self, **kwargs: Any):
        self.__dict__.update(kwargs)
        _noop_note("Settings")


class _ConfigProxy(Config):
    """``wandb.config``: the current run's config (a run is attached first inside a tracked cell)."""

    def _target(self, call: str) -> Config:
        return _require_run(call).config

    def _set(self, values: Mapping, allow_val_change: bool | None = None) -> None:
        self._target("config")._set(values, allow_val_change)

    def as_dict(self) -> dict:
        return run.config.as_dict() if run is not None else {}

    def setdefaults(self, d: Mapping) -> None:
        self._target("config").setdefaults(d)

    def __getitem__(self, key: str) -> Any:
        if run is None:
            raise _MissingKey(f"config has no key {key!r} (call wandb.init() first)")
        return run.config[key]

    def keys(self):
        return self.as_dict().keys()

    def items(self):
        return self.as_dict().items()

    def values(self):
        return self.as_dict().values()

    def get(self, key: str, default: Any = None) -> Any:
        return self.as_dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()

    def __iter__(self):
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def __repr__(self) -> str:
        return f"Config({self.as_dict()!r})"


class _SummaryProxy:
    """``wandb.summary``: the current run's summary."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return getattr(_require_run("summary").summary, key)

    def __getitem__(self, key: str) -> Any:
        return _require_run("summary").summary[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _require_run("summary").summary[key] = value

    def __setattr__(self, key: str, value: Any) -> None:
        _require_run("summary").summary[key] = value

    def __contains__(self, key: object) -> bool:
        return run is not None and key in run.summary

    def __repr__(self) -> str:
        return repr(run.summary) if run is not None else "Summary({})"


config = _ConfigProxy()
summary = _SummaryProxy()


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise _unsupported(f"wandb.{name}", SUPPORTED)
