"""Tests of skdeepens.metrics."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdeepens._families import _abs_laplace_difference_mean
from skdeepens._mixture import MixtureDistribution
from skdeepens.metrics import (
    accuracy_confidence_curve,
    classification_calibration_curve,
    expected_calibration_error,
    gaussian_crps,
    gaussian_nll_loss,
    interval_coverage_score,
    laplace_crps,
    laplace_nll_loss,
    mean_interval_width,
    mixture_crps,
    mixture_crps_loss,
    mixture_nll_loss,
    neg_crps_scorer,
    neg_nll_scorer,
    regression_calibration_curve,
    regression_calibration_error,
)

SCIPY = {"gaussian": stats.norm, "laplace": stats.laplace}
FAMILIES = ["gaussian", "laplace"]


def crps_by_quadrature(family, loc, scale, y):
    """CRPS = integral of (F(x) - 1{x >= y})^2 dx for one entry, by quadrature."""
    cdf = lambda x: np.mean(SCIPY[family].cdf(x, loc, scale))  # noqa: E731
    # split at the kinks (y; the Laplace locations) so quad stays accurate
    points = np.sort(np.append(loc, y))
    width = 60 * scale.max() + np.ptp(points)
    lo, hi = points[0] - width, points[-1] + width
    opts = dict(limit=400, epsabs=1e-13, epsrel=1e-12)
    below = integrate.quad(
        lambda x: cdf(x) ** 2, lo, y, points=points[points < y], **opts
    )[0]
    above = integrate.quad(
        lambda x: (1 - cdf(x)) ** 2, y, hi, points=points[points > y], **opts
    )[0]
    return below + above


def crps_by_simulation(dist, y, n_draws, seed):
    """Monte Carlo E|X - y| - E|X - X'| / 2 and its standard error."""
    x = dist.sample(n_draws, random_state=seed)
    x_prime = dist.sample(n_draws, random_state=seed + 1)
    per_draw = np.abs(x - y) - 0.5 * np.abs(x - x_prime)
    return per_draw.mean(axis=0), per_draw.std(axis=0) / np.sqrt(n_draws)


# ---------------------------------------------------------------------------
# NLL
# ---------------------------------------------------------------------------


def test_gaussian_nll_hand_computed():
    half_log_2pi = 0.5 * np.log(2 * np.pi)
    # y = 0 and 2 under N(0, 1): (c + 0) and (c + 2), mean c + 1
    assert_allclose(gaussian_nll_loss([0.0, 2.0], 0.0, 1.0), half_log_2pi + 1.0)
    # std 2 at y - mean = 2: c + log 2 + 1/2
    assert_allclose(
        gaussian_nll_loss([3.0], [1.0], [2.0]), half_log_2pi + np.log(2) + 0.5
    )
    rng = np.random.default_rng(0)
    y, mean = rng.normal(size=20), rng.normal(size=20)
    std = rng.uniform(0.1, 3, size=20)
    assert_allclose(
        gaussian_nll_loss(y, mean, std), -stats.norm.logpdf(y, mean, std).mean()
    )


def test_laplace_nll_hand_computed():
    assert_allclose(laplace_nll_loss([1.0], [0.0], [1.0]), np.log(2) + 1)
    assert_allclose(laplace_nll_loss([0.0, 6.0], 0.0, 2.0), np.log(4) + 1.5)
    rng = np.random.default_rng(1)
    y, loc = rng.normal(size=20), rng.normal(size=20)
    scale = rng.uniform(0.1, 3, size=20)
    assert_allclose(
        laplace_nll_loss(y, loc, scale), -stats.laplace.logpdf(y, loc, scale).mean()
    )


