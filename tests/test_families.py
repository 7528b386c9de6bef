"""Tests of the family registry, skdeepens._families.

Every check runs over every registered family against an independent
reference (SciPy's distribution, numerical quadrature), so a new family gets
all of them by adding its reference to ``REFERENCES``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from skdeepens import DeepEnsembleRegressor, _families
from skdeepens._core.likelihoods import LOSSES, SCALE_LOSSES
from skdeepens._ensemble import _regressor
from skdeepens._families import (
    FAMILIES,
    LOSS_FAMILIES,
    POINT,
    check_scale_losses,
    family_of_loss,
    get_family,
    member_variance,
)

# The independent reference of each family: SciPy's standardised distribution.
REFERENCES = {"gaussian": stats.norm(), "laplace": stats.laplace()}
NAMES = sorted(FAMILIES)
Z = np.array([-30.0, -5.0, -1.3, -1e-3, 0.0, 0.4, 2.0, 7.5, 35.0])


def mean_abs(ref, m, s):
    """``E|m + s Z|`` by quadrature, split at the kinks (the root and 0)."""
    cuts = [-np.inf, *sorted({-m / s, 0.0}), np.inf]
    return sum(
        integrate.quad(lambda z: abs(m + s * z) * ref.pdf(z), a, b)[0]
        for a, b in zip(cuts[:-1], cuts[1:])
    )


def test_every_family_has_a_reference():
    assert sorted(REFERENCES) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_standardised_functions_match_scipy(name):
    family, ref = FAMILIES[name], REFERENCES[name]
    assert family.name == name
    assert_allclose(family.variance_factor, ref.var(), rtol=1e-12)
    assert_allclose(family.log_density(Z), ref.logpdf(Z), rtol=1e-12)
    assert_allclose(family.density(Z), ref.pdf(Z), rtol=1e-12, atol=1e-300)
    # sf keeps the relative precision of the upper tail.
    assert_allclose(family.sf(Z), ref.sf(Z), rtol=1e-10)
    p = np.array([1e-300, 1e-20, 1e-5, 0.01, 0.2, 0.5])
    assert_allclose(family.ppf_lower(p), ref.ppf(p), rtol=1e-10)
    # symmetric about 0, as MixtureDistribution relies on
    assert_allclose(family.sf(-Z), ref.cdf(Z), rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_location_scale_methods(name):
    family, ref = FAMILIES[name], REFERENCES[name]
    y, loc, scale = np.array([0.3, -4.0]), np.array([1.0, 2.0]), np.array([0.5, 3.0])
    assert_allclose(
        family.logpdf(y, loc, scale),
        stats.rv_continuous.logpdf(ref.dist, y, loc, scale),
        rtol=1e-12,
    )
    assert_allclose(family.variance(scale), ref.var() * scale**2, rtol=1e-12)
    assert_allclose(member_variance(scale, name), ref.var() * scale**2, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_draws_follow_the_distribution(name):
    family, ref = FAMILIES[name], REFERENCES[name]
    draws = family.draw(np.random.RandomState(0), (20_000,))
    assert draws.shape == (20_000,)
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d, s", [(0.0, 1.0), (0.7, 0.3), (-3.0, 2.0)])
def test_abs_deviation_against_quadrature(name, d, s):
    ref = REFERENCES[name]
    expected = mean_abs(ref, d, s)
    assert_allclose(FAMILIES[name].abs_deviation(np.array(d), s), expected, rtol=1e-8)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "d, s1, s2", [(0.0, 1.0, 1.0), (0.5, 0.3, 2.0), (-2.0, 1.5, 0.7)]
)
def test_abs_difference_against_quadrature(name, d, s1, s2):
    # E|d + s1 Z1 - s2 Z2| = E_Z1 E|(d + s1 Z1) + s2 Z2| by symmetry of Z2: the
    # inner mean by abs_deviation (checked against quadrature above), the outer
    # by quadrature, so abs_difference's own closed form is not used.
    family, ref = FAMILIES[name], REFERENCES[name]
    expected = integrate.quad(
        lambda z1: family.abs_deviation(d + s1 * z1, s2) * ref.pdf(z1),
        -np.inf,
        np.inf,
    )[0]
    got = FAMILIES[name].abs_difference(np.array(d), np.array(s1), np.array(s2))
    assert_allclose(got, expected, rtol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_crps_against_the_cdf_integral(name):
    # CRPS = integral of (F(x) - 1{x >= y})^2 dx (Gneiting & Raftery, 2007).
    ref = REFERENCES[name]
    loc, scale, y = 0.5, 2.0, 1.7

    def integrand(x):
        return (ref.cdf((x - loc) / scale) - (x >= y)) ** 2

    expected = sum(
        integrate.quad(integrand, a, b)[0]
        for a, b in [
            (-np.inf, min(loc, y)),
            (min(loc, y), max(loc, y)),
            (max(loc, y), np.inf),
        ]
    )
    got = FAMILIES[name].crps(np.array(y), np.array(loc), np.array(scale))
    assert_allclose(got, expected, rtol=1e-8)


def test_every_scale_loss_has_a_family():
    check_scale_losses(SCALE_LOSSES)
    assert set(LOSS_FAMILIES) == set(SCALE_LOSSES)
    assert set(LOSS_FAMILIES) <= set(LOSSES)
    for loss in SCALE_LOSSES:
        assert family_of_loss(loss, SCALE_LOSSES) in FAMILIES
    for loss in set(LOSSES) - SCALE_LOSSES:
        assert family_of_loss(loss, SCALE_LOSSES) == POINT


def test_a_scale_loss_without_a_family_fails_loudly(monkeypatch):
    scale_losses = SCALE_LOSSES | {"student_t_nll"}
    with pytest.raises(ValueError, match=r"\['student_t_nll'\] have no distribution"):
        check_scale_losses(scale_losses)
    with pytest.raises(ValueError, match="no distribution family"):
        family_of_loss("student_t_nll", scale_losses)
    # The estimator asks the registry, so such a loss cannot become a point loss.
    monkeypatch.setattr(_regressor, "SCALE_LOSSES", scale_losses)
    reg = DeepEnsembleRegressor(loss="student_t_nll")
    with pytest.raises(ValueError, match="no distribution family"):
        reg._calibrates()
    monkeypatch.setitem(LOSS_FAMILIES, "student_t_nll", "student_t")
    with pytest.raises(ValueError, match=r"families \['student_t'\]"):
        check_scale_losses(scale_losses)


def test_unknown_family_names_raise():
    for bad in ["student", "point", None, 3]:
        with pytest.raises(ValueError, match="family must be one of"):
            get_family(bad)
    assert member_variance(None, POINT) == 0.0
    assert _families.FAMILIES["gaussian"] is get_family("gaussian")
