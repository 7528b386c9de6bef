"""Behaviour of DeepEnsembleClassifier and the classification uncertainty split."""

import copy

import numpy as np
import pytest
from _helpers import QUICK_CLASSIFIER as QUICK
from sklearn.datasets import make_blobs

from skdeepens import DeepEnsembleClassifier
from skdeepens._mixture import classification_uncertainty, entropy
from skdeepens.datasets import make_spirals

# The shared quick configuration, at 40 epochs.


def _softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _member_proba_by_hand(clf, X):
    """Each member's softmax probabilities, from params_ with NumPy alone."""
    h = (np.asarray(X, dtype=np.float64) - clf._x_mean) / clf._x_scale
    # Each column is clipped to its training range, widened by one std.
    h = np.clip(h, *clf._x_std_bounds)
    *hidden, (w_out, b_out) = clf.params_
    h = np.broadcast_to(h, (w_out.shape[0],) + h.shape)
    for w, b in hidden:
        h = np.maximum(h @ w + b[:, None, :], 0.0)
    logits = h @ w_out + b_out[:, None, :]
    # The fitted temperature divides every member's logits (calibration).
    temperature = getattr(clf, "calibration_factors_", np.ones(1))[0]
    return _softmax(logits / temperature)


@pytest.fixture(scope="module")
def blobs_ensemble(blobs):
    X, y = blobs
    return DeepEnsembleClassifier(**QUICK).fit(X, y)


@pytest.fixture(scope="module")
def spirals():
    return make_spirals(n_samples_per_class=300, random_state=0)


