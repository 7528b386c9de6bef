"""Numeric feature embeddings (issue 19, item 1): ``numeric_embedding``.

The host-side piecewise-linear bins (:mod:`skdeepens._ensemble._embeddings`),
the members' periodic layer (:mod:`skdeepens._core.network`), and their
wiring through fit, prediction, warm starts, partial_fit, pickling and FGSM.
"""

import pickle

import jax.numpy as jnp
import numpy as np
import pytest
from _helpers import QUICK, QUICK_CLASSIFIER, QUICK_SMALL
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._core import network, training
from skdeepens._ensemble import _embeddings
from skdeepens._ensemble._embeddings import (
    NO_EMBEDDING,
    PERIODIC_FREQUENCIES,
    PIECEWISE_LINEAR_BINS,
    fit_numeric_embedding,
    weighted_quantile_edges,
)

KINDS = ["piecewise_linear", "periodic"]


def _steps(n=300, seed=0):
    """A target of thresholds (the signal trees find and plain MLPs smooth)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = 2.0 * (X[:, 0] > 0.3) + np.sin(X[:, 1]) + 0.1 * rng.normal(size=n)
    return X, y


# ------------------------------------------------------- piecewise-linear bins


def test_weighted_quantile_edges_equal_repeated_rows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    counts = rng.integers(1, 4, size=40)
    weighted = weighted_quantile_edges(X, counts.astype(float), 8)
    repeated = weighted_quantile_edges(
        np.repeat(X, counts, axis=0), np.ones(counts.sum()), 8
    )
    assert_array_equal(weighted, repeated)
    assert weighted.shape == (2, 9)
    assert np.all(np.diff(weighted, axis=1) >= 0)
    assert_array_equal(weighted[:, 0], X.min(axis=0))
    assert_array_equal(weighted[:, -1], X.max(axis=0))


def test_piecewise_linear_features_rebuild_the_clipped_value():
    """sum_t width_t * e_t(x) = clip(x, b_0, b_T) - b_0: the encoding of x."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2))
    embedding = fit_numeric_embedding("piecewise_linear", X, np.ones(200), 2)
    queries = np.column_stack([np.linspace(-6, 6, 50), np.linspace(6, -6, 50)])
    features = embedding.transform(queries)
    assert features.shape == (50, 2 * PIECEWISE_LINEAR_BINS)
    assert np.all((features >= 0) & (features <= 1))
    features = features.reshape(50, 2, PIECEWISE_LINEAR_BINS)
    widths = np.diff(embedding.edges, axis=1)
    low, high = embedding.edges[:, 0], embedding.edges[:, -1]
    assert_allclose(
        np.sum(features * widths, axis=2), np.clip(queries, low, high) - low
    )
    # 1 for every bin below x, then x's place in its bin, then 0.
    assert np.all(np.diff(features, axis=2) <= 0)


def test_tied_quantiles_carry_one_feature_and_binary_columns_pass_through():
    """A 0/1 numeric column has tied edges: one feature, no constant ones.

    A bin of no width (tied quantiles) is left out as a constant 0, as the
    paper's unique edges would be: were it a step, a column of 0/1 would
    give a dozen features that are 1 on every row, and many such columns
    add a large constant to the first layer that leaves most units dead.
    """
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.integers(0, 2, 100), rng.normal(size=100)])
    X = np.column_stack([X, rng.integers(0, 2, 100)])  # an encoding's 0/1 code
    embedding = fit_numeric_embedding("piecewise_linear", X, np.ones(100), 2)
    features = embedding.transform(X)
    assert features.shape[1] == embedding.dense_inputs(3) == 2 * 16 + 1
    assert np.all(np.isfinite(features))
    assert_array_equal(features[:, -1], X[:, 2])
    # Column 0 is 0 or 1: exactly one of its features varies, and it is x.
    first = features[:, :16]
    varying = first.std(axis=0) > 0
    assert varying.sum() == 1
    assert_array_equal(first[:, varying][:, 0], X[:, 0])
    assert_array_equal(first[:, ~varying], 0.0)
    # The FGSM step of a constant feature is 0.
    assert_array_equal(embedding.input_step(np.full(3, 0.1))[:16][~varying], 0.0)


@pytest.mark.slow
def test_many_binary_columns_still_fit():
    """Forty 0/1 columns (a one-hot frame passed as numbers) fit as well as plain."""
    rng = np.random.default_rng(5)
    X = (rng.uniform(size=(400, 40)) < rng.uniform(0.05, 0.5, 40)).astype(float)
    y = X[:, :5] @ np.array([1.0, -1.0, 0.5, 2.0, -0.5]) + 0.1 * rng.normal(size=400)
    rmse = {}
    for kind in (None, "piecewise_linear"):
        reg = DeepEnsembleRegressor(
            n_estimators=2, numeric_embedding=kind, random_state=0
        ).fit(X, y)
        rmse[kind] = np.sqrt(np.mean((reg.predict(X) - y) ** 2))
    assert rmse["piecewise_linear"] < 2 * rmse[None] + 0.05, rmse


