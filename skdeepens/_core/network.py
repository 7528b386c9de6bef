"""A multilayer perceptron as pure functions over a parameter pytree.

Parameters are a tuple of ``(weights, bias)`` pairs, one per layer. An ensemble
stacks its members' parameters along a new leading axis, so that ``jax.vmap``
applies every member at once.

The first pair may instead be a periodic embedding of the leading input
columns (Gorishniy, Rubachev & Babenko, 2022): ``(frequencies, phases)``, two
arrays of the same shape ``(n_periodic, n_frequencies)``, which is how the
forward pass tells it from a dense layer (whose bias has one axis fewer than
its weights). Each column ``x_j`` of the first ``n_periodic`` becomes the
``n_frequencies`` features ``cos(2 pi c_jk x_j + phi_jk)``, learned per member
like any weight; the other columns pass through to the first dense layer.
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


def is_periodic_layer(weights, bias):
    """Whether a parameter pair is a periodic embedding (not a dense layer).

    A periodic embedding's frequencies and phases share their shape; a dense
    layer's bias has one axis fewer than its weights. Shapes are static, so
    this is decided at tracing time.
    """
    return weights.shape == bias.shape


def periodic_features(x, frequencies, phases, xp=jnp):
    """The periodic embedding of x's leading columns, the others passed through.

    Parameters
    ----------
    x : array of shape (..., n_samples, n_features)
    frequencies, phases : array of shape (..., n_periodic, n_frequencies)
        With the same leading (member) axes as x, or broadcastable to them.
    xp : module
        ``jax.numpy``, or ``numpy`` for the NumPy twin.

    Returns
    -------
    out : array of shape (..., n_samples, n_embedded)
        The ``n_periodic * n_frequencies`` features of the embedding, then the
        ``n_features - n_periodic`` columns passed through.
    """
    n_periodic = frequencies.shape[-2]
    angle = (2 * np.pi) * x[..., :n_periodic, None] * frequencies[..., None, :, :]
    waves = xp.cos(angle + phases[..., None, :, :])
    waves = waves.reshape(*waves.shape[:-2], -1)
    n_rest = x.shape[-1] - n_periodic
    rest = xp.broadcast_to(x[..., n_periodic:], waves.shape[:-1] + (n_rest,))
    return xp.concatenate([waves, rest], axis=-1)


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
    if is_periodic_layer(*params[0]):
        x = periodic_features(x, *params[0])
        params = params[1:]
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
    """Sum of squared weights, biases excluded (the L2 penalty's argument).

    A periodic embedding's frequencies are not penalised: shrunk towards 0,
    every feature of the embedding would tend to a constant.
    """
    return sum(jnp.sum(jnp.square(w)) for w, b in params if not is_periodic_layer(w, b))


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
    h = np.asarray(x, dtype=np.float64)[None]
    if is_periodic_layer(*stacked_params[0]):
        frequencies, phases = (a.astype(np.float64) for a in stacked_params[0])
        h = periodic_features(h, frequencies, phases, xp=np)
        stacked_params = stacked_params[1:]
    *hidden_layers, (w_out, b_out) = stacked_params
    for w, b in hidden_layers:
        h = hidden(h @ w.astype(np.float64) + b.astype(np.float64)[:, None, :])
    return h @ w_out.astype(np.float64) + b_out.astype(np.float64)[:, None, :]