@pytest.fixture(scope="module")
def spirals_ensemble(spirals):
    X, y = spirals
    clf = DeepEnsembleClassifier(
        n_estimators=5,
        hidden_layer_sizes=(64, 64),
        max_iter=300,
        learning_rate_init=1e-2,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    return clf.fit(X, y)


# ------------------------------------------------ the decomposition, by hand


def test_identical_members_have_no_epistemic_uncertainty():
    rng = np.random.RandomState(0)
    p = rng.dirichlet(np.ones(4), size=7)
    split = classification_uncertainty(np.stack([p] * 5))
    expected = -np.sum(p * np.log(p), axis=1)
    np.testing.assert_allclose(split.proba, p, rtol=1e-12)
    np.testing.assert_allclose(split.total, expected, rtol=1e-12)
    np.testing.assert_allclose(split.aleatoric, expected, rtol=1e-12)
    # Averaging M equal copies may round by an ulp; nothing more.
    np.testing.assert_allclose(split.epistemic, 0.0, atol=1e-14)
    assert np.all(split.epistemic >= 0)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_confident_disagreeing_members_are_all_epistemic(n_classes):
    # Member m puts all its mass on class m: each is certain (zero entropy), the
    # mixture is uniform (entropy log K), so all of it is knowledge uncertainty.
    member_proba = np.eye(n_classes)[:, None, :]
    split = classification_uncertainty(member_proba)
    np.testing.assert_allclose(split.proba, np.full((1, n_classes), 1 / n_classes))
    np.testing.assert_allclose(split.total, np.log(n_classes), rtol=1e-12)
    np.testing.assert_array_equal(split.aleatoric, 0.0)
    np.testing.assert_allclose(split.epistemic, np.log(n_classes), rtol=1e-12)


def test_mixed_members_reference_values():
    # Members [1, 0] and [1/2, 1/2]: mixture [3/4, 1/4]; aleatoric log(2) / 2.
    split = classification_uncertainty(np.array([[[1.0, 0.0]], [[0.5, 0.5]]]))
    total = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    np.testing.assert_allclose(split.total, [total], rtol=1e-12)
    np.testing.assert_allclose(split.aleatoric, [np.log(2) / 2], rtol=1e-12)
    np.testing.assert_allclose(split.epistemic, [total - np.log(2) / 2], rtol=1e-12)


def _mean_kl_to_the_mixture(member_proba):
    """The Jensen-Shannon divergence as ``mean_m KL(p_m || p)``, from scipy."""
    from scipy.special import rel_entr

    mixture = member_proba.mean(axis=0)
    return rel_entr(member_proba, mixture).sum(axis=-1).mean(axis=0)


def test_split_is_never_negative_and_adds_up():
    rng = np.random.RandomState(1)
    # Sharp, flat and nearly identical members, with exact zeros.
    sharp = rng.dirichlet(np.full(5, 0.05), size=(4, 200))
    sharp[sharp < 1e-12] = 0.0
    sharp /= sharp.sum(axis=-1, keepdims=True)
    flat = rng.dirichlet(np.full(5, 50.0), size=(4, 200))
    base = rng.dirichlet(np.ones(5), size=200)
    close = base + 1e-15 * rng.uniform(size=(4, 200, 5))
    close /= close.sum(axis=-1, keepdims=True)
    for member_proba in (sharp, flat, close):
        split = classification_uncertainty(member_proba)
        for part in (split.total, split.aleatoric, split.epistemic):
            assert np.all(np.isfinite(part)) and np.all(part >= 0)
        # The epistemic part is the members' mean KL divergence to the mixture.
        np.testing.assert_allclose(
            split.epistemic, _mean_kl_to_the_mixture(member_proba), atol=1e-12
        )
        assert np.all(split.total <= np.log(5) + 1e-12)
        np.testing.assert_allclose(split.total, entropy(member_proba.mean(0)))


# ---------------------------------------------- the estimator against the members


def test_predictions_match_the_members_computed_by_hand(blobs, blobs_ensemble):
    X, _ = blobs
    X_test = np.vstack([X[:20], [[10.0, -10.0], [0.0, 0.0]]])
    member_proba = _member_proba_by_hand(blobs_ensemble, X_test)
    assert member_proba.shape == (3, 22, 3)  # one logit per class
    expected = classification_uncertainty(member_proba)
    u = blobs_ensemble.predict_uncertainty(X_test)
    assert set(u) == {"total", "aleatoric", "epistemic"}
    for key in ("total", "aleatoric", "epistemic"):
        np.testing.assert_allclose(u[key], expected[key], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        u.epistemic, _mean_kl_to_the_mixture(member_proba), rtol=1e-3, atol=1e-6
    )
    proba = blobs_ensemble.predict_proba(X_test)
    np.testing.assert_allclose(proba, member_proba.mean(0), rtol=1e-4, atol=1e-7)
    np.testing.assert_array_equal(
        blobs_ensemble.predict(X_test), blobs_ensemble.classes_[proba.argmax(1)]
    )


@pytest.mark.slow
def test_ensemble_fits_the_spirals(spirals, spirals_ensemble):
    X, y = spirals
    assert spirals_ensemble.score(X, y) >= 0.95


@pytest.mark.slow
def test_epistemic_uncertainty_grows_away_from_the_spirals(spirals, spirals_ensemble):
    X, _ = spirals
    angle = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ring = np.column_stack([np.sin(angle), np.cos(angle)])
    far = np.vstack([r * ring for r in (1.5, 1.75, 2.0)])
    near = spirals_ensemble.predict_uncertainty(X)
    away = spirals_ensemble.predict_uncertainty(far)
    # Observed: about 0.02 nats on the training points, 0.06 to 0.08 at radius
    # 1.5 to 2 (the data end at radius 1); a factor 2 leaves room for rounding.
    assert away.epistemic.mean() > 2 * near.epistemic.mean()
    for u in (near, away):
        assert np.all(u.epistemic >= 0) and np.all(u.total <= np.log(3) + 1e-12)


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "emu"]),
        np.array(["cat", "dog", "emu"], dtype=object),
        np.array([3, 5, 9]),
    ],
    ids=["str", "object", "int-from-3"],
)
def test_any_label_type_multiclass(blobs, blobs_ensemble, labels):
    X, y = blobs
    y_labels = labels[y]
    clf = DeepEnsembleClassifier(**QUICK).fit(X, y_labels)
    np.testing.assert_array_equal(clf.classes_, labels)
    predicted = clf.predict(X)
    assert predicted.dtype == y_labels.dtype
    assert set(predicted.tolist()) <= set(labels.tolist())
    assert np.mean(predicted == y_labels) > 0.95
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # The labels' order is that of 0, 1, 2, so the columns and the fitted members
    # are exactly those of the reference fit on the integer codes.
    np.testing.assert_array_equal(proba, blobs_ensemble.predict_proba(X))


