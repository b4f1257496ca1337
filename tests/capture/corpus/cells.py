"""Cells written in the styles of public notebooks and library examples, each annotated with the
params and metrics a data scientist expects from it and keys that must not appear.

``params``: expected key -> value (``ANY`` when the value is not the point), ``metrics``: expected
keys, ``absent``: keys that must not be captured (as param or metric). Keys captured beyond the
expected ones count against precision; ``ok`` lists keys that are acceptable but not required.
Resource metrics (``sys.*``) are not judged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANY = object()

SETUP = """
import warnings, time, math, random
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer, load_iris, load_diabetes, make_classification
from sklearn.model_selection import (train_test_split, cross_val_score, cross_validate, GridSearchCV,
                                     RandomizedSearchCV, KFold, StratifiedKFold)
from sklearn.linear_model import LogisticRegression, Ridge, Lasso, LinearRegression
from sklearn.svm import SVC
from sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier, RandomForestRegressor
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier
from sklearn.pipeline import make_pipeline, Pipeline
from sklearn.preprocessing import StandardScaler, OneHotEncoder, MinMaxScaler
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.decomposition import PCA
from sklearn.metrics import (accuracy_score, f1_score, roc_auc_score, classification_report,
                             mean_squared_error, r2_score, confusion_matrix, mean_absolute_error)
import lightgbm as lgb
import xgboost as xgb
X, y = load_breast_cancer(return_X_y=True)
X = (X - X.mean(axis=0)) / X.std(axis=0)  # standardised once: the solvers converge fast
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
Xr, yr = load_diabetes(return_X_y=True)
Xr_train, Xr_test, yr_train, yr_test = train_test_split(Xr, yr, test_size=0.2, random_state=0)
rng = np.random.default_rng(0)
df = pd.DataFrame({
    "age": rng.integers(18, 80, 300), "income": rng.normal(50_000, 15_000, 300),
    "city": rng.choice(["paris", "lyon", "nice"], 300), "churn": rng.integers(0, 2, 300),
})
fitted_rf = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X_train, y_train)
params = {"C": 1.0, "kernel": "rbf"}
"""


@dataclass
class Cell:
    name: str
    source: str
    params: dict = field(default_factory=dict)
    metrics: list = field(default_factory=list)
    absent: list = field(default_factory=list)
    ok: list = field(default_factory=list)


CELLS = [
    # -- scikit-learn classification ---------------------------------------------------------
    Cell(
        "svc_score",
        """
clf = SVC(C=10.0, gamma=0.001)
clf.fit(X_train, y_train)
clf.score(X_test, y_test)
""",
        {"C": 10.0, "gamma": 0.001, "model": "SVC"},
        ["score"],
    ),
    Cell(
        "rf_fit_chain",
        """
model = RandomForestClassifier(n_estimators=50, max_depth=6, random_state=42).fit(X_train, y_train)
y_pred = model.predict(X_test)
acc = accuracy_score(y_test, y_pred)
print(f"Accuracy: {acc:.3f}")
""",
        {"n_estimators": 50, "max_depth": 6, "random_state": 42, "model": "RandomForestClassifier"},
        ["acc"],
        ["y_pred"],
    ),
    Cell(
        "logreg_last_expr",
        """
logreg = LogisticRegression(C=0.5, max_iter=5000)
logreg.fit(X_train, y_train)
pred = logreg.predict(X_test)
accuracy_score(y_test, pred)
""",
        {"C": 0.5, "max_iter": 5000, "model": "LogisticRegression"},
        ["accuracy_score"],
        ["pred"],
    ),
    Cell(
        "knn_loop",
        """
scores = []
for k in range(1, 8):
    knn = KNeighborsClassifier(n_neighbors=k)
    knn.fit(X_train, y_train)
    scores.append(knn.score(X_test, y_test))
best_k = int(np.argmax(scores)) + 1
""",
        {},
        ["scores.mean", "scores.std"],
        ["k", "knn", "scores"],
        ["model", "best_k"],
    ),
    Cell(
        "dt_gini",
        """
tree = DecisionTreeClassifier(criterion="entropy", max_depth=3, min_samples_leaf=5, random_state=1)
tree.fit(X_train, y_train)
train_acc = tree.score(X_train, y_train)
test_acc = tree.score(X_test, y_test)
""",
        {
            "criterion": "entropy",
            "max_depth": 3,
            "min_samples_leaf": 5,
            "random_state": 1,
            "model": "DecisionTreeClassifier",
        },
        ["train_acc", "test_acc"],
    ),
    Cell(
        "gb_f1_auc",
        """
