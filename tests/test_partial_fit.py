"""partial_fit: scikit-learn MLP's semantics, one epoch per call, state carried over."""

import pickle
import warnings

import numpy as np
import pytest
from _helpers import KINDS
from sklearn.base import clone

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor

# Small and fast: QUICK's network, few members, 64 rows (two batches of 32).
# The regressor's one feature and the classifier's two are those of the cubic
# and the blobs elsewhere: the fits share the suite's compiled programs.
SMALL = {"n_estimators": 3, "hidden_layer_sizes": (16,), "random_state": 0}
# The fit that matches k partial_fit calls: k epochs, every row trains, no
# stopping rule and no recalibration.
PLAIN_FIT = {"early_stopping": False, "n_iter_no_change": np.inf}


def _data(kind, n=64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    if kind == "regressor":
        return X[:, :1], X[:, 0] ** 2 + 0.1 * rng.normal(size=n)
    return X, np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")


def _make(kind, **params):
    if kind == "regressor":
        return DeepEnsembleRegressor(**{**SMALL, **params})
    return DeepEnsembleClassifier(**{**SMALL, **params})


def _plain_fit(kind, **params):
    # Both estimators recalibrate by default, on rows held out of training.
    return _make(kind, **PLAIN_FIT, calibration=None, **params)


def _partial_fit(est, X, y, **kwargs):
    if isinstance(est, DeepEnsembleClassifier) and not hasattr(est, "params_"):
        kwargs.setdefault("classes", np.unique(y))
    return est.partial_fit(X, y, **kwargs)


def _assert_same_params(a, b):
    for (wa, ba), (wb, bb) in zip(a.params_, b.params_):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)


def _adam_step_count(est):
    """Adam's step counter of each member (the state's integer leaf)."""
    (count,) = [leaf for leaf in est._adam_state if leaf.dtype.kind == "i"]
    return count


@pytest.mark.parametrize("kind", KINDS)
def test_calls_equal_a_fit_of_as_many_epochs_without_shuffling(kind):
    # With a fixed data order, three one-epoch calls are the three epochs of a
    # fit: this fails if Adam's moments, its step count (bias correction) or
    # the learning rates restarted between calls.
    X, y = _data(kind)
    est = _make(kind, shuffle=False)
    for _ in range(3):
        _partial_fit(est, X, y)
    reference = _plain_fit(kind, shuffle=False, max_iter=3).fit(X, y)
    _assert_same_params(est, reference)
    np.testing.assert_array_equal(est.loss_curve_, reference.loss_curve_)
    np.testing.assert_array_equal(_adam_step_count(est), _adam_step_count(reference))
    assert est.n_iter_ == 3
    assert est.loss_curve_.shape == (3, SMALL["n_estimators"])


@pytest.mark.parametrize("kind", KINDS)
def test_adam_state_carries_over_and_a_reset_would_be_caught(kind):
    X, y = _data(kind)
    est = _partial_fit(_make(kind, shuffle=False), X, y)
    # Two batches of 32 rows per epoch: two Adam steps per call.
    np.testing.assert_array_equal(_adam_step_count(est), [2, 2, 2])
    reset = pickle.loads(pickle.dumps(est))
    reset._adam_state = tuple(np.zeros_like(leaf) for leaf in reset._adam_state)
    _partial_fit(est, X, y)
    _partial_fit(reset, X, y)
    np.testing.assert_array_equal(_adam_step_count(est), [4, 4, 4])
    assert not np.allclose(est.params_[0][0], reset.params_[0][0])


@pytest.mark.parametrize("kind", KINDS)
def test_first_call_initialises_members_as_fit_does(kind):
    # Shuffled: the first call draws the same initial weights and the same
    # first data order as a one-epoch fit.
    X, y = _data(kind)
    est = _partial_fit(_make(kind), X, y)
    _assert_same_params(est, _plain_fit(kind, max_iter=1).fit(X, y))
    assert est.n_iter_ == 1


