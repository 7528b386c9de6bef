"""Metrics for probabilistic predictions: likelihood, CRPS, intervals, calibration.

Regression metrics score a predictive distribution: a Gaussian or Laplace given
by its parameters, or the ensemble's mixture, a
:class:`~skdeepens._mixture.MixtureDistribution` as returned by
``DeepEnsembleRegressor.predict_dist``. Classification metrics score predicted
class probabilities. As in :mod:`sklearn.metrics`, ``y_true`` comes first and
names of lower-is-better scores end in ``_loss`` or ``_error``.

The Brier score and the log loss (the classification NLL) are
:func:`sklearn.metrics.brier_score_loss` and :func:`sklearn.metrics.log_loss`;
they are not repeated here.

Multi-output targets ``y_true`` of shape (n_samples, n_outputs): the NLL and
the CRPS of a sample are the sums over its outputs (the outputs' marginals are
scored as if independent), then averaged over the samples; interval coverage
and width average over the outputs as well as the samples.
"""

import math
import numbers

import numpy as np
from scipy import special
from sklearn.metrics._scorer import _BaseScorer
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
)

from ._mixture import (
    _LOG_SQRT_2PI,
    _SQRT_HALF,
    MixtureDistribution,
)
from .compose import _predict_dist

__all__ = [
    "accuracy_confidence_curve",
    "crps_gaussian",
    "crps_laplace",
    "crps_loss",
    "crps_mixture",
    "expected_calibration_error",
    "gaussian_nll_loss",
    "interval_coverage_score",
    "laplace_nll_loss",
    "mean_interval_width",
    "mixture_nll_loss",
    "neg_crps_scorer",
    "neg_nll_scorer",
    "regression_calibration_curve",
    "regression_calibration_error",
]

_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _check_y_true(y_true):
    """y_true as a finite float array of shape (n,) or (n, n_outputs)."""
    return check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")


def _check_param(value, name, shape, *, positive=False, like="y_true"):
    """A distribution parameter: a scalar or an array of ``like``'s shape."""
    value = np.asarray(value, dtype=np.float64)
    if value.ndim and value.shape != shape:
        raise ValueError(
            f"{name} must be a scalar or have the shape of {like} {shape}; "
            f"got shape {value.shape}"
        )
    if positive:
        bad = ~(np.isfinite(value) & (value > 0))
        if np.any(bad):
            raise ValueError(
                f"{name} must be finite and > 0; got {np.count_nonzero(bad)} "
                f"bad value(s), e.g. {np.ravel(value[bad])[0]!r}"
            )
    elif not np.all(np.isfinite(value)):
        raise ValueError(f"{name} must be finite; got NaN or infinite values")
    return np.broadcast_to(value, shape)


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    sample_weight = column_or_1d(
        sample_weight, dtype=np.float64, input_name="sample_weight"
    )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sample_weight.shape[0]} entries but there are "
            f"{n_samples} samples"
        )
    if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0):
        raise ValueError("sample_weight must be finite and >= 0")
    if not np.sum(sample_weight) > 0:
        raise ValueError("sample_weight must not sum to zero")
    return sample_weight


def _average(per_sample, sample_weight):
    """Weighted mean over the first axis (a float for 1-D input)."""
    sample_weight = _check_sample_weight(sample_weight, per_sample.shape[0])
    return np.average(per_sample, axis=0, weights=sample_weight)


def _sum_outputs(values):
    return values.sum(axis=1) if values.ndim == 2 else values


def _mean_outputs(values):
    return values.mean(axis=1) if values.ndim == 2 else values


def _evaluate(dist, method, y):
    """``dist.method(y)``, checking the distribution describes y's shape."""
    shape = dist.shape if isinstance(dist, MixtureDistribution) else None
    if shape is not None and tuple(shape) != y.shape:
        raise ValueError(
            f"y_true has shape {y.shape} but dist describes shape {tuple(shape)}"
        )
    if not hasattr(dist, method):
        raise TypeError(
            f"dist must have a {method}() method, like MixtureDistribution; "
            f"got {type(dist).__name__}"
        )
    values = np.asarray(getattr(dist, method)(y), dtype=np.float64)
    if values.shape != y.shape:
        raise ValueError(
            f"dist.{method}(y_true) has shape {values.shape}; expected the shape "
            f"of y_true {y.shape}"
        )
    return values


