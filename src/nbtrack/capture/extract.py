"""What the objects say after the cell ran: estimators' params, configs, and result metrics.

``extract(...)`` combines the cell's static analysis with the values in the namespace:
- estimators (anything with scikit-learn's ``get_params``: sklearn, XGBoost/LightGBM's sklearn
  API, imbalanced-learn) bound, fitted or only constructed in the cell, nested ones under
  scikit-learn's own ``step__param`` names; only non-default values plus the ones the cell
  passed (the convention of scikit-learn's own repr: the table stays narrow and every column
  is a choice somebody made);
- literal keyword arguments of the cell's calls, except presentation, I/O and data plumbing;
- configuration objects (dataclasses, namespaces) flattened to dotted keys;
- params that flow in with an input (a config dict, a fitted estimator, or a name made by an
  earlier tracked run), marked inherited;
- metrics: computed scalars, the displayed last value, small score arrays (``.mean``/``.std``),
  dicts of numbers, search objects (``best_score_``, ``best_params_``), training histories.

Every rule is cheap (no deep walks beyond what a pipeline holds) and never raises: an odd
object is skipped and reported once.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import sys
from functools import lru_cache
from typing import Any

from .analyze import MAX_CONFIG_DEPTH, MAX_CONFIG_KEYS, Analysis, flatten_config, is_config_dict, is_setting
from .rules import BOOKKEEPING_NAME, CURVE_WORD, METRIC_WORD, PLUMBING_MODULES, Rules
from .values import as_metric

MAX_DICT_METRICS = 100
MAX_SCORE_ARRAY = 1000
MAX_ESTIMATOR_PARAMS = 200
_MISSING = object()
CUT: list[str] = []  # configs a cap cut during this extraction (one warning)


@dataclasses.dataclass
class Captured:
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    param_rules: dict[str, str] = dataclasses.field(default_factory=dict)
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    metric_rules: dict[str, str] = dataclasses.field(default_factory=dict)
    series: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    problems: list[str] = dataclasses.field(default_factory=list)

    def param(self, key: str, value: Any, rule: str) -> None:
        if key not in self.params:
            self.params[key], self.param_rules[key] = value, rule

    def metric(self, key: str, value: Any, rule: str) -> None:
        m = as_metric(value)
        if m is not None and key not in self.metrics:
            self.metrics[key], self.metric_rules[key] = m, rule


# -- estimators --------------------------------------------------------------------------------


def is_estimator(value: Any) -> bool:
    """Has scikit-learn's ``get_params(deep=...)`` (lightgbm.Dataset's get_params takes no
    ``deep``: not an estimator)."""
    if isinstance(value, type):
        return False
    try:
        return _sklearn_get_params(type(value))  # type: ignore[arg-type]  # mypy: "type[Any]" is not Hashable
    except Exception:
        return False


@lru_cache(maxsize=512)
def _sklearn_get_params(cls: Any) -> bool:
    fn = getattr(cls, "get_params", None)
    if not callable(fn):
        return False
    try:
        return "deep" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True


def _is_predictor(value: Any) -> bool:
    t = type(value)
    return (
        any(callable(getattr(t, m, None)) for m in ("predict", "predict_proba", "decision_function"))
        or hasattr(value, "best_estimator_")
        or hasattr(value, "steps")
    )


def _is_predictor_class(cls: type) -> bool:
    return any(callable(getattr(cls, m, None)) for m in ("predict", "predict_proba", "decision_function"))


@lru_cache(maxsize=512)
def _defaults(cls: Any) -> dict[str, Any]:
    """Constructor defaults, through the bases too: XGBClassifier(**kwargs) takes its
    defaults from XGBModel.__init__."""
    out: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            sig = inspect.signature(init)
        except (TypeError, ValueError):
            continue
        for n, p in sig.parameters.items():
            if p.default is not inspect.Parameter.empty and n not in out:
                out[n] = p.default
    return out


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return False
    try:
        eq = a == b
        if isinstance(eq, bool):
            return eq
    except Exception:
        pass
    if isinstance(a, float) and isinstance(b, float):
        return math.isnan(a) and math.isnan(b)
    return False


def _plain(value: Any) -> Any:
    """A param value the store can hold: scalars as they are, estimators by class name."""
    if is_estimator(value):
        return type(value).__name__
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return value


def _class_label(est: Any) -> str:
    name = type(est).__name__
    steps = getattr(est, "steps", None)
    if isinstance(steps, list):
        inner = ", ".join(type(s[1]).__name__ for s in steps if isinstance(s, tuple) and len(s) >= 2)
        return f"{name}({inner})"
    inner_est = None
    try:
        inner_est = est.get_params(deep=False).get("estimator")
    except Exception:
        pass
    if is_estimator(inner_est):
        return f"{name}({type(inner_est).__name__})"
    return name


def estimator_params(
    est: Any,
    passed: set,
    prefix: str = "",
    out: dict | None = None,
    depth: int = 0,
    noise: frozenset = frozenset(),
    seen: set | None = None,
) -> dict[str, Any]:
    """Non-default params (and the ones the cell passed) of ``est`` and the estimators it
    holds, under scikit-learn's ``step__param`` names. One ``get_params(deep=False)`` per
    estimator: the deep walk is done here, over what the pipeline holds, and capped.
    ``seen`` collects the ids of the estimators held (a step bound on its own is not
    recorded twice)."""
    out = {} if out is None else out
    if depth > 6 or len(out) >= MAX_ESTIMATOR_PARAMS:
        return out
    params = _shallow_params(est)
    defaults = _defaults(type(est))  # type: ignore[arg-type]
    for key, value in params.items():
        name = f"{prefix}{key}"
        if is_estimator(value):
            if seen is not None:
                seen.add(id(value))
            estimator_params(value, passed, f"{name}__", out, depth + 1, noise, seen)
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(s, tuple) and len(s) >= 2 and isinstance(s[0], str) for s in value)
        ):
            for step in value:  # Pipeline.steps, ColumnTransformer.transformers, VotingClassifier
                if is_estimator(step[1]):
                    if seen is not None:
                        seen.add(id(step[1]))
                    estimator_params(step[1], passed, f"{prefix}{step[0]}__", out, depth + 1, noise, seen)
            continue
        if key in noise:
            continue  # n_jobs, verbose: how it runs, not what it computes
        default = defaults.get(key, _MISSING)
        if (key, _hashable(value)) not in passed:
            if default is _MISSING and value is None:
                continue  # XGBoost-style: None means "the library's default"
            if default is not _MISSING and _same(value, default):
                continue
        value = _plain(value)
        if isinstance(value, dict) and is_config_dict(value):
            flatten_config(name, value, out)  # param_grid={"C": [...]} -> param_grid.C
        elif (
            value is None
            or isinstance(value, (bool, int, float, str))
            or (isinstance(value, (list, tuple)) and is_setting(value))
        ):
            out[name] = value
        elif as_metric(value) is not None:
            out[name] = as_metric(value)
        if len(out) >= MAX_ESTIMATOR_PARAMS:
            break
    return out


def _shallow_params(est: Any) -> dict[str, Any]:
    """``get_params(deep=False)``; for scikit-learn's own implementation, the same dict from
    the class's parameter names cached once (sklearn re-reads the signature every call)."""
    names = _sklearn_param_names(type(est))  # type: ignore[arg-type]
    if names is not None:
        try:
            return {n: getattr(est, n) for n in names}
        except AttributeError:
            pass
    return est.get_params(deep=False)


