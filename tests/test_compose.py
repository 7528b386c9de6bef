"""Scorers and uncertainty methods through Pipelines, searches and target transforms."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from _helpers import QUICK as _QUICK
from scipy import special, stats
from sklearn.compose import TransformedTargetRegressor
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    KFold,
    RandomizedSearchCV,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, QuantileTransformer, StandardScaler

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens.compose import (
    predict_dist,
    predict_interval,
    predict_quantiles,
    predict_uncertainty,
)
from skdeepens.datasets import make_cubic
from skdeepens.metrics import (
    mixture_crps_loss,
    mixture_nll_loss,
    neg_crps_scorer,
    neg_nll_scorer,
)

QUICK = {**_QUICK, "max_iter": 30}


@pytest.fixture(scope="module")
def cubic():
    return make_cubic(n_samples=40, random_state=0)


@pytest.fixture(scope="module")
def pipe(cubic):
    X, y = cubic
    return make_pipeline(StandardScaler(), DeepEnsembleRegressor(**QUICK)).fit(X, y)


def _hand_nll(y, loc, scale):
    """Mean NLL of a uniform Gaussian mixture, straight from scipy."""
    log_member = stats.norm.logpdf(y, loc=loc, scale=scale)
    return -np.mean(special.logsumexp(log_member, axis=0) - np.log(len(loc)))


@pytest.mark.slow
def test_readme_search_scores_every_candidate_by_its_held_out_nll(cubic):
    X, y = cubic
    search = GridSearchCV(
        make_pipeline(
            StandardScaler(), DeepEnsembleRegressor(random_state=0, max_iter=10)
        ),
        {
            "deepensembleregressor__n_estimators": [1, 5],
            "deepensembleregressor__adversarial_epsilon": [None, 0.01],
        },
        scoring=neg_nll_scorer,
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Scoring failed" is an error
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    # The best candidate's fold scores, recomputed by hand from its members.
    best = search.best_index_
    assert scores[best] == np.max(scores)
    for fold, (train, test) in enumerate(KFold(3).split(X)):
        model = sklearn.clone(search.estimator).set_params(**search.best_params_)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
            model.fit(X[train], y[train])
        members = model[-1].predict_dist(model[0].transform(X[test])).members
        expected = -_hand_nll(y[test], members.loc, members.scale)
        got = search.cv_results_[f"split{fold}_test_score"][best]
        np.testing.assert_allclose(got, expected, rtol=1e-10)
    # The search and its best estimator score as the refitted pipeline.
    assert neg_nll_scorer(search, X, y) == neg_nll_scorer(search.best_estimator_, X, y)


def test_scorers_on_a_pipeline_are_the_last_steps_mixture_scores(cubic, pipe):
    X, y = cubic
    Xt = pipe[0].transform(X)
    members = pipe[-1].predict_dist(Xt).members
    np.testing.assert_allclose(
        neg_nll_scorer(pipe, X, y), -_hand_nll(y, members.loc, members.scale)
    )
    assert neg_crps_scorer(pipe, X, y) == -mixture_crps_loss(
        y, pipe[-1].predict_dist(Xt)
    )


@pytest.mark.slow
@pytest.mark.parametrize("scorer", [neg_nll_scorer, neg_crps_scorer])
def test_scorers_in_randomized_halving_search_and_cross_validate(cubic, scorer):
    X, y = cubic
    grid = {"deepensembleregressor__n_estimators": [1, 2]}
    base = make_pipeline(StandardScaler(), DeepEnsembleRegressor(**QUICK))
    searches = [
        RandomizedSearchCV(base, grid, n_iter=2, scoring=scorer, cv=2, random_state=0),
        HalvingGridSearchCV(base, grid, scoring=scorer, cv=2, min_resources=20),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        for search in searches:
            search.fit(X, y)
            assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
            assert np.isfinite(scorer(search, X, y))
        # Nested: cross_validate scores a search through its best estimator,
        # next to a built-in scorer.
        result = cross_validate(
            searches[0], X, y, cv=2, scoring={"proper": scorer, "r2": "r2"}
        )
    assert np.all(np.isfinite(result["test_proper"]))
    assert np.all(result["test_proper"] < 0)


def test_scorers_route_sample_weights(cubic):
    X, y = cubic
    weights = np.linspace(0.1, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = copy.deepcopy(neg_nll_scorer).set_score_request(sample_weight=True)
        est = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            DeepEnsembleRegressor(**QUICK).set_fit_request(sample_weight=False),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
            result = cross_validate(
                est,
                X,
                y,
                cv=3,
                scoring=scorer,
                params={"sample_weight": weights},
                return_estimator=True,
                return_indices=True,
            )
    folds = zip(result["estimator"], result["indices"]["test"], result["test_score"])
    for model, test, score in folds:
        dist = predict_dist(model, X[test])
        weighted = -mixture_nll_loss(y[test], dist, sample_weight=weights[test])
        assert score == pytest.approx(weighted, rel=1e-12)
        assert score != pytest.approx(-mixture_nll_loss(y[test], dist), rel=1e-6)
    # The module's scorer is left unrouted.
    assert neg_nll_scorer is not scorer


@pytest.mark.parametrize("scorer", [neg_nll_scorer, neg_crps_scorer])
def test_scorers_reject_estimators_without_a_distribution(cubic, scorer):
    X, y = cubic
    linear = LinearRegression().fit(X, y)
    with pytest.raises(TypeError, match="got LinearRegression, which cannot"):
        scorer(linear, X, y)
    pipe = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    with pytest.raises(TypeError, match="Pipeline -> LinearRegression"):
        scorer(pipe, X, y)
    with pytest.raises(TypeError, match=repr(scorer)):
        cross_validate(LinearRegression(), X, y, scoring=scorer, error_score="raise")


def test_uncertainty_methods_through_a_pipeline(cubic, pipe):
    X, _ = cubic
    Xt = pipe[0].transform(X)
    last = pipe[-1]
    np.testing.assert_array_equal(
        predict_dist(pipe, X).members.loc, last.predict_dist(Xt).members.loc
    )
    for key, value in predict_uncertainty(pipe, X).items():
        np.testing.assert_array_equal(value, last.predict_uncertainty(Xt)[key])
    np.testing.assert_array_equal(
        predict_interval(pipe, X, coverage=[0.5, 0.9]),
        last.predict_interval(Xt, coverage=[0.5, 0.9]),
    )
    np.testing.assert_array_equal(
        predict_quantiles(pipe, X), last.predict_quantiles(Xt)
    )
    # Pipeline.predict already forwards return_std to the last step.
    mean, std = pipe.predict(X, return_std=True)
    np.testing.assert_allclose(std, predict_dist(pipe, X).std())


def test_predict_uncertainty_of_a_classifier_pipeline():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    pipe = make_pipeline(StandardScaler(), DeepEnsembleClassifier(**QUICK))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        pipe.fit(X, y)
    u = predict_uncertainty(pipe, X)
    expected = pipe[-1].predict_uncertainty(pipe[0].transform(X))
    np.testing.assert_array_equal(u.total, expected.total)
    with pytest.raises(TypeError, match="DeepEnsembleClassifier"):
        predict_dist(pipe, X)


@pytest.mark.parametrize("transformer", [None, StandardScaler(), MinMaxScaler()])
def test_affine_target_transform_maps_the_mixture(cubic, transformer):
    X, y = cubic
    ttr = TransformedTargetRegressor(
        DeepEnsembleRegressor(**QUICK), transformer=transformer
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        ttr.fit(X, y)
    dist = predict_dist(ttr, X)
    inner = ttr.regressor_.predict_dist(X)
    # The mixture in the original units: each member mapped back by y = a z + b.
    back = ttr.transformer_.inverse_transform
    np.testing.assert_allclose(dist.mean(), ttr.predict(X))
    for q in (0.1, 0.5, 0.9):
        np.testing.assert_allclose(
            dist.ppf(q), back(inner.ppf(q)[:, None])[:, 0], rtol=1e-7, atol=1e-9
        )
    u = predict_uncertainty(ttr, X)
    np.testing.assert_allclose(u.mean, ttr.predict(X))
    np.testing.assert_allclose(u.total_var, dist.var(), rtol=1e-12)
    assert np.isfinite(neg_nll_scorer(ttr, X, y))


def test_a_quantile_target_transform_maps_quantiles_but_has_no_density(cubic):
    X, y = cubic
    ttr = TransformedTargetRegressor(
        DeepEnsembleRegressor(**QUICK), transformer=QuantileTransformer(n_quantiles=20)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        ttr.fit(X, y)
    inner = ttr.regressor_.predict_dist(X)
    back = ttr.transformer_.inverse_transform
    np.testing.assert_allclose(
        predict_quantiles(ttr, X, alpha=0.8), back(inner.ppf(0.8)[:, None])[:, 0]
    )
    with pytest.raises(ValueError, match="logpdf is not available through Quantile"):
        neg_nll_scorer(ttr, X, y)
    with pytest.raises(TypeError, match="only an affine transform"):
        predict_uncertainty(ttr, X)


def test_scorer_on_a_point_loss_explains_why_there_is_no_distribution(cubic):
    X, y = cubic
    reg = DeepEnsembleRegressor(loss="squared_error", **QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        reg.fit(X, y)
    with pytest.raises(ValueError, match="loss='squared_error'.*no scale"):
        neg_nll_scorer(reg, X, y)


def test_scorers_pickle_and_keep_their_names(cubic, pipe):
    X, y = cubic
    for scorer in (neg_nll_scorer, neg_crps_scorer):
        copied = pickle.loads(pickle.dumps(scorer))
        assert repr(copied) == repr(scorer)
        assert copied(pipe, X, y) == scorer(pipe, X, y)
