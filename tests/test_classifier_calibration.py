"""How scikit-learn's CalibratedClassifierCV composes with the classifier.

Both estimators recalibrate by default (the classifier with one temperature,
tests/test_temperature.py); scikit-learn's own
:class:`~sklearn.calibration.CalibratedClassifierCV` is another way, for other
maps. It recalibrates the ensemble's averaged probabilities, not the members,
so the calibrated model's total uncertainty is the entropy of its
``predict_proba``, while the knowledge (epistemic) part stays that of the
members, read from the wrapped ensemble.
"""

import numpy as np
import pytest
from _helpers import QUICK_SIZE
from scipy import stats
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss

from skdeepens import DeepEnsembleClassifier
from skdeepens.datasets import make_spirals

FAST = QUICK_SIZE


@pytest.fixture(scope="module")
def spirals():
    X, y = make_spirals(n_samples_per_class=150, noise=0.3, random_state=0)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.mark.parametrize("method", ["temperature", "sigmoid", "isotonic"])
def test_calibrating_a_fitted_ensemble_keeps_its_members(spirals, method):
    X, y = spirals
    # 200 rows fit: the program of the suite's early-stopping blobs classifier.
    fit, cal = slice(0, 200), slice(200, None)
    clf = DeepEnsembleClassifier(**FAST).fit(X[fit], y[fit])
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf), method=method)
    calibrated.fit(X[cal], y[cal])
    proba = calibrated.predict_proba(X[cal])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Fitted by log loss on these rows, temperature scaling cannot do worse
    # there than the ensemble it rescales (temperature 1 is a candidate).
    if method == "temperature":
        assert log_loss(y[cal], proba) <= log_loss(y[cal], clf.predict_proba(X[cal]))
    # The wrapped ensemble, untouched, still splits its own uncertainty.
    inner = calibrated.calibrated_classifiers_[0].estimator.estimator
    assert inner is clf
    total = stats.entropy(proba, axis=1)
    assert np.all(np.isfinite(total)) and np.all(total >= 0)
    np.testing.assert_array_equal(
        inner.predict_uncertainty(X[cal]).epistemic,
        clf.predict_uncertainty(X[cal]).epistemic,
    )


def test_cross_validated_calibration_fits_one_ensemble_per_fold(spirals):
    X, y = spirals
    # Folds of 200 rows: the program of the test above.
    calibrated = CalibratedClassifierCV(
        DeepEnsembleClassifier(**FAST), method="temperature", cv=3
    ).fit(X[:300], y[:300])
    members = [c.estimator for c in calibrated.calibrated_classifiers_]
    assert len(members) == 3
    # Each fold's ensemble is a full DeepEnsembleClassifier with its split.
    for ensemble in members:
        split = ensemble.predict_uncertainty(X[:5])
        np.testing.assert_allclose(
            split.total, stats.entropy(ensemble.predict_proba(X[:5]), axis=1)
        )
    np.testing.assert_allclose(calibrated.predict_proba(X[:5]).sum(axis=1), 1.0)
