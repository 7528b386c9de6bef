"""Fingerprints of fitted members on a grid of configurations.

A refactoring of the trainer or of the estimators' bookkeeping must leave every
fit bit-identical. Run this before and after the change and compare the two
outputs (``diff``): each line is one configuration and the SHA-256 of its
fitted ``params_`` (and of its priors, calibration factors and curves).

    python benchmarks/bit_identity.py > before.txt
    ... change ...
    python benchmarks/bit_identity.py > after.txt
    diff before.txt after.txt
"""

import hashlib
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sklearn.exceptions import ConvergenceWarning

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor


def _digest(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def fingerprint(est):
    leaves = [leaf for layer in est.params_ for leaf in layer]
    parts = {"params": _digest(*leaves), "loss": _digest(est.loss_curve_)}
    if hasattr(est, "validation_loss_curve_"):
        parts["val"] = _digest(np.nan_to_num(est.validation_loss_curve_, nan=-1.0))
    if hasattr(est, "prior_params_"):
        parts["prior"] = _digest(*[x for layer in est.prior_params_ for x in layer])
    if hasattr(est, "calibration_factors_"):
        parts["calib"] = _digest(est.calibration_factors_)
    return " ".join(f"{k}={v}" for k, v in parts.items())


def data(n=150, n_features=3, n_targets=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = np.sin(X[:, :n_targets] * 2) + 0.1 * rng.normal(size=(n, n_targets))
    return X, (y[:, 0] if n_targets == 1 else y)


def grid():
    X, y = data()
    X2, y2 = data(n_targets=2)
    Xc = X
    yc = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    w = np.random.default_rng(1).uniform(0.0, 2.0, size=len(y))
    base = dict(n_estimators=3, max_iter=60, random_state=0)
    R, C = DeepEnsembleRegressor, DeepEnsembleClassifier
    cases = [
        ("reg default", R, base, X, y, {}),
        ("reg laplace", R, {**base, "loss": "laplace_nll"}, X, y, {}),
        ("reg squared", R, {**base, "loss": "squared_error"}, X, y, {}),
        ("reg absolute", R, {**base, "loss": "absolute_error"}, X, y, {}),
        ("reg beta", R, {**base, "beta": 0.5}, X, y, {}),
        ("reg adversarial", R, {**base, "adversarial_epsilon": 0.02}, X, y, {}),
        ("reg no-es", R, {**base, "early_stopping": False}, X, y, {}),
        ("reg no-calib", R, {**base, "calibration": None}, X, y, {}),
        ("reg constant", R, {**base, "learning_rate": "constant"}, X, y, {}),
        ("reg fixed", R, {**base, "n_iter_no_change": np.inf}, X, y, {}),
        ("reg prior", R, {**base, "prior_scale": 1.0}, X, y, {}),
        ("reg 2 targets", R, base, X2, y2, {}),
        ("reg weights", R, base, X, y, {"sample_weight": w}),
        ("reg batch 16", R, {**base, "batch_size": 16}, X, y, {}),
        ("reg noshuffle", R, {**base, "shuffle": False}, X, y, {}),
        (
            "reg (8, 8) tanh",
            R,
            {**base, "hidden_layer_sizes": (8, 8), "activation": "tanh"},
            X,
            y,
            {},
        ),
        ("reg patience 3", R, {**base, "n_iter_no_change": 3}, X, y, {}),
        ("clf default", C, base, Xc, yc, {}),
        ("clf brier", C, {**base, "loss": "brier"}, Xc, yc, {}),
        ("clf adversarial", C, {**base, "adversarial_epsilon": 0.02}, Xc, yc, {}),
        ("clf no-es", C, {**base, "early_stopping": False}, Xc, yc, {}),
        ("clf prior", C, {**base, "prior_scale": 1.0}, Xc, yc, {}),
        ("clf binary", C, base, Xc, (yc > 0).astype(int), {}),
        ("clf weights", C, base, Xc, yc, {"sample_weight": w}),
    ]
    for name, cls, params, X_, y_, fit_kw in cases:
        yield name, cls(**params).fit(X_, y_, **fit_kw)
    # Warm start adds members; partial_fit continues them.
    warm = R(**{**base, "warm_start": True}).fit(X, y)
    warm.set_params(n_estimators=5)
    yield "reg warm +2", warm.fit(X, y)
    warmc = C(**{**base, "warm_start": True, "prior_scale": 1.0}).fit(Xc, yc)
    warmc.set_params(n_estimators=4)
    yield "clf warm +1 prior", warmc.fit(Xc, yc)
    part = R(**base)
    for _ in range(3):
        part.partial_fit(X, y)
    yield "reg partial x3", part
    partc = C(**{**base, "prior_scale": 1.0})
    for _ in range(2):
        partc.partial_fit(Xc, yc, classes=np.unique(yc))
    yield "clf partial x2 prior", partc
    after = R(**base).fit(X, y)
    after.partial_fit(X, y)
    yield "reg fit+partial", after


def main():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, est in grid():
            print(f"{name:22s} {fingerprint(est)}", flush=True)


if __name__ == "__main__":
    main()
