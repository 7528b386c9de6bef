"""The classifier's built-in recalibration: one temperature on every member."""

import copy

import numpy as np
import pytest
from _helpers import QUICK_CLASSIFIER
from scipy.special import softmax
from sklearn.base import clone

from skdeepens import DeepEnsembleClassifier
from skdeepens._calibration import apply_temperature, fit_temperature
from skdeepens._ensemble._members import _predict_members


def _sample_labels(logits, temperature, rng):
    proba = softmax(logits / temperature, axis=-1)
    return np.array([rng.choice(proba.shape[1], p=p) for p in proba])


@pytest.mark.parametrize("true_temperature", [0.5, 2.0])
def test_fit_temperature_recovers_a_known_temperature(true_temperature):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(4000, 3))
    labels = _sample_labels(logits, true_temperature, rng)
    fitted = fit_temperature(logits[None], labels)
    assert fitted == pytest.approx(true_temperature, rel=0.08)


def test_fit_temperature_stays_near_one_on_few_rows_and_weights_count():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(2, 4, 3))
    labels = np.array([0, 1, 2, 0])
    assert abs(np.log(fit_temperature(logits, labels))) < 1.0
    # The weights' scale does not matter; without the prior, integer weights
    # act as repeated rows.
    weights = np.array([2.0, 1.0, 1.0, 3.0])
    np.testing.assert_allclose(
        fit_temperature(logits, labels, weights * 7.0),
        fit_temperature(logits, labels, weights),
        rtol=1e-5,
    )
    repeated = np.repeat(np.arange(4), weights.astype(int))
    np.testing.assert_allclose(
        fit_temperature(logits, labels, weights, prior_std=np.inf),
        fit_temperature(logits[:, repeated], labels[repeated], prior_std=np.inf),
        rtol=1e-4,
    )


def test_a_temperature_keeps_each_members_ranking():
    logits = np.random.default_rng(2).normal(size=(3, 20, 4))
    np.testing.assert_array_equal(
        np.argmax(apply_temperature(logits, 3.0), -1), np.argmax(logits, -1)
    )


@pytest.fixture(scope="module")
def fitted(blobs):
    X, y = blobs
    return DeepEnsembleClassifier(**{**QUICK_CLASSIFIER, "early_stopping": True}).fit(
        X, y
    )


def _uncalibrated(clf):
    raw = copy.copy(clf)
    del raw.calibration_factors_
    return raw


def test_the_temperature_is_fitted_on_the_early_stopping_rows(blobs, fitted):
    X, y = blobs
    clf = fitted
    _, held_out = clf._validation_split(
        np.ones(len(X)), np.searchsorted(clf.classes_, y)
    )
    X_std = (X[held_out] - clf._x_mean) / clf._x_scale
    logits = _predict_members(clf.params_, X_std, clf.activation)
    labels = np.searchsorted(clf.classes_, y[held_out])
    expected = fit_temperature(logits, labels)
    np.testing.assert_allclose(clf.calibration_factors_, [expected], rtol=1e-6)
    # Early stopping saw every held-out row: the members are those of a fit
    # without the temperature.
    off = clone(clf).set_params(calibration=None).fit(X, y)
    for (w, b), (w_off, b_off) in zip(clf.params_, off.params_):
        np.testing.assert_array_equal(w, w_off)
        np.testing.assert_array_equal(b, b_off)
    np.testing.assert_array_equal(clf.best_epoch_, off.best_epoch_)


def test_a_given_validation_set_fits_the_temperature_whole(blobs):
    X, y = blobs
    X_val, y_val = X[::4], y[::4]
    clf = DeepEnsembleClassifier(**{**QUICK_CLASSIFIER, "early_stopping": True})
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    X_std = (X_val - clf._x_mean) / clf._x_scale
    logits = _predict_members(clf.params_, X_std, clf.activation)
    expected = fit_temperature(logits, np.searchsorted(clf.classes_, y_val))
    np.testing.assert_allclose(clf.calibration_factors_, [expected], rtol=1e-6)


def test_every_prediction_method_describes_the_tempered_mixture(blobs, fitted):
    X, _ = blobs
    clf, raw = fitted, _uncalibrated(fitted)
    temperature = clf.calibration_factors_[0]
    assert temperature != pytest.approx(1.0)
    members = clf.predict_members(X).proba
    raw_members = raw.predict_members(X).proba
    expected = softmax(np.log(raw_members) / temperature, axis=-1)
    np.testing.assert_allclose(members, expected, rtol=1e-6, atol=1e-12)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, members.mean(axis=0))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-10)
    split = clf.predict_uncertainty(X)
    entropy = -np.sum(proba * np.log(np.clip(proba, 1e-300, None)), axis=1)
    np.testing.assert_allclose(split.total, entropy, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(split.total, split.aleatoric + split.epistemic)


def test_calibration_none_keeps_the_members_as_trained(blobs, fitted):
    X, y = blobs
    clf = DeepEnsembleClassifier(**QUICK_CLASSIFIER, calibration=None).fit(X, y)
    assert not hasattr(clf, "calibration_factors_")
    # A refit with the calibration turned off drops a stale temperature.
    again = copy.deepcopy(fitted).set_params(calibration=None).fit(X, y)
    assert not hasattr(again, "calibration_factors_")
    # partial_fit changes the members: the temperature no longer describes them.
    refreshed = copy.deepcopy(fitted).partial_fit(X, y)
    assert not hasattr(refreshed, "calibration_factors_")