# ---------------------------------------------------------------------------
# Negative log-likelihood
# ---------------------------------------------------------------------------


def gaussian_nll_loss(y_true, mean, std, *, sample_weight=None):
    """Mean negative log-likelihood of Gaussian predictions, in nats.

    Each sample's loss is ``0.5 log(2 pi) + log(std) + (y - mean)**2 / (2 std**2)``,
    summed over the outputs when ``y_true`` is 2-D.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    mean : float or array-like of the shape of ``y_true``
        The predicted means.
    std : float or array-like of the shape of ``y_true``
        The predicted standard deviations, finite and > 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        Lower is better.

    Examples
    --------
    >>> from skdeepens.metrics import gaussian_nll_loss
    >>> round(gaussian_nll_loss([0.0, 2.0], [0.0, 0.0], [1.0, 1.0]), 4)
    1.9189
    """
    y = _check_y_true(y_true)
    mean = _check_param(mean, "mean", y.shape)
    std = _check_param(std, "std", y.shape, positive=True)
    z = (y - mean) / std
    nll = _LOG_SQRT_2PI + np.log(std) + 0.5 * z * z
    return float(_average(_sum_outputs(nll), sample_weight))


def laplace_nll_loss(y_true, loc, scale, *, sample_weight=None):
    """Mean negative log-likelihood of Laplace predictions, in nats.

    Each sample's loss is ``log(2 scale) + |y - loc| / scale``, summed over the
    outputs when ``y_true`` is 2-D.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    loc : float or array-like of the shape of ``y_true``
        The predicted locations (medians).
    scale : float or array-like of the shape of ``y_true``
        The predicted scales ``b`` (the variance is ``2 b**2``), finite and > 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        Lower is better.

    Examples
    --------
    >>> import math
    >>> from skdeepens.metrics import laplace_nll_loss
    >>> laplace_nll_loss([1.0], [0.0], [1.0]) == math.log(2) + 1
    True
    """
    y = _check_y_true(y_true)
    loc = _check_param(loc, "loc", y.shape)
    scale = _check_param(scale, "scale", y.shape, positive=True)
    nll = np.log(2.0 * scale) + np.abs(y - loc) / scale
    return float(_average(_sum_outputs(nll), sample_weight))


def mixture_nll_loss(y_true, dist, *, sample_weight=None):
    """Mean negative log-likelihood of a predictive distribution, in nats.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    dist : MixtureDistribution or object with a ``logpdf`` method
        The predictive distribution, e.g. ``regressor.predict_dist(X)``;
        ``dist.logpdf(y_true)`` must have the shape of ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        ``-logpdf`` summed over the outputs and averaged over the samples.
        Lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.metrics import gaussian_nll_loss, mixture_nll_loss
    >>> dist = MixtureDistribution([[0.0, 1.0]], [[1.0, 2.0]], "gaussian")
    >>> y = [0.5, -1.0]
    >>> bool(np.isclose(mixture_nll_loss(y, dist),
    ...                 gaussian_nll_loss(y, [0.0, 1.0], [1.0, 2.0])))
    True
    """
    y = _check_y_true(y_true)
    nll = -_evaluate(dist, "logpdf", y)
    return float(_average(_sum_outputs(nll), sample_weight))


# ---------------------------------------------------------------------------
# Continuous ranked probability score
# ---------------------------------------------------------------------------


def _abs_normal_mean(m, s):
    """The mean of a folded normal, ``E|N(m, s**2)|``.

    ``s sqrt(2/pi) exp(-m**2 / (2 s**2)) + m erf(m / (s sqrt 2))``; the second
    term is ``m (1 - 2 Phi(-m / s))``.
    """
    w = m / s
    with np.errstate(over="ignore"):  # exp(-inf) = 0 is the right limit
        density_term = _SQRT_2_OVER_PI * np.exp(-0.5 * w * w)
    return s * density_term + m * special.erf(w * _SQRT_HALF)


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


