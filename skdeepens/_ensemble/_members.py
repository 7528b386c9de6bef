"""Each member's randomness, initial and prior networks, forward pass, and record.

Member ``m``'s generators derive from the seed and ``m`` alone (NumPy's
``SeedSequence``), so member ``m`` is the same network whatever the ensemble
size; ``_core`` draws no random numbers itself. Every random stream of a fit
is defined here. :class:`_FittedMembers` is what a fit learns about its
members, as plain NumPy arrays.
"""

from typing import NamedTuple

import jax
import numpy as np
from sklearn.model_selection import train_test_split

from .._core import network
from .._core.groups import join_member_curves
from .._core.likelihoods import MIN_SCALE
from ._embeddings import PERIODIC_FREQUENCIES, PERIODIC_INIT_SIGMA

# Prediction runs in chunks of at most this many rows (bounded memory).
_PREDICT_CHUNK = 1 << 16
# ... and of at most this many values of the widest layer, over all members.
_PREDICT_VALUES = 1 << 25
# Seed-sequence key of the members' randomized prior networks: member m's prior
# comes from SeedSequence([seed, m, _PRIOR_STREAM]), a stream apart from its
# initialisation and data order, so that turning the prior on changes neither.
_PRIOR_STREAM = 0x5052494F  # "PRIO"
# ... and of each member's posterior chain (posterior_samples).
_SAMPLING_STREAM = 0x53414D50  # "SAMP"
# Seed-sequence key of the held-out split (early stopping, recalibration),
# apart from every member's key.
_VALIDATION_STREAM = 2**32 - 1
# Seed-sequence key of the halves of a validation set given to fit (X_val),
# when early stopping and calibration each need rows of their own.
_GIVEN_VALIDATION_STREAM = 2**32 - 2
# Seed-sequence key of the training rows given the unknown category codes
# (_encoding.with_unknown_rows), apart from every member's key.
_UNKNOWN_STREAM = 0x554E4B4E  # "UNKN"
# What turns off each use of held-out rows, for the messages.
_HELD_OUT_REMEDIES = {
    "early_stopping": "early_stopping=False",
    "calibration": "calibration=None",
}


def _member_rng(seed, member):
    """Member ``member``'s random generator: a function of the seed and m alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, member]))


def _sampling_rng(seed, member):
    """Member ``member``'s generator of its posterior chain's seed."""
    return np.random.default_rng(
        np.random.SeedSequence([seed, member, _SAMPLING_STREAM])
    )


def _prior_rng(seed, member):
    """Member ``member``'s generator of its randomized prior network."""
    return np.random.default_rng(np.random.SeedSequence([seed, member, _PRIOR_STREAM]))


def _partial_fit_rng(seed, member, call):
    """Member ``member``'s data order in the ``call``-th partial_fit after its start.

    A function of (seed, m, call) alone, so that a sequence of calls is
    reproducible whatever the ensemble size.
    """
    return np.random.default_rng(np.random.SeedSequence([seed, member, call]))


def _unknown_rows_rng(seed, call):
    """The generator of the rows given unknown category codes in a fit's data.

    ``call`` counts the ``partial_fit`` calls before (0 for ``fit``), so that
    each call's rows draw their own, reproducible share.
    """
    return np.random.default_rng(np.random.SeedSequence([seed, _UNKNOWN_STREAM, call]))


class _DataOrders:
    """Each member's data order per epoch, drawn from the member's own generator.

    ``orders(n_epochs, members=indices)`` is an int32 array of shape
    (n_epochs, len(indices), n_samples). Member ``m``'s orders come from its
    generator alone, in the order its epochs ask for them, so they do not
    depend on which members are trained with it. A plain object rather than
    a closure, so that a remote joblib backend can pickle it with a group.

    Parameters
    ----------
    rngs : list of numpy.random.Generator
        One per member, advanced by each draw.
    n_samples : int
    shuffle : bool
        False: every epoch visits the rows in their given order.
    """

    def __init__(self, rngs, n_samples, shuffle):
        self.rngs = rngs
        self.n_samples = n_samples
        self.shuffle = shuffle

    def __call__(self, n_epochs, *, members):
        rows = np.arange(self.n_samples, dtype=np.int32)
        if not self.shuffle:
            return np.broadcast_to(rows, (n_epochs, len(members), self.n_samples))
        tiled = np.broadcast_to(rows, (n_epochs, self.n_samples))
        return np.stack([self.rngs[m].permuted(tiled, axis=1) for m in members], axis=1)