gbc = GradientBoostingClassifier(n_estimators=30, learning_rate=0.1, max_depth=2, random_state=0)
gbc.fit(X_train, y_train)
proba = gbc.predict_proba(X_test)[:, 1]
auc = roc_auc_score(y_test, proba)
f1 = f1_score(y_test, gbc.predict(X_test))
print("AUC:", auc, "F1:", f1)
""",
        {
            "n_estimators": 30,
            "learning_rate": 0.1,
            "max_depth": 2,
            "random_state": 0,
            "model": "GradientBoostingClassifier",
        },
        ["auc", "f1"],
        ["proba"],
    ),
    Cell(
        "report_dict",
        """
clf = LogisticRegression(max_iter=5000).fit(X_train, y_train)
report = classification_report(y_test, clf.predict(X_test), output_dict=True)
""",
        {"max_iter": 5000, "model": "LogisticRegression"},
        ["report.accuracy", "report.macro avg.f1-score", "report.weighted avg.f1-score"],
        ["output_dict", "report.macro avg.support"],
        [
            "report.0.precision",
            "report.0.recall",
            "report.0.f1-score",
            "report.1.precision",
            "report.1.recall",
            "report.1.f1-score",
            "report.macro avg.precision",
            "report.macro avg.recall",
            "report.weighted avg.precision",
            "report.weighted avg.recall",
        ],
    ),
    Cell(
        "confusion_plot",
        """
cm = confusion_matrix(y_test, fitted_rf.predict(X_test))
fig, ax = plt.subplots(figsize=(5, 4))
ax.imshow(cm, cmap="Blues")
ax.set_title("Confusion matrix", fontsize=12)
plt.close(fig)
""",
        {"n_estimators": 20, "max_depth": 4, "random_state": 0, "model": "RandomForestClassifier"},
        [],
        ["figsize", "cmap", "fontsize", "fig", "ax", "cm"],
    ),
    Cell(
        "split_cell",
        """
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.25, random_state=42, stratify=y)
print(X_tr.shape, X_val.shape)
""",
        {"test_size": 0.25, "random_state": 42},
        [],
        ["X_tr", "y_tr"],
    ),
    Cell(
        "make_data",
        """
Xs, ys = make_classification(n_samples=500, n_features=10, n_informative=4, random_state=7)
print(Xs.shape)
""",
        {"n_samples": 500, "n_features": 10, "n_informative": 4, "random_state": 7},
        [],
    ),
    # -- model selection ---------------------------------------------------------------------
    Cell(
        "cv_score",
        """
scores = cross_val_score(LogisticRegression(C=0.5, max_iter=5000), X, y, cv=3)
print("CV accuracy: %0.3f (+/- %0.3f)" % (scores.mean(), scores.std() * 2))
""",
        {"C": 0.5, "max_iter": 5000, "cv": 3, "model": "LogisticRegression"},
        ["scores.mean", "scores.std"],
    ),
    Cell(
        "cv_validate",
        """
cv_results = cross_validate(RandomForestClassifier(n_estimators=10, random_state=0), X, y, cv=3,
                            scoring=("accuracy", "roc_auc"), return_train_score=True)
""",
        {"n_estimators": 10, "random_state": 0, "cv": 3, "model": "RandomForestClassifier"},
        ["cv_results.test_accuracy.mean", "cv_results.test_roc_auc.mean"],
        ["return_train_score", "cv_results.fit_time.mean"],
        [
            "cv_results.test_accuracy.std",
            "cv_results.test_roc_auc.std",
            "cv_results.train_accuracy.mean",
            "cv_results.train_accuracy.std",
            "cv_results.train_roc_auc.mean",
            "cv_results.train_roc_auc.std",
            "scoring",
        ],
    ),
    Cell(
        "grid_search",
        """
param_grid = {"C": [0.1, 1, 10], "kernel": ["linear", "rbf"]}
grid = GridSearchCV(SVC(), param_grid, cv=3, n_jobs=1)
grid.fit(X_train[:200], y_train[:200])
print(grid.best_params_, grid.best_score_)
""",
        {
            "param_grid.C": [0.1, 1, 10],
            "param_grid.kernel": ["linear", "rbf"],
            "cv": 3,
            "model": "GridSearchCV(SVC)",
            "best.C": ANY,
            "best.kernel": ANY,
        },
        ["best_score"],
        ["n_jobs"],
        ["n_candidates"],
    ),
    Cell(
        "random_search",
        """
search = RandomizedSearchCV(RandomForestClassifier(random_state=0),
                            {"n_estimators": [10, 20], "max_depth": [2, 4, None]},
                            n_iter=3, cv=2, random_state=0)
