"""posterior_samples: each member's chain on its posterior, mixed as M x K components.

The fits are small (one narrow hidden layer, a few dozen rows) and share one
shape, so the sampler compiles once for the module's regressors and once for
its classifiers; compiling it takes 15-20 s, so the tests that sample are
marked slow (CI runs them).
"""

import importlib.util
import pickle

import numpy as np
import pytest
from _helpers import QUICK_SIZE
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._core import sampling, training

# Skipped without blackjax, which is looked for, not imported: importing it
# computes (a jnp.log in a default argument), which would start JAX's backend
# while the tests are collected, before conftest.py sets the suite's XLA flags.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("blackjax") is None, reason="needs blackjax"
)

K = 3
SMALL = dict(
    hidden_layer_sizes=(8,), max_iter=60, n_iter_no_change=np.inf, random_state=0
)


def _toy_regression(n=48, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] + rng.normal(scale=0.2, size=n)
    return X, y


def _toy_classification(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
    return X, y


def _leaves(params):
    return [a for layer in params for a in layer]


@pytest.fixture(scope="module")
def sampled_regressor():
    X, y = _toy_regression()
    reg = DeepEnsembleRegressor(n_estimators=2, posterior_samples=K, **SMALL)
    return reg.fit(X, y), X, y


def test_zero_samples_is_the_deep_ensemble():
    # Not sampled, so not SMALL's network: one feature and the shared quick
    # network, a program the suite's other early-stopping fits compile.
    X, y = _toy_regression()
    X = X[:, :1]
    params = {**SMALL, "hidden_layer_sizes": QUICK_SIZE["hidden_layer_sizes"]}
    reg = DeepEnsembleRegressor(n_estimators=2, **params).fit(X, y)
    assert not hasattr(reg, "posterior_params_")
    assert reg.predict_members(X).loc.shape[0] == 2


@pytest.mark.slow
def test_samples_are_stored_member_major(sampled_regressor):
    reg, X, _ = sampled_regressor
    weights, biases = reg.posterior_params_[0]
    assert weights.shape == (2 * K, 2, 8) and biases.shape == (2 * K, 8)
    assert all(np.all(np.isfinite(a)) for a in _leaves(reg.posterior_params_))
    # The trained members stay as params_; the samples moved away from them.
    assert reg.params_[0][0].shape[0] == 2
    assert not np.allclose(reg.posterior_params_[0][0][0], reg.params_[0][0][0])
    # Every kept sample is a different network.
    flat = np.concatenate(
        [a.reshape(2 * K, -1) for a in _leaves(reg.posterior_params_)], axis=1
    )
    assert len(np.unique(flat, axis=0)) == 2 * K


@pytest.mark.slow
def test_predictions_mix_every_sample(sampled_regressor):
    """The mixture's mean and split, by hand from the M x K components."""
    reg, X, _ = sampled_regressor
    members = reg.predict_members(X)
    assert members.loc.shape == (2 * K, len(X))
    u = reg.predict_uncertainty(X)
    assert_allclose(u.mean, members.loc.mean(axis=0), rtol=1e-10)
    assert_allclose(u.epistemic_var, members.loc.var(axis=0), rtol=1e-8, atol=1e-12)
    assert_allclose(u.aleatoric_var, np.mean(members.std**2, axis=0), rtol=1e-8)
    assert_allclose(reg.predict(X), u.mean)


@pytest.mark.slow
def test_member_samples_do_not_depend_on_the_ensemble_size(sampled_regressor):
    reg, X, y = sampled_regressor
    larger = clone(reg).set_params(n_estimators=4).fit(X, y)
    pairs = zip(_leaves(reg.posterior_params_), _leaves(larger.posterior_params_))
    for small, large in pairs:
        assert_array_equal(small, large[: 2 * K])


@pytest.mark.slow
def test_warm_start_samples_only_the_new_members(sampled_regressor):
    reg, X, y = sampled_regressor
    warm = clone(reg).set_params(warm_start=True).fit(X, y)
    warm.set_params(n_estimators=4).fit(X, y)
    fresh = clone(reg).set_params(n_estimators=4).fit(X, y)
    for a, b in zip(_leaves(warm.posterior_params_), _leaves(fresh.posterior_params_)):
        assert_array_equal(a, b)
    with pytest.raises(ValueError, match="posterior_samples"):
        warm.set_params(n_estimators=5, posterior_samples=K + 1).fit(X, y)


@pytest.mark.slow
def test_n_jobs_does_not_change_the_samples(sampled_regressor):
    reg, X, y = sampled_regressor
    one = clone(reg).set_params(n_estimators=4, n_jobs=1).fit(X, y)
    two = clone(reg).set_params(n_estimators=4, n_jobs=2).fit(X, y)
    for a, b in zip(_leaves(one.posterior_params_), _leaves(two.posterior_params_)):
        assert_array_equal(a, b)


@pytest.mark.slow
def test_pickle_keeps_the_samples(sampled_regressor):
    reg, X, _ = sampled_regressor
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict_dist(X).std(), reg.predict_dist(X).std())


