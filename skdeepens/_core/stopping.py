"""Each member's stopping rule and learning-rate schedule, as pure state steps.

A :class:`StopState` holds, stacked over members, everything the rule and the
schedule carry from epoch to epoch; each function here takes one and returns
the next, in the shape of optax's ``contrib.reduce_on_plateau`` (its
``_update_scale``). They act on each member on its own, so that a member trains
identically whatever the other members do, and they are elementwise, so they
run unchanged under ``jit`` and ``vmap`` and on arrays without a fit.

The rule is scikit-learn's MLP rule: an epoch whose monitored loss is not
below the best by ``tol`` counts as a stall; the adaptive schedule divides the
rate by ``decay_factor`` after ``decay_patience`` stalled epochs while
reductions remain, and stops the member after ``patience`` stalled epochs at
its smallest rate.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class StopState(NamedTuple):
    """Each member's stopping and schedule state, stacked over members.

    Attributes
    ----------
    learning_rate : array of shape (n_members,)
        The rate of the member's next epoch.
    best_loss : array of shape (n_members,)
        The best monitored loss so far (``inf`` before the first epoch).
    no_improvement : array of shape (n_members,), int
        Stalled epochs since the last improvement or rate reduction.
    n_decays : array of shape (n_members,), int
        Rate reductions so far.
    active : array of shape (n_members,), bool
        Whether the member still trains.
    converged : array of shape (n_members,), bool
        Whether the stopping rule stopped it.
    diverged : array of shape (n_members,), bool
        Whether a non-finite loss or parameter stopped it.
    n_epochs : array of shape (n_members,), int
        Epochs the member has completed (a diverged one's failed epoch not
        counted).
    best_epoch : array of shape (n_members,), int
        The epoch (1-based, counted as ``n_epochs``) of the best monitored
        loss, the one whose parameters the trainer's snapshot keeps when it
        monitors a validation set (0 before the first epoch).
    """

    learning_rate: jax.Array
    best_loss: jax.Array
    no_improvement: jax.Array
    n_decays: jax.Array
    active: jax.Array
    converged: jax.Array
    diverged: jax.Array
    n_epochs: jax.Array
    best_epoch: jax.Array


def init_stopping(learning_rate, active):
    """The state before the first epoch: no best loss, no stall, no reduction.

    Parameters
    ----------
    learning_rate : array of shape (n_members,)
        Each member's initial rate.
    active : array of shape (n_members,), bool
        The members that train (False: a frozen padding member).

    Returns
    -------
    state : StopState
    """
    learning_rate = np.asarray(learning_rate, np.float32)
    n_members = learning_rate.shape[0]
    return StopState(
        learning_rate=learning_rate,
        best_loss=np.full(n_members, np.inf, np.float32),
        no_improvement=np.zeros(n_members, np.int32),
        n_decays=np.zeros(n_members, np.int32),
        active=np.asarray(active, bool),
        converged=np.zeros(n_members, bool),
        diverged=np.zeros(n_members, bool),
        n_epochs=np.zeros(n_members, np.int32),
        best_epoch=np.zeros(n_members, np.int32),
    )


def finite_members(params):
    """Whether each member's parameters are all finite."""
    return jnp.all(
        jnp.stack(
            [
                jnp.all(jnp.isfinite(leaf), axis=tuple(range(1, leaf.ndim)))
                for leaf in jax.tree_util.tree_leaves(params)
            ]
        ),
        axis=0,
    )


def mark_diverged(state, finite):
    """Stop the active members whose epoch was not ``finite``, as diverged."""
    diverged = state.active & ~finite
    return state._replace(
        active=state.active & ~diverged, diverged=state.diverged | diverged
    )


def improved(state, monitored):
    """The active members whose ``monitored`` loss beats their best so far."""
    return state.active & (monitored < state.best_loss)


def update_stopping(state, monitored, tol):
    """Count a stall or reset the count, and keep the best monitored loss.

    The best loss and its epoch move on any improvement (:func:`improved`,
    without ``tol``), as the trainer's best-parameter snapshot does, so that
    ``best_epoch`` names the epoch of the snapshot; ``tol`` only decides what
    counts as a stall.

    Parameters
    ----------
    state : StopState
    monitored : array of shape (n_members,)
        The epoch's monitored loss (validation loss, or else training loss).
    tol : scalar
        Improvement below which an epoch counts as a stall.

    Returns
    -------
    state : StopState
        Inactive members unchanged.
    """
    active = state.active
    n_epochs = state.n_epochs + active
    best_epoch = jnp.where(improved(state, monitored), n_epochs, state.best_epoch)
    stalled = monitored > state.best_loss - tol
    no_improvement = jnp.where(
        active,
        jnp.where(stalled, state.no_improvement + 1, 0),
        state.no_improvement,
    )
    best_loss = jnp.where(
        active, jnp.minimum(state.best_loss, monitored), state.best_loss
    )
    return state._replace(
        best_loss=best_loss,
        no_improvement=no_improvement,
        n_epochs=n_epochs,
        best_epoch=best_epoch,
    )


def update_schedule(state, hyper):
    """Reduce a stalled member's rate while reductions remain, else stop it.

    Once a member's rate has been reduced, the patience is ``refine_patience``
    (both to reduce it again and to stop): the first rate explores, and needs
    the full patience to get there; the smaller rates only refine the member's
    best snapshot, and show a stall sooner.

    Parameters
    ----------
    state : StopState
        After :func:`update_stopping` of the epoch.
    hyper : Hyperparams
        Reads ``patience``, ``decay_patience``, ``refine_patience``,
        ``decay_factor`` and ``max_decays``.

    Returns
    -------
    state : StopState
        A reduction resets the stall count; a stop sets ``converged``.
    """
    active = state.active
    can_decay = state.n_decays < hyper.max_decays
    refining = state.n_decays > 0
    decay_patience = jnp.where(refining, hyper.refine_patience, hyper.decay_patience)
    patience = jnp.where(refining, hyper.refine_patience, hyper.patience)
    decay = active & can_decay & (state.no_improvement > decay_patience)
    stop = active & ~can_decay & (state.no_improvement > patience)
    learning_rate = jnp.where(
        decay, state.learning_rate / hyper.decay_factor, state.learning_rate
    )
    return state._replace(
        learning_rate=learning_rate,
        no_improvement=jnp.where(decay, 0, state.no_improvement),
        n_decays=state.n_decays + decay,
        active=active & ~stop,
        converged=state.converged | stop,
    )


__all__ = [
    "StopState",
    "finite_members",
    "improved",
    "init_stopping",
    "mark_diverged",
    "update_schedule",
    "update_stopping",
]
