"""The classifier's temperature: test log loss and ECE before and after.

For each data set and each of 3 stratified folds, fits the default
:class:`~skdeepens.DeepEnsembleClassifier` (``calibration="temperature"``) on
the training part and scores on the test part:

* ``off``: ``calibration=None``, the members as trained;
* ``temperature``: the default, calibrated with one temperature fitted on the
  held-out rows that also monitor early stopping (the same members as
  ``off``);
* ``own half``: the temperature fitted on a half of the held-out rows of its
  own, the other half monitoring early stopping (the regressor's rule for its
  scale factors), which the default was measured against.

Scores: log loss, top-label ECE (15 bins), accuracy, and the fitted
temperature. Data: scikit-learn's bundled sets, a threshold-driven synthetic
set (the label is an XOR of two thresholds, with 10% of the labels flipped),
and ISLP's bundled sets where the ISLP package is installed
(``pip install ISLP --no-deps``; string columns one-hot encoded, as in a
user's Pipeline).

Usage::

    python benchmarks/classifier_calibration.py [--datasets iris wine ...]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import quiet_convergence, table, versions_header  # noqa: E402
from sklearn import datasets  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skdeepens import DeepEnsembleClassifier  # noqa: E402
from skdeepens.metrics import expected_calibration_error  # noqa: E402

SKLEARN = ("iris", "wine", "breast_cancer", "digits")
ISLP = ("Default", "Caravan", "OJ", "Smarket")


def _thresholds(seed=0, n=3000):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] > 0.3) ^ (X[:, 1] > -0.2)
    flip = rng.uniform(size=n) < 0.1
    return X, np.where(flip, ~y, y).astype(int)


def _islp(name):
    import pandas as pd
    from ISLP import load_data

    frame = load_data(name)
    target = {"Default": "default", "Caravan": "Purchase", "OJ": "Purchase"}.get(
        name, "Direction"
    )
    y = frame[target].astype(str).to_numpy()
    X = frame.drop(columns=[target] + (["Today"] if name == "Smarket" else []))
    X = pd.get_dummies(X, drop_first=False).astype(float).to_numpy()
    return X, y


def load(name):
    if name in SKLEARN:
        return getattr(datasets, f"load_{name}")(return_X_y=True)
    if name == "thresholds":
        return _thresholds()
    return _islp(name)


def _scores(clf, X, y):
    proba = clf.predict_proba(X)
    return {
        "log_loss": log_loss(y, proba, labels=clf.classes_),
        "ece": expected_calibration_error(y, proba, classes=clf.classes_),
        "accuracy": accuracy_score(y, clf.classes_[np.argmax(proba, axis=1)]),
    }


class _OwnHalf(DeepEnsembleClassifier):
    """The temperature on a half of the held-out rows apart from early stopping."""

    _RECALIBRATES_ON_STOPPING_ROWS = False


VARIANTS = {
    "off": lambda seed: DeepEnsembleClassifier(calibration=None, random_state=seed),
    "temperature": lambda seed: DeepEnsembleClassifier(random_state=seed),
    "own half": lambda seed: _OwnHalf(random_state=seed),
}


def run(name):
    X, y = load(name)
    rows = {variant: [] for variant in VARIANTS}
    temperatures = {variant: [] for variant in VARIANTS}
    fit_time = 0.0
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    for fold, (train, test) in enumerate(folds.split(X, y)):
        for variant, make in VARIANTS.items():
            start = time.perf_counter()
            with quiet_convergence():
                model = make_pipeline(StandardScaler(), make(fold))
                model.fit(X[train], y[train])
            fit_time += time.perf_counter() - start
            factors = getattr(model[-1], "calibration_factors_", None)
            if factors is not None:
                temperatures[variant].append(factors[0])
            rows[variant].append(_scores(model, X[test], y[test]))
    out = []
    for variant, scores in rows.items():
        mean = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        t = temperatures[variant]
        out.append(
            [
                name,
                len(y),
                variant,
                mean["log_loss"],
                mean["ece"],
                mean["accuracy"],
                float(np.mean(t)) if t else "",
            ]
        )
    return out, fit_time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=[*SKLEARN, "thresholds", *ISLP]
    )
    args = parser.parse_args(argv)
    versions_header("The classifier's temperature: before and after")
    rows = []
    for name in args.datasets:
        try:
            result, seconds = run(name)
        except ImportError as exc:  # ISLP not installed
            print(f"skipped {name}: {exc}")
            continue
        rows.extend(result)
        print(f"{name}: {seconds:.1f} s of fits", flush=True)
    table(
        "default classifier, 3 stratified folds; test means",
        ["data", "rows", "variant", "log loss", "ECE", "accuracy", "T"],
        rows,
    )


if __name__ == "__main__":
    main()
