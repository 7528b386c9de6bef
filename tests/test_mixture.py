"""Tests of skdeepens._mixture: the uncertainty split and the predictive mixture."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, optimize, special, stats

from skdeepens._families import FAMILIES as FAMILY_REGISTRY
from skdeepens._mixture import (
    MixtureDistribution,
    classification_uncertainty,
    regression_uncertainty,
)

SCIPY = {"gaussian": stats.norm, "laplace": stats.laplace}
FAMILIES = ["gaussian", "laplace"]


def random_members(rng, n_members, shape, spread=3.0):
    loc = spread * rng.standard_normal((n_members, *shape))
    scale = np.exp(rng.uniform(np.log(0.2), np.log(3.0), size=(n_members, *shape)))
    return loc, scale


def reference_cdf(family, loc, scale, y):
    """The mixture cdf of one entry, straight from scipy.stats."""
    return np.mean(SCIPY[family].cdf(y, loc, scale))


# ---------------------------------------------------------------------------
# The uncertainty split (the functions the estimators already use)
# ---------------------------------------------------------------------------


def test_regression_uncertainty_hand_computed_gaussian():
    # Two unit-variance members at 0 and 2: mean 1, aleatoric 1, epistemic 1.
    u = regression_uncertainty([[0.0], [2.0]], [[1.0], [1.0]], "gaussian")
    assert_allclose(u.mean, [1.0])
    assert_allclose(u.aleatoric, [1.0])
    assert_allclose(u.epistemic, [1.0])
    assert_allclose(u.total, [2.0])


def test_regression_uncertainty_laplace_member_variance_is_two_b_squared():
    u = regression_uncertainty([[5.0]], [[3.0]], "laplace")
    assert_allclose(u.total, [2 * 3.0**2])
    assert_allclose(u.epistemic, [0.0])
    # Laplace(0, 1) and Laplace(4, 2): aleatoric (2 + 8) / 2, epistemic 4.
    u = regression_uncertainty([[0.0], [4.0]], [[1.0], [2.0]], "laplace")
    assert_allclose(u.aleatoric, [5.0])
    assert_allclose(u.epistemic, [4.0])
    assert_allclose(u.total, [9.0])


def test_regression_uncertainty_point_members_have_no_aleatoric_part():
    u = regression_uncertainty([[1.0, 0.0], [3.0, 0.0]], None, "point")
    assert_allclose(u.aleatoric, [0.0, 0.0])
    assert_allclose(u.total, [1.0, 0.0])


def test_classification_uncertainty_identical_members_no_epistemic():
    p = np.array([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    u = classification_uncertainty(np.stack([p, p, p]))
    assert_allclose(u.proba, p)
    assert_allclose(u.epistemic, [0.0, 0.0], atol=1e-15)
    assert_allclose(u.total, -np.sum(p * np.log(p), axis=1))
    assert_allclose(u.aleatoric, u.total)


def test_classification_uncertainty_confident_disagreeing_members():
    # K confident members, each sure of a different class: the mixture is
    # uniform (total log K) and all of it is disagreement (epistemic).
    n_classes = 4
    member_proba = np.eye(n_classes)[:, None, :]  # (members, 1 sample, classes)
    u = classification_uncertainty(member_proba)
    assert_allclose(u.proba, np.full((1, n_classes), 1 / n_classes))
    assert_allclose(u.total, [np.log(n_classes)])
    assert_allclose(u.epistemic, [np.log(n_classes)])
    assert_allclose(u.aleatoric, [0.0], atol=1e-15)


# ---------------------------------------------------------------------------
# The scipy-free special functions
# ---------------------------------------------------------------------------


def test_standard_normal_cdf_and_quantiles_keep_precision_in_the_tails():
    standard = MixtureDistribution(np.zeros((1, 1)), np.ones((1, 1)), "gaussian")
    z = np.array([-38.0, -27.0, -8.0, -1.0, 0.0, 1.0, 8.0])
    cdf = np.array([standard.cdf(np.array([v]))[0] for v in z])
    assert_allclose(cdf, stats.norm.cdf(z), rtol=1e-13, atol=0)
    p = np.array([1e-300, 1e-100, 1e-20, 1e-5, 0.02, 0.3, 0.5])
    q = np.array([standard.ppf(v)[0] for v in p])
    assert_allclose(q, special.ndtri(p), rtol=1e-9, atol=1e-12)
    upper = np.array([standard.ppf(1.0 - v)[0] for v in (1e-5, 0.02, 0.3)])
    assert_allclose(upper, -special.ndtri([1e-5, 0.02, 0.3]), rtol=1e-9)


# ---------------------------------------------------------------------------
# One member: the mixture is the member, compare with scipy.stats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("shape", [(7,), (7, 3)])
def test_single_member_matches_scipy(family, shape):
    rng = np.random.default_rng(0)
    loc, scale = random_members(rng, 1, shape)
    dist = MixtureDistribution(loc, scale, family)
    ref = SCIPY[family](loc[0], scale[0])
    # Values from the centre to 25 scales away on either side.
    y = loc[0] + scale[0] * rng.uniform(-25, 25, size=shape)
    assert_allclose(dist.logpdf(y), ref.logpdf(y), rtol=1e-13)
    assert_allclose(dist.cdf(y), ref.cdf(y), rtol=1e-12, atol=0)
    q = rng.uniform(0, 1, size=shape)
    assert_allclose(dist.ppf(q), ref.ppf(q), rtol=1e-12, atol=1e-10 * scale.max())
    assert_allclose(dist.mean(), ref.mean())
    assert_allclose(dist.var(), ref.var())
    assert_allclose(dist.std(), ref.std())
    lower, upper = dist.interval(0.8)
    ref_lower, ref_upper = ref.interval(0.8)
    assert_allclose(lower, ref_lower, rtol=1e-12)
    assert_allclose(upper, ref_upper, rtol=1e-12)


@pytest.mark.parametrize("family", FAMILIES)
def test_single_member_extreme_quantiles_match_scipy(family):
    dist = MixtureDistribution([[1.0]], [[2.0]], family)
    ref = SCIPY[family](1.0, 2.0)
    for q in [1e-300, 1e-20, 1e-5, 0.5, 1 - 1e-5, 1 - 1e-15]:
        assert_allclose(dist.ppf(q), [ref.ppf(q)], rtol=1e-12)
        assert_allclose(dist.cdf(ref.ppf(q)), [q], rtol=1e-10)


# ---------------------------------------------------------------------------
# Several members: against direct formulas, integration and simulation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("n_members", [3, 5])
def test_mixture_logpdf_cdf_against_direct_scipy_mixture(family, n_members):
    rng = np.random.default_rng(1)
    loc, scale = random_members(rng, n_members, (6,))
    dist = MixtureDistribution(loc, scale, family)
    y = rng.uniform(-10, 10, size=6)
    pdf = np.mean(SCIPY[family].pdf(y, loc, scale), axis=0)
    cdf = np.mean(SCIPY[family].cdf(y, loc, scale), axis=0)
    assert_allclose(dist.logpdf(y), np.log(pdf), rtol=1e-13)
    assert_allclose(dist.cdf(y), cdf, rtol=1e-12)


@pytest.mark.parametrize("family", FAMILIES)
def test_mixture_density_integrates_to_its_moments(family):
    # The density's zeroth, first and second moments by quadrature: checks the
    # normalisation of logpdf and mean()/var() (hence the Laplace 2 b^2).
    loc = np.array([[-2.0], [0.5], [4.0], [1.0]])
    scale = np.array([[0.5], [1.0], [2.0], [0.7]])
    dist = MixtureDistribution(loc, scale, family)
    pdf = lambda x: np.exp(dist.logpdf(x))[0]  # noqa: E731
    kinks = list(loc[:, 0])  # the Laplace density has a kink at each location
    opts = dict(points=kinks, limit=200, epsabs=1e-13)
    mass = integrate.quad(pdf, -80, 80, **opts)[0]
    mean = integrate.quad(lambda x: x * pdf(x), -80, 80, **opts)[0]
    var = integrate.quad(lambda x: (x - mean) ** 2 * pdf(x), -80, 80, **opts)[0]
    assert_allclose(mass, 1.0, rtol=1e-10)
    assert_allclose(dist.mean(), [mean], rtol=1e-9)
    assert_allclose(dist.var(), [var], rtol=1e-9)
    # and the cdf is the integral of the density
    for y in [-3.0, 0.2, 5.0]:
        below = integrate.quad(pdf, -80, y, **opts)[0]
        assert_allclose(dist.cdf(y), [below], rtol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("n_members", [3, 4, 5])
def test_mixture_ppf_against_brentq_on_scipy_cdf(family, n_members):
    rng = np.random.default_rng(2)
    loc, scale = random_members(rng, n_members, (4,))
    dist = MixtureDistribution(loc, scale, family)
    q = np.array([1e-6, 0.03, 0.5, 0.999])
    x = dist.ppf(q)
    for j in range(4):
        root = optimize.brentq(
            lambda t, j=j: reference_cdf(family, loc[:, j], scale[:, j], t) - q[j],
            -200,
            200,
            xtol=1e-14,
            rtol=1e-15,
        )
        assert_allclose(x[j], root, rtol=1e-10, atol=1e-9 * float(scale[:, j].min()))


@pytest.mark.parametrize("family", FAMILIES)
def test_ppf_inverts_cdf(family):
    rng = np.random.default_rng(3)
    loc, scale = random_members(rng, 4, (50, 2))
    dist = MixtureDistribution(loc, scale, family)
    y = dist.sample(1, random_state=0)[0]
    cdf = dist.cdf(y)
    inner = (cdf > 1e-6) & (cdf < 1 - 1e-6)  # beyond, cdf rounds y away
    assert inner.mean() > 0.9
    error = np.abs(dist.ppf(cdf) - y)[inner]
    assert np.all(error <= 1e-9 * (np.abs(y) + scale.min(axis=0))[inner])
    q = rng.uniform(0, 1, size=(50, 2))
    assert_allclose(dist.cdf(dist.ppf(q)), q, rtol=1e-9)
    # upper quantiles keep their precision: P(Y > ppf(1 - 1e-14)) = 1e-14
    upper_tail = 1.0 - dist.cdf(dist.ppf(1 - 1e-14))
    assert_allclose(upper_tail, 1e-14, rtol=0.05)  # 1 - cdf itself rounds


@pytest.mark.parametrize("family", FAMILIES)
def test_ppf_converges_in_few_steps(family, monkeypatch):
    # Safeguarded Newton: ~10 cdf evaluations where bisection needs ~40. A
    # wrong slope or a broken safeguard still converges, only slowly.
    evaluations = []
    entry = FAMILY_REGISTRY[family]

    def counting_sf(z):
        evaluations.append(z.shape[1])
        return entry.sf(z)

    monkeypatch.setitem(
        FAMILY_REGISTRY, family, dataclasses.replace(entry, sf=counting_sf)
    )
    rng = np.random.default_rng(11)
    loc, scale = random_members(rng, 5, (2000,))
    dist = MixtureDistribution(loc, scale, family)
    for q in [0.025, 0.5, 0.975]:
        evaluations.clear()
        x = dist.ppf(q)
        assert 0 < len(evaluations) <= 18  # 11 to 13 here; bisection takes 40
        assert_allclose(np.mean(SCIPY[family].cdf(x, loc, scale), axis=0), q, rtol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
def test_interval_holds_its_confidence(family):
    rng = np.random.default_rng(4)
    loc, scale = random_members(rng, 3, (20,))
    dist = MixtureDistribution(loc, scale, family)
    for confidence in [0.5, 0.9, 0.99]:
        lower, upper = dist.interval(confidence)
        assert_allclose(dist.cdf(upper) - dist.cdf(lower), confidence, rtol=1e-9)
        assert_allclose(dist.cdf(lower), (1 - confidence) / 2, rtol=1e-8)


def test_ppf_and_cdf_broadcast_a_column_against_the_samples():
    dist = MixtureDistribution([[0.0, 5.0], [1.0, 6.0]], np.ones((2, 2)), "gaussian")
    q = np.array([[0.1], [0.5], [0.9]])
    x = dist.ppf(q)
    assert x.shape == (3, 2)
    for i in range(3):
        assert_allclose(x[i], dist.ppf(np.full(2, q[i, 0])))
    assert_allclose(x[1], [0.5, 5.5])  # symmetric mixtures: median = mean
    assert dist.cdf(np.zeros((4, 1))).shape == (4, 2)
    assert dist.logpdf(0.0).shape == (2,)


# ---------------------------------------------------------------------------
# Numerical stability in the tails
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_logpdf_far_tails_against_extended_precision(family):
    # Between ~40 and ~140 scales the float64 density underflows but the
    # x86 extended (or quad) precision one does not: sum it directly there.
    loc = np.array([[0.0, 0.0], [3.0, 3.0], [-1.0, -1.0]])
    scale = np.array([[1.0, 1.0], [2.0, 2.0], [0.5, 0.5]])
    dist = MixtureDistribution(loc, scale, family)
    ld = np.longdouble
    for y in [-60.0, 90.0, 250.0, -700.0]:
        z = (ld(y) - loc.astype(ld)) / scale.astype(ld)
        if family == "gaussian":
            density = np.exp(-0.5 * z * z) / (scale * np.sqrt(2 * ld(np.pi)))
        else:
            density = np.exp(-np.abs(z)) / (2 * scale.astype(ld))
        if family == "gaussian" and abs(y) > 200:
            continue  # beyond extended precision's range too; see the next test
        reference = np.log(density.mean(axis=0)).astype(np.float64)
        assert np.all(np.isfinite(reference))
        assert_allclose(dist.logpdf(np.full(2, y)), reference, rtol=1e-13)


def test_logpdf_finite_a_thousand_scales_away():
    # At y = 1000 the member N(3, 2^2) dominates N(0, 1) by a factor
    # exp(~375000): logpdf is that member's log density minus log 2, exactly.
    dist = MixtureDistribution([[0.0], [3.0]], [[1.0], [2.0]], "gaussian")
    y = 1000.0
    expected = stats.norm.logpdf(y, 3.0, 2.0) - np.log(2)
    assert_allclose(dist.logpdf([y]), [expected], rtol=1e-14)
    # At y = -5000 Laplace(3, 2) dominates Laplace(0, 1) by a factor exp(~2500).
    # (scipy's laplace.logpdf underflows to -inf there: it is log(pdf).)
    dist = MixtureDistribution([[0.0], [3.0]], [[1.0], [2.0]], "laplace")
    expected = -5003.0 / 2.0 - np.log(2 * 2.0) - np.log(2)
    assert_allclose(dist.logpdf([-5000.0]), [expected], rtol=1e-14)
    # a single member 1e3 scales away: -5e5 and change, not -inf
    one = MixtureDistribution([[0.0]], [[1.0]], "gaussian")
    assert_allclose(one.logpdf([1e3]), stats.norm.logpdf([1e3]), rtol=1e-14)
    # where the density is truly zero in float terms, -inf without warnings
    assert_array_equal(one.logpdf([np.inf]), [-np.inf])
    assert_array_equal(one.logpdf([1e200]), [-np.inf])


def test_cdf_keeps_relative_precision_in_the_lower_tail():
    dist = MixtureDistribution([[0.0], [1.0]], [[1.0], [1.0]], "gaussian")
    y = -30.0
    expected = 0.5 * (stats.norm.cdf(-30.0) + stats.norm.cdf(-31.0))
    assert expected > 0
    assert_allclose(dist.cdf([y]), [expected], rtol=1e-12)
    assert_allclose(dist.ppf([expected]), [y], rtol=1e-10)


# ---------------------------------------------------------------------------
# Moments, sampling, moment matching
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_var_is_the_regression_uncertainty_total(family):
    rng = np.random.default_rng(5)
    loc, scale = random_members(rng, 5, (10, 2))
    dist = MixtureDistribution(loc, scale, family)
    u = regression_uncertainty(loc, scale, family)
    # The mixture's moments from scipy's members: mean_m(var_m + mu_m**2) - mean**2.
    members = SCIPY[family](loc, scale)
    mean = members.mean().mean(axis=0)
    var = (members.var() + members.mean() ** 2).mean(axis=0) - mean**2
    assert_allclose(dist.var(), var, rtol=1e-12)
    assert_allclose(u.total, var, rtol=1e-12)
    assert_allclose(dist.mean(), mean)
    assert_allclose(dist.std(), np.sqrt(var), rtol=1e-12)


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_moments(family):
    loc = np.array([[0.0, 10.0], [4.0, 10.0], [-1.0, 12.0]])
    scale = np.array([[1.0, 0.5], [0.5, 0.5], [2.0, 1.0]])
    dist = MixtureDistribution(loc, scale, family)
    n = 200_000
    draws = dist.sample(n, random_state=0)
    assert draws.shape == (n, 2)
    std = dist.std()
    # 5 standard errors: the mean's is std / sqrt(n); the variance's, with
    # these light-tailed mixtures, is below 3 var / sqrt(n).
    assert_allclose(draws.mean(axis=0), dist.mean(), atol=5 * std.max() / np.sqrt(n))
    assert_allclose(draws.var(axis=0), dist.var(), rtol=15 / np.sqrt(n))
    # the empirical cdf at the median is 1/2 within 5 binomial errors
    assert_allclose(
        np.mean(draws <= dist.ppf(0.5), axis=0), 0.5, atol=5 * 0.5 / np.sqrt(n)
    )
    assert_array_equal(draws, dist.sample(n, random_state=0))
    assert not np.array_equal(draws, dist.sample(n, random_state=1))


def test_sample_uses_one_member_for_all_outputs():
    # Two tight members at (0, 0) and (10, 10): drawing the member per output
    # would give pairs near (0, 10) half the time.
    loc = np.array([[[0.0, 0.0]], [[10.0, 10.0]]])
    dist = MixtureDistribution(loc, np.full((2, 1, 2), 0.01), "gaussian")
    draws = dist.sample(2000, random_state=0)
    assert draws.shape == (2000, 1, 2)
    assert np.all(np.abs(draws[..., 0] - draws[..., 1]) < 1.0)
    assert 0.4 < np.mean(draws[..., 0] > 5) < 0.6


def test_moment_matched_gaussian():
    loc = np.array([[0.0, 1.0], [2.0, 1.0]])
    scale = np.array([[1.0, 1.0], [1.0, 3.0]])
    dist = MixtureDistribution(loc, scale, "laplace")
    matched = dist.moment_matched()
    assert isinstance(matched, MixtureDistribution)
    assert matched.n_members == 1 and matched.family == "gaussian"
    assert_allclose(matched.mean(), dist.mean())
    assert_allclose(matched.var(), dist.var())
    assert_allclose(
        matched.ppf(0.9), dist.mean() + dist.std() * stats.norm.ppf(0.9), rtol=1e-12
    )


def test_members_repr_and_immutability():
    loc = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    scale = np.ones((3, 2))
    dist = MixtureDistribution(loc, scale, "gaussian")
    loc[0, 0] = 100.0  # the distribution holds its own copy
    assert_array_equal(dist.members.loc[:, 0], [0.0, 2.0, 4.0])
    assert_array_equal(dist.members.scale, np.ones((3, 2)))
    with pytest.raises(ValueError):
        dist.members.loc[0, 0] = 1.0
    assert dist.n_members == 3
    assert dist.shape == (2,)
    assert (
        repr(dist) == "MixtureDistribution(family='gaussian', n_members=3, shape=(2,))"
    )


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loc, scale, family, match",
    [
        ([[0.0]], [[1.0]], "student", "family must be one of"),
        ([[0.0]], [[1.0]], "point", "family must be one of"),
        ([0.0, 1.0], [1.0, 1.0], "gaussian", "loc must have shape"),
        (np.zeros((0, 3)), np.zeros((0, 3)), "gaussian", "n_members >= 1"),
        ([[0.0, 1.0]], [[1.0]], "gaussian", "scale must have the shape"),
        ([[0.0, 1.0]], [[1.0, 0.0]], "gaussian", "scale must be finite and > 0"),
        ([[0.0, 1.0]], [[1.0, -2.0]], "laplace", "scale must be finite and > 0"),
        ([[0.0, 1.0]], [[1.0, np.inf]], "gaussian", "scale must be finite and > 0"),
        ([[0.0, 1.0]], [[1.0, np.nan]], "gaussian", "scale must be finite and > 0"),
        ([[0.0, np.nan]], [[1.0, 1.0]], "gaussian", "loc must be finite"),
    ],
)
def test_constructor_errors(loc, scale, family, match):
    with pytest.raises(ValueError, match=match):
        MixtureDistribution(loc, scale, family)


def test_method_errors():
    dist = MixtureDistribution([[0.0, 1.0]], [[1.0, 1.0]], "gaussian")
    for q in [0.0, 1.0, -0.1, 1.5, np.nan, [0.5, 1.0]]:
        with pytest.raises(ValueError, match="q must lie strictly between 0 and 1"):
            dist.ppf(q)
    for confidence in [0.0, 1.0, 1.2]:
        with pytest.raises(ValueError, match="confidence must lie strictly"):
            dist.interval(confidence)
    with pytest.raises(ValueError, match="does not broadcast"):
        dist.cdf([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="does not broadcast"):
        dist.logpdf(np.zeros((2, 3)))
    for n in [0, -1, 2.5, True]:
        with pytest.raises(ValueError, match="n_samples must be an integer"):
            dist.sample(n)


# ---------------------------------------------------------------------------
# Properties, for random members
# ---------------------------------------------------------------------------


@st.composite
def mixtures(draw):
    family = draw(st.sampled_from(FAMILIES))
    n_members = draw(st.integers(1, 5))
    n_points = draw(st.integers(1, 3))
    size = n_members * n_points
    loc = draw(
        st.lists(st.floats(-100, 100), min_size=size, max_size=size).map(np.array)
    )
    log_scale = draw(
        st.lists(st.floats(-4, 4), min_size=size, max_size=size).map(np.array)
    )
    shape = (n_members, n_points)
    return MixtureDistribution(
        loc.reshape(shape), np.exp(log_scale).reshape(shape), family
    )


@settings(max_examples=50, deadline=None, derandomize=True)
@given(dist=mixtures(), offsets=st.lists(st.floats(-50, 50), min_size=2))
def test_property_cdf_is_monotone_and_in_unit_interval(dist, offsets):
    grid = dist.mean() + dist.std() * np.sort(np.array(offsets))[:, None]
    cdf = dist.cdf(grid)
    assert np.all((cdf >= 0) & (cdf <= 1))
    assert np.all(np.diff(cdf, axis=0) >= 0)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(dist=mixtures(), q=st.floats(1e-12, 1 - 1e-12))
def test_property_quantile_within_the_members_quantiles(dist, q):
    x = dist.ppf(q)
    members = SCIPY[dist.family].ppf(q, dist.members.loc, dist.members.scale)
    slack = 1e-9 * dist.members.scale.min(axis=0) + 1e-12 * np.abs(members).max(0)
    assert np.all(x >= members.min(axis=0) - slack)
    assert np.all(x <= members.max(axis=0) + slack)
    # and it solves cdf(x) = q (absolute: cdf's rounding near 1 is ~1e-16)
    assert_allclose(dist.cdf(x), q, rtol=1e-7, atol=1e-13)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(dist=mixtures())
def test_property_total_is_aleatoric_plus_epistemic(dist):
    members = dist.members
    u = regression_uncertainty(members.loc, members.scale, dist.family)
    assert np.all(u.epistemic >= 0)
    assert np.all(u.aleatoric > 0)
    factor = 1 if dist.family == "gaussian" else 2
    assert_allclose(u.epistemic, np.var(members.loc, axis=0), rtol=1e-9, atol=1e-12)
    assert_allclose(u.aleatoric, factor * np.mean(members.scale**2, axis=0), rtol=1e-12)
    # the law of total variance from first principles
    second_moment = np.mean(
        members.loc**2 + (1 if dist.family == "gaussian" else 2) * members.scale**2,
        axis=0,
    )
    assert_allclose(
        dist.var(), second_moment - dist.mean() ** 2, rtol=1e-9, atol=1e-9 * 1e4
    )