search.fit(X_train, y_train)
search.best_score_
""",
        {
            "n_iter": 3,
            "cv": 2,
            "random_state": 0,
            "model": "RandomizedSearchCV(RandomForestClassifier)",
            "best.n_estimators": ANY,
            "best.max_depth": ANY,
        },
        ["best_score"],
        [],
        [
            "param_distributions.n_estimators",
            "param_distributions.max_depth",
            "estimator__random_state",
            "n_candidates",
        ],
    ),
    Cell(
        "kfold_loop",
        """
kf = KFold(n_splits=4, shuffle=True, random_state=3)
fold_scores = []
for train_idx, val_idx in kf.split(X):
    m = LogisticRegression(max_iter=5000).fit(X[train_idx], y[train_idx])
    fold_scores.append(m.score(X[val_idx], y[val_idx]))
mean_score = np.mean(fold_scores)
""",
        {"n_splits": 4, "shuffle": True, "random_state": 3},
        ["mean_score"],
        ["train_idx", "val_idx", "m"],
        ["max_iter", "model", "fold_scores.mean", "fold_scores.std"],
    ),
    # -- pipelines -----------------------------------------------------------------------------
    Cell(
        "make_pipeline",
        """
pipe = make_pipeline(StandardScaler(), SVC(C=3.0))
pipe.fit(X_train, y_train)
print("test accuracy", pipe.score(X_test, y_test))
""",
        {"svc__C": 3.0, "model": "Pipeline(StandardScaler, SVC)"},
        ["score"],
    ),
    Cell(
        "pipeline_named",
        """
pipe = Pipeline([
    ("scaler", StandardScaler()),
    ("pca", PCA(n_components=5)),
    ("clf", LogisticRegression(C=2.0, max_iter=5000)),
])
pipe.fit(X_train, y_train)
val_acc = pipe.score(X_test, y_test)
""",
        {
            "pca__n_components": 5,
            "clf__C": 2.0,
            "clf__max_iter": 5000,
            "model": "Pipeline(StandardScaler, PCA, LogisticRegression)",
        },
        ["val_acc"],
    ),
    Cell(
        "column_transformer",
        """
num_cols = ["age", "income"]
cat_cols = ["city"]
pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num_cols),
    ("cat", OneHotEncoder(handle_unknown="ignore"), cat_cols),
])
churn_model = make_pipeline(pre, RandomForestClassifier(n_estimators=25, random_state=0))
Xd_train, Xd_test, yd_train, yd_test = train_test_split(df[num_cols + cat_cols], df["churn"], test_size=0.3,
                                                        random_state=0)
churn_model.fit(Xd_train, yd_train)
churn_acc = churn_model.score(Xd_test, yd_test)
""",
        {
            "columntransformer__num__simpleimputer__strategy": "median",
            "columntransformer__cat__handle_unknown": "ignore",
            "randomforestclassifier__n_estimators": 25,
            "randomforestclassifier__random_state": 0,
            "test_size": 0.3,
            "random_state": 0,
            "model": "Pipeline(ColumnTransformer, RandomForestClassifier)",
        },
        ["churn_acc"],
        ["num_cols", "cat_cols"],
        [
            "pre.model",
            "strategy",
            "handle_unknown",
            "n_estimators",
            "columntransformer__num_cols",
            "columntransformer__transformers",
        ],
    ),
    # -- regression ----------------------------------------------------------------------------
    Cell(
        "ridge_rmse",
        """
ridge = Ridge(alpha=0.5)
ridge.fit(Xr_train, yr_train)
pred = ridge.predict(Xr_test)
rmse = np.sqrt(mean_squared_error(yr_test, pred))
r2 = r2_score(yr_test, pred)
print(f"RMSE={rmse:.2f} R2={r2:.3f}")
""",
        {"alpha": 0.5, "model": "Ridge"},
        ["rmse", "r2"],
        ["pred"],
    ),
    Cell(
        "lasso_alphas",
        """
alphas = [0.01, 0.1, 1.0]
results = {}
for alpha in alphas:
    lasso = Lasso(alpha=alpha, max_iter=10000).fit(Xr_train, yr_train)
    results[alpha] = lasso.score(Xr_test, yr_test)
best_alpha = max(results, key=results.get)
""",
        {"alphas": [0.01, 0.1, 1.0], "max_iter": 10000},
        [],
        ["alpha"],
        ["model", "best_alpha", "results.0.01", "results.0.1", "results.1.0"],
    ),
    Cell(
        "rf_regressor",
        """
