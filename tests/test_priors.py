"""Randomized prior functions (``prior_scale``) on both estimators."""

import pickle

import numpy as np
import pytest
from _helpers import QUICK as _QUICK
from sklearn.base import clone

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._core import network, training
from skdeepens._ensemble._members import _init_prior, _prior_rng
from skdeepens.datasets import make_cubic, make_spirals

# The shared quick network (its prior-free fits are the suite's compiled
# program of the cubic's quick regressor), for 20 epochs.
QUICK = {**_QUICK, "max_iter": 20}


@pytest.fixture(scope="module")
def cubic():
    return make_cubic(n_samples=40, random_state=0)


@pytest.fixture(scope="module")
def spirals():
    return make_spirals(n_samples_per_class=30, random_state=0)


@pytest.fixture(scope="module")
def prior_reg(cubic):
    return DeepEnsembleRegressor(prior_scale=1.0, calibration=None, **QUICK).fit(*cubic)


def _relu_net(params, h):
    *hidden, (w_out, b_out) = params
    h = np.broadcast_to(h, (w_out.shape[0],) + h.shape)
    for w, b in hidden:
        h = np.maximum(h @ w + b[:, None, :], 0.0)
    return h @ w_out + b_out[:, None, :]


def _fresh_priors(est, n_features, n_outputs, n_targets):
    shapes = network.layer_shapes(n_features, est.hidden_layer_sizes, n_outputs)
    return [
        _init_prior(_prior_rng(est.random_state, m), shapes, "relu", n_targets)
        for m in range(est.n_estimators)
    ]


def _assert_same_params(a, b):
    for (wa, ba), (wb, bb) in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)


def test_prior_scale_zero_is_the_prior_free_fit(cubic):
    plain = DeepEnsembleRegressor(**QUICK).fit(*cubic)
    zero = DeepEnsembleRegressor(prior_scale=0.0, **QUICK).fit(*cubic)
    _assert_same_params(plain.params_, zero.params_)
    assert not hasattr(zero, "prior_params_")
    with_prior = DeepEnsembleRegressor(prior_scale=1.0, **QUICK).fit(*cubic)
    # Only the prior differs: the members' initialisation and order are the
    # same draws, yet training against the prior moves them.
    assert not np.allclose(with_prior.params_[0][0], zero.params_[0][0])


def test_trainer_prior_at_scale_zero_adds_nothing(cubic):
    """The prior path of the compiled program at scale 0 is the prior-free fit."""
    reg = DeepEnsembleRegressor(prior_scale=1.0, **QUICK).fit(*cubic)
    X = ((cubic[0] - reg._x_mean) / reg._x_scale).astype(np.float32)
    T = ((cubic[1][:, None] - reg._target_mean) / reg._target_scale).astype(np.float32)
    init = reg.prior_params_  # any parameters of the right shapes
    hyper = reg._hyperparams(40.0, 2)._replace(prior_scale=np.float32(0.0))

    def run(prior):
        orders = np.broadcast_to(np.arange(40, dtype=np.int32), (1, 3, 40))
        return training.fit_ensemble(
            init,
            (X, T, np.ones(40, np.float32)),
            None,
            lambda n: np.broadcast_to(orders[0], (n, 3, 40)),
            learning_rate=1e-2,
            hyper=hyper,
            config=training.TrainConfig("gaussian_nll", "relu", False, False),
            layout=training.plan_layout(40, 32),
            max_epochs=5,
            prior_params=prior,
        ).params

    without, scaled_out = run(None), run(reg.prior_params_)
    _assert_same_params(without, scaled_out)