def crps_gaussian(y_true, mean, std):
    """Continuous ranked probability score of Gaussian predictions, per entry.

    The closed form of Gneiting & Raftery (2007, eq. 21)::

        CRPS(N(mean, std^2), y) = std (z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi))

    with ``z = (y - mean) / std``. It has the units of ``y``; lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    mean : float or array-like of the shape of ``y_true``
        The predicted means.
    std : float or array-like of the shape of ``y_true``
        The predicted standard deviations, finite and > 0.

    Returns
    -------
    crps : ndarray of the shape of ``y_true``
        The unreduced scores; :func:`crps_loss` averages a mixture's.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens.metrics import crps_gaussian
    >>> crps = crps_gaussian([0.0], [0.0], [1.0])  # (sqrt(2) - 1) / sqrt(pi)
    >>> bool(np.isclose(crps[0], (np.sqrt(2) - 1) / np.sqrt(np.pi)))
    True
    """
    y = _check_y_true(y_true)
    mean = _check_param(mean, "mean", y.shape)
    std = _check_param(std, "std", y.shape, positive=True)
    # E|X - y| - E|X - X'| / 2 with E|X - X'| = 2 std / sqrt(pi).
    return _abs_normal_mean(y - mean, std) - std * _INV_SQRT_PI


def crps_laplace(y_true, loc, scale):
    """Continuous ranked probability score of Laplace predictions, per entry.

    With ``z = (y - loc) / scale``::

        CRPS(Laplace(loc, scale), y) = scale (|z| + exp(-|z|) - 3/4),

    from ``E|X - y| = scale (|z| + exp(-|z|))`` and ``E|X - X'| = 3 scale / 2``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    loc : float or array-like of the shape of ``y_true``
        The predicted locations.
    scale : float or array-like of the shape of ``y_true``
        The predicted scales ``b``, finite and > 0.

    Returns
    -------
    crps : ndarray of the shape of ``y_true``
        The unreduced scores; lower is better.

    Examples
    --------
    >>> from skdeepens.metrics import crps_laplace
    >>> crps_laplace([0.0, 1.0], [0.0, 0.0], [2.0, 1.0]).round(4)
    array([0.5   , 0.6179])
    """
    y = _check_y_true(y_true)
    loc = _check_param(loc, "loc", y.shape)
    scale = _check_param(scale, "scale", y.shape, positive=True)
    z = np.abs(y - loc) / scale
    return scale * (z + np.exp(-z) - 0.75)


def crps_mixture(y_true, dist):
    """Continuous ranked probability score of a mixture, per entry, in closed form.

    For ``X, X'`` independent draws from the mixture,
    ``CRPS = E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery, 2007, eq. 20).
    Both expectations are averages over the members (pairs of members) of
    closed forms: for Gaussian members, the folded-normal mean
    ``E|N(m, s^2)| = s sqrt(2/pi) exp(-m^2 / (2 s^2)) + m (1 - 2 Phi(-m/s))``
    with ``X_i - y ~ N(mu_i - y, s_i^2)`` and
    ``X_i - X_j ~ N(mu_i - mu_j, s_i^2 + s_j^2)`` (Grimit et al., 2006); for
    Laplace members, ``E|X_i - y| = b_i (|z_i| + exp(-|z_i|))`` and the mean
    absolute difference of two Laplace variables derived in the source. The
    pairs are summed one member at a time, so memory grows as
    ``n_members * y_true.size``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    dist : MixtureDistribution
        The predictive distribution, of shape ``y_true.shape``.

    Returns
    -------
    crps : ndarray of the shape of ``y_true``
        The unreduced scores, in the units of ``y``; lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.metrics import crps_gaussian, crps_mixture
    >>> one = MixtureDistribution([[0.0, 1.0]], [[1.0, 0.5]], "gaussian")
    >>> bool(np.allclose(crps_mixture([0.3, 3.0], one),
    ...                  crps_gaussian([0.3, 3.0], [0.0, 1.0], [1.0, 0.5])))
    True
    """
    if not isinstance(dist, MixtureDistribution):
        raise TypeError(
            f"dist must be a MixtureDistribution; got {type(dist).__name__}"
        )
    y = _check_y_true(y_true)
    if dist.shape != y.shape:
        raise ValueError(
            f"y_true has shape {y.shape} but dist describes shape {dist.shape}"
        )
    loc, scale = dist.members.loc, dist.members.scale
    n_members = dist.n_members
    if dist.family == "gaussian":
        to_y = _abs_normal_mean(loc - y, scale).mean(axis=0)
        # E|X_i - X_i'| = 2 s_i / sqrt(pi): the diagonal of the pair sum.
        pairs = (2.0 * _INV_SQRT_PI * scale).sum(axis=0)
        for i in range(n_members - 1):
            spread = np.hypot(scale[i], scale[i + 1 :])
            pairs += 2.0 * _abs_normal_mean(loc[i] - loc[i + 1 :], spread).sum(0)
    else:
        z = np.abs(y - loc) / scale
        to_y = (scale * (z + np.exp(-z))).mean(axis=0)
        pairs = (1.5 * scale).sum(axis=0)  # E|X_i - X_i'| = 3 b_i / 2
        for i in range(n_members - 1):
            others = scale[i + 1 :]
            pairs += 2.0 * _abs_laplace_difference_mean(
                np.abs(loc[i] - loc[i + 1 :]),
                np.maximum(scale[i], others),
                np.minimum(scale[i], others),
            ).sum(axis=0)
    return to_y - 0.5 * pairs / n_members**2


