"""The registry of the members' distribution families: one entry per family.

A regression member trained with a likelihood loss predicts a location ``loc``
and a scale ``scale`` of a symmetric location-scale family; everything the
package computes from them (the variance, the density, the CDF, quantiles,
draws, the CRPS) goes through that family's entry here. :mod:`skdeepens._mixture`,
:mod:`skdeepens._calibration`, the estimators and the metrics look the entry up
by name and never branch on it, so adding a family is:

1. a :class:`Family` entry in :data:`FAMILIES` (its standardised functions);
2. its training loss in ``skdeepens._core.likelihoods`` (``LOSSES``,
   ``SCALE_LOSSES``, ``REGRESSION_LOSSES``) and the loss's family in
   :data:`LOSS_FAMILIES`;
3. tests in ``tests/test_families.py``, which run every check over every entry.

A loss in ``SCALE_LOSSES`` that is missing from :data:`LOSS_FAMILIES` raises
(:func:`check_scale_losses`, run when the estimators are imported) instead of
silently becoming a point loss.

All functions here are NumPy/SciPy: this module imports neither JAX nor
scikit-learn.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

# The family of members trained with a point loss (squared or absolute error):
# no scale, no density, variance zero.
POINT = "point"

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class Family:
    """One symmetric location-scale family ``X = loc + scale * Z``.

    Every function works on the standardised variable ``Z`` (location 0, scale
    1) or, for the mean absolute differences, on locations and scales, and is
    vectorised over NumPy arrays. The family must be symmetric about ``loc``
    (``P(Z <= -z) = P(Z > z)``): the mixture's CDF, its quantile search and
    the lower-tail quantiles rely on it.

    Parameters
    ----------
    name : str
        The name users pass, e.g. ``"gaussian"``.
    variance_factor : float
        ``Var(Z)``: a member's variance is ``variance_factor * scale**2``.
    log_density : callable
        ``z -> log f_Z(z)``.
    sf : callable
        ``z -> P(Z > z)``, accurate in the upper tail (relative precision).
    ppf_lower : callable
        ``p -> z`` with ``P(Z <= z) = p``, for ``0 < p <= 0.5``, keeping the
        relative precision of ``p`` in the tail.
    draw : callable
        ``(rng, size) -> `` standard draws of ``Z`` from a
        :class:`numpy.random.RandomState`.
    abs_deviation : callable
        ``(d, s) -> E|d + s Z|``: the mean absolute deviation of a member from
        a point ``d`` away from its location (for the CRPS).
    abs_difference : callable
        ``(d, s1, s2) -> E|d + s1 Z1 - s2 Z2|`` for independent ``Z1, Z2``:
        the mean absolute difference of two members (for the CRPS).
    """

    name: str
    variance_factor: float
    log_density: Callable
    sf: Callable
    ppf_lower: Callable
    draw: Callable
    abs_deviation: Callable
    abs_difference: Callable

    def variance(self, scale):
        """A member's variance from its scale, ``variance_factor * scale**2``."""
        return self.variance_factor * np.square(scale)

    def logpdf(self, y, loc, scale):
        """Log density of ``y`` under the member ``(loc, scale)``."""
        return self.log_density((y - loc) / scale) - np.log(scale)

    def density(self, z):
        """The standardised density ``f_Z(z)``."""
        return np.exp(self.log_density(z))

    def crps(self, y, loc, scale):
        """CRPS of one member, ``E|X - y| - E|X - X'| / 2`` (Gneiting-Raftery)."""
        return self.abs_deviation(loc - y, scale) - 0.5 * self.abs_difference(
            np.zeros_like(loc), scale, scale
        )


# ---------------------------------------------------------------------------
# Gaussian: scale is the standard deviation
# ---------------------------------------------------------------------------


def _gaussian_log_density(z):
    return -0.5 * z * z - _LOG_SQRT_2PI


def _abs_normal_mean(m, s):
    """The mean of a folded normal, ``E|N(m, s**2)|``.

    ``s sqrt(2/pi) exp(-m**2 / (2 s**2)) + m erf(m / (s sqrt 2))``; the second
    term is ``m (1 - 2 Phi(-m / s))``.
    """
    w = m / s
    with np.errstate(over="ignore"):  # exp(-inf) = 0 is the right limit
        density_term = _SQRT_2_OVER_PI * np.exp(-0.5 * w * w)
    return s * density_term + m * special.erf(w * _SQRT_HALF)


def _gaussian_abs_difference(d, s1, s2):
    # s1 Z1 - s2 Z2 is N(0, s1^2 + s2^2) (Grimit et al., 2006).
    return _abs_normal_mean(d, np.hypot(s1, s2))


def _gaussian_sf(z):
    # scipy.special's ndtr and ndtri keep full relative precision in the tails.
    return special.ndtr(-z)


def _gaussian_ppf_lower(p):
    return special.ndtri(p)


def _gaussian_draw(rng, size):
    return rng.standard_normal(size=size)


# Every entry holds module-level functions, never lambdas: a distribution
# holds its family, and must pickle (joblib, multiprocessing) as the
# estimators do.
GAUSSIAN = Family(
    name="gaussian",
    variance_factor=1.0,
    log_density=_gaussian_log_density,
    sf=_gaussian_sf,
    ppf_lower=_gaussian_ppf_lower,
    draw=_gaussian_draw,
    abs_deviation=_abs_normal_mean,
    abs_difference=_gaussian_abs_difference,
)


