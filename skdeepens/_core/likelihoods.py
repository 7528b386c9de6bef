"""Per-sample training losses.

Each loss maps a network's raw output and the target to one value per sample
(summed over output dimensions); the caller weights and reduces, as in
``optax.losses``. Regression targets have shape (n, n_targets); classification
targets are one-hot, shape (n, n_classes).

The variance head follows Lakshminarayanan et al. (2017, section 2.2.1): the
network emits ``(mu, rho)`` and the scale is ``softplus(rho) + 1e-6``, which keeps
it positive with a gradient that neither explodes nor vanishes for large ``|rho|``.
Each likelihood loss here has a distribution family in ``skdeepens._families``
(``LOSS_FAMILIES``), which describes the members' predictions.
"""

import math

import jax
import jax.numpy as jnp
import optax

MIN_SCALE = 1e-6
# A Python float: evaluating jnp.log here would start the JAX backend on import.
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def scale_from_raw(rho):
    """The positive scale ``softplus(rho) + 1e-6`` from the network's raw output."""
    return jax.nn.softplus(rho) + MIN_SCALE


def split_location_scale(out):
    """Split a ``(mu, rho)`` output of width ``2 k`` into location and scale."""
    n_targets = out.shape[-1] // 2
    return out[..., :n_targets], scale_from_raw(out[..., n_targets:])


def _beta_weighted_sum(nll, variance, beta):
    """Sum over outputs of the NLL, each weighted by ``stop_gradient(var) ** beta``.

    beta-NLL (Seitzer et al., "On the Pitfalls of Heteroscedastic Uncertainty
    Estimation with Probabilistic Neural Networks", ICLR 2022): a plain NLL
    lets a sample the network already fits badly shrink its own gradient by
    predicting a large variance; the weight undoes that. ``beta=0`` is the
    plain NLL (the weight is exactly 1), ``beta=1`` gives the mean's gradient
    of the squared error.
    """
    weight = jnp.power(jax.lax.stop_gradient(variance), beta)
    return jnp.sum(weight * nll, axis=-1)


def gaussian_nll(out, y, beta=0.0):
    """Gaussian negative log-likelihood with a learned standard deviation.

    ``beta`` > 0 weights each output's NLL by its detached variance to the
    power ``beta`` (beta-NLL); the default is the plain NLL.
    """
    mu, sigma = split_location_scale(out)
    nll = (
        _HALF_LOG_2PI + jnp.log(sigma) + jnp.square(y - mu) / (2.0 * jnp.square(sigma))
    )
    return _beta_weighted_sum(nll, jnp.square(sigma), beta)


def laplace_nll(out, y, beta=0.0):
    """Laplace negative log-likelihood with a learned scale ``b``.

    ``beta`` weights by the detached variance ``2 b**2``, as for the Gaussian.
    """
    mu, b = split_location_scale(out)
    nll = jnp.log(2.0 * b) + jnp.abs(y - mu) / b
    return _beta_weighted_sum(nll, 2.0 * jnp.square(b), beta)


def squared_error(out, y):
    """Squared error, a point-prediction baseline with no variance head."""
    return jnp.sum(jnp.square(y - out), axis=-1)


def absolute_error(out, y):
    """Absolute error, a point-prediction baseline with no variance head."""
    return jnp.sum(jnp.abs(y - out), axis=-1)


def log_loss(logits, y_onehot):
    """Softmax cross-entropy (the log loss) of one-hot targets."""
    return optax.losses.softmax_cross_entropy(logits, y_onehot)


def brier(logits, y_onehot):
    """Multiclass Brier score ``sum_k (p_k - y_k)**2`` of softmax probabilities."""
    return jnp.sum(jnp.square(jax.nn.softmax(logits, axis=-1) - y_onehot), axis=-1)


LOSSES = {
    "gaussian_nll": gaussian_nll,
    "laplace_nll": laplace_nll,
    "squared_error": squared_error,
    "absolute_error": absolute_error,
    "log_loss": log_loss,
    "brier": brier,
}

# Losses whose network predicts a scale next to the location: output width 2 k.
SCALE_LOSSES = frozenset({"gaussian_nll", "laplace_nll"})
