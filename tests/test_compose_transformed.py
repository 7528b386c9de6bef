"""Distributions through a monotone, non-affine target transform (compose)."""

import warnings

import numpy as np
import pytest
from _helpers import QUICK
from scipy import integrate
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    PowerTransformer,
    QuantileTransformer,
)

from skdeepens import DeepEnsembleRegressor, MixtureDistribution
from skdeepens._transformed import TransformedDistribution
from skdeepens.compose import (
    predict_dist,
    predict_interval,
    predict_quantiles,
    predict_uncertainty,
)
from skdeepens.metrics import neg_crps_scorer, neg_nll_scorer

LEVELS = np.array([0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98])
N_DRAWS = 4000


def _decreasing():
    # The target's logarithm with its sign flipped: g(z) = exp(-z) decreases.
    return FunctionTransformer(lambda y: -np.log(y), lambda z: np.exp(-z))


def _log():
    return FunctionTransformer(np.log, np.exp)


TRANSFORMS = {
    "log": lambda: dict(func=np.log, inverse_func=np.exp),
    "quantile": lambda: dict(
        transformer=QuantileTransformer(n_quantiles=40, output_distribution="normal")
    ),
    "yeo-johnson": lambda: dict(transformer=PowerTransformer()),
    "box-cox": lambda: dict(transformer=PowerTransformer(method="box-cox")),
    "decreasing": lambda: dict(transformer=_decreasing()),
}


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def positive(cubic):
    """The cubic problem with a positive, log-normal-like target."""
    X, y = cubic
    return X, np.exp(y / 30.0)


@pytest.fixture(scope="module")
def fitted(positive):
    """One TransformedTargetRegressor per transform, fitted once (QUICK)."""
    X, y = positive
    return {
        name: _fit(
            TransformedTargetRegressor(DeepEnsembleRegressor(**QUICK), **make()), X, y
        )
        for name, make in TRANSFORMS.items()
    }


def _inverse(ttr, z):
    """The TTR's own inverse map on any array, entry by entry."""
    z = np.asarray(z)
    return ttr.transformer_.inverse_transform(z.reshape(-1, 1)).reshape(z.shape)


def _forward(ttr, y):
    y = np.asarray(y)
    return ttr.transformer_.transform(y.reshape(-1, 1)).reshape(y.shape)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_quantiles_are_the_inverse_transformed_mixture_quantiles(
    fitted, positive, name
):
    X, _ = positive
    ttr = fitted[name]
    dist = predict_dist(ttr, X)
    base = ttr.regressor_.predict_dist(X)
    assert isinstance(dist, TransformedDistribution)
    assert dist.shape == (len(X),)
    increasing = name != "decreasing"
    assert bool(dist.increasing[0]) is increasing
    q = LEVELS[:, None]
    expected = _inverse(ttr, base.ppf(q if increasing else 1 - q))
    np.testing.assert_allclose(dist.ppf(q), expected, rtol=1e-12)
    np.testing.assert_allclose(
        predict_quantiles(ttr, X, alpha=LEVELS), expected.T, rtol=1e-12
    )
    lower, upper = predict_interval(ttr, X, coverage=0.8)
    # 0.5 - 0.5 * 0.8 is 0.1 only up to rounding.
    np.testing.assert_allclose(lower, expected[1], rtol=1e-9)
    np.testing.assert_allclose(upper, expected[-2], rtol=1e-9)
    assert np.all(lower < upper)
    # The draws: the mixture's, pushed through the inverse.
    draws = dist.sample(N_DRAWS, random_state=0)
    np.testing.assert_array_equal(
        draws, _inverse(ttr, base.sample(N_DRAWS, random_state=0))
    )


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_quantiles_match_the_empirical_quantiles_of_transformed_draws(
    fitted, positive, name
):
    X, _ = positive
    ttr = fitted[name]
    base = ttr.regressor_.predict_dist(X)
    # Draws of the base mixture, through the TTR's own inverse map: the
    # reference, computed without the code under test.
    draws = _inverse(ttr, base.sample(N_DRAWS, random_state=1))
    empirical = np.quantile(draws, LEVELS, axis=0)
    quantiles = predict_quantiles(ttr, X, alpha=LEVELS).T
    # Compared on the probability scale, where the empirical quantile's error
    # is binomial: 5 standard errors of the fraction of N_DRAWS draws.
    below = (draws[None] <= quantiles[:, None]).mean(axis=1)
    tolerance = 5 * np.sqrt(LEVELS * (1 - LEVELS) / N_DRAWS)[:, None]
    assert np.all(np.abs(below - LEVELS[:, None]) <= tolerance)
    at_empirical = base.cdf(_forward(ttr, empirical))
    if name == "decreasing":
        at_empirical = 1 - at_empirical
    assert np.all(np.abs(at_empirical - LEVELS[:, None]) <= tolerance)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_cdf_inverts_the_quantiles(fitted, positive, name):
    X, _ = positive
    dist = predict_dist(fitted[name], X)
    q = LEVELS[:, None]
    np.testing.assert_allclose(
        dist.cdf(dist.ppf(q)), np.broadcast_to(q, (7, 40)), atol=1e-9
    )
    np.testing.assert_array_equal(dist.cdf(np.inf), 1.0)
    if name != "yeo-johnson":  # the one whose inverse reaches negative y
        np.testing.assert_array_equal(dist.cdf(-1.0), 0.0)


