"""The capture rules' word lists, in one place, and the user's additions to them.

What is *not* an experiment parameter or metric is decided here: calls whose keyword arguments
are presentation, I/O or data plumbing (``print``, ``plt.*``, ``df.sort_values``), keyword names
that style or route rather than configure (``figsize``, ``verbose``, ``inplace``), and names
that are bookkeeping rather than results (``n_samples``, ``start_time``).

The lists were built from the cells of public notebooks (scikit-learn, XGBoost/LightGBM, Keras-
and PyTorch-style loops, pandas feature engineering, plotting) : each entry removed a key that
a data scientist would not call a parameter. A project adds to them in ``pyproject.toml``::

    [tool.nbtrack.capture]
    exclude_calls = ["mylib.plot_*", "report"]   # callee names (fnmatch patterns)
    exclude_params = ["palette"]                 # keyword / variable names never params
    metrics = ["n_errors"]                       # names always metrics
    no_metrics = ["epoch_time"]                  # names never metrics

and a single cell with ``%%track --no-param NAME --metric NAME``.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# -- calls whose keyword arguments are not parameters -----------------------------------------

# Dotted callee names as written in the cell; fnmatch patterns. ``*.plot`` matches ``df.plot``.
PRESENTATION_CALLS = (
    # printing, display, progress
    "print",
    "display",
    "display.*",
    "pprint",
    "pprint.*",
    "tqdm",
    "tqdm.*",
    "trange",
    "*.style.*",
    "IPython.display.*",
    "Markdown",
    "HTML",
    "Image",
    # plotting and styling
    "plt.*",
    "pyplot.*",
    "matplotlib.*",
    "mpl.*",
    "sns.*",
    "seaborn.*",
    "alt.*",
    "altair.*",
    "px.*",
    "go.*",
    "plotly.*",
    "bokeh.*",
    "hv.*",
    "*.plot",
    "*.plot.*",
    "*.hist",
    "*.scatter",
    "*.bar",
    "*.barh",
    "*.boxplot",
    "*.imshow",
    "*.legend",
    "*.set_title",
    "*.set_xlabel",
    "*.set_ylabel",
    "*.set_xlim",
    "*.set_ylim",
    "*.set",
    "*.grid",
    "*.annotate",
    "*.text",
    "*.savefig",
    "*.show",
    "*.tight_layout",
    "*.subplots",
    "*.subplot",
    "*.figure",
    "*.axhline",
    "*.axvline",
    "*.fill_between",
    "*.errorbar",
    "*.heatmap",
    "*.colorbar",
    "*.tick_params",
    "*.set_xticks",
    "*.set_yticks",
    "*.set_xticklabels",
    "*.set_yticklabels",
    "*.suptitle",
    "ConfusionMatrixDisplay*",
    "RocCurveDisplay*",
    "PrecisionRecallDisplay*",
    "plot_tree",
    "*.from_estimator",
    "*.from_predictions",
    "make_subplots",
    "*.add_trace",
    "*.update_layout",
    # file, path and process I/O
    "open",
    "*.open",
    "os.*",
    "shutil.*",
    "Path",
    "pathlib.*",
    "glob.*",
    "json.*",
    "pickle.*",
    "joblib.dump",
    "joblib.load",
    "*.read_*",
    "*.to_*",
    "*.save",
    "*.load",
    "*.savez*",
    "*.write",
    "*.mkdir",
    "requests.*",
    "urllib.*",
    "subprocess.*",
    "load_*",
    "fetch_*",
    # logging, warnings, library settings
    "logging.*",
    "logger.*",
    "log.*",
    "warnings.*",
    "*.set_option",
    "*.set_printoptions",
    "*.set_style",
    "*.set_theme",
    "*.set_context",
    "*.filterwarnings",
    "*.basicConfig",
    "*.setLevel",
    "random.*",
    "time.*",
    "datetime.*",
    # reports and strings
    "classification_report",
    "*.format",
    "str",
    "repr",
    "round",
    "*.join",
    "*.split",
    "*.replace",
    "*.strip",
)

# Modules whose functions and objects' methods are data plumbing, presentation or I/O: a call
# resolved at run time to one of these (``df.merge(on="id", how="left")``) gives no parameter.
PLUMBING_MODULES = (
    "pandas",
    "polars",
    "matplotlib",
    "seaborn",
    "altair",
    "plotly",
    "bokeh",
    "IPython",
    "logging",
    "os",
    "pathlib",
    "shutil",
    "json",
    "pickle",
    "tqdm",
    "builtins",
    "io",
    "re",
    "numpy",
    "time",
    "datetime",
    "warnings",
    "collections",
    "itertools",
    "functools",
    "ipywidgets",
)

# Keyword names that route, style or report rather than configure the experiment.
NOISE_KWARGS = frozenset(
    {
        # presentation
        "figsize",
        "dpi",
        "color",
        "colors",
        "cmap",
        "palette",
        "hue",
        "linewidth",
        "lw",
        "linestyle",
        "ls",
        "marker",
        "markers",
        "markersize",
        "s",
        "label",
        "labels",
        "title",
        "xlabel",
        "ylabel",
        "xlim",
        "ylim",
        "ymin",
        "ymax",
        "xmin",
        "xmax",
        "fontsize",
        "loc",
        "bbox_to_anchor",
        "rotation",
        "ha",
        "va",
        "edgecolor",
        "facecolor",
        "width",
        "height",
        "annot",
        "fmt",
        "square",
        "cbar",
        "legend",
        "grid",
        "kind",
        "bins",
        "aspect",
        "ax",
        "style",
        "end",
        "sep",
        "file",
        "flush",
        "format",
        "digits",
        "output_dict",
        "target_names",
        "display_labels",
        "zero_division",
        "precision",
        "desc",
        "total",
        "leave",
        "ncols",
        "nrows",
        "sharex",
        "sharey",
        # logging and resources (how it runs, not what it computes)
        "verbose",
        "verbose_eval",
        "verbosity",
        "silent",
        "disp",
        "n_jobs",
        "nthread",
        "num_threads",
        "workers",
        "num_workers",
        "pin_memory",
        "device",
        "progress_bar",
        "show_progress",
        "return_train_score",
        "return_estimator",
        "error_score",
        "pre_dispatch",
        "copy",
        "log_evaluation",
        # data plumbing
        "axis",
        "inplace",
        "drop",
        "ascending",
        "how",
        "on",
        "left_on",
        "right_on",
        "columns",
        "index",
        "ignore_index",
        "keep",
        "subset",
        "errors",
        "dtype",
        "by",
        "header",
        "names",
        "usecols",
        "encoding",
        "parse_dates",
        "index_col",
        "na_values",
        "low_memory",
        "mode",
        "exist_ok",
        "parents",
        "path",
        "filename",
        "fname",
        "sheet_name",
        "orient",
        "indent",
        "allow_pickle",
        "delimiter",
        "skiprows",
        "reverse",
        "key",
        "default",
        "value",
        "regex",
        "case",
        "na",
        "expand",
        "fill_value",
        "level",
        "as_index",
        "dropna",
        "sort",
        "suffixes",
        "validate",
        "right_index",
        "left_index",
        "join",
        "rsuffix",
        "lsuffix",
        "return_X_y",
        "as_frame",
        "data_home",
        "download_if_missing",
        "shuffle_data",
    }
)

# Variable names that style a plot or book-keep, never parameters or metrics.
NOISE_NAMES = frozenset(
    {
        "colors",
        "colours",
        "color",
        "markers",
        "marker",
        "linestyles",
        "ymin",
        "ymax",
        "xmin",
        "xmax",
        "figsize",
        "fig",
        "ax",
        "axes",
        "palette",
        "cmap",
        "labels",
        "title",
        "fontsize",
        "width",
        "height",
        "dpi",
        "bins",
        "style",
        "path",
        "filename",
        "fname",
        "url",
        "file_path",
        "data_dir",
        "output_dir",
        "root",
        "verbose",
        "n_jobs",
        "device",
    }
)

# Variable names of column and feature lists: data plumbing, not settings.
NOISE_NAME = re.compile(
    r"(^|_)(cols|columns|features|feats|feature_names|col_names|colnames|vars)(_|$)"
    r"|(^|_)(path|dir|file|url|filename|folder)$",
    re.I,
)

# Names whose value is book-keeping (counts, sizes, indices, clocks), not a result.
BOOKKEEPING_NAME = re.compile(
    r"^(n|num|len|count|idx|index|i|j|k|t|t0|t1|tic|toc|start|end|begin|stop|now|step|epoch|"
    r"iteration|iter|batch|size|shape|dim|dims|rows|cols|seed)$"
    r"|^(n|num|len|count|idx|total)_|_(count|idx|index|size|len|shape|dim|rows|cols|start|end|"
    r"begin|stop|at|timestamp|ts|seed|id)$|^(start|end|begin|stop|t0|t1)_|time_start|time_end",
    re.I,
)

# Calls whose result is a clock reading or a size (``time.time()``, ``len(x)``, ``x.shape``).
CLOCK_CALLS = (
    "time",
    "time.time",
    "time.perf_counter",
    "perf_counter",
    "time.monotonic",
    "time.process_time",
    "datetime.now",
    "datetime.datetime.now",
    "*.now",
    "timer",
    "default_timer",
    "timeit.default_timer",
    "time.time_ns",
    "pd.Timestamp.now",
)
SIZE_CALLS = ("len", "*.count", "*.nunique", "*.size", "*.__len__", "sys.getsizeof", "*.memory_usage")
SIZE_ATTRS = frozenset({"shape", "size", "ndim", "nbytes", "n_features_in_", "n_outputs_"})

# A name or call that reads as a result: used to keep small score arrays and dicts as metrics.
METRIC_WORD = re.compile(
    r"score|acc|loss|err|auc|f1|precision|recall|r2|mse|mae|rmse|mape|logloss|brier|"
    r"perplexity|bleu|rouge|iou|dice|metric|result|^res$|report|cv|cross_val|validate|history|"
    r"eval|val_|test_|train_|^r2|^fold",
    re.I,
)


@dataclass(frozen=True)
class Rules:
    """The rule lists in force: the defaults plus the project's and the cell's additions."""

    exclude_calls: tuple[str, ...] = PRESENTATION_CALLS
    exclude_params: frozenset[str] = NOISE_KWARGS
    noise_names: frozenset[str] = NOISE_NAMES
    metrics: frozenset[str] = frozenset()
    no_metrics: frozenset[str] = frozenset()
    _call_cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def noise_name(self, name: str) -> bool:
        """A variable that styles, routes or lists columns (``colors``, ``num_cols``)."""
        return name in self.noise_names or bool(NOISE_NAME.search(name))

    def excluded_call(self, dotted: str) -> bool:
        hit = self._call_cache.get(dotted)
        if hit is None:
            hit = any(fnmatch.fnmatchcase(dotted, p) for p in self.exclude_calls)
            self._call_cache[dotted] = hit
        return hit

    def with_cell(self, no_params=(), metrics=()) -> "Rules":
        if not no_params and not metrics:
            return self
        return Rules(
            self.exclude_calls,
            self.exclude_params,
            self.noise_names | set(no_params),
            self.metrics | set(metrics),
            self.no_metrics - set(metrics),
        )


def matches(dotted: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(dotted, p) for p in patterns)


@lru_cache(maxsize=8)
def _project_rules(cwd: str) -> Rules:
    extra = _pyproject_settings(Path(cwd))
    if not extra:
        return Rules()
    as_list = lambda k: tuple(str(x) for x in extra.get(k, []) if isinstance(x, str))  # noqa: E731
    return Rules(
        PRESENTATION_CALLS + as_list("exclude_calls"),
        NOISE_KWARGS | set(as_list("exclude_params")),
        NOISE_NAMES | set(as_list("exclude_params")),
        frozenset(as_list("metrics")),
        frozenset(as_list("no_metrics")),
    )


def _pyproject_settings(start: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10: project settings need Python 3.11's tomllib
        return {}
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                with open(candidate, "rb") as fh:
                    data = tomllib.load(fh)
            except (OSError, ValueError):
                return {}
            section = data.get("tool", {}).get("nbtrack", {}).get("capture", {})
            return section if isinstance(section, dict) else {}
    return {}


def project_rules() -> Rules:
    """The rules for runs started in the current working directory (cached per folder)."""
    return _project_rules(os.getcwd())


# Sequences that are curves over steps or epochs (a series), not scores of folds (mean, std).
CURVE_WORD = re.compile(r"curve|losses$|history|_hist$|per_epoch|over_time|trace", re.I)