@pytest.mark.slow
def test_classifier_mixes_every_sample():
    X, y = _toy_classification()
    clf = DeepEnsembleClassifier(n_estimators=2, posterior_samples=K, **SMALL)
    clf.fit(X, y)
    members = clf.predict_members(X).proba
    assert members.shape == (2 * K, len(X), 2)
    assert_allclose(clf.predict_proba(X), members.mean(axis=0), rtol=1e-10)
    u = clf.predict_uncertainty(X)
    entropy = -np.sum(members * np.log(members), axis=-1).mean(axis=0)
    assert_allclose(u.aleatoric, entropy, rtol=1e-6, atol=1e-12)
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize(
    "estimator, loss",
    [(DeepEnsembleRegressor, "squared_error"), (DeepEnsembleClassifier, "brier")],
)
def test_a_loss_without_likelihood_cannot_sample(estimator, loss):
    X, y = _toy_classification()
    if estimator is DeepEnsembleRegressor:
        y = X[:, 0]
    with pytest.raises(ValueError, match="needs a likelihood loss"):
        estimator(posterior_samples=2, loss=loss, **SMALL).fit(X, y)


def test_partial_fit_refuses_to_sample():
    X, y = _toy_regression()
    reg = DeepEnsembleRegressor(posterior_samples=2, **SMALL)
    with pytest.raises(ValueError, match="partial_fit does not sample"):
        reg.partial_fit(X, y)
    assert not hasattr(reg, "params_")


@pytest.mark.parametrize(
    "key, value",
    [("posterior_samples", 2), ("numeric_embedding", "piecewise_linear")],
)
def test_a_fit_pickled_before_the_key_warm_starts_as_its_default(key, value):
    """A signature without the key: the members were plain and unsampled."""
    X, y = _toy_regression()
    reg = DeepEnsembleRegressor(n_estimators=2, warm_start=True, **SMALL).fit(X, y)
    del reg._fit_signature[key]
    with pytest.raises(ValueError, match=f"{key}=.*got {key}={value!r}"):
        reg.set_params(n_estimators=3, **{key: value}).fit(X, y)
    assert len(reg.params_[0][0]) == 2
    reg.set_params(**{key: 0 if key == "posterior_samples" else None}).fit(X, y)
    assert len(reg.params_[0][0]) == 3


def test_log_posterior_is_the_penalised_log_likelihood():
    """-weight_total x the objective: the sum of the NLL plus alpha's prior."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 2)).astype(np.float32)
    t = rng.normal(size=(10, 1)).astype(np.float32)
    w = np.ones(10, np.float32)
    params = (
        (rng.normal(size=(2, 3)).astype(np.float32), np.zeros(3, np.float32)),
        (rng.normal(size=(3, 2)).astype(np.float32), np.zeros(2, np.float32)),
    )
    alpha = 0.7
    hyper = training.Hyperparams(
        alpha=np.float32(alpha), weight_total=np.float32(10.0),
        adversarial_step=np.zeros(2, np.float32), beta=np.float32(0.5),
        tol=np.float32(0), patience=np.float32(1), decay_patience=np.float32(1),
        decay_factor=np.float32(1), max_decays=np.int32(0),
        refine_patience=np.float32(1),
    )  # fmt: skip
    config = training.TrainConfig("gaussian_nll", "relu", True, False)
    value = float(sampling.log_posterior(params, x, t, w, hyper, config))
    hidden = np.maximum(x @ params[0][0], 0.0)
    out = hidden @ params[1][0]
    sigma = np.log1p(np.exp(out[:, 1])) + 1e-6
    nll = (
        0.5 * np.log(2 * np.pi)
        + np.log(sigma)
        + (t[:, 0] - out[:, 0]) ** 2 / (2 * sigma**2)
    )
    prior = 0.5 * alpha * sum(np.sum(layer[0] ** 2) for layer in params)
    # Neither beta nor FGSM enters the posterior.
    assert_allclose(value, -(nll.sum() + prior), rtol=1e-5)


@pytest.mark.slow
def test_the_samplers_programs_are_bounded_like_the_trainers(monkeypatch):
    X, y = _toy_regression()
    reg = DeepEnsembleRegressor(n_estimators=2, posterior_samples=K, **SMALL)
    reg.fit(X, y)
    assert sampling._sample_members_jit._cache_size() >= 1
    calls = []
    monkeypatch.setattr(training.jax, "clear_caches", lambda: calls.append(1))
    monkeypatch.setattr(training, "MAX_COMPILED_PROGRAMS", 0)
    clone(reg).fit(X, y)
    # Once before the trainer, once before the sampler.
    assert len(calls) == 2


@pytest.mark.slow
def test_samples_that_run_off_raise_the_samplers_message(monkeypatch):
    """The check of the members' means also guards the samples, with its own advice."""
    from skdeepens._ensemble import _base

    X, y = _toy_regression()
    reg = DeepEnsembleRegressor(n_estimators=2, posterior_samples=K, **SMALL)
    # Every trained member passes; any sample is then held to an impossible bound.
    checked = _base._BaseDeepEnsemble._check_outputs_in_range

    def strict_for_samples(self, params, X, prior, *, samples_per_member=0):
        if samples_per_member:
            monkeypatch.setattr(_base, "_BLOW_UP_MEAN", 0.0)
        return checked(self, params, X, prior, samples_per_member=samples_per_member)

    monkeypatch.setattr(
        _base._BaseDeepEnsemble, "_check_outputs_in_range", strict_for_samples
    )
    with pytest.raises(
        ValueError, match=r"sampling ran off: samples of member\(s\) \[0, 1\]"
    ):
        reg.fit(X, y)
    assert not hasattr(reg, "params_")