def _held_out_split(sample_weight, stratify, *, seed, validation_fraction, purposes):
    """Training and held-out row indices, for early stopping and calibration.

    The held-out rows are drawn among the rows of positive weight only: a
    zero-weight row carries no loss, and a held-out set of such rows would
    leave nothing to monitor or fit. Zero-weight rows train (where they change
    nothing). Each purpose (``"early_stopping"``, ``"calibration"``) gets at
    least one held-out row of its own, and one row at least trains.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,)
    stratify : ndarray of shape (n_samples,) or None
        Labels to stratify by (a split at random where some class is too rare).
    seed : int
        The fit's seed; the split has a stream of its own.
    validation_fraction : float
        The share of the positive-weight rows held out.
    purposes : sequence of str
        What the held-out rows are for, for the count and the messages.

    Returns
    -------
    train, held_out : ndarray of int
    """
    rng = _member_rng(seed, _VALIDATION_STREAM)
    split_seed = int(rng.integers(np.iinfo(np.int32).max))
    positive = np.flatnonzero(sample_weight > 0)
    others = np.flatnonzero(~(sample_weight > 0))
    n_held_out = len(purposes)
    what = " and ".join(purposes)
    verb = "need" if n_held_out > 1 else "needs"
    remedy = " or ".join(_HELD_OUT_REMEDIES[p] for p in purposes)
    if len(positive) < n_held_out + 1:
        each = "one to validate" if n_held_out == 1 else "one held out for each"
        raise ValueError(
            f"{what} {verb} at least {n_held_out + 1} samples with a positive "
            f"sample_weight (one to train, {each}); got {len(positive)}. "
            f"Set {remedy}, or pass more weighted samples."
        )
    test_size = validation_fraction
    if np.ceil(test_size * len(positive)) < n_held_out:
        # As many rows as purposes, so that no row serves two.
        test_size = n_held_out
    if stratify is not None:
        try:
            train, val = train_test_split(
                positive,
                test_size=test_size,
                random_state=split_seed,
                stratify=stratify[positive],
            )
            return np.concatenate([train, others]), val
        except ValueError:
            pass  # too few samples of some class to stratify: split at random
    try:
        train, val = train_test_split(
            positive, test_size=test_size, random_state=split_seed
        )
    except ValueError as exc:
        raise ValueError(
            f"{what} {verb} enough samples to set aside "
            f"validation_fraction={validation_fraction} of them; with "
            f"{len(positive)} samples of positive weight the split failed: "
            f"{exc}. Set {remedy}, or a smaller validation_fraction."
        ) from exc
    return np.concatenate([train, others]), val


def _given_validation_split(sample_weight, *, seed, purposes):
    """Row indices of a given validation set (X_val) for each purpose.

    With one purpose it has every row. With two (early stopping and
    calibration), the rows of positive weight are shuffled and dealt out in
    turn, so each purpose gets half of them and no row serves both (zero-weight
    rows carry no loss and are left out); the shuffle has a stream of its own,
    so a warm start deals the same rows out again.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_val,)
        ``sample_weight_val``, with a positive sum.
    seed : int
        The fit's seed.
    purposes : sequence of str
        What the rows are for (``"early_stopping"``, ``"calibration"``).

    Returns
    -------
    parts : list of ndarray of int
        One index array per purpose, in the order of ``purposes``.
    """
    if len(purposes) == 1:
        return [np.arange(len(sample_weight))]
    positive = np.flatnonzero(sample_weight > 0)
    if len(positive) < len(purposes):
        what = " and ".join(purposes)
        remedy = " or ".join(_HELD_OUT_REMEDIES[p] for p in purposes)
        raise ValueError(
            f"{what} need at least {len(purposes)} validation samples with a "
            f"positive sample_weight_val (one for each); got {len(positive)}. "
            f"Set {remedy}, or pass more validation samples."
        )
    rng = _member_rng(seed, _GIVEN_VALIDATION_STREAM)
    shuffled = rng.permutation(positive)
    return [shuffled[i :: len(purposes)] for i in range(len(purposes))]


