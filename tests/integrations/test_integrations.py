"""Framework callbacks with the real frameworks on CPU: LightGBM, XGBoost, Keras 3 (JAX backend),
each in a %%track cell: per-iteration/epoch series and the model's config as params."""

from __future__ import annotations

import warnings

import pytest

import nbtrack


def _only_run():
    runs = nbtrack.runs()
    assert len(runs) == 1
    return nbtrack.get_run(runs.run_id[0])


def test_lightgbm_train_and_sklearn_api(ip):
    pytest.importorskip("lightgbm")
    r = ip.cell(
        "%%track --name lgb\n"
        "import lightgbm as lgb\n"
        "import nbtrack.integrations.lightgbm as nbl\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "X, y = load_breast_cancer(return_X_y=True)\n"
        "train, val = lgb.Dataset(X[:400], y[:400]), lgb.Dataset(X[400:], y[400:])\n"
        "booster = lgb.train({'objective': 'binary', 'learning_rate': 0.1, 'num_leaves': 7, 'verbose': -1},\n"
        "                    train, num_boost_round=12, valid_sets=[train, val], valid_names=['train', 'val'],\n"
        "                    callbacks=[nbl.callback()])\n"
    )
    assert r.success, r.error_in_exec
    rec = _only_run()
    pts = nbtrack.series(rec.run_id)
    assert set(pts.key) == {"train.binary_logloss", "val.binary_logloss"}
    val = pts[pts.key == "val.binary_logloss"]
    assert list(val.step) == list(range(12))
    booster = ip.user_ns["booster"]
    X, y = ip.user_ns["X"], ip.user_ns["y"]
    from sklearn.metrics import log_loss

    assert val.value.iloc[-1] == pytest.approx(log_loss(y[400:], booster.predict(X[400:])), rel=1e-6)
    assert rec.params["num_leaves"] == 7 and rec.params["objective"] == "binary"
    assert rec.context["param_sources"]["num_iterations"] == "lightgbm"  # from the callback
    assert rec.metrics["val.binary_logloss"] == pytest.approx(val.value.iloc[-1])

    r = ip.cell(
        "%%track --name lgb-sk\n"
        "clf = lgb.LGBMClassifier(n_estimators=5, verbose=-1)\n"
        "clf.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], callbacks=[nbl.callback()])\n"
    )
    assert r.success, r.error_in_exec
    sk = nbtrack.runs()[lambda f: f.name == "lgb-sk"].run_id.iloc[0]
    assert list(nbtrack.series(sk, "valid_0.binary_logloss").step) == [0, 1, 2, 3, 4]


def test_xgboost_train_and_sklearn_api(ip):
    pytest.importorskip("xgboost")
    r = ip.cell(
        "%%track --name xgb\n"
        "import xgboost as xgb\n"
        "import nbtrack.integrations.xgboost as nbx\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "X, y = load_breast_cancer(return_X_y=True)\n"
        "dtrain, dval = xgb.DMatrix(X[:400], label=y[:400]), xgb.DMatrix(X[400:], label=y[400:])\n"
        "booster = xgb.train({'objective': 'binary:logistic', 'max_depth': 3, 'eta': 0.3, 'eval_metric': 'logloss'},\n"
        "                    dtrain, num_boost_round=8, evals=[(dtrain, 'train'), (dval, 'val')],\n"
        "                    verbose_eval=False, callbacks=[nbx.callback()])\n"
    )
    assert r.success, r.error_in_exec
    rec = _only_run()
    pts = nbtrack.series(rec.run_id)
    assert set(pts.key) == {"train.logloss", "val.logloss"}
    val = pts[pts.key == "val.logloss"]
    assert list(val.step) == list(range(8))
    from sklearn.metrics import log_loss

    booster, X, y = ip.user_ns["booster"], ip.user_ns["X"], ip.user_ns["y"]
    import xgboost as xgb

    assert val.value.iloc[-1] == pytest.approx(log_loss(y[400:], booster.predict(xgb.DMatrix(X[400:]))), rel=1e-4)
    assert rec.params["max_depth"] == 3 and rec.params["eta"] == pytest.approx(0.3)
    assert rec.params["objective"] == "binary:logistic"
    assert rec.context["param_sources"]["max_depth"] == "xgboost"  # from the booster's config

    r = ip.cell(
        "%%track --name xgb-sk\n"
        "clf = xgb.XGBClassifier(n_estimators=4, max_depth=2, callbacks=[nbx.callback()])\n"
        "clf.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)\n"
    )
    assert r.success, r.error_in_exec
    sk = nbtrack.runs()[lambda f: f.name == "xgb-sk"].run_id.iloc[0]
    assert list(nbtrack.series(sk, "validation_0.logloss").step) == [0, 1, 2, 3]
    assert nbtrack.get_run(sk).params["max_depth"] == 2


def test_keras_fit_on_jax_cpu(ip, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip(f"keras was already imported with the {keras.backend.backend()} backend")
    r = ip.cell(
        "%%track --name keras\n"
        "import numpy as np, keras\n"
        "from nbtrack.integrations.keras import NbtrackCallback\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=(256, 8)).astype('float32'); y = (x[:, 0] > 0).astype('float32')\n"
        "model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation='relu'),\n"
        "                          keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss='binary_crossentropy',\n"
        "              metrics=['accuracy'])\n"
        "history = model.fit(x, y, epochs=4, batch_size=64, validation_split=0.25, verbose=0,\n"
        "                    callbacks=[NbtrackCallback()])\n"
    )
    assert r.success, r.error_in_exec
    rec = _only_run()
    pts = nbtrack.series(rec.run_id)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(pts.key)
    hist = ip.user_ns["history"].history
    loss = pts[pts.key == "val_loss"]
    assert list(loss.step) == [0, 1, 2, 3]
    assert list(loss.value) == pytest.approx(hist["val_loss"])
    assert rec.params["epochs"] == 4 and rec.params["optimizer.learning_rate"] == pytest.approx(0.01)
    assert rec.params["model.trainable_params"] == 8 * 8 + 8 + 8 + 1


def test_outside_a_tracked_run_warns_once_and_records_nothing(store_dir):
    pytest.importorskip("lightgbm")
    import lightgbm as lgb
    import numpy as np

    import nbtrack.integrations as integ
    from nbtrack.integrations.lightgbm import callback

    integ._warned.clear()
    X = np.random.default_rng(0).normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = lgb.Dataset(X, y)
        lgb.train(
            {"objective": "binary", "verbose": -1}, ds, num_boost_round=3, valid_sets=[ds], callbacks=[callback()]
        )
    assert sum("no tracked run" in str(w.message) for w in caught) == 1
    assert len(nbtrack.runs()) == 0