@pytest.mark.parametrize("name", ["log", "yeo-johnson", "box-cox", "decreasing"])
def test_logpdf_is_the_derivative_of_the_cdf_and_integrates_to_one(
    fitted, positive, name
):
    X, _ = positive
    dist = predict_dist(fitted[name], X[:3])
    # Simpson's rule between the 1e-10 and the (1 - 1e-10)-quantiles; the
    # Yeo-Johnson inverse here is undefined beyond a bound of z, so part of
    # the mass lies at +inf: integrate up to the 0.99-quantile.
    top = 0.99 if name == "yeo-johnson" else 1 - 1e-10
    a, b = dist.ppf(1e-10), dist.ppf(top)
    y = np.linspace(a, b, 4001)
    mass = integrate.simpson(np.exp(dist.logpdf(y)), x=y, axis=0)
    np.testing.assert_allclose(mass, top - 1e-10, atol=1e-8)
    # The density is the slope of the cdf.
    y = dist.ppf(LEVELS[:, None])
    h = 1e-6 * y
    slope = (dist.cdf(y + h) - dist.cdf(y - h)) / (2 * h)
    np.testing.assert_allclose(np.exp(dist.logpdf(y)), slope, rtol=1e-5)


def test_log_density_is_the_mixtures_minus_log_y(fitted, positive):
    X, y = positive
    ttr = fitted["log"]
    base = ttr.regressor_.predict_dist(X)
    np.testing.assert_allclose(
        predict_dist(ttr, X).logpdf(y), base.logpdf(np.log(y)) - np.log(y), rtol=1e-12
    )
    assert neg_nll_scorer(ttr, X, y) == pytest.approx(
        np.mean(base.logpdf(np.log(y)) - np.log(y)), rel=1e-12
    )
    assert np.all(predict_dist(ttr, X).logpdf(-1.0) == -np.inf)
    # The CRPS needs the mixture itself.
    with pytest.raises(
        ValueError, match="crps_loss must be an instance of .*MixtureDistri"
    ):
        neg_crps_scorer(ttr, X, y)


def test_nested_transforms_map_innermost_first(positive):
    X, y = positive
    # Outer: y -> [1, 2] (affine); inner: log of that. Back: exp, then unscale.
    ttr = TransformedTargetRegressor(
        TransformedTargetRegressor(
            DeepEnsembleRegressor(**QUICK), func=np.log, inverse_func=np.exp
        ),
        transformer=MinMaxScaler(feature_range=(1, 2)),
    )
    _fit(ttr, X, y)
    inner = ttr.regressor_
    base = inner.regressor_.predict_dist(X)
    dist = predict_dist(ttr, X)
    expected = ttr.transformer_.inverse_transform(
        np.exp(base.ppf(0.3))[:, None]
    ).ravel()
    np.testing.assert_allclose(dist.ppf(0.3), expected, rtol=1e-12)
    assert len(dist.transformers) == 2