@pytest.mark.parametrize(
    "labels",
    [
        np.array([0, 1]),
        np.array([-1, 1]),
        np.array([False, True]),
        np.array(["n", "y"]),
    ],
    ids=["0-1", "minus-1-1", "bool", "str"],
)
def test_any_label_type_binary(labels):
    X, y = make_blobs(
        n_samples=60, centers=[[-3, 0], [3, 0]], cluster_std=1.0, random_state=0
    )
    y_labels = labels[y]
    clf = DeepEnsembleClassifier(**QUICK).fit(X, y_labels)
    np.testing.assert_array_equal(clf.classes_, labels)
    predicted = clf.predict(X)
    assert predicted.dtype == y_labels.dtype
    assert np.mean(predicted == y_labels) > 0.95
    proba = clf.predict_proba(X)
    # Two columns (a softmax over two logits), not one.
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # Column 1 is classes_[1]: high on the points of class labels[1].
    assert proba[y == 1, 1].mean() > 0.9 and proba[y == 0, 1].mean() < 0.1


def test_unordered_labels_columns_follow_classes(blobs):
    X, y = blobs
    # Label "z" on the class at the left, "a" on the one at the right.
    names = np.array(["z", "m", "a"])
    clf = DeepEnsembleClassifier(**QUICK).fit(X, names[y])
    np.testing.assert_array_equal(clf.classes_, ["a", "m", "z"])
    proba = clf.predict_proba([[-4.0, 0.0], [4.0, 0.0]])
    assert proba[0].argmax() == 2 and proba[1].argmax() == 0
    np.testing.assert_array_equal(clf.predict([[-4.0, 0.0], [4.0, 0.0]]), ["z", "a"])


# The shared blobs ensemble by default; the spirals' deeper one (its own
# compiled program and 300 epochs on 600 rows) with the slow tests.
@pytest.mark.parametrize(
    "ensemble",
    ["blobs_ensemble", pytest.param("spirals_ensemble", marks=pytest.mark.slow)],
)
def test_predict_log_proba_is_finite_where_probabilities_underflow(request, ensemble):
    ensemble = request.getfixturevalue(ensemble)
    X_far = np.array([[1e4, 1e4], [-3e4, 2e4], [0.1, 0.2]])
    # Without the input clip (as pickled before it), so that far rows get
    # logits wide enough for probabilities to underflow.
    unclipped = copy.deepcopy(ensemble)
    del unclipped._x_std_bounds
    proba = unclipped.predict_proba(X_far)
    log_proba = unclipped.predict_log_proba(X_far)
    # The case is extreme enough: some probabilities are exactly 0 in float64.
    assert np.any(proba == 0.0)
    assert np.all(np.isfinite(log_proba))
    assert np.all(log_proba[proba == 0.0] < np.log(np.finfo(np.float64).tiny))
    positive = proba > 0
    np.testing.assert_allclose(
        log_proba[positive], np.log(proba[positive]), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-10, atol=1e-300)
    # The logsumexp over classes of the log probabilities is 0.
    np.testing.assert_allclose(np.logaddexp.reduce(log_proba, axis=1), 0.0, atol=1e-10)


def test_continuous_targets_raise(blobs):
    X, _ = blobs
    y = np.random.RandomState(0).normal(size=len(X))
    with pytest.raises(ValueError, match="Unknown label type"):
        DeepEnsembleClassifier(**QUICK).fit(X, y)