def _init_prior(rng, shapes, activation, n_location, n_periodic=0):
    """One member's randomized prior network (Osband et al., 2018).

    The member's own architecture and initialisation (a Glorot-uniform draw),
    with the output columns past ``n_location`` zeroed: the prior moves the
    location (the mean, or the logits), never the scale head.
    """
    *hidden, (weights, bias) = _init_member(rng, shapes, activation, n_periodic)
    weights, bias = weights.copy(), bias.copy()
    weights[:, n_location:] = 0.0
    bias[n_location:] = 0.0
    return (*hidden, (weights, bias))


def _scale_from_raw(rho):
    """The members' scales from their raw outputs, in float64 for prediction.

    The NumPy twin of :func:`skdeepens._core.likelihoods.scale_from_raw`, the
    training's scale head, from the same ``MIN_SCALE`` (tested equal to it):
    ``softplus(rho) + MIN_SCALE``, with softplus as a stable ``logaddexp``.
    """
    return np.logaddexp(0.0, rho) + MIN_SCALE


def _init_member(rng, shapes, activation, n_periodic=0):
    """Glorot-uniform initial weights and biases of one member (as sklearn's MLP).

    With ``n_periodic`` columns to embed, the member's periodic embedding
    comes first (:mod:`._embeddings`): frequencies drawn from a normal
    distribution and phases uniform on the circle. ``shapes`` are the dense
    layers', after the embedding.
    """
    params = []
    if n_periodic:
        size = (n_periodic, PERIODIC_FREQUENCIES)
        frequencies = rng.normal(0.0, PERIODIC_INIT_SIGMA, size=size)
        phases = rng.uniform(-np.pi, np.pi, size=size)
        params.append((frequencies.astype(np.float32), phases.astype(np.float32)))
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