def crps_loss(y_true, dist, *, sample_weight=None):
    """Mean continuous ranked probability score of a mixture.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    dist : MixtureDistribution
        The predictive distribution, e.g. ``regressor.predict_dist(X)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        :func:`crps_mixture` summed over the outputs and averaged over the
        samples, in the units of ``y``. Lower is better; for a point forecast
        the CRPS is the absolute error.

    Examples
    --------
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.metrics import crps_loss
    >>> dist = MixtureDistribution([[0.0], [0.0]], [[1.0], [1.0]], "laplace")
    >>> crps_loss([0.0], dist)  # scale * (0 + 1 - 3/4)
    0.25
    """
    crps = crps_mixture(y_true, dist)
    return float(_average(_sum_outputs(crps), sample_weight))


# ---------------------------------------------------------------------------
# Prediction intervals and regression calibration
# ---------------------------------------------------------------------------


def _check_bounds(lower, upper, shape, like="y_true"):
    lower = _check_param(lower, "lower", shape, like=like)
    upper = _check_param(upper, "upper", shape, like=like)
    if np.any(lower > upper):
        raise ValueError("lower must be <= upper everywhere")
    return lower, upper


def interval_coverage_score(y_true, lower, upper, *, sample_weight=None):
    """Fraction of the targets inside their prediction interval.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    lower, upper : float or array-like of the shape of ``y_true``
        The interval bounds (included), e.g. ``dist.interval(0.9)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    coverage : float
        In [0, 1]; it should be close to the intervals' nominal confidence.

    Examples
    --------
    >>> from skdeepens.metrics import interval_coverage_score
    >>> interval_coverage_score([0.0, 1.0, 5.0, 2.0], [-1, 0, 0, 2], [1, 1, 4, 3])
    0.75
    """
    y = _check_y_true(y_true)
    lower, upper = _check_bounds(lower, upper, y.shape)
    inside = ((lower <= y) & (y <= upper)).astype(np.float64)
    return float(_average(_mean_outputs(inside), sample_weight))


def mean_interval_width(lower, upper, *, sample_weight=None):
    """Mean width of prediction intervals (their sharpness).

    Parameters
    ----------
    lower, upper : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The interval bounds.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    width : float
        The mean of ``upper - lower``, in the units of the target.

    Examples
    --------
    >>> from skdeepens.metrics import mean_interval_width
    >>> mean_interval_width([0.0, 1.0], [2.0, 2.0])
    1.5
    """
    lower = check_array(lower, ensure_2d=False, dtype=np.float64, input_name="lower")
    upper = check_array(upper, ensure_2d=False, dtype=np.float64, input_name="upper")
    check_consistent_length(lower, upper)
    lower, upper = _check_bounds(lower, upper, lower.shape, like="lower")
    return float(_average(_mean_outputs(upper - lower), sample_weight))


