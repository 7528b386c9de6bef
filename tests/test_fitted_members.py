"""The record of the fitted members and the defects it closed (issue 18).

A fit builds or extends one record of the members and sets the fitted
attributes from it in one place, after every check: a fit that fails leaves
the previous fitted state as it was.
"""

import pickle

import joblib
import numpy as np
import pytest
from _helpers import QUICK
from sklearn.exceptions import NotFittedError

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._core.likelihoods import scale_from_raw
from skdeepens._ensemble import _members

# QUICK's network on one feature: the fits share the suite's compiled program
# of the cubic's quick regressor.
SMALL = {**QUICK, "n_estimators": 2, "max_iter": 5}


def _data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1))
    return X, X[:, 0] + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize(
    "loss", ["gaussian_nll", pytest.param("laplace_nll", marks=pytest.mark.slow)]
)
def test_a_predictive_distribution_pickles_and_dumps(loss, tmp_path):
    X, y = _data()
    dist = DeepEnsembleRegressor(**SMALL, loss=loss).fit(X, y).predict_dist(X[:4])
    again = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(again.cdf(y[:4]), dist.cdf(y[:4]))
    path = tmp_path / "dist.joblib"
    joblib.dump(dist, path)
    np.testing.assert_array_equal(joblib.load(path).ppf(0.9), dist.ppf(0.9))


def test_one_held_out_row_never_serves_both_stopping_and_calibration():
    # 5 rows at validation_fraction=0.1 used to hold out one row for both.
    X, y = _data(n=5)
    reg = DeepEnsembleRegressor(**{**SMALL, "early_stopping": True})
    reg.fit(X, y)
    assert hasattr(reg, "calibration_factors_")
    assert hasattr(reg, "validation_loss_curve_")
    # Two positive rows cannot hold out one row for each and still train.
    with pytest.raises(ValueError, match="early_stopping and calibration"):
        reg.fit(X[:2], y[:2])
    reg.set_params(calibration=None).fit(X[:2], y[:2])


def test_too_few_rows_for_the_calibration_blames_the_calibration():
    X, y = _data(n=3)
    reg = DeepEnsembleRegressor(**SMALL)  # early_stopping=False
    with pytest.raises(ValueError, match="calibration") as info:
        reg.fit(X, y, sample_weight=[1.0, 0.0, 0.0])
    assert "early_stopping" not in str(info.value)
    assert "calibration=None" in str(info.value)


def test_partial_fit_rejects_nan_among_the_classes():
    X, y = _data()
    labels = (y > 0).astype(float)
    clf = DeepEnsembleClassifier(**SMALL)
    with pytest.raises(ValueError, match="NaN"):
        clf.partial_fit(X, labels, classes=[0.0, 1.0, np.nan])
    assert not hasattr(clf, "classes_")


def test_partial_fit_rejects_classes_mixing_strings_and_numbers():
    X, y = _data()
    labels = np.where(y > 0, "a", "b")
    with pytest.raises(ValueError, match="mixes strings and other values"):
        DeepEnsembleClassifier(**SMALL).partial_fit(X, labels, classes=["a", "b", 1])


def test_beta_rejects_a_bool():
    X, y = _data()
    with pytest.raises(TypeError, match="'beta'.*not a bool"):
        DeepEnsembleRegressor(**SMALL, beta=True).fit(X, y)


def test_the_skpro_adapter_raises_not_fitted():
    pytest.importorskip("skpro")
    import pandas as pd
    from skbase.base._base import NotFittedError as SkbaseNotFittedError

    from skdeepens.skpro import DeepEnsembleProbaRegressor

    X = pd.DataFrame({"x": [0.0, 1.0]})
    with pytest.raises((NotFittedError, SkbaseNotFittedError), match="not been fitted"):
        DeepEnsembleProbaRegressor(DeepEnsembleRegressor(**SMALL)).predict(X)


def _state(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") or k[0] == "_"}


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key, value in before.items():
        assert after[key] is value, key


@pytest.mark.parametrize(
    "refit",
    [
        # Diverges: the trainer raises after every input check passed.
        lambda est, X, y: est.set_params(learning_rate_init=1e30).fit(X, y),
        # A validation split that cannot be made, with other features.
        lambda est, X, y: est.set_params(
            early_stopping=True, validation_fraction=0.99
        ).fit(np.hstack([X, X])[:3], y[:3]),
    ],
    ids=["diverges", "bad split"],
)
@pytest.mark.parametrize("warm_start", [False, True])
def test_a_failed_refit_leaves_the_fitted_state_intact(refit, warm_start):
    X, y = _data()
    reg = DeepEnsembleRegressor(**SMALL, warm_start=warm_start).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    before = _state(reg)
    if warm_start:
        reg.set_params(n_estimators=3)
    with pytest.raises(ValueError):
        refit(reg, X, y)
    _assert_same_state(before, _state(reg))
    new_mean, new_std = reg.predict(X, return_std=True)
    np.testing.assert_array_equal(new_mean, mean)
    np.testing.assert_array_equal(new_std, std)


@pytest.mark.parametrize(
    "Estimator",
    [
        DeepEnsembleRegressor,
        pytest.param(DeepEnsembleClassifier, marks=pytest.mark.slow),
    ],
)
def test_a_failed_partial_fit_leaves_the_fitted_state_intact(Estimator):
    # Several steps per epoch (two batches of 32), so that a diverging step
    # shows in the loss.
    X, y = _data(n=64)
    if Estimator is DeepEnsembleClassifier:
        y = (y > 0).astype(int)
    est = Estimator(**SMALL).fit(X, y)
    predicted = est.predict(X)
    # partial_fit goes on at the members' own rates: one far too large fails.
    est._learning_rates = np.full(2, 1e30, dtype=np.float32)
    before = _state(est)
    with pytest.raises(ValueError, match="diverged|blew up"):
        est.partial_fit(X, y)
    _assert_same_state(before, _state(est))
    np.testing.assert_array_equal(est.predict(X), predicted)


def test_the_numpy_scale_head_equals_the_training_one():
    rho = np.linspace(-30.0, 30.0, 121, dtype=np.float32)
    np.testing.assert_allclose(
        _members._scale_from_raw(rho.astype(np.float64)),
        np.asarray(scale_from_raw(rho), dtype=np.float64),
        rtol=1e-6,
    )
