"""Cells written after the rules were tuned on cells.py, measured blind once (figures in the
issue note), then kept in the corpus: Kaggle-style tabular work, tutorials' training loops,
clustering, text features, imbalanced data."""

from __future__ import annotations

from corpus.cells import ANY, Cell  # noqa: F401

HOLDOUT_SETUP = """
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.ensemble import ExtraTreesClassifier, AdaBoostClassifier, VotingClassifier
from sklearn.metrics import silhouette_score, precision_score, recall_score, log_loss
from sklearn.neural_network import MLPClassifier
titanic = pd.DataFrame({
    "Pclass": rng.integers(1, 4, 400), "Age": rng.normal(30, 12, 400).round(),
    "Fare": rng.exponential(30, 400), "Sex": rng.choice(["male", "female"], 400),
    "Survived": rng.integers(0, 2, 400),
})
texts = ["good movie", "bad movie", "great plot", "awful acting", "fine film", "terrible film"] * 10
labels = [1, 0, 1, 0, 1, 0] * 10
"""

HOLDOUT = [
    Cell(
        "titanic_features",
        """
titanic["Sex"] = titanic["Sex"].map({"male": 0, "female": 1})
titanic["Age"] = titanic["Age"].fillna(titanic["Age"].median())
features = ["Pclass", "Age", "Fare", "Sex"]
X_t = titanic[features]
y_t = titanic["Survived"]
X_t.head()
""",
        {},
        [],
        ["features", "Sex"],
    ),
    Cell(
        "titanic_rf",
        """
X_t = titanic[["Pclass", "Age", "Fare"]]
y_t = titanic["Survived"]
Xt_tr, Xt_te, yt_tr, yt_te = train_test_split(X_t, y_t, test_size=0.3, random_state=1)
forest = RandomForestClassifier(n_estimators=100, max_depth=5, min_samples_split=4, random_state=1)
forest.fit(Xt_tr, yt_tr)
predictions = forest.predict(Xt_te)
print("Accuracy:", accuracy_score(yt_te, predictions))
print("Precision:", precision_score(yt_te, predictions))
""",
        {
            "test_size": 0.3,
            "random_state": 1,
            "n_estimators": 100,
            "max_depth": 5,
            "min_samples_split": 4,
            "model": "RandomForestClassifier",
        },
        ["accuracy_score", "precision_score"],
        ["predictions"],
    ),
    Cell(
        "kmeans_elbow",
        """
inertias = []
K = range(1, 8)
for k in K:
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X[:, :2])
    inertias.append(km.inertia_)
""",
        {"n_init": 10, "random_state": 0},
        [],
        ["k", "km", "K"],
        ["model", "inertias.mean", "inertias.std"],
    ),
    Cell(
        "kmeans_silhouette",
        """
kmeans = KMeans(n_clusters=3, n_init=10, random_state=42)
cluster_labels = kmeans.fit_predict(X[:, :4])
sil = silhouette_score(X[:, :4], cluster_labels)
print(f"Silhouette: {sil:.3f}")
""",
        {"n_clusters": 3, "n_init": 10, "random_state": 42, "model": "KMeans"},
        ["sil"],
        ["cluster_labels"],
    ),
    Cell(
        "tfidf_nb",
        """
vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, max_features=500)
Xtxt = vectorizer.fit_transform(texts)
nb = MultinomialNB(alpha=0.1)
nb.fit(Xtxt, labels)
nb.score(Xtxt, labels)
""",
        {"ngram_range": (1, 2), "min_df": 1, "max_features": 500, "alpha": 0.1, "model": "MultinomialNB"},
        ["score"],
        [],
        ["vectorizer.ngram_range", "vectorizer.max_features", "nb.alpha", "nb.model", "vectorizer.min_df"],
    ),
    Cell(
        "mlp",
        """
mlp = MLPClassifier(hidden_layer_sizes=(32, 16), activation="relu", learning_rate_init=0.01,
                    max_iter=300, random_state=0)
mlp.fit(StandardScaler().fit_transform(X_train), y_train)
loss_curve = mlp.loss_curve_
final_loss = mlp.loss_
""",
        {
            "hidden_layer_sizes": (32, 16),
            "learning_rate_init": 0.01,
            "max_iter": 300,
            "random_state": 0,
            "model": "MLPClassifier",
        },
        ["final_loss"],
        ["loss_curve.mean"],
        ["activation", "loss_curve"],
    ),
    Cell(
        "voting",
        """
voting = VotingClassifier(estimators=[
    ("lr", LogisticRegression(max_iter=5000)),
    ("et", ExtraTreesClassifier(n_estimators=20, random_state=0)),
], voting="soft")
voting.fit(X_train, y_train)
vote_acc = voting.score(X_test, y_test)
""",
        {"et__n_estimators": 20, "et__random_state": 0, "lr__max_iter": 5000, "voting": "soft", "model": ANY},
        ["vote_acc"],
        [],
        ["n_estimators", "random_state", "max_iter"],
    ),
    Cell(
        "adaboost_logloss",
        """
ada = AdaBoostClassifier(n_estimators=25, learning_rate=0.5, random_state=0)
ada.fit(X_train, y_train)
ll = log_loss(y_test, ada.predict_proba(X_test))
rec = recall_score(y_test, ada.predict(X_test))
print(ll, rec)
""",
        {"n_estimators": 25, "learning_rate": 0.5, "random_state": 0, "model": "AdaBoostClassifier"},
        ["ll", "rec"],
    ),
    Cell(
        "numpy_sgd_minibatch",
        """
np.random.seed(3)
Xm = np.random.randn(256, 4)
ym = Xm @ np.array([0.5, -1.0, 2.0, 0.0]) + 0.05 * np.random.randn(256)
W = np.zeros(4)
lr = 0.1
batch_size = 32
epochs = 10
for epoch in range(epochs):
    perm = np.random.permutation(len(Xm))
    for start in range(0, len(Xm), batch_size):
        idx = perm[start:start + batch_size]
        W -= lr * Xm[idx].T @ (Xm[idx] @ W - ym[idx]) / len(idx)
train_mse = np.mean((Xm @ W - ym) ** 2)
print("train mse", train_mse)
""",
        {"seed": 3, "lr": 0.1, "batch_size": 32, "epochs": 10},
        ["train_mse"],
        ["epoch", "start", "idx", "perm"],
    ),
    Cell(
        "print_metrics_only",
        """
gb = GradientBoostingClassifier(n_estimators=20, max_depth=2, random_state=0).fit(X_train, y_train)
y_hat = gb.predict(X_test)
print(classification_report(y_test, y_hat))
print(confusion_matrix(y_test, y_hat))
""",
        {"n_estimators": 20, "max_depth": 2, "random_state": 0, "model": "GradientBoostingClassifier"},
        # Expected nothing when written (2026-12-03); since 2026-12-04 the printed report's
        # numbers are read (as printed: 2 digits), named as the output_dict=True rule names them.
        [
            "classification_report.accuracy",
            "classification_report.macro avg.f1-score",
            "classification_report.weighted avg.f1-score",
        ],
        ["y_hat"],
        [
            f"classification_report.{row}.{col}"
            for row in ("0", "1", "macro avg", "weighted avg")
            for col in ("precision", "recall", "f1-score")
        ],
    ),
    Cell(
        "feature_importance",
        """
importances = pd.Series(fitted_rf.feature_importances_).sort_values(ascending=False)
top10 = importances.head(10)
importances.plot.bar(figsize=(8, 3))
plt.close("all")
""",
        {},
        [],
        ["ascending", "figsize", "top10"],
        ["n_estimators", "max_depth", "random_state", "model"],
    ),
    Cell(
        "eval_function",
        """
def evaluate(model, X_eval, y_eval):
    p = model.predict(X_eval)
    return {"acc": accuracy_score(y_eval, p), "f1": f1_score(y_eval, p)}

knn3 = KNeighborsClassifier(n_neighbors=3).fit(X_train, y_train)
eval_results = evaluate(knn3, X_test, y_test)
eval_results
""",
        {"n_neighbors": 3, "model": "KNeighborsClassifier"},
        ["eval_results.acc", "eval_results.f1"],
    ),
    # -- added after the second search of public examples (same blind measurement, 2nd round) --
    Cell(
        "fitted_alias",
        """
model = RandomForestClassifier(n_estimators=30, max_features="log2", random_state=0)
fitted_model = model.fit(X_train, y_train)
predictions = fitted_model.predict(X_test)
print(confusion_matrix(y_test, predictions))
print(accuracy_score(y_test, predictions))
""",
        {"n_estimators": 30, "max_features": "log2", "random_state": 0, "model": "RandomForestClassifier"},
        ["accuracy_score"],
        ["fitted_model.n_estimators", "predictions"],
    ),
    Cell(
        "metrics_module_prints",
        """
import sklearn.metrics as skm
classifier = DecisionTreeClassifier(max_depth=4, criterion="entropy", random_state=0)
classifier.fit(X_train, y_train)
y_pred = classifier.predict(X_test)
print("Training Score: ", classifier.score(X_train, y_train) * 100)
print("Recall:", skm.recall_score(y_test, y_pred))
""",
        {"max_depth": 4, "criterion": "entropy", "random_state": 0, "model": "DecisionTreeClassifier"},
        ["score", "recall_score"],
        ["y_pred"],
    ),
    Cell(
        "models_dict_loop",
        """
models = {"LR": LogisticRegression(max_iter=1000), "RF": RandomForestClassifier(n_estimators=20, random_state=0)}
results = {}
for name, mdl in models.items():
    mdl.fit(X_train, y_train)
    results[name] = mdl.score(X_test, y_test)
results
""",
        {"max_iter": 1000, "n_estimators": 20, "random_state": 0},
        ["results.LR", "results.RF"],
        ["name", "mdl"],
        ["model"],
    ),
    Cell(
        "percent_format_regression",
        """
regr = LinearRegression()
regr.fit(Xr_train, yr_train)
yr_pred = regr.predict(Xr_test)
print("Mean squared error: %.2f" % mean_squared_error(yr_test, yr_pred))
print("Coefficient of determination: %.2f" % r2_score(yr_test, yr_pred))
""",
        {"model": "LinearRegression"},
        ["mean_squared_error", "r2_score"],
        ["yr_pred"],
    ),
    # -- 3rd round: exploration cells (written before the data-statistics and path rules) --
    Cell(
        "eda_statistics",
        """
DATA_PATH = "../input/titanic/train.csv"
mean_fare = titanic["Fare"].mean()
age_fare_corr = titanic["Age"].corr(titanic["Fare"])
survival_rate = titanic["Survived"].mean()
print(f"mean fare {mean_fare:.1f}, corr {age_fare_corr:.2f}, survival {survival_rate:.2%}")
""",
        {},
        [],
        ["DATA_PATH", "mean_fare", "age_fare_corr"],
        ["survival_rate"],
    ),
    Cell(
        "drop_cols_list",
        """
cols_to_drop = ["Fare"]
titanic_small = titanic.drop(columns=cols_to_drop)
threshold = 0.5
titanic_small["old"] = (titanic_small["Age"] > 40 * threshold * 2).astype(int)
""",
        {"threshold": 0.5},
        [],
        ["cols_to_drop", "columns"],
    ),
    Cell(
        "eda_percent_missing",
        """
pct_old = titanic["Age"].gt(60).mean() * 100
n_classes = titanic["Pclass"].nunique()
print(f"{pct_old:.1f}% over 60, {n_classes} classes")
""",
        {},
        [],
        ["pct_old", "n_classes"],
    ),
    Cell(
        "keras_style_evaluate",
        """
class TinyModel:
    def fit(self, X, y, epochs=1, batch_size=32, verbose=0):
        return self
    def evaluate(self, X, y, verbose=0):
        return [0.25, 0.91]

net = TinyModel().fit(X_train, y_train, epochs=8, batch_size=64, verbose=0)
score = net.evaluate(X_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
""",
        {"epochs": 8, "batch_size": 64},
        ["score.0", "score.1"],
        ["verbose", "score.mean", "score.std"],
    ),
    # -- 4th round, measured blind (figures in the issue note) --
    Cell(
        "text_pipeline_grid",
        """
from sklearn.svm import LinearSVC
text_clf = Pipeline([("tfidf", TfidfVectorizer(sublinear_tf=True)), ("svm", LinearSVC(C=0.5))])
gs = GridSearchCV(text_clf, {"tfidf__ngram_range": [(1, 1), (1, 2)], "svm__C": [0.1, 1.0]}, cv=2)
gs.fit(texts, labels)
print("best:", gs.best_params_, gs.best_score_)
""",
        {
            "estimator__tfidf__sublinear_tf": True,
            "estimator__svm__C": 0.5,
            "cv": 2,
            "param_grid.tfidf__ngram_range": ANY,
            "param_grid.svm__C": [0.1, 1.0],
            "best.tfidf__ngram_range": ANY,
            "best.svm__C": ANY,
            "model": ANY,
        },
        ["best_score"],
        [],
        ["n_candidates", "sublinear_tf", "C", "text_clf.model"],
    ),
    Cell(
        "best_estimator_score",
        """
best_model = grid.best_estimator_ if "grid" in dir() else SVC(C=1.0).fit(X_train, y_train)
holdout_acc = best_model.score(X_test, y_test)
""",
        {"model": "SVC"},
        ["holdout_acc"],
        [],
        # grid (an input) brings the search it ran: inherited, and what the holdout score depends on
        [
            "C",
            "kernel",
            "best.C",
            "best.kernel",
            "cv",
            "n_candidates",
            "param_grid.C",
            "param_grid.kernel",
            "best_score",
        ],
    ),
    Cell(
        "hist_gb_early_stop",
        """
from sklearn.ensemble import HistGradientBoostingClassifier
hgb = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, early_stopping=True,
                                     validation_fraction=0.2, random_state=0)
hgb.fit(X_train, y_train)
print(f"stopped after {hgb.n_iter_} iterations, accuracy {hgb.score(X_test, y_test):.3f}")
""",
        {
            "max_iter": 100,
            "learning_rate": 0.1,
            "early_stopping": True,
            "validation_fraction": 0.2,
            "random_state": 0,
            "model": "HistGradientBoostingClassifier",
        },
        ["score"],
        ["n_iter"],
    ),
    Cell(
        "lr_loop_records",
        """
rows = []
for lr_ in [0.01, 0.1, 0.3]:
    gbm_ = GradientBoostingClassifier(learning_rate=lr_, n_estimators=10, random_state=0).fit(X_train, y_train)
    rows.append({"lr": lr_, "acc": gbm_.score(X_test, y_test)})
results_df = pd.DataFrame(rows).sort_values("acc", ascending=False)
results_df
""",
        {"n_estimators": 10, "random_state": 0},
        [],
        ["rows", "lr_", "gbm_", "ascending"],
        ["model"],
    ),
    Cell(
        "manual_mse",
        """
lin2 = LinearRegression(fit_intercept=False).fit(Xr_train, yr_train)
residuals = lin2.predict(Xr_test) - yr_test
mse_manual = (residuals ** 2).mean()
rmse_manual = np.sqrt(mse_manual)
""",
        {"fit_intercept": False, "model": "LinearRegression"},
        ["mse_manual", "rmse_manual"],
        ["residuals"],
    ),
    Cell(
        "lgb_callbacks",
        """
dtrain2 = lgb.Dataset(X_train, label=y_train)
dvalid2 = lgb.Dataset(X_test, label=y_test, reference=dtrain2)
booster2 = lgb.train({"objective": "binary", "metric": "auc", "learning_rate": 0.05, "verbose": -1},
                     dtrain2, num_boost_round=50, valid_sets=[dvalid2],
                     callbacks=[lgb.early_stopping(10, verbose=False)])
best_iter = booster2.best_iteration
valid_auc = booster2.best_score["valid_0"]["auc"]
""",
        {"objective": "binary", "metric": "auc", "learning_rate": 0.05, "num_boost_round": 50},
        ["valid_auc"],
        ["verbose", "label"],
        ["best_iter"],
    ),
    Cell(
        "xgb_cv_frame",
        """
cv_hist = xgb.cv({"max_depth": 2, "eta": 0.5, "objective": "binary:logistic"}, xgb.DMatrix(X_train, label=y_train),
                 num_boost_round=10, nfold=3, metrics="auc", seed=0)
final_cv_auc = cv_hist["test-auc-mean"].iloc[-1]
""",
        {
            "max_depth": 2,
            "eta": 0.5,
            "objective": "binary:logistic",
            "num_boost_round": 10,
            "nfold": 3,
            "metrics": "auc",
            "seed": 0,
        },
        ["final_cv_auc"],
        ["label"],
    ),
    Cell(
        "threshold_tuning",
        """
probs = fitted_rf.predict_proba(X_test)[:, 1]
threshold = 0.35
preds_t = (probs >= threshold).astype(int)
recall_at_t = recall_score(y_test, preds_t)
precision_at_t = precision_score(y_test, preds_t)
""",
        {"threshold": 0.35, "n_estimators": 20, "max_depth": 4, "random_state": 0, "model": "RandomForestClassifier"},
        ["recall_at_t", "precision_at_t"],
        ["probs", "preds_t"],
    ),
    # Written 2026-12-04 in the style of Kaggle notebooks with a config cell: keyword values
    # that name an earlier cell's setting (``n_splits=CFG.n_folds``, ``epochs=EPOCHS``,
    # ``cfg["C"]``). Before the rule these 4 cells recorded 14 of their 20 params (n_splits,
    # random_state twice, learning_rate, num_leaves and test_size were missed).
    Cell(
        "kaggle_cfg_class",
        """
class CFG:
    seed = 42
    n_folds = 4
    lr = 0.05
    num_leaves = 15
""",
        {"CFG.seed": 42, "CFG.n_folds": 4, "CFG.lr": 0.05, "CFG.num_leaves": 15},
        [],
    ),
    Cell(
        "kaggle_cv_from_cfg",
        """
skf = StratifiedKFold(n_splits=CFG.n_folds, shuffle=True, random_state=CFG.seed)
oof = np.zeros(len(y))
for fold, (tr, va) in enumerate(skf.split(X, y)):
    m = lgb.LGBMClassifier(learning_rate=CFG.lr, num_leaves=CFG.num_leaves, n_estimators=20, verbose=-1)
    m.fit(X[tr], y[tr])
    oof[va] = m.predict_proba(X[va])[:, 1]
    print(f"Fold {fold}: AUC = {roc_auc_score(y[va], oof[va]):.4f}")
print(f"CV AUC: {roc_auc_score(y, oof):.4f}")
""",
        {
            "n_splits": 4,
            "shuffle": True,
            "random_state": 42,
            "learning_rate": 0.05,
            "num_leaves": 15,
            "n_estimators": 20,
            "model": "LGBMClassifier",
        },
        ["roc_auc_score"],
        ["fold", "tr", "va", "oof"],
        ["verbose"],
    ),
    Cell(
        "constants_then_split",
        """
TEST_SIZE = 0.25
SEED = 3
""",
        {"TEST_SIZE": 0.25, "SEED": 3},
        [],
    ),
    Cell(
        "split_and_fit_from_constants",
        """
Xa, Xb, ya, yb = train_test_split(X, y, test_size=TEST_SIZE, random_state=SEED)
knn_cfg = {"n_neighbors": 9, "weights": "distance"}
knn = KNeighborsClassifier(n_neighbors=knn_cfg["n_neighbors"], weights=knn_cfg["weights"])
knn.fit(Xa, ya)
print("accuracy:", accuracy_score(yb, knn.predict(Xb)))
""",
        {
            "test_size": 0.25,
            "random_state": 3,
            "knn_cfg.n_neighbors": 9,
            "knn_cfg.weights": "distance",
            "n_neighbors": 9,
            "weights": "distance",
            "model": "KNeighborsClassifier",
        },
        ["accuracy_score"],
        ["dtype"],
    ),
    # Written 2026-12-04: a training loop that only prints its loss (no list, no logger).
    # Before the loop rule it recorded no metric.
    Cell(
        "numpy_loop_printed_loss",
        """
w = np.zeros(X_train.shape[1]); b = 0.0
lr, epochs = 0.1, 20
for epoch in range(epochs):
    p = 1 / (1 + np.exp(-(X_train @ w + b)))
    loss = -np.mean(y_train * np.log(p + 1e-9) + (1 - y_train) * np.log(1 - p + 1e-9))
    w -= lr * X_train.T @ (p - y_train) / len(y_train)
    b -= lr * np.mean(p - y_train)
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {loss:.4f}")
""",
        {"lr": 0.1, "epochs": 20},
        ["loss"],
        ["epoch", "w", "b", "p"],
    ),
]
