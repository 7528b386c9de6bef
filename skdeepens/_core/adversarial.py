"""Fast gradient sign method (Goodfellow et al., 2015), as used by Deep Ensembles."""

import jax
import jax.numpy as jnp


def fgsm(per_sample_loss, x, step):
    """Perturb inputs one signed-gradient step up the loss.

    ``x_adv = x + step * sign(grad_x loss(x))``. Each sample's perturbation depends
    only on its own loss, so the gradient of the summed loss gives every sample's
    direction at once. The result is a constant for the training step
    (``stop_gradient``): the parameters are trained on the adversarial inputs,
    not through their construction.

    Parameters
    ----------
    per_sample_loss : callable
        Maps inputs of shape (n_samples, n_features) to losses of shape
        (n_samples,).
    x : array of shape (n_samples, n_features)
        Clean inputs.
    step : array of shape (n_features,) or scalar
        Step size per feature. Deep Ensembles uses ``eps`` times the feature's
        range; a zero step leaves that feature unchanged.

    Returns
    -------
    x_adv : array of shape (n_samples, n_features)
    """
    grad_x = jax.grad(lambda z: jnp.sum(per_sample_loss(z)))(x)
    return jax.lax.stop_gradient(x + jnp.broadcast_to(step, x.shape) * jnp.sign(grad_x))