@pytest.mark.parametrize("kind", KINDS)
def test_member_depends_only_on_random_state_and_its_index(kind):
    X, y = _data(kind)
    three, two = _make(kind), _make(kind, n_estimators=2)
    for _ in range(3):
        _partial_fit(three, X, y)
        _partial_fit(two, X, y)
    for (w3, b3), (w2, b2) in zip(three.params_, two.params_):
        np.testing.assert_array_equal(w3[:2], w2)
        np.testing.assert_array_equal(b3[:2], b2)


def test_fit_then_partial_fit_continues_the_same_members():
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**SMALL, max_iter=20, n_iter_no_change=np.inf)
    reg.fit(X, y)
    assert hasattr(reg, "calibration_factors_")
    n_iter, count = reg.n_iter_, _adam_step_count(reg).copy()
    before = reg.params_[0][0].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning in partial_fit
        reg.partial_fit(X, y)
    assert reg.n_iter_ == n_iter + 1
    assert reg.loss_curve_.shape == (n_iter + 1, 3)
    assert reg.validation_loss_curve_.shape == (n_iter + 1, 3)
    assert np.isnan(reg.validation_loss_curve_[-1]).all()
    assert np.isfinite(reg.loss_curve_[-1]).all()
    # Every row trains (no validation split): two steps of 32 rows.
    np.testing.assert_array_equal(_adam_step_count(reg), count + 2)
    # The recalibration described the members before this epoch.
    assert not hasattr(reg, "calibration_factors_")
    # A small step from the fitted members, not a new initialisation.
    change = np.abs(reg.params_[0][0] - before).max()
    assert 0 < change < 0.1 * np.abs(before).max()


def test_the_members_learning_rates_are_used_and_kept():
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**SMALL).partial_fit(X, y)
    np.testing.assert_array_equal(reg._learning_rates, np.float32([1e-2] * 3))
    # A member whose rate is zero (as if its schedule had stopped it) stays put;
    # the others move. learning_rate_init no longer matters after the first call.
    reg._learning_rates = np.array([0.0, 1e-2, 1e-2], np.float32)
    before = [w.copy() for w, _ in reg.params_]
    reg.set_params(learning_rate_init=0.5).partial_fit(X, y)
    np.testing.assert_array_equal(reg._learning_rates, np.float32([0, 1e-2, 1e-2]))
    np.testing.assert_array_equal(reg.params_[0][0][0], before[0][0])
    assert not np.allclose(reg.params_[0][0][1], before[0][1])


def test_standardisation_of_the_first_call_is_kept():
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**SMALL).partial_fit(X, y)
    scaling = (reg._x_mean.copy(), reg._x_scale.copy(), reg._target_mean.copy())
    reg.partial_fit(X * 10 + 5, y * 3 - 1)
    for kept, first in zip((reg._x_mean, reg._x_scale, reg._target_mean), scaling):
        np.testing.assert_array_equal(kept, first)


def test_pickling_between_calls_continues_identically():
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**SMALL).partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(reg))
    reg.partial_fit(X[:40], y[:40])
    copy.partial_fit(X[:40], y[:40])
    _assert_same_params(reg, copy)
    np.testing.assert_array_equal(reg.predict(X), copy.predict(X))
    assert not hasattr(clone(reg), "params_")


def test_warm_start_fit_adds_members_that_partial_fit_then_continues():
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**{**SMALL, "n_estimators": 2}, warm_start=True)
    reg.partial_fit(X, y).partial_fit(X, y)
    first_two = reg.params_[0][0].copy()
    reg.set_params(n_estimators=3, max_iter=5, n_iter_no_change=np.inf).fit(X, y)
    assert reg.validation_loss_curve_.shape == (5, 3)
    assert np.isnan(reg.validation_loss_curve_[:, :2]).all()
    np.testing.assert_array_equal(reg.params_[0][0][:2], first_two)
    assert [leaf.shape[0] for leaf in reg._adam_state] == [3] * len(reg._adam_state)
    assert reg._learning_rates.shape == (3,)
    reg.partial_fit(X, y)
    assert not np.allclose(reg.params_[0][0][:2], first_two)
    assert np.isfinite(reg.loss_curve_[-1]).all()


