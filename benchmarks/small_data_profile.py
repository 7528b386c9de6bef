"""Where the time of a default fit on small data goes (the speed issue's item 0).

For each data set, fits the default estimator twice in one process (the first
fit compiles, the second is warm) and prints, for the warm fit: the wall time,
the epochs run, gradient steps per epoch and in all, the time per epoch, and
the compiled calls. A fit with the same settings but ``early_stopping=False``
run for the same number of epochs (``n_iter_no_change=np.inf``) gives the share
of the time spent in the per-epoch validation pass. scikit-learn's MLP with its
defaults is the reference.

Usage::

    python benchmarks/small_data_profile.py

The machine is shared and noisy: compare the ratios of one run.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import quiet_convergence, table, versions_header  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor  # noqa: E402
from skdeepens._core.layout import plan_layout  # noqa: E402
from skdeepens.datasets import make_cubic  # noqa: E402


def _datasets():
    X, y = make_cubic(n_samples=40, random_state=0)
    yield "cubic 40 (reg)", DeepEnsembleRegressor, MLPRegressor, X, y
    X, y = load_iris(return_X_y=True)
    yield "iris 150 (clf)", DeepEnsembleClassifier, MLPClassifier, X, y
    for n in (300, 1000):
        X, y = make_regression(n_samples=n, n_features=8, noise=10.0, random_state=0)
        yield f"linear {n} (reg)", DeepEnsembleRegressor, MLPRegressor, X, y


def _timed_fit(estimator, X, y):
    start = time.perf_counter()
    with quiet_convergence():
        estimator.fit(X, y)
    return time.perf_counter() - start, estimator


def main():
    versions_header("Default fits on small data: where the time goes")
    rows = []
    for name, Estimator, MLP, X, y in _datasets():
        first, _ = _timed_fit(Estimator(random_state=0), X, y)
        warm, est = _timed_fit(Estimator(random_state=0), X, y)
        epochs = est.n_iter_
        n_train = len(X) - max(1, int(round(est.validation_fraction * len(X))))
        layout = plan_layout(n_train, est._batch_size(n_train))
        steps = layout.steps_per_epoch
        calls = -(-epochs // layout.epochs_per_call)
        # The same epochs without the validation pass (and without stopping).
        fixed = Estimator(
            random_state=0,
            early_stopping=False,
            n_iter_no_change=np.inf,
            max_iter=epochs,
        )
        _timed_fit(fixed, X, y)  # compile
        no_val, _ = _timed_fit(
            Estimator(**{**fixed.get_params(), "random_state": 0}), X, y
        )
        mlp, mlp_est = _timed_fit(MLP(random_state=0), X, y)
        rows.append(
            [
                name,
                first,
                warm,
                epochs,
                steps,
                epochs * steps,
                1e3 * warm / epochs,
                calls,
                max(0.0, 1.0 - no_val / warm),
                mlp,
                mlp_est.n_iter_,
            ]
        )
    table(
        "default fits (M=5); times in s unless said",
        [
            "data",
            "first fit",
            "warm fit",
            "epochs",
            "steps/epoch",
            "steps",
            "ms/epoch",
            "calls",
            "validation share",
            "sklearn MLP",
            "MLP epochs",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