@lru_cache(maxsize=512)
def _sklearn_param_names(cls: Any) -> tuple[str, ...] | None:
    base = sys.modules.get("sklearn.base")
    if base is None or getattr(cls, "get_params", None) is not base.BaseEstimator.get_params:
        return None
    try:
        return tuple(cls._get_param_names())
    except Exception:
        return None


def _hashable(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


# -- resolving callees ------------------------------------------------------------------------


def _resolve(callee: str, ns: dict) -> Any:
    """The object a dotted callee names in the namespace (``plt.plot`` -> the function), or
    _MISSING. Attribute lookups only (no calls); anything odd is _MISSING."""
    parts = callee.split(".")
    if not parts or parts[0] not in ns or any(p.endswith(("()", "[]")) or p == "?" for p in parts):
        return _MISSING
    obj = ns[parts[0]]
    for p in parts[1:]:
        try:
            obj = inspect.getattr_static(obj, p)
        except AttributeError:
            return _MISSING
        except Exception:
            return _MISSING
    return obj


def _module_root(obj: Any) -> str | None:
    if isinstance(obj, type(sys)):
        return obj.__name__.split(".")[0]
    mod = getattr(obj, "__module__", None)
    if not isinstance(mod, str):
        mod = getattr(type(obj), "__module__", None)
    return mod.split(".")[0] if isinstance(mod, str) else None


def _is_plumbing(callee: str, ns: dict) -> bool:
    """A call into pandas/matplotlib/os/... (``df.merge``, ``pd.concat``, ``ax.plot``)."""
    head = callee.split(".")[0].rstrip("()[]")
    base = ns.get(head, _MISSING)
    if base is _MISSING:
        return False
    if isinstance(base, (type(sys), type)) or "." not in callee:
        root = _module_root(base)  # a module, a class (SVC().fit), a function (print)
    else:
        root = _module_root(type(base))  # an object's method: df.merge -> pandas
    return root in PLUMBING_MODULES


def _estimator_class(callee: str, ns: dict) -> type | None:
    obj = _resolve(callee, ns)
    if isinstance(obj, type) and _sklearn_get_params(obj):
        return obj
    return None


# -- the whole extraction ------------------------------------------------------------------------


def extract(
    analysis: Analysis,
    ns: dict,
    rules: Rules,
    *,
    inputs: dict[str, Any],
    produced: dict[str, tuple[int, dict]],
    last_value: Any = _MISSING,
    skip_params: set | frozenset = frozenset(),
    printed: dict | None = None,
    printed_series: dict | None = None,
) -> Captured:
    """``inputs``: names the cell read that existed before (name -> value then);
    ``produced``: name -> (id of the value, params of the tracked run that made it)."""
    out = Captured()
    for key, value in analysis.params.items():
        if rules.noise_name(key.split(".")[0]) or key in skip_params:
            continue
        out.param(key, value, analysis.param_rules.get(key, "literal assignment"))

    # Configuration objects bound in the cell: dataclasses and namespaces, flattened.
    for name in analysis.computed:
        value = ns.get(name, _MISSING)
        flat = _config_object(name, value)
        if flat:
            for k, v in flat.items():
                out.param(k, v, f"config object {type(value).__name__}, flattened")

    # Estimators: bound in the cell, or constructed unbound inside another call.
    kwargs = {id(c): (*c.kwargs, *_resolved_refs(c, ns, analysis)) for c in analysis.calls}
    passed = {(k, _hashable(v)) for c in analysis.calls for k, v in kwargs[id(c)]}
    for value in inputs.values():  # SVC(**params): what a config dict passes counts as passed
        if isinstance(value, dict) and _small_config(value) and is_config_dict(value):
            passed |= {(k, _hashable(v)) for k, v in value.items()}
    estimators: dict[str, Any] = {}
    loop_models: list[str] = []
    for name in analysis.assigned:
        value = ns.get(name, _MISSING)
        if value is _MISSING or rules.noise_name(name) or not is_estimator(value):
            continue
        if name in analysis.not_metrics and name not in analysis.params:
            loop_models.append(type(value).__name__)  # rebound every iteration: last one is stale
            continue
        if any(value is other for other in estimators.values()):
            continue  # fitted_model = model.fit(...): one estimator under two names
        estimators[name] = value
    groups: dict[str, tuple[dict, str]] = {}
    held: set[int] = set()
    xnoise = rules.exclude_params
    for name, est in estimators.items():
        try:
            groups[name] = (estimator_params(est, passed, noise=xnoise, seen=held), _class_label(est))
        except Exception as exc:
            out.problems.append(
                f"get_params() of {name} ({type(est).__name__}) failed ({type(exc).__name__}); its params were skipped"
            )
    for name in [n for n, est in estimators.items() if id(est) in held]:
        groups.pop(name, None)  # a step of a pipeline bound in the cell: the pipeline has it
    inherited: dict[str, tuple[dict, str]] = {}
    for name, value in inputs.items():
        if name in estimators or not is_estimator(value) or isinstance(value, type):
            continue
        try:
            inherited[name] = (estimator_params(value, set(), noise=xnoise), _class_label(value))
        except Exception as exc:
            out.problems.append(
                f"get_params() of {name} ({type(value).__name__}) failed ({type(exc).__name__}); "
                "its params were skipped"
            )
    _add_estimator_groups(out, groups, estimators, rule="{name}.get_params()")
    _add_estimator_groups(
        out, inherited, inputs, rule="inherited: {name}.get_params() (input)", existing=set(out.params)
    )
    covered = {(k.rsplit("__", 1)[-1].rsplit(".", 1)[-1], _hashable(v)) for k, v in out.params.items()}

    # Literal keyword arguments of the cell's calls.
    kw_by_key: dict[str, list[tuple[Any, Any]]] = {}
    unbound_models = []
    configs = {k.split(".")[0] for k in (*out.params, *analysis.params) if "." in k}
    for call in analysis.calls:
        seed = [(k, v) for k, v in call.kwargs if k == "seed"] if call.callee.endswith("seed") else []
        if rules.excluded_call(call.callee) or _is_plumbing(call.callee, ns):
            for key, value in seed:  # np.random.seed(0) is numpy, but the seed is a setting
                kw_by_key.setdefault(key, []).append((value, call))
            continue
        if call.target in configs and call.nested_in is None:
            continue  # cfg = TrainConfig(lr=...): the config's own flattening has these
        est_cls = _estimator_class(call.callee, ns)
        if (
            est_cls is not None
            and call.target not in estimators
            and _is_predictor_class(est_cls)
            and (call.nested_in is not None or call.target is None)
        ):
            unbound_models.append(est_cls.__name__)
        # A config passed positionally to an estimator (GridSearchCV(est, {"C": [...]})) is one
        # of its get_params (param_grid.C); to a function (lgb.train({...}, data)) it is the call's.
        positional = [] if est_cls is not None else [(k, v) for cfg in call.configs for k, v in flatten_items(cfg)]
        for key, value in [*kwargs[id(call)], *positional]:
            if (
                key in rules.exclude_params
                or key in skip_params
                or not is_setting(value)
                and not isinstance(value, dict)
            ):
                continue
            if (key, _hashable(value)) in covered and (est_cls is not None or call.target in estimators):
                continue  # the estimator's own get_params already has it
            kw_by_key.setdefault(key, []).append((value, call))
    for key, entries in kw_by_key.items():
        values = {repr(v) for v, _ in entries}
        for value, call in entries:
            name = key if len(values) == 1 else f"{call.target or call.callee.split('.')[-1].rstrip('()')}.{key}"
            if isinstance(value, dict):
                if is_config_dict(value):
                    flat = {}
                    flatten_config(name, value, flat)
                    for k, v in flat.items():
                        out.param(k, v, f"keyword argument of {call.callee}(...)")
                continue
            out.param(name, value, f"keyword argument of {call.callee}(...)")
    unbound_models = unbound_models or loop_models
    if unbound_models and not any(k == "model" or k.endswith(".model") for k in out.params):
        out.param(
            "model",
            unbound_models[0] if len(set(unbound_models)) == 1 else ", ".join(dict.fromkeys(unbound_models)),
            "estimator constructed in a call",
        )

    # Params that flow in with an input: a config dict, or a name a tracked run produced.
    for name, value in inputs.items():
        if rules.noise_name(name):
            continue
        made = produced.get(name)
        if made is not None and made[0] == id(value):
            for k, v in made[1].items():
                if k not in out.params:
                    out.param(k, v, f"inherited from the run that produced {name}")
            continue
        if isinstance(value, dict) and _small_config(value) and is_config_dict(value):
            flat = {}
            if not flatten_config(name, value, flat):
                CUT.append(name)
            for k, v in flat.items():
                if is_setting(v) or isinstance(v, (dict,)):
                    out.param(k, v, f"inherited: config {name} (input)")
        elif flat := _config_object(name, value):
            for k, v in flat.items():
                out.param(k, v, f"inherited: config {name} (input)")

    _metrics(out, analysis, ns, rules, estimators, inputs, last_value)
    cut = sorted(set(analysis.config_cut) | set(CUT))
    CUT.clear()
    if cut:
        out.problems.append(
            f"the config {', '.join(cut)} is larger than {MAX_CONFIG_KEYS} keys or deeper than "
            f"{MAX_CONFIG_DEPTH} levels; the rest was kept as one value or left out"
        )
    for name, value in (printed or {}).items():
        if name not in rules.no_metrics and not BOOKKEEPING_NAME.search(name):
            out.metric(name, value, "printed by the cell")
    for name, points in (printed_series or {}).items():
        if points and name not in out.series and name not in rules.no_metrics and name not in out.params:
            out.series[name] = points  # printed in a loop: a curve; its last point is the metric
    for key in list(out.metrics):
        if key in out.params:
            del out.metrics[key], out.metric_rules[key]
    return out


def _resolved_refs(call, ns: dict[str, Any], analysis: Analysis) -> list[tuple[str, Any]]:
    """``StratifiedKFold(n_splits=N_FOLDS)``, ``fit(epochs=CFG.epochs)``, ``lr=cfg["lr"]``: the
    value a keyword names, when it comes from an earlier cell and this cell does not rebind or change it
    (so it is the value the call saw) and it is a plain setting. Read without running user
    code: attributes through ``inspect.getattr_static`` (no properties, no ``__getattr__``),
    keys of plain dicts only."""
    out = []
    for key, root, steps in call.refs:
        if root not in analysis.reads or root in analysis.assigned or root in analysis.mutated or root not in ns:
            continue
        value = ns[root]
        try:
            for kind, name in steps:
                if kind == ".":
                    if isinstance(value, type(sys)):
                        raise LookupError  # a module's constant (np.float32, math.pi) is not a setting
                    value = inspect.getattr_static(value, name)
                elif type(value) is dict:
                    value = value[name]
                else:
                    raise LookupError
        except (AttributeError, LookupError):
            continue
        if type(value) in (bool, int, float, str, type(None)) or (
            type(value) in (list, tuple) and all(type(v) in (bool, int, float, str) for v in value)
        ):
            if is_setting(value):
                out.append((key, list(value) if isinstance(value, tuple) else value))
    return out


def flatten_items(config: dict) -> list[tuple[str, Any]]:
    """A config dict passed positionally (``lgb.train({"objective": "binary", ...}, data)``):
    its keys as the call's own parameters (nested dicts dotted)."""
    flat: dict[str, Any] = {}
    for k, v in config.items():
        if isinstance(v, dict) and is_config_dict(v):
            flatten_config(k, v, flat)
        else:
            flat[k] = v
    return list(flat.items())


def _small_config(value: dict) -> bool:
    try:
        return len(value) <= 100 and all(
            isinstance(v, (bool, int, float, str, type(None), list, tuple, dict)) for v in value.values()
        )
    except Exception:
        return False


def _installed(cls: type) -> bool:
    """Is ``cls`` an installed package's (site-packages), not the notebook's or the project's?"""
    module = sys.modules.get(cls.__module__.split(".")[0])
    path = getattr(module, "__file__", None) or ""
    return "site-packages" in path or "dist-packages" in path


def _config_object(name: str, value: Any) -> dict[str, Any]:
    try:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            if _installed(type(value)):  # TrainingArguments(...): what the user set, not 100 defaults
                fields = tuple(
                    f
                    for f in fields
                    if f.default_factory is dataclasses.MISSING
                    and (f.default is dataclasses.MISSING or not _same(getattr(value, f.name), f.default))
                )
            data = {f.name: getattr(value, f.name) for f in fields}
        elif type(value).__name__ in ("Namespace", "SimpleNamespace") and hasattr(value, "__dict__"):
            data = dict(vars(value))
        else:
            return {}
        flat: dict[str, Any] = {}
        if not flatten_config(
            name, {k: v for k, v in data.items() if isinstance(k, str) and not k.startswith("_")}, flat
        ):
            CUT.append(name)
        return {
            k: v
            for k, v in flat.items()
            if v is None or isinstance(v, (bool, int, float, str)) or (isinstance(v, (list, tuple)) and is_setting(v))
        }
    except Exception:
        return {}


def _add_estimator_groups(out: Captured, groups: dict, objects: dict, rule: str, existing=frozenset()):
    """Plain names (``C``, ``svc__C``) unless two estimators would collide: then the variable
    name prefixes every key of the colliding ones (``svc.C``, ``lr.C``)."""
    predictors = [n for n in groups if _is_predictor(objects[n])]
    seen: dict[str, int] = {}
    for params, _label in groups.values():
        for k in params:
            seen[k] = seen.get(k, 0) + 1
    for name, (params, label) in groups.items():
        collide = any(seen[k] > 1 or k in existing for k in params) or (name in predictors and len(predictors) > 1)
        prefix = f"{name}." if collide else ""
        if name in predictors:
            out.param(f"{prefix}model", label, rule.format(name=name) + " (class)")
        for k, v in params.items():
            out.param(prefix + k, v, rule.format(name=name))
        try:
            _search_results(out, name, prefix, objects[name])
        except Exception as exc:  # an estimator's properties may raise anything
            out.problems.append(f"reading {name}'s search results failed ({type(exc).__name__}); they were skipped")


def _search_results(out: Captured, name: str, prefix: str, est: Any) -> None:
    """A fitted search: what it chose (``best.*`` params) and how well (``best_score``)."""
    attrs = getattr(est, "__dict__", {})
    best = attrs.get("best_params_")
    if isinstance(best, dict):
        for k, v in list(best.items())[:50]:
            out.param(f"{prefix}best.{k}", _plain(v), f"{name}.best_params_")
        n = _cv_candidates(est)
        if n:
            out.param(f"{prefix}n_candidates", n, f"{name}.cv_results_ (summarised)")
    score = attrs.get("best_score_")
    if score is not None:
        out.metric(f"{prefix}best_score", score, f"{name}.best_score_")


def _cv_candidates(est: Any) -> int | None:
    try:
        res = est.__dict__.get("cv_results_")
        return len(res["params"]) if isinstance(res, dict) and "params" in res else None
    except Exception:
        return None


# -- metrics --------------------------------------------------------------------------------


def _metrics(
    out: Captured, a: Analysis, ns: dict, rules: Rules, estimators: dict, inputs: dict, last_value: Any
) -> None:
    forced = rules.metrics
    for name in a.computed:
        if name in rules.no_metrics or rules.noise_name(name):
            continue
        value = ns.get(name, _MISSING)
        if value is _MISSING or name.startswith("_"):
            continue
        if name not in forced:
            kind = a.value_kind.get(name)
            if kind == "clock" or BOOKKEEPING_NAME.search(name):
                continue
            number = as_metric(value)
            if (
                kind in ("size", "derived")
                and isinstance(number, float)
                and number.is_integer()
                and not isinstance(value, float)
            ):
                continue  # an integer computed from sizes is a count, not a result
        m = as_metric(value)
        if m is not None:
            if name not in forced and _describes_data(name, a, ns):
                continue
            out.metric(name, m, "number computed in the cell")
            continue
        _container_metrics(out, name, value, a, forced)
    for name in forced:  # --metric NAME and the project's `metrics` list win over every rule
        if name in ns and as_metric(ns[name]) is not None:
            out.metric(name, ns[name], "forced by --metric")
    # The value the cell displays as its last expression.
    if last_value is not _MISSING and last_value is not None:
        if a.last_names and isinstance(last_value, tuple) and len(last_value) == len(a.last_names):
            for n, v in zip(a.last_names, last_value):
                if n not in rules.no_metrics:
                    out.metric(n, v, "shown as the cell's last value")
        elif a.last_expr and a.last_expr not in rules.no_metrics and a.last_expr.split(".")[0] not in rules.noise_names:
            if as_metric(last_value) is not None:
                if not BOOKKEEPING_NAME.search(a.last_expr) or a.last_expr in forced:
                    out.metric(a.last_expr, last_value, "shown as the cell's last value")
            elif isinstance(last_value, dict) and METRIC_WORD.search(a.last_expr or ""):
                _dict_metrics(out, a.last_expr, last_value, "shown as the cell's last value")
    # Training histories returned by fit (Keras' History: .history is a dict of lists).
    for name in a.computed:
        value = ns.get(name, _MISSING)
        hist = getattr(value, "history", None) if value is not _MISSING and type(value).__name__ == "History" else None
        if isinstance(hist, dict):
            _history(out, hist, f"{name}.history (per-epoch lists)")
    found = [(n, v) for n in a.computed if (v := ns.get(n, _MISSING)) is not _MISSING and _trained_kind(v)]
    for name, value in found:
        _trained_results(out, name, f"{name}." if len(found) > 1 else "", value)


def _trained_kind(value: Any) -> str | None:
    """An installed library's trained object whose results live in attributes: an Optuna study,
    a LightGBM or XGBoost booster (the native APIs; their sklearn wrappers are estimators)."""
    t = type(value)
    root = t.__module__.split(".")[0]
    if root == "optuna" and t.__name__ == "Study":
        return "study"
    if root in ("lightgbm", "xgboost") and t.__name__ == "Booster":
        return root
    return None


def _trained_results(out: Captured, name: str, prefix: str, value: Any) -> None:
    """What the search found (``best.*`` params, ``best_value``) or where early stopping
    stopped and how well (``best_iteration``, the validation scores). Library code, guarded:
    a study with no finished trial has no best."""
    bound = set(out.metrics.values())  # best_iter = booster.best_iteration: the cell named it

    def metric(key: str, v: Any, rule: str) -> None:
        if as_metric(v) not in bound:
            out.metric(f"{prefix}{key}", v, rule)

    kind = _trained_kind(value)
    try:
        if kind == "study":
            for k, v in list(value.best_params.items())[:50]:
                out.param(f"{prefix}best.{k}", _plain(v), f"{name}.best_params")
            metric("best_value", value.best_value, f"{name}.best_value")
        elif kind == "lightgbm":
            if value.best_iteration:
                metric("best_iteration", value.best_iteration, f"{name}.best_iteration")
            for valid, scores in list(value.best_score.items())[:10]:
                for key, v in list(scores.items())[:20]:
                    metric(f"{valid}.{key}", v, f"{name}.best_score")
        elif kind == "xgboost":
            attrs = value.attributes()  # set by early stopping only
            for key in ("best_iteration", "best_score"):
                if key in attrs:
                    metric(key, float(attrs[key]), f"{name}.attributes()")
    except Exception:
        pass  # no trial finished, or an API this version lacks: nothing to record


def _describes_data(name: str, a: Analysis, ns: dict) -> bool:
    """``mean_age = df["age"].mean()``: a statistic of a DataFrame is a description of the
    data, not a result of the experiment (unless its name says it is a score or loss)."""
    root = a.receivers.get(name)
    if root is None or METRIC_WORD.search(name):
        return False
    mod = type(ns.get(root)).__module__.split(".")[0]
    return mod in ("pandas", "polars")


def _container_metrics(out: Captured, name: str, value: Any, a: Analysis, forced) -> None:
    producer = a.producers.get(name, "")
    wordy = METRIC_WORD.search(name) or METRIC_WORD.search(producer) or name in forced
    if not wordy:
        return
    if isinstance(value, dict):
        if name.lower() in ("history", "hist") and _history(out, value, f"{name} (per-epoch lists)"):
            return
        _dict_metrics(out, name, value, f"dict of numbers {name}, flattened")
        return
    arr = _numbers(value)
    if arr is not None and CURVE_WORD.search(name):
        out.series[name] = arr  # an ordered curve (loss_curve_, train_losses): a series, not folds
    elif arr is not None and (len(arr) <= 2 or producer.endswith("evaluate")):
        for i, v in enumerate(arr):  # Keras' evaluate -> [loss, acc]: values, not folds
            out.metric(f"{name}.{i}", v, f"values of {name}")
    elif arr is not None:
        mean, std = _mean_std(arr)
        out.metric(f"{name}.mean", mean, f"scores {name} ({len(arr)} values): mean")
        out.metric(f"{name}.std", std, f"scores {name} ({len(arr)} values): std")


def _numbers(value: Any) -> list[float] | None:
    """A short 1-D sequence of real numbers as floats, else None."""
    np = sys.modules.get("numpy")
    try:
        if np is not None and isinstance(value, np.ndarray):
            if value.ndim != 1 or not (0 < value.size <= MAX_SCORE_ARRAY) or value.dtype.kind not in "iuf":
                return None
            return [float(x) for x in value]
        if isinstance(value, (list, tuple)) and 0 < len(value) <= MAX_SCORE_ARRAY:
            nums = [as_metric(x) for x in value]
            return None if any(n is None for n in nums) else [n for n in nums if n is not None]
    except Exception:
        return None
    return None


def _mean_std(xs: list[float]) -> tuple[float, float]:
    n = len(xs)
    mean = sum(xs) / n
    return mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / n)  # numpy's default (ddof=0)


def _dict_metrics(out: Captured, prefix: str, value: dict, rule: str, depth: int = 0) -> None:
    try:
        items = list(value.items())
    except Exception:
        return
    for k, v in items:
        if len(out.metrics) >= MAX_DICT_METRICS or depth > 3:
            return
        key = f"{prefix}.{k}"
        if str(k).endswith(("_time", "support")):
            continue  # fit_time/score_time are cost, support is a count
        if as_metric(v) is not None and not isinstance(v, bool):
            out.metric(key, v, rule)
        elif isinstance(v, dict):
            _dict_metrics(out, key, v, rule, depth + 1)
        elif (arr := _numbers(v)) is not None:
            mean, std = _mean_std(arr)
            out.metric(f"{key}.mean", mean, rule + " (mean)")
            out.metric(f"{key}.std", std, rule + " (std)")


def _history(out: Captured, hist: dict, rule: str) -> bool:
    """{"loss": [...], "val_loss": [...]}: the last value of each as a metric, each as a curve."""
    found = False
    for k, v in list(hist.items())[:50]:
        arr = _numbers(v)
        if arr is None or not isinstance(k, str):
            continue
        out.metric(k, arr[-1], rule + ", last value")
        out.series[k] = arr
        found = True
    return found
