"""A multilayer perceptron as pure functions over a parameter pytree.

Parameters are a tuple of ``(weights, bias)`` pairs, one per layer. An ensemble
stacks its members' parameters along a new leading axis, so that ``jax.vmap``
applies every member at once.
"""

from functools import partial

import jax
import jax.numpy as jnp

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


@partial(jax.jit, static_argnames=("activation",))
def predict_ensemble(stacked_params, x, activation):
    """Compiled :func:`forward_ensemble`, for prediction."""
    return forward_ensemble(stacked_params, x, activation)
