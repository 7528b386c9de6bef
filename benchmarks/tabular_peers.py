"""Deep ensembles against gradient-boosted trees and MLPs on real tabular data.

Every method sees the same 3 folds (stratified for classification) of each data
set, inside the same preprocessing a user would write: one-hot encoding for the
string and category columns, median imputing and standardising for the
numbers. The deep-ensemble configurations can also take the raw DataFrame
(``raw`` in their name), where the estimator encodes the columns itself
(``categorical_features``).

Classification scores: log loss, top-label ECE (15 bins), accuracy. Regression
scores: the predictive distribution's NLL (methods that give one), RMSE, the
coverage of the central 90% interval. Each row also gives the mean fit time of
a fold, and for the deep ensembles the epistemic AUROC: how well
``predict_uncertainty().epistemic`` tells the test rows from the same rows
with every numeric feature moved 4 training standard deviations (a random
sign per entry) off the data.

Data: the real data sets the ISLP package ships (``pip install ISLP
--no-deps``; they are read from its bundled CSVs), and two synthetic sets whose
target is a function of thresholds. Peers need ``catboost`` and ``ngboost``
(left out with a note when missing).

Usage::

    python benchmarks/tabular_peers.py [--datasets Default OJ ...]
        [--methods catboost hgb ...] [--configs default ple=...]

``--configs`` takes ``name=JSON`` pairs of DeepEnsemble parameters (for
example ``ple='{"numeric_embedding": "piecewise_linear"}'``); ``default`` is
the estimator's defaults. The study of ``numeric_embedding`` (plain,
piecewise-linear, periodic) with this script is tabled in docs/tabular.rst.
"""

import argparse
import json
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import quiet_convergence, table, versions_header  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeCV  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor  # noqa: E402
from skdeepens.metrics import expected_calibration_error  # noqa: E402

CLASSIFICATION = (
    "Default",
    "Caravan",
    "OJ",
    "Smarket",
    "Carseats-high",
    "College-private",
    "thresholds-4class",
)
REGRESSION = ("Wage", "Bikeshare", "Hitters", "Credit", "thresholds-reg")


# -- data ---------------------------------------------------------------------


def _islp(name):
    from ISLP import load_data

    return load_data(name)


def _threshold_frame(seed, n, task):
    """Numbers, a string column and missing entries; a target of thresholds."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    colour = rng.choice(["red", "green", "blue", "grey"], size=n)
    steps = (X[:, 0] > 0.3).astype(int) + 2 * (X[:, 1] > -0.2)
    steps = steps + (colour == "red") * (X[:, 2] > 0.5)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(6)])
    frame["colour"] = colour
    frame.loc[rng.uniform(size=n) < 0.1, "x3"] = np.nan
    if task == "classification":
        flip = rng.uniform(size=n) < 0.1
        y = np.where(flip, rng.integers(0, 4, n), np.minimum(steps, 3))
        return frame, y.astype(str)
    return frame, steps + 0.3 * rng.normal(size=n)


def load(name):
    """``(X frame, y, task)`` of one data set."""
    if name == "thresholds-4class":
        return (*_threshold_frame(0, 3000, "classification"), "classification")
    if name == "thresholds-reg":
        return (*_threshold_frame(1, 3000, "regression"), "regression")
    base = name.split("-")[0]
    frame = _islp(base)
    if name == "Carseats-high":
        y = np.where(frame["Sales"] > 8, "yes", "no")
        return frame.drop(columns=["Sales"]), y, "classification"
    if name == "College-private":
        y = frame["Private"].astype(str).to_numpy()
        return frame.drop(columns=["Private"]), y, "classification"
    classes = {"Default": "default", "Caravan": "Purchase", "OJ": "Purchase"}
    if base in classes or base == "Smarket":
        target = classes.get(base, "Direction")
        drop = [target] + (["Today"] if base == "Smarket" else [])
        y = frame[target].astype(str).to_numpy()
        return frame.drop(columns=drop), y, "classification"
    if base == "Wage":
        return (
            frame.drop(columns=["wage", "logwage"]),
            frame["logwage"].to_numpy(),
            "regression",
        )
    if base == "Bikeshare":
        y = np.log1p(frame["bikers"].to_numpy(float))
        return frame.drop(columns=["bikers", "casual", "registered"]), y, "regression"
    if base == "Hitters":
        frame = frame[frame["Salary"].notna()]
        return (
            frame.drop(columns=["Salary"]),
            np.log(frame["Salary"].to_numpy()),
            "regression",
        )
    if base == "Credit":
        return (
            frame.drop(columns=["Balance", "ID"]),
            frame["Balance"].to_numpy(float),
            "regression",
        )
    raise ValueError(f"unknown data set {name!r}")


# -- methods ------------------------------------------------------------------


def preprocessing():
    """What a user writes: one-hot strings, median-impute and scale numbers."""
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    return ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_include=["category", "object", "string"]),
            ),
            ("numbers", numbers, make_column_selector(dtype_include="number")),
        ]
    )


def _catboost(task, seed):
    import catboost

    if task == "classification":
        return catboost.CatBoostClassifier(
            verbose=0, random_seed=seed, allow_writing_files=False
        )
    return _CatBoostUncertainty(seed)


class _CatBoostUncertainty:
    """CatBoost's RMSEWithUncertainty with virtual ensembles: mean and std."""

    def __init__(self, seed):
        import catboost

        self.model = catboost.CatBoostRegressor(
            loss_function="RMSEWithUncertainty",
            posterior_sampling=True,
            allow_writing_files=False,
            verbose=0,
            random_seed=seed,
        )

    def fit(self, X, y):
        self.model.fit(X, y)
        return self

    def predict_mean_std(self, X):
        out = self.model.virtual_ensembles_predict(
            X, prediction_type="TotalUncertainty", virtual_ensembles_count=10
        )
        return out[:, 0], np.sqrt(out[:, 1] + out[:, 2])


