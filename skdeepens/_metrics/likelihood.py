"""Negative log-likelihood of Gaussian, Laplace and mixture predictions."""

from numbers import Real

from sklearn.utils._param_validation import HasMethods, validate_params

from .._families import GAUSSIAN, LAPLACE
from ._checks import average, check_param, check_y_true, evaluate, sum_outputs


@validate_params(
    {
        "y_true": ["array-like"],
        "mean": ["array-like", Real],
        "std": ["array-like", Real],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
    y = check_y_true(y_true)
    mean = check_param(mean, "mean", y.shape)
    std = check_param(std, "std", y.shape, positive=True)
    nll = -GAUSSIAN.logpdf(y, mean, std)
    return float(average(sum_outputs(nll), sample_weight))


@validate_params(
    {
        "y_true": ["array-like"],
        "loc": ["array-like", Real],
        "scale": ["array-like", Real],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
    y = check_y_true(y_true)
    loc = check_param(loc, "loc", y.shape)
    scale = check_param(scale, "scale", y.shape, positive=True)
    nll = -LAPLACE.logpdf(y, loc, scale)
    return float(average(sum_outputs(nll), sample_weight))


@validate_params(
    {
        "y_true": ["array-like"],
        "dist": [HasMethods(["logpdf"])],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
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
    y = check_y_true(y_true)
    nll = -evaluate(dist, "logpdf", y)
    return float(average(sum_outputs(nll), sample_weight))
