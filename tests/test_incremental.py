"""Data beyond memory: dask-ml's Incremental, and compose through such wrappers.

The default tests use a stand-in wrapper and a stand-in dask collection, so
that they need neither dask nor a new fit; the slow tests run dask-ml's
Incremental on a LocalCluster.
"""

import numpy as np
import pytest
from _helpers import QUICK, local_cluster
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from skdeepens import DeepEnsembleRegressor
from skdeepens.compose import (
    predict_dist,
    predict_interval,
    predict_quantiles,
    predict_uncertainty,
)
from skdeepens.metrics import neg_crps_scorer, neg_nll_scorer


class _Keeper(BaseEstimator):
    """A wrapper that keeps the estimator it fits as ``estimator_``.

    As dask-ml's Incremental does, with none of its dask machinery.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X, y)
        return self


class _Lazy:
    """A stand-in for a dask array: the dask protocol's ``__dask_graph__`` and
    a ``compute`` that returns the NumPy array."""

    def __init__(self, array):
        self.array = array
        self.computed = 0

    def __dask_graph__(self):
        return {}

    def compute(self):
        self.computed += 1
        return self.array


@pytest.fixture(scope="module")
def fitted(cubic):
    return DeepEnsembleRegressor(**QUICK).fit(*cubic)


def _kept(estimator):
    """A fitted _Keeper around the already fitted ``estimator``, without a fit."""
    wrapper = _Keeper(clone(estimator))
    wrapper.estimator_ = estimator
    return wrapper


def test_compose_and_scorers_reach_the_estimator_a_wrapper_fitted(cubic, fitted):
    X, y = cubic
    wrapper = _kept(fitted)
    np.testing.assert_array_equal(
        predict_dist(wrapper, X).mean(), fitted.predict_dist(X).mean()
    )
    np.testing.assert_array_equal(
        predict_interval(wrapper, X, 0.8), fitted.predict_interval(X, 0.8)
    )
    np.testing.assert_array_equal(
        predict_quantiles(wrapper, X), fitted.predict_quantiles(X)
    )
    np.testing.assert_array_equal(
        predict_uncertainty(wrapper, X).epistemic_var,
        fitted.predict_uncertainty(X).epistemic_var,
    )
    for scorer in (neg_nll_scorer, neg_crps_scorer):
        assert scorer(wrapper, X, y) == scorer(fitted, X, y)
    # Wrappers nest: the loop resolves one level at a time.
    assert neg_nll_scorer(_kept(wrapper), X, y) == neg_nll_scorer(fitted, X, y)


def test_an_unfitted_wrapper_raises_not_fitted(cubic):
    X, y = cubic
    wrapper = _Keeper(DeepEnsembleRegressor(**QUICK))
    with pytest.raises(NotFittedError, match="unfitted _Keeper: fit it first"):
        predict_interval(wrapper, X)
    with pytest.raises(NotFittedError, match="unfitted _Keeper"):
        neg_nll_scorer(wrapper, X, y)


def test_a_wrapper_of_an_unfitted_template_keeps_the_type_error(cubic):
    # BaggingRegressor keeps an unfitted template as estimator_: that is not the
    # estimator that predicts, so the wrapper stays refused.
    X, _ = cubic
    wrapper = _Keeper(DeepEnsembleRegressor(**QUICK))
    wrapper.estimator_ = clone(wrapper.estimator)
    wrapper.n_features_in_ = X.shape[1]
    with pytest.raises(TypeError, match="got _Keeper, which cannot predict"):
        predict_dist(wrapper, X)


def test_a_dask_collection_is_computed_once_into_memory(cubic, fitted):
    X, y = cubic
    lazy = _Lazy(X)
    lower, upper = predict_interval(_kept(fitted), lazy)
    assert lazy.computed == 1
    np.testing.assert_array_equal(lower, fitted.predict_interval(X)[0])
    assert neg_nll_scorer(fitted, _Lazy(X), y) == neg_nll_scorer(fitted, X, y)


# --- dask-ml's Incremental on a LocalCluster (slow) ---------------------------


@pytest.fixture(scope="module")
def client():
    # One in-process worker with one thread: the CI machine has two cores,
    # and Incremental trains sequentially anyway.
    with local_cluster(n_workers=1, processes=False) as client:
        yield client


def _blocks(X, y, n_blocks=4):
    da = pytest.importorskip("dask.array")
    rows = len(X) // n_blocks
    return (
        da.from_array(X, chunks=(rows, X.shape[1])),
        da.from_array(y, chunks=rows),
    )


@pytest.mark.slow
def test_incremental_is_partial_fit_block_by_block(cubic, client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = cubic
    dX, dy = _blocks(X, y)
    incremental = wrappers.Incremental(
        DeepEnsembleRegressor(**QUICK), shuffle_blocks=False
    ).fit(dX, dy)

    by_hand = DeepEnsembleRegressor(**QUICK)
    for rows in np.array_split(np.arange(len(X)), 4):
        by_hand.partial_fit(X[rows], y[rows])

    fitted = incremental.estimator_
    # One partial_fit call, one epoch, per block, on the blocks in order.
    assert fitted.n_iter_ == 4
    assert fitted.loss_curve_.shape == (4, QUICK["n_estimators"])
    # The same computation on the same rows: exactly equal.
    for (w, b), (w_hand, b_hand) in zip(fitted.params_, by_hand.params_):
        np.testing.assert_array_equal(w, w_hand)
        np.testing.assert_array_equal(b, b_hand)
    np.testing.assert_array_equal(fitted.loss_curve_, by_hand.loss_curve_)
    # The first block alone fixes the standardisation (the user guide's warning).
    first = slice(0, len(X) // 4)
    np.testing.assert_allclose(np.ravel(fitted._x_mean), X[first].mean(axis=0))
    np.testing.assert_allclose(np.ravel(fitted._target_mean), [y[first].mean()])

    # compose and the scorers take the Incremental, and dask inputs.
    for lower, upper in (
        predict_interval(incremental, dX),
        predict_interval(incremental, X),
    ):
        np.testing.assert_array_equal(lower, by_hand.predict_interval(X)[0])
        np.testing.assert_array_equal(upper, by_hand.predict_interval(X)[1])
    assert neg_nll_scorer(incremental, dX, dy) == neg_nll_scorer(by_hand, X, y)
    # dask-ml's own score, through scoring=, on in-memory arrays.
    incremental.set_params(scoring=neg_crps_scorer)
    assert incremental.score(X, y) == neg_crps_scorer(by_hand, X, y)
    # Incremental's own predict maps the blocks, lazily.
    np.testing.assert_array_equal(incremental.predict(dX).compute(), by_hand.predict(X))

    # Incremental.partial_fit continues estimator_: a second pass, one more
    # epoch per block (Incremental.fit would start again from a clone).
    incremental.partial_fit(dX, dy)
    for rows in np.array_split(np.arange(len(X)), 4):
        by_hand.partial_fit(X[rows], y[rows])
    assert incremental.estimator_.n_iter_ == 8
    for (w, _), (w_hand, _) in zip(incremental.estimator_.params_, by_hand.params_):
        np.testing.assert_array_equal(w, w_hand)


@pytest.mark.slow
def test_incremental_classifier_needs_the_classes(blobs, client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    from _helpers import QUICK_CLASSIFIER

    from skdeepens import DeepEnsembleClassifier

    X, y = blobs
    dX, dy = _blocks(X, y, n_blocks=3)
    incremental = wrappers.Incremental(
        DeepEnsembleClassifier(**QUICK_CLASSIFIER), shuffle_blocks=False
    )
    incremental.fit(dX, dy, classes=[0, 1, 2])
    assert incremental.estimator_.n_iter_ == 3
    np.testing.assert_array_equal(incremental.estimator_.classes_, [0, 1, 2])
    entropy = predict_uncertainty(incremental, dX).total
    assert entropy.shape == (len(X),)
