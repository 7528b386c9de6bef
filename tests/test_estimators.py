"""Behaviour both estimators share: one test each, run on the regressor and the
classifier through the ``case`` fixture of conftest.py."""

import pickle

import numpy as np
import pytest
from _helpers import CASES
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# Every prediction method an estimator of either kind may have.
PREDICTIONS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "predict_uncertainty",
    "predict_members",
)


def _predictions(estimator, X):
    """Every prediction of ``estimator`` at X, as a flat dict of arrays."""
    out = {}
    for method in PREDICTIONS:
        if not hasattr(estimator, method):
            continue
        value = getattr(estimator, method)(X)
        if isinstance(value, dict):
            for key, array in value.items():
                if array is not None and not isinstance(array, str):
                    out[f"{method}.{key}"] = np.asarray(array)
        else:
            out[method] = np.asarray(value)
    return out


@pytest.fixture(scope="module")
def fitted(case):
    X, y = case.data
    return case.Estimator(**case.quick).fit(X, y)


def test_same_random_state_same_predictions_and_different_states_differ(case, fitted):
    X, y = case.data
    again = case.Estimator(**case.quick).fit(X, y)
    other = case.Estimator(**{**case.quick, "random_state": 1}).fit(X, y)
    for key, value in _predictions(fitted, X).items():
        np.testing.assert_array_equal(_predictions(again, X)[key], value)
    key = "predict" if case.name == "regressor" else "predict_proba"
    assert not np.allclose(_predictions(other, X)[key], _predictions(fitted, X)[key])


@CASES
def test_members_do_not_depend_on_the_ensemble_size(case, fitted):
    X, y = case.data
    five = case.Estimator(**{**case.quick, "n_estimators": 5}).fit(X, y)
    for (w3, b3), (w5, b5) in zip(fitted.params_, five.params_):
        assert w5.shape[0] == 5
        np.testing.assert_allclose(w3, w5[:3], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b3, b5[:3], rtol=1e-5, atol=1e-6)
    # ... and they are different networks.
    assert not np.allclose(five.params_[0][0][0], five.params_[0][0][1])


@CASES
def test_warm_start_trains_only_new_members_and_matches_a_fresh_fit(case):
    X, y = case.data
    est = case.Estimator(**{**case.quick, "n_estimators": 2, "warm_start": True})
    est.fit(X, y)
    first_two = [w.copy() for w, _ in est.params_]
    est.set_params(n_estimators=4).fit(X, y)
    fresh = case.Estimator(**{**case.quick, "n_estimators": 4}).fit(X, y)
    for w_before, (w_warm, b_warm), (w_fresh, b_fresh) in zip(
        first_two, est.params_, fresh.params_
    ):
        assert w_warm.shape[0] == 4
        np.testing.assert_array_equal(w_warm[:2], w_before)
        np.testing.assert_allclose(w_warm, w_fresh, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b_warm, b_fresh, rtol=1e-5, atol=1e-6)
    assert est.loss_curve_.shape == (case.quick["max_iter"], 4)
    warm, cold = _predictions(est, X), _predictions(fresh, X)
    for key in ("predict_members.loc", "predict_members.proba"):
        if key in warm:
            np.testing.assert_allclose(warm[key], cold[key], rtol=1e-5, atol=1e-5)

    with pytest.warns(UserWarning, match="without increasing n_estimators"):
        est.fit(X, y)
    with pytest.raises(ValueError, match="must be at least the number of members"):
        est.set_params(n_estimators=1).fit(X, y)
    if case.name == "classifier":
        with pytest.raises(ValueError, match="classes of the first fit"):
            est.set_params(n_estimators=5).fit(X, y + 1)


@CASES
def test_warm_start_with_a_random_state_instance_reuses_the_first_seed(case):
    X, y = case.data
    params = {**case.quick, "n_estimators": 1, "warm_start": True}
    est = case.Estimator(**{**params, "random_state": np.random.RandomState(3)})
    est.fit(X, y).set_params(n_estimators=2).fit(X, y)
    assert not np.allclose(est.params_[0][0][0], est.params_[0][0][1])


@CASES
def test_pipeline_grid_search_over_size_and_epsilon_refits(case):
    X, y = case.data
    pipe = make_pipeline(StandardScaler(), case.Estimator(**case.quick))
    step = pipe.steps[-1][0]
    grid = GridSearchCV(
        pipe,
        {f"{step}__n_estimators": [1, 2], f"{step}__adversarial_epsilon": [None, 0.01]},
        scoring=case.scoring,
        cv=3,
        error_score="raise",
    ).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert scores.shape == (4,)
    assert np.all(np.isfinite(scores))
    best = grid.best_estimator_[-1]
    assert best.params_[0][0].shape[0] == grid.best_params_[f"{step}__n_estimators"]
    assert grid.predict(X).shape == y.shape
    if case.name == "classifier":
        assert np.all(scores < 0)
        np.testing.assert_array_equal(best.classes_, [0, 1, 2])
        assert grid.predict_proba(X).shape == (len(X), 3)
        assert grid.score(X, y) > -0.5


def test_pickle_round_trip_predicts_identically(case, fitted):
    X, _ = case.data
    restored = pickle.loads(pickle.dumps(fitted))
    if case.name == "classifier":
        np.testing.assert_array_equal(restored.classes_, fitted.classes_)
    expected = _predictions(fitted, X)
    assert "predict_members.loc" in expected or "predict_proba" in expected
    for key, value in _predictions(restored, X).items():
        np.testing.assert_array_equal(value, expected[key])
    # Fitted state is NumPy: nothing of JAX inside.
    for w, b in fitted.params_:
        assert type(w) is np.ndarray and type(b) is np.ndarray


def test_predict_members_is_the_mixture(case, fitted):
    X, _ = case.data
    members = fitted.predict_members(X)
    if case.name == "regressor":
        assert members.loc.shape == members.scale.shape == (3, len(X))
        assert members.family == "gaussian"
        np.testing.assert_allclose(members.loc.mean(axis=0), fitted.predict(X))
        np.testing.assert_allclose(members.std, members.scale)  # Gaussian members
        dist = fitted.predict_dist(X)
        np.testing.assert_array_equal(dist.members.loc, members.loc)
        np.testing.assert_array_equal(dist.members.scale, members.scale)
    else:
        assert members.proba.shape == (3, len(X), 3)
        np.testing.assert_allclose(members.proba.sum(axis=-1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(
            members.proba.mean(axis=0), fitted.predict_proba(X), rtol=1e-12
        )