def test_trainer_keeps_the_prior_fixed(cubic):
    """The monitored loss the trainer reports is that of the untouched prior."""
    reg = DeepEnsembleRegressor(prior_scale=3.0, **QUICK).fit(*cubic)
    X = ((cubic[0] - reg._x_mean) / reg._x_scale).astype(np.float32)
    T = ((cubic[1][:, None] - reg._target_mean) / reg._target_scale).astype(np.float32)
    w = np.ones(40, np.float32)
    hyper = reg._hyperparams(30.0, 1)._replace(prior_scale=np.float32(3.0))
    prior = reg.prior_params_
    result = training.fit_ensemble(
        reg.params_,
        (X[:30], T[:30], w[:30]),
        (X[30:], T[30:], w[30:]),
        lambda n: np.broadcast_to(np.arange(30, dtype=np.int32), (n, 3, 30)),
        learning_rate=1e-2,
        hyper=hyper,
        config=training.TrainConfig("gaussian_nll", "relu", False, True),
        layout=training.plan_layout(30, 32, 10),
        max_epochs=10,
        prior_params=prior,
    )
    recomputed = training.dataset_loss(
        result.params,
        X[30:],
        T[30:],
        w[30:],
        10,
        "gaussian_nll",
        "relu",
        prior,
        3.0,
    )
    np.testing.assert_allclose(result.best_loss, recomputed, rtol=1e-5)
    without_prior = training.dataset_loss(
        result.params, X[30:], T[30:], w[30:], 10, "gaussian_nll", "relu"
    )
    assert not np.allclose(result.best_loss, without_prior, rtol=1e-3)


def test_prior_is_not_trained_and_is_members_own(prior_reg):
    fresh = _fresh_priors(prior_reg, 1, 2, 1)
    for m, prior in enumerate(fresh):
        for (w, b), (w_fit, b_fit) in zip(prior, prior_reg.prior_params_):
            np.testing.assert_array_equal(w_fit[m], w)
            np.testing.assert_array_equal(b_fit[m], b)
    # The prior moves the mean only: its scale-head column is zero.
    w_out, b_out = prior_reg.prior_params_[-1]
    assert np.all(w_out[..., 1] == 0) and np.all(b_out[:, 1] == 0)
    assert np.any(w_out[..., 0] != 0)


def test_priors_differ_between_members(prior_reg):
    w_first = prior_reg.prior_params_[0][0]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.allclose(w_first[i], w_first[j])
    # and from the member's own initialisation stream
    assert not np.allclose(w_first[0], prior_reg.params_[0][0][0])


def test_member_is_independent_of_n_estimators_with_priors(cubic, prior_reg):
    two = DeepEnsembleRegressor(
        prior_scale=1.0, calibration=None, **{**QUICK, "n_estimators": 2}
    ).fit(*cubic)
    for (w2, b2), (w3, b3) in zip(two.params_, prior_reg.params_):
        np.testing.assert_array_equal(w2, w3[:2])
        np.testing.assert_array_equal(b2, b3[:2])
    for (w2, b2), (w3, b3) in zip(two.prior_params_, prior_reg.prior_params_):
        np.testing.assert_array_equal(w2, w3[:2])
        np.testing.assert_array_equal(b2, b3[:2])


def test_no_recompilation_across_prior_scales(cubic):
    DeepEnsembleRegressor(prior_scale=0.5, **QUICK).fit(*cubic)
    compiled = training.trainer_cache_size()
    for scale in (2.0, 7.5):
        DeepEnsembleRegressor(prior_scale=scale, **QUICK).fit(*cubic)
    assert training.trainer_cache_size() == compiled


def test_regression_predictions_include_the_prior(prior_reg):
    X = np.linspace(-6, 6, 9).reshape(-1, 1)
    h = (X - prior_reg._x_mean) / prior_reg._x_scale
    h = np.clip(h, *prior_reg._x_std_bounds)  # the widened training range
    out = _relu_net(prior_reg.params_, h) + 1.0 * _relu_net(prior_reg.prior_params_, h)
    loc = out[..., 0] * prior_reg._target_scale[0] + prior_reg._target_mean[0]
    np.testing.assert_allclose(
        prior_reg.predict_dist(X).members.loc, loc, rtol=1e-10, atol=1e-8
    )
    without = _relu_net(prior_reg.params_, h)[..., 0]
    assert not np.allclose(without * prior_reg._target_scale[0], loc)