def _predict_members(params, X, activation, prior=None, inputs=None):
    """Raw outputs of every member, shape (n_members, n_samples, n_outputs).

    ``prior`` is ``(prior_params, prior_scale)`` or None, as in
    :func:`skdeepens._core.network.predict_ensemble`. ``inputs``, if given,
    maps a chunk of X's rows to the network's inputs (the numeric embedding,
    which may widen X many times).
    """
    # Chunks bound the memory on very large X: at most _PREDICT_VALUES values
    # in the widest layer of all members (the embedding's output included).
    n_members = params[0][0].shape[0]
    widest = max(
        w.shape[-2] * w.shape[-1] if network.is_periodic_layer(w, b) else w.shape[-1]
        for w, b in params
    )
    if inputs is not None:
        widest = max(widest, params[0][0].shape[-2])
    chunk = int(np.clip(_PREDICT_VALUES // (n_members * widest), 1024, _PREDICT_CHUNK))
    return np.concatenate(
        [
            network.predict_ensemble(
                params,
                X[start : start + chunk]
                if inputs is None
                else inputs(X[start : start + chunk]),
                activation,
                prior,
            )
            for start in range(0, max(len(X), 1), chunk)
        ],
        axis=1,
    )


def _repeat_members(tree, times):
    """Each member of a stacked tree ``times`` times in a row (None stays None)."""
    if tree is None:
        return None
    return jax.tree_util.tree_map(lambda leaf: np.repeat(leaf, times, axis=0), tree)


def _or_nan(curve, like):
    """``curve``, or a NaN curve of ``like``'s shape when there is none."""
    return np.full_like(like, np.nan) if curve is None else curve


class _FittedMembers(NamedTuple):
    """What fit, warm start and partial_fit learn about the members.

    Plain NumPy arrays with the members on the leading axis (on the columns of
    the curves), so the estimator holding them clones, pickles and dumps like
    any other. A fit builds one from the trainer's result, a warm start
    :meth:`concatenate` s new members to it, and ``partial_fit``
    :meth:`continued` s it by an epoch; the estimator's fitted attributes are
    set from it in one place (``_BaseDeepEnsemble._set_fitted``).

    Attributes
    ----------
    params : tuple of (weights, biases)
        The members' networks, as ``params_``.
    adam_state : tuple of ndarray
        The optimiser's state, for warm start and partial_fit to continue.
    learning_rates : ndarray of shape (n_members,)
        Each member's current rate (the adaptive schedule reduces it).
    prior_params : tuple or None
        The randomized prior networks, as ``prior_params_`` (None: no prior).
    prior_scale : float
        The ``prior_scale`` the members were trained with.
    loss_curve : ndarray of shape (n_iter, n_members)
        As ``loss_curve_``.
    validation_curve : ndarray of shape (n_iter, n_members) or None
        As ``validation_loss_curve_`` (None: no member monitored one).
    best_epoch : ndarray of shape (n_members,), int
        As ``best_epoch_``: the row (1-based) of the curves whose parameters
        each member holds.
    calibration_factors : ndarray of shape (2, n_outputs) or None
        As ``calibration_factors_`` (None: not recalibrated).
    n_partial_fits : int
        The partial_fit calls since the members started (keys their orders).
    samples : tuple of (weights, biases) or None
        As ``posterior_params_``: each member's posterior samples, stacked
        member-major (None: the deep ensemble itself, no sampling).
    """

    params: tuple
    adam_state: tuple
    learning_rates: np.ndarray
    prior_params: tuple | None
    prior_scale: float
    loss_curve: np.ndarray
    validation_curve: np.ndarray | None
    best_epoch: np.ndarray
    calibration_factors: np.ndarray | None
    n_partial_fits: int
    samples: tuple | None = None

    @classmethod
    def trained(cls, result, prior, prior_scale):
        """New members from the trainer's ``result``, with their priors."""
        return cls(
            params=result.params,
            adam_state=result.opt_state,
            learning_rates=result.learning_rate,
            prior_params=prior,
            prior_scale=prior_scale,
            loss_curve=result.loss_curve,
            validation_curve=result.validation_curve,
            best_epoch=result.best_epoch,
            calibration_factors=None,
            n_partial_fits=0,
        )

    @property
    def n_members(self):
        """The number of members."""
        return self.params[0][0].shape[0]

    def components(self):
        """The networks the predictions mix, with their priors.

        The members' posterior samples when there are any (member 0's first,
        each sample with its member's randomized prior), else the members.

        Returns
        -------
        params : tuple of (weights, biases)
            Stacked over the mixture's components.
        prior : tuple (prior_params, prior_scale) or None
            As :func:`_predict_members` takes it.
        """
        params, prior_params = self.params, self.prior_params
        if self.samples is not None:
            per_member = self.samples[0][0].shape[0] // self.n_members
            params = self.samples
            prior_params = _repeat_members(prior_params, per_member)
        prior = None if prior_params is None else (prior_params, self.prior_scale)
        return params, prior

    def concatenate(self, new):
        """These members followed by ``new`` (a warm start), not recalibrated.

        The curves go side by side, the shorter padded with NaN; members that
        monitored no validation loss get a NaN validation curve.
        """
        validation = None
        if self.validation_curve is not None or new.validation_curve is not None:
            validation = join_member_curves(
                [
                    _or_nan(self.validation_curve, self.loss_curve),
                    _or_nan(new.validation_curve, new.loss_curve),
                ]
            )
        prior = None
        if new.prior_params is not None:
            prior = _concatenate(self.prior_params, new.prior_params)
        samples = None
        if new.samples is not None:
            samples = _concatenate(self.samples, new.samples)
        return self._replace(
            params=_concatenate(self.params, new.params),
            adam_state=tuple(
                np.concatenate([old, added])
                for old, added in zip(self.adam_state, new.adam_state)
            ),
            learning_rates=np.concatenate([self.learning_rates, new.learning_rates]),
            prior_params=prior,
            prior_scale=new.prior_scale,
            loss_curve=join_member_curves([self.loss_curve, new.loss_curve]),
            validation_curve=validation,
            best_epoch=np.concatenate([self.best_epoch, new.best_epoch]),
            calibration_factors=None,
            samples=samples,
        )

    def continued(self, result):
        """These members after one more epoch of partial_fit (``result``).

        Fitted for the members before the update, a recalibration describes
        them no more: it is dropped. No rows are held out, so the validation
        curve, if any, gains a row of NaN and keeps ``n_iter`` rows. Every
        member keeps the parameters of that epoch, the curves' new last row.
        """
        validation = self.validation_curve
        if validation is not None:
            missing = np.full((1, self.n_members), np.nan)
            validation = np.vstack([validation, missing])
        return self._replace(
            params=result.params,
            adam_state=result.opt_state,
            learning_rates=result.learning_rate,
            loss_curve=np.vstack([self.loss_curve, result.loss_curve]),
            validation_curve=validation,
            best_epoch=self.loss_curve.shape[0] + result.best_epoch,
            calibration_factors=None,
            n_partial_fits=self.n_partial_fits + 1,
        )