def test_the_fgsm_step_follows_each_bin():
    X = np.random.default_rng(4).normal(size=(100, 1))
    embedding = fit_numeric_embedding("piecewise_linear", X, np.ones(100), 1)
    step = embedding.input_step(np.array([0.01]))
    widths = np.diff(embedding.edges[0])
    assert_allclose(step, np.minimum(0.01 / widths, 1.0))
    assert_array_equal(NO_EMBEDDING.input_step(np.array([0.5, 2.0])), [0.5, 2.0])


# ------------------------------------------------------------ periodic layer


def test_the_numpy_twin_of_the_periodic_network_matches_jax():
    reg = DeepEnsembleRegressor(numeric_embedding="periodic", **QUICK_SMALL)
    X, y = _steps(n=60)
    reg.fit(X, y)
    frequencies, phases = reg.params_[0]
    assert frequencies.shape == phases.shape == (2, 3, PERIODIC_FREQUENCIES)
    x = reg._network_inputs(X).astype(np.float32)
    member = tuple((w[1], b[1]) for w, b in reg.params_)
    by_jax = np.asarray(network.forward(member, jnp.asarray(x), "relu"))
    by_numpy = network.predict_ensemble(reg.params_, x, "relu")[1]
    assert_allclose(by_numpy, by_jax, rtol=1e-4, atol=1e-4)


def test_periodic_frequencies_are_learned_and_not_penalised():
    params = (
        (np.full((2, 4), 3.0), np.zeros((2, 4))),  # a periodic layer
        (np.ones((8, 5)), np.zeros(5)),
    )
    assert network.is_periodic_layer(*params[0])
    assert not network.is_periodic_layer(*params[1])
    assert float(network.weight_sq_norm(params)) == 40.0
    reg = DeepEnsembleRegressor(numeric_embedding="periodic", **QUICK_SMALL)
    reg.fit(*_steps(n=60))
    init = clone(reg).set_params(max_iter=1)
    init.fit(*_steps(n=60))
    assert not np.allclose(reg.params_[0][0], init.params_[0][0])


# ------------------------------------------------------------------ estimators


@pytest.mark.parametrize("kind", KINDS)
def test_members_own_their_embedding_and_do_not_depend_on_m(kind):
    X, y = _steps(n=80)
    two = DeepEnsembleRegressor(numeric_embedding=kind, **QUICK_SMALL).fit(X, y)
    three = clone(two).set_params(n_estimators=3).fit(X, y)
    for (w2, b2), (w3, b3) in zip(two.params_, three.params_):
        assert_array_equal(w2, w3[:2])
        assert_array_equal(b2, b3[:2])
    assert not np.array_equal(two.params_[0][0][0], two.params_[0][0][1])


def test_none_is_the_plain_network():
    X, y = _steps(n=80)
    reg = DeepEnsembleRegressor(**QUICK_SMALL).fit(X, y)
    assert reg._numeric_embedding is NO_EMBEDDING
    assert reg.params_[0][0].shape == (2, 3, 16)
    X_std = (X - reg._x_mean) / reg._x_scale
    assert_array_equal(reg._network_inputs(X), X_std)


@pytest.mark.parametrize("kind", [None, *KINDS])
def test_far_rows_get_bounded_means_and_more_epistemic(kind):
    """Issue 19, item 3: a feature far outside its range, a mean inside the targets.

    The plain members (``None``) are bounded by the input clip, the
    embeddings by their own features as well.
    """
    X, y = _steps(n=300)
    reg = DeepEnsembleRegressor(
        numeric_embedding=kind, **{**QUICK, "n_estimators": 5, "max_iter": 150}
    ).fit(X, y)
    far = np.zeros((40, 3))
    far[:, 0] = np.linspace(-1e4, 1e4, 40)
    far[:, 1] = np.linspace(50, -50, 40)
    mean = reg.predict(far)
    margin = 3 * np.std(y)
    assert np.all(mean > y.min() - margin) and np.all(mean < y.max() + margin)
    near = reg.predict_uncertainty(X[:40])["epistemic_var"]
    away = reg.predict_uncertainty(far)["epistemic_var"]
    assert np.median(away) > np.median(near)