def test_partial_fit_needs_n_estimators_equal_to_the_fitted_members():
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**SMALL).partial_fit(X, y)
    with pytest.raises(ValueError, match="continues the 3 fitted members"):
        reg.set_params(n_estimators=4).partial_fit(X, y)


def test_multi_output_regression_and_its_shape_checks():
    X, y = _data("regressor")
    Y = np.column_stack([y, -y])
    reg = DeepEnsembleRegressor(**SMALL).partial_fit(X, Y).partial_fit(X, Y)
    assert reg.predict(X).shape == (64, 2)
    with pytest.raises(ValueError, match="2 output"):
        reg.partial_fit(X, np.column_stack([Y, y]))
    with pytest.raises(ValueError, match="shape of the first fit"):
        DeepEnsembleRegressor(**SMALL).partial_fit(X, y).partial_fit(X, Y[:, :1])


@pytest.mark.parametrize("kind", KINDS)
def test_partial_fit_rejects_changed_inputs_or_networks(kind):
    X, y = _data(kind)
    est = _partial_fit(_make(kind), X, y)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(np.hstack([X, X]), y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        est.set_params(hidden_layer_sizes=(4,)).partial_fit(X, y)
    est.set_params(hidden_layer_sizes=SMALL["hidden_layer_sizes"])
    with pytest.raises(ValueError, match="non-zero|positive"):
        est.partial_fit(X, y, sample_weight=np.zeros(len(y)))


def test_classifier_needs_classes_on_the_first_call():
    X, y = _data("classifier")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        DeepEnsembleClassifier(**SMALL).partial_fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        DeepEnsembleClassifier(**SMALL).partial_fit(X, y, classes=["yes"])


def test_classifier_learns_classes_missing_from_a_batch():
    X, y = _data("classifier")
    clf = DeepEnsembleClassifier(**SMALL)
    yes = y == "yes"
    clf.partial_fit(X[yes], y[yes], classes=["yes", "no", "maybe"])
    np.testing.assert_array_equal(clf.classes_, ["maybe", "no", "yes"])
    assert clf.predict_proba(X).shape == (64, 3)
    # Later calls may omit classes, pass the same ones, or hold a subset.
    clf.partial_fit(X[~yes], y[~yes])
    clf.partial_fit(X, y, classes=["maybe", "yes", "no"])
    assert set(clf.predict(X)) <= {"maybe", "no", "yes"}
    with pytest.raises(ValueError, match=r"labels \['unknown'\]"):
        clf.partial_fit(X[:3], ["yes", "unknown", "no"])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=["yes", "no"])


def test_classifier_partial_fit_after_fit_keeps_its_classes():
    X, y = _data("classifier")
    clf = DeepEnsembleClassifier(**SMALL, **PLAIN_FIT, max_iter=5)
    clf.fit(X, y)
    clf.partial_fit(X[:20], y[:20])
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:2], ["no", "maybe"])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=["no", "yes", "maybe"])


def test_verbose_numbers_the_epochs_across_calls(capsys):
    X, y = _data("regressor")
    reg = DeepEnsembleRegressor(**SMALL, verbose=2).partial_fit(X, y)
    reg.partial_fit(X, y)
    out = capsys.readouterr().out
    assert "Epoch 1:" in out and "Epoch 2:" in out
    # verbose=1: one final line a call, with no max_iter to count up to.
    reg.set_params(verbose=1).partial_fit(X, y)
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("Epoch 3 | ") and "left" not in line