class _NGBoost:
    def __init__(self, task, seed, n_classes=None):
        import ngboost
        from ngboost.distns import k_categorical

        if task == "classification":
            self.model = ngboost.NGBClassifier(
                Dist=k_categorical(n_classes), verbose=False, random_state=seed
            )
        else:
            self.model = ngboost.NGBRegressor(verbose=False, random_state=seed)

    def fit(self, X, y):
        self.model.fit(X, y)
        return self

    def predict_proba(self, X):
        return self.model.predict_proba(X)

    def predict_mean_std(self, X):
        dist = self.model.pred_dist(X)
        return dist.params["loc"], dist.params["scale"]


def peer(method, task, seed, n_classes):
    """A fresh peer model (fitted on preprocessed arrays), or None if missing."""
    if method == "catboost":
        return _catboost(task, seed)
    if method == "ngboost":
        return _NGBoost(task, seed, n_classes)
    classification = task == "classification"
    if method == "hgb":
        cls = (
            HistGradientBoostingClassifier
            if classification
            else HistGradientBoostingRegressor
        )
        return cls(random_state=seed)
    if method == "mlp":
        cls = MLPClassifier if classification else MLPRegressor
        return cls(max_iter=500, early_stopping=True, random_state=seed)
    if method == "5 mlps":
        cls = MLPClassifier if classification else MLPRegressor
        members = [
            (
                f"m{m}",
                cls(max_iter=500, early_stopping=True, random_state=seed * 10 + m),
            )
            for m in range(5)
        ]
        if classification:
            return VotingClassifier(members, voting="soft")
        return VotingRegressor(members)
    if method == "linear":
        return LogisticRegression(max_iter=2000) if classification else RidgeCV()
    raise ValueError(f"unknown method {method!r}")


# -- scoring ------------------------------------------------------------------


def _classification_scores(proba, classes, y):
    return {
        "log loss": log_loss(y, proba, labels=classes),
        "ECE": expected_calibration_error(y, proba, classes=classes),
        "accuracy": accuracy_score(y, classes[np.argmax(proba, axis=1)]),
    }


def _regression_scores(mean, std, y):
    scores = {"RMSE": float(np.sqrt(np.mean((mean - y) ** 2)))}
    if std is not None:
        scores["NLL"] = float(-np.mean(stats.norm.logpdf(y, mean, std)))
        half = stats.norm.ppf(0.95) * std
        scores["cover90"] = float(np.mean(np.abs(y - mean) <= half))
    return scores


def _shifted(X, train_std, rng):
    """The rows with every numeric column moved 4 training std off the data."""
    X = X.copy()
    for column, std in train_std.items():
        sign = rng.choice([-1.0, 1.0], size=len(X))
        X[column] = X[column] + sign * 4.0 * std
    return X


