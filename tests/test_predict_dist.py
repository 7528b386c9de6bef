"""The fitted regressor's exact predictive distribution, scorers and MAPIE."""

import numpy as np
import pytest
from _helpers import QUICK
from sklearn.model_selection import GridSearchCV, KFold

from skdeepens import DeepEnsembleRegressor, MixtureDistribution
from skdeepens.metrics import mixture_nll_loss, neg_crps_scorer, neg_nll_scorer


def _heteroscedastic(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n, 1))
    y = np.sin(X[:, 0]) * 3 + (0.2 + 0.5 * np.abs(X[:, 0])) * rng.normal(size=n)
    return X, y


@pytest.mark.parametrize("loss", ["gaussian_nll", "laplace_nll"])
def test_predict_dist_agrees_with_predict_uncertainty(loss):
    X, y = _heteroscedastic(80, 0)
    reg = DeepEnsembleRegressor(loss=loss, **QUICK).fit(X, y)
    dist = reg.predict_dist(X)
    u = reg.predict_uncertainty(X)
    assert isinstance(dist, MixtureDistribution)
    assert dist.n_members == 3 and dist.shape == (80,)
    assert dist.family == loss.split("_")[0]
    np.testing.assert_allclose(dist.mean(), u.mean)
    np.testing.assert_allclose(dist.var(), u.total_var)
    # The moment-matched Gaussian shares the mixture's first two moments.
    matched = dist.moment_matched()
    np.testing.assert_allclose(matched.mean(), u.mean)
    np.testing.assert_allclose(matched.std(), u.total_std)
    lower, upper = dist.interval(0.9)
    assert np.all(lower < u.mean) and np.all(u.mean < upper)


def test_predict_dist_multi_output_and_units():
    X, y = _heteroscedastic(80, 1)
    Y = np.column_stack([y, 1000 + 100 * y])
    dist = DeepEnsembleRegressor(**QUICK).fit(X, Y).predict_dist(X)
    assert dist.shape == (80, 2)
    # The second output lives in units 100 times larger.
    ratio = np.median(dist.std()[:, 1] / dist.std()[:, 0])
    assert 50 < ratio < 200


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error"])
def test_predict_dist_explains_why_point_losses_have_none(loss):
    X, y = _heteroscedastic(40, 0)
    reg = DeepEnsembleRegressor(loss=loss, **QUICK).fit(X, y)
    with pytest.raises(ValueError, match="no scale"):
        reg.predict_dist(X)


def test_nll_and_crps_scorers_on_a_fitted_regressor():
    X, y = _heteroscedastic(120, 2)
    reg = DeepEnsembleRegressor(**QUICK).fit(X, y)
    nll = mixture_nll_loss(y, reg.predict_dist(X))
    assert neg_nll_scorer(reg, X, y) == pytest.approx(-nll)
    assert neg_crps_scorer(reg, X, y) < 0


@pytest.mark.slow
def test_grid_search_with_the_nll_scorer_selects_by_likelihood():
    X, y = _heteroscedastic(150, 3)
    cv = KFold(3, shuffle=True, random_state=0)
    grid = {"n_estimators": [1, 3], "loss": ["gaussian_nll", "laplace_nll"]}
    search = GridSearchCV(
        DeepEnsembleRegressor(**QUICK), grid, scoring=neg_nll_scorer, cv=cv
    ).fit(X, y)
    # Each candidate's score is minus its held-out mixture NLL, fold by fold.
    params = search.cv_results_["params"]
    for i, candidate in enumerate(params):
        folds = []
        for train, test in cv.split(X):
            model = DeepEnsembleRegressor(**{**QUICK, **candidate}).fit(
                X[train], y[train]
            )
            folds.append(-mixture_nll_loss(y[test], model.predict_dist(X[test])))
        np.testing.assert_allclose(
            search.cv_results_["mean_test_score"][i], np.mean(folds), rtol=1e-6
        )
    best = int(np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == params[best]


def test_mapie_conformal_intervals_cover_held_out_data():
    mapie_regression = pytest.importorskip("mapie.regression")
    from mapie.conformity_scores import StdConformityScore

    X, y = _heteroscedastic(1500, 4)
    # 500 training rows, as in test_clients.py's MAPIE tests: one compiled
    # program for both.
    X_train, y_train = X[:500], y[:500]
    X_cal, y_cal = X[600:1000], y[600:1000]
    X_test, y_test = X[1000:], y[1000:]
    mapie = mapie_regression.SplitConformalRegressor(
        DeepEnsembleRegressor(**QUICK),
        confidence_level=0.9,
        conformity_score=StdConformityScore(),
        prefit=False,
    )
    mapie.fit(X_train, y_train).conformalize(X_cal, y_cal)
    _, intervals = mapie.predict_interval(X_test)
    lower, upper = intervals[:, 0, 0], intervals[:, 1, 0]
    coverage = np.mean((y_test >= lower) & (y_test <= upper))
    # Split conformal guarantees >= 90% marginally; 500 test points give a
    # standard error of about 1.3%.
    assert 0.86 <= coverage <= 0.96
    # The std-normalised score keeps the ensemble's adaptivity: intervals are
    # wider where the noise is larger (|x| large).
    width = upper - lower
    assert np.median(width[np.abs(X_test[:, 0]) > 2]) > 1.5 * np.median(
        width[np.abs(X_test[:, 0]) < 1]
    )


def _close(actual, desired):
    # ppf's root search stops within 1e-10 member scales, and (1 - 0.9) / 2
    # is not 0.05 in binary: equal up to that tolerance, not bit for bit.
    np.testing.assert_allclose(actual, desired, rtol=0, atol=1e-8)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_predict_interval_and_quantiles_are_the_mixtures(n_outputs):
    X, y = _heteroscedastic(60, 5)
    Y = y if n_outputs == 1 else np.column_stack([y, 10 * y])
    reg = DeepEnsembleRegressor(**QUICK).fit(X, Y)
    dist = reg.predict_dist(X)
    shape = Y.shape
    lower, upper = reg.predict_interval(X)  # coverage=0.9
    assert lower.shape == upper.shape == shape
    _close(lower, dist.ppf(0.05))
    _close(upper, dist.ppf(0.95))
    lower, upper = reg.predict_interval(X, coverage=[0.5, 0.8])
    assert lower.shape == upper.shape == (*shape, 2)
    for k, c in enumerate([0.5, 0.8]):
        _close(lower[..., k], dist.ppf((1 - c) / 2))
        _close(upper[..., k], dist.ppf((1 + c) / 2))
    quantiles = reg.predict_quantiles(X)
    assert quantiles.shape == (*shape, 3)
    for k, a in enumerate([0.05, 0.5, 0.95]):
        _close(quantiles[..., k], dist.ppf(a))
    assert np.all(np.diff(quantiles, axis=-1) > 0)
    _close(reg.predict_quantiles(X, alpha=0.3), dist.ppf(0.3))


@pytest.mark.parametrize("bad", [0.0, 1.0, [0.5, 1.2], [], [[0.5]], "high", np.nan])
def test_predict_interval_and_quantiles_reject_bad_levels(bad):
    X, y = _heteroscedastic(30, 6)
    reg = DeepEnsembleRegressor(**QUICK).fit(X, y)
    with pytest.raises(ValueError, match="coverage must be a float or"):
        reg.predict_interval(X, coverage=bad)
    with pytest.raises(ValueError, match="alpha must be a float or"):
        reg.predict_quantiles(X, alpha=bad)