def test_nll_multi_output_sums_outputs_then_averages_samples():
    y = np.array([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    mean = np.zeros_like(y)
    std = np.array([[1.0, 2.0], [1.0, 0.5], [3.0, 1.0]])
    per_sample = -stats.norm.logpdf(y, mean, std).sum(axis=1)
    assert_allclose(gaussian_nll_loss(y, mean, std), per_sample.mean())
    per_sample = -stats.laplace.logpdf(y, mean, std).sum(axis=1)
    assert_allclose(laplace_nll_loss(y, mean, std), per_sample.mean())


def test_nll_sample_weight():
    y, mean, std = np.array([0.0, 1.0, 3.0]), 0.0, 1.0
    per_sample = -stats.norm.logpdf(y)
    weights = np.array([1.0, 0.0, 3.0])
    assert_allclose(
        gaussian_nll_loss(y, mean, std, sample_weight=weights),
        (per_sample[0] + 3 * per_sample[2]) / 4,
    )
    # integer weights = repeated samples
    assert_allclose(
        laplace_nll_loss(y, mean, std, sample_weight=[2, 1, 1]),
        laplace_nll_loss([0.0, 0.0, 1.0, 3.0], mean, std),
    )


def test_mixture_nll_hand_computed_and_single_member():
    dist = MixtureDistribution([[0.0, 1.0], [2.0, 1.0]], np.ones((2, 2)), "gaussian")
    y = np.array([1.0, 4.0])
    pdf = 0.5 * (stats.norm.pdf(y, [0, 1], 1) + stats.norm.pdf(y, [2, 1], 1))
    assert_allclose(mixture_nll_loss(y, dist), -np.log(pdf).mean())
    one = MixtureDistribution([[0.5, 1.0]], [[2.0, 0.3]], "laplace")
    assert_allclose(
        mixture_nll_loss(y, one), laplace_nll_loss(y, [0.5, 1.0], [2.0, 0.3])
    )
    # anything with a logpdf method, e.g. a frozen scipy distribution
    frozen = stats.norm([0.5, 1.0], [2.0, 0.3])
    assert_allclose(
        mixture_nll_loss(y, frozen), gaussian_nll_loss(y, [0.5, 1.0], [2.0, 0.3])
    )
    assert_allclose(
        mixture_nll_loss(y, dist, sample_weight=[0, 1]), -np.log(pdf[1]), rtol=1e-12
    )


def test_mixture_nll_multi_output():
    loc = np.array([[[0.0, 1.0]], [[1.0, 3.0]]])  # 2 members, 1 sample, 2 outputs
    dist = MixtureDistribution(loc, np.ones((2, 1, 2)), "gaussian")
    y = np.array([[0.2, 2.0]])
    assert_allclose(mixture_nll_loss(y, dist), -dist.logpdf(y).sum())


# ---------------------------------------------------------------------------
# CRPS
# ---------------------------------------------------------------------------


def test_crps_single_component_hand_computed():
    # At the centre: std (sqrt 2 - 1) / sqrt(pi) and b (1 - 3/4).
    assert_allclose(
        gaussian_crps([0.0, 5.0], [0.0, 5.0], [1.0, 3.0]),
        np.array([1.0, 3.0]) * (np.sqrt(2) - 1) / np.sqrt(np.pi),
    )
    assert_allclose(laplace_crps([0.0, 5.0], [0.0, 5.0], [1.0, 3.0]), [0.25, 0.75])
    # Far away the CRPS tends to the absolute error minus E|X - X'| / 2.
    assert_allclose(gaussian_crps([100.0], [0.0], [1.0]), [100 - 1 / np.sqrt(np.pi)])
    assert_allclose(laplace_crps([-100.0], [0.0], [2.0]), [100 - 1.5], rtol=1e-15)


@pytest.mark.parametrize("family", FAMILIES)
def test_crps_single_component_against_quadrature(family):
    rng = np.random.default_rng(2)
    loc, scale = rng.normal(size=5), rng.uniform(0.2, 3, size=5)
    y = loc + scale * np.array([-4.0, -0.5, 0.0, 1.3, 6.0])
    crps = (gaussian_crps if family == "gaussian" else laplace_crps)(y, loc, scale)
    reference = [
        crps_by_quadrature(family, loc[i : i + 1], scale[i : i + 1], y[i])
        for i in range(5)
    ]
    assert_allclose(crps, reference, rtol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("n_members", [2, 5])
def test_crps_mixture_against_quadrature(family, n_members):
    rng = np.random.default_rng(3)
    loc = 2 * rng.normal(size=(n_members, 4))
    scale = rng.uniform(0.2, 2.5, size=(n_members, 4))
    scale[1, 0] = scale[0, 0]  # equal scales, the Laplace formula's limit
    dist = MixtureDistribution(loc, scale, family)
    y = np.array([0.3, -6.0, 9.0, loc[0, 3]])
    reference = [
        crps_by_quadrature(family, loc[:, j], scale[:, j], y[j]) for j in range(4)
    ]
    assert_allclose(mixture_crps(y, dist), reference, rtol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
def test_crps_mixture_against_monte_carlo(family):
    # 200k pairs of draws: the estimate's standard error is ~0.2% of the CRPS;
    # 5 standard errors keep the test deterministic-safe for any seed.
    loc = np.array([[0.0, 2.0], [1.5, -3.0], [-1.0, 0.0]])
    scale = np.array([[1.0, 0.3], [0.5, 2.0], [2.0, 0.3]])
    dist = MixtureDistribution(loc, scale, family)
    y = np.array([0.4, 5.0])
    estimate, error = crps_by_simulation(dist, y, 200_000, seed=0)
    assert np.all(np.abs(mixture_crps(y, dist) - estimate) < 5 * error)


@pytest.mark.parametrize("family", FAMILIES)
def test_crps_one_member_mixture_is_the_single_formula(family):
    rng = np.random.default_rng(4)
    loc, scale = rng.normal(size=(1, 6, 2)), rng.uniform(0.1, 3, size=(1, 6, 2))
    y = rng.normal(size=(6, 2)) * 3
    single = gaussian_crps if family == "gaussian" else laplace_crps
    dist = MixtureDistribution(loc, scale, family)
    assert_allclose(mixture_crps(y, dist), single(y, loc[0], scale[0]), rtol=1e-13)
    # mixture_crps_loss: per-sample sum over the outputs, then the mean
    assert_allclose(
        mixture_crps_loss(y, dist),
        single(y, loc[0], scale[0]).sum(axis=1).mean(),
        rtol=1e-13,
    )
    weights = np.arange(6.0)
    assert_allclose(
        mixture_crps_loss(y, dist, sample_weight=weights),
        np.average(single(y, loc[0], scale[0]).sum(axis=1), weights=weights),
    )


def test_crps_identical_members_equal_one_member():
    # duplicating members changes nothing: checks the pair normalisation 1/M^2
    for family in FAMILIES:
        one = MixtureDistribution([[0.5, -1.0]], [[1.5, 0.2]], family)
        three = MixtureDistribution(
            np.tile([[0.5, -1.0]], (3, 1)), np.tile([[1.5, 0.2]], (3, 1)), family
        )
        y = [0.0, 3.0]
        assert_allclose(mixture_crps(y, three), mixture_crps(y, one), rtol=1e-13)


@pytest.mark.parametrize(
    "d, a, c", [(0.0, 1.0, 1.0), (0.7, 2.0, 0.5), (3.0, 1.0, 0.2), (5.0, 1.0, 1e-3)]
)
def test_laplace_difference_mean_against_monte_carlo(d, a, c):
    rng = np.random.default_rng(5)
    n = 400_000
    diff = np.abs(d + a * rng.laplace(size=n) - c * rng.laplace(size=n))
    exact = _abs_laplace_difference_mean(np.array(d), np.array(a), np.array(c))
    assert abs(exact - diff.mean()) < 5 * diff.std() / np.sqrt(n)


def test_laplace_difference_mean_closed_forms_and_stability():
    d = np.array([0.0, 0.5, 2.0, 10.0])
    # distinct scales: the textbook difference quotient is accurate here
    a, c = 2.0, 0.5
    naive = d + (a**3 * np.exp(-d / a) - c**3 * np.exp(-d / c)) / (a**2 - c**2)
    assert_allclose(_abs_laplace_difference_mean(d, a, c), naive, rtol=1e-14)
    # equal scales: d + exp(-d/b) (3 b + d) / 2, and 3 b / 2 at d = 0
    b = 1.5
    equal = d + np.exp(-d / b) * (3 * b + d) / 2
    assert_allclose(_abs_laplace_difference_mean(d, b, b), equal, rtol=1e-14)
    # nearly equal scales: where the textbook form cancels catastrophically
    assert_allclose(_abs_laplace_difference_mean(d, b * (1 + 1e-12), b), equal)
    # one scale vanishing: E|Laplace(d, a)| = d + a exp(-d / a)
    assert_allclose(
        _abs_laplace_difference_mean(d, 2.0, 1e-300), d + 2.0 * np.exp(-d / 2.0)
    )


@st.composite
def mixtures_and_targets(draw):
    family = draw(st.sampled_from(FAMILIES))
    n_members = draw(st.integers(1, 5))
    size = n_members * 2
    loc = np.array(draw(st.lists(st.floats(-50, 50), min_size=size, max_size=size)))
    log_scale = np.array(draw(st.lists(st.floats(-4, 3), min_size=size, max_size=size)))
    y = np.array(draw(st.lists(st.floats(-100, 100), min_size=2, max_size=2)))
    dist = MixtureDistribution(
        loc.reshape(n_members, 2), np.exp(log_scale).reshape(n_members, 2), family
    )
    return dist, y


@settings(max_examples=50, deadline=None, derandomize=True)
@given(case=mixtures_and_targets())
def test_property_crps_positive_and_below_members_average(case):
    dist, y = case
    crps = mixture_crps(y, dist)
    assert np.all(crps > 0)
    # CRPS(F, y) = integral (F - 1{x >= y})^2 is convex in F: the mixture
    # scores at most the members' average.
    single = gaussian_crps if dist.family == "gaussian" else laplace_crps
    members = [
        single(y, dist.members.loc[m], dist.members.scale[m])
        for m in range(dist.n_members)
    ]
    average = np.mean(members, axis=0)
    assert np.all(crps <= average * (1 + 1e-12) + 1e-12)


# ---------------------------------------------------------------------------
# Intervals and regression calibration
# ---------------------------------------------------------------------------


def test_interval_coverage_and_width_hand_computed():
    y = [0.0, 1.0, 5.0, 2.0]
    lower, upper = [-1.0, 0.0, 0.0, 2.0], [1.0, 1.0, 4.0, 3.0]
    # bounds are inclusive: 1.0 in [0, 1] and 2.0 in [2, 3] count
    assert interval_coverage_score(y, lower, upper) == 0.75
    assert interval_coverage_score(y, lower, upper, sample_weight=[0, 0, 1, 1]) == 0.5
    assert mean_interval_width(lower, upper) == (2 + 1 + 4 + 1) / 4
    assert mean_interval_width(lower, upper, sample_weight=[1, 0, 0, 1]) == 1.5
    # scalar bounds and multi-output targets
    y2 = np.array([[0.0, 3.0], [0.5, -0.5]])
    assert interval_coverage_score(y2, -1.0, 1.0) == 0.75
    assert mean_interval_width(np.zeros((2, 2)), [[1.0, 2.0], [3.0, 4.0]]) == 2.5


def test_regression_calibration_curve_hand_computed():
    dist = MixtureDistribution(np.zeros((1, 4)), np.ones((1, 4)), "gaussian")
    y = [0.1, -0.5, 1.0, 3.0]  # |y| <= 0.674 for 50%, <= 1.645 for 90%
    levels, observed = regression_calibration_curve(y, dist, levels=[0.5, 0.9])
    assert_array_equal(levels, [0.5, 0.9])
    assert_allclose(observed, [0.5, 0.75])
    assert_allclose(
        regression_calibration_error(y, dist, levels=[0.5, 0.9]), (0.0 + 0.15) / 2
    )
    _, weighted = regression_calibration_curve(
        y, dist, levels=[0.5, 0.9], sample_weight=[0, 0, 1, 1]
    )
    assert_allclose(weighted, [0.0, 0.5])


@pytest.mark.parametrize("family", FAMILIES)
def test_regression_calibration_matches_interval_coverage(family):
    rng = np.random.default_rng(6)
    loc = rng.normal(size=(3, 300, 2))
    scale = rng.uniform(0.3, 2, size=(3, 300, 2))
    dist = MixtureDistribution(loc, scale, family)
    y = dist.sample(1, random_state=7)[0]
    levels, observed = regression_calibration_curve(y, dist)
    assert_allclose(levels, np.linspace(0.05, 0.95, 19))
    for level, coverage in zip(levels, observed, strict=True):
        lower, upper = dist.interval(level)
        assert_allclose(coverage, interval_coverage_score(y, lower, upper))
    # y drawn from the distribution itself: calibrated within binomial noise
    # (600 entries, 4 standard errors of at most 0.5 / sqrt(600) ~ 0.08)
    assert np.all(np.abs(observed - levels) < 4 * 0.5 / np.sqrt(600))
    assert regression_calibration_error(y, dist) < 0.04


def test_regression_calibration_error_detects_overconfidence():
    rng = np.random.default_rng(8)
    y = rng.standard_normal(2000)
    narrow = MixtureDistribution(
        np.zeros((1, 2000)), np.full((1, 2000), 0.3), "gaussian"
    )
    right = MixtureDistribution(np.zeros((1, 2000)), np.ones((1, 2000)), "gaussian")
    levels, observed = regression_calibration_curve(y, narrow)
    assert np.all(observed < levels)  # overconfident: intervals too short
    levels = np.linspace(0.05, 0.95, 19)
    true_coverage = 2 * stats.norm.cdf(0.3 * stats.norm.ppf(0.5 + levels / 2)) - 1
    expected_error = np.mean(np.abs(true_coverage - levels))
    assert abs(regression_calibration_error(y, narrow) - expected_error) < 0.03
    assert regression_calibration_error(y, right) < 0.03


# ---------------------------------------------------------------------------
# Classification calibration
# ---------------------------------------------------------------------------


def test_expected_calibration_error_hand_computed():
    y_proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    y = ["a", "b", "b", "b"]  # predictions a, a, b, b: correct, wrong, right, right
    # 5 bins: (0.8, 1] {0.9 ok}, (0.6, 0.8] {0.8 wrong, 0.7 ok}, (0.4, 0.6] {0.6 ok}
    expected = (abs(1 - 0.9) + 2 * abs(0.5 - 0.75) + abs(1 - 0.6)) / 4
    assert_allclose(expected_calibration_error(y, y_proba, n_bins=5), expected)
    # 1 bin: |accuracy - mean confidence| = |0.75 - 0.75|
    assert_allclose(expected_calibration_error(y, y_proba, n_bins=1), 0, atol=1e-15)
    # 10 bins: 0.8 falls in (0.7, 0.8], 0.7 in (0.6, 0.7]; every bin a singleton
    expected = (0.1 + 0.8 + 0.3 + 0.4) / 4
    assert_allclose(expected_calibration_error(y, y_proba, n_bins=10), expected)
    # the binary 1-D form gives the probability of classes[1]
    assert_allclose(
        expected_calibration_error(y, y_proba[:, 1], n_bins=5),
        expected_calibration_error(y, y_proba, n_bins=5),
    )
    # integer weights = repeated rows
    assert_allclose(
        expected_calibration_error(y, y_proba, n_bins=5, sample_weight=[2, 1, 1, 1]),
        expected_calibration_error(
            y + ["a"], np.vstack([y_proba, y_proba[:1]]), n_bins=5
        ),
    )


def test_expected_calibration_error_perfect_and_classes_order():
    # confidence 0.75 in one bin, 3 of 4 right: perfectly calibrated
    y_proba = np.tile([0.75, 0.25, 0.0], (4, 1))
    y = np.array([0, 0, 0, 1])
    assert_allclose(
        expected_calibration_error(y, y_proba, classes=[0, 1, 2]), 0, atol=1e-15
    )
    # without classes=, y_true lacks class 2: a clear error
    with pytest.raises(ValueError, match="pass classes="):
        expected_calibration_error(y, y_proba)
    # columns in a user-given order: the labels follow the order of classes
    assert_allclose(
        expected_calibration_error([2, 2, 2, 1], y_proba, classes=[2, 1, 0]),
        0,
        atol=1e-15,
    )


def test_accuracy_confidence_curve_hand_computed():
    y_proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    y = [0, 1, 1, 1]
    thresholds, accuracy, kept = accuracy_confidence_curve(
        y, y_proba, thresholds=[0.0, 0.65, 0.75, 0.85, 0.95]
    )
    assert_array_equal(thresholds, [0.0, 0.65, 0.75, 0.85, 0.95])
    assert_allclose(accuracy, [0.75, 2 / 3, 0.5, 1.0, np.nan])
    assert_allclose(kept, [1.0, 0.75, 0.5, 0.25, 0.0])
    thresholds, accuracy, kept = accuracy_confidence_curve(y, y_proba)
    assert_allclose(thresholds, np.arange(10) / 10)
    # 0.6 >= 0.6 exactly: the default thresholds have no rounding surprises
    assert_allclose(kept[6], 1.0)


# ---------------------------------------------------------------------------
# Scorers
# ---------------------------------------------------------------------------


class FakeRegressor(RegressorMixin, BaseEstimator):
    """Predicts N(x_0, scale^2) or Laplace(x_0, scale): the truth has scale 1."""

    def __init__(self, scale=1.0, family="gaussian"):
        self.scale = scale
        self.family = family

    def fit(self, X, y):
        self.is_fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0]

    def predict_dist(self, X):
        loc = np.asarray(X, dtype=np.float64)[:, 0][None]
        return MixtureDistribution(loc, np.full_like(loc, self.scale), self.family)


def test_scorers_are_minus_the_losses():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(50, 2))
    y = X[:, 0] + rng.normal(size=50)
    est = FakeRegressor(scale=2.0)
    dist = est.predict_dist(X)
    assert neg_nll_scorer(est, X, y) == -mixture_nll_loss(y, dist)
    assert neg_crps_scorer(est, X, y) == -mixture_crps_loss(y, dist)
    weights = rng.uniform(size=50)
    assert neg_nll_scorer(est, X, y, sample_weight=weights) == -mixture_nll_loss(
        y, dist, sample_weight=weights
    )
    assert neg_nll_scorer(est, X, y) < 0 and neg_crps_scorer(est, X, y) < 0


@pytest.mark.parametrize("scorer", [neg_nll_scorer, neg_crps_scorer])
def test_scorers_pick_the_true_noise_level_in_grid_search(scorer):
    rng = np.random.default_rng(10)
    X = rng.normal(size=(3000, 1))
    y = X[:, 0] + rng.normal(size=3000)  # noise std 1
    search = GridSearchCV(
        FakeRegressor(), {"scale": [0.3, 1.0, 3.0]}, scoring=scorer, cv=3
    ).fit(X, y)
    assert search.best_params_ == {"scale": 1.0}  # greater is better
    scores = cross_val_score(FakeRegressor(scale=1.0), X, y, scoring=scorer, cv=2)
    assert np.all(np.isfinite(scores))


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_regression_metric_errors():
    dist = MixtureDistribution(np.zeros((2, 3)), np.ones((2, 3)), "gaussian")
    y = [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="std must be a scalar or have the shape"):
        gaussian_nll_loss(y, 0.0, [1.0, 1.0])
    with pytest.raises(ValueError, match="mean must be a scalar or have the shape"):
        gaussian_crps(y, [0.0, 0.0], 1.0)
    for bad in [0.0, -1.0, np.inf, np.nan]:
        with pytest.raises(ValueError, match="std must be finite and > 0"):
            gaussian_nll_loss(y, 0.0, [1.0, bad, 1.0])
        with pytest.raises(ValueError, match="scale must be finite and > 0"):
            laplace_crps(y, 0.0, bad)
    with pytest.raises(ValueError, match="loc must be finite"):
        laplace_nll_loss(y, [0.0, np.nan, 0.0], 1.0)
    with pytest.raises(ValueError, match="y_true contains NaN"):
        mixture_nll_loss([0.0, np.nan, 1.0], dist)
    with pytest.raises(ValueError, match="y_true contains NaN"):
        mixture_crps_loss([0.0, np.nan, 1.0], dist)
    with pytest.raises(ValueError, match="dist describes shape"):
        mixture_nll_loss([0.0, 1.0], dist)
    with pytest.raises(ValueError, match="dist describes shape"):
        mixture_crps_loss([[0.0], [1.0], [2.0]], dist)
    with pytest.raises(TypeError, match="dist.*MixtureDistribution"):
        mixture_crps(y, stats.norm(0, 1))
    with pytest.raises(ValueError, match="sample_weight has 2 entries"):
        mixture_crps_loss(y, dist, sample_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        gaussian_nll_loss(y, 0.0, 1.0, sample_weight=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="must not sum to zero"):
        gaussian_nll_loss(y, 0.0, 1.0, sample_weight=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="lower must be <= upper"):
        interval_coverage_score(y, [0.0, 2.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        mean_interval_width([0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="levels must lie strictly between 0 and 1"):
        regression_calibration_curve(y, dist, levels=[0.5, 1.0])
    with pytest.raises(ValueError, match="levels must lie strictly between 0 and 1"):
        regression_calibration_error(y, dist, levels=[0.0])


def test_classification_metric_errors():
    y_proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    for n_bins in [0, -3, 2.5, True]:
        with pytest.raises(ValueError, match="n_bins"):
            expected_calibration_error([0, 1], y_proba, n_bins=n_bins)
    with pytest.raises(ValueError, match="y_true contains NaN"):
        expected_calibration_error([0.0, np.nan], y_proba)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        expected_calibration_error([0, 1, 1], y_proba)
    with pytest.raises(ValueError, match="labels not in classes"):
        expected_calibration_error(["a", "c"], y_proba, classes=["a", "b"])
    with pytest.raises(ValueError, match="must sum to 1"):
        expected_calibration_error([0, 1], [[0.9, 0.3], [0.2, 0.8]])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        accuracy_confidence_curve([0, 1], [[1.5, -0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match="needs exactly 2 classes"):
        expected_calibration_error([0, 1, 2], [0.1, 0.5, 0.9])
    with pytest.raises(ValueError, match="classes must be unique"):
        expected_calibration_error([0, 1], y_proba, classes=[0, 0])
    with pytest.raises(ValueError, match="thresholds must be a 1-D array"):
        accuracy_confidence_curve([0, 1], y_proba, thresholds=[0.5, np.nan])


def test_classification_calibration_curve_against_a_loop():
    rng = np.random.default_rng(3)
    y_proba = rng.dirichlet(np.ones(4), size=300)
    y_true = rng.integers(0, 4, size=300)
    weights = rng.uniform(0.1, 2.0, size=300)
    accuracy, confidence, counts = classification_calibration_curve(
        y_true, y_proba, n_bins=7, sample_weight=weights
    )
    top = y_proba.max(axis=1)
    correct = y_proba.argmax(axis=1) == y_true
    for k in range(7):
        # bins (k/7, (k+1)/7], the first one closed at 0 too
        low, high = k / 7, (k + 1) / 7
        inside = (top > low) & (top <= high) if k else top <= high
        w = weights[inside]
        assert counts[k] == pytest.approx(w.sum(), rel=1e-12)
        if w.sum() == 0:
            assert np.isnan(accuracy[k]) and np.isnan(confidence[k])
        else:
            assert accuracy[k] == pytest.approx(np.average(correct[inside], weights=w))
            assert confidence[k] == pytest.approx(np.average(top[inside], weights=w))
    filled = counts > 0
    ece = np.sum(counts[filled] * np.abs(accuracy - confidence)[filled]) / counts.sum()
    assert expected_calibration_error(
        y_true, y_proba, n_bins=7, sample_weight=weights
    ) == pytest.approx(ece, rel=1e-12)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        classification_calibration_curve(y_true, y_proba, sample_weight=-weights)
    with pytest.raises(ValueError, match="n_bins"):
        classification_calibration_curve(y_true, y_proba, n_bins=0)