def _ensemble_scores(model, task, X_test, y_test, train_std, classes):
    rng = np.random.default_rng(0)
    if task == "classification":
        scores = _classification_scores(model.predict_proba(X_test), classes, y_test)
    else:
        dist = model.predict_dist(X_test) if hasattr(model, "predict_dist") else None
        if dist is None:
            from skdeepens.compose import predict_dist

            dist = predict_dist(model, X_test)
        scores = {
            "RMSE": float(np.sqrt(np.mean((dist.mean() - y_test) ** 2))),
            "NLL": float(-np.mean(dist.logpdf(y_test))),
        }
        low, high = dist.interval(0.9)
        scores["cover90"] = float(np.mean((y_test >= low) & (y_test <= high)))
    from skdeepens.compose import predict_uncertainty

    key = "epistemic" if task == "classification" else "epistemic_std"
    inside = predict_uncertainty(model, X_test)[key]
    outside = predict_uncertainty(model, _shifted(X_test, train_std, rng))[key]
    if inside.ndim > 1:
        inside, outside = inside.sum(axis=1), outside.sum(axis=1)
    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    scores["epi AUROC"] = roc_auc_score(labels, np.r_[inside, outside])
    return scores


def run(name, methods, configs):
    X, y, task = load(name)
    classification = task == "classification"
    classes = np.unique(y) if classification else None
    if classification:
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(X, y)
    else:
        folds = KFold(n_splits=3, shuffle=True, random_state=0).split(X)
    numeric = X.select_dtypes("number").columns
    results = {}
    for fold, (train, test) in enumerate(folds):
        X_train, X_test = X.iloc[train], X.iloc[test]
        y_train, y_test = y[train], y[test]
        train_std = X_train[numeric].std()
        prep = preprocessing().fit(X_train)
        A_train, A_test = prep.transform(X_train), prep.transform(X_test)
        for config_name, params in configs.items():
            estimator = (
                DeepEnsembleClassifier if classification else DeepEnsembleRegressor
            )
            raw = params.get("_raw", False)
            kwargs = {k: v for k, v in params.items() if k != "_raw"}
            start = time.perf_counter()
            with quiet_convergence():
                if raw:
                    model = estimator(random_state=fold, **kwargs).fit(X_train, y_train)
                else:
                    model = make_pipeline(
                        preprocessing(), estimator(random_state=fold, **kwargs)
                    ).fit(X_train, y_train)
            seconds = time.perf_counter() - start
            scores = _ensemble_scores(model, task, X_test, y_test, train_std, classes)
            scores["fit s"] = seconds
            results.setdefault(f"ours: {config_name}", []).append(scores)
        for method in methods:
            try:
                model = peer(
                    method, task, fold, len(classes) if classification else None
                )
            except ImportError as exc:
                print(f"  {method} skipped: {exc}", flush=True)
                continue
            fit_y = y_train
            if classification and method == "ngboost":
                fit_y = np.searchsorted(classes, y_train)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(A_train, fit_y)
            seconds = time.perf_counter() - start
            if classification:
                proba = model.predict_proba(A_test)
                scores = _classification_scores(proba, classes, y_test)
            elif hasattr(model, "predict_mean_std"):
                scores = _regression_scores(*model.predict_mean_std(A_test), y_test)
            else:
                scores = _regression_scores(model.predict(A_test), None, y_test)
            scores["fit s"] = seconds
            results.setdefault(method, []).append(scores)
    return task, len(y), results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=[*CLASSIFICATION, *REGRESSION])
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["catboost", "hgb", "mlp", "5 mlps", "linear", "ngboost"],
    )
    parser.add_argument("--configs", nargs="+", default=["default"])
    args = parser.parse_args(argv)
    configs = {}
    for item in args.configs:
        name, _, text = item.partition("=")
        configs[name] = json.loads(text) if text else {}
    versions_header("Deep ensembles against trees and MLPs on tabular data")
    columns = {
        "classification": ["log loss", "ECE", "accuracy", "epi AUROC", "fit s"],
        "regression": ["NLL", "RMSE", "cover90", "epi AUROC", "fit s"],
    }
    rows = {"classification": [], "regression": []}
    for name in args.datasets:
        start = time.perf_counter()
        task, n_rows, results = run(name, args.methods, configs)
        for method, folds in results.items():
            row = [name, n_rows, method]
            for column in columns[task]:
                values = [s[column] for s in folds if column in s]
                row.append(float(np.mean(values)) if values else "")
            rows[task].append(row)
        print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
    for task, task_rows in rows.items():
        if task_rows:
            table(
                f"{task}: 3 folds, test means",
                ["data", "rows", "method", *columns[task]],
                task_rows,
            )


if __name__ == "__main__":
    main()