def test_affine_transforms_keep_the_exact_mixture(positive):
    X, y = positive
    ttr = _fit(
        TransformedTargetRegressor(
            DeepEnsembleRegressor(**QUICK), transformer=MinMaxScaler()
        ),
        X,
        y,
    )
    assert type(predict_dist(ttr, X)) is MixtureDistribution


def test_the_skpro_adapter_gives_quantiles_through_a_log_transform(positive):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("skpro")
    from skdeepens.skpro import DeepEnsembleProbaRegressor

    X, y = positive
    X, y = pd.DataFrame(X, columns=["x"]), pd.DataFrame({"y": y})
    ttr = TransformedTargetRegressor(
        DeepEnsembleRegressor(**QUICK), func=np.log, inverse_func=np.exp
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = DeepEnsembleProbaRegressor(ttr).fit(X, y)
    quantiles = reg.predict_quantiles(X, alpha=[0.1, 0.9]).to_numpy()
    expected = predict_quantiles(reg.estimator_, X, alpha=[0.1, 0.9])
    np.testing.assert_allclose(quantiles, expected)
    with pytest.raises(TypeError, match="only through an affine target transform"):
        reg.predict_proba(X)


# -- refusals --------------------------------------------------------------


def test_a_quantile_transformer_has_no_density(fitted, positive):
    X, y = positive
    dist = predict_dist(fitted["quantile"], X)
    with pytest.raises(ValueError, match="logpdf is not available.*piecewise linear"):
        dist.logpdf(y)
    with pytest.raises(ValueError, match="logpdf is not available"):
        neg_nll_scorer(fitted["quantile"], X, y)


def test_moments_and_the_variance_split_are_refused(fitted, positive):
    X, _ = positive
    dist = predict_dist(fitted["log"], X)
    for moment in ("mean", "var", "std"):
        assert not hasattr(dist, moment)
        with pytest.raises(AttributeError, match="no closed form"):
            getattr(dist, moment)()
    with pytest.raises(
        TypeError, match="FunctionTransformer.*only an affine transform"
    ):
        predict_uncertainty(fitted["log"], X)


@pytest.mark.parametrize(
    "func, inverse_func, target, match",
    [
        # sin turns within the range the mixture predicts.
        (np.arcsin, np.sin, lambda y: np.tanh(y / 50), "sin.*is not monotone"),
        # sqrt stops at 0, but the square maps y < 0 back above it.
        (np.square, np.sqrt, lambda y: y / 30, "square.*not monotone"),
    ],
)
def test_a_non_monotone_transform_is_refused(cubic, func, inverse_func, target, match):
    X, y = cubic
    ttr = TransformedTargetRegressor(
        DeepEnsembleRegressor(**QUICK),
        func=func,
        inverse_func=inverse_func,
        check_inverse=False,
    )
    _fit(ttr, X, target(y))
    with pytest.raises(ValueError, match=match):
        predict_interval(ttr, X)


# -- the distribution on hand-built mixtures ---------------------------------


@pytest.fixture(scope="module")
def mixture():
    rng = np.random.default_rng(0)
    loc = rng.normal(size=(3, 6))
    return MixtureDistribution(loc, np.full_like(loc, 0.5), "laplace")


def _function(func, inverse_func, n_outputs=1):
    return FunctionTransformer(func, inverse_func, validate=True).fit(
        np.ones((2, n_outputs))
    )


def test_check_inverse_is_respected(mixture):
    # An increasing inverse that func does not undo.
    transformer = _function(np.log, lambda z: np.exp(2 * z))
    with pytest.raises(ValueError, match="does not undo its inverse_transform"):
        TransformedDistribution(mixture, [transformer])
    dist = TransformedDistribution(mixture, [transformer], check_inverse=False)
    np.testing.assert_allclose(dist.ppf(0.3), np.exp(2 * mixture.ppf(0.3)))


def test_an_inverse_that_mixes_rows_is_refused(mixture):
    transformer = _function(None, lambda z: z - z.mean())
    with pytest.raises(ValueError, match="does not act on each value alone"):
        TransformedDistribution(mixture, [transformer])


def test_an_inverse_undefined_beyond_a_bound_takes_its_limit(mixture):
    # Yeo-Johnson with lambda < 0 maps z above -1/lambda nowhere (NaN): the
    # mass there is at +inf, the limit of the inverse.
    transformer = PowerTransformer(standardize=False).fit(
        np.exp(np.linspace(-3, 3, 50))[:, None] ** 3
    )
    lmbda = transformer.lambdas_[0]
    assert lmbda < 0
    dist = TransformedDistribution(mixture, [transformer])
    bound = -1 / lmbda
    q = mixture.cdf(bound)
    assert np.all(q < 1)
    upper = dist.ppf(np.minimum(q + 0.5 * (1 - q), 1 - 1e-12))
    np.testing.assert_array_equal(upper, np.inf)
    # The mass beyond the bound sits at +inf, above every finite y.
    np.testing.assert_allclose(dist.cdf(1e300), mixture.cdf(bound), rtol=1e-9)
    np.testing.assert_array_equal(dist.cdf(np.inf), 1.0)
    below = dist.ppf(0.5 * q)
    assert np.all(np.isfinite(below))
    np.testing.assert_allclose(dist.cdf(below), 0.5 * q, rtol=1e-7)


def test_several_outputs_map_column_by_column(mixture):
    rng = np.random.default_rng(1)
    loc = rng.normal(size=(3, 6, 2))
    base = MixtureDistribution(loc, np.full_like(loc, 0.3), "gaussian")
    # Output 0 through exp (increasing), output 1 through -z (decreasing).
    transformer = FunctionTransformer(
        lambda y: np.c_[np.log(y[:, 0]), -y[:, 1]],
        lambda z: np.c_[np.exp(z[:, 0]), -z[:, 1]],
        validate=True,
    ).fit(np.ones((2, 2)))
    dist = TransformedDistribution(base, [transformer])
    np.testing.assert_array_equal(dist.increasing, [True, False])
    q = np.array([0.1, 0.9])[:, None, None]
    quantiles = dist.ppf(q)
    assert quantiles.shape == (2, 6, 2)
    np.testing.assert_allclose(quantiles[..., 0], np.exp(base.ppf(q)[..., 0]))
    np.testing.assert_allclose(quantiles[..., 1], -base.ppf(1 - q)[..., 1])
    np.testing.assert_allclose(dist.cdf(quantiles), np.broadcast_to(q, (2, 6, 2)))
    assert dist.logpdf(quantiles).shape == (2, 6, 2)


@pytest.mark.slow
def test_a_multi_output_target_maps_through_the_transform(positive):
    # Its own compiled program (two outputs), hence slow.
    X, y = positive
    Y = np.c_[y, 1.0 / y + 0.1 * y]
    ttr = _fit(
        TransformedTargetRegressor(
            DeepEnsembleRegressor(**QUICK),
            transformer=QuantileTransformer(
                n_quantiles=40, output_distribution="normal"
            ),
        ),
        X,
        Y,
    )
    dist = predict_dist(ttr, X)
    base = ttr.regressor_.predict_dist(X)
    assert dist.shape == (40, 2)
    quantiles = predict_quantiles(ttr, X, alpha=LEVELS)
    assert quantiles.shape == (40, 2, len(LEVELS))
    for i, level in enumerate(LEVELS):
        np.testing.assert_allclose(
            quantiles[..., i], ttr.transformer_.inverse_transform(base.ppf(level))
        )
    np.testing.assert_allclose(dist.cdf(dist.ppf(0.3)), 0.3, atol=1e-9)
