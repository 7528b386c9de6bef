"""Prediction intervals (coverage, width) and the calibration of regression
predictions."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils.validation import check_array, check_consistent_length

from .._mixture import check_levels
from ._checks import (
    average,
    check_param,
    check_y_true,
    evaluate,
    mean_outputs,
)


def _check_bounds(lower, upper, shape, like="y_true"):
    lower = check_param(lower, "lower", shape, like=like)
    upper = check_param(upper, "upper", shape, like=like)
    if np.any(lower > upper):
        raise ValueError("lower must be <= upper everywhere")
    return lower, upper


@validate_params(
    {
        "y_true": ["array-like"],
        "lower": ["array-like", Real],
        "upper": ["array-like", Real],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
    y = check_y_true(y_true)
    lower, upper = _check_bounds(lower, upper, y.shape)
    inside = ((lower <= y) & (y <= upper)).astype(np.float64)
    return float(average(mean_outputs(inside), sample_weight))


@validate_params(
    {
        "lower": ["array-like"],
        "upper": ["array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
    return float(average(mean_outputs(upper - lower), sample_weight))


def _check_levels(levels):
    if levels is None:
        return np.linspace(0.05, 0.95, 19)
    return check_levels(levels, "levels", scalar=False)


@validate_params(
    {
        "y_true": ["array-like"],
        "dist": [HasMethods(["cdf"])],
        "levels": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
    y = check_y_true(y_true)
    levels = _check_levels(levels)
    pit = evaluate(dist, "cdf", y)
    inside = (np.abs(pit[..., None] - 0.5) <= 0.5 * levels).astype(np.float64)
    per_sample = inside.mean(axis=1) if y.ndim == 2 else inside  # (n, n_levels)
    return levels, average(per_sample, sample_weight)


@validate_params(
    {
        "y_true": ["array-like"],
        "dist": [HasMethods(["cdf"])],
        "levels": ["array-like", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
