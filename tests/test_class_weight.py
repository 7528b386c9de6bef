"""``class_weight`` on DeepEnsembleClassifier, with scikit-learn's meaning.

The class weights multiply the training rows' sample weights, exactly as an
explicit ``sample_weight`` of ``compute_sample_weight(class_weight, y)``
would; a validation set given to fit keeps its own weights, as in
HistGradientBoostingClassifier. The fits use QUICK_CLASSIFIER on an
imbalanced subset of the blobs, whose size shares the blobs' programs.
"""

import numpy as np
import pytest
from _helpers import QUICK_CLASSIFIER
from sklearn.utils.class_weight import compute_sample_weight

from skdeepens import DeepEnsembleClassifier

# All the validation rows monitor early stopping (no temperature is fitted).
EARLY = {**QUICK_CLASSIFIER, "early_stopping": True, "calibration": None}


@pytest.fixture(scope="module")
def imbalanced(blobs):
    """70 of the blobs: 30, 30 and 10 rows of classes 0, 1 and 2."""
    X, y = blobs
    keep = np.concatenate(
        [np.flatnonzero(y == k)[:n] for k, n in [(0, 30), (1, 30), (2, 10)]]
    )
    return X[keep], y[keep]


def _assert_same_members(a, b):
    for (w, bias), (w0, bias0) in zip(a.params_, b.params_):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(bias, bias0)


def test_balanced_equals_the_balanced_sample_weight(imbalanced):
    X, y = imbalanced
    balanced = DeepEnsembleClassifier(**QUICK_CLASSIFIER, class_weight="balanced")
    balanced.fit(X, y)
    explicit = DeepEnsembleClassifier(**QUICK_CLASSIFIER).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y)
    )
    _assert_same_members(balanced, explicit)
    np.testing.assert_array_equal(balanced.loss_curve_, explicit.loss_curve_)


def test_a_dict_multiplies_the_sample_weight(imbalanced):
    X, y = imbalanced
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    # Class 1 is left out of the dict: it weighs 1.
    by_class = DeepEnsembleClassifier(**QUICK_CLASSIFIER, class_weight={0: 2, 2: 3})
    by_class.fit(X, y, sample_weight=weights)
    explicit = DeepEnsembleClassifier(**QUICK_CLASSIFIER).fit(
        X, y, sample_weight=weights * np.array([2.0, 1.0, 3.0])[y]
    )
    _assert_same_members(by_class, explicit)


def test_the_validation_set_keeps_its_own_weights(imbalanced, blobs):
    X, y = imbalanced
    X_val, y_val = blobs[0][::3], blobs[1][::3]
    balanced = DeepEnsembleClassifier(**EARLY, class_weight="balanced")
    balanced.fit(X, y, X_val=X_val, y_val=y_val)
    explicit = DeepEnsembleClassifier(**EARLY).fit(
        X,
        y,
        sample_weight=compute_sample_weight("balanced", y),
        X_val=X_val,
        y_val=y_val,
    )
    # The unweighted validation log loss chose the same epochs.
    _assert_same_members(balanced, explicit)
    np.testing.assert_array_equal(
        balanced.validation_loss_curve_, explicit.validation_loss_curve_
    )
    log_proba = np.log(balanced.predict_members(X_val).proba)
    nll = -log_proba[:, np.arange(len(y_val)), y_val].mean(axis=1)
    curve = balanced.validation_loss_curve_
    np.testing.assert_allclose(nll, np.nanmin(curve, axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(balanced.best_epoch_, np.nanargmin(curve, axis=0) + 1)


def test_partial_fit_applies_a_dict_and_refuses_balanced(imbalanced):
    X, y = imbalanced
    classes = [0, 1, 2]
    # A call whose y lacks class 2 still weighs its rows.
    first = y < 2
    by_class = DeepEnsembleClassifier(**QUICK_CLASSIFIER, class_weight={0: 2, 2: 3})
    by_class.partial_fit(X[first], y[first], classes=classes)
    explicit = DeepEnsembleClassifier(**QUICK_CLASSIFIER).partial_fit(
        X[first],
        y[first],
        sample_weight=np.where(y[first] == 0, 2.0, 1.0),
        classes=classes,
    )
    _assert_same_members(by_class, explicit)
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        DeepEnsembleClassifier(class_weight="balanced").partial_fit(
            X, y, classes=classes
        )


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({0: 1.0, 5: 2.0}, r"class_weight has labels \[5\] that are not among"),
        # Every class weighted: scikit-learn would let the stray label through.
        ({0: 1.0, 1: 1.0, 2: 1.0, "2": 1.0}, r"labels \['2'\]"),
        ({0: -1.0}, "finite weight >= 0; got 0: -1.0"),
        ({0: np.nan}, "finite weight >= 0"),
        ({0: "heavy"}, "finite weight >= 0"),
        ("uniform", "The 'class_weight' parameter"),
        ({0: 0.0, 1: 0.0, 2: 0.0}, "sample_weight times class_weight must not sum"),
    ],
)
def test_a_bad_class_weight_raises(imbalanced, class_weight, match):
    X, y = imbalanced
    clf = DeepEnsembleClassifier(**QUICK_CLASSIFIER, class_weight=class_weight)
    with pytest.raises((ValueError, TypeError), match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "params_")


def test_string_labels_take_their_weights_by_label(imbalanced):
    X, y = imbalanced
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = DeepEnsembleClassifier(**QUICK_CLASSIFIER, class_weight={"emu": 3.0})
    explicit = DeepEnsembleClassifier(**QUICK_CLASSIFIER).fit(
        X, labels, sample_weight=np.where(y == 2, 3.0, 1.0)
    )
    _assert_same_members(clf.fit(X, labels), explicit)
    with pytest.raises(ValueError, match=r"labels \['cow'\]"):
        clf.set_params(class_weight={"cow": 2.0}).fit(X, labels)