def _check_levels(levels):
    if levels is None:
        return np.linspace(0.05, 0.95, 19)
    levels = np.asarray(levels, dtype=np.float64)
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(f"levels must be a non-empty 1-D array; got {levels!r}")
    if not np.all((levels > 0) & (levels < 1)):
        raise ValueError(
            f"levels must lie strictly between 0 and 1; got {levels.tolist()!r}"
        )
    return levels


def regression_calibration_curve(y_true, dist, *, levels=None, sample_weight=None):
    """Observed coverage of the central prediction intervals at several levels.

    A target lies in the central interval of level ``c``,
    ``[ppf((1 - c) / 2), ppf((1 + c) / 2)]``, exactly when its probability
    integral transform ``u = dist.cdf(y)`` satisfies ``|u - 1/2| <= c / 2``;
    that is how the coverage is computed, one cdf evaluation for all levels.
    A calibrated model's curve follows the diagonal.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    dist : MixtureDistribution or object with a ``cdf`` method
        The predictive distribution; ``dist.cdf(y_true)`` must have the shape
        of ``y_true``.
    levels : array-like of shape (n_levels,), default=None
        Nominal confidence levels in (0, 1); ``None`` means
        ``np.linspace(0.05, 0.95, 19)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    expected_levels : ndarray of shape (n_levels,)
        The nominal levels.
    observed_coverage : ndarray of shape (n_levels,)
        The fraction of the targets inside the interval of each level.

    Examples
    --------
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.metrics import regression_calibration_curve
    >>> dist = MixtureDistribution([[0.0, 0.0, 0.0, 0.0]], [[1.0] * 4], "gaussian")
    >>> regression_calibration_curve([0.1, -0.5, 1.0, 3.0], dist, levels=[0.5, 0.9])
    (array([0.5, 0.9]), array([0.5 , 0.75]))
    """
    y = _check_y_true(y_true)
    levels = _check_levels(levels)
    pit = _evaluate(dist, "cdf", y)
    inside = (np.abs(pit[..., None] - 0.5) <= 0.5 * levels).astype(np.float64)
    per_sample = inside.mean(axis=1) if y.ndim == 2 else inside  # (n, n_levels)
    return levels, _average(per_sample, sample_weight)


def regression_calibration_error(y_true, dist, *, levels=None, sample_weight=None):
    """Mean absolute gap between the observed and the nominal coverage.

    ``mean_c |observed_coverage(c) - c|`` over the levels of
    :func:`regression_calibration_curve`. With levels spread evenly over
    (0, 1) it approximates the area between the calibration curve and the
    diagonal; 0 is perfect calibration, and it is at most 1.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The observed targets.
    dist : MixtureDistribution or object with a ``cdf`` method
        The predictive distribution.
    levels : array-like of shape (n_levels,), default=None
        Nominal confidence levels in (0, 1); ``None`` means
        ``np.linspace(0.05, 0.95, 19)``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    error : float
        Lower is better.

    Examples
    --------
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.metrics import regression_calibration_error
    >>> dist = MixtureDistribution([[0.0, 0.0, 0.0, 0.0]], [[1.0] * 4], "gaussian")
    >>> y = [0.1, -0.5, 1.0, 3.0]
    >>> round(regression_calibration_error(y, dist, levels=[0.5, 0.9]), 4)
    0.075
    """
    levels, observed = regression_calibration_curve(
        y_true, dist, levels=levels, sample_weight=sample_weight
    )
    return float(np.mean(np.abs(observed - levels)))


# ---------------------------------------------------------------------------
# Classification calibration
# ---------------------------------------------------------------------------