rfr = RandomForestRegressor(n_estimators=40, max_features=0.5, random_state=0, n_jobs=1)
rfr.fit(Xr_train, yr_train)
mae = mean_absolute_error(yr_test, rfr.predict(Xr_test))
mae
""",
        {"n_estimators": 40, "max_features": 0.5, "random_state": 0, "model": "RandomForestRegressor"},
        ["mae"],
        ["n_jobs"],
    ),
    Cell(
        "linreg_summary",
        """
lin = LinearRegression()
lin.fit(Xr_train, yr_train)
train_r2, test_r2 = lin.score(Xr_train, yr_train), lin.score(Xr_test, yr_test)
train_r2, test_r2
""",
        {"model": "LinearRegression"},
        ["train_r2", "test_r2"],
    ),
    # -- XGBoost / LightGBM sklearn API ----------------------------------------------------------
    Cell(
        "xgb_sklearn",
        """
xgb_clf = xgb.XGBClassifier(n_estimators=30, max_depth=3, learning_rate=0.2, subsample=0.8,
                            eval_metric="logloss", random_state=0, n_jobs=1)
xgb_clf.fit(X_train, y_train)
xgb_acc = accuracy_score(y_test, xgb_clf.predict(X_test))
""",
        {
            "n_estimators": 30,
            "max_depth": 3,
            "learning_rate": 0.2,
            "subsample": 0.8,
            "eval_metric": "logloss",
            "random_state": 0,
            "model": "XGBClassifier",
        },
        ["xgb_acc"],
        ["n_jobs"],
        ["objective", "missing"],
    ),
    Cell(
        "lgbm_sklearn",
        """
lgbm = lgb.LGBMClassifier(n_estimators=40, num_leaves=15, learning_rate=0.05, verbose=-1, random_state=0)
lgbm.fit(X_train, y_train)
proba = lgbm.predict_proba(X_test)[:, 1]
roc_auc_score(y_test, proba)
""",
        {"n_estimators": 40, "num_leaves": 15, "learning_rate": 0.05, "random_state": 0, "model": "LGBMClassifier"},
        ["roc_auc_score"],
        ["verbose", "proba"],
    ),
    Cell(
        "lgbm_regressor",
        """
reg = lgb.LGBMRegressor(n_estimators=50, max_depth=4, reg_lambda=1.0, verbose=-1)
reg.fit(Xr_train, yr_train)
mse = mean_squared_error(yr_test, reg.predict(Xr_test))
print("MSE", mse)
""",
        {"n_estimators": 50, "max_depth": 4, "reg_lambda": 1.0, "model": "LGBMRegressor"},
        ["mse"],
        ["verbose"],
    ),
    # -- configs -------------------------------------------------------------------------------
    Cell(
        "config_dict",
        """
config = {"lr": 0.05, "epochs": 5, "optimizer": {"name": "sgd", "momentum": 0.9}}
w = np.zeros(3)
for epoch in range(config["epochs"]):
    w -= config["lr"] * (w - 1)
final_w = float(w.mean())
""",
        {"config.lr": 0.05, "config.epochs": 5, "config.optimizer.name": "sgd", "config.optimizer.momentum": 0.9},
        ["final_w"],
        ["epoch", "config"],
    ),
    Cell(
        "dataclass_config",
        """
from dataclasses import dataclass

@dataclass
class TrainConfig:
    lr: float = 0.01
    batch_size: int = 32
    hidden: tuple = (64, 32)

cfg = TrainConfig(lr=0.003)
steps_per_epoch = 1000 // cfg.batch_size
""",
        {"cfg.lr": 0.003, "cfg.batch_size": 32, "cfg.hidden": (64, 32)},
        [],
        ["steps_per_epoch"],
    ),
    Cell(
        "namespace_config",
        """
from types import SimpleNamespace
args = SimpleNamespace(lr=1e-3, epochs=3, dropout=0.2, seed=0)
np.random.seed(args.seed)
""",
        {"args.lr": 1e-3, "args.epochs": 3, "args.dropout": 0.2, "args.seed": 0},
        [],
    ),
    Cell(
        "argparse_config",
        """
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--layers", type=int, default=2)
opt = parser.parse_args([])
""",
        {"opt.lr": 0.1, "opt.layers": 2},
        [],
        [],
        ["type", "default"],
    ),
    Cell(
        "dict_call_config",
        """
hparams = dict(learning_rate=0.3, depth=6, l2_leaf_reg=3)
print(hparams)
""",
        {"hparams.learning_rate": 0.3, "hparams.depth": 6, "hparams.l2_leaf_reg": 3},
        [],
    ),
    Cell(
        "class_config",
        """