def test_inputs_are_clipped_one_std_past_the_training_range():
    """The clip: nothing changes on the data; past the margin, a row is its edge."""
    X, y = _steps(n=300)
    reg = DeepEnsembleRegressor(**QUICK_SMALL).fit(X, y)
    assert_array_equal(reg._network_inputs(X), (X - reg._x_mean) / reg._x_scale)
    # One training standard deviation past each column's maximum (minimum).
    upper = X.max(axis=0) + reg._x_scale
    lower = X.min(axis=0) - reg._x_scale
    for edge, outward in ((upper, 1.0), (lower, -1.0)):
        far = edge + outward * np.array([1e4, 30.0, 2.0])
        assert_allclose(reg.predict(far[None]), reg.predict(edge[None]), rtol=1e-5)
        inside = edge - outward * 0.5 * reg._x_scale
        assert not np.allclose(reg.predict(inside[None]), reg.predict(edge[None]))


def test_the_classifier_clips_its_inputs_too():
    X, y = _steps(n=200)
    clf = DeepEnsembleClassifier(**QUICK_SMALL).fit(X, y > 1.0)
    edge = X.max(axis=0) + clf._x_scale
    assert_allclose(
        clf.predict_proba((edge + 1e6)[None]), clf.predict_proba(edge[None]), rtol=1e-5
    )


def test_an_estimator_pickled_before_the_clip_is_not_clipped():
    X, y = _steps(n=80)
    reg = DeepEnsembleRegressor(**QUICK_SMALL).fit(X, y)
    del reg._x_std_bounds
    far = np.array([[1e3, 0.0, 0.0]])
    assert_array_equal(reg._network_inputs(far), (far - reg._x_mean) / reg._x_scale)


@pytest.mark.parametrize("kind", KINDS)
def test_warm_start_and_pickle_keep_the_embedding(kind):
    X, y = _steps(n=80)
    reg = DeepEnsembleRegressor(numeric_embedding=kind, warm_start=True, **QUICK_SMALL)
    reg.fit(X, y)
    embedding = reg._numeric_embedding
    reg.set_params(n_estimators=3).fit(X[:50], y[:50])
    assert reg._numeric_embedding is embedding
    fresh = clone(reg).set_params(warm_start=False).fit(X, y)
    assert_array_equal(reg.params_[0][0][:2], fresh.params_[0][0][:2])
    restored = pickle.loads(pickle.dumps(reg))
    assert_array_equal(restored.predict(X), reg.predict(X))
    with pytest.raises(ValueError, match="numeric_embedding"):
        reg.set_params(n_estimators=4, numeric_embedding=None).fit(X, y)


def test_partial_fit_fits_the_bins_on_its_first_call():
    X, y = _steps(n=120)
    reg = DeepEnsembleRegressor(numeric_embedding="piecewise_linear", **QUICK_SMALL)
    reg.partial_fit(X[:60], y[:60])
    edges = reg._numeric_embedding.edges.copy()
    reg.partial_fit(X[60:], y[60:])
    assert_array_equal(reg._numeric_embedding.edges, edges)
    assert np.all(np.isfinite(reg.predict(X)))


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_data_set_of_the_same_shape_compiles_nothing(kind):
    X, y = _steps(n=100)
    reg = DeepEnsembleRegressor(numeric_embedding=kind, **QUICK_SMALL).fit(X, y)
    before = training.trainer_cache_size()
    X2, y2 = _steps(n=100, seed=7)
    clone(reg).fit(3 * X2 + 1, y2)
    assert training.trainer_cache_size() == before


@pytest.mark.parametrize("kind", KINDS)
def test_the_classifier_embeds_a_frame_with_categories(kind):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], size=150),
            "size": rng.normal(size=150),
        }
    )
    frame.loc[::7, "size"] = np.nan
    labels = np.where(
        (frame["size"].fillna(0) > 0.5) | (frame["colour"] == "red"), 1, 0
    )
    clf = DeepEnsembleClassifier(numeric_embedding=kind, **QUICK_CLASSIFIER)
    clf.fit(frame, labels)
    assert clf._numeric_embedding.n_numeric == 1
    proba = clf.predict_proba(frame)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(clf.predict(frame) == labels) > 0.8


@pytest.mark.parametrize("kind", KINDS)
def test_fgsm_trains_through_the_embedding(kind):
    X, y = _steps(n=80)
    reg = DeepEnsembleRegressor(
        numeric_embedding=kind, adversarial_epsilon=0.01, **QUICK_SMALL
    ).fit(X, y)
    assert np.all(np.isfinite(reg.predict(X)))


def test_the_parameter_docs_state_the_constants():
    from skdeepens._ensemble._docs import _COMMON_PARAMETERS_DOC

    doc = " ".join(_COMMON_PARAMETERS_DOC.split())
    assert f"{PIECEWISE_LINEAR_BINS} features on weighted quantile bins" in doc
    assert f"{PERIODIC_FREQUENCIES} features ``cos(2 pi c x + phi)``" in doc
    assert f"standard deviation {_embeddings.PERIODIC_INIT_SIGMA}" in doc
