"""Real clients of the estimators: skpro, MAPIE, Dask and uncertainty-toolbox.

Versions tested: skpro 2.16.0, MAPIE 1.6.0, dask and distributed 2026.8.0,
uncertainty-toolbox 0.1.1 (with scikit-learn 1.9.1, joblib 1.6.0).
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from _helpers import QUICK as _QUICK
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens.metrics import (
    gaussian_crps,
    gaussian_nll_loss,
    interval_coverage_score,
    mixture_crps_loss,
    mixture_nll_loss,
    neg_nll_scorer,
    regression_calibration_curve,
    regression_calibration_error,
)

QUICK = {**_QUICK, "max_iter": 30}


def _heteroscedastic(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n, 1))
    y = np.sin(X[:, 0]) * 3 + (0.2 + 0.5 * np.abs(X[:, 0])) * rng.normal(size=n)
    return X, y


def _coverage(y, lower, upper):
    return np.mean((y >= lower) & (y <= upper))


# ---------------------------------------------------------------------------
# skpro
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_outputs", [pytest.param(1, marks=pytest.mark.slow), 2])
def test_skpro_adapter_returns_the_exact_mixture(n_outputs):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("skpro")
    from skpro.distributions import Mixture, Normal

    from skdeepens.skpro import DeepEnsembleProbaRegressor

    X, y = _heteroscedastic(60, 0)
    X = pd.DataFrame(X, columns=["x"], index=np.arange(60) + 100)
    Y = np.column_stack([y, 2 * y])[:, :n_outputs]
    Y = pd.DataFrame(Y, columns=["a", "b"][:n_outputs], index=X.index)
    inner = DeepEnsembleRegressor(**QUICK)
    reg = DeepEnsembleProbaRegressor(inner).fit(X, Y)
    dist = reg.predict_proba(X)
    assert isinstance(dist, Mixture)
    assert list(dist.columns) == list(Y.columns) and dist.index.equals(X.index)
    exact = reg.estimator_.predict_dist(X)
    members = exact.members
    components = [component for _, component in dist._distributions]
    assert len(components) == 3 and all(isinstance(c, Normal) for c in components)
    for component, loc in zip(components, members.loc):
        np.testing.assert_allclose(component.mean().to_numpy().ravel(), loc.ravel())
    with warnings.catch_warnings():
        # skpro's Mixture takes the log of its pdf: the values agree here.
        warnings.simplefilter("ignore", UserWarning)
        skpro_logpdf = dist.log_pdf(Y).to_numpy().ravel()
    logpdf = exact.logpdf(Y.to_numpy()[:, 0] if n_outputs == 1 else Y.to_numpy())
    np.testing.assert_allclose(skpro_logpdf, logpdf.ravel(), rtol=1e-8)
    # Quantiles and intervals are the exact mixture's, in skpro's frames.
    quantiles = reg.predict_quantiles(X, alpha=[0.1, 0.9])
    assert list(quantiles.columns) == [(c, a) for c in Y.columns for a in (0.1, 0.9)]
    np.testing.assert_allclose(
        quantiles.to_numpy(),
        reg.estimator_.predict_quantiles(X, alpha=[0.1, 0.9]).reshape(60, -1),
    )
    interval = reg.predict_interval(X, coverage=0.8)
    lower, upper = reg.estimator_.predict_interval(X, coverage=0.8)
    np.testing.assert_allclose(
        interval.to_numpy()[:, 0], np.reshape(lower, (60, -1))[:, 0]
    )
    np.testing.assert_allclose(
        interval.to_numpy()[:, 1], np.reshape(upper, (60, -1))[:, 0]
    )
    np.testing.assert_allclose(
        reg.predict_var(X).to_numpy().ravel(), exact.var().ravel(), rtol=1e-12
    )


def test_skpro_adapter_laplace_members_and_a_pipeline():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("skpro")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skpro.distributions import Laplace

    from skdeepens.skpro import DeepEnsembleProbaRegressor

    X, y = _heteroscedastic(40, 1)
    X, y = pd.DataFrame(X, columns=["x"]), pd.DataFrame({"y": y})
    pipe = make_pipeline(
        StandardScaler(), DeepEnsembleRegressor(loss="laplace_nll", **QUICK)
    )
    dist = DeepEnsembleProbaRegressor(pipe).fit(X, y).predict_proba(X)
    assert all(isinstance(c, Laplace) for _, c in dist._distributions)


@pytest.mark.slow
def test_skpro_check_estimator_passes():
    pytest.importorskip("skpro")
    from skpro.utils import check_estimator

    from skdeepens.skpro import DeepEnsembleProbaRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(DeepEnsembleProbaRegressor, verbose=False)
    failed = {name: result for name, result in results.items() if result != "PASSED"}
    assert not failed
    assert any(name.startswith("test_pred_quantiles_interval") for name in results)


# ---------------------------------------------------------------------------
# MAPIE
# ---------------------------------------------------------------------------


def _mapie_regression_data():
    X, y = _heteroscedastic(1400, 4)
    return (X[:500], y[:500]), (X[500:900], y[500:900]), (X[900:], y[900:])


def test_mapie_split_conformal_regression_with_std_score():
    mapie_regression = pytest.importorskip("mapie.regression")
    from mapie.conformity_scores import StdConformityScore

    (X_train, y_train), (X_cal, y_cal), (X_test, y_test) = _mapie_regression_data()
    mapie = mapie_regression.SplitConformalRegressor(
        DeepEnsembleRegressor(**QUICK),
        confidence_level=[0.8, 0.9],
        conformity_score=StdConformityScore(),
        prefit=False,
    )
    mapie.fit(X_train, y_train).conformalize(X_cal, y_cal)
    _, intervals = mapie.predict_interval(X_test)
    assert intervals.shape == (500, 2, 2)
    # Split conformal guarantees >= level marginally; 500 test points give a
    # standard error of about 1.5%.
    for k, level in enumerate([0.8, 0.9]):
        coverage = _coverage(y_test, intervals[:, 0, k], intervals[:, 1, k])
        assert level - 0.05 <= coverage <= level + 0.06


@pytest.mark.slow
def test_mapie_cross_conformal_regression_with_std_score():
    mapie_regression = pytest.importorskip("mapie.regression")
    from mapie.conformity_scores import StdConformityScore

    (X_train, y_train), (X_cal, y_cal), (X_test, y_test) = _mapie_regression_data()
    X_fit, y_fit = np.vstack([X_train, X_cal]), np.concatenate([y_train, y_cal])
    mapie = mapie_regression.CrossConformalRegressor(
        DeepEnsembleRegressor(**QUICK),
        confidence_level=0.9,
        conformity_score=StdConformityScore(),
        method="plus",
        cv=3,
    )
    mapie.fit_conformalize(X_fit, y_fit)
    _, intervals = mapie.predict_interval(X_test)
    coverage = _coverage(y_test, intervals[:, 0, 0], intervals[:, 1, 0])
    # CV+ guarantees >= 1 - 2 alpha = 0.8, and is near 0.9 in practice.
    assert 0.85 <= coverage <= 0.96
    # The std-normalised score keeps the ensemble's adaptivity.
    width = intervals[:, 1, 0] - intervals[:, 0, 0]
    noisy, quiet = np.abs(X_test[:, 0]) > 2, np.abs(X_test[:, 0]) < 1
    assert np.median(width[noisy]) > 1.5 * np.median(width[quiet])


def test_mapie_conformal_prediction_sets_for_the_classifier():
    mapie_classification = pytest.importorskip("mapie.classification")
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])
    labels = rng.integers(3, size=1200)
    X = centres[labels] + rng.normal(scale=0.9, size=(1200, 2))
    y = np.array(["a", "b", "c"])[labels]
    mapie = mapie_classification.SplitConformalClassifier(
        DeepEnsembleClassifier(**QUICK),
        confidence_level=0.9,
        conformity_score="lac",
        prefit=False,
    )
    mapie.fit(X[:400], y[:400]).conformalize(X[400:700], y[400:700])
    _, sets = mapie.predict_set(X[700:])
    classes = list(np.unique(y))  # the columns of the sets, scikit-learn's order
    truth = np.array([classes.index(label) for label in y[700:]])
    covered = sets[np.arange(500), truth, 0]
    assert 0.85 <= covered.mean() <= 0.96
    # The classes overlap: some sets must hold more than one label.
    assert sets[:, :, 0].sum(axis=1).max() >= 2


# ---------------------------------------------------------------------------
# Dask
# ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("processes", [False, True])
def test_grid_search_on_a_dask_cluster_matches_the_sequential_one(
    processes, monkeypatch
):
    distributed = pytest.importorskip("distributed")
    import joblib

    # Worker processes import skdeepens from this checkout.
    root = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", root if not path else f"{root}{os.pathsep}{path}")
    X, y = _heteroscedastic(120, 5)
    grid = {"n_estimators": [1, 2], "alpha": [1e-4, 1.0]}
    cv = KFold(3, shuffle=True, random_state=0)

    def search(n_jobs):
        return GridSearchCV(
            DeepEnsembleRegressor(**QUICK),
            grid,
            scoring=neg_nll_scorer,
            cv=cv,
            n_jobs=n_jobs,
        ).fit(X, y)

    sequential = search(None)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        parallel = search(-1)
    np.testing.assert_allclose(
        parallel.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
        rtol=1e-6,
    )
    assert parallel.best_params_ == sequential.best_params_


# ---------------------------------------------------------------------------
# uncertainty-toolbox
# ---------------------------------------------------------------------------


def test_uncertainty_toolbox_agrees_with_skdeepens_metrics():
    """uncertainty-toolbox scores a Gaussian, skdeepens the exact mixture.

    Differences in definitions, each pinned below:

    - uct's ``nll_gaussian`` and ``crps_gaussian`` (``scaled=True``) are
      sample means for a Gaussian given by ``(y_pred, y_std)``; for an
      ensemble that is the moment-matched Gaussian, while
      ``mixture_nll_loss`` and ``mixture_crps_loss`` score the mixture itself. The two
      agree exactly for one member, and on ``dist.moment_matched()``.
    - uct's argument order is ``(y_pred, y_std, y_true)``; skdeepens puts
      ``y_true`` first, as scikit-learn.
    - uct's calibration levels ``np.linspace(0, 1, num_bins)`` include 0 and
      1, whose central intervals cover 0% and 100% of the targets by
      construction; skdeepens' levels lie strictly inside (0, 1). With
      ``prop_type="interval"`` both count a target inside a closed central
      interval, so the curves agree on the interior levels, and uct's mean
      absolute calibration error is skdeepens' on the interior levels times
      ``(num_bins - 2) / num_bins``.
    """
    uct = pytest.importorskip("uncertainty_toolbox")
    X, y = _heteroscedastic(300, 6)
    X_test, y_test = _heteroscedastic(200, 7)
    for n_estimators in (1, 3):
        reg = DeepEnsembleRegressor(**{**QUICK, "n_estimators": n_estimators})
        dist = reg.fit(X, y).predict_dist(X_test)
        mean, std = dist.mean(), dist.std()
        matched = dist.moment_matched()

        nll = uct.metrics_scoring_rule.nll_gaussian(mean, std, y_test)
        assert nll == pytest.approx(gaussian_nll_loss(y_test, mean, std), rel=1e-12)
        assert nll == pytest.approx(mixture_nll_loss(y_test, matched), rel=1e-12)
        crps = uct.metrics_scoring_rule.crps_gaussian(mean, std, y_test)
        assert crps == pytest.approx(gaussian_crps(y_test, mean, std).mean(), 1e-10)
        assert crps == pytest.approx(mixture_crps_loss(y_test, matched), rel=1e-10)
        if n_estimators == 1:
            assert nll == pytest.approx(mixture_nll_loss(y_test, dist), rel=1e-12)
            assert crps == pytest.approx(mixture_crps_loss(y_test, dist), rel=1e-10)
        else:  # the mixture is not Gaussian: the scores differ
            assert nll != pytest.approx(mixture_nll_loss(y_test, dist), rel=1e-3)

        levels, observed = uct.metrics_calibration.get_proportion_lists_vectorized(
            mean, std, y_test, num_bins=21, prop_type="interval"
        )
        assert observed[0] == 0 and observed[-1] == 1
        ours_levels, ours = regression_calibration_curve(
            y_test, matched, levels=levels[1:-1]
        )
        np.testing.assert_allclose(ours, observed[1:-1])
        mace = uct.metrics_calibration.mean_absolute_calibration_error(
            mean, std, y_test, num_bins=21, vectorized=True, prop_type="interval"
        )
        ours_error = regression_calibration_error(y_test, matched, levels=levels[1:-1])
        assert mace == pytest.approx(ours_error * 19 / 21, rel=1e-12)

        # Coverage of the central 90% interval, uct's observed proportion.
        coverage = interval_coverage_score(y_test, *matched.interval(0.9))
        assert coverage == pytest.approx(observed[18])