class CFG:
    seed = 42
    n_folds = 5
    model_name = "resnet18"
    lr = 3e-4
""",
        {"CFG.seed": 42, "CFG.n_folds": 5, "CFG.model_name": "resnet18", "CFG.lr": 3e-4},
        [],
    ),
    Cell(
        "params_flow_in",
        """
svc = SVC(**params).fit(X_train, y_train)
acc = svc.score(X_test, y_test)
""",
        {"C": 1.0, "kernel": "rbf", "model": "SVC"},
        ["acc"],
        [],
        ["params.C", "params.kernel"],
    ),
    Cell(
        "fitted_model_input",
        """
test_accuracy = accuracy_score(y_test, fitted_rf.predict(X_test))
""",
        {"n_estimators": 20, "max_depth": 4, "random_state": 0, "model": "RandomForestClassifier"},
        ["test_accuracy"],
    ),
    Cell(
        "literal_hparams",
        """
learning_rate = 0.01
n_epochs = 20
batch_size = 64
hidden_units = [128, 64]
dropout = 0.3
""",
        {"learning_rate": 0.01, "n_epochs": 20, "batch_size": 64, "hidden_units": [128, 64], "dropout": 0.3},
        [],
    ),
    Cell(
        "tuple_unpack",
        """
lr, momentum = 0.1, 0.9
velocity = 0.0
for t in range(10):
    velocity = momentum * velocity - lr * 0.5
final_velocity = velocity
""",
        {"lr": 0.1, "momentum": 0.9},
        ["final_velocity"],
        ["t", "velocity"],
    ),
    Cell(
        "recomputed_literal",
        """
lr = 0.1
lr = lr * 2
loss = 1.0 / (1.0 + lr)
""",
        {"lr": 0.1},
        ["loss"],
        [],
    ),
    # -- NumPy training loop -----------------------------------------------------------------
    Cell(
        "numpy_gd",
        """
np.random.seed(0)
Xn = np.random.randn(200, 3)
true_w = np.array([1.0, -2.0, 0.5])
yn = Xn @ true_w + 0.1 * np.random.randn(200)
w = np.zeros(3)
eta = 0.05
n_iters = 200
for i in range(n_iters):
    grad = Xn.T @ (Xn @ w - yn) / len(yn)
    w -= eta * grad
mse = float(np.mean((Xn @ w - yn) ** 2))
""",
        {"seed": 0, "eta": 0.05, "n_iters": 200},
        ["mse"],
        ["i", "grad", "true_w"],
        ["true_w"],
    ),
    Cell(
        "numpy_logreg_losses",
        """
np.random.seed(1)
Xb = np.random.randn(100, 2)
yb = (Xb[:, 0] + Xb[:, 1] > 0).astype(float)
w = np.zeros(2)
lr = 0.5
losses = []
for step in range(50):
    p = 1 / (1 + np.exp(-(Xb @ w)))
    loss = -np.mean(yb * np.log(p + 1e-9) + (1 - yb) * np.log(1 - p + 1e-9))
    losses.append(loss)
    w -= lr * Xb.T @ (p - yb) / len(yb)
final_loss = losses[-1]
train_acc = float(((Xb @ w > 0) == yb).mean())
""",
        {"seed": 1, "lr": 0.5},
        ["final_loss", "train_acc"],
        ["step", "p", "loss"],
        ["losses"],
    ),
    # -- Keras / PyTorch-style epoch loops written without those libraries ------------------------
    Cell(
        "keras_style_history",
        """
history = {"loss": [], "val_loss": [], "accuracy": []}
EPOCHS = 5
BATCH_SIZE = 32
for epoch in range(EPOCHS):
    history["loss"].append(1.0 / (epoch + 1))
    history["val_loss"].append(1.2 / (epoch + 1))
    history["accuracy"].append(0.5 + 0.1 * epoch)
""",
        {"EPOCHS": 5, "BATCH_SIZE": 32},
        ["loss", "val_loss", "accuracy"],
        ["epoch", "history.loss", "history"],
    ),
    Cell(
        "torch_style_loop",
        """
num_epochs = 4
learning_rate = 1e-2
weight = 0.0
train_losses, val_losses = [], []
for epoch in range(num_epochs):
    running_loss = 0.0
    for batch in range(3):
        running_loss += (weight - 1.0) ** 2
        weight += learning_rate * 2 * (1.0 - weight)
    train_losses.append(running_loss / 3)
    val_losses.append((weight - 1.0) ** 2)
    print(f"epoch {epoch}: train {train_losses[-1]:.4f} val {val_losses[-1]:.4f}")
