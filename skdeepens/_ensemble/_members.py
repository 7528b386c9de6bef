"""Each member's randomness, initial and prior networks, and forward pass.

Member ``m``'s generators derive from the seed and ``m`` alone (NumPy's
``SeedSequence``), so member ``m`` is the same network whatever the ensemble
size; ``_core`` draws no random numbers itself.
"""

import numpy as np

from .._core import network

# Prediction runs in chunks of at most this many rows (bounded memory).
_PREDICT_CHUNK = 1 << 16
# Seed-sequence key of the members' randomized prior networks: member m's prior
# comes from SeedSequence([seed, m, _PRIOR_STREAM]), a stream apart from its
# initialisation and data order, so that turning the prior on changes neither.
_PRIOR_STREAM = 0x5052494F  # "PRIO"


def _member_rng(seed, member):
    """Member ``member``'s random generator: a function of the seed and m alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, member]))


def _prior_rng(seed, member):
    """Member ``member``'s generator of its randomized prior network."""
    return np.random.default_rng(np.random.SeedSequence([seed, member, _PRIOR_STREAM]))


def _init_prior(rng, shapes, activation, n_location):
    """One member's randomized prior network (Osband et al., 2018).

    The member's own architecture and initialisation (a Glorot-uniform draw),
    with the output columns past ``n_location`` zeroed: the prior moves the
    location (the mean, or the logits), never the scale head.
    """
    *hidden, (weights, bias) = _init_member(rng, shapes, activation)
    weights, bias = weights.copy(), bias.copy()
    weights[:, n_location:] = 0.0
    bias[n_location:] = 0.0
    return (*hidden, (weights, bias))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _init_member(rng, shapes, activation):
    """Glorot-uniform initial weights and biases of one member (as sklearn's MLP)."""
    params = []
    for fan_in, fan_out in shapes:
        bound = network.init_bound(fan_in, fan_out, activation)
        weights = rng.uniform(-bound, bound, size=(fan_in, fan_out))
        bias = rng.uniform(-bound, bound, size=fan_out)
        params.append((weights.astype(np.float32), bias.astype(np.float32)))
    return tuple(params)


def _stack(member_params):
    """Stack a list of per-member parameter tuples along a new leading axis."""
    return tuple(
        (
            np.stack([p[i][0] for p in member_params]),
            np.stack([p[i][1] for p in member_params]),
        )
        for i in range(len(member_params[0]))
    )


def _concatenate(first, second):
    return tuple(
        (np.concatenate([w1, w2]), np.concatenate([b1, b2]))
        for (w1, b1), (w2, b2) in zip(first, second)
    )


def _predict_members(params, X, activation, prior=None):
    """Raw outputs of every member, shape (n_members, n_samples, n_outputs).

    ``prior`` is ``(prior_params, prior_scale)`` or None, as in
    :func:`skdeepens._core.network.predict_ensemble`.
    """
    # Chunks bound the memory of the hidden activations on very large X.
    return np.concatenate(
        [
            network.predict_ensemble(
                params, X[start : start + _PREDICT_CHUNK], activation, prior
            )
            for start in range(0, max(len(X), 1), _PREDICT_CHUNK)
        ],
        axis=1,
    )
