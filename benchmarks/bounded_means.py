"""How far outside the training targets do default means go on rows off the data?

Issue 19's target: no test mean further than 3 training-target standard
deviations outside the training target range. For each data set (ISLP's real
regression sets as raw DataFrames, a synthetic set of thresholds, the UCI sets
as arrays), one default ``DeepEnsembleRegressor`` is fitted on two thirds of
the rows and predicts four kinds of test rows:

* ``test``: the held-out rows as they are;
* ``shift 4 sd``: every numeric column moved 4 training standard deviations,
  up or down at random (the OOD rows of ``tabular_peers.py``);
* ``one col 10x``: one numeric column at a time set to ten times its largest
  training magnitude (the worst column is reported);
* ``all 1e4 sd``: every numeric column 10,000 standard deviations out.

It prints the worst excess, ``max(0, mean - y_max, y_min - mean) / y_std``
over the rows, for the same fitted members with the input clip at several
margins (the fit itself does not depend on the margin: the training rows lie
inside their range) and without it (``_x_std_bounds`` removed, as before the
clip), and the median ratio of far to test epistemic standard deviations.

    python benchmarks/bounded_means.py [--datasets Wage Hitters ...]

ISLP's sets need ``pip install ISLP --no-deps`` (and pandas).
"""

import argparse
import copy
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skdeepens import DeepEnsembleRegressor  # noqa: E402
from skdeepens._ensemble._base import _INPUT_CLIP_MARGIN  # noqa: E402
from skdeepens.datasets import load_uci_regression  # noqa: E402

ISLP_SETS = ["Wage", "Bikeshare", "Hitters", "Credit", "thresholds-reg"]
UCI_SETS = ["boston", "concrete", "energy", "wine", "yacht"]
MARGINS = [0.0, 0.5, 1.0, 2.0, None]
DATA_HOME = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "uci")


def _split(name, data_home):
    """``(X_train, X_test, y_train)``: UCI's split 0, or a third held out."""
    if name in UCI_SETS:
        data = load_uci_regression(name, data_home=data_home, split=0)
        return data.X_train, data.X_test, data.y_train
    from tabular_peers import load

    X, y, _ = load(name)
    X, y = X.reset_index(drop=True), np.asarray(y, dtype=float)
    train, test = train_test_split(np.arange(len(y)), test_size=1 / 3, random_state=0)
    return X.iloc[train], X.iloc[test], y[train]


def _numeric(X):
    if hasattr(X, "select_dtypes"):
        return list(X.select_dtypes("number").columns)
    return list(range(X.shape[1]))


def _set(X, column, values):
    X = X.copy()
    if hasattr(X, "iloc"):
        X[column] = values
    else:
        X[:, column] = values
    return X


def _column(X, column):
    return np.asarray(X[column] if hasattr(X, "iloc") else X[:, column], dtype=float)


def far_rows(X_train, X_test, rng):
    """The kinds of rows off the data, by name (each a list of row sets)."""
    columns = _numeric(X_train)
    std = {c: np.nanstd(_column(X_train, c)) or 1.0 for c in columns}
    shifted, huge = X_test, X_test
    for c in columns:
        sign = rng.choice([-1.0, 1.0], size=len(X_test))
        shifted = _set(shifted, c, _column(shifted, c) + sign * 4.0 * std[c])
        huge = _set(huge, c, _column(huge, c) + sign * 1e4 * std[c])
    ten_x = [
        _set(X_test, c, 10.0 * np.nanmax(np.abs(_column(X_train, c))) + std[c])
        for c in columns
    ]
    return {
        "test": [X_test],
        "shift 4 sd": [shifted],
        "one col 10x": ten_x,
        "all 1e4 sd": [huge],
    }


def _excess(mean, y_train):
    low, high, scale = y_train.min(), y_train.max(), y_train.std()
    return float(np.max(np.maximum(0.0, np.maximum(mean - high, low - mean))) / scale)


def _with_margin(fitted, margin):
    """The fitted members with the input clip at another margin (None: no clip)."""
    model = copy.copy(fitted)
    if margin is None:
        del model._x_std_bounds
    else:
        lower, upper = fitted._x_std_bounds
        shift = margin - _INPUT_CLIP_MARGIN
        model._x_std_bounds = (lower - shift, upper + shift)
    return model


def run(name, data_home):
    X_train, X_test, y_train = _split(name, data_home)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = DeepEnsembleRegressor(random_state=0).fit(X_train, y_train)
    near = np.median(fitted.predict_uncertainty(X_test).epistemic_std)
    out = {}
    for kind, sets in far_rows(X_train, X_test, np.random.default_rng(0)).items():
        worst = []
        for margin in MARGINS:
            model = _with_margin(fitted, margin)
            with np.errstate(all="ignore"):
                try:
                    means = [model.predict(rows_) for rows_ in sets]
                    worst.append(max(_excess(m, y_train) for m in means))
                except ValueError:  # overflow, reported by the estimator
                    worst.append(np.inf)
        epistemic = [fitted.predict_uncertainty(s).epistemic_std for s in sets]
        ratio = max(np.median(e) for e in epistemic) / near
        out[kind] = (worst, ratio)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=ISLP_SETS + UCI_SETS)
    parser.add_argument("--data-home", default=DATA_HOME)
    args = parser.parse_args(argv)
    print(
        "worst test mean outside the training target range, in training-target "
        "std (target: <= 3), by the input clip's margin in training std "
        f"(default {_INPUT_CLIP_MARGIN}); epi: median far / test epistemic std "
        "at the default margin"
    )
    margins = "".join(
        f"{'m=' + str(m) if m is not None else 'no clip':>9}" for m in MARGINS
    )
    print(f"{'data':<15} {'rows':<12}{margins} {'epi':>6}")
    for name in args.datasets:
        try:
            result = run(name, args.data_home)
        except ImportError as exc:
            print(f"{name:<15} skipped: {exc}")
            continue
        for kind, (worst, ratio) in result.items():
            cells = "".join(f"{w:>9.3g}" for w in worst)
            print(f"{name:<15} {kind:<12}{cells} {ratio:>6.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