best_val = min(val_losses)
""",
        {"num_epochs": 4, "learning_rate": 1e-2},
        ["best_val"],
        ["epoch", "batch", "running_loss", "weight"],
        ["train_losses", "val_losses"],
    ),
    Cell(
        "fake_fit_history",
        """
class History:
    def __init__(self):
        self.history = {"loss": [0.9, 0.5, 0.3], "val_accuracy": [0.6, 0.7, 0.8]}

def fit(epochs=3, batch_size=16):
    return History()

hist = fit(epochs=3, batch_size=16)
""",
        {"epochs": 3, "batch_size": 16},
        ["loss", "val_accuracy"],
        ["fit"],
    ),
    # -- pandas feature engineering ------------------------------------------------------------
    Cell(
        "fe_dummies",
        """
df_fe = df.copy()
df_fe["income_k"] = df_fe["income"] / 1000
df_fe = pd.get_dummies(df_fe, columns=["city"], drop_first=True)
df_fe.drop(columns=["income"], inplace=True)
df_fe.head()
""",
        {},
        [],
        ["columns", "inplace", "drop_first", "df_fe"],
    ),
    Cell(
        "fe_groupby",
        """
summary = df.groupby("city").agg(mean_income=("income", "mean"), n=("age", "count")).reset_index()
summary = summary.sort_values(by="mean_income", ascending=False)
summary
""",
        {},
        [],
        ["ascending", "by", "summary"],
    ),
    Cell(
        "fe_merge_fill",
        """
extra = pd.DataFrame({"city": ["paris", "lyon"], "pop": [2.1, 0.5]})
merged = df.merge(extra, on="city", how="left")
merged["pop"] = merged["pop"].fillna(0)
n_missing = int(merged["pop"].eq(0).sum())
print(merged.shape)
""",
        {},
        [],
        ["on", "how", "n_missing", "extra"],
    ),
    Cell(
        "fe_bins",
        """
df["age_group"] = pd.cut(df["age"], bins=[0, 30, 50, 100], labels=["young", "mid", "senior"])
counts = df["age_group"].value_counts()
n_rows = len(df)
""",
        {},
        [],
        ["bins", "labels", "n_rows", "counts"],
    ),
    Cell(
        "fe_scaling",
        """
scaler = MinMaxScaler(feature_range=(0, 1))
scaled = scaler.fit_transform(df[["age", "income"]])
scaled_mean = scaled.mean()
""",
        {"feature_range": (0, 1)},
        [],
        ["scaled"],
        ["scaled_mean", "model"],
    ),
    Cell(
        "shape_bookkeeping",
        """
n_samples, n_features = X.shape
n_train = len(X_train)
n_test = X_test.shape[0]
start_time = time.time()
print(n_samples, n_features, n_train, n_test)
""",
        {},
        [],
        ["n_samples", "n_features", "n_train", "n_test", "start_time"],
    ),
    Cell(
        "timing_cell",
        """
t0 = time.perf_counter()
m = LogisticRegression(max_iter=5000, C=0.1).fit(X_train, y_train)
elapsed = time.perf_counter() - t0
acc = m.score(X_test, y_test)
""",
        {"max_iter": 5000, "C": 0.1, "model": "LogisticRegression"},
        ["acc"],
        ["t0"],
        ["elapsed"],
    ),
    # -- plotting ------------------------------------------------------------------------------
    Cell(
        "plot_styling",
        """
colors = ["tab:blue", "tab:orange"]
markers = ["o", "s"]
fig, ax = plt.subplots(figsize=(8, 4))
for i, c in enumerate([0, 1]):
    ax.scatter(X[y == c, 0], X[y == c, 1], color=colors[i], marker=markers[i], alpha=0.6, label=str(c))
ax.set_xlabel("mean radius")
ax.legend(loc="best")
ymin, ymax = ax.get_ylim()
plt.close(fig)
""",
        {},
        [],
        ["colors", "markers", "figsize", "alpha", "ymin", "ymax", "loc", "color"],
    ),
    Cell(
        "hist_plot",
        """
plt.figure(figsize=(6, 3))
plt.hist(df["income"], bins=30, color="steelblue", edgecolor="k")
plt.title("Income")
plt.close()
""",
        {},
        [],
        ["figsize", "bins", "color", "edgecolor"],
    ),
    Cell(
        "df_plot",
        """
ax = df.plot(kind="scatter", x="age", y="income", alpha=0.3, figsize=(5, 3))
plt.close("all")
""",
        {},
        [],
        ["kind", "alpha", "figsize", "x", "y"],
    ),
    Cell(
        "learning_curve_plot",
        """
