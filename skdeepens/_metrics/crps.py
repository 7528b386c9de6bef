"""Continuous ranked probability score (CRPS) of Gaussian, Laplace and mixture
predictions, in closed form through the family registry."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import validate_params

from .._families import GAUSSIAN, LAPLACE, get_family
from .._mixture import MixtureDistribution
from ._checks import average, check_param, check_y_true, sum_outputs


@validate_params(
    {
        "y_true": ["array-like"],
        "mean": ["array-like", Real],
        "std": ["array-like", Real],
    },
    prefer_skip_nested_validation=True,
)
def gaussian_crps(y_true, mean, std):
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
        The unreduced scores; :func:`mixture_crps_loss` averages a mixture's.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens.metrics import gaussian_crps
    >>> crps = gaussian_crps([0.0], [0.0], [1.0])  # (sqrt(2) - 1) / sqrt(pi)
    >>> bool(np.isclose(crps[0], (np.sqrt(2) - 1) / np.sqrt(np.pi)))
    True
    """
    y = check_y_true(y_true)
    mean = check_param(mean, "mean", y.shape)
    std = check_param(std, "std", y.shape, positive=True)
    return GAUSSIAN.crps(y, mean, std)


@validate_params(
    {
        "y_true": ["array-like"],
        "loc": ["array-like", Real],
        "scale": ["array-like", Real],
    },
    prefer_skip_nested_validation=True,
)
def laplace_crps(y_true, loc, scale):
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
    >>> from skdeepens.metrics import laplace_crps
    >>> laplace_crps([0.0, 1.0], [0.0, 0.0], [2.0, 1.0]).round(4)
    array([0.5   , 0.6179])
    """
    y = check_y_true(y_true)
    loc = check_param(loc, "loc", y.shape)
    scale = check_param(scale, "scale", y.shape, positive=True)
    return LAPLACE.crps(y, loc, scale)


@validate_params(
    {"y_true": ["array-like"], "dist": [MixtureDistribution]},
    prefer_skip_nested_validation=True,
)
def mixture_crps(y_true, dist):
    """Continuous ranked probability score of a mixture, per entry, in closed form.

    For ``X, X'`` independent draws from the mixture,
    ``CRPS = E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery, 2007, eq. 20).
    Both expectations are averages over the members (pairs of members) of
    closed forms: for Gaussian members, the folded-normal mean
    ``E|N(m, s^2)| = s sqrt(2/pi) exp(-m^2 / (2 s^2)) + m (1 - 2 Phi(-m/s))``
    with ``X_i - y ~ N(mu_i - y, s_i^2)`` and
    ``X_i - X_j ~ N(mu_i - mu_j, s_i^2 + s_j^2)`` (Grimit et al., 2006); for
    Laplace members, ``E|X_i - y| = b_i (|z_i| + exp(-|z_i|))`` and the mean
    absolute difference of two Laplace variables derived in
    ``skdeepens._families``. The
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
    >>> from skdeepens.metrics import gaussian_crps, mixture_crps
    >>> one = MixtureDistribution([[0.0, 1.0]], [[1.0, 0.5]], "gaussian")
    >>> bool(np.allclose(mixture_crps([0.3, 3.0], one),
    ...                  gaussian_crps([0.3, 3.0], [0.0, 1.0], [1.0, 0.5])))
    True
    """
    y = check_y_true(y_true)
    if dist.shape != y.shape:
        raise ValueError(
            f"y_true has shape {y.shape} but dist describes shape {dist.shape}"
        )
    loc, scale = dist.members.loc, dist.members.scale
    family = get_family(dist.family)
    n_members = dist.n_members
    to_y = family.abs_deviation(loc - y, scale).mean(axis=0)
    # The diagonal of the pair sum, E|X_i - X_i'|, then each pair i < j twice.
    pairs = family.abs_difference(np.zeros_like(scale), scale, scale).sum(axis=0)
    for i in range(n_members - 1):
        pairs += 2.0 * family.abs_difference(
            loc[i] - loc[i + 1 :], scale[i], scale[i + 1 :]
        ).sum(axis=0)
    return to_y - 0.5 * pairs / n_members**2


@validate_params(
    {
        "y_true": ["array-like"],
        "dist": [MixtureDistribution],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def mixture_crps_loss(y_true, dist, *, sample_weight=None):
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
        :func:`mixture_crps` summed over the outputs and averaged over the
        samples, in the units of ``y``. Lower is better; for a point forecast
        the CRPS is the absolute error.

    Examples
    --------
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.metrics import mixture_crps_loss
    >>> dist = MixtureDistribution([[0.0], [0.0]], [[1.0], [1.0]], "laplace")
    >>> mixture_crps_loss([0.0], dist)  # scale * (0 + 1 - 3/4)
    0.25
    """
    crps = mixture_crps(y_true, dist)
    return float(average(sum_outputs(crps), sample_weight))