@pytest.mark.parametrize("label", ["a", 7])
def test_single_class_raises_a_clear_error(blobs, label):
    X, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes.*only one class"):
        DeepEnsembleClassifier(**QUICK).fit(X, np.full(len(X), label))


@pytest.mark.parametrize("label, shown", [("a", "'a'"), (7, "7")])
def test_single_class_error_names_the_label_as_the_user_wrote_it(blobs, label, shown):
    X, _ = blobs
    with pytest.raises(ValueError, match=f"only one class: {shown}$"):
        DeepEnsembleClassifier(**QUICK).fit(X, np.full(len(X), label))


# --------------------------------------------------------------- training


def test_brier_loss_trains_and_is_the_multiclass_brier_score(blobs, blobs_ensemble):
    X, y = blobs
    clf = DeepEnsembleClassifier(
        **{
            **QUICK,
            "loss": "brier",
            "early_stopping": True,
            # All the held-out rows monitor early stopping.
            "calibration": None,
            "validation_fraction": 0.3,
            "max_iter": 30,
        }
    ).fit(X, y)
    assert clf.score(X, y) > 0.95
    curve = clf.loss_curve_
    # The Brier score lies in [0, 2] (plus a tiny penalty) and goes down.
    assert np.all(curve < 2.01) and np.all(curve[-1] < 0.5 * curve[0])
    # The monitored validation loss is the Brier score of the kept members.
    _, val = clf._validation_split(np.ones(len(X)), y)
    member_proba = _member_proba_by_hand(clf, X[val])
    brier = np.sum((member_proba - np.eye(3)[y[val]]) ** 2, axis=-1).mean(axis=1)
    np.testing.assert_allclose(
        brier, np.nanmin(clf.validation_loss_curve_, axis=0), rtol=1e-4, atol=1e-5
    )
    # A different loss trains different members from the same initialisation.
    assert not np.allclose(clf.params_[0][0], blobs_ensemble.params_[0][0])


@pytest.mark.slow
def test_adversarial_training_changes_the_members_and_still_fits(blobs, blobs_ensemble):
    X, y = blobs
    clf = DeepEnsembleClassifier(**{**QUICK, "adversarial_epsilon": 0.01}).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert np.all(np.isfinite(clf.loss_curve_))
    assert not np.allclose(clf.params_[0][0], blobs_ensemble.params_[0][0])
    # epsilon = 0 is the same as no adversarial training.
    zero = DeepEnsembleClassifier(**{**QUICK, "adversarial_epsilon": 0.0}).fit(X, y)
    for (w0, b0), (w, b) in zip(zero.params_, blobs_ensemble.params_):
        np.testing.assert_array_equal(w0, w)
        np.testing.assert_array_equal(b0, b)


def test_early_stopping_keeps_each_members_best_validation_log_loss(blobs):
    X, y = blobs
    clf = DeepEnsembleClassifier(
        **{
            **QUICK,
            "early_stopping": True,
            # All the held-out rows monitor early stopping.
            "calibration": None,
            "validation_fraction": 0.3,
            "max_iter": 500,
            "n_iter_no_change": 5,
            "tol": 1e-3,
        }
    ).fit(X, y)
    curve = clf.validation_loss_curve_
    assert curve.shape == clf.loss_curve_.shape
    assert clf.n_iter_ < 500
    # The stratified split keeps every class on both sides.
    train, val = clf._validation_split(np.ones(len(X)), y)
    assert len(val) == 27 and set(y[val]) == {0, 1, 2}
    assert not set(train) & set(val)
    member_proba = _member_proba_by_hand(clf, X[val])
    nll = -np.log(np.take_along_axis(member_proba, y[val][None, :, None], -1))
    np.testing.assert_allclose(
        nll[..., 0].mean(axis=1),
        np.nanmin(curve, axis=0),
        rtol=1e-4,
        atol=1e-5,
    )


# ------------------------------------------------------ scikit-learn integration