depths = [1, 2, 4, 8]
train_scores, test_scores = [], []
for d in depths:
    t = DecisionTreeClassifier(max_depth=d, random_state=0).fit(X_train, y_train)
    train_scores.append(t.score(X_train, y_train))
    test_scores.append(t.score(X_test, y_test))
plt.plot(depths, train_scores, label="train", linewidth=2)
plt.plot(depths, test_scores, label="test", linestyle="--")
plt.close()
""",
        {"depths": [1, 2, 4, 8], "random_state": 0},
        [],
        ["linewidth", "linestyle", "label", "d", "t"],
        ["train_scores.mean", "train_scores.std", "test_scores.mean", "test_scores.std", "model"],
    ),
    # -- cells that only print or inspect -------------------------------------------------------
    Cell(
        "print_only",
        """
print("Training set:", X_train.shape)
print("Test set:", X_test.shape, sep=" | ", end="\\n")
""",
        {},
        [],
        ["sep", "end"],
    ),
    Cell(
        "head_describe",
        """
df.describe(include="all")
""",
        {},
        [],
        ["include"],
    ),
    Cell(
        "value_counts",
        """
df["city"].value_counts(normalize=True)
""",
        {},
        [],
        ["normalize"],
    ),
    Cell(
        "info_print",
        """
pd.set_option("display.precision", 3)
print(df.dtypes)
pd.reset_option("display.precision")
""",
        {},
        [],
    ),
    # -- odd but common shapes ------------------------------------------------------------------
    Cell(
        "samples_literal",
        """
sample_reviews = ["This movie was absolutely wonderful", "Terrible plot and worse acting", "ok"]
label_names = ["negative", "positive"]
records = [{"name": "a", "score": 1}, {"name": "b", "score": 2}]
""",
        {},
        [],
        ["sample_reviews", "records"],
        ["label_names"],
    ),
    Cell(
        "list_of_models",
        """
clfs = []
for C in [0.01, 0.1, 1.0]:
    clfs.append(LogisticRegression(C=C, max_iter=5000).fit(X_train, y_train))
accs = [c.score(X_test, y_test) for c in clfs]
best_acc = max(accs)
""",
        {"max_iter": 5000},
        ["best_acc"],
        ["clfs", "C"],
        ["accs.mean", "accs.std", "model"],
    ),
    Cell(
        "metrics_dict",
        """
rf2 = RandomForestClassifier(n_estimators=15, random_state=0).fit(X_train, y_train)
p2 = rf2.predict(X_test)
metrics = {"accuracy": accuracy_score(y_test, p2), "f1": f1_score(y_test, p2)}
metrics
""",
        {"n_estimators": 15, "random_state": 0, "model": "RandomForestClassifier"},
        ["metrics.accuracy", "metrics.f1"],
        ["p2"],
    ),
    Cell(
        "two_models_collide",
        """
svm = SVC(C=2.0).fit(X_train, y_train)
lr_model = LogisticRegression(C=0.3, max_iter=5000).fit(X_train, y_train)
svm_acc = svm.score(X_test, y_test)
lr_acc = lr_model.score(X_test, y_test)
""",
        {
            "svm.C": 2.0,
            "svm.model": "SVC",
            "lr_model.C": 0.3,
            "lr_model.max_iter": 5000,
            "lr_model.model": "LogisticRegression",
        },
        ["svm_acc", "lr_acc"],
        ["C"],
    ),
    Cell(
        "seeds",
        """
SEED = 2024
random.seed(SEED)
np.random.seed(SEED)
noise = np.random.rand()
""",
        {"SEED": 2024},
        [],
        [],
        ["noise"],
    ),
    Cell(
        "score_tuple_last",
        """
rf3 = RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X_train, y_train)
train_score = rf3.score(X_train, y_train)
test_score = rf3.score(X_test, y_test)
train_score, test_score
""",
        {"n_estimators": 10, "max_depth": 3, "random_state": 0, "model": "RandomForestClassifier"},
        ["train_score", "test_score"],
    ),
    Cell(
        "f1_macro_expr",
        """
knn5 = KNeighborsClassifier(n_neighbors=5, weights="distance").fit(X_train, y_train)
f1_score(y_test, knn5.predict(X_test), average="macro")
""",
        {"n_neighbors": 5, "weights": "distance", "average": "macro", "model": "KNeighborsClassifier"},
        ["f1_score"],
    ),
    Cell(
        "pca_variance",
        """