# ---------------------------------------------------------------------------
# Laplace: scale is b, the variance 2 b**2
# ---------------------------------------------------------------------------


def _laplace_log_density(z):
    return -np.abs(z) - _LOG_2


def _laplace_sf(z):
    half_tail = 0.5 * np.exp(-np.abs(z))
    return np.where(z > 0, half_tail, 1.0 - half_tail)


def _laplace_ppf_lower(p):
    return np.log(2.0 * p)


def _laplace_draw(rng, size):
    return rng.laplace(size=size)


def _laplace_abs_deviation(d, s):
    z = np.abs(d) / s
    return s * (z + np.exp(-z))


def _abs_laplace_difference_mean(d, a, c):
    """``E|d + a L1 - c L2|`` for independent standard Laplace ``L1, L2``.

    ``d >= 0`` and ``a >= c > 0``: the mean absolute difference of two
    independent Laplace variables with locations ``d`` apart and scales ``a``,
    ``c``. Derivation: ``W = a L1 - c L2`` is symmetric and its characteristic
    function ``1 / ((1 + a^2 t^2) (1 + c^2 t^2))`` splits into partial
    fractions, so its density is ``(a^2 f_a - c^2 f_c) / (a^2 - c^2)`` with
    ``f_b`` the Laplace(0, b) density. With ``E|d + W| = d + 2 E(W - d)^+`` and
    ``E(W_b - d)^+ = b exp(-d / b) / 2`` for a Laplace(0, b) ``W_b``::

        E|d + W| = d + (a^3 exp(-d/a) - c^3 exp(-d/c)) / (a^2 - c^2).

    That difference quotient cancels catastrophically as ``c -> a``; factoring
    out ``exp(-d/a)`` and ``a - c`` gives the form used here, a sum of
    positive terms::

        d + exp(-d/a) (a^2 + a c + c^2 + c^2 d phi(u) / a) / (a + c),

    with ``u = d (a - c) / (a c)`` and ``phi(u) = (1 - exp(-u)) / u``
    (``phi(0) = 1``). For ``a = c = b`` it is ``d + exp(-d/b) (3 b + d) / 2``,
    and ``3 b / 2`` at ``d = 0``, the known ``E|X - X'|`` of a Laplace.
    """
    with np.errstate(over="ignore", divide="ignore"):
        u = (d / c) * (1.0 - c / a)
    phi = np.divide(-np.expm1(-u), u, out=np.ones_like(u), where=u > 0)
    return d + np.exp(-d / a) * (a * a + a * c + c * c + c * c * d * phi / a) / (a + c)


def _laplace_abs_difference(d, s1, s2):
    return _abs_laplace_difference_mean(
        np.abs(d), np.maximum(s1, s2), np.minimum(s1, s2)
    )


LAPLACE = Family(
    name="laplace",
    variance_factor=2.0,
    log_density=_laplace_log_density,
    sf=_laplace_sf,
    ppf_lower=_laplace_ppf_lower,
    draw=_laplace_draw,
    abs_deviation=_laplace_abs_deviation,
    abs_difference=_laplace_abs_difference,
)


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------

#: Every distribution family, by name.
FAMILIES = {family.name: family for family in (GAUSSIAN, LAPLACE)}

#: The family of each likelihood loss (a loss in ``SCALE_LOSSES``).
LOSS_FAMILIES = {"gaussian_nll": "gaussian", "laplace_nll": "laplace"}


def get_family(name):
    """The registry entry of the family ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`FAMILIES`.

    Returns
    -------
    family : Family
    """
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"family must be one of {sorted(FAMILIES)}; got {name!r}"
        ) from None


def check_scale_losses(scale_losses):
    """Raise unless every loss that predicts a scale has a registered family.

    Parameters
    ----------
    scale_losses : iterable of str
        The losses whose networks predict a scale (``SCALE_LOSSES``).
    """
    missing = sorted(set(scale_losses) - set(LOSS_FAMILIES))
    if missing:
        raise ValueError(
            f"the scale losses {missing} have no distribution family: add each to "
            "skdeepens._families.LOSS_FAMILIES (and its Family to FAMILIES)"
        )
    unknown = sorted(set(LOSS_FAMILIES.values()) - set(FAMILIES))
    if unknown:
        raise ValueError(
            f"LOSS_FAMILIES names the families {unknown}, which are not in FAMILIES"
        )


def family_of_loss(loss, scale_losses):
    """The family name of the members trained with ``loss``.

    Parameters
    ----------
    loss : str
        The training loss.
    scale_losses : iterable of str
        The losses whose networks predict a scale (``SCALE_LOSSES``).

    Returns
    -------
    family : str
        A key of :data:`FAMILIES`, or :data:`POINT` for a loss without a scale.
    """
    if loss not in scale_losses:
        return POINT
    check_scale_losses([loss])
    return LOSS_FAMILIES[loss]


def member_variance(scale, family):
    """Variance of each member's predictive distribution.

    Parameters
    ----------
    scale : ndarray
        The members' scale parameters. Ignored (may be ``None``) for
        ``family="point"``.
    family : str
        A key of :data:`FAMILIES`, or ``"point"``: members trained with a point
        loss predict no spread, variance zero.

    Returns
    -------
    variance : ndarray or float
        ``variance_factor * scale**2``, ``0.0`` for points.
    """
    if family == POINT:
        return 0.0
    return get_family(family).variance(scale)