def _top_label(y_true, y_proba, classes):
    """Confidence (max probability) and correctness of the top label."""
    y_true = column_or_1d(y_true, input_name="y_true")
    if y_true.dtype.kind == "f":
        has_nan = bool(np.isnan(y_true).any())
    else:
        has_nan = y_true.dtype.kind == "O" and any(
            isinstance(v, float) and math.isnan(v) for v in y_true
        )
    if has_nan:
        raise ValueError("y_true contains NaN")
    if classes is None:
        classes = np.unique(y_true)
    else:
        classes = column_or_1d(classes, input_name="classes")
        if np.unique(classes).shape[0] != classes.shape[0]:
            raise ValueError(f"classes must be unique; got {classes!r}")
    unknown = ~np.isin(y_true, classes)
    if np.any(unknown):
        raise ValueError(
            f"y_true contains labels not in classes: {np.unique(y_true[unknown])!r}"
        )
    y_proba = np.asarray(y_proba, dtype=np.float64)
    if y_proba.ndim == 1:
        if classes.shape[0] != 2:
            raise ValueError(
                "a 1-D y_proba is the probability of classes[1] and needs exactly "
                f"2 classes; got {classes.shape[0]}"
            )
        y_proba = np.column_stack([1.0 - y_proba, y_proba])
    if y_proba.ndim != 2:
        raise ValueError(
            f"y_proba must have shape (n_samples, n_classes); got {y_proba.shape}"
        )
    check_consistent_length(y_true, y_proba)
    if y_proba.shape[1] != classes.shape[0]:
        raise ValueError(
            f"y_proba has {y_proba.shape[1]} columns but there are "
            f"{classes.shape[0]} classes {classes!r}; pass classes= (e.g. the "
            "classifier's classes_) when y_true does not contain every class"
        )
    if not np.all(np.isfinite(y_proba) & (y_proba >= 0) & (y_proba <= 1)):
        raise ValueError("y_proba must hold probabilities in [0, 1]")
    if not np.allclose(y_proba.sum(axis=1), 1.0, rtol=0.0, atol=1e-4):
        raise ValueError("each row of y_proba must sum to 1")
    confidence = y_proba.max(axis=1)
    correct = classes[np.argmax(y_proba, axis=1)] == y_true
    return confidence, correct.astype(np.float64)


def expected_calibration_error(
    y_true, y_proba, *, n_bins=15, classes=None, sample_weight=None
):
    """Top-label expected calibration error (ECE).

    The predicted label's probability (the confidence) is binned into
    ``n_bins`` equal-width bins ``(k / n_bins, (k + 1) / n_bins]``, closed on the
    right as in Guo et al. (2017); the ECE is the bins' average of
    ``|accuracy - mean confidence|``, weighted by the bins' (weighted) counts.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels, of any type.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``classes``; a 1-D
        array is the probability of ``classes[1]`` in a binary problem.
    n_bins : int, default=15
        The number of bins, at least 1.
    classes : array-like of shape (n_classes,), default=None
        The labels of ``y_proba``'s columns (a classifier's ``classes_``);
        ``None`` means ``np.unique(y_true)``, scikit-learn's order, which
        requires every class to appear in ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    ece : float
        In [0, 1]; lower is better.

    See Also
    --------
    sklearn.metrics.brier_score_loss, sklearn.metrics.log_loss

    Examples
    --------
    >>> from skdeepens.metrics import expected_calibration_error
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> ece = expected_calibration_error(["a", "b", "b", "b"], y_proba, n_bins=5)
    >>> round(ece, 4)  # (|1 - 0.9| + 2 |0.5 - 0.75| + |1 - 0.6|) / 4
    0.25
    """
    if (
        not isinstance(n_bins, numbers.Integral)
        or isinstance(n_bins, bool)
        or n_bins < 1
    ):
        raise ValueError(f"n_bins must be an integer >= 1; got {n_bins!r}")
    confidence, correct = _top_label(y_true, y_proba, classes)
    weight = _check_sample_weight(sample_weight, confidence.shape[0])
    if weight is None:
        weight = np.ones_like(confidence)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], confidence, side="left")
    # Per bin, count * |accuracy - confidence| = |sum(correct) - sum(confidence)|.
    correct_sum = np.bincount(bins, weights=weight * correct, minlength=n_bins)
    confidence_sum = np.bincount(bins, weights=weight * confidence, minlength=n_bins)
    return float(np.sum(np.abs(correct_sum - confidence_sum)) / np.sum(weight))