pca = PCA(n_components=3, random_state=0)
Z = pca.fit_transform(StandardScaler().fit_transform(X))
explained = pca.explained_variance_ratio_.sum()
print(f"explained variance: {explained:.2%}")
""",
        {"n_components": 3, "random_state": 0},
        ["explained"],
        ["Z"],
    ),
    Cell(
        "stratified_cv_manual",
        """
skf = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
cv_scores = cross_val_score(make_pipeline(StandardScaler(), SVC(C=1.5, kernel="rbf")), X, y, cv=skf)
cv_scores.mean()
""",
        {"n_splits": 3, "shuffle": True, "random_state": 0, "C": 1.5, "kernel": "rbf", "model": ANY},
        ["cv_scores.mean", "cv_scores.std"],
        [],
        ["cv_scores.mean"],
    ),
    Cell(
        "nested_time_magic",
        """%%time
gnb_depth = 3
dt3 = DecisionTreeClassifier(max_depth=gnb_depth, random_state=0).fit(X_train, y_train)
dt3_acc = dt3.score(X_test, y_test)
""",
        {"gnb_depth": 3, "max_depth": 3, "random_state": 0, "model": "DecisionTreeClassifier"},
        ["dt3_acc"],
    ),
    Cell(
        "xgb_native_params",
        """
xgb_params = {"max_depth": 3, "eta": 0.3, "objective": "binary:logistic", "eval_metric": "auc"}
dtrain = xgb.DMatrix(X_train, label=y_train)
dtest = xgb.DMatrix(X_test, label=y_test)
booster = xgb.train(xgb_params, dtrain, num_boost_round=20)
auc = roc_auc_score(y_test, booster.predict(dtest))
""",
        {
            "xgb_params.max_depth": 3,
            "xgb_params.eta": 0.3,
            "xgb_params.objective": "binary:logistic",
            "xgb_params.eval_metric": "auc",
            "num_boost_round": 20,
        },
        ["auc"],
        ["label", "dtrain"],
    ),
    Cell(
        "lgb_native_params",
        """
lgb_params = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 7, "verbose": -1}
train_set = lgb.Dataset(X_train, label=y_train)
gbm = lgb.train(lgb_params, train_set, num_boost_round=25)
lgb_auc = roc_auc_score(y_test, gbm.predict(X_test))
""",
        {
            "lgb_params.objective": "binary",
            "lgb_params.learning_rate": 0.1,
            "lgb_params.num_leaves": 7,
            "num_boost_round": 25,
        },
        ["lgb_auc"],
        ["label"],
        ["lgb_params.verbose"],
    ),
    # -- trained objects whose results are attributes (added 2026-12-04 with their rule) ---------
    Cell(
        "optuna_study",
        """
import optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
def objective(trial):
    C = trial.suggest_float("C", 1e-3, 10, log=True)
    kernel = trial.suggest_categorical("kernel", ["linear", "rbf"])
    return cross_val_score(SVC(C=C, kernel=kernel), X_train, y_train, cv=3).mean()
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=6)
print("Best params:", study.best_params)
print("Best value:", study.best_value)
""",
        {"best.C": ANY, "best.kernel": ANY, "direction": "maximize", "n_trials": 6, "seed": 0},
        ["best_value"],
        ["objective", "C", "kernel"],
    ),
    Cell(
        "lgb_native_early_stopping",
        """
es_params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "verbose": -1}
train_set = lgb.Dataset(X_train, y_train)
val_set = lgb.Dataset(X_test, y_test, reference=train_set)
booster = lgb.train(es_params, train_set, num_boost_round=300, valid_sets=[val_set],
                    callbacks=[lgb.early_stopping(20, verbose=False), lgb.log_evaluation(0)])
print("best iteration:", booster.best_iteration)
""",
        {
            "es_params.objective": "binary",
            "es_params.learning_rate": 0.05,
            "es_params.num_leaves": 15,
            "num_boost_round": 300,
        },
        ["best_iteration", "valid_0.binary_logloss"],
        ["reference"],
        ["es_params.verbose"],
    ),
    Cell(
        "xgb_native_early_stopping",
        """
dtr = xgb.DMatrix(X_train, label=y_train)
dva = xgb.DMatrix(X_test, label=y_test)
bst_es = xgb.train({"objective": "binary:logistic", "eta": 0.3, "max_depth": 3}, dtr, num_boost_round=300,
                   evals=[(dva, "valid")], early_stopping_rounds=10, verbose_eval=False)
""",
        {
            "objective": "binary:logistic",
            "eta": 0.3,
            "max_depth": 3,
            "num_boost_round": 300,
            "early_stopping_rounds": 10,
        },
        ["best_iteration", "best_score"],
        ["label"],
    ),
]
