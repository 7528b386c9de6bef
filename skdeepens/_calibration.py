"""Recalibrating the predictive mixture on held-out data.

A deep ensemble's spread is learnt on its training data, so it is rarely right
on new data: the members' scales are too small where they overfit, and their
disagreement says little about its own size. The recalibration here rescales
the two parts of the mixture, per output, by factors fitted on held-out rows:

* ``a``: every member's scale is multiplied by ``a`` (the aleatoric part of the
  variance by ``a**2``);
* ``e``: every member's location moves ``e`` times as far from the mixture mean
  (the epistemic part by ``e**2``; the mean is unchanged).

The result is again a uniform mixture of the same members' family, so every
method of the exact distribution (density, CDF, quantiles, intervals, the
uncertainty split) stays exact and consistent. The factors maximise the
held-out log-likelihood of the mixture (a proper scoring rule, so they cannot
be gamed), with a normal prior on ``log a`` and ``log e`` that keeps them near
1 when there are few held-out rows.
"""

import numpy as np
from scipy import optimize

from ._metrics.crps import mixture_crps
from ._mixture import MixtureDistribution

# Bounds of log a and log e in the search: factors between 1/e^4 and e^4.
_LOG_BOUND = 4.0


def apply_calibration(loc, scale, factors):
    """Rescale members' locations and scales by calibration factors.

    Parameters
    ----------
    loc, scale : ndarray of shape (n_members, n_samples, n_outputs)
        The members' locations and scales.
    factors : ndarray of shape (2, n_outputs)
        Row 0: the factor ``a`` of the scales; row 1: the factor ``e`` of the
        locations' spread around their mean.

    Returns
    -------
    loc, scale : ndarray of the same shapes
    """
    a, e = factors
    mean = loc.mean(axis=0, keepdims=True)
    return mean + e * (loc - mean), a * scale


def fit_calibration(
    loc,
    scale,
    family,
    y,
    sample_weight=None,
    *,
    prior_std=0.5,
    tied=False,
    criterion="nll",
):
    """Factors that maximise the held-out log-likelihood of the mixture.

    Each output is fitted on its own: the mixture NLL of a sample is the sum
    of its outputs' NLLs, so the outputs' factors do not interact.

    Parameters
    ----------
    loc, scale : ndarray of shape (n_members, n_samples, n_outputs)
        The members' predictions on the held-out rows.
    family : {"gaussian", "laplace"}
        The members' distribution family.
    y : ndarray of shape (n_samples, n_outputs)
        The held-out targets.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the held-out rows.
    prior_std : float, default=0.5
        Standard deviation of the normal prior on ``log a`` and ``log e``: the
        calibration study (benchmarks/calibration_study.py) found 0.5 better
        than 1 on held-out rows of a few dozen.
    tied : bool, default=False
        Fit one factor for both parts (``a == e``) instead of two.
    criterion : {"nll", "crps"}, default="nll"
        The proper scoring rule minimised on the held-out rows.

    Returns
    -------
    factors : ndarray of shape (2, n_outputs)
        See :func:`apply_calibration`.
    """
    n_samples, n_outputs = y.shape
    w = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight)
    # Weights as counts, normalised to the number of rows, so the prior's weight
    # is that of one held-out sample per parameter whatever the weights' scale.
    w = w * (n_samples / max(w.sum(), 1e-300))
    factors = np.ones((2, n_outputs))
    for j in range(n_outputs):
        loc_j, scale_j, y_j = loc[:, :, j], scale[:, :, j], y[:, j]

        def objective(log_factors, loc_j=loc_j, scale_j=scale_j, y_j=y_j):
            if tied:
                log_factors = np.repeat(log_factors, 2)
            factor = np.exp(log_factors)[:, None]
            new_loc, new_scale = apply_calibration(
                loc_j[..., None], scale_j[..., None], factor
            )
            dist = MixtureDistribution(new_loc[..., 0], new_scale[..., 0], family)
            if criterion == "crps":
                nll = np.sum(w * mixture_crps(y_j, dist))
            else:
                nll = -np.sum(w * dist.logpdf(y_j))
            penalty = np.sum(np.square(log_factors)) / (2 * prior_std**2)
            return nll + (penalty / 2 if tied else penalty)

        n_free = 1 if tied else 2
        result = optimize.minimize(
            objective,
            np.zeros(n_free),
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * n_free,
        )
        factors[:, j] = np.exp(result.x)
    return factors


# Bounds of log T in the temperature search: T between 1/e^4 and e^4.
_LOG_TEMPERATURE_BOUND = 4.0


def apply_temperature(logits, temperature):
    """Every member's logits divided by the temperature ``T``.

    Each member's softmax of ``logits / T`` is flatter for ``T > 1`` (less
    confident) and sharper for ``T < 1``; the class each member ranks first,
    hence its argmax, is unchanged. The mixture is the uniform mixture of the
    tempered members, so the entropy split stays exact.
    """
    return logits / temperature


def _mixture_log_proba(logits):
    """log of the members' averaged softmax, (n_members, n, k) -> (n, k)."""
    log_proba = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    return np.logaddexp.reduce(log_proba, axis=0) - np.log(logits.shape[0])


def fit_temperature(logits, labels, sample_weight=None, *, prior_std=0.5):
    """The temperature that maximises the held-out log-likelihood of the mixture.

    Temperature scaling (Guo et al., 2017) applied to every member before the
    average: one number, so it cannot overfit a few dozen held-out rows the
    way a per-class map could, and a proper scoring rule (the mixture's log
    loss) chooses it. A normal prior on ``log T`` of standard deviation
    ``prior_std``, weighted as one held-out row, keeps it near 1 on few rows,
    as :func:`fit_calibration` does for the regressor.

    Parameters
    ----------
    logits : ndarray of shape (n_members, n_samples, n_classes)
        The members' logits on the held-out rows.
    labels : ndarray of shape (n_samples,), int
        The held-out rows' class indices.
    sample_weight : ndarray of shape (n_samples,), default=None
    prior_std : float, default=0.5

    Returns
    -------
    temperature : float
    """
    n_samples = len(labels)
    w = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight)
    w = w * (n_samples / max(w.sum(), 1e-300))
    logits = np.asarray(logits, np.float64)
    rows = np.arange(n_samples)

    def objective(log_t):
        log_proba = _mixture_log_proba(logits * np.exp(-log_t))
        return -np.sum(w * log_proba[rows, labels]) + log_t**2 / (2 * prior_std**2)

    result = optimize.minimize_scalar(
        objective,
        bounds=(-_LOG_TEMPERATURE_BOUND, _LOG_TEMPERATURE_BOUND),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(result.x))