def accuracy_confidence_curve(
    y_true, y_proba, *, thresholds=None, classes=None, sample_weight=None
):
    """Accuracy on the examples predicted with at least a given confidence.

    Lakshminarayanan et al. (2017, figure 6) plot it to show that a model
    which knows what it does not know gains accuracy as it abstains on its
    least confident predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        The true labels, of any type.
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, as in :func:`expected_calibration_error`.
    thresholds : array-like of shape (n_thresholds,), default=None
        Confidence thresholds; ``None`` means ``0.0, 0.1, ..., 0.9``.
    classes : array-like of shape (n_classes,), default=None
        The labels of ``y_proba``'s columns, as in
        :func:`expected_calibration_error`.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    thresholds : ndarray of shape (n_thresholds,)
        The thresholds.
    accuracy : ndarray of shape (n_thresholds,)
        Accuracy on the examples whose top probability is ``>=`` the
        threshold; NaN where no example is kept.
    fraction_kept : ndarray of shape (n_thresholds,)
        The (weighted) fraction of the examples kept.

    Examples
    --------
    >>> from skdeepens.metrics import accuracy_confidence_curve
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> accuracy_confidence_curve([0, 1, 1, 1], y_proba, thresholds=[0.5, 0.75])
    (array([0.5 , 0.75]), array([0.75, 0.5 ]), array([1. , 0.5]))
    """
    if thresholds is None:
        thresholds = np.arange(10) / 10.0
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if thresholds.ndim != 1 or not np.all(np.isfinite(thresholds)):
        raise ValueError(
            f"thresholds must be a 1-D array of finite values; got {thresholds!r}"
        )
    confidence, correct = _top_label(y_true, y_proba, classes)
    weight = _check_sample_weight(sample_weight, confidence.shape[0])
    if weight is None:
        weight = np.ones_like(confidence)
    kept = (confidence[None, :] >= thresholds[:, None]).astype(np.float64)
    kept_weight = kept @ weight
    accuracy = np.divide(
        kept @ (weight * correct),
        kept_weight,
        out=np.full(thresholds.shape, np.nan),
        where=kept_weight > 0,
    )
    return thresholds, accuracy, kept_weight / np.sum(weight)


# ---------------------------------------------------------------------------
# Scorers (greater is better), for GridSearchCV(scoring=...)
# ---------------------------------------------------------------------------


class _DistributionScorer(_BaseScorer):
    """A scorer of the predictive distribution, greater is better.

    Called as ``scorer(estimator, X, y_true, sample_weight=None)`` on any
    estimator :func:`skdeepens.compose.predict_dist` resolves: a
    :class:`~skdeepens.DeepEnsembleRegressor`, a Pipeline, a search (through
    its ``best_estimator_``) or an affine TransformedTargetRegressor ending in
    one. It returns minus ``loss(y_true, predict_dist(estimator, X))``.

    Built on scikit-learn's scorer base, as :func:`~sklearn.metrics.make_scorer`
    builds its scorers (whose ``response_method`` must be a method of the
    estimator itself, which a Pipeline's ``predict_dist`` is not), so that
    ``set_score_request(sample_weight=True)`` routes sample weights under
    ``sklearn.set_config(enable_metadata_routing=True)``; without routing,
    ``sample_weight=`` passed to the call is used.
    """

    def __init__(self, loss, name):
        # scikit-learn looks the response method up on the estimator itself to
        # decide on caching predictions across scorers; a Pipeline has only
        # predict, hence the fallback. _score resolves predict_dist itself.
        super().__init__(
            loss, sign=-1, kwargs={}, response_method=("predict_dist", "predict")
        )
        self._name = name

    def __repr__(self):
        return self._name

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        # method_caller would look predict_dist up on the estimator itself,
        # which a Pipeline or a search lacks: resolve the distribution instead.
        dist = _predict_dist(estimator, X, self._name)
        return self._sign * self._score_func(y_true, dist, **self._kwargs, **kwargs)


#: Scorer: minus :func:`mixture_nll_loss` of the predictive mixture, the mean
#: log-likelihood per sample; for ``scoring=`` in searches and
#: :func:`~sklearn.model_selection.cross_validate`. See ``_DistributionScorer``.
neg_nll_scorer = _DistributionScorer(mixture_nll_loss, "neg_nll_scorer")

#: Scorer: minus :func:`crps_loss` of the predictive mixture, for ``scoring=``
#: in searches and :func:`~sklearn.model_selection.cross_validate`.
neg_crps_scorer = _DistributionScorer(crps_loss, "neg_crps_scorer")
