"""A multilayer perceptron as pure functions over a parameter pytree.

Parameters are a tuple of ``(weights, bias)`` pairs, one per layer. An ensemble
stacks its members' parameters along a new leading axis, so that ``jax.vmap``
applies every member at once.
"""

import jax
import jax.numpy as jnp
import numpy as np

# Hidden-layer nonlinearities, under scikit-learn's MLP names.
ACTIVATIONS = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "logistic": jax.nn.sigmoid,
    "identity": lambda z: z,
}


def layer_shapes(n_features, hidden_layer_sizes, n_outputs):
    """The ``(fan_in, fan_out)`` of each layer of the network.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers (may be empty: a linear model).
    n_outputs : int
        Width of the output layer.

    Returns
    -------
    shapes : list of tuple of int
    """
    sizes = [int(n_features), *map(int, hidden_layer_sizes), int(n_outputs)]
    return list(zip(sizes[:-1], sizes[1:]))


def init_bound(fan_in, fan_out, activation):
    """Half-width of the uniform initialisation of one layer (Glorot & Bengio, 2010).

    The same rule as scikit-learn's MLP: ``sqrt(6 / (fan_in + fan_out))``, with
    ``2`` in place of ``6`` for the logistic activation.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    return (factor / (fan_in + fan_out)) ** 0.5


def forward(params, x, activation):
    """Apply one network to a batch of inputs.

    Parameters
    ----------
    params : tuple of (weights, bias)
        One member's parameters; weights of shape (fan_in, fan_out).
    x : array of shape (n_samples, n_features)
        The (standardised) inputs.
    activation : str
        A key of :data:`ACTIVATIONS`, used on every hidden layer; the output
        layer is linear.

    Returns
    -------
    out : array of shape (n_samples, n_outputs)
    """
    hidden = ACTIVATIONS[activation]
    *hidden_layers, (w_out, b_out) = params
    for w, b in hidden_layers:
        x = hidden(x @ w + b[None, :])
    return x @ w_out + b_out[None, :]


def forward_with_prior(params, prior_params, prior_scale, x, activation):
    """One member's output with its randomized prior function (Osband et al., 2018).

    ``forward(params, x) + prior_scale * forward(prior_params, x)``: the prior is
    a fixed network of the same architecture, never trained, so the member's
    trainable part learns the data's residual from it and, away from the data,
    members keep the disagreement of their priors. With ``prior_params=None``
    this is :func:`forward` (the same program: no prior network is traced).

    Parameters
    ----------
    params, prior_params : tuple of (weights, bias)
        One member's trained and prior parameters (``prior_params`` may be
        None: no prior).
    prior_scale : scalar
        Weight of the prior's output.
    x : array of shape (n_samples, n_features)
    activation : str

    Returns
    -------
    out : array of shape (n_samples, n_outputs)
    """
    out = forward(params, x, activation)
    if prior_params is None:
        return out
    return out + prior_scale * forward(prior_params, x, activation)


def forward_ensemble(stacked_params, x, activation):
    """Apply every member of an ensemble to the same inputs.

    Parameters
    ----------
    stacked_params : tuple of (weights, bias)
        Parameters with a leading member axis.
    x : array of shape (n_samples, n_features)
    activation : str

    Returns
    -------
    out : array of shape (n_members, n_samples, n_outputs)
    """
    return jax.vmap(forward, in_axes=(0, None, None))(stacked_params, x, activation)


def weight_sq_norm(params):
    """Sum of squared weights, biases excluded (the L2 penalty's argument)."""
    return sum(jnp.sum(jnp.square(w)) for w, _ in params)


# NumPy twins of ACTIVATIONS, for prediction on the host.
NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    # The tanh form of the sigmoid cannot overflow for large |z|.
    "logistic": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "identity": lambda z: z,
}


def predict_ensemble(stacked_params, x, activation, prior=None):
    """Every member's outputs, computed in float64 with NumPy.

    The same network as :func:`forward_ensemble`, evaluated on the host for
    prediction: a row's output then depends on that row alone (not on which
    other rows share its batch, as float32 kernels of different shapes would
    have it), no program is compiled for new row counts, and a single row costs
    microseconds rather than a dispatch.

    Parameters
    ----------
    stacked_params : tuple of (weights, bias)
        Parameters with a leading member axis, as NumPy arrays.
    x : ndarray of shape (n_samples, n_features)
    activation : str
    prior : tuple (prior_params, prior_scale) or None
        Each member's randomized prior network (stacked like
        ``stacked_params``) and its weight, added to the output as in
        :func:`forward_with_prior`; None: no prior.

    Returns
    -------
    out : ndarray of shape (n_members, n_samples, n_outputs), float64
    """
    out = _numpy_forward(stacked_params, x, activation)
    if prior is not None:
        prior_params, prior_scale = prior
        out = out + float(prior_scale) * _numpy_forward(prior_params, x, activation)
    return out


def _numpy_forward(stacked_params, x, activation):
    hidden = NUMPY_ACTIVATIONS[activation]
    *hidden_layers, (w_out, b_out) = stacked_params
    h = np.asarray(x, dtype=np.float64)[None]
    for w, b in hidden_layers:
        h = hidden(h @ w.astype(np.float64) + b.astype(np.float64)[:, None, :])
    return h @ w_out.astype(np.float64) + b_out.astype(np.float64)[:, None, :]
