"""capture/extract.py on config objects: an installed library's dataclass gives what the user
set, the notebook's own dataclass gives every field."""

from __future__ import annotations

import pytest

import nbtrack


def _params(ip, source: str) -> dict:
    ip.cell("%%track -q\n" + source)
    return nbtrack.get_run(nbtrack.runs(limit=1).run_id[0]).params


def test_a_library_dataclass_records_what_the_user_set_not_its_defaults(ip, store):
    pytest.importorskip("huggingface_hub")
    ip.cell("from huggingface_hub import TextGenerationInputGenerateParameters")
    params = _params(
        ip, "gen = TextGenerationInputGenerateParameters(temperature=0.7, top_p=0.9, max_new_tokens=128, seed=None)"
    )
    # 19 fields, all defaulted to None: only the three set to something else are settings.
    assert {k: v for k, v in params.items() if k.startswith("gen.")} == {
        "gen.temperature": 0.7,
        "gen.top_p": 0.9,
        "gen.max_new_tokens": 128,
    }


def test_the_notebooks_own_dataclass_records_every_field(ip, store):
    ip.cell("import dataclasses\n@dataclasses.dataclass\nclass Config:\n    lr: float = 1e-3\n    epochs: int = 10")
    assert _params(ip, "cfg = Config()") == {"cfg.lr": 1e-3, "cfg.epochs": 10}


def test_an_optuna_study_gives_its_best_params_and_value_and_an_empty_one_nothing(ip, store):
    optuna = pytest.importorskip("optuna")
    ip.user_ns["optuna"] = optuna
    ip.cell("optuna.logging.set_verbosity(optuna.logging.WARNING)")
    ip.cell(
        "%%track -q\nstudy = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))\n"
        "study.optimize(lambda t: (t.suggest_float('x', -3, 3) - 1) ** 2, n_trials=12)"
    )
    rec = nbtrack.get_run(nbtrack.runs(limit=1).run_id[0])
    study = ip.user_ns["study"]
    assert rec.params["best.x"] == pytest.approx(study.best_params["x"])
    assert rec.metrics["best_value"] == pytest.approx(study.best_value)
    # No finished trial: the study has no best; the cell still runs and records no made-up value.
    r = ip.cell(
        "%%track -q\nempty = optuna.create_study()\n"
        "empty.optimize(lambda t: float('nan') if t.suggest_int('k', 0, 1) >= 0 else 0.0, n_trials=2, catch=())"
    )
    assert r.success
    rec = nbtrack.get_run(nbtrack.runs(limit=1).run_id[0])
    assert "best_value" not in rec.metrics and not any(k.startswith("best.") for k in rec.params)


def test_a_printed_classification_report_gives_its_numbers_as_printed():
    from nbtrack.capture.printed import report_numbers

    text = """
              precision    recall  f1-score   support

    not spam       0.96      0.91      0.93        47
        spam       0.94      0.97      0.96        67

    accuracy                           0.95       114
   macro avg       0.95      0.94      0.95       114
weighted avg       0.95      0.95      0.95       114
"""
    numbers = report_numbers(text)
    assert numbers["accuracy"] == 0.95
    assert numbers["not spam.recall"] == 0.91 and numbers["spam.f1-score"] == 0.96
    assert numbers["macro avg.precision"] == 0.95
    assert not any("support" in k for k in numbers) and len(numbers) == 13
    assert report_numbers("accuracy 0.95") == {}  # not a report: nothing


def test_a_printed_rmse_is_named_rmse(ip, store):
    ip.cell("import numpy as np\nfrom sklearn.metrics import mean_squared_error")
    ip.cell("%%track -q\nprint('RMSE:', np.sqrt(mean_squared_error([1.0, 2.0], [1.0, 4.0])))")
    rec = nbtrack.get_run(nbtrack.runs(limit=1).run_id[0])
    assert rec.metrics["root_mean_squared_error"] == pytest.approx(2**0.5)
    assert "mean_squared_error" not in rec.metrics