def test_classifier_logits_include_the_prior(spirals):
    clf = DeepEnsembleClassifier(prior_scale=2.0, **QUICK).fit(*spirals)
    fresh = _fresh_priors(clf, 2, 3, 3)
    for m, prior in enumerate(fresh):
        _assert_same_params(
            [(w[m], b[m]) for w, b in clf.prior_params_], [tuple(p) for p in prior]
        )
    X = np.array([[0.0, 0.0], [0.5, -0.5], [3.0, 3.0]])
    h = (X - clf._x_mean) / clf._x_scale
    h = np.clip(h, *clf._x_std_bounds)  # the widened training range
    logits = _relu_net(clf.params_, h) + 2.0 * _relu_net(clf.prior_params_, h)
    logits = logits / clf.calibration_factors_[0]  # the fitted temperature
    proba = np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), proba.mean(axis=0), atol=1e-10)


def test_warm_start_gives_new_members_their_own_priors(cubic, prior_reg):
    reg = DeepEnsembleRegressor(
        prior_scale=1.0,
        calibration=None,
        warm_start=True,
        **{**QUICK, "n_estimators": 2},
    ).fit(*cubic)
    reg.set_params(n_estimators=3).fit(*cubic)
    _assert_same_params(reg.prior_params_, prior_reg.prior_params_)
    _assert_same_params(reg.params_, prior_reg.params_)
    with pytest.raises(ValueError, match="prior_scale"):
        reg.set_params(n_estimators=4, prior_scale=2.0).fit(*cubic)


def test_pickle_and_clone_keep_the_prior(prior_reg):
    X = np.linspace(-6, 6, 5).reshape(-1, 1)
    again = pickle.loads(pickle.dumps(prior_reg))
    np.testing.assert_array_equal(again.predict(X), prior_reg.predict(X))
    assert clone(prior_reg).prior_scale == 1.0
    assert not hasattr(clone(prior_reg), "prior_params_")


def test_predictions_use_the_fitted_scale(cubic):
    reg = DeepEnsembleRegressor(prior_scale=1.0, **QUICK).fit(*cubic)
    X = np.array([[5.0]])
    before = reg.predict(X)
    reg.set_params(prior_scale=3.0)  # not refitted: predictions unchanged
    np.testing.assert_array_equal(reg.predict(X), before)


@pytest.mark.parametrize("value", [-0.5, np.inf, np.nan, "big"])
def test_bad_prior_scale_raises(cubic, value):
    with pytest.raises((ValueError, TypeError), match="prior_scale"):
        DeepEnsembleRegressor(prior_scale=value, **QUICK).fit(*cubic)


def test_bool_prior_scale_raises(cubic):
    with pytest.raises(TypeError, match="prior_scale"):
        DeepEnsembleRegressor(prior_scale=True, **QUICK).fit(*cubic)


def test_partial_fit_draws_the_prior_once_and_keeps_it(cubic):
    # The cubic and QUICK's network: the program of this module's prior fits.
    X, y = cubic
    settings = dict(n_estimators=2, hidden_layer_sizes=QUICK["hidden_layer_sizes"])
    settings.update(prior_scale=1.0)
    settings.update(random_state=0, shuffle=False)
    online = DeepEnsembleRegressor(**settings).partial_fit(X, y)
    first = [leaf.copy() for layer in online.prior_params_ for leaf in layer]
    # One call is one epoch of fit, prior included.
    batch = DeepEnsembleRegressor(
        **settings,
        max_iter=1,
        early_stopping=False,
        calibration=None,
        n_iter_no_change=np.inf,
    ).fit(X, y)
    np.testing.assert_allclose(online.predict(X), batch.predict(X), rtol=1e-6)
    online.partial_fit(X, y)
    again = [leaf for layer in online.prior_params_ for leaf in layer]
    for before, after in zip(first, again):
        np.testing.assert_array_equal(before, after)
